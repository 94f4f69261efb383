//! A check added to a table that exists: `NOT VALID` at expand, validated later.

use super::ChangeKind;
use crate::model::Check;
use crate::plan::not_valid::fragments;
use crate::plan::{Ctx, Fragment};
use crate::sql::raw;

/// `AddCheck(check)`.
pub(super) struct AddCheck<'a>(pub &'a Check);

impl AddCheck<'_> {
    fn fragments(&self, ctx: &Ctx) -> (Fragment, Fragment) {
        let check = self.0;
        let stmt = raw::add_constraint_not_valid(
            &ctx.to.schema,
            &ctx.to.name,
            &check.name,
            &format!("CHECK ({})", check.expr),
        );
        fragments(ctx, &check.name, stmt, format!("check {}", check.name))
    }
}

impl ChangeKind for AddCheck<'_> {
    fn describe(&self) -> String {
        format!("add check {}", self.0.name)
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
    use crate::plan::test_utils::plan_source;

    /// A check added with a new column: `NOT VALID` in the expand transaction, validated in a
    /// later one.
    #[test]
    fn a_check_on_a_new_column() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "users", version = 2)]
            pub struct User {
                #[col(primary_key)]
                pub id: i64,
                #[col(since = 2, check = "team_id > 0")]
                pub team_id: Option<i64>,
            }
            "#
        ));
    }

    /// A struct-level check over two columns that hold rows: `NOT VALID` at expand, validated
    /// later.
    #[test]
    fn a_check_on_existing_columns() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "orders", version = 2)]
            #[check(expr = "shipped_at IS NULL OR shipped_at >= created_at", since = 2)]
            pub struct Order {
                #[col(primary_key)]
                pub id: i64,
                pub created_at: i64,
                pub shipped_at: Option<i64>,
            }
            "#
        ));
    }
}
