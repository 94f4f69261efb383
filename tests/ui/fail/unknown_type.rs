use schema_macros::versioned;

pub struct Money(i64);

#[versioned(table = "users", version = 1)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    pub balance: Money,
}

fn main() {}
