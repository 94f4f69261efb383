//! The steps of a PostgreSQL enum type: its creation at its first version, and each label
//! added later in a file of its own (so that it commits before a statement uses it).

use super::{Impact, Lock, Phase, PlanOptions, PlannedFile, Risk, Sql, Step};
use crate::enum_type::EnumHistory;
use crate::sql::enums::{self, Place};
use crate::sql::raw::Verify;

/// The step of enum type `e` at `version` (one of [`EnumHistory::step_versions`]).
pub fn enum_step(e: &EnumHistory, version: u32, opts: &PlanOptions) -> Step {
    let (schema, name) = (e.schema.as_str(), e.name.as_str());
    let impact = |why: &str| Impact {
        lock: Lock::CatalogOnly,
        rewrites: false,
        scans: false,
        risk: Risk::Low,
        why: why.into(),
    };
    let file =
        |slug: String, title: String, forward: Sql, verify: Verify, rollback: Sql| PlannedFile {
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
        };
    if version == e.since {
        let labels = e.labels_at(version);
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
            fingerprint: e.fingerprint(version),
            files: vec![create],
            view_schema: None,
            changes: vec![format!("create enum type {schema}.{name}")],
        };
    }
    let mut files = Vec::new();
    let mut changes = Vec::new();
    for (i, l) in e.labels.iter().enumerate() {
        if l.since != version {
            continue;
        }
        // After the label declared before it, else before the first one that exists.
        let place = match e.labels[..i].iter().rev().find(|p| p.since <= version) {
            Some(previous) => Place::After(&previous.label),
            None => Place::Before(
                &e.labels
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
    let previous = e
        .step_versions()
        .into_iter()
        .filter(|v| *v < version)
        .max()
        .unwrap_or(e.since);
    Step {
        schema: schema.into(),
        table: name.into(),
        from: Some(previous),
        to: version,
        fingerprint: format!("{}-{}", e.fingerprint(previous), e.fingerprint(version)),
        files,
        view_schema: None,
        changes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enum_type::Label;
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
