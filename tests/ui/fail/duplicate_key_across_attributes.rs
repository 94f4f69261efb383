use schema_macros::versioned;

#[versioned(table = "t", version = 1)]
pub struct T {
    #[col(primary_key)]
    #[col(index, primary_key)]
    pub id: i64,
}

fn main() {}
