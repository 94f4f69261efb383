//! A PostgreSQL enum type across its versions (`#[versioned(enum_type = "...")]` on a Rust
//! enum), and its steps: the type created at its first version, each label added later in a
//! file of its own, so that it commits before any statement uses it.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// One variant: its label and the version that adds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The Rust variant.
    pub variant: String,
    /// The database label (the variant in snake_case, or `label = "..."`).
    pub label: String,
    pub since: u32,
}

/// One `#[versioned(enum_type = ...)]` enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumHistory {
    pub rust_name: String,
    pub schema: String,
    pub name: String,
    /// The version that creates the type.
    pub since: u32,
    /// The latest version.
    pub version: u32,
    /// In declaration order: the order of the labels in the type.
    pub labels: Vec<Label>,
}

impl EnumHistory {
    /// `schema.name`: the SQL type of a field of this enum (schema-qualified, since migrations
    /// run with `search_path = pg_catalog, pg_temp`).
    pub fn sql_type(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// The labels at `version`, in the type's order.
    pub fn labels_at(&self, version: u32) -> Vec<&str> {
        self.labels
            .iter()
            .filter(|l| l.since <= version)
            .map(|l| l.label.as_str())
            .collect()
    }

    /// The versions that have a step: the creation and each version that adds a label.
    pub fn step_versions(&self) -> Vec<u32> {
        let mut out = vec![self.since];
        for l in &self.labels {
            if l.since > self.since && !out.contains(&l.since) {
                out.push(l.since);
            }
        }
        out.sort_unstable();
        out
    }

    /// A digest of the type at `version`, for the manifest.
    pub fn fingerprint(&self, version: u32) -> String {
        let mut text = String::new();
        let _ = write!(text, "enum {}.{}", self.schema, self.name);
        for l in self.labels_at(version) {
            let _ = write!(text, "|{l}");
        }
        crate::names::hex(&Sha256::digest(text.as_bytes()))[..16].to_owned()
    }
}

/// A Rust enum that is a PostgreSQL enum type: `#[versioned(enum_type = ...)]` implements it
/// for each version's enum, and a struct's field of it maps to its type.
#[diagnostic::on_unimplemented(
    message = "no PostgreSQL type is known for `{Self}`; add #[col(sql_type = \"...\")], or make it a #[versioned(enum_type = \"...\")] enum",
    label = "neither a mapped type nor a versioned enum",
    note = "mapped types: i16, i32, i64, f32, f64, bool, String, Vec<u8>, Vec<T>, uuid::Uuid, chrono::{{DateTime<Utc>, NaiveDateTime, NaiveDate, NaiveTime}}, time::{{OffsetDateTime, PrimitiveDateTime, Date, Time}}, serde_json::Value, rust_decimal::Decimal, std::net::IpAddr"
)]
pub trait PgEnum {
    /// `schema.type`.
    const SQL_TYPE: &'static str;
    /// The database label of this value (what serde reads and writes too).
    fn label(&self) -> &'static str;
}

/// A value whose label an older version of the enum does not have yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelNotInVersion {
    /// `schema.type`.
    pub enum_type: &'static str,
    pub label: &'static str,
    /// The version asked for.
    pub version: u32,
}

impl std::fmt::Display for LabelNotInVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the label `{}` of {} does not exist at version {}",
            self.label, self.enum_type, self.version
        )
    }
}

impl std::error::Error for LabelNotInVersion {}
