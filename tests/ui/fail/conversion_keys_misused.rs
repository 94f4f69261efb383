use schema_macros::versioned;

#[versioned(table = "users", version = 3)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(upgrade_with = "fill_email")]
    pub email: String,
    #[col(downgrade_with = "|_| None")]
    pub bio: Option<String>,
    #[col(since = 2, default = "0", upgrade_with = "|v1: &UserV1| v1.id +")]
    pub score: i64,
    #[col(old_name_until = 3)]
    pub nickname: Option<String>,
    #[col(renamed_from = "name", renamed_at = 3, old_name_until = 2)]
    pub full_name: Option<String>,
    #[col(since = 2, upgrade_wiht = "x")]
    pub tag: Option<String>,
}

fn main() {}
