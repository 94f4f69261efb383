use schema_macros::versioned;

// `down` belongs to a dropped column, and names only columns the row has.
#[versioned(table = "pets", version = 2)]
pub struct Pet {
    #[col(primary_key)]
    pub id: i64,
    #[col(down = "'quiet'")]
    pub sound: String,
    #[col(until = 2, down = "upper(nmae)")]
    pub name: String,
}

fn main() {}
