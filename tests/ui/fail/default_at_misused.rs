use schema_macros::versioned;

// Every misuse of `default_at` and `old_default`, reported at once.
#[versioned(table = "orders", version = 3)]
pub struct Order {
    #[col(primary_key)]
    pub id: i64,
    #[col(default_at = 2)]
    pub status: String,
    #[col(old_default = "0")]
    pub priority: i64,
    #[col(default_at = 4, default = "1")]
    pub rank: i64,
    #[col(renamed_from = "kind", renamed_at = 2, default_at = 2, default = "'a'")]
    pub category: String,
    #[col(default_at = 2, old_default = "rank", default = "1")]
    pub weight: i64,
}

fn main() {}
