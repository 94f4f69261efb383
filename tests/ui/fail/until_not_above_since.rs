use schema_macros::versioned;

#[versioned(table = "users", version = 3)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(since = 2, until = 2)]
    pub nickname: Option<String>,
}

fn main() {}
