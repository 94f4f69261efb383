use schema_macros::versioned;

// Every misuse of `required_at`, reported at once.
#[versioned(table = "accounts", version = 2)]
pub struct Account {
    #[col(primary_key)]
    pub id: i64,
    #[col(required_at = 2)]
    pub email: Option<String>,
    #[col(required_at = 1)]
    pub handle: String,
    #[col(required_at = 2, optional_at = 2)]
    pub phone: String,
}

fn main() {}
