use schema_macros::versioned;

#[versioned(table = "sessions", version = 2)]
pub struct Session {
    #[col(primary_key)]
    pub id: i64,
    // text to uuid has no implicit or assignment cast: `using` is required.
    #[col(sql_type = "uuid", retyped_at = 2, old_type = "String")]
    pub token: String,
    // jsonb to bigint has no cast either way.
    #[col(sql_type = "bigint", retyped_at = 2, old_sql_type = "jsonb", using = "(counter->>'n')::bigint")]
    pub counter: i64,
}

fn main() {}
