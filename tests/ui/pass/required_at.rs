use schema_macros::versioned;

fn handle_from_old(value: &AccountV1) -> String {
    value.handle.clone().unwrap_or_else(|| value.email.clone())
}

// `required_at = 2`: version 1's type holds an `Option<String>`, version 2's a `String`. The
// upgrade takes `upgrade_with`; the downgrade wraps the value.
#[versioned(table = "accounts", version = 2)]
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    #[col(primary_key)]
    pub id: i64,
    pub email: String,
    #[col(required_at = 2, backfill = "email", upgrade_with = "handle_from_old")]
    pub handle: String,
}

fn main() {
    let old = AccountV1 {
        id: 1,
        email: "a@b".into(),
        handle: None,
    };
    let new: Account = old.into();
    assert_eq!(new.handle, "a@b");
    let back: AccountV1 = new.into();
    assert_eq!(back.handle.as_deref(), Some("a@b"));
}
