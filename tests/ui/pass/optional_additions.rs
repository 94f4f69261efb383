//! A private struct whose every step converts both ways, in a module, used only partly: the
//! generated code compiles without warnings and without imports beyond the macro.
#![deny(warnings)]

mod model {
    #[schema_macros::versioned(table = "notes", version = 3, schema = "app")]
    #[derive(Debug, Default)]
    pub(crate) struct Note {
        #[col(primary_key)]
        pub(crate) id: i64,
        /// The text of the note.
        #[col(renamed_from = "body", renamed_at = 2)]
        pub(crate) text: String,
        #[col(since = 2)]
        pub(crate) tags: Option<Vec<String>>,
        #[col(since = 3, sql_type = "varchar(16)")]
        pub(crate) color: Option<String>,
        #[col(renamed_from = "type", renamed_at = 3)]
        pub(crate) kind: Option<String>,
        #[col(until = 2)]
        pub(crate) legacy: Option<i32>,
    }
}

fn main() {
    let v1 = model::NoteV1 {
        id: 7,
        body: "hello".to_owned(),
        r#type: Some("memo".to_owned()),
        legacy: Some(1),
    };
    let latest: model::Note = model::NoteV2::from(v1).into();
    assert_eq!(latest.text, "hello");
    assert_eq!(latest.tags, None);
    assert_eq!(latest.kind.as_deref(), Some("memo"));
    let back: model::NoteV1 = model::NoteV2::from(latest).into();
    assert_eq!(
        (back.id, back.body.as_str(), back.legacy),
        (7, "hello", None)
    );
    assert_eq!(back.r#type.as_deref(), Some("memo"));
}
