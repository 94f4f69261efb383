//! What the tests that run the binary against PostgreSQL share: a fresh database each, the
//! binary's runs, and generating a crate's migrations.
#![allow(
    dead_code,
    unused_imports,
    reason = "each test binary uses a part of these helpers"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub use test_support::{ADMIN, Run, TestDb as Db, failed, ok};

pub const BIN: &str = env!("CARGO_BIN_EXE_migrate-gen");

pub fn run_output(out: std::process::Output) -> Run {
    out.into()
}

pub fn command(args: &[&str]) -> Command {
    test_support::command(BIN, args)
}

pub fn mg(args: &[&str]) -> Run {
    test_support::run(BIN, args)
}

/// Writes `source` as a crate and generates its migrations; returns (temp dir, sql dir).
pub fn generate(source: &str, extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), source).unwrap();
    let src = dir.path().to_str().unwrap().to_owned();
    let out = dir.path().join("sql");
    let mut args = vec![
        "generate",
        "--src",
        &src,
        "--out",
        out.to_str().unwrap(),
        "--date",
        "2026-01-31",
        "--author",
        "t",
    ];
    args.extend_from_slice(extra);
    ok(mg(&args));
    (dir, out)
}

/// `apply --database-url URL --dir DIR EXTRA...`.
pub fn apply_args(db: &Db, dir: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "apply".into(),
        "--database-url".into(),
        db.url(),
        "--dir".into(),
        dir.to_str().unwrap().into(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    args
}

pub fn apply(db: &Db, dir: &Path, extra: &[&str]) -> Run {
    let args = apply_args(db, dir, extra);
    mg(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

pub fn status(db: &Db, dir: &Path) -> Run {
    mg(&[
        "status",
        "--database-url",
        &db.url(),
        "--dir",
        dir.to_str().unwrap(),
    ])
}
