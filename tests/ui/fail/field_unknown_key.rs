use schema_macros::versioned;

#[versioned(table = "users", version = 1)]
pub struct User {
    #[col(primay_key)]
    pub id: i64,
}

fn main() {}
