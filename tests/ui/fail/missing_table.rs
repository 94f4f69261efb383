use schema_macros::versioned;

#[versioned(version = 1)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
}

fn main() {}
