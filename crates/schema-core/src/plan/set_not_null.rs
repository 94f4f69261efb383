//! A column that becomes NOT NULL (`required_at = K`); the old code may keep writing NULL until
//! the contract phase.
//!
//! - With a fill (`backfill`, else the default): a trigger fills the NULLs the old code
//!   writes, the backfill file fills the existing NULL rows in batches and adds
//!   `CHECK (col IS NOT NULL) NOT VALID`, the validate file proves it and sets NOT NULL (no
//!   scan) before the new code ships, and the contract drops the trigger: as for a backfilled
//!   column that is added.
//! - Without one, nothing may refuse the old code's NULLs before it is gone: a contract file
//!   adds the check `NOT VALID`, validates it (reads and writes continue), sets NOT NULL and
//!   drops the check, statement by statement; the validation fails, changing nothing, while a
//!   NULL is left (`plan` says so).
//!
//! The rollbacks drop NOT NULL again (the old code's type can hold NULL).

use super::add_column::{fill_trigger, not_null, not_null_helper};
use super::rebuild::RERUNNABLE;
use super::{Ctx, Fill, Fragment, Impact, Lock, Phase, PlannedFile, Risk, Sql, Stages};
use crate::model::Column;
use crate::sql::raw::{self, Verify};

const BACK_TO_NULLABLE: &str = "Rollback: the column was nullable before its migration.";

pub(super) fn plan(ctx: &Ctx, col: &Column, stages: &mut Stages) {
    let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
    match col.backfill.as_ref().or(col.default.as_ref()) {
        Some(expr) => {
            let (mut expand, contract) = fill_trigger(schema, table, &col.name, expr);
            expand.summary = format!("fill the NULLs written to {} (NOT NULL later)", col.name);
            stages.expand.push(expand);
            stages.fills.push(Fill {
                column: col.name.clone(),
                expr: expr.clone(),
                not_null: true,
            });
            stages.validate.push(not_null(schema, table, col));
            stages.contract.push(contract);
        }
        None => stages.contract_files.push(prove_in_contract(ctx, col)),
    }
}

/// Without a fill: NOT NULL proven once the old code, which may write NULL, is gone.
fn prove_in_contract(ctx: &Ctx, col: &Column) -> PlannedFile {
    let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
    let helper = not_null_helper(table, &col.name);
    let Fragment {
        forward: mut steps,
        verify,
        ..
    } = not_null(schema, table, col);
    // `not_null` validates a check the backfill added: here it is added first.
    steps.insert(
        0,
        Sql::new(raw::add_check_not_valid_if_missing(
            schema,
            table,
            &helper,
            &format!("{} IS NOT NULL", raw::ident(&col.name)),
        )),
    );
    for step in &mut steps[1..3] {
        *step = step
            .clone()
            .also_ignoring("prefer-robust-stmts", RERUNNABLE);
    }
    PlannedFile {
        slug: format!("required_{}", col.name),
        title: format!("{}: {} becomes NOT NULL", ctx.step_label(), col.name),
        phase: Phase::Contract,
        transactional: false,
        rollback_transactional: true,
        statement_timeout: None,
        forward: steps,
        verify,
        rollback: vec![Sql::ignoring(
            raw::drop_not_null(schema, table, &col.name),
            "ban-drop-not-null",
            BACK_TO_NULLABLE,
        )],
        rollback_verify: vec![Verify::column(schema, table, col, false)],
        rollback_note: None,
        impact: Impact {
            lock: Lock::AddValidateSetNotNull,
            rewrites: false,
            scans: true,
            risk: Risk::Medium,
            why: format!(
                "scans the table; fails, changing nothing, while a row has no {} (there is no backfill or default to give it one)",
                col.name
            ),
        },
        parts: Vec::new(),
    }
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use super::super::test_utils::plan_source;

    /// One column made NOT NULL with a backfill (trigger, batches, validate before the deploy)
    /// and one without (proven in the contract, once the old code is gone).
    #[test]
    fn columns_that_become_not_null() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "users", version = 2)]
            pub struct User {
                #[col(primary_key)]
                pub id: i64,
                pub email: String,
                #[col(required_at = 2, backfill = "split_part(email, '@', 1)")]
                pub handle: String,
                #[col(required_at = 2)]
                pub country: String,
            }
            "#
        ));
    }
}
