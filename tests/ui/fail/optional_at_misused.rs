use schema_macros::versioned;

// Every misuse of `optional_at`, reported at once.
#[versioned(table = "contacts", version = 2)]
pub struct Contact {
    #[col(primary_key)]
    pub id: i64,
    #[col(optional_at = 2)]
    pub email: String,
    #[col(optional_at = 3)]
    pub phone: Option<String>,
    #[col(optional_at = 2, renamed_from = "nick", renamed_at = 2)]
    pub nickname: Option<String>,
}

fn main() {}
