use schema_macros::versioned;

fn nickname_for_old_code(value: &ContactV2) -> String {
    value.nickname.clone().unwrap_or_else(|| value.email.clone())
}

// `optional_at = 2`: version 1's type holds a `String`, version 2's an `Option<String>`. The
// upgrade wraps the value; the downgrade takes `downgrade_with`.
#[versioned(table = "contacts", version = 2)]
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    #[col(primary_key)]
    pub id: i64,
    pub email: String,
    #[col(optional_at = 2, downgrade_with = "nickname_for_old_code")]
    pub nickname: Option<String>,
}

fn main() {
    let old = ContactV1 {
        id: 1,
        email: "a@b".into(),
        nickname: "ann".into(),
    };
    let new: Contact = old.into();
    assert_eq!(new.nickname.as_deref(), Some("ann"));
    let back: ContactV1 = Contact {
        nickname: None,
        ..new
    }
    .into();
    assert_eq!(back.nickname, "a@b");
}
