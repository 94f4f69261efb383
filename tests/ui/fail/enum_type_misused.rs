use schema_macros::versioned;
use serde::{Deserialize, Serialize};

// A label removed, a label renamed, a variant with data, a serde rename, an unknown key.
#[versioned(enum_type = "order_status", version = 3)]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum OrderStatus {
    #[variant(until = 3)]
    Pending,
    #[variant(since = 2, renamed_from = "payed")]
    Paid,
    Shipped(u32),
    #[serde(rename = "gone")]
    Gone,
    #[variant(sinse = 2)]
    Lost,
}

// A label added after the latest version.
#[versioned(enum_type = "colour", version = 2)]
pub enum Colour {
    Red,
    #[variant(since = 3)]
    Blue,
}

// A field whose type is neither mapped nor a versioned enum.
pub enum Plain {
    A,
}

#[versioned(table = "things", version = 1)]
pub struct Thing {
    #[col(primary_key)]
    pub id: i64,
    pub plain: Plain,
}

fn main() {}
