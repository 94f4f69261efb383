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
            identity,
            rename_table,
            table_objects,
            raw_sql,
            cross_table_backfill,
            enum_type
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

/// The catalog of the user's schemas, one sorted line each (`migrate_gen::verify::catalog`).
pub fn catalog(client: &mut Client) -> String {
    migrate_gen::verify::catalog(client).unwrap()
}

/// Inserts `n` rows (ids 1..=n) through the columns of `model` (`migrate_gen::verify::seed`).
pub fn seed(client: &mut Client, model: &TableModel, n: i64) {
    migrate_gen::verify::seed(client, model, n).unwrap_or_else(|e| panic!("{e}"))
}

/// One version's insert, select by key and update of row `id` (`migrate_gen::verify::write_row`).
pub fn write_row(client: &mut Client, model: &TableModel, id: i64) -> Result<(), String> {
    migrate_gen::verify::write_row(client, model, id)
}

/// A digest of the values of `model`'s columns in rows with `pk <= upto`.
pub fn data_digest(client: &mut Client, model: &TableModel, upto: i64) -> String {
    migrate_gen::verify::data_digest(client, model, upto).unwrap()
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
