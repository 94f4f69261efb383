//! A renamed table (`renamed_from = "old"`, `renamed_at = K` on `#[versioned]`), through
//! expand/contract. Both names work until the contract phase.
//!
//! - expand (one transaction, catalog only): the table takes its new name, its primary key,
//!   indexes and constraints the names that follow it (`users_email_key` becomes
//!   `accounts_email_key`, so later versions find them under their model names), and a view
//!   under the old name shows the old version's columns. A view over one table with plain
//!   columns takes inserts, updates and deletes (PostgreSQL makes it updatable), and the
//!   table's defaults, identity and sequences apply to rows inserted through it: the old code
//!   keeps working through the old name, the new code uses the new one. Foreign keys, sequences
//!   and indexes follow the table itself, not its name, and keep working.
//! - contract (after the deploy): the view goes.
//!
//! Each rollback undoes its file: the contract's brings the view back; the expand's drops it
//! and gives the table and its objects their old names.

use super::ChangeKind;
use crate::model::TableModel;
use crate::names;
use crate::plan::{Ctx, Fragment, Sql};
use crate::sql::raw::{self, Verify};

const OLD_NAME_VIEW: &str = "The old code keeps the table's old name through a view created in the same transaction; the new code uses the new name.";
const NAMES_FOLLOW: &str = "The table's objects take names that follow its new name, under which later versions find them.";
const ROLLBACK_NAMES: &str = "Rollback: the table and its objects take back the names they had before the migration, with no view in between.";
const VIEW_GONE: &str =
    "Contract: only the old code, which is gone, used the old name; the table keeps its new one.";

/// `RenameTable { from, to }`.
pub(super) struct RenameTable<'a> {
    pub from: &'a TableModel,
    pub to: &'a TableModel,
}

impl RenameTable<'_> {
    /// `(old name, new name)` of the objects whose names follow the table's: the primary key,
    /// the indexes (with the unique constraints they back), foreign keys and checks. `true`:
    /// an index.
    fn objects(&self) -> Vec<(String, String, bool)> {
        let (from, to) = (self.from, self.to);
        let mut out = Vec::new();
        if !from.primary_key.is_empty() {
            out.push((
                names::object_name(&[&from.name], "pkey"),
                names::object_name(&[&to.name], "pkey"),
                true,
            ));
        }
        out.extend(
            from.indexes
                .iter()
                .zip(&to.indexes)
                .map(|(a, b)| (a.name.clone(), b.name.clone(), true)),
        );
        out.extend(
            from.foreign_keys
                .iter()
                .zip(&to.foreign_keys)
                .map(|(a, b)| (a.name.clone(), b.name.clone(), false)),
        );
        out.extend(
            from.checks
                .iter()
                .zip(&to.checks)
                .map(|(a, b)| (a.name.clone(), b.name.clone(), false)),
        );
        out.retain(|(old, new, _)| old != new);
        out
    }

    fn create_view(&self) -> Sql {
        let columns: Vec<String> = self.from.columns.iter().map(|c| c.name.clone()).collect();
        Sql::new(raw::create_view_of(
            &self.to.schema,
            &self.from.name,
            &self.to.name,
            &columns,
        ))
    }

    fn drop_view(&self, why: &'static str) -> Sql {
        Sql::ignoring(
            raw::drop_view_if_exists(&self.to.schema, &self.from.name),
            "ban-drop-view",
            why,
        )
    }

    fn view(&self, exists: bool) -> Verify {
        Verify::View {
            schema: self.to.schema.clone(),
            name: self.from.name.clone(),
            exists,
        }
    }
}

impl ChangeKind for RenameTable<'_> {
    fn describe(&self) -> String {
        format!("rename table {} to {}", self.from.name, self.to.name)
    }

    fn expand(&self, _ctx: &Ctx) -> Vec<Fragment> {
        let (schema, old, new) = (
            self.to.schema.as_str(),
            self.from.name.as_str(),
            self.to.name.as_str(),
        );
        let mut forward = vec![Sql::ignoring(
            raw::rename_table(schema, old, new, false),
            "renaming-table",
            OLD_NAME_VIEW,
        )];
        let mut verify = vec![Verify::Table {
            schema: schema.into(),
            table: new.into(),
            exists: true,
        }];
        let mut rollback =
            vec![self.drop_view(
                "Rollback: the table takes its old name back, in the same transaction.",
            )];
        let mut rollback_verify = vec![
            self.view(false),
            Verify::Table {
                schema: schema.into(),
                table: old.into(),
                exists: true,
            },
        ];
        let mut renames_back = Vec::new();
        for (before, after, index) in self.objects() {
            if index {
                forward.push(Sql::ignoring(
                    raw::rename_index(schema, &before, &after, false),
                    "renaming-object",
                    NAMES_FOLLOW,
                ));
                verify.push(Verify::Index {
                    schema: schema.into(),
                    name: after.clone(),
                    exists: true,
                });
                renames_back.push(Sql::ignoring(
                    raw::rename_index(schema, &after, &before, false),
                    "renaming-object",
                    ROLLBACK_NAMES,
                ));
                rollback_verify.push(Verify::Index {
                    schema: schema.into(),
                    name: before,
                    exists: true,
                });
            } else {
                forward.push(Sql::ignoring(
                    raw::rename_constraint(schema, new, &before, &after),
                    "renaming-object",
                    NAMES_FOLLOW,
                ));
                verify.push(Verify::ConstraintAbsent {
                    schema: schema.into(),
                    table: new.into(),
                    name: before.clone(),
                });
                renames_back.push(Sql::ignoring(
                    raw::rename_constraint(schema, new, &after, &before),
                    "renaming-object",
                    ROLLBACK_NAMES,
                ));
                rollback_verify.push(Verify::ConstraintAbsent {
                    schema: schema.into(),
                    table: old.into(),
                    name: after,
                });
            }
        }
        forward.push(self.create_view());
        verify.push(self.view(true));
        rollback.extend(renames_back);
        rollback.push(Sql::ignoring(
            raw::rename_table(schema, new, old, false),
            "renaming-table",
            ROLLBACK_NAMES,
        ));
        vec![Fragment {
            summary: format!("rename {old} to {new}; a view keeps the old name for the old code"),
            forward,
            verify,
            rollback,
            rollback_verify,
        }]
    }

    fn contract(&self, _ctx: &Ctx) -> Vec<Fragment> {
        vec![Fragment {
            summary: format!("drop the view {} (the old name)", self.from.name),
            forward: vec![self.drop_view(VIEW_GONE)],
            verify: vec![self.view(false)],
            rollback: vec![self.create_view()],
            rollback_verify: vec![self.view(true)],
        }]
    }
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use crate::plan::test_utils::plan_source;

    /// The table takes its new name with its objects' names in the expand, a view under the old
    /// name serves the old code until the contract drops it.
    #[test]
    fn a_table_renamed_through_a_view() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "accounts", version = 2, renamed_from = "users", renamed_at = 2)]
            pub struct Account {
                #[col(primary_key, identity)]
                pub id: i64,
                #[col(unique)]
                pub email: String,
                #[col(check = "length(name) > 0")]
                pub name: String,
            }
            "#
        ));
    }
}
