//! A JSON Schema per API version: each version's schema accepts exactly the JSON of that
//! version; in a rename window, either name (both, as responses carry them).

use jsonschema::Validator;
use schema_core::api::schema::{VersionSchema, openapi};
use schema_macros::versioned;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// `name` is renamed to `full_name` at 2, both names until 3; `nickname` is new at 3.
#[versioned(table = "people", version = 4)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Person {
    #[col(primary_key)]
    pub id: i64,
    #[col(renamed_from = "name", renamed_at = 2, old_name_until = 3)]
    pub full_name: String,
    #[col(since = 3)]
    #[serde(default)]
    pub nickname: Option<String>,
    #[col(since = 4, default = "0")]
    #[serde(default)]
    pub logins: i32,
}

fn validator(api: u32) -> Validator {
    let schema = PersonAny::json_schema(api).unwrap().to_value();
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{e}: {schema:#}"))
}

fn latest() -> Person {
    Person {
        id: 1,
        full_name: "Ada".into(),
        nickname: Some("ada".into()),
        logins: 3,
    }
}

#[test]
fn each_version_accepts_what_it_writes_and_reads() {
    for api in 1..=5 {
        let written = serde_json::to_value(PersonAny::from_latest(latest(), api).unwrap()).unwrap();
        assert!(
            validator(api).is_valid(&written),
            "API version {api}: {written}"
        );
        // What the schema accepts, the version reads.
        use schema_core::api::serde::DeserializeVersion;
        PersonAny::deserialize_version(api, &written).unwrap();
    }
}

#[test]
fn the_rename_window_accepts_either_name_and_the_versions_around_it_one() {
    let old = json!({"id": 1, "name": "Ada"});
    let new = json!({"id": 1, "full_name": "Ada"});
    let both = json!({"id": 1, "full_name": "Ada", "name": "Ada"});
    let neither = json!({"id": 1});
    let accepts = |api: u32, body: &Value| validator(api).is_valid(body);
    // Version 1: the old name only (another key is ignored, as serde ignores it).
    assert!(accepts(1, &old) && !accepts(1, &new) && !accepts(1, &neither));
    // Version 2, the window: either, or both.
    assert!(accepts(2, &old) && accepts(2, &new) && accepts(2, &both));
    assert!(!accepts(2, &neither));
    assert!(
        !accepts(2, &json!({"id": 1, "name": 5})),
        "the old name keeps the type"
    );
    // Versions 3 and 4: the new name only.
    for api in [3, 4] {
        assert!(accepts(api, &new) && !accepts(api, &old), "version {api}");
    }
    // The schemas agree with what each version reads.
    use schema_core::api::serde::DeserializeVersion;
    for (api, body) in [(1, &old), (2, &old), (2, &new), (3, &new)] {
        PersonAny::deserialize_version(api, body).unwrap();
    }
    for (api, body) in [(1, &new), (3, &old), (2, &neither)] {
        PersonAny::deserialize_version(api, body).unwrap_err();
    }
    let v2 = PersonAny::json_schema(2).unwrap().to_value();
    assert_eq!(v2["properties"]["name"]["deprecated"], true, "{v2:#}");
    assert!(v2["properties"]["full_name"].get("deprecated").is_none());
    // A field new at 3 is not in version 2's schema, and is in 3's.
    assert!(v2["properties"].get("nickname").is_none());
    let v3 = PersonAny::json_schema(3).unwrap().to_value();
    assert!(v3["properties"].get("nickname").is_some(), "{v3:#}");
}

#[test]
fn openapi_components_per_version() {
    let doc = openapi(
        "People",
        2,
        vec![("Person".into(), PersonAny::json_schema(2).unwrap())],
    );
    assert_eq!(doc["openapi"], "3.1.0");
    let person = &doc["components"]["schemas"]["Person"];
    assert!(person["properties"].get("name").is_some(), "{doc:#}");
    assert!(person.get("$schema").is_none());
}
