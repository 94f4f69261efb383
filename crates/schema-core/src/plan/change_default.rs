//! A column's default changes (`default_at = K`, with `old_default` for the versions before).
//! Both change the catalog alone, whatever the expression (a volatile one too): existing rows
//! keep their values.
//!
//! - A default set or changed: `ALTER COLUMN ... SET DEFAULT` in the expand transaction; rows
//!   inserted from then on without the column, by old code or new, take it.
//! - A default dropped: `DROP DEFAULT` in the contract phase, once the old code, which may
//!   insert without the column and count on it (a NOT NULL column would refuse its rows), is
//!   gone.
//!
//! Each rollback puts the old default back, or drops the one its migration set.

use super::{Ctx, Fragment, Sql, Stages};
use crate::model::Column;
use crate::sql::raw::{self, Verify};

const ROLLBACK_DROP: &str = "Rollback: the column had no default before this migration; the old code, which runs again, does not count on one.";
const CONTRACT_DROP: &str = "Contract: the old code, which could insert without the column and count on its default, is gone.";

/// `SET DEFAULT expr`, or `DROP DEFAULT` (accepted by squawk for `why`), and its check.
fn set(
    schema: &str,
    table: &str,
    column: &str,
    default: Option<&str>,
    why: &'static str,
) -> (Sql, Verify) {
    let sql = match default {
        Some(expr) => Sql::new(raw::set_default(schema, table, column, expr)),
        None => Sql::ignoring(
            raw::drop_default(schema, table, column),
            "ban-drop-default",
            why,
        ),
    };
    let verify = Verify::Default {
        schema: schema.into(),
        table: table.into(),
        column: column.into(),
        exists: default.is_some(),
    };
    (sql, verify)
}

pub(super) fn plan(ctx: &Ctx, col: &Column, old: Option<&str>, stages: &mut Stages) {
    let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
    let (forward, verify) = set(
        schema,
        table,
        &col.name,
        col.default.as_deref(),
        CONTRACT_DROP,
    );
    let (rollback, rollback_verify) = set(schema, table, &col.name, old, ROLLBACK_DROP);
    let fragment = Fragment {
        summary: match &col.default {
            Some(d) => format!("set the default of {} to {d}", col.name),
            None => format!("drop the default of {}", col.name),
        },
        forward: vec![forward],
        verify: vec![verify],
        rollback: vec![rollback],
        rollback_verify: vec![rollback_verify],
    };
    match col.default {
        Some(_) => stages.expand.push(fragment),
        None => stages.contract.push(fragment),
    }
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use super::super::test_utils::plan_source;

    /// A default added and one changed (to a volatile expression: still catalog only) in the
    /// expand transaction, one dropped in the contract; each rollback puts the old one back.
    #[test]
    fn defaults_added_changed_and_dropped() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "orders", version = 2)]
            pub struct Order {
                #[col(primary_key)]
                pub id: i64,
                #[col(default_at = 2, default = "'new'")]
                pub status: String,
                #[col(default_at = 2, old_default = "0", default = "(random() * 100)::bigint")]
                pub priority: i64,
                #[col(default_at = 2, old_default = "now()")]
                pub placed_at: Option<chrono::DateTime<chrono::Utc>>,
            }
            "#
        ));
    }
}
