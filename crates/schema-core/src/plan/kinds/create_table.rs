//! A new table: `CREATE TABLE IF NOT EXISTS` with all its constraints, in one transaction.
//! Its plain indexes are built in the same transaction: the table is new and empty.

use super::ChangeKind;
use crate::model::TableModel;
use crate::plan::{Ctx, Impact, Lock, Phase, PlannedFile, Risk, Sql};
use crate::sql::raw::{self, Verify};
use crate::sql::statements;

/// `CreateTable(model)`: the table's first version.
pub(super) struct CreateTable<'a>(pub &'a TableModel);

impl ChangeKind for CreateTable<'_> {
    fn describe(&self) -> String {
        format!("create table {}", self.0.qualified())
    }

    /// The step's only file: a create step has no other change.
    fn build(&self, ctx: &Ctx) -> Vec<PlannedFile> {
        vec![plan(ctx, self.0)]
    }
}

fn plan(ctx: &Ctx, model: &TableModel) -> PlannedFile {
    let (schema, table) = (model.schema.as_str(), model.name.as_str());
    let mut forward = Vec::new();
    if schema != "public" {
        // A schema of the application's own: created with its first table, never dropped.
        forward.push(Sql::new(format!(
            "CREATE SCHEMA IF NOT EXISTS {}",
            raw::ident(schema)
        )));
    }
    forward.extend([Sql::new(statements::create_table(model))
        .declaring(model.columns.iter().map(|c| c.sql_type.as_str()))]);
    for idx in model.indexes.iter().filter(|i| !i.unique) {
        forward.push(Sql::new(statements::create_index(
            schema, table, idx, false,
        )));
    }
    let mut verify = vec![Verify::Table {
        schema: schema.into(),
        table: table.into(),
        exists: true,
    }];
    for c in &model.columns {
        verify.push(Verify::column(schema, table, c, !c.nullable));
    }
    let constraint_names = std::iter::once(crate::names::object_name(&[table], "pkey"))
        .chain(
            model
                .indexes
                .iter()
                .filter(|i| i.unique)
                .map(|i| i.name.clone()),
        )
        .chain(model.foreign_keys.iter().map(|f| f.name.clone()))
        .chain(model.checks.iter().map(|c| c.name.clone()));
    for name in constraint_names {
        verify.push(Verify::Constraint {
            schema: schema.into(),
            table: table.into(),
            name,
            validated: true,
        });
    }
    // Each index (a unique constraint's too) and foreign key is the one declared, not only one
    // of its name: as when one is added to a table that exists.
    for index in &model.indexes {
        verify.push(Verify::IndexDef {
            schema: schema.into(),
            table: table.into(),
            index: index.clone(),
        });
    }
    for fk in &model.foreign_keys {
        verify.push(Verify::ForeignKeyDef {
            schema: schema.into(),
            table: table.into(),
            fk: fk.clone(),
        });
    }
    let references: Vec<String> = model
        .foreign_keys
        .iter()
        .map(|f| format!("{}.{}", f.ref_schema, f.ref_table))
        .collect();
    PlannedFile {
        slug: "create".into(),
        title: format!("{}: create table {}", ctx.step_label(), model.qualified()),
        phase: Phase::Expand,
        transactional: true,
        rollback_transactional: true,
        statement_timeout: Some(ctx.opts.statement_timeout.clone()),
        forward,
        verify,
        rollback: vec![Sql::ignoring(
            statements::drop_table_if_exists(schema, table),
            "ban-drop-table",
            "Rollback of the table's creation: the table did not exist before.",
        )],
        rollback_verify: vec![Verify::Table { schema: schema.into(), table: table.into(), exists: false }],
        rollback_note: Some(
            "this drops the table and every row written to it since its creation; they cannot be restored"
                .into(),
        ),
        parts: Vec::new(),
        impact: Impact {
            lock: if references.is_empty() {
                Lock::NewTable
            } else {
                Lock::NewTableWithReferences
            },
            rewrites: false,
            scans: false,
            risk: Risk::Low,
            why: if references.is_empty() {
                "a new, empty table".into()
            } else {
                format!("a new, empty table; references {}", references.join(", "))
            },
        },
    }
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use crate::plan::test_utils::plan_source;

    /// A table created with its primary key, unique, foreign key, check and index.
    #[test]
    fn a_table_with_its_keys_and_constraints() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "teams", version = 1)]
            pub struct Team {
                #[col(primary_key)]
                pub id: i64,
            }
            #[versioned(table = "users", version = 1, schema = "app")]
            pub struct User {
                #[col(primary_key)]
                pub id: i64,
                #[col(unique)]
                pub email: String,
                #[col(references = "public.teams(id)", index)]
                pub team_id: Option<i64>,
                #[col(check = "logins >= 0", default = "0")]
                pub logins: i64,
            }
            "#
        ));
    }

    /// A table created with struct-level indexes and constraints: each verified by its
    /// definition, as when it is added later.
    #[test]
    fn a_table_with_struct_level_indexes_and_constraints() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "accounts", version = 1)]
            #[unique(columns(tenant_id, id))]
            pub struct Account {
                #[col(primary_key)]
                pub id: i64,
                pub tenant_id: i64,
            }
            #[versioned(table = "orders", version = 1)]
            #[index(columns(tenant_id, created_at))]
            #[index(expr = "lower(email)", unique, name = "orders_email_ci")]
            #[index(columns(tags), using = "gin")]
            #[index(columns(status), predicate = "status <> 'done'", include(total_cents))]
            #[check(expr = "total_cents >= 0")]
            #[foreign_key(columns(tenant_id, account_id), references = "accounts(tenant_id, id)", on_delete = "cascade")]
            pub struct Order {
                #[col(primary_key)]
                pub id: i64,
                pub tenant_id: i64,
                pub account_id: i64,
                pub email: String,
                pub tags: Vec<String>,
                pub status: String,
                pub total_cents: i64,
                pub created_at: i64,
            }
            "#
        ));
    }
}
