use schema_macros::versioned;

// A column that does not exist, one that exists only from version 3, an empty expression, an
// unknown method, `until` not above `since`, and an unknown key with its closest valid one.
#[versioned(table = "orders", version = 3)]
#[index(columns(customer, created_at), since = 2)]
#[index(columns(shipped_at), since = 2)]
#[index(expr = "", since = 2)]
#[index(columns(status), using = "btre", since = 2)]
#[check(expr = "total_cents >= 0", since = 2, until = 2)]
#[unique(colums(status), since = 2)]
pub struct Order {
    #[col(primary_key)]
    pub id: i64,
    pub customer_id: i64,
    pub created_at: i64,
    pub status: String,
    pub total_cents: i64,
    #[col(since = 3)]
    pub shipped_at: Option<i64>,
}

// `set null` on a NOT NULL column, on the struct and on a field; a name that another index
// already has; both `columns` and `expr`; a unique GIN index.
#[versioned(table = "lines", version = 2)]
#[foreign_key(columns(order_id), references = "orders(id)", on_delete = "set null", since = 2)]
#[index(columns(sku), name = "lines_sku_key")]
#[index(columns(sku), expr = "lower(sku)")]
#[index(columns(tags), using = "gin", unique)]
pub struct Line {
    #[col(primary_key)]
    pub id: i64,
    pub order_id: i64,
    #[col(unique)]
    pub sku: String,
    pub tags: Vec<String>,
    #[col(references = "orders(id)", on_delete = "set nul")]
    pub parent_id: Option<i64>,
    #[col(references = "orders(id)", on_delete = "set null")]
    pub root_id: i64,
}

// A column dropped while the index lives, and a column renamed while it lives; the same
// columns named in an expression and in a predicate (not in a string literal).
#[versioned(table = "notes", version = 3)]
#[index(columns(body))]
#[index(columns(heading), since = 1)]
#[check(expr = "length(body) < 100 OR id <> 0")]
#[index(columns(id), predicate = "\"heading\" <> 'body'")]
pub struct Note {
    #[col(primary_key)]
    pub id: i64,
    #[col(until = 3)]
    pub body: Option<String>,
    #[col(renamed_from = "heading", renamed_at = 2)]
    pub title: String,
}

fn main() {}
