use schema_macros::versioned;

// Each SQL fragment is one expression (or one type) over the columns the row has at that
// version; every mistake below is reported at once, on its own string.
#[versioned(table = "users", version = 3)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(default = "'x'; DROP TABLE victim; SELECT 'y'")]
    pub plan: String,
    pub email: String,
    #[col(since = 2, backfill = "lower(emial)")]
    pub email_lower: String,
    #[col(check = "logins >")]
    pub logins: i64,
    #[col(since = 3, backfill = "user || 'x'")]
    pub owner: String,
    #[col(default = "email")]
    pub note: String,
    #[col(sql_type = "citext")]
    pub handle: String,
    #[col(sql_type = "text) , (x int")]
    pub other: String,
    #[col(since = 2, backfill = "1 -- swallow the rest")]
    pub rank: i64,
}

#[versioned(table = "bad\nname", schema = "x\r", version = 1)]
pub struct Bad {
    #[col(primary_key)]
    pub id: i64,
}

fn main() {}
