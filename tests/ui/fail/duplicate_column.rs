use schema_macros::versioned;

#[versioned(table = "users", version = 3)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(until = 3)]
    pub name: Option<String>,
    #[col(renamed_from = "name", renamed_at = 3)]
    pub full_name: Option<String>,
}

fn main() {}
