use schema_macros::versioned;

#[versioned(table = "users", version = 3)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    // Not a day of the calendar.
    #[col(renamed_from = "name", renamed_at = 2, old_name_until = 3, sunset = "2027-02-30")]
    pub full_name: Option<String>,
    // Not YYYY-MM-DD.
    #[col(renamed_from = "mail", renamed_at = 2, old_name_until = 3, sunset = "30/06/2027")]
    pub email: Option<String>,
    // A sunset without a window to end.
    #[col(renamed_from = "nick", renamed_at = 2, sunset = "2027-06-30")]
    pub nickname: Option<String>,
}

fn main() {}
