//! Statements sea-query can express, rendered for PostgreSQL.

use sea_query::{
    Alias, ColumnDef, ConditionalStatement, Expr, ForeignKey, ForeignKeyAction, Index, IndexType,
    IntoIden, PostgresQueryBuilder, Table, TableCreateStatement,
};

use crate::model::{self, Column, TableModel};

/// An index or constraint name as sea-query wants it: sea-query writes these names between
/// double quotes without doubling the quotes inside (unlike table and column names), so they
/// are doubled here, the one place that hands such names to it.
fn object(name: &str) -> String {
    name.replace('"', "\"\"")
}

fn table_ref(schema: &str, table: &str) -> (Alias, Alias) {
    (Alias::new(schema), Alias::new(table))
}

fn column_def(col: &Column, with_default: bool, not_null: bool) -> ColumnDef {
    let mut def = ColumnDef::new(Alias::new(&col.name));
    def.custom(Alias::new(&col.sql_type));
    if not_null {
        def.not_null();
    }
    if let Some(identity) = col.identity {
        def.extra(identity.sql());
    }
    if with_default && let Some(d) = &col.default {
        // Unparenthesised, so that linters see a constant default for what it is.
        def.extra(format!("DEFAULT {d}"));
    }
    def
}

/// `CREATE TABLE IF NOT EXISTS` with the primary key, unique, foreign key and check
/// constraints of `model`; plain indexes are created by [`create_index`].
pub fn create_table(model: &TableModel) -> String {
    let mut stmt: TableCreateStatement = Table::create();
    stmt.table(table_ref(&model.schema, &model.name))
        .if_not_exists();
    for col in &model.columns {
        stmt.col(column_def(col, true, !col.nullable));
    }
    if !model.primary_key.is_empty() {
        let mut pk = Index::create();
        pk.name(object(&crate::names::object_name(&[&model.name], "pkey")));
        for c in &model.primary_key {
            pk.col(Alias::new(c));
        }
        stmt.primary_key(&mut pk);
    }
    for idx in model.indexes.iter().filter(|i| i.unique) {
        let mut unique = Index::create();
        unique.name(object(&idx.name)).unique();
        for c in &idx.columns {
            unique.col(Alias::new(c));
        }
        stmt.index(&mut unique);
    }
    for fk in &model.foreign_keys {
        stmt.foreign_key(&mut foreign_key(&model.schema, &model.name, fk));
    }
    for check in &model.checks {
        stmt.check((Alias::new(&check.name), Expr::cust(check.expr.clone())));
    }
    stmt.to_string(PostgresQueryBuilder)
}

fn foreign_key(
    schema: &str,
    table: &str,
    fk: &model::ForeignKey,
) -> sea_query::ForeignKeyCreateStatement {
    let mut stmt = ForeignKey::create();
    stmt.name(object(&fk.name))
        .from_tbl(table_ref(schema, table));
    for c in &fk.columns {
        stmt.from_col(Alias::new(c));
    }
    stmt.to_tbl(table_ref(&fk.ref_schema, &fk.ref_table));
    for c in &fk.ref_columns {
        stmt.to_col(Alias::new(c));
    }
    if let Some(action) = fk.on_delete.as_deref().and_then(action) {
        stmt.on_delete(action);
    }
    if let Some(action) = fk.on_update.as_deref().and_then(action) {
        stmt.on_update(action);
    }
    stmt
}

/// A referential action as sea-query has it; `None` for `no action`, the default, which is
/// left unwritten.
fn action(action: &str) -> Option<ForeignKeyAction> {
    Some(match action {
        "cascade" => ForeignKeyAction::Cascade,
        "restrict" => ForeignKeyAction::Restrict,
        "set null" => ForeignKeyAction::SetNull,
        "set default" => ForeignKeyAction::SetDefault,
        _ => return None,
    })
}

/// `ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY ...` (the caller appends `NOT VALID`).
pub fn add_foreign_key(schema: &str, table: &str, fk: &model::ForeignKey) -> String {
    foreign_key(schema, table, fk).to_string(PostgresQueryBuilder)
}

/// `ALTER TABLE ... ADD COLUMN`; `with_default` and `not_null` say which parts of the
/// column's definition go in now.
pub fn add_column(
    schema: &str,
    table: &str,
    col: &Column,
    with_default: bool,
    not_null: bool,
) -> String {
    Table::alter()
        .table(table_ref(schema, table))
        .add_column(column_def(col, with_default, not_null))
        .to_string(PostgresQueryBuilder)
}

/// `ALTER TABLE ... ADD COLUMN IF NOT EXISTS`, nullable and without default.
pub fn add_column_if_not_exists(schema: &str, table: &str, col: &Column) -> String {
    Table::alter()
        .table(table_ref(schema, table))
        .add_column_if_not_exists(column_def(col, false, false))
        .to_string(PostgresQueryBuilder)
}

pub fn drop_column_if_exists(schema: &str, table: &str, column: &str) -> String {
    Table::alter()
        .table(table_ref(schema, table))
        .drop_column_if_exists(Alias::new(column))
        .to_string(PostgresQueryBuilder)
}

pub fn drop_table_if_exists(schema: &str, table: &str) -> String {
    Table::drop()
        .table(table_ref(schema, table))
        .if_exists()
        .to_string(PostgresQueryBuilder)
}

/// `CREATE [UNIQUE] INDEX [CONCURRENTLY] IF NOT EXISTS`.
pub fn create_index(schema: &str, table: &str, idx: &model::Index, concurrently: bool) -> String {
    let mut stmt = Index::create();
    stmt.name(object(&idx.name))
        .table(table_ref(schema, table))
        .if_not_exists();
    match &idx.expr {
        Some(expr) => {
            stmt.col(Expr::cust(expr.clone()));
        }
        None => {
            for c in &idx.columns {
                stmt.col(Alias::new(c));
            }
        }
    }
    for c in &idx.include {
        stmt.include(Alias::new(c));
    }
    if let Some(method) = &idx.using {
        stmt.index_type(IndexType::Custom(
            Alias::new(method.to_ascii_uppercase()).into_iden(),
        ));
    }
    if let Some(predicate) = &idx.predicate {
        stmt.and_where(Expr::cust(predicate.clone()));
    }
    if idx.unique || idx.unique_index {
        stmt.unique();
    }
    if concurrently {
        stmt.concurrently();
    }
    stmt.to_string(PostgresQueryBuilder)
}

/// `DROP INDEX CONCURRENTLY IF EXISTS "schema"."name"`.
/// `DROP INDEX IF EXISTS`, in a transaction: for a rollback that also drops the constraint the
/// index backs, where a concurrent drop cannot follow in the same migration.
pub fn drop_index(schema: &str, table: &str, name: &str) -> String {
    Index::drop()
        .name(object(name))
        .table(table_ref(schema, table))
        .if_exists()
        .to_string(PostgresQueryBuilder)
}

pub fn drop_index_concurrently(schema: &str, table: &str, name: &str) -> String {
    Index::drop()
        .name(object(name))
        .table(table_ref(schema, table))
        .concurrently()
        .if_exists()
        .to_string(PostgresQueryBuilder)
}
