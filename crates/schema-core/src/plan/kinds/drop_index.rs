//! An index or unique constraint ended by `until` on its struct-level attribute: dropped in a
//! contract file of its own, once the old code (whose queries may need it) is gone.
//!
//! - An index: `DROP INDEX CONCURRENTLY` alone (reads and writes continue).
//! - A unique constraint: `ALTER TABLE ... DROP CONSTRAINT`, which drops its index with it
//!   (catalog only, a brief lock; the index of a constraint cannot be dropped concurrently).
//!
//! The rollback rebuilds it the safe way, as [`super::add_index`] and [`super::add_unique`]
//! build it. For a unique one it first counts the keys that rows written since share: while
//! there are any it stops, changing nothing, and says how to find them.

use super::ChangeKind;
use super::add_index::{plan_index, slug};
use super::add_unique::plan_unique;
use crate::model::Index;
use crate::plan::{Ctx, Impact, Lock, Phase, Piece, PlannedFile, Risk, Sql};
use crate::sql::objects::{Breaks, refuse_breaks};
use crate::sql::{raw, statements};

/// `DropIndex(index)`.
pub(super) struct DropIndex<'a>(pub &'a Index);

const DROP_UNIQUE: &str = "Contract: the unique constraint ends here (`until` on its #[unique]); its index goes with it, under a brief lock, as a constraint's index cannot be dropped concurrently.";

impl ChangeKind for DropIndex<'_> {
    fn describe(&self) -> String {
        let what = if self.0.unique {
            "unique constraint"
        } else {
            "index"
        };
        format!("drop {what} {}", self.0.name)
    }

    fn contract_files(&self, ctx: &Ctx) -> Vec<PlannedFile> {
        let idx = self.0;
        let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
        // The file that builds it, turned around: its rollback is this file's forward.
        let build = if idx.unique {
            plan_unique(ctx, idx)
        } else {
            plan_index(ctx, idx)
        };
        let mut rebuild = build.forward.clone();
        let mut pieces = build.parts.clone();
        if idx.unique || idx.unique_index {
            let refuse = Sql::new(refuse_breaks(schema, table, &Breaks::Duplicates(idx)));
            rebuild.insert(0, refuse.clone());
            pieces.insert(0, Piece::new(&[refuse], &[]));
        }
        let (drop, lock, why) = if idx.unique {
            (
                Sql::ignoring(
                    raw::drop_constraint_if_exists(schema, table, &idx.name),
                    "ban-drop-constraint",
                    DROP_UNIQUE,
                ),
                Lock::CatalogOnly,
                "drops the constraint and its index; the rollback rebuilds the index concurrently and refuses, changing nothing, while rows written since share a key",
            )
        } else {
            (
                Sql::new(statements::drop_index_concurrently(
                    schema, table, &idx.name,
                ))
                .run_alone(),
                Lock::ConcurrentDrop,
                "drops the index concurrently; the rollback rebuilds it concurrently",
            )
        };
        // sqlx runs each piece as a migration and reverts newest first: the drop, undone by
        // the rebuild's last piece; the rebuild's earlier pieces as migrations with only a down.
        let (last, earlier) = pieces.split_last().expect("a build has pieces");
        let mut parts = vec![Piece::new(std::slice::from_ref(&drop), &last.forward)];
        for piece in earlier.iter().rev() {
            parts.push(Piece::new(&[], &piece.forward));
        }
        vec![PlannedFile {
            slug: format!(
                "drop_{}",
                slug(if idx.unique { "unique" } else { "index" }, idx)
            ),
            title: format!(
                "{}: drop {} {} on ({})",
                ctx.step_label(),
                if idx.unique { "unique" } else { "index" },
                idx.name,
                idx.keys()
            ),
            phase: Phase::Contract,
            transactional: idx.unique,
            rollback_transactional: false,
            statement_timeout: idx.unique.then(|| ctx.opts.statement_timeout.clone()),
            forward: vec![drop],
            verify: build.rollback_verify.clone(),
            rollback: rebuild,
            rollback_verify: build.verify.clone(),
            rollback_note: (idx.unique || idx.unique_index).then(|| {
                format!(
                    "stops, changing nothing, while rows written since the drop share a key of {}",
                    idx.name
                )
            }),
            parts,
            impact: Impact {
                lock,
                rewrites: false,
                scans: false,
                risk: Risk::Low,
                why: why.into(),
            },
        }]
    }
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use crate::plan::test_utils::plan_source;

    /// An index and a unique constraint ended at version 3: dropped in contract files (the
    /// index concurrently), each rollback rebuilding it concurrently, the unique one refusing
    /// first while rows share a key.
    #[test]
    fn an_index_and_a_unique_constraint_dropped() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "orders", version = 3)]
            #[index(columns(customer_id, created_at), since = 2, until = 3)]
            #[unique(columns(external_ref), until = 3)]
            pub struct Order {
                #[col(primary_key)]
                pub id: i64,
                pub customer_id: i64,
                pub created_at: i64,
                pub external_ref: String,
            }
            "#
        ));
    }
}
