use schema_macros::versioned;

#[versioned(table = "users", version = 1)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(references = "orgs.id")]
    pub org_id: i64,
}

fn main() {}
