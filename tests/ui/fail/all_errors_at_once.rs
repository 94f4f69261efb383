use schema_macros::versioned;

#[versioned(table = "users", version = 2)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(uniqe)]
    pub email: String,
    #[col(since = 2, indx)]
    pub org_id: Option<i64>,
    #[col(until = 1)]
    pub nickname: Option<String>,
}

fn main() {}
