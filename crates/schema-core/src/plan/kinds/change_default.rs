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

use super::ChangeKind;
use crate::model::Column;
use crate::plan::{Ctx, Fragment, Sql};
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

/// `ChangeDefault { column, old }`: the column's default becomes `column.default`.
pub(super) struct ChangeDefault<'a> {
    pub column: &'a Column,
    pub old: Option<&'a str>,
}

impl ChangeDefault<'_> {
    fn fragment(&self, ctx: &Ctx) -> Fragment {
        let (col, old) = (self.column, self.old);
        let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
        let (forward, verify) = set(
            schema,
            table,
            &col.name,
            col.default.as_deref(),
            CONTRACT_DROP,
        );
        let (rollback, rollback_verify) = set(schema, table, &col.name, old, ROLLBACK_DROP);
        Fragment {
            summary: match &col.default {
                Some(d) => format!("set the default of {} to {d}", col.name),
                None => format!("drop the default of {}", col.name),
            },
            forward: vec![forward],
            verify: vec![verify],
            rollback: vec![rollback],
            rollback_verify: vec![rollback_verify],
        }
    }
}

/// A default set or changed goes before the deploy (the new code may count on it); a default
/// dropped waits for the old code, which may, to be gone.
impl ChangeKind for ChangeDefault<'_> {
    fn describe(&self) -> String {
        format!("change the default of {}", self.column.name)
    }

    fn expand(&self, ctx: &Ctx) -> Vec<Fragment> {
        match self.column.default {
            Some(_) => vec![self.fragment(ctx)],
            None => Vec::new(),
        }
    }

    fn contract(&self, ctx: &Ctx) -> Vec<Fragment> {
        match self.column.default {
            Some(_) => Vec::new(),
            None => vec![self.fragment(ctx)],
        }
    }
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use crate::plan::test_utils::plan_source;

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
