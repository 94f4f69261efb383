//! The backfill file: fills existing rows in batches by primary key, one commit per batch,
//! then adds the `NOT VALID` helper checks of the NOT NULL columns it filled.

use super::{Ctx, Fill, Impact, Lock, Phase, Piece, PlannedFile, Risk, Sql};
use crate::names::not_null_helper;
use crate::sql::raw::{self, Verify};

pub(super) fn plan(ctx: &Ctx, fills: &[Fill]) -> PlannedFile {
    let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
    let walk = Sql::new(raw::backfill(
        schema,
        table,
        &ctx.to.primary_key,
        fills,
        &ctx.opts.pacing,
    ))
    .run_alone();
    let mut forward = vec![walk.clone()];
    let mut verify = Vec::new();
    let mut rollback = Vec::new();
    let mut rollback_verify = Vec::new();
    for fill in fills.iter().filter(|f| f.not_null) {
        let helper = not_null_helper(table, &fill.column);
        let expr = format!("{} IS NOT NULL", raw::ident(&fill.column));
        forward.push(Sql::new(raw::add_check_not_valid_if_missing(
            schema, table, &helper, &expr,
        )));
        verify.push(Verify::Constraint {
            schema: schema.into(),
            table: table.into(),
            name: helper.clone(),
            validated: false,
        });
        rollback.push(Sql::ignoring(
            raw::drop_constraint_if_exists(schema, table, &helper),
            "ban-drop-constraint",
            "Rollback: drops only the helper check its migration added.",
        ));
        rollback_verify.push(Verify::ConstraintAbsent {
            schema: schema.into(),
            table: table.into(),
            name: helper,
        });
    }
    let columns: Vec<&str> = fills.iter().map(|f| f.column.as_str()).collect();
    // The batched fill alone; then the helper checks, undone by dropping them.
    let mut parts = vec![Piece::new(&[walk], &[])];
    if forward.len() > 1 {
        parts.push(Piece::new(&forward[1..], &rollback));
    }
    PlannedFile {
        slug: "backfill".into(),
        title: format!(
            "{}: backfill {} in batches of up to {}",
            ctx.step_label(),
            columns.join(", "),
            ctx.opts.pacing.batch_size
        ),
        phase: Phase::Backfill,
        transactional: false,
        rollback_transactional: true,
        statement_timeout: None,
        forward,
        verify,
        rollback,
        rollback_verify,
        rollback_note: Some(
            "the filled values stay until the expand rollback drops their columns; no other column is touched"
                .into(),
        ),
        parts,
        impact: Impact {
            lock: Lock::RowBatches,
            rewrites: false,
            scans: true,
            risk: Risk::Medium,
            why: format!(
                "writes every existing row once, up to {} rows per commit, paced (WAL and dead tuples for vacuum)",
                ctx.opts.pacing.batch_size
            ),
        },
    }
}
