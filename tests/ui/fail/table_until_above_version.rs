use schema_macros::versioned;

#[versioned(table = "coupons", version = 2, until = 3)]
pub struct Coupon {
    #[col(primary_key)]
    pub code: String,
}

fn main() {}
