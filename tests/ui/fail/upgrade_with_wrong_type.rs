use schema_macros::versioned;

#[versioned(table = "users", version = 2)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(since = 2, default = "0", upgrade_with = "score_of")]
    pub score: i64,
}

fn score_of(v1: &UserV1) -> String {
    v1.id.to_string()
}

fn main() {}
