use schema_macros::versioned;

// An unknown key, `at` outside the table's versions, and a step without its rollback.
#[versioned(table = "users", version = 2)]
#[raw_sql(at = 2, up = "SELECT 1", down = "SELECT 1", transaction)]
#[raw_sql(at = 3, up = "SELECT 1", down = "SELECT 1")]
#[raw_sql(at = 2, up = "SELECT 1")]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
}

// Both `up` and `up_file`; a file that does not exist; `irreversible` with a rollback; a
// phase that is not one.
#[versioned(table = "teams", version = 2, since = 2)]
#[raw_sql(at = 2, up = "SELECT 1", up_file = "sql/team.sql", down = "SELECT 1")]
#[raw_sql(at = 2, up_file = "sql/missing.sql", down = "SELECT 1")]
#[raw_sql(at = 2, up = "SELECT 1", down = "SELECT 1", irreversible)]
#[raw_sql(at = 2, phase = "backfill", up = "SELECT 1", down = "SELECT 1")]
#[raw_sql(at = 1, up = "SELECT 1", irreversible)]
pub struct Team {
    #[col(primary_key)]
    pub id: i64,
}

fn main() {}
