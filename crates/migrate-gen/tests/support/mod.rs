//! What the tests that run the binary against PostgreSQL share: a fresh database each, the
//! binary's runs, and generating a crate's migrations.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use postgres::{Client, NoTls};

pub const BIN: &str = env!("CARGO_BIN_EXE_migrate-gen");
pub const ADMIN: &str = "host=127.0.0.1 user=postgres dbname=postgres";

pub struct Db {
    pub name: String,
}

impl Db {
    pub fn new() -> Db {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "mg_it_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let mut admin = Client::connect(ADMIN, NoTls).unwrap();
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        Db { name }
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.name)
    }

    pub fn client(&self) -> Client {
        Client::connect(
            &format!("host=127.0.0.1 user=postgres dbname={}", self.name),
            NoTls,
        )
        .unwrap()
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.client().query_one(sql, &[]).unwrap().get(0)
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Ok(mut admin) = Client::connect(ADMIN, NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

pub fn run_output(out: Output) -> Run {
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).env_remove("DATABASE_URL");
    cmd
}

pub fn mg(args: &[&str]) -> Run {
    run_output(command(args).output().unwrap())
}

#[track_caller]
pub fn ok(run: Run) -> Run {
    assert_eq!(run.code, Some(0), "{run}");
    run
}

#[track_caller]
pub fn failed(run: Run) -> Run {
    assert!(
        run.code.is_some_and(|c| c != 0),
        "expected a failure: {run}"
    );
    run
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
