//! Rebuilding what a column had, for rollbacks that bring a column back while the application
//! writes: its indexes and unique constraints (built concurrently), its foreign keys and
//! checks (`NOT VALID`, then validated) and its NOT NULL (through a validated helper check).
//! Every statement can run again: these rollbacks run outside a transaction.

use super::Sql;
use crate::model::TableModel;
use crate::names;
use crate::names::not_null_helper;
use crate::sql::raw::{self, Verify};
use crate::sql::statements;

/// For statements squawk wants guarded that are no-ops when run again.
pub(super) const RERUNNABLE: &str = "Re-runnable as it is: doing it again is a no-op.";

/// Adds constraint `name` with `add` (an `ADD CONSTRAINT ... NOT VALID`) unless it exists,
/// then validates it, in two statements that can each run again; `verify` gets the check that
/// it is there and validated.
pub(super) fn constraint(
    schema: &str,
    table: &str,
    name: &str,
    add: &str,
    verify: &mut Vec<Verify>,
) -> [Sql; 2] {
    verify.push(Verify::Constraint {
        schema: schema.into(),
        table: table.into(),
        name: name.into(),
        validated: true,
    });
    [
        Sql::new(raw::constraint_if_missing(schema, table, name, add)),
        Sql::ignoring(
            raw::validate_constraint(schema, table, name),
            "prefer-robust-stmts",
            RERUNNABLE,
        ),
    ]
}

/// Appends to `stmts` (and `verify`) what rebuilds on `column` the indexes, unique
/// constraints, foreign keys and check it had in `from`, and its NOT NULL when `not_null`.
pub(super) fn column_objects(
    from: &TableModel,
    column: &str,
    not_null: bool,
    stmts: &mut Vec<Sql>,
    verify: &mut Vec<Verify>,
) {
    let (schema, table) = (from.schema.as_str(), from.name.as_str());
    for idx in from
        .indexes
        .iter()
        .filter(|i| i.columns.iter().any(|c| c == column))
    {
        stmts.push(Sql::new(raw::drop_invalid_index(schema, &idx.name)));
        stmts.push(Sql::new(statements::create_index(schema, table, idx, true)).run_alone());
        if idx.unique {
            stmts.push(Sql::new(raw::attach_unique(schema, table, &idx.name)));
        }
        verify.push(Verify::Index {
            schema: schema.into(),
            name: idx.name.clone(),
            exists: true,
        });
    }
    let check_name = names::object_name(&[table, column], "check");
    let constraints = from
        .foreign_keys
        .iter()
        .filter(|f| f.columns.iter().any(|c| c == column))
        .map(|fk| {
            (
                fk.name.clone(),
                raw::not_valid(&statements::add_foreign_key(schema, table, fk)),
            )
        })
        .chain(
            from.checks
                .iter()
                .filter(|c| c.name == check_name)
                .map(|c| {
                    (
                        c.name.clone(),
                        raw::add_constraint_not_valid(
                            schema,
                            table,
                            &c.name,
                            &format!("CHECK ({})", c.expr),
                        ),
                    )
                }),
        );
    for (name, add) in constraints {
        stmts.extend(constraint(schema, table, &name, &add, verify));
    }
    if not_null {
        let helper = not_null_helper(table, column);
        let add = raw::add_constraint_not_valid(
            schema,
            table,
            &helper,
            &format!("CHECK ({} IS NOT NULL)", raw::ident(column)),
        );
        stmts.push(Sql::new(raw::constraint_if_missing(
            schema, table, &helper, &add,
        )));
        stmts.push(Sql::ignoring(
            raw::validate_constraint(schema, table, &helper),
            "prefer-robust-stmts",
            RERUNNABLE,
        ));
        stmts.push(Sql::ignoring(
            raw::set_not_null(schema, table, column),
            "prefer-robust-stmts",
            RERUNNABLE,
        ));
        stmts.push(Sql::ignoring(
            raw::drop_constraint_if_exists(schema, table, &helper),
            "ban-drop-constraint",
            "The helper check is no longer needed: the column is NOT NULL again.",
        ));
    }
}
