//! A foreign key added to a table that exists: `NOT VALID` at expand, validated later.

use super::ChangeKind;
use crate::model::ForeignKey;
use crate::plan::not_valid::fragments;
use crate::plan::{Ctx, Fragment};
use crate::sql::raw::{self, Verify};
use crate::sql::statements;

/// `AddForeignKey(fk)`.
pub(super) struct AddForeignKey<'a>(pub &'a ForeignKey);

impl AddForeignKey<'_> {
    fn fragments(&self, ctx: &Ctx) -> (Fragment, Fragment) {
        let fk = self.0;
        let stmt = raw::not_valid(&statements::add_foreign_key(
            &ctx.to.schema,
            &ctx.to.name,
            fk,
        ));
        let what = format!(
            "foreign key {} -> {}.{}",
            fk.name, fk.ref_schema, fk.ref_table
        );
        let (expand, mut validate) = fragments(ctx, &fk.name, stmt, what);
        // Validated, and the one declared: its columns, target and actions.
        validate.verify.push(Verify::ForeignKeyDef {
            schema: ctx.to.schema.clone(),
            table: ctx.to.name.clone(),
            fk: fk.clone(),
        });
        (expand, validate)
    }
}

impl ChangeKind for AddForeignKey<'_> {
    fn describe(&self) -> String {
        format!("add foreign key {}", self.0.name)
    }

    fn expand(&self, ctx: &Ctx) -> Vec<Fragment> {
        vec![self.fragments(ctx).0]
    }

    fn validate(&self, ctx: &Ctx) -> Vec<Fragment> {
        vec![self.fragments(ctx).1]
    }
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use crate::plan::test_utils::{plan_error, plan_source, plan_steps};
    use crate::plan::{Lock, LockMode};

    /// A `validate` file that sets nothing NOT NULL says so: SHARE UPDATE EXCLUSIVE while it
    /// validates (ROW SHARE on the referenced table for a foreign key), never ACCESS EXCLUSIVE;
    /// with a column set NOT NULL beside it, the brief ACCESS EXCLUSIVE is back.
    #[test]
    fn a_file_that_only_validates_holds_share_update_exclusive() {
        let validate_lock = |fields: &str| {
            let steps = plan_steps(&format!(
                r#"
                #[versioned(table = "teams", version = 1)]
                pub struct Team {{
                    #[col(primary_key)]
                    pub id: i64,
                }}
                #[versioned(table = "users", version = 2)]
                pub struct User {{
                    #[col(primary_key)]
                    pub id: i64,
                    {fields}
                }}
                "#
            ));
            let step = steps
                .iter()
                .find(|s| s.from == Some(1))
                .expect("users v1 -> v2");
            let file = step
                .files
                .iter()
                .find(|f| f.slug == "validate")
                .expect("a validate file");
            (file.impact.lock, file.impact.lock.strongest())
        };
        assert_eq!(
            validate_lock(
                r#"#[col(since = 2, references = "teams(id)")] pub team_id: Option<i64>,"#
            ),
            (
                Lock::ValidateOnly { references: true },
                LockMode::ShareUpdateExclusive
            )
        );
        assert_eq!(
            validate_lock(r#"#[col(since = 2, check = "team_id > 0")] pub team_id: Option<i64>,"#),
            (
                Lock::ValidateOnly { references: false },
                LockMode::ShareUpdateExclusive
            )
        );
        assert_eq!(
            validate_lock(
                r#"#[col(since = 2, references = "teams(id)")] pub team_id: Option<i64>,
                   #[col(since = 2, backfill = "'x'")] pub name: String,"#
            ),
            (Lock::Validate, LockMode::AccessExclusive)
        );
    }

    /// A foreign key added with a new column: `NOT VALID` in the expand transaction,
    /// validated in a later one.
    #[test]
    fn a_foreign_key_on_a_new_column() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "teams", version = 1)]
            pub struct Team {
                #[col(primary_key)]
                pub id: i64,
            }
            #[versioned(table = "users", version = 2)]
            pub struct User {
                #[col(primary_key)]
                pub id: i64,
                #[col(since = 2, references = "teams(id)")]
                pub team_id: Option<i64>,
            }
            "#
        ));
    }

    /// A composite foreign key with its actions on columns that hold rows (struct-level
    /// `#[foreign_key]`): `NOT VALID` at expand, validated later, verified by its definition.
    #[test]
    fn a_composite_foreign_key_with_actions_on_existing_columns() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "accounts", version = 1)]
            #[unique(columns(tenant_id, id))]
            pub struct Account {
                #[col(primary_key)]
                pub id: i64,
                pub tenant_id: i64,
            }
            #[versioned(table = "invoices", version = 2)]
            #[foreign_key(columns(tenant_id, account_id), references = "accounts(tenant_id, id)", on_delete = "cascade", on_update = "restrict", since = 2)]
            pub struct Invoice {
                #[col(primary_key)]
                pub id: i64,
                pub tenant_id: i64,
                pub account_id: i64,
            }
            "#
        ));
    }

    /// A foreign key to columns that are neither the target's primary key nor unique, and one
    /// to a column the target does not have at that version: refused, naming table, version
    /// and fix.
    #[test]
    fn a_foreign_key_needs_a_unique_target_that_exists_then() {
        let source = |target: &str| {
            format!(
                r#"
                #[versioned(table = "customers", version = 2)]
                pub struct Customer {{
                    #[col(primary_key)]
                    pub id: i64,
                    pub region: String,
                    #[col(since = 2)]
                    pub code: Option<String>,
                }}
                #[versioned(table = "orders", version = 2)]
                #[foreign_key(columns(customer_id, region), references = "{target}", since = 2)]
                pub struct Order {{
                    #[col(primary_key)]
                    pub id: i64,
                    pub customer_id: i64,
                    pub region: String,
                }}
                "#
            )
        };
        assert_eq!(
            plan_error(&source("customers(id, region)")),
            "public.orders version 2, column `customer_id, region`: references public.customers, which has no primary key or unique constraint on (id, region) at version 2; reference a table and column that exist at that version"
        );
        assert_eq!(
            plan_error(&source("customers(id, colour)")),
            "public.orders version 2, column `customer_id, region`: references public.customers, which has no column `colour` at version 2; reference a table and column that exist at that version"
        );
    }
}
