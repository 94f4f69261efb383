//! A version number above the supported bound is refused at its token: the macro (and the
//! generator) would otherwise do work for every version up to it.
use schema_macros::versioned;

#[versioned(table = "users", version = 4294967295)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(renamed_from = "name", renamed_at = 2, old_name_until = 1001)]
    pub full_name: String,
}

fn main() {}
