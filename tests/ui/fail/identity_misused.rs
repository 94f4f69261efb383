use schema_macros::versioned;

// Every misuse of `identity`, reported at once.
#[versioned(table = "tickets", version = 2)]
pub struct Ticket {
    #[col(primary_key, identity = "sometimes")]
    pub id: i64,
    #[col(identity)]
    pub label: String,
    #[col(identity)]
    pub number: Option<i64>,
    #[col(since = 2, identity)]
    pub seq: i64,
}

fn main() {}
