//! Foreign keys and checks: `ADD CONSTRAINT ... NOT VALID` in the expand transaction (a brief
//! lock, no scan), `VALIDATE CONSTRAINT` in a later transaction (a scan under a lock that lets
//! reads and writes through).

use super::{Ctx, Fragment, Sql};
use crate::sql::raw::{self, Verify};

const DROP_ADDED: &str = "Rollback: drops only the constraint its migration added.";
const UNVALIDATE: &str =
    "Rollback: the constraint was NOT VALID before; it is re-added as NOT VALID, without a scan.";

/// The expand fragment (the constraint added `NOT VALID`) and the validate fragment of
/// constraint `name`, added by `add_not_valid`; `what` names it in titles.
pub(super) fn fragments(
    ctx: &Ctx,
    name: &str,
    add_not_valid: String,
    what: String,
) -> (Fragment, Fragment) {
    let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
    let exists = |validated| Verify::Constraint {
        schema: schema.into(),
        table: table.into(),
        name: name.into(),
        validated,
    };
    let expand = Fragment {
        summary: format!("add {what} NOT VALID"),
        forward: vec![Sql::new(add_not_valid.clone())],
        verify: vec![exists(false)],
        rollback: vec![Sql::ignoring(
            raw::drop_constraint_if_exists(schema, table, name),
            "ban-drop-constraint",
            DROP_ADDED,
        )],
        rollback_verify: vec![Verify::ConstraintAbsent {
            schema: schema.into(),
            table: table.into(),
            name: name.into(),
        }],
    };
    let validate = Fragment {
        summary: format!("validate {name}"),
        forward: vec![Sql::new(raw::validate_constraint(schema, table, name))],
        verify: vec![exists(true)],
        rollback: vec![
            Sql::ignoring(
                raw::drop_constraint_if_exists(schema, table, name),
                "ban-drop-constraint",
                UNVALIDATE,
            ),
            Sql::new(add_not_valid),
        ],
        rollback_verify: vec![exists(false)],
    };
    (expand, validate)
}
