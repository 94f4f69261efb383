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

use super::ChangeKind;
use super::add_column::{fill_trigger, not_null};
use crate::model::Column;
use crate::names::not_null_helper;
use crate::plan::rebuild::RERUNNABLE;
use crate::plan::{Ctx, Fill, Fragment, Impact, Lock, Phase, PlannedFile, Risk, Sql};
use crate::sql::raw::{self, Verify};

const BACK_TO_NULLABLE: &str = "Rollback: the column was nullable before its migration.";

/// `SetNotNull(column)` (`required_at`).
pub(super) struct SetNotNull<'a>(pub &'a Column);

impl SetNotNull<'_> {
    /// What fills the NULLs: `backfill`, else the default; none: the contract proves there
    /// are none left.
    fn fill_expr(&self) -> Option<&String> {
        self.0.backfill.as_ref().or(self.0.default.as_ref())
    }

    fn trigger(&self, ctx: &Ctx) -> Option<(Fragment, Fragment)> {
        let expr = self.fill_expr()?;
        Some(fill_trigger(
            &ctx.to.schema,
            &ctx.to.name,
            &self.0.name,
            expr,
        ))
    }
}

impl ChangeKind for SetNotNull<'_> {
    fn describe(&self) -> String {
        format!("{} becomes NOT NULL", self.0.name)
    }

    fn expand(&self, ctx: &Ctx) -> Vec<Fragment> {
        self.trigger(ctx)
            .map(|(mut expand, _)| {
                expand.summary =
                    format!("fill the NULLs written to {} (NOT NULL later)", self.0.name);
                expand
            })
            .into_iter()
            .collect()
    }

    fn fill(&self, _ctx: &Ctx) -> Vec<Fill> {
        self.fill_expr()
            .map(|expr| Fill {
                column: self.0.name.clone(),
                expr: expr.clone(),
                not_null: true,
            })
            .into_iter()
            .collect()
    }

    fn validate(&self, ctx: &Ctx) -> Vec<Fragment> {
        match self.fill_expr() {
            Some(_) => vec![not_null(&ctx.to.schema, &ctx.to.name, self.0)],
            None => Vec::new(),
        }
    }

    fn contract(&self, ctx: &Ctx) -> Vec<Fragment> {
        self.trigger(ctx)
            .map(|(_, contract)| contract)
            .into_iter()
            .collect()
    }

    fn contract_files(&self, ctx: &Ctx) -> Vec<PlannedFile> {
        match self.fill_expr() {
            Some(_) => Vec::new(),
            None => vec![prove_in_contract(ctx, self.0)],
        }
    }
}

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
    use crate::plan::test_utils::plan_source;

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
