//! A unique constraint: a unique index built concurrently, then attached with
//! `ADD CONSTRAINT ... UNIQUE USING INDEX` (a brief lock, no scan).

use super::ChangeKind;
use super::add_index::slug;
use crate::model::Index;
use crate::plan::{Ctx, Impact, Lock, Phase, Piece, PlannedFile, Risk, Sql};
use crate::sql::raw::{self, Verify};
use crate::sql::statements;

/// `AddUnique(index)`: a unique constraint, backed by an index built concurrently.
pub(super) struct AddUnique<'a>(pub &'a Index);

impl ChangeKind for AddUnique<'_> {
    fn describe(&self) -> String {
        format!("add unique constraint {}", self.0.name)
    }

    fn build(&self, ctx: &Ctx) -> Vec<PlannedFile> {
        vec![plan_unique(ctx, self.0)]
    }
}

/// The file that builds the unique constraint `idx`.
pub(super) fn plan_unique(ctx: &Ctx, idx: &Index) -> PlannedFile {
    let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
    let leftover = Sql::new(raw::drop_invalid_index(schema, &idx.name));
    let build = Sql::new(statements::create_index(schema, table, idx, true)).run_alone();
    let attach = Sql::new(raw::attach_unique(schema, table, &idx.name));
    let detach = Sql::new(raw::drop_constraint_in_do(schema, table, &idx.name));
    let drop = Sql::new(statements::drop_index_concurrently(
        schema, table, &idx.name,
    ))
    .run_alone();
    PlannedFile {
        slug: slug("unique", idx),
        title: format!(
            "{}: unique {} on ({})",
            ctx.step_label(),
            idx.name,
            idx.keys()
        ),
        phase: Phase::Expand,
        transactional: false,
        rollback_transactional: false,
        statement_timeout: None,
        forward: vec![leftover.clone(), build.clone(), attach.clone()],
        verify: vec![
            Verify::IndexDef {
                schema: schema.into(),
                table: table.into(),
                index: idx.clone(),
            },
            Verify::Constraint {
                schema: schema.into(),
                table: table.into(),
                name: idx.name.clone(),
                validated: true,
            },
        ],
        rollback: vec![detach.clone(), drop],
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
        // For sqlx, where a migration can be reverted alone: the leftover check; the build
        // alone, undone by dropping the constraint and its index in one transaction; the attach,
        // undone by nothing, so that running it again after its own revert finds the constraint
        // (a detach would drop the index the build made, and the attach would fail).
        parts: vec![
            Piece::new(&[leftover], &[]),
            Piece::new(
                &[build],
                &[
                    detach,
                    Sql::ignoring(
                        statements::drop_index(schema, table, &idx.name),
                        "require-concurrent-index-deletion",
                        "Rollback, in the transaction that drops the constraint the index backs (which drops it too): a concurrent drop cannot share it.",
                    ),
                ],
            ),
            Piece::new(&[attach], &[]),
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
    use crate::plan::test_utils::plan_source;

    /// A unique constraint added to a column that holds rows: its index built concurrently in a
    /// file of its own, the invalid leftover of a failed build dropped first, then attached as
    /// the constraint.
    #[test]
    fn a_unique_constraint_on_a_new_column() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "users", version = 2)]
            pub struct User {
                #[col(primary_key)]
                pub id: i64,
                #[col(since = 2, unique)]
                pub handle: Option<String>,
            }
            "#
        ));
    }

    /// A composite unique constraint on columns that hold rows (struct-level `#[unique]`).
    #[test]
    fn a_composite_unique_constraint_on_existing_columns() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "orders", version = 2)]
            #[unique(columns(customer_id, external_ref), since = 2)]
            pub struct Order {
                #[col(primary_key)]
                pub id: i64,
                pub customer_id: i64,
                pub external_ref: String,
            }
            "#
        ));
    }
}
