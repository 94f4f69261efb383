//! Helpers shared by the integration tests: generating into a temp folder, fresh
//! PostgreSQL databases, `psql -f`, catalog dumps and rows written per version.

#![allow(
    dead_code,
    unused_imports,
    reason = "each test binary uses a part of these helpers"
)]

use std::path::{Path, PathBuf};

use migrate_gen::manifest::{FileEntry, Manifest};
use postgres::Client;
use schema_core::{TableHistory, TableModel};

pub const DATE: &str = "2026-01-31";
pub const AUTHOR: &str = "tests";

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/patterns")
        .join(format!("{name}.rs"))
}

/// Calls `$m!` with the name of every fixture in `fixtures/patterns`: the one list of them, from
/// which `PATTERNS` and each test file's per-pattern tests are made.
macro_rules! for_each_pattern {
    ($m:ident) => {
        $m!(
            create_table,
            add_nullable,
            add_default,
            add_backfill,
            add_volatile_default,
            add_index,
            add_unique,
            add_foreign_key,
            add_check,
            long_names,
            rename_column,
            drop_column,
            change_type,
            drop_table,
            other_schema,
            change_default,
            add_backfilled_option,
            optional_column,
            required_column,
            identity
        );
    };
}

macro_rules! pattern_names {
    ($($name:ident),*) => {
        pub const PATTERNS: &[&str] = &[$(stringify!($name)),*];
    };
}

for_each_pattern!(pattern_names);

/// Generates every migration of `src` into a new temp folder.
pub fn generate(src: &Path) -> tempfile::TempDir {
    generate_as(src, Default::default())
}

/// Generates every migration of `src` into a new temp folder, in `layout`.
pub fn generate_as(src: &Path, layout: migrate_gen::Layout) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    migrate_gen::generate(&migrate_gen::GenerateArgs {
        src: src.to_owned(),
        out: out.path().to_owned(),
        date: DATE.into(),
        author: AUTHOR.into(),
        check: false,
        options: Default::default(),
        layout,
    })
    .unwrap();
    out
}

/// Every generated file, forward then rollback, in number order, as one text.
pub fn all_files(dir: &Path) -> String {
    let manifest = Manifest::load(dir).unwrap();
    let mut out = String::new();
    for f in &manifest.files {
        for name in [
            format!("{}.sql", f.stem),
            format!("{}.rollback.sql", f.stem),
        ] {
            out.push_str(&format!("==> {name} <==\n"));
            out.push_str(&std::fs::read_to_string(dir.join(&name)).unwrap());
            out.push('\n');
        }
    }
    out
}

pub use test_support::TestDb;

/// Columns, constraints (with NOT VALID), indexes (with validity), triggers, views, schemas
/// and functions of the user's schemas, one sorted line each. The archive schema is left out:
/// a dropped column's archive is kept for its retention period, rollback or not, and a dropped
/// table is checked where it is (in the archive after the drop, back in its schema after the
/// rollback).
pub fn catalog(client: &mut Client) -> String {
    let sql = r#"
      WITH rel AS (
        SELECT c.oid, c.relname, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'migrate_gen_archive') AND n.nspname NOT LIKE 'pg_toast%')
      SELECT coalesce(string_agg(line, E'\n' ORDER BY line), '') FROM (
        SELECT format('column %s.%s.%s %s %s default %s', r.nspname, r.relname, a.attname,
                      format_type(a.atttypid, a.atttypmod), CASE WHEN a.attnotnull THEN 'NOT NULL' ELSE 'NULL' END,
                      coalesce(pg_get_expr(d.adbin, d.adrelid), '-')) AS line
        FROM pg_attribute a JOIN rel r ON r.oid = a.attrelid JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT format('constraint %s.%s %s %s', r.nspname, r.relname, co.conname, pg_get_constraintdef(co.oid))
        FROM pg_constraint co JOIN rel r ON r.oid = co.conrelid
        UNION ALL
        SELECT format('index %s valid=%s', pg_get_indexdef(i.indexrelid), i.indisvalid)
        FROM pg_index i JOIN rel r ON r.oid = i.indrelid
        UNION ALL
        SELECT format('trigger %s.%s %s', r.nspname, r.relname, t.tgname)
        FROM pg_trigger t JOIN rel r ON r.oid = t.tgrelid WHERE NOT t.tgisinternal
        UNION ALL
        SELECT format('view %s.%s %s', r.nspname, r.relname, pg_get_viewdef(r.oid))
        FROM rel r JOIN pg_class c ON c.oid = r.oid WHERE c.relkind = 'v'
        UNION ALL
        SELECT format('schema %s', n.nspname) FROM pg_namespace n WHERE n.nspname ~ '_v[0-9]+$'
        UNION ALL
        SELECT format('function %s.%s', n.nspname, p.proname)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'migrate_gen_archive')
      ) lines"#;
    client.query_one(sql, &[]).unwrap().get(0)
}

/// A SQL value for `column` of row `id` (set-based with `id` a column or an expression).
fn value(model: &TableModel, column: &schema_core::Column, id: &str) -> Option<String> {
    if let Some(fk) = model
        .foreign_keys
        .iter()
        .find(|f| f.columns == [column.name.clone()])
    {
        return Some(format!(
            "(SELECT min(\"{}\") FROM \"{}\".\"{}\")",
            fk.ref_columns[0], fk.ref_schema, fk.ref_table
        ));
    }
    if model.primary_key.contains(&column.name) {
        return Some(id.to_owned());
    }
    let ty = column.sql_type.to_ascii_lowercase();
    // A default, or a serial's sequence, gives the value.
    if column.default.is_some() || ty.ends_with("serial") {
        return None;
    }
    Some(match ty.as_str() {
        "bigint" | "integer" | "numeric" => format!("({id})"),
        t if t.starts_with("numeric") => format!("({id})"),
        "smallint" => format!("(({id}) % 30000)::smallint"),
        "boolean" => "true".into(),
        "timestamptz" | "timestamp" => "now()".into(),
        "date" => "current_date".into(),
        "uuid" => "gen_random_uuid()".into(),
        "jsonb" => "'{}'::jsonb".into(),
        t if t.contains("char") || t == "text" => format!("'r' || ({id})"),
        other => panic!("no test value for type {other}"),
    })
}

/// `"schema"."table"`.
fn qualified(model: &TableModel) -> String {
    format!("\"{}\".\"{}\"", model.schema, model.name)
}

fn insert_sql(rel: &str, model: &TableModel, id_expr: &str, tail: &str) -> String {
    let mut cols = Vec::new();
    let mut vals = Vec::new();
    for c in &model.columns {
        if let Some(v) = value(model, c, id_expr) {
            cols.push(format!("\"{}\"", c.name));
            vals.push(v);
        }
    }
    format!(
        "INSERT INTO {rel} ({}) SELECT {} {tail}",
        cols.join(", "),
        vals.join(", ")
    )
}

/// Inserts `n` rows (ids 1..=n) through the columns of `model`.
pub fn seed(client: &mut Client, model: &TableModel, n: i64) {
    client
        .batch_execute(&insert_sql(
            &qualified(model),
            model,
            "i",
            &format!("FROM generate_series(1, {n}) AS i"),
        ))
        .unwrap_or_else(|e| panic!("seeding {}: {e:?}", model.name));
}

/// What one version's code does to one row: insert it, select it by primary key, update it,
/// naming only that version's columns, with that version's `search_path` (its view schema
/// first, as `Versioned::search_path` says) and the table's bare name. Returns the error text
/// on failure.
pub fn write_row(client: &mut Client, model: &TableModel, id: i64) -> Result<(), String> {
    client
        .batch_execute(&format!(
            "SET search_path = \"{}\", \"{}\"",
            schema_core::names::view_schema(&model.schema, model.version),
            model.schema
        ))
        .unwrap();
    let result = write_row_here(client, model, id);
    client.batch_execute("RESET search_path").unwrap();
    result
}

fn write_row_here(client: &mut Client, model: &TableModel, id: i64) -> Result<(), String> {
    let pk = &model.primary_key[0];
    let rel = format!("\"{}\"", model.name);
    client
        .batch_execute(&insert_sql(&rel, model, &id.to_string(), ""))
        .map_err(|e| format!("insert: {e:?}"))?;
    let cols: Vec<String> = model
        .columns
        .iter()
        .map(|c| format!("\"{}\"::text", c.name))
        .collect();
    client
        .query_one(
            &format!(
                "SELECT {} FROM {rel} WHERE \"{pk}\" = {id}",
                cols.join(", "),
            ),
            &[],
        )
        .map_err(|e| format!("select: {e:?}"))?;
    if let Some(c) = model
        .columns
        .iter()
        .find(|c| !model.primary_key.contains(&c.name))
    {
        client
            .batch_execute(&format!(
                "UPDATE {rel} SET \"{c}\" = \"{c}\" WHERE \"{pk}\" = {id}",
                c = c.name
            ))
            .map_err(|e| format!("update: {e:?}"))?;
    }
    Ok(())
}

/// A digest of the values of `model`'s columns in rows with `pk <= upto`.
pub fn data_digest(client: &mut Client, model: &TableModel, upto: i64) -> String {
    let pk = &model.primary_key[0];
    let cols: Vec<String> = model
        .columns
        .iter()
        .filter(|c| c.sql_type != "uuid" || c.default.is_none())
        .map(|c| format!("coalesce(\"{}\"::text, '<null>')", c.name))
        .collect();
    client
        .query_one(
            &format!(
                "SELECT count(*)::text || ':' || coalesce(md5(string_agg(concat_ws('|', {}), ',' ORDER BY \"{pk}\")), '') FROM \"{}\".\"{}\" WHERE \"{pk}\" <= {upto}",
                cols.join(", "),
                model.schema,
                model.name
            ),
            &[],
        )
        .unwrap()
        .get(0)
}

pub fn histories(src: &Path) -> Vec<TableHistory> {
    migrate_gen::source::load(src).unwrap()
}

/// The files of the manifest grouped by version step, in order.
pub fn steps(dir: &Path) -> Vec<(String, u32, Vec<FileEntry>)> {
    let manifest = Manifest::load(dir).unwrap();
    let mut steps: Vec<(String, u32, Vec<FileEntry>)> = Vec::new();
    for f in manifest.files {
        match steps.last_mut() {
            Some((t, v, files)) if *t == f.table && *v == f.version => files.push(f),
            _ => steps.push((f.table.clone(), f.version, vec![f])),
        }
    }
    steps
}
