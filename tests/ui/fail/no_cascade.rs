use schema_macros::versioned;

// An error in the annotations is the only error: the types that code names (`UserV1`,
// `UserAny`, the struct itself) still exist as stand-ins, so nothing cascades from them.
#[versioned(table = "users", version = 2)]
#[derive(Debug, Clone)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(since = 2, nullable_please)]
    pub email: Option<String>,
}

fn old(user: UserV1) -> i64 {
    user.id
}

fn main() {
    let user = User { id: 1, email: None };
    let _: UserV2 = user.clone();
    let _: UserAny = user.clone();
    let _ = old(user);
}
