//! Indexes, built concurrently, each in its own no-transaction file.
//!
//! A unique constraint is a unique index built concurrently, then attached with
//! `ADD CONSTRAINT ... UNIQUE USING INDEX` (a brief lock, no scan).

use super::{Ctx, Impact, Lock, Part, Phase, PlannedFile, Risk, Sql};
use crate::model::Index;
use crate::sql::raw::{self, Verify};
use crate::sql::statements;

fn slug(prefix: &str, idx: &Index) -> String {
    format!("{prefix}_{}", idx.columns.join("_"))
}

pub(super) fn plan_index(ctx: &Ctx, idx: &Index) -> PlannedFile {
    let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
    PlannedFile {
        slug: slug("index", idx),
        title: format!("{}: index {} on ({})", ctx.step_label(), idx.name, idx.columns.join(", ")),
        phase: Phase::Expand,
        transactional: false,
        rollback_transactional: false,
        statement_timeout: None,
        forward: vec![
            Sql::new(raw::drop_invalid_index(schema, &idx.name)),
            Sql::new(statements::create_index(schema, table, idx, true)),
        ],
        verify: vec![Verify::Index { schema: schema.into(), name: idx.name.clone(), exists: true }],
        rollback: vec![Sql::new(statements::drop_index_concurrently(schema, table, &idx.name))],
        rollback_verify: vec![Verify::Index { schema: schema.into(), name: idx.name.clone(), exists: false }],
        rollback_note: None,
        // The leftover check, then the build alone (undone by the concurrent drop).
        parts: vec![Part::new(0..1, 0..0, false, false), Part::new(1..2, 0..1, true, true)],
        impact: Impact {
            lock: Lock::ConcurrentBuild,
            rewrites: false,
            scans: true,
            risk: Risk::Low,
            why: "builds the index concurrently; an interrupted build is dropped and rebuilt on the next run".into(),
        },
    }
}

pub(super) fn plan_unique(ctx: &Ctx, idx: &Index) -> PlannedFile {
    let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
    PlannedFile {
        slug: slug("unique", idx),
        title: format!(
            "{}: unique {} on ({})",
            ctx.step_label(),
            idx.name,
            idx.columns.join(", ")
        ),
        phase: Phase::Expand,
        transactional: false,
        rollback_transactional: false,
        statement_timeout: None,
        forward: vec![
            Sql::new(raw::drop_invalid_index(schema, &idx.name)),
            Sql::new(statements::create_index(schema, table, idx, true)),
            Sql::new(raw::attach_unique(schema, table, &idx.name)),
        ],
        verify: vec![
            Verify::Index {
                schema: schema.into(),
                name: idx.name.clone(),
                exists: true,
            },
            Verify::Constraint {
                schema: schema.into(),
                table: table.into(),
                name: idx.name.clone(),
                validated: true,
            },
        ],
        rollback: vec![
            Sql::new(raw::drop_constraint_in_do(schema, table, &idx.name)),
            Sql::new(statements::drop_index_concurrently(
                schema, table, &idx.name,
            )),
        ],
        rollback_verify: vec![
            Verify::ConstraintAbsent {
                schema: schema.into(),
                table: table.into(),
                name: idx.name.clone(),
            },
            Verify::Index {
                schema: schema.into(),
                name: idx.name.clone(),
                exists: false,
            },
        ],
        rollback_note: None,
        // The leftover check; the build alone (undone by the concurrent drop); the attach
        // (undone by dropping the constraint).
        parts: vec![
            Part::new(0..1, 0..0, false, false),
            Part::new(1..2, 1..2, true, true),
            Part::new(2..3, 0..1, false, false),
        ],
        impact: Impact {
            lock: Lock::ConcurrentBuildThenAttach,
            rewrites: false,
            scans: true,
            risk: Risk::Medium,
            why: "fails, leaving no constraint, if existing rows hold duplicates".into(),
        },
    }
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use super::super::test_utils::plan_source;

    /// An index and a unique constraint added to columns that hold rows: each built
    /// concurrently in a file of its own, the invalid leftover of a failed build dropped first,
    /// the unique index then attached as the constraint.
    #[test]
    fn index_and_unique_on_a_new_column() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "users", version = 2)]
            pub struct User {
                #[col(primary_key)]
                pub id: i64,
                #[col(since = 2, index)]
                pub team: Option<i64>,
                #[col(since = 2, unique)]
                pub handle: Option<String>,
            }
            "#
        ));
    }
}
