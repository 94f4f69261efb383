//! A foreign key or check ended by `until` on its struct-level attribute: dropped in a contract
//! file of its own (catalog only, a brief lock), once the old code, which may count on it, is
//! gone.
//!
//! The rollback adds it back the safe way: it counts the rows written since that break it and
//! stops, changing nothing, while there are any; then `ADD CONSTRAINT ... NOT VALID` (a brief
//! lock, no scan) and `VALIDATE CONSTRAINT` (a scan that lets reads and writes through), each
//! in a transaction of its own. Should rows that break it slip in between, the validation drops
//! the constraint again and the file's check fails: the table is left as the rollback found it.

use super::ChangeKind;
use crate::model::{Check, ForeignKey};
use crate::plan::{Ctx, Impact, Lock, Phase, Piece, PlannedFile, Risk, Sql};
use crate::sql::objects::{Breaks, refuse_breaks, validate_or_drop};
use crate::sql::raw::{self, Verify};
use crate::sql::statements;

/// `DropForeignKey(fk)` and `DropCheck(check)`.
pub(super) enum DropConstraint<'a> {
    ForeignKey(&'a ForeignKey),
    Check(&'a Check),
}

const DROP: &str = "Contract: the constraint ends here (`until` on its attribute), once the old code is gone; catalog only.";

impl DropConstraint<'_> {
    fn name(&self) -> &str {
        match self {
            DropConstraint::ForeignKey(fk) => &fk.name,
            DropConstraint::Check(c) => &c.name,
        }
    }

    fn what(&self) -> &'static str {
        match self {
            DropConstraint::ForeignKey(_) => "foreign key",
            DropConstraint::Check(_) => "check",
        }
    }
}

impl ChangeKind for DropConstraint<'_> {
    fn describe(&self) -> String {
        format!("drop {} {}", self.what(), self.name())
    }

    fn contract_files(&self, ctx: &Ctx) -> Vec<PlannedFile> {
        let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
        let name = self.name();
        let (breaks, add, validated) = match self {
            DropConstraint::ForeignKey(fk) => (
                Breaks::Orphans(fk),
                raw::not_valid(&statements::add_foreign_key(schema, table, fk)),
                Verify::ForeignKeyDef {
                    schema: schema.into(),
                    table: table.into(),
                    fk: (*fk).clone(),
                },
            ),
            DropConstraint::Check(check) => (
                Breaks::Check {
                    name: &check.name,
                    expr: &check.expr,
                },
                raw::add_constraint_not_valid(
                    schema,
                    table,
                    &check.name,
                    &format!("CHECK ({})", check.expr),
                ),
                Verify::Constraint {
                    schema: schema.into(),
                    table: table.into(),
                    name: name.into(),
                    validated: true,
                },
            ),
        };
        let drop = Sql::ignoring(
            raw::drop_constraint_if_exists(schema, table, name),
            "ban-drop-constraint",
            DROP,
        );
        let refuse = Sql::new(refuse_breaks(schema, table, &breaks));
        let add = Sql::new(raw::unless_constraint("readd", schema, table, name, &add));
        let validate = Sql::new(validate_or_drop(schema, table, name));
        let mut rollback_verify = vec![Verify::Constraint {
            schema: schema.into(),
            table: table.into(),
            name: name.into(),
            validated: true,
        }];
        if matches!(self, DropConstraint::ForeignKey(_)) {
            rollback_verify.push(validated);
        }
        vec![PlannedFile {
            slug: format!("drop_{name}"),
            title: format!("{}: drop {} {name}", ctx.step_label(), self.what()),
            phase: Phase::Contract,
            transactional: true,
            rollback_transactional: false,
            statement_timeout: Some(ctx.opts.statement_timeout.clone()),
            // sqlx reverts newest first: the drop undone by the validation, then the add, then
            // the count, each a migration of its own.
            parts: vec![
                Piece::new(std::slice::from_ref(&drop), std::slice::from_ref(&validate)),
                Piece::new(&[], std::slice::from_ref(&add)),
                Piece::new(&[], std::slice::from_ref(&refuse)),
            ],
            forward: vec![drop],
            verify: vec![Verify::ConstraintAbsent {
                schema: schema.into(),
                table: table.into(),
                name: name.into(),
            }],
            rollback: vec![refuse, add, validate],
            rollback_verify,
            rollback_note: Some(format!(
                "stops, changing nothing, while rows written since the drop break {name}"
            )),
            impact: Impact {
                lock: Lock::CatalogOnly,
                rewrites: false,
                scans: false,
                risk: Risk::Low,
                why: format!(
                    "drops the {}; the rollback adds it NOT VALID and validates it, refusing while rows written since break it",
                    self.what()
                ),
            },
        }]
    }
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use crate::plan::test_utils::plan_source;

    /// A foreign key (with its action) and a check ended at version 2: dropped in contract files;
    /// each rollback counts the rows that break it, adds it NOT VALID and validates it.
    #[test]
    fn a_foreign_key_and_a_check_dropped() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "customers", version = 1)]
            pub struct Customer {
                #[col(primary_key)]
                pub id: i64,
            }
            #[versioned(table = "orders", version = 2)]
            #[foreign_key(columns(customer_id), references = "customers(id)", on_delete = "cascade", until = 2)]
            #[check(expr = "total_cents >= 0", until = 2)]
            pub struct Order {
                #[col(primary_key)]
                pub id: i64,
                pub customer_id: i64,
                pub total_cents: i64,
            }
            "#
        ));
    }
}
