//! Rename phases on a private struct in a module, with versions the crate never uses, a
//! struct that only reads JSON and one with serde's `crate` attribute: no warnings.
#![deny(warnings)]

mod model {
    use serde::{Deserialize, Serialize};

    #[schema_macros::versioned(table = "cards", version = 4)]
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub(crate) struct Card {
        #[col(primary_key)]
        pub(crate) card_id: i64,
        #[col(renamed_from = "holder", renamed_at = 2, old_name_until = 3)]
        #[serde(default)]
        pub(crate) holder_name: String,
        #[col(renamed_from = "pin", renamed_at = 3)]
        pub(crate) code: Option<String>,
    }

    #[schema_macros::versioned(table = "inbox", version = 2)]
    #[derive(Debug, Deserialize)]
    pub(crate) struct Inbox {
        #[col(primary_key)]
        pub(crate) id: i64,
        #[col(renamed_from = "body", renamed_at = 2, old_name_until = 3)]
        pub(crate) text: String,
    }

    #[schema_macros::versioned(table = "outbox", version = 2)]
    #[derive(Serialize)]
    #[serde(crate = "serde")]
    pub(crate) struct Outbox {
        #[col(primary_key)]
        pub(crate) id: i64,
        #[col(renamed_from = "body", renamed_at = 2, old_name_until = 3)]
        pub(crate) text: String,
    }
}

fn main() {
    let card: model::CardV2 =
        serde_json::from_str(r#"{"cardId": 1, "holder": "Ada", "pin": "1234"}"#).unwrap();
    assert_eq!(card.holder_name, "Ada");
    assert_eq!(card.pin.as_deref(), Some("1234"));
    let json = serde_json::to_string(&card).unwrap();
    assert_eq!(json, r#"{"cardId":1,"holderName":"Ada","holder":"Ada","pin":"1234"}"#);
    let latest: model::Card = card.into_version();
    assert_eq!(latest.code.as_deref(), Some("1234"));
    let inbox: model::Inbox = serde_json::from_str(r#"{"id": 1, "body": "hi"}"#).unwrap();
    assert_eq!((inbox.id, inbox.text.as_str()), (1, "hi"));
    let out = model::Outbox {
        id: 2,
        text: "bye".into(),
    };
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        r#"{"id":2,"text":"bye","body":"bye"}"#
    );
}
