use schema_macros::versioned;

#[versioned(table = "users", version = 1)]
pub enum User {
    Admin,
    Member,
}

fn main() {}
