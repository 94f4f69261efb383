use schema_macros::versioned;

#[versioned(table = "users", version = 1)]
pub struct User {
    #[col(primary_key)]
    pub id: Option<i64>,
}

fn main() {}
