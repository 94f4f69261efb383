use schema_macros::versioned;

#[versioned(table = "users", version = 2)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(since = 2, since = 2)]
    pub nickname: Option<String>,
}

fn main() {}
