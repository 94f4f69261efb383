//! A renamed column, through expand/contract. Old code keeps its name and new code gets the
//! new one until the contract phase; no view is needed because both columns exist.
//!
//! - expand: add the new column (nullable, no default yet) and a trigger that keeps old and
//!   new in step in both directions;
//! - backfill: copy the old values in batches; the NOT NULL of the old column is rebuilt on the
//!   new one (helper check, `VALIDATE`, `SET NOT NULL`), and its indexes, unique and foreign
//!   keys by their own change kinds;
//! - contract (after the deploy): drop the trigger, give the new column its default, drop the
//!   old column. Its values live on in the new column; the rollback rebuilds the old column
//!   from them, with its default, indexes, constraints and NOT NULL.
//!
//! The default goes on the new column only at contract: during the transition an insert that
//! leaves the new column NULL is how the trigger knows that old code wrote the row.

use super::ChangeKind;
use super::add_column::not_null;
use crate::model::Column;
use crate::names;
use crate::plan::rebuild::{self, RERUNNABLE};
use crate::plan::{Ctx, Fill, Fragment, Impact, Lock, Phase, PlannedFile, Risk, Sql};
use crate::sql::raw::{self, Verify};
use crate::sql::statements;

const DROP_SYNC: &str = "Drops the sync function of a rename; only its trigger used it.";

/// `RenameColumn { old, new }`: the same column under a new name.
pub(super) struct RenameColumn<'a> {
    pub old: &'a Column,
    pub new: &'a Column,
}

/// The trigger that keeps both names in step, from the expand to the contract, and the checks
/// on the table.
struct Sync<'a> {
    schema: &'a str,
    table: &'a str,
    name: String,
    function: Sql,
    create_trigger: Sql,
    drop_trigger: Sql,
    drop_function: Sql,
}

impl<'a> Sync<'a> {
    fn new(ctx: &'a Ctx, old: &Column, new: &Column) -> Sync<'a> {
        let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
        let name = names::object_name(&[table, &new.name], "sync");
        Sync {
            function: Sql::new(raw::sync_function(
                schema, &name, &old.name, &new.name, None, None,
            )),
            create_trigger: Sql::new(raw::create_row_trigger(schema, table, &name, &name)),
            drop_trigger: Sql::new(raw::drop_trigger_if_exists(schema, table, &name)),
            drop_function: Sql::ignoring(
                raw::drop_function_if_exists(schema, &name),
                "ban-drop-function",
                DROP_SYNC,
            ),
            schema,
            table,
            name,
        }
    }

    fn trigger(&self, exists: bool) -> Verify {
        Verify::Trigger {
            schema: self.schema.into(),
            table: self.table.into(),
            name: self.name.clone(),
            exists,
        }
    }

    fn absent(&self, c: &Column) -> Verify {
        Verify::ColumnAbsent {
            schema: self.schema.into(),
            table: self.table.into(),
            column: c.name.clone(),
        }
    }
}

impl ChangeKind for RenameColumn<'_> {
    fn describe(&self) -> String {
        format!("rename column {} to {}", self.old.name, self.new.name)
    }

    /// The new column beside the old one, and the trigger that keeps them in step.
    fn expand(&self, ctx: &Ctx) -> Vec<Fragment> {
        let (old, new) = (self.old, self.new);
        let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
        let sync = Sync::new(ctx, old, new);
        let trigger = |exists| sync.trigger(exists);
        let absent = |c| sync.absent(c);
        let (function, create_trigger) = (sync.function.clone(), sync.create_trigger.clone());
        let (drop_trigger, drop_function) = (sync.drop_trigger.clone(), sync.drop_function.clone());
        vec![Fragment {
            summary: format!(
                "add {} beside {} (rename), kept in step by a trigger",
                new.name, old.name
            ),
            forward: vec![
                Sql::new(statements::add_column(schema, table, new, false, false))
                    .declaring([new.sql_type.as_str()]),
                function.clone(),
                create_trigger.clone(),
            ],
            verify: vec![Verify::column(schema, table, new, false), trigger(true)],
            rollback: vec![
                drop_trigger.clone(),
                drop_function.clone(),
                Sql::ignoring(
                    statements::drop_column_if_exists(schema, table, &new.name),
                    "ban-drop-column",
                    "Rollback: drops only the new name of the column; the old one holds every value.",
                ),
            ],
            rollback_verify: vec![absent(new), trigger(false)],
        }]
    }

    /// The old values copied to the new column in batches.
    fn fill(&self, _ctx: &Ctx) -> Vec<Fill> {
        vec![Fill {
            column: self.new.name.clone(),
            expr: raw::ident(&self.old.name),
            not_null: !self.new.nullable,
        }]
    }

    fn validate(&self, ctx: &Ctx) -> Vec<Fragment> {
        if self.new.nullable {
            return Vec::new();
        }
        vec![not_null(&ctx.to.schema, &ctx.to.name, self.new)]
    }

    /// The old column goes. Its rollback, run while new code may be writing, adds it back and
    /// refills it from the new one, one re-runnable statement at a time.
    fn contract_files(&self, ctx: &Ctx) -> Vec<PlannedFile> {
        let (old, new) = (self.old, self.new);
        let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
        let sync = Sync::new(ctx, old, new);
        let trigger = |exists| sync.trigger(exists);
        let absent = |c| sync.absent(c);
        let (function, create_trigger) = (sync.function.clone(), sync.create_trigger.clone());
        let (drop_trigger, drop_function) = (sync.drop_trigger.clone(), sync.drop_function.clone());
        let mut forward = vec![drop_trigger.clone(), drop_function];
        if let Some(d) = &new.default {
            forward.push(Sql::new(raw::set_default(schema, table, &new.name, d)));
        }
        forward.push(Sql::ignoring(
        statements::drop_column_if_exists(schema, table, &old.name),
        "ban-drop-column",
        "Contract of a rename: every value of the old column lives on in the new one, and the rollback rebuilds the old column from it.",
    ));
        let mut rollback = vec![
            Sql::new(statements::add_column_if_not_exists(schema, table, old))
                .declaring([old.sql_type.as_str()]),
            function,
            drop_trigger,
            create_trigger,
            Sql::new(raw::backfill(
                schema,
                table,
                &ctx.to.primary_key,
                &[Fill {
                    column: old.name.clone(),
                    expr: raw::ident(&new.name),
                    not_null: false,
                }],
                &ctx.opts.pacing,
            ))
            .run_alone(),
        ];
        if let Some(d) = &old.default {
            rollback.push(Sql::ignoring(
                raw::set_default(schema, table, &old.name, d),
                "prefer-robust-stmts",
                RERUNNABLE,
            ));
            rollback.push(Sql {
                text: raw::drop_default(schema, table, &new.name),
                squawk_ignore: vec![
                    ("prefer-robust-stmts", RERUNNABLE),
                    (
                        "ban-drop-default",
                        "Rollback: the new column had no default before the contract.",
                    ),
                ],
                alone: false,
            });
        }
        let from = ctx.from.expect("a rename has a previous version");
        let mut rollback_verify = vec![
            Verify::column(schema, table, old, !old.nullable),
            trigger(true),
        ];
        rebuild::column_objects(
            from,
            &old.name,
            !old.nullable,
            &mut rollback,
            &mut rollback_verify,
        );
        vec![PlannedFile {
            slug: format!("contract_{}", old.name),
            title: format!(
                "{}: drop {} (renamed to {}) and its sync trigger",
                ctx.step_label(),
                old.name,
                new.name
            ),
            phase: Phase::Contract,
            transactional: true,
            rollback_transactional: false,
            statement_timeout: Some(ctx.opts.statement_timeout.clone()),
            forward,
            verify: vec![absent(old), trigger(false)],
            rollback,
            rollback_verify,
            rollback_note: Some(format!(
                "adds {} back and refills it in batches from {}, with its default, indexes, constraints and NOT NULL",
                old.name, new.name
            )),
            parts: Vec::new(),
            impact: Impact {
                lock: Lock::CatalogOnly,
                rewrites: false,
                scans: false,
                risk: Risk::Medium,
                why: format!(
                    "old code that still reads {} fails from here on: run it only once the old code is gone",
                    old.name
                ),
            },
        }]
    }
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use crate::plan::test_utils::plan_source;

    /// Both names live side by side, kept in step by the sync trigger, until the contract drops the old one; the rollback refills it.
    #[test]
    fn a_rename_through_expand_and_contract() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "users", version = 2)]
            pub struct User {
                #[col(primary_key)]
                pub id: i64,
                #[col(renamed_from = "name", renamed_at = 2)]
                pub full_name: String,
            }
            "#
        ));
    }
}
