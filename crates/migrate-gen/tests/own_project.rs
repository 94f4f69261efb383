//! The README's "Use it in your project", done as a user would: a crate of its own in a
//! temporary folder outside this workspace, depending on `schema-core` and `schema-macros` by
//! path, with `[package.metadata.migrate-gen]`. It builds (the macro's types are used), then
//! `migrate-gen` with no arguments, run in that crate, generates its migrations, and `apply`
//! and `rollback` run them on a fresh database.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::{BIN, Db};

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .unwrap()
}

fn ok(what: &str, out: Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

const LIB: &str = r#"use schema_macros::versioned;
use serde::{Deserialize, Serialize};

/// Notes kept by the application.
#[versioned(table = "notes", version = 2)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    #[col(primary_key)]
    pub id: i64,
    pub body: String,
    #[col(since = 2, backfill = "length(body)")]
    pub size: i64,
}

/// Version 1's code still compiles against its own type.
pub fn first(id: i64) -> NoteV1 {
    NoteV1 { id, body: "hello".into() }
}
"#;

#[test]
fn a_crate_outside_the_workspace_builds_generates_applies_and_rolls_back() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("notes");
    std::fs::create_dir_all(root.join("src")).unwrap();
    let crates = workspace().join("crates");
    std::fs::write(
        root.join("Cargo.toml"),
        format!(
            r#"[package]
name = "notes"
version = "0.1.0"
edition = "2024"

[dependencies]
schema-core = {{ path = "{core}" }}
schema-macros = {{ path = "{macros}" }}
serde = {{ version = "1", features = ["derive"] }}

[package.metadata.migrate-gen]
out = "migrations"
author = "notes team"
"#,
            core = crates.join("schema-core").display(),
            macros = crates.join("schema-macros").display(),
        ),
    )
    .unwrap();
    std::fs::write(root.join("src/lib.rs"), LIB).unwrap();
    // The workspace's lock file pins the versions it already built, so no download is needed.
    std::fs::copy(workspace().join("Cargo.lock"), root.join("Cargo.lock")).unwrap();
    // A target folder of its own: the workspace's is locked by the running tests.
    let target = workspace().join("target/own-project");
    ok(
        "cargo build of the user's crate",
        Command::new(env!("CARGO"))
            .args(["build", "--offline", "--quiet"])
            .current_dir(&root)
            .env("CARGO_TARGET_DIR", &target)
            .output()
            .unwrap(),
    );

    let said = ok(
        "migrate-gen with no arguments",
        Command::new(BIN).current_dir(&root).output().unwrap(),
    );
    assert!(said.contains("migrations"), "{said}");
    let files: Vec<String> = std::fs::read_dir(root.join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files.iter().any(|f| f == "001_notes_create.sql"),
        "{files:?}"
    );
    assert!(files.iter().any(|f| f == "migrations.lock"), "{files:?}");
    let header = std::fs::read_to_string(root.join("migrations/001_notes_create.sql")).unwrap();
    assert!(header.contains("-- Author: notes team"), "{header}");

    let db = Db::new("it");
    let url = db.url();
    let run = |args: &[&str]| {
        ok(
            &format!("migrate-gen {args:?}"),
            Command::new(BIN)
                .args(args)
                .args(["--database-url", &url, "--dir", "migrations"])
                .current_dir(&root)
                .output()
                .unwrap(),
        )
    };
    let columns = || -> Vec<String> {
        db.client()
            .query(
                "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'notes' ORDER BY 1",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    run(&["apply"]);
    assert_eq!(columns(), ["body", "id", "size"]);
    run(&["rollback", "--to", "0"]);
    assert_eq!(columns(), Vec::<String>::new());
}
