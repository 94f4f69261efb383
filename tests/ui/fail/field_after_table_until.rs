use schema_macros::versioned;

// The table is dropped at version 3: no column can be added, removed, renamed or retyped from
// then on.
#[versioned(table = "coupons", version = 4, until = 3)]
pub struct Coupon {
    #[col(primary_key)]
    pub code: String,
    #[col(since = 3)]
    pub percent: Option<i32>,
    #[col(until = 3)]
    pub note: Option<String>,
    #[col(renamed_from = "label", renamed_at = 3)]
    pub title: Option<String>,
    #[col(retyped_at = 3, old_type = "Option<i32>")]
    pub stock: Option<i64>,
}

fn main() {}
