//! A column that becomes nullable (`optional_at = K`): the old code's types cannot hold NULL,
//! so `DROP NOT NULL` waits for the contract phase, once that code is gone. It changes the
//! catalog alone.
//!
//! The rollback makes the column NOT NULL again after the new code may have written NULLs:
//! those rows take `down` (an expression over the row, on the field), else the default, in
//! batches; with neither it stops before changing anything and says how many rows need a
//! value. Then `CHECK (col IS NOT NULL) NOT VALID`, `VALIDATE` (reads and writes continue),
//! `SET NOT NULL` (no scan: the valid check proves it) and the helper check is dropped. It
//! runs statement by statement outside a transaction, each step safe to run again.

use super::ChangeKind;
use crate::model::Column;
use crate::names::not_null_helper;
use crate::plan::rebuild::RERUNNABLE;
use crate::plan::{Ctx, Fill, Impact, Lock, Phase, Piece, PlannedFile, Risk, Sql};
use crate::sql::raw::{self, Verify};

/// The statements that make `col` NOT NULL again after the new code may have left it NULL
/// (each safe to run again, outside a transaction), their checks, and what the rollback's
/// header says of the data: shared by this kind and by a dropped column's expand.
pub(super) fn restore_not_null(ctx: &Ctx, col: &Column) -> (Vec<Sql>, Vec<Verify>, String) {
    let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
    let helper = not_null_helper(table, &col.name);
    let mut rollback = Vec::new();
    match col.down.as_ref().or(col.default.as_ref()) {
        Some(value) => rollback.push(
            Sql::new(raw::backfill(
                schema,
                table,
                &ctx.to.primary_key,
                &[Fill {
                    column: col.name.clone(),
                    expr: value.clone(),
                    not_null: true,
                }],
                &ctx.opts.pacing,
            ))
            .run_alone(),
        ),
        // In the walk's place, and run the same way: a migration of its own in sqlx.
        None => rollback.push(Sql::new(raw::refuse_nulls(schema, table, &col.name)).run_alone()),
    }
    rollback.push(Sql::new(raw::add_check_not_valid_if_missing(
        schema,
        table,
        &helper,
        &format!("{} IS NOT NULL", raw::ident(&col.name)),
    )));
    rollback.push(
        Sql::new(raw::validate_constraint(schema, table, &helper))
            .also_ignoring("prefer-robust-stmts", RERUNNABLE),
    );
    rollback.push(
        Sql::new(raw::set_not_null(schema, table, &col.name))
            .also_ignoring("prefer-robust-stmts", RERUNNABLE),
    );
    rollback.push(Sql::ignoring(
        raw::drop_constraint_if_exists(schema, table, &helper),
        "ban-drop-constraint",
        "The helper check is no longer needed: the column is NOT NULL again.",
    ));
    let verify = vec![
        Verify::column(schema, table, col, true),
        Verify::ConstraintAbsent {
            schema: schema.into(),
            table: table.into(),
            name: helper,
        },
    ];
    let note = match (&col.down, &col.default) {
        (Some(down), _) => format!(
            "rows the new code left without {} get {down}, in batches, before it is NOT NULL again",
            col.name
        ),
        (None, Some(default)) => format!(
            "rows the new code left without {} get its default {default}, in batches, before it is NOT NULL again",
            col.name
        ),
        (None, None) => format!(
            "stops, changing nothing, while rows have no {} (there is no `down` or default to give them)",
            col.name
        ),
    };
    (rollback, verify, note)
}

/// For the sqlx layout, which runs each migration as one message and its downs newest first:
/// the forward statement with the last rollback statement as its down, then one migration per
/// earlier rollback statement (the batched fill, which commits, alone), so that the downs run
/// in the rollback's order.
pub(super) fn restore_parts(forward: &Sql, rollback: &[Sql]) -> Vec<Piece> {
    let (last, earlier) = rollback.split_last().expect("a rollback restores NOT NULL");
    let mut parts = vec![Piece::new(
        std::slice::from_ref(forward),
        std::slice::from_ref(last),
    )];
    for stmt in earlier.iter().rev() {
        parts.push(Piece::new(&[], std::slice::from_ref(stmt)));
    }
    parts
}

/// What makes a file that drops NOT NULL: its name, title and phase, why squawk's ban is
/// lifted, and what `plan` says of it.
pub(super) struct Relax {
    pub slug: String,
    pub title: String,
    pub phase: Phase,
    pub reason: &'static str,
    pub why: String,
}

/// A file that drops `col`'s NOT NULL (one statement in a transaction), with the rollback
/// that proves it again ([`restore_not_null`], cut into [`restore_parts`] for sqlx).
pub(super) fn relax_file(ctx: &Ctx, col: &Column, relax: Relax) -> PlannedFile {
    let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
    let (rollback, rollback_verify, note) = restore_not_null(ctx, col);
    let relax_stmt = Sql::ignoring(
        raw::drop_not_null(schema, table, &col.name),
        "ban-drop-not-null",
        relax.reason,
    );
    PlannedFile {
        slug: relax.slug,
        title: relax.title,
        phase: relax.phase,
        transactional: true,
        rollback_transactional: false,
        statement_timeout: Some(ctx.opts.statement_timeout.clone()),
        parts: restore_parts(&relax_stmt, &rollback),
        forward: vec![relax_stmt],
        verify: vec![Verify::column(schema, table, col, false)],
        rollback,
        rollback_verify,
        rollback_note: Some(note),
        impact: Impact {
            lock: Lock::CatalogOnly,
            rewrites: false,
            scans: false,
            risk: Risk::Low,
            why: relax.why,
        },
    }
}

/// `DropNotNull(column)` (`optional_at`).
pub(super) struct DropNotNull<'a>(pub &'a Column);

impl ChangeKind for DropNotNull<'_> {
    fn describe(&self) -> String {
        format!("{} becomes nullable", self.0.name)
    }

    fn contract_files(&self, ctx: &Ctx) -> Vec<PlannedFile> {
        vec![relax(ctx, self.0)]
    }
}

fn relax(ctx: &Ctx, col: &Column) -> PlannedFile {
    relax_file(
        ctx,
        col,
        Relax {
            slug: format!("optional_{}", col.name),
            title: format!("{}: {} becomes nullable", ctx.step_label(), col.name),
            phase: Phase::Contract,
            reason: "Contract: the old code, whose types cannot hold NULL, is gone; the new code may write NULL from here on.",
            why: format!(
                "the old code cannot read a NULL {}: run it only once the old code is gone",
                col.name
            ),
        },
    )
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use crate::plan::test_utils::plan_source;

    /// NOT NULL dropped in a contract file of its own; its rollback gives `down` to the rows
    /// left NULL, in batches, then proves NOT NULL the safe way.
    #[test]
    fn a_column_that_becomes_nullable() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "users", version = 2)]
            pub struct User {
                #[col(primary_key)]
                pub id: i64,
                pub email: String,
                #[col(optional_at = 2, down = "split_part(email, '@', 1)")]
                pub nickname: Option<String>,
            }
            "#
        ));
    }
}
