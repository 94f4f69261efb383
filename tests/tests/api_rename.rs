//! The phases of a field rename, on real JSON: before the rename the API speaks the old name
//! only; in the deprecation window (`renamed_at <= v < old_name_until`) responses carry both
//! names and requests may use either, the new one winning; after the window only the new
//! name. Without `old_name_until`, the versions from the rename on read either name and
//! write the new one.

use schema_core::api::serde::DeserializeVersion;
use schema_core::{AnyVersion, RenamedField};
use schema_macros::versioned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// `name` is renamed to `full_name` at 2; versions 2 and 3 are the window.
#[versioned(table = "people", version = 4)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    #[col(primary_key)]
    pub id: i64,
    #[col(renamed_from = "name", renamed_at = 2, old_name_until = 4)]
    pub full_name: String,
    #[col(since = 3)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
}

/// A rename without a window: read either name, write the new one.
#[versioned(table = "tags", version = 2)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    #[col(primary_key)]
    pub id: i64,
    #[col(renamed_from = "title", renamed_at = 2)]
    pub label: String,
}

/// Serde's names follow `rename_all`; unknown fields are refused, the old name is not one.
#[versioned(table = "profiles", version = 2)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Profile {
    #[col(primary_key)]
    pub profile_id: i64,
    #[col(
        renamed_from = "screen_name",
        renamed_at = 2,
        old_name_until = 3,
        sunset = "2027-06-30"
    )]
    pub display_name: String,
}

fn text(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap()
}

fn read<T: for<'de> Deserialize<'de>>(json: Value) -> Result<T, String> {
    serde_json::from_value(json).map_err(|e| e.to_string())
}

#[test]
fn before_the_rename_only_the_old_name() {
    let v1 = PersonV1 {
        id: 1,
        name: "Ada".into(),
    };
    assert_eq!(text(&v1), r#"{"id":1,"name":"Ada"}"#);
    assert_eq!(read::<PersonV1>(json!({"id": 1, "name": "Ada"})), Ok(v1));
    assert_eq!(
        read::<PersonV1>(json!({"id": 1, "full_name": "Ada"})),
        Err("missing field `name`".into())
    );
}

#[test]
fn during_the_window_responses_carry_both_names() {
    let v2 = PersonV2 {
        id: 1,
        full_name: "Ada".into(),
    };
    assert_eq!(text(&v2), r#"{"id":1,"full_name":"Ada","name":"Ada"}"#);
    // The other field attributes still apply (`skip_serializing_if`).
    let mut v3 = PersonV3 {
        id: 1,
        full_name: "Ada".into(),
        nickname: None,
    };
    assert_eq!(text(&v3), r#"{"id":1,"full_name":"Ada","name":"Ada"}"#);
    v3.nickname = Some("countess".into());
    assert_eq!(
        text(&v3),
        r#"{"id":1,"full_name":"Ada","name":"Ada","nickname":"countess"}"#
    );
}

#[test]
fn during_the_window_requests_may_use_either_name_and_the_new_one_wins() {
    let ada = |full_name: &str| PersonV2 {
        id: 1,
        full_name: full_name.into(),
    };
    assert_eq!(
        read::<PersonV2>(json!({"id": 1, "full_name": "Ada"})),
        Ok(ada("Ada"))
    );
    assert_eq!(
        read::<PersonV2>(json!({"id": 1, "name": "Ada"})),
        Ok(ada("Ada"))
    );
    assert_eq!(
        read::<PersonV2>(json!({"name": "Old", "id": 1, "full_name": "New"})),
        Ok(ada("New"))
    );
    assert_eq!(
        read::<PersonV2>(json!({"full_name": "New", "id": 1, "name": "Old"})),
        Ok(ada("New"))
    );
    assert_eq!(
        read::<PersonV2>(json!({"id": 1})),
        Err("missing field `full_name`".into())
    );
    // From text too, with the field's own attributes (`default`) applied.
    let v3: PersonV3 = serde_json::from_str(r#"{"id": 2, "name": "Grace"}"#).unwrap();
    assert_eq!((v3.full_name.as_str(), v3.nickname), ("Grace", None));
    let error = serde_json::from_str::<PersonV3>(r#"{"id": 2, "name": 7}"#).unwrap_err();
    assert!(
        error.to_string().starts_with("invalid type: integer `7`"),
        "{error}"
    );
}

#[test]
fn after_the_window_only_the_new_name() {
    let v4 = Person {
        id: 1,
        full_name: "Ada".into(),
        nickname: None,
    };
    assert_eq!(text(&v4), r#"{"id":1,"full_name":"Ada"}"#);
    assert_eq!(
        read::<Person>(json!({"id": 1, "full_name": "Ada"})),
        Ok(v4.clone())
    );
    assert_eq!(
        read::<Person>(json!({"id": 1, "name": "Ada"})),
        Err("missing field `full_name`".into())
    );
    // The old name is now an unknown field, ignored like any other.
    assert_eq!(
        read::<Person>(json!({"id": 1, "name": "Old", "full_name": "Ada"})),
        Ok(v4)
    );
}

#[test]
fn without_a_window_the_new_name_is_written_and_either_is_read() {
    let tag = Tag {
        id: 1,
        label: "red".into(),
    };
    assert_eq!(text(&tag), r#"{"id":1,"label":"red"}"#);
    assert_eq!(
        read::<Tag>(json!({"id": 1, "title": "red"})),
        Ok(tag.clone())
    );
    assert_eq!(
        read::<Tag>(json!({"id": 1, "title": "blue", "label": "red"})),
        Ok(tag)
    );
    assert_eq!(
        text(&TagV1 {
            id: 1,
            title: "red".into()
        }),
        r#"{"id":1,"title":"red"}"#
    );
}

#[test]
fn names_follow_rename_all_and_the_old_name_is_not_unknown() {
    let v2 = ProfileV2 {
        profile_id: 1,
        display_name: "Ada".into(),
    };
    assert_eq!(
        text(&v2),
        r#"{"profileId":1,"displayName":"Ada","screenName":"Ada"}"#
    );
    assert_eq!(
        read::<ProfileV2>(json!({"profileId": 1, "screenName": "Ada"})),
        Ok(v2.clone())
    );
    assert_eq!(
        read::<ProfileV2>(json!({"profileId": 1, "screenName": "Old", "displayName": "Ada"})),
        Ok(v2)
    );
    let error =
        read::<ProfileV2>(json!({"profileId": 1, "displayName": "Ada", "x": 1})).unwrap_err();
    assert!(error.starts_with("unknown field `x`"), "{error}");
    assert_eq!(
        text(&ProfileV1 {
            profile_id: 1,
            screen_name: "Ada".into()
        }),
        r#"{"profileId":1,"screenName":"Ada"}"#
    );
}

#[test]
fn any_version_reads_the_requested_version_and_writes_the_version_it_holds() {
    let body = json!({"id": 3, "name": "Lin"});
    for api in 1..=3 {
        let any = PersonAny::deserialize_version(api, &body).unwrap();
        assert_eq!(any.version(), api);
        assert_eq!(any.into_latest().full_name, "Lin", "API version {api}");
    }
    // Version 4 no longer knows the old name.
    let error = PersonAny::deserialize_version(4, &body).unwrap_err();
    assert_eq!(error.to_string(), "missing field `full_name`");
    // A later API version than the struct's latest reads the latest.
    let any = PersonAny::deserialize_version(9, &json!({"id": 3, "full_name": "Lin"})).unwrap();
    assert_eq!(any.version(), 4);

    let latest = Person {
        id: 3,
        full_name: "Lin".into(),
        nickname: Some("L".into()),
    };
    let served: Vec<String> = (1..=5)
        .map(|api| text(&PersonAny::from_latest(latest.clone(), api).unwrap()))
        .collect();
    assert_eq!(
        served,
        [
            r#"{"id":3,"name":"Lin"}"#,
            r#"{"id":3,"full_name":"Lin","name":"Lin"}"#,
            r#"{"id":3,"full_name":"Lin","name":"Lin","nickname":"L"}"#,
            r#"{"id":3,"full_name":"Lin","nickname":"L"}"#,
            r#"{"id":3,"full_name":"Lin","nickname":"L"}"#,
        ]
    );
    assert_eq!(
        <PersonAny as AnyVersion>::type_version(0)
            .unwrap_err()
            .requested,
        0
    );
}

#[test]
fn each_any_type_lists_its_renamed_fields_under_their_serde_names() {
    assert_eq!(
        PersonAny::RENAMED,
        [RenamedField {
            name: "full_name",
            old_name: "name",
            renamed_at: 2,
            old_name_until: Some(4),
            sunset: None,
        }]
    );
    assert_eq!(
        TagAny::RENAMED,
        [RenamedField {
            name: "label",
            old_name: "title",
            renamed_at: 2,
            old_name_until: None,
            sunset: None,
        }]
    );
    // The names serde writes, and the annotation's sunset.
    assert_eq!(
        ProfileAny::RENAMED,
        [RenamedField {
            name: "displayName",
            old_name: "screenName",
            renamed_at: 2,
            old_name_until: Some(3),
            sunset: Some("2027-06-30"),
        }]
    );
    let [person] = PersonAny::RENAMED else {
        panic!("one rename")
    };
    let window: Vec<u32> = (1..=5).filter(|v| person.in_window_at(*v)).collect();
    let read: Vec<u32> = (1..=5).filter(|v| person.old_name_read_at(*v)).collect();
    assert_eq!((window, read), (vec![2, 3], vec![2, 3]));
    let [tag] = TagAny::RENAMED else {
        panic!("one rename")
    };
    assert!(!tag.in_window_at(2) && tag.old_name_read_at(2) && !tag.old_name_read_at(1));
}
