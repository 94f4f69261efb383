//! Every generated file passes squawk's rules for PostgreSQL 15 (the `squawk-linter` crate,
//! through `migrate-gen lint`'s library); the only exceptions are written in the files as
//! `-- squawk-ignore RULE` with the reason on the line above, which the lint itself checks.

mod common;

use std::path::Path;

use common::*;

fn squawk(dir: &Path) {
    let findings = migrate_gen::lint::lint(&[dir.to_owned()]).unwrap().findings;
    assert!(
        findings.is_empty(),
        "squawk's rules found issues in {}:\n{}",
        dir.display(),
        findings
            .iter()
            .map(|f| format!("{f}\n"))
            .collect::<String>()
    );
}

#[test]
fn patterns_pass_squawk() {
    for name in PATTERNS {
        let out = generate(&fixture(name));
        squawk(out.path());
    }
}

#[test]
fn committed_example_migrations_pass_squawk() {
    squawk(&workspace().join("examples/service/sql"));
}

/// The lint can fail: a file with a blocking index and an exception without its reason.
#[test]
fn the_lint_finds_what_it_should() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("001_bad.sql"),
        "SET lock_timeout = '1s';\nSET statement_timeout = '30s';\nCREATE INDEX IF NOT EXISTS users_email ON users (email);\n-- squawk-ignore ban-drop-column\nALTER TABLE users DROP COLUMN IF EXISTS fax;\n",
    )
    .unwrap();
    let rules: Vec<(usize, String)> = migrate_gen::lint::lint(&[dir.path().to_owned()])
        .unwrap()
        .findings
        .into_iter()
        .map(|f| (f.line, f.rule))
        .collect();
    assert_eq!(
        rules,
        [
            (3, "require-concurrent-index-creation".to_owned()),
            (4, "ignore-without-reason".to_owned())
        ]
    );
}
