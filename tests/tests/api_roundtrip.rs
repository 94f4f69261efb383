//! Serde round trips for every version: JSON written by version K is read back by version K
//! unchanged, and through the conversions by every later version, which keeps the value of
//! every field that still exists (under its name there).

use std::fmt::Debug;

use schema_core::api::serde::DeserializeVersion;
use schema_core::{IntoVersion, Versioned};
use schema_macros::versioned;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Every kind of step: a field added as an Option (2), one added NOT NULL and filled by a
/// function (2), a rename with a window (3, until 4), a removal (4), a field added with a
/// serde default (5).
#[versioned(table = "members", version = 5)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    #[col(primary_key)]
    pub id: i64,
    #[col(unique)]
    pub email: String,
    #[col(since = 2, sql_type = "varchar(8)")]
    pub locale: Option<String>,
    #[col(
        since = 2,
        default = "'member'",
        upgrade_with = "|_: &MemberV1| \"member\".to_owned()"
    )]
    pub role: String,
    #[col(renamed_from = "name", renamed_at = 3, old_name_until = 4)]
    pub full_name: Option<String>,
    #[col(until = 4)]
    pub fax: Option<String>,
    #[col(since = 5, default = "true")]
    #[serde(default = "yes")]
    pub active: bool,
    #[col(since = 2, sql_type = "timestamptz")]
    pub joined: Option<chrono::DateTime<chrono::Utc>>,
}

fn yes() -> bool {
    true
}

fn joined() -> Option<chrono::DateTime<chrono::Utc>> {
    Some("2026-01-31T12:00:00Z".parse().unwrap())
}

fn v1() -> MemberV1 {
    MemberV1 {
        id: 1,
        email: "ada@example.com".into(),
        name: Some("Ada".into()),
        fax: Some("+44 20".into()),
    }
}

fn v2() -> MemberV2 {
    MemberV2 {
        id: 2,
        email: "grace@example.com".into(),
        locale: Some("en-US".into()),
        role: "admin".into(),
        name: None,
        fax: Some("+1 212".into()),
        joined: joined(),
    }
}

fn v3() -> MemberV3 {
    MemberV3 {
        id: 3,
        email: "lin@example.com".into(),
        locale: None,
        role: "owner".into(),
        full_name: Some("Lin".into()),
        fax: None,
        joined: joined(),
    }
}

fn v4() -> MemberV4 {
    MemberV4 {
        id: 4,
        email: "kay@example.com".into(),
        locale: Some("fr".into()),
        role: "member".into(),
        full_name: Some("Kay".into()),
        joined: None,
    }
}

fn v5() -> Member {
    Member {
        id: 5,
        email: "bo@example.com".into(),
        locale: None,
        role: "member".into(),
        full_name: None,
        active: false,
        joined: joined(),
    }
}

/// `value` written as JSON and read back as its own version.
fn round_trip<K>(value: &K) -> Value
where
    K: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let json = serde_json::to_value(value).unwrap();
    let back: K = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(&back, value, "version {json}");
    json
}

/// JSON written by version K (`json`) read as K, converted to L and written by L: every
/// field of K that still exists at L has its value, under its name at L.
fn read_later<K, L>(json: &Value)
where
    K: Versioned + DeserializeOwned + IntoVersion<L>,
    L: Versioned + Serialize,
{
    let value: K = serde_json::from_value(json.clone()).unwrap();
    let later = serde_json::to_value(value.into_version()).unwrap();
    let history = Member::history();
    let (k, l) = (K::VERSION, L::VERSION);
    let mut kept = 0;
    for field in history.fields.iter().filter(|f| f.exists_at(k)) {
        let at_k = field.column_at(k);
        if field.exists_at(l) {
            let at_l = field.column_at(l);
            assert_eq!(
                later.get(at_l),
                json.get(at_k),
                "{at_k} (version {k}) as {at_l} (version {l}): {json} -> {later}"
            );
            kept += 1;
        } else {
            assert!(later.get(at_k).is_none(), "{at_k} at version {l}: {later}");
        }
    }
    assert!(
        kept >= 2,
        "versions {k} and {l} share the id and email at least"
    );
    // The latest reads it too, through `MemberAny`.
    let any = MemberAny::deserialize_version(k, json).unwrap();
    assert_eq!(any.version(), k);
    let _: Member = any.into_latest();
}

#[test]
fn each_version_reads_back_what_it_writes() {
    round_trip(&v1());
    round_trip(&v2());
    round_trip(&v3());
    round_trip(&v4());
    round_trip(&v5());
}

#[test]
fn every_later_version_reads_what_an_older_one_wrote() {
    let j1 = round_trip(&v1());
    read_later::<MemberV1, MemberV2>(&j1);
    read_later::<MemberV1, MemberV3>(&j1);
    read_later::<MemberV1, MemberV4>(&j1);
    read_later::<MemberV1, Member>(&j1);
    let j2 = round_trip(&v2());
    read_later::<MemberV2, MemberV3>(&j2);
    read_later::<MemberV2, MemberV4>(&j2);
    read_later::<MemberV2, Member>(&j2);
    let j3 = round_trip(&v3());
    read_later::<MemberV3, MemberV4>(&j3);
    read_later::<MemberV3, Member>(&j3);
    let j4 = round_trip(&v4());
    read_later::<MemberV4, Member>(&j4);
}

#[test]
fn conversions_fill_what_an_older_version_lacks() {
    let v5: Member = v1().into_version();
    assert_eq!(
        v5,
        Member {
            id: 1,
            email: "ada@example.com".into(),
            locale: None,
            role: "member".into(),
            full_name: Some("Ada".into()),
            active: true,
            joined: None,
        }
    );
    // And back: the removed field returns as None, the rename carries the value.
    let back: MemberV1 = v5.into_version();
    assert_eq!(back, MemberV1 { fax: None, ..v1() });
}

#[test]
fn the_window_version_writes_both_names_and_reads_either() {
    let json = round_trip(&v3());
    assert_eq!(json["full_name"], "Lin");
    assert_eq!(json["name"], "Lin");
    let mut old_only = json.clone();
    old_only.as_object_mut().unwrap().remove("full_name");
    let read: MemberV3 = serde_json::from_value(old_only).unwrap();
    assert_eq!(read, v3());
}
