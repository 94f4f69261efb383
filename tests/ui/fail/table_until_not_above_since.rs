use schema_macros::versioned;

#[versioned(table = "coupons", version = 3, since = 2, until = 2)]
pub struct Coupon {
    #[col(primary_key)]
    pub code: String,
}

fn main() {}
