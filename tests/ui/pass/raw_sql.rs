use schema_macros::versioned;
use schema_core::Versioned as _;

// Raw SQL steps beside `#[versioned]`: the struct compiles without them, and the history
// that the types carry holds them.
#[versioned(table = "users", version = 2)]
#[raw_sql(at = 2, up = "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public",
          down = "DROP EXTENSION IF EXISTS pg_trgm")]
#[raw_sql(at = 2, phase = "contract", up = "COMMENT ON TABLE public.users IS 'accounts'",
          irreversible)]
#[derive(Debug, Clone)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(since = 2)]
    pub name: Option<String>,
}

fn main() {
    let history = User::history();
    assert_eq!(history.raw_sql.len(), 2);
    assert!(history.raw_sql[1].contract && history.raw_sql[1].down.is_none());
    assert_eq!(UserV1::table_model().raw_sql.len(), 0);
}
