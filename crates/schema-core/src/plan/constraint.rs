//! Foreign keys and checks: `ADD CONSTRAINT ... NOT VALID` in the expand transaction (a brief
//! lock, no scan), `VALIDATE CONSTRAINT` in a later transaction (a scan under a lock that lets
//! reads and writes through).

use super::{Ctx, Fragment, Sql, Stages};
use crate::model::{Check, ForeignKey};
use crate::sql::raw::{self, Verify};
use crate::sql::statements;

const DROP_ADDED: &str = "Rollback: drops only the constraint its migration added.";
const UNVALIDATE: &str =
    "Rollback: the constraint was NOT VALID before; it is re-added as NOT VALID, without a scan.";

fn plan(ctx: &Ctx, name: &str, add_not_valid: String, what: String, stages: &mut Stages) {
    let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
    let exists = |validated| Verify::Constraint {
        schema: schema.into(),
        table: table.into(),
        name: name.into(),
        validated,
    };
    stages.expand.push(Fragment {
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
    });
    stages.validate.push(Fragment {
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
    });
}

pub(super) fn plan_foreign_key(ctx: &Ctx, fk: &ForeignKey, stages: &mut Stages) {
    let stmt = raw::not_valid(&statements::add_foreign_key(
        &ctx.to.schema,
        &ctx.to.name,
        fk,
    ));
    let what = format!(
        "foreign key {} -> {}.{}",
        fk.name, fk.ref_schema, fk.ref_table
    );
    plan(ctx, &fk.name, stmt, what, stages);
}

pub(super) fn plan_check(ctx: &Ctx, check: &Check, stages: &mut Stages) {
    let stmt = raw::add_constraint_not_valid(
        &ctx.to.schema,
        &ctx.to.name,
        &check.name,
        &format!("CHECK ({})", check.expr),
    );
    plan(
        ctx,
        &check.name,
        stmt,
        format!("check {}", check.name),
        stages,
    );
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use super::super::test_utils::plan_source;

    /// A foreign key and a check added with a new column: `NOT VALID` in the expand
    /// transaction, validated in a later one.
    #[test]
    fn foreign_key_and_check_on_a_new_column() {
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
                #[col(since = 2, references = "teams(id)", check = "team_id > 0")]
                pub team_id: Option<i64>,
            }
            "#
        ));
    }
}
