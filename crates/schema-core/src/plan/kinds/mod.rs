//! The change kinds: one file each, each one [`ChangeKind`].
//!
//! A kind says what its change adds to each stage of its version step, with the rollback of
//! each contribution beside it (a [`Fragment`] carries both); [`super::plan_step`] asks every
//! change of the step for each stage in turn and merges the answers into files. A stage a kind
//! has nothing for keeps the trait's default, which adds nothing.
//!
//! Adding a kind: its variant of [`Change`] (and the lines of `diff.rs` that find it), a file
//! here implementing [`ChangeKind`] with its snapshot tests, its arm in [`of`], and a pattern
//! fixture for the real round trip (`tests/fixtures/patterns/<kind>`, listed in
//! `tests/tests/common/mod.rs`).

mod add_check;
mod add_column;
mod add_foreign_key;
mod add_index;
mod add_unique;
mod change_default;
mod change_type;
mod create_table;
pub mod drop_column;
mod drop_constraint;
mod drop_index;
mod drop_not_null;
pub mod drop_table;
mod raw_sql;
mod rename_column;
mod rename_table;
mod set_not_null;

pub(super) use change_type::{Shadowed, finish as finish_shadowed};

use super::{Ctx, Fill, Fragment, PlannedFile};
use crate::diff::Change;

/// What one change adds to each stage of its step. Every stage but [`ChangeKind::describe`]
/// adds nothing unless the kind says otherwise.
pub trait ChangeKind {
    /// The change in a few words, for `plan` and errors: "add column email".
    fn describe(&self) -> String;

    /// Catalog-only statements in the step's `expand` transaction, before the deploy: new
    /// columns, triggers that keep the old code's writes whole, `NOT VALID` constraints.
    fn expand(&self, _ctx: &Ctx) -> Vec<Fragment> {
        Vec::new()
    }

    /// Columns the step's `backfill` file fills in existing rows, in batches.
    fn fill(&self, _ctx: &Ctx) -> Vec<Fill> {
        Vec::new()
    }

    /// Files of their own before the deploy, after the backfill: a table's creation,
    /// concurrent index builds, what cannot share a transaction.
    fn build(&self, _ctx: &Ctx) -> Vec<PlannedFile> {
        Vec::new()
    }

    /// Statements in the step's `validate` transaction, once the rows are filled:
    /// `VALIDATE CONSTRAINT`, `SET NOT NULL`.
    fn validate(&self, _ctx: &Ctx) -> Vec<Fragment> {
        Vec::new()
    }

    /// Catalog-only statements in the step's `contract` transaction, once the old code is gone:
    /// the helpers only the old code needed.
    fn contract(&self, _ctx: &Ctx) -> Vec<Fragment> {
        Vec::new()
    }

    /// Contract files of their own, when their rollback cannot share one transaction.
    fn contract_files(&self, _ctx: &Ctx) -> Vec<PlannedFile> {
        Vec::new()
    }

    /// A column the new code sees through the step's view, under its new type.
    fn shadow(&self, _ctx: &Ctx) -> Option<Shadowed> {
        None
    }
}

/// The kind that plans `change`.
pub fn of(change: &Change) -> Box<dyn ChangeKind + '_> {
    match change {
        Change::CreateTable(model) => Box::new(create_table::CreateTable(model)),
        Change::AddColumn(column) => Box::new(add_column::AddColumn(column)),
        Change::RenameColumn { old, new } => Box::new(rename_column::RenameColumn { old, new }),
        Change::DropColumn(column) => Box::new(drop_column::DropColumn(column)),
        Change::ChangeType { old, new, in_place } => Box::new(change_type::ChangeType {
            old,
            new,
            in_place: *in_place,
            through: Default::default(),
        }),
        Change::AddIndex(index) => Box::new(add_index::AddIndex(index)),
        Change::AddUnique(index) => Box::new(add_unique::AddUnique(index)),
        Change::AddForeignKey(fk) => Box::new(add_foreign_key::AddForeignKey(fk)),
        Change::AddCheck(check) => Box::new(add_check::AddCheck(check)),
        Change::DropNotNull(column) => Box::new(drop_not_null::DropNotNull(column)),
        Change::SetNotNull(column) => Box::new(set_not_null::SetNotNull(column)),
        Change::ChangeDefault { column, old } => Box::new(change_default::ChangeDefault {
            column,
            old: old.as_deref(),
        }),
        Change::DropTable(model) => Box::new(drop_table::DropTable(model)),
        Change::RenameTable { from, to } => Box::new(rename_table::RenameTable { from, to }),
        Change::DropIndex(index) => Box::new(drop_index::DropIndex(index)),
        Change::DropForeignKey(fk) => Box::new(drop_constraint::DropConstraint::ForeignKey(fk)),
        Change::DropCheck(check) => Box::new(drop_constraint::DropConstraint::Check(check)),
        Change::RawSql(step) => Box::new(raw_sql::RawSql(step)),
    }
}
