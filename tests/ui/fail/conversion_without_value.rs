//! A struct whose steps cannot all be built compiles; asking for a conversion across such a
//! step is an error that names the fields without a value.
use schema_core::IntoLatest;
use schema_macros::versioned;

#[versioned(table = "users", version = 3)]
#[derive(Debug)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    pub email: String,
    #[col(since = 2, backfill = "split_part(email, '@', 1)")]
    pub display_name: String,
    #[col(since = 2, default = "now()")]
    pub created_at: i64,
    #[col(until = 3)]
    pub legacy_code: String,
}

fn upgrade_all<T: IntoLatest>(any: T) -> T::Latest {
    any.into_latest()
}

fn main() {
    let v1 = UserV1 {
        id: 1,
        email: "ada@example.com".to_owned(),
        legacy_code: "a".to_owned(),
    };
    // Version 2 adds two NOT NULL fields without a value.
    let _: User = v1.into_version();
    let _ = UserAny::V2(UserV2 {
        id: 2,
        email: String::new(),
        display_name: String::new(),
        created_at: 0,
        legacy_code: String::new(),
    })
    .into_latest();
    let _ = upgrade_all(UserAny::V1(UserV1 {
        id: 3,
        email: String::new(),
        legacy_code: String::new(),
    }));
    // Version 3 removed a NOT NULL field: version 2 cannot get it back.
    let latest = User {
        id: 4,
        email: String::new(),
        display_name: String::new(),
        created_at: 0,
    };
    let _ = latest.into_version::<UserV1>();
}
