//! An index, built concurrently in its own no-transaction file.

use super::ChangeKind;
use crate::model::Index;
use crate::plan::{Ctx, Impact, Lock, Phase, Piece, PlannedFile, Risk, Sql};
use crate::sql::raw::{self, Verify};
use crate::sql::statements;

/// `AddIndex(index)`: a non-unique index.
pub(super) struct AddIndex<'a>(pub &'a Index);

impl ChangeKind for AddIndex<'_> {
    fn describe(&self) -> String {
        format!("add index {}", self.0.name)
    }

    fn build(&self, ctx: &Ctx) -> Vec<PlannedFile> {
        vec![plan_index(ctx, self.0)]
    }
}

/// The file names of index files: `index_<columns>`, `unique_<columns>`.
pub(super) fn slug(prefix: &str, idx: &Index) -> String {
    format!("{prefix}_{}", crate::names::words(&idx.keys()))
}

/// The file that builds `idx`.
pub(super) fn plan_index(ctx: &Ctx, idx: &Index) -> PlannedFile {
    let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
    let leftover = Sql::new(raw::drop_invalid_index(schema, &idx.name));
    let build = Sql::new(statements::create_index(schema, table, idx, true)).run_alone();
    let drop = Sql::new(statements::drop_index_concurrently(
        schema, table, &idx.name,
    ))
    .run_alone();
    PlannedFile {
        slug: slug("index", idx),
        title: format!("{}: index {} on ({})", ctx.step_label(), idx.name, idx.keys()),
        phase: Phase::Expand,
        transactional: false,
        rollback_transactional: false,
        statement_timeout: None,
        forward: vec![leftover.clone(), build.clone()],
        verify: vec![Verify::IndexDef { schema: schema.into(), table: table.into(), index: idx.clone() }],
        rollback: vec![drop.clone()],
        rollback_verify: vec![Verify::Index { schema: schema.into(), name: idx.name.clone(), exists: false }],
        rollback_note: None,
        // The leftover check, then the build alone (undone by the concurrent drop).
        parts: vec![Piece::new(&[leftover], &[]), Piece::new(&[build], &[drop])],
        impact: Impact {
            lock: Lock::ConcurrentBuild,
            rewrites: false,
            scans: true,
            risk: Risk::Low,
            why: "builds the index concurrently; an interrupted build is dropped and rebuilt on the next run".into(),
        },
    }
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use crate::plan::test_utils::{plan_error, plan_source};

    /// An index added to a column that holds rows: built concurrently in a file of its own,
    /// the invalid leftover of a failed build dropped first.
    #[test]
    fn an_index_on_a_new_column() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "users", version = 2)]
            pub struct User {
                #[col(primary_key)]
                pub id: i64,
                #[col(since = 2, index)]
                pub team: Option<i64>,
            }
            "#
        ));
    }

    /// Struct-level indexes on columns that hold rows: composite, a unique expression index,
    /// another method, a partial index with included columns; each built concurrently in a
    /// file of its own and verified by its definition.
    #[test]
    fn indexes_of_every_shape_on_existing_columns() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "orders", version = 2)]
            #[index(columns(customer_id, created_at), since = 2)]
            #[index(expr = "lower(email)", unique, since = 2, name = "orders_email_ci")]
            #[index(columns(created_at), using = "brin", since = 2)]
            #[index(columns(status), predicate = "status <> 'done'", include(total_cents), since = 2)]
            pub struct Order {
                #[col(primary_key)]
                pub id: i64,
                pub customer_id: i64,
                pub email: String,
                pub status: String,
                pub total_cents: i64,
                pub created_at: i64,
            }
            "#
        ));
    }

    /// Two tables with an index of the same name at the same version: refused.
    #[test]
    fn index_names_are_per_schema() {
        let err = plan_error(
            r#"
            #[versioned(table = "a", version = 1)]
            #[index(columns(x), name = "by_x")]
            pub struct A {
                #[col(primary_key)]
                pub id: i64,
                pub x: i64,
            }
            #[versioned(table = "b", version = 2)]
            #[index(columns(x), name = "by_x", since = 2)]
            pub struct B {
                #[col(primary_key)]
                pub id: i64,
                pub x: i64,
            }
            "#,
        );
        assert_eq!(
            err,
            "public.b version 2: its index by_x has the name of an index of public.a, and index names are per schema; give one of them another `name`"
        );
    }
}
