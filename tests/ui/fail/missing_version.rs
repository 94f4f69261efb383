use schema_macros::versioned;

#[versioned(table = "users")]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
}

fn main() {}
