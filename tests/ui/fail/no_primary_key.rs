use schema_macros::versioned;

#[versioned(table = "users", version = 1)]
pub struct User {
    pub id: i64,
    pub email: String,
}

fn main() {}
