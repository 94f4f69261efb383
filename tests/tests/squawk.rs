//! Every generated file passes `squawk --pg-version 15`; the only exceptions are written in
//! the files as `-- squawk-ignore RULE` with the reason on the line above.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn squawk(dir: &Path) {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let out = Command::new("squawk")
        .args(["--pg-version", "15"])
        .args(&files)
        .env("NO_COLOR", "1")
        .output()
        .expect("squawk is not installed: pip install squawk-cli (.ci/run does)");
    assert!(
        out.status.success(),
        "squawk found issues in {}:\n{}{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Every exception carries its reason on the line above.
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.starts_with("-- squawk-ignore") {
                assert!(
                    i > 0
                        && lines[i - 1].starts_with("-- ")
                        && !lines[i - 1].starts_with("-- squawk"),
                    "{}:{}: squawk-ignore without a reason above it",
                    f.display(),
                    i + 1
                );
            }
        }
    }
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
