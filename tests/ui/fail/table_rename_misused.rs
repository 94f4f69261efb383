use schema_macros::versioned;

// `renamed_from` without `renamed_at`.
#[versioned(table = "accounts", version = 2, renamed_from = "users")]
pub struct Account {
    #[col(primary_key)]
    pub id: i64,
}

// A rename at a version where a column changes too.
#[versioned(table = "teams", version = 3, renamed_from = "squads", renamed_at = 2)]
pub struct Team {
    #[col(primary_key)]
    pub id: i64,
    #[col(since = 2)]
    pub motto: Option<String>,
}

// `renamed_at` at or below `since`.
#[versioned(table = "clubs", version = 2, renamed_from = "groups", renamed_at = 1)]
pub struct Club {
    #[col(primary_key)]
    pub id: i64,
}

// An old name that is the table's own.
#[versioned(table = "leagues", version = 2, renamed_from = "leagues", renamed_at = 2)]
pub struct League {
    #[col(primary_key)]
    pub id: i64,
}

fn main() {}
