use schema_macros::versioned;

#[versioned(table = "items", version = 2)]
pub struct Item {
    #[col(primary_key, retyped_at = 2, old_type = "i32")]
    pub id: i64,
    #[col(old_type = "i32")]
    pub no_version: i64,
    #[col(retyped_at = 3, old_type = "i32")]
    pub above_version: i64,
    #[col(retyped_at = 2, old_type = "Vec<")]
    pub not_a_type: i64,
    #[col(retyped_at = 2, old_type = "Option<i32>")]
    pub nullability_changes: i64,
    #[col(retyped_at = 2, old_type = "i64")]
    pub same_type: i64,
    #[col(retyped_at = 2, old_type = "i32", check = "checked > 0")]
    pub checked: i64,
    #[col(retyped_at = 2)]
    pub no_old_type: i64,
    #[col(renamed_from = "old", renamed_at = 2, retyped_at = 2, old_type = "i32")]
    pub renamed_too: i64,
}

fn main() {}
