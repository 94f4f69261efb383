use schema_macros::versioned;

// i64 to i32 has no lossless `From`: the upgrade is not built, and asking for it names the field.
#[versioned(table = "items", version = 2)]
#[derive(Debug, Clone)]
pub struct Item {
    #[col(primary_key)]
    pub id: i64,
    #[col(retyped_at = 2, old_type = "i64")]
    pub amount: i32,
}

fn main() {
    let old = ItemV1 { id: 1, amount: 2 };
    let _new: Item = old.into_version::<Item>();
}
