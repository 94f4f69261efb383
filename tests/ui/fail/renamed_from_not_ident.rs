use schema_macros::versioned;

#[versioned(table = "users", version = 2)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(renamed_from = "full name", renamed_at = 2)]
    pub full_name: Option<String>,
}

fn main() {}
