//! A new column.
//!
//! - nullable, or with a default proven non-volatile: `ADD COLUMN` in place (catalog only);
//! - with `backfill`, or with a default that may be volatile: added nullable (a volatile
//!   default is set for new rows only); a trigger fills it for rows old code writes without it
//!   (when there is no default to do so); the backfill file fills existing rows in batches;
//!   a NOT NULL column then gets `CHECK (col IS NOT NULL) NOT VALID`, `VALIDATE`, `SET NOT
//!   NULL` and the helper check is dropped; the trigger goes in the contract phase;
//! - a nullable column with `backfill`: added, and its existing rows filled in batches; no
//!   trigger (NULL is a value the new code may mean) and no NOT NULL steps.

use super::ChangeKind;
use crate::model::Column;
use crate::names;
use crate::plan::{Ctx, Fill, Fragment, Sql};
use crate::sql::raw::{self, Verify};
use crate::sql::statements;
use crate::volatility;

const DROP_FILL_FUNCTION: &str =
    "Drops the fill function its expand migration created; only the fill trigger used it.";
const DROP_ADDED_COLUMN: &str = "Rollback: drops only the column its migration added.";

use crate::names::not_null_helper;

/// `AddColumn(column)`: a column new at this version.
pub(super) struct AddColumn<'a>(pub &'a Column);

impl AddColumn<'_> {
    /// The value that fills the column for existing rows (and the old code's, when NOT NULL),
    /// when it is not added in place.
    fn fill_expr(&self) -> Option<&String> {
        let col = self.0;
        let default_in_place = col
            .default
            .as_deref()
            .is_none_or(volatility::is_non_volatile);
        if col.backfill.is_none() && default_in_place {
            return None;
        }
        Some(
            col.backfill
                .as_ref()
                .or(col.default.as_ref())
                .expect("a filled column has a backfill or a default"),
        )
    }

    /// A NOT NULL column without a default takes the old code's rows through a trigger; a
    /// nullable one is filled for the rows that exist only: a trigger could not tell a row of
    /// the old code from one in which the new code means NULL.
    fn needs_trigger(&self) -> bool {
        self.0.default.is_none() && !self.0.nullable
    }
}

impl ChangeKind for AddColumn<'_> {
    fn describe(&self) -> String {
        format!("add column {}", self.0.name)
    }

    fn expand(&self, ctx: &Ctx) -> Vec<Fragment> {
        let col = self.0;
        let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
        let absent = Verify::ColumnAbsent {
            schema: schema.into(),
            table: table.into(),
            column: col.name.clone(),
        };
        let drop = Sql::ignoring(
            statements::drop_column_if_exists(schema, table, &col.name),
            "ban-drop-column",
            DROP_ADDED_COLUMN,
        );

        let Some(expr) = self.fill_expr() else {
            return vec![Fragment {
                summary: match &col.default {
                    Some(d) => format!("add {} (default {d})", col.name),
                    None => format!("add {}", col.name),
                },
                forward: vec![
                    Sql::new(statements::add_column(
                        schema,
                        table,
                        col,
                        true,
                        !col.nullable,
                    ))
                    .declaring([col.sql_type.as_str()]),
                ],
                verify: vec![Verify::column(schema, table, col, !col.nullable)],
                rollback: vec![drop],
                rollback_verify: vec![absent],
            }];
        };

        // A filled column.
        let mut forward = vec![
            Sql::new(statements::add_column(schema, table, col, false, false))
                .declaring([col.sql_type.as_str()]),
        ];
        let mut verify = vec![Verify::column(schema, table, col, false)];
        let mut rollback = Vec::new();
        let mut rollback_verify = vec![absent];
        if let Some(default) = &col.default {
            forward.push(Sql::new(raw::set_default(
                schema, table, &col.name, default,
            )));
        }
        if self.needs_trigger() {
            let (expand, _) = fill_trigger(schema, table, &col.name, expr);
            forward.extend(expand.forward);
            verify.extend(expand.verify);
            rollback.extend(expand.rollback);
            rollback_verify.extend(expand.rollback_verify);
        }
        rollback.push(drop);
        vec![Fragment {
            summary: format!(
                "add {} (backfilled{})",
                col.name,
                if col.nullable { "" } else { ", NOT NULL later" }
            ),
            forward,
            verify,
            rollback,
            rollback_verify,
        }]
    }

    fn fill(&self, _ctx: &Ctx) -> Vec<Fill> {
        self.fill_expr()
            .map(|expr| Fill {
                column: self.0.name.clone(),
                expr: expr.clone(),
                not_null: !self.0.nullable,
            })
            .into_iter()
            .collect()
    }

    fn validate(&self, ctx: &Ctx) -> Vec<Fragment> {
        if self.fill_expr().is_none() || self.0.nullable {
            return Vec::new();
        }
        vec![not_null(&ctx.to.schema, &ctx.to.name, self.0)]
    }

    fn contract(&self, ctx: &Ctx) -> Vec<Fragment> {
        match self.fill_expr() {
            Some(expr) if self.needs_trigger() => {
                vec![fill_trigger(&ctx.to.schema, &ctx.to.name, &self.0.name, expr).1]
            }
            _ => Vec::new(),
        }
    }
}

/// The trigger that fills `column` with `expr` in rows written without a value (the old code's,
/// while a column is being made NOT NULL): what the expand adds (statements, checks and their
/// undoing; no summary) and the contract fragment that drops it.
pub(crate) fn fill_trigger(
    schema: &str,
    table: &str,
    column: &str,
    expr: &str,
) -> (Fragment, Fragment) {
    let fill_name = names::object_name(&[table, column], "fill");
    let function = Sql::new(raw::fill_function(schema, &fill_name, column, expr));
    let trigger = Sql::new(raw::create_row_trigger(
        schema, table, &fill_name, &fill_name,
    ));
    let trigger_is = |exists: bool| Verify::Trigger {
        schema: schema.into(),
        table: table.into(),
        name: fill_name.clone(),
        exists,
    };
    let function_gone = Verify::Function {
        schema: schema.into(),
        name: fill_name.clone(),
        exists: false,
    };
    let drop = vec![
        Sql::new(raw::drop_trigger_if_exists(schema, table, &fill_name)),
        Sql::ignoring(
            raw::drop_function_if_exists(schema, &fill_name),
            "ban-drop-function",
            DROP_FILL_FUNCTION,
        ),
    ];
    let expand = Fragment {
        summary: String::new(),
        forward: vec![function.clone(), trigger.clone()],
        verify: vec![trigger_is(true)],
        rollback: drop.clone(),
        rollback_verify: vec![function_gone.clone()],
    };
    let contract = Fragment {
        summary: format!("drop the fill trigger of {column}"),
        forward: drop,
        verify: vec![trigger_is(false), function_gone],
        rollback: vec![function, trigger],
        rollback_verify: vec![trigger_is(true)],
    };
    (expand, contract)
}

/// After a backfill: validate the helper `CHECK (col IS NOT NULL)`, set the column NOT NULL
/// (no scan: the valid check proves it) and drop the helper.
pub(crate) fn not_null(schema: &str, table: &str, col: &Column) -> Fragment {
    let helper = not_null_helper(table, &col.name);
    Fragment {
        summary: format!("set {} NOT NULL", col.name),
        forward: vec![
            Sql::new(raw::validate_constraint(schema, table, &helper)),
            Sql::new(raw::set_not_null(schema, table, &col.name)),
            Sql::ignoring(
                raw::drop_constraint_if_exists(schema, table, &helper),
                "ban-drop-constraint",
                "The helper check is no longer needed: the column is NOT NULL now.",
            ),
        ],
        verify: vec![
            Verify::column(schema, table, col, true),
            Verify::ConstraintAbsent {
                schema: schema.into(),
                table: table.into(),
                name: helper.clone(),
            },
        ],
        rollback: vec![
            Sql::new(raw::add_constraint_not_valid(
                schema,
                table,
                &helper,
                &format!("CHECK ({} IS NOT NULL)", raw::ident(&col.name)),
            )),
            Sql::ignoring(
                raw::drop_not_null(schema, table, &col.name),
                "ban-drop-not-null",
                "Rollback: the column was nullable before its migration.",
            ),
        ],
        rollback_verify: vec![
            Verify::column(schema, table, col, false),
            Verify::Constraint {
                schema: schema.into(),
                table: table.into(),
                name: helper,
                validated: false,
            },
        ],
    }
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use crate::plan::test_utils::plan_source;

    /// A nullable column and one with a constant default in place; a backfilled NOT NULL column through the fill trigger, the batched backfill, the helper check and SET NOT NULL.
    #[test]
    fn nullable_constant_default_and_backfilled_columns() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "users", version = 2)]
            pub struct User {
                #[col(primary_key)]
                pub id: i64,
                pub email: String,
                #[col(since = 2)]
                pub note: Option<String>,
                #[col(since = 2, default = "0")]
                pub logins: i64,
                #[col(since = 2, backfill = "split_part(email, '@', 1)")]
                pub handle: String,
            }
            "#
        ));
    }
}
