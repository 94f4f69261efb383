//! `migrate-gen verify` on a scratch database: the example crate and every pattern fixture pass;
//! deliberately broken migrations (edited in a temp folder) fail with a message naming the file
//! and the statement; the scratch database is dropped either way.

use std::path::{Path, PathBuf};

mod support;
use support::*;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn pattern(name: &str) -> PathBuf {
    workspace().join(format!("tests/fixtures/patterns/{name}.rs"))
}

const SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Generates `src` into a new temp folder.
fn generated(src: &Path) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    ok(mg(&[
        "generate",
        "--src",
        src.to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
        "--date",
        "2026-01-31",
        "--author",
        "t",
    ]));
    out
}

fn verify(src: &Path, dir: &Path, rows: &str) -> Run {
    let run = mg(&[
        "verify",
        "--database-url",
        SERVER,
        "--dir",
        dir.to_str().unwrap(),
        "--src",
        src.to_str().unwrap(),
        "--rows",
        rows,
    ]);
    assert_scratch_dropped(&run);
    run
}

/// The scratch database named on the first line is gone.
fn assert_scratch_dropped(run: &Run) {
    let name = run
        .stderr
        .split("in the scratch database ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no scratch database named: {run}"));
    let mut admin = postgres::Client::connect(ADMIN, postgres::NoTls).unwrap();
    let left: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "{name} was left behind");
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no `{from}`", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

#[test]
fn the_example_crate_verifies_with_one_line_per_file() {
    let src = workspace().join("examples/service");
    let run = ok(verify(&src, &src.join("sql"), "500"));
    let files = std::fs::read_dir(src.join("sql"))
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            let name = name.to_string_lossy();
            name.ends_with(".sql") && !name.ends_with(".rollback.sql")
        })
        .count();
    assert_eq!(files, 15);
    // Forward, rollback and forward again: a line per file each time.
    let lines = run.stderr.lines().filter(|l| l.starts_with("ok  ")).count();
    assert_eq!(lines, 3 * files, "{run}");
    assert!(
        run.stderr.contains(
            "ok  006_users_v2_expand.sql: public.users v1 and v2 code insert, select, update; the code of 2 other tables ok"
        ),
        "{run}"
    );
    assert!(
        run.stderr.contains(
            "ok  006_users_v2_expand.rollback.sql: catalog and data as before 006_users_v2_expand.sql"
        ),
        "{run}"
    );
    assert!(
        run.stdout.contains("verified ") && run.stdout.contains("15 files forward"),
        "{run}"
    );
}

#[test]
fn every_pattern_fixture_verifies() {
    let mut names: Vec<String> = std::fs::read_dir(workspace().join("tests/fixtures/patterns"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".rs").map(str::to_owned))
        .collect();
    names.sort();
    assert!(names.len() >= 20, "{names:?}");
    for name in names {
        let out = generated(&pattern(&name));
        let run = verify(&pattern(&name), out.path(), "200");
        assert_eq!(run.code, Some(0), "{name}: {run}");
    }
}

/// (a) A rollback that loses a dropped column's values: it adds the column back but does not
/// refill it from the archive.
#[test]
fn a_rollback_that_drops_a_columns_data_fails_naming_the_file() {
    let src = pattern("drop_column");
    let out = generated(&src);
    edit(
        &out.path().join("004_players_v2_drop_nickname.rollback.sql"),
        r#"((SELECT a."nickname" FROM "migrate_gen_archive"."players_nickname_v2" a WHERE a."id" = "players"."id"))"#,
        "NULL",
    );
    let run = failed(verify(&src, out.path(), "200"));
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stderr.contains(
            "after 004_players_v2_drop_nickname.rollback.sql: public.players: data changed by 004_players_v2_drop_nickname.sql and its rollback"
        ),
        "{run}"
    );
    assert!(
        run.stderr.contains(
            "(the values of the v1 column nickname in rows 1..=200 differ from before it)"
        ),
        "{run}"
    );
    // The files before it were proven, one line each.
    assert!(
        run.stderr
            .contains("ok  005_players_v2_drop_score.rollback.sql"),
        "{run}"
    );
}

/// (b) A rename's sync trigger that copies the old name to the new one but never back: the new
/// code's insert leaves the old NOT NULL column empty.
#[test]
fn a_sync_trigger_missing_one_direction_fails_naming_the_file_and_statement() {
    let src = pattern("rename_column");
    let out = generated(&src);
    edit(
        &out.path().join("003_authors_v2_expand.sql"),
        r#"NEW."name" := NEW."full_name";"#,
        "NULL;",
    );
    let run = failed(verify(&src, out.path(), "200"));
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stderr
            .contains("public.authors v2 code failed after 003_authors_v2_expand.sql: insert `INSERT INTO \"authors\""),
        "{run}"
    );
    assert!(
        run.stderr.contains(r#"null value in column "name""#),
        "{run}"
    );
}

/// (c) A contract ordered before the deploy: the expand file also drops the old column, so the
/// old code, still running, fails.
#[test]
fn a_contract_before_the_deploy_fails_naming_the_file_and_statement() {
    let src = pattern("rename_column");
    let out = generated(&src);
    let contract =
        std::fs::read_to_string(out.path().join("008_authors_v2_contract_name.sql")).unwrap();
    let expand = out.path().join("003_authors_v2_expand.sql");
    let text = std::fs::read_to_string(&expand).unwrap();
    std::fs::write(&expand, format!("{text}\n{contract}")).unwrap();
    let run = failed(verify(&src, out.path(), "200"));
    assert_eq!(run.code, Some(1), "{run}");
    // The background writer (old code until the deploy) or the old code's statements after
    // the file: either way, version 1's statement on the dropped column, during that file.
    assert!(
        run.stderr.contains("public.authors v1 code")
            && run.stderr.contains("003_authors_v2_expand.sql")
            && run.stderr.contains(r#"column "name""#)
            && run.stderr.contains("does not exist"),
        "{run}"
    );
}

#[test]
fn a_bad_server_is_one_line_without_its_password() {
    let dir = workspace().join("examples/service/sql");
    let run = failed(mg(&[
        "verify",
        "--database-url",
        "postgres://someone:s3cret-pw@127.0.0.1:1/postgres",
        "--dir",
        dir.to_str().unwrap(),
        "--src",
        workspace().join("examples/service").to_str().unwrap(),
    ]));
    assert_eq!(run.code, Some(1), "{run}");
    assert!(!run.stderr.contains("s3cret-pw"), "{run}");
    assert_eq!(run.stderr.trim().lines().count(), 1, "{run}");
}
