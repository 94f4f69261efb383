use schema_macros::versioned;

#[versioned(table = "users", version = 2)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(backfill = "'anonymous'")]
    pub display_name: String,
}

fn main() {}
