use schema_macros::versioned;

#[versioned(table = "users", version = 1)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(unique, index)]
    pub email: String,
}

fn main() {}
