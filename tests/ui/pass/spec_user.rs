//! The `User` of SPEC section 3, used the way a service would use it.
#![deny(warnings)]

use schema_macros::versioned;
use serde::{Deserialize, Serialize};

/// Accounts that log in to the service.
#[versioned(table = "users", version = 3)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(unique)]
    pub email: String,
    #[col(since = 2, backfill = "split_part(email, '@', 1)")]
    pub display_name: String,
    #[col(since = 2, default = "now()")]
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[col(since = 2, references = "orgs(id)", index)]
    pub org_id: Option<i64>,
    #[col(renamed_from = "name", renamed_at = 3)]
    pub full_name: Option<String>,
    #[col(until = 3)]
    pub nickname: Option<String>,
}

// Version 2 adds NOT NULL fields that Rust cannot fill by itself: the upgrade from version 1
// is the user's to write.
impl From<UserV1> for UserV2 {
    fn from(v1: UserV1) -> Self {
        UserV2 {
            display_name: v1.email.split('@').next().unwrap_or_default().to_owned(),
            created_at: chrono::DateTime::UNIX_EPOCH,
            org_id: None,
            id: v1.id,
            email: v1.email,
            name: v1.name,
            nickname: v1.nickname,
        }
    }
}

fn round_trip<T>(value: &T)
where
    T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, value);
}

fn main() {
    let v1 = UserV1 {
        id: 1,
        email: "ada@example.com".to_owned(),
        name: Some("Ada Lovelace".to_owned()),
        nickname: Some("ada".to_owned()),
    };
    round_trip(&v1);

    let v2: UserV2 = v1.clone().into();
    round_trip(&v2);
    assert_eq!(v2.display_name, "ada");

    let latest: User = v2.clone().into();
    round_trip(&latest);
    assert_eq!(latest.full_name.as_deref(), Some("Ada Lovelace"));
    let same: &UserV3 = &latest;
    assert_eq!(same, &latest);

    let down: UserV2 = latest.into();
    assert_eq!(down.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(down.nickname, None);
    let down: UserV1 = down.into();
    assert_eq!(down.email, v1.email);

    assert_eq!(User::VERSION, 3);
    assert_eq!(UserV1::VERSION, 1);
    assert_eq!(<UserV2 as schema_core::Versioned>::VERSION, 2);
    assert_eq!(<UserV1 as schema_core::Versioned>::LATEST, 3);
    assert_eq!(<User as schema_core::Versioned>::TABLE, "users");

    let columns: Vec<String> = <UserV1 as schema_core::Versioned>::table_model()
        .columns
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(columns, ["id", "email", "name", "nickname"]);
}
