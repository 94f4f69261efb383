//! A PostgreSQL enum type across its versions (`#[versioned(enum_type = "...")]` on a Rust
//! enum), and its steps: the type created at its first version, each label added later in a
//! file of its own, so that it commits before any statement uses it.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::plan::{Impact, Lock, Phase, PlanOptions, PlannedFile, Risk, Sql, Step};
use crate::sql::enums::{self, Place};
use crate::sql::raw::Verify;

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

    fn fingerprint(&self, version: u32) -> String {
        let mut text = String::new();
        let _ = write!(text, "enum {}.{}", self.schema, self.name);
        for l in self.labels_at(version) {
            let _ = write!(text, "|{l}");
        }
        crate::model::hex(&Sha256::digest(text.as_bytes()))[..16].to_owned()
    }

    /// The step at `version` (one of [`EnumHistory::step_versions`]).
    pub fn step(&self, version: u32, opts: &PlanOptions) -> Step {
        let (schema, name) = (self.schema.as_str(), self.name.as_str());
        let impact = |why: &str| Impact {
            lock: Lock::CatalogOnly,
            rewrites: false,
            scans: false,
            risk: Risk::Low,
            why: why.into(),
        };
        let file = |slug: String, title: String, forward: Sql, verify: Verify, rollback: Sql| {
            PlannedFile {
                slug,
                title,
                phase: Phase::Expand,
                transactional: true,
                rollback_transactional: true,
                statement_timeout: Some(opts.statement_timeout.clone()),
                forward: vec![forward],
                verify: vec![verify],
                rollback: vec![rollback],
                rollback_verify: Vec::new(),
                rollback_note: None,
                impact: impact("catalog only; no table is read or written"),
                parts: Vec::new(),
            }
        };
        if version == self.since {
            let labels = self.labels_at(version);
            let mut create = file(
                "create".into(),
                format!(
                    "{name} v{version}: create enum type {schema}.{name} ({})",
                    labels.join(", ")
                ),
                Sql::new(enums::create(schema, name, &labels)),
                Verify::EnumLabels {
                    schema: schema.into(),
                    name: name.into(),
                    labels: labels.iter().map(|l| l.to_string()).collect(),
                },
                Sql::ignoring(
                    enums::drop(schema, name),
                    "ban-drop-type",
                    "Rollback of the type's creation: the type did not exist before.",
                ),
            );
            create.impact.lock = Lock::NewTable;
            create.rollback_verify = vec![Verify::EnumAbsent {
                schema: schema.into(),
                name: name.into(),
            }];
            return Step {
                schema: schema.into(),
                table: name.into(),
                from: None,
                to: version,
                fingerprint: self.fingerprint(version),
                files: vec![create],
                view_schema: None,
                changes: vec![format!("create enum type {schema}.{name}")],
            };
        }
        let mut files = Vec::new();
        let mut changes = Vec::new();
        for (i, l) in self.labels.iter().enumerate() {
            if l.since != version {
                continue;
            }
            // After the label declared before it, else before the first one that exists.
            let place = match self.labels[..i].iter().rev().find(|p| p.since <= version) {
                Some(previous) => Place::After(&previous.label),
                None => Place::Before(
                    &self
                        .labels
                        .iter()
                        .find(|n| n.since < version)
                        .expect("a type has a label from its creation")
                        .label,
                ),
            };
            let mut add = file(
                format!("label_{}", l.label),
                format!(
                    "{name} v{} -> v{version}: add label {}",
                    version - 1,
                    l.label
                ),
                Sql::new(enums::add_label(schema, name, &l.label, place)),
                Verify::EnumLabels {
                    schema: schema.into(),
                    name: name.into(),
                    labels: vec![l.label.clone()],
                },
                Sql::new(enums::refuse_label_in_use(schema, name, &l.label)),
            );
            add.rollback_note = Some(
                "PostgreSQL cannot drop an enum label: the label stays in the type, unused (running the migration again finds it); this rollback refuses, changing nothing, while a row holds it".into(),
            );
            files.push(add);
            changes.push(format!("add label {}", l.label));
        }
        let previous = self
            .step_versions()
            .into_iter()
            .filter(|v| *v < version)
            .max()
            .unwrap_or(self.since);
        Step {
            schema: schema.into(),
            table: name.into(),
            from: Some(previous),
            to: version,
            fingerprint: format!(
                "{}-{}",
                self.fingerprint(previous),
                self.fingerprint(version)
            ),
            files,
            view_schema: None,
            changes,
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{FieldHistory, TableHistory};
    use crate::plan::order::plan_all_with_enums;

    fn status(since: u32) -> EnumHistory {
        EnumHistory {
            rust_name: "Status".into(),
            schema: "public".into(),
            name: "status".into(),
            since,
            version: 3,
            labels: vec![
                Label {
                    variant: "Open".into(),
                    label: "open".into(),
                    since,
                },
                Label {
                    variant: "Shut".into(),
                    label: "shut".into(),
                    since: 3,
                },
            ],
        }
    }

    fn table(name: &str, column_since: u32) -> TableHistory {
        let mut id = FieldHistory::new("id", "bigint", false, 1);
        id.primary_key = true;
        TableHistory {
            rust_name: name.into(),
            schema: "public".into(),
            table: name.into(),
            since: 1,
            version: 3,
            until: None,
            renamed_from: None,
            fields: vec![
                id,
                FieldHistory::new("state", "public.status", true, column_since),
            ],
            objects: Vec::new(),
            raw_sql: Vec::new(),
        }
    }

    /// At each version the type's step comes before the tables' steps.
    #[test]
    fn the_type_and_its_labels_come_before_the_tables_of_their_version() {
        let steps =
            plan_all_with_enums(&[table("doors", 2)], &[status(1)], &PlanOptions::default())
                .unwrap();
        let order: Vec<(String, u32)> = steps.iter().map(|s| (s.table.clone(), s.to)).collect();
        let expected = [
            ("status", 1),
            ("doors", 1),
            ("doors", 2),
            ("status", 3),
            ("doors", 3),
        ];
        assert_eq!(order, expected.map(|(t, v)| (t.to_owned(), v)).to_vec());
        assert_eq!(steps[3].files[0].slug, "label_shut");
        assert!(
            steps[3].files[0].forward[0]
                .text
                .ends_with("ADD VALUE IF NOT EXISTS 'shut' AFTER 'open'")
        );
    }

    /// Labels added at versions 2 and 3, one file each, before the table's step of that
    /// version, whose new column takes the new label as its default.
    #[cfg(feature = "parser")]
    #[test]
    fn labels_added_later() {
        insta::assert_snapshot!(crate::plan::test_utils::plan_source(
            r#"
            #[versioned(enum_type = "order_status", version = 3)]
            pub enum OrderStatus {
                Pending,
                #[variant(since = 2)]
                Shipped,
                #[variant(since = 3, label = "lost_in_transit")]
                Lost,
                #[variant(since = 3)]
                Returned,
            }

            #[versioned(table = "orders", version = 2)]
            pub struct Order {
                #[col(primary_key)]
                pub id: i64,
                #[col(since = 2, default = "'shipped'")]
                pub status: Option<OrderStatus>,
            }
            "#
        ));
    }

    #[test]
    fn a_column_before_its_type_and_a_type_named_as_a_table_are_refused() {
        let err = plan_all_with_enums(&[table("doors", 1)], &[status(2)], &PlanOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "public.doors version 1, column `state`: its type public.status is created only at version 2; create the enum type at or before that version (`since` on `Status`), or add the column later"
        );
        let err = plan_all_with_enums(&[table("status", 1)], &[status(1)], &PlanOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("table public.status is declared twice"),
            "{err}"
        );
    }
}
