//! The `migrate-gen` binary, run for real in temporary folders: exit codes, messages and the
//! files it writes (or refuses to write). The structs are plain `.rs` text: the generator reads
//! them with syn and never compiles them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_migrate-gen");

/// `users` at version 2: a NOT NULL column added with a backfill (several files in one step).
const USERS_V2: &str = r#"use schema_macros::versioned;

#[versioned(table = "users", version = 2)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(unique)]
    pub email: String,
    #[col(since = 2, backfill = "split_part(email, '@', 1)")]
    pub display_name: String,
}
"#;

/// `users` at version 3: `USERS_V2` plus a nullable `bio`.
const USERS_V3: &str = r#"use schema_macros::versioned;

#[versioned(table = "users", version = 3)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(unique)]
    pub email: String,
    #[col(since = 2, backfill = "split_part(email, '@', 1)")]
    pub display_name: String,
    #[col(since = 3)]
    pub bio: Option<String>,
}
"#;

/// A second table, in its own file.
const ORGS_V1: &str = r#"use schema_macros::versioned;

#[versioned(table = "orgs", version = 1)]
pub struct Org {
    #[col(primary_key)]
    pub id: i64,
    pub name: String,
}
"#;

/// What one run of the binary gave back.
use test_support::Run;

fn output(out: Output) -> Run {
    out.into()
}

fn run_in(cwd: &Path, args: &[&str]) -> Run {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env("USER", "cli-test")
        .output()
        .expect("run migrate-gen");
    output(out)
}

/// A crate folder (`src/*.rs`) and its migrations folder (`sql/`) in a fresh temporary dir.
struct Project {
    dir: TempDir,
}

impl Project {
    fn new() -> Project {
        Project {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn with(files: &[(&str, &str)]) -> Project {
        let p = Project::new();
        for (name, text) in files {
            p.write(name, text);
        }
        p
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn out(&self) -> PathBuf {
        self.root().join("sql")
    }

    /// Writes `src/NAME`.
    fn write(&self, name: &str, text: &str) {
        let path = self.root().join("src").join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn run(&self, args: &[&str]) -> Run {
        run_in(self.root(), args)
    }

    fn generate(&self, date: &str) -> Run {
        self.run(&[
            "generate", "--src", ".", "--out", "sql", "--date", date, "--author", "tester",
        ])
    }

    fn check(&self) -> Run {
        self.run(&["generate", "--check", "--src", ".", "--out", "sql"])
    }

    fn plan(&self) -> Run {
        self.run(&["plan", "--src", ".", "--out", "sql"])
    }

    fn sql(&self, name: &str) -> PathBuf {
        self.out().join(name)
    }
}

/// Every file of `dir` (not recursive) with its bytes; empty when `dir` does not exist.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// The leading number of a migration file name, `007_users_v2_backfill.sql` -> 7.
fn number(name: &str) -> u32 {
    name.split('_')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{name} does not start with a number"))
}

/// The forward files (`NNN_*.sql`, not rollbacks) of a snapshot, in name order.
fn forwards(files: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    files
        .keys()
        .filter(|n| n.ends_with(".sql") && !n.ends_with(".rollback.sql"))
        .cloned()
        .collect()
}

/// Forward files are numbered 1..=N without a gap or a repeat, and each has its rollback.
#[track_caller]
fn assert_numbered_pairs(files: &BTreeMap<String, Vec<u8>>) {
    let fwd = forwards(files);
    let numbers: Vec<u32> = fwd.iter().map(|n| number(n)).collect();
    let expected: Vec<u32> = (1..=fwd.len() as u32).collect();
    assert_eq!(numbers, expected, "forward files: {fwd:?}");
    for f in &fwd {
        let rollback = f.replace(".sql", ".rollback.sql");
        assert!(files.contains_key(&rollback), "{f} has no {rollback}");
    }
    let rollbacks = files
        .keys()
        .filter(|n| n.ends_with(".rollback.sql"))
        .count();
    assert_eq!(rollbacks, fwd.len(), "a rollback without its forward file");
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

// ---------------------------------------------------------------------------------------------
// 1. First run, second run.

#[test]
fn first_run_on_an_empty_folder_writes_the_whole_history_and_the_manifest() {
    let p = Project::with(&[("lib.rs", USERS_V2)]);
    fs::create_dir(p.out()).unwrap();

    let run = p.generate("2026-11-24");
    run.assert_ok();
    assert!(
        run.stdout.contains("public.users v1 (create)")
            && run.stdout.contains("public.users v1 -> v2"),
        "the report names both steps: {run}"
    );

    let files = snapshot(&p.out());
    assert!(files.contains_key("migrations.lock"), "{:?}", files.keys());
    assert_numbered_pairs(&files);
    let fwd = forwards(&files);
    assert_eq!(fwd[0], "001_users_create.sql", "the create comes first");
    assert!(
        fwd.len() > 2,
        "the backfilled column takes several files: {fwd:?}"
    );
    for f in &fwd[1..] {
        assert!(f.contains("_users_v2_"), "{f} should belong to users v2");
    }
    for (name, bytes) in &files {
        if name.ends_with(".sql") {
            assert!(
                text(bytes).contains("2026-11-24"),
                "{name} carries the --date"
            );
        }
    }
    let lock = text(&files["migrations.lock"]);
    for f in &fwd {
        let stem = f.trim_end_matches(".sql");
        assert!(lock.contains(stem), "migrations.lock lists {stem}:\n{lock}");
    }
    assert!(lock.contains("step public.users 1 ") && lock.contains("step public.users 2 "));
}

#[test]
fn a_second_run_with_another_date_writes_nothing_and_says_up_to_date() {
    let p = Project::with(&[("lib.rs", USERS_V2)]);
    p.generate("2026-11-24").assert_ok();
    let before = snapshot(&p.out());

    let run = p.generate("2027-02-03");
    run.assert_ok();
    assert!(run.stdout.contains("up to date"), "{run}");
    assert!(!run.stdout.contains("wrote"), "{run}");
    assert_eq!(
        snapshot(&p.out()),
        before,
        "every file, the manifest included, is byte-identical"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. A new version appends.

#[test]
fn a_new_version_appends_files_numbered_after_the_existing_ones() {
    let p = Project::with(&[("lib.rs", USERS_V2)]);
    p.generate("2026-11-24").assert_ok();
    let before = snapshot(&p.out());
    let last_before = forwards(&before).iter().map(|f| number(f)).max().unwrap();

    p.write("lib.rs", USERS_V3);
    let run = p.generate("2026-12-01");
    run.assert_ok();
    assert!(run.stdout.contains("public.users v2 -> v3"), "{run}");
    assert!(
        !run.stdout.contains("v1 -> v2") && !run.stdout.contains("(create)"),
        "only the new step is written: {run}"
    );

    let after = snapshot(&p.out());
    assert_numbered_pairs(&after);
    for (name, bytes) in &before {
        if name.ends_with(".sql") {
            assert_eq!(after.get(name), Some(bytes), "{name} was rewritten");
        }
    }
    let added: Vec<&String> = after.keys().filter(|n| !before.contains_key(*n)).collect();
    assert!(!added.is_empty(), "nothing was appended");
    for name in &added {
        assert!(
            number(name) > last_before,
            "{name} is not numbered after {last_before}"
        );
        assert!(
            name.contains("_users_v3_"),
            "{name} should belong to users v3"
        );
        assert!(
            text(&after[*name]).contains("2026-12-01"),
            "{name} has the new date"
        );
    }
    // The manifest only gains lines: every step and file line of the old one is still there.
    let old_lock = text(&before["migrations.lock"]);
    let new_lock = text(&after["migrations.lock"]);
    for line in old_lock
        .lines()
        .filter(|l| l.starts_with("step ") || l.starts_with("file "))
    {
        assert!(new_lock.contains(line), "lost from migrations.lock: {line}");
    }
    assert!(new_lock.contains("step public.users 3 "), "{new_lock}");

    p.check().assert_ok();
}

// ---------------------------------------------------------------------------------------------
// 3. --check.

/// `orgs` at version 2: a backfilled column too, so that its step has a contract file.
const ORGS_V2: &str = r#"use schema_macros::versioned;

#[versioned(table = "orgs", version = 2)]
pub struct Org {
    #[col(primary_key)]
    pub id: i64,
    pub name: String,
    #[col(since = 2, backfill = "lower(name)")]
    pub slug: String,
}
"#;

#[test]
fn a_release_puts_every_contract_file_after_its_expand_and_backfill_files() {
    let p = Project::with(&[("users.rs", USERS_V2.replace("version = 2", "version = 1").replace(
        "    #[col(since = 2, backfill = \"split_part(email, '@', 1)\")]\n    pub display_name: String,\n",
        "",
    ).as_str()), ("orgs.rs", ORGS_V1)]);
    p.generate("2026-01-01").assert_ok();
    // One run adds users v2 and orgs v2: one release, two steps with contract files.
    p.write("users.rs", USERS_V2);
    p.write("orgs.rs", ORGS_V2);
    p.generate("2026-01-02").assert_ok();
    let lock = fs::read_to_string(p.sql("migrations.lock")).unwrap();
    // The first run's version is release 1 (one release per version on an empty folder), the
    // second run's is release 2.
    assert!(lock.contains("step public.users 1 r1 ") && lock.contains("step public.orgs 1 r1 "));
    let new: Vec<(&str, &str)> = lock
        .lines()
        .filter(|l| l.starts_with("file ") && l.contains(" r2 "))
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w[4], w[9])
        })
        .collect();
    let first_contract = new
        .iter()
        .position(|(phase, _)| *phase == "contract")
        .unwrap();
    assert!(first_contract > 0, "{new:?}");
    assert!(
        new[first_contract..]
            .iter()
            .all(|(phase, _)| *phase == "contract"),
        "a contract file comes before an expand or backfill file of its release: {new:?}"
    );
    assert_eq!(
        new.len() - first_contract,
        2,
        "both steps have a contract file: {new:?}"
    );
}

#[test]
fn check_passes_when_every_version_has_its_migrations() {
    let p = Project::with(&[("lib.rs", USERS_V2)]);
    p.generate("2026-11-24").assert_ok();
    let run = p.check();
    run.assert_ok();
    assert!(run.stdout.contains("up to date"), "{run}");
}

#[test]
fn check_fails_and_names_the_pending_step_and_writes_nothing() {
    let p = Project::with(&[("lib.rs", USERS_V2)]);
    p.generate("2026-11-24").assert_ok();
    let before = snapshot(&p.out());

    p.write("lib.rs", USERS_V3);
    let run = p.check();
    run.assert_failed();
    assert!(run.stderr.contains("public.users v2 -> v3"), "{run}");
    assert!(
        !run.stderr.contains("v1 -> v2"),
        "only the pending step: {run}"
    );
    assert_eq!(snapshot(&p.out()), before, "--check wrote something");
}

#[test]
fn check_on_an_empty_folder_fails_and_does_not_create_it() {
    let p = Project::with(&[("lib.rs", USERS_V2)]);
    let run = p.check();
    run.assert_failed();
    assert!(
        run.stderr.contains("public.users v1 (create)")
            && run.stderr.contains("public.users v1 -> v2"),
        "{run}"
    );
    assert!(!p.out().exists(), "--check created {}", p.out().display());
}

// ---------------------------------------------------------------------------------------------
// 4. Edited files.

#[test]
fn check_fails_when_an_emitted_file_was_edited_and_names_it() {
    let p = Project::with(&[("lib.rs", USERS_V2)]);
    p.generate("2026-11-24").assert_ok();
    let fwd = forwards(&snapshot(&p.out()));
    let victim = fwd[1].clone();
    let path = p.sql(&victim);
    let edited = fs::read_to_string(&path).unwrap() + "-- a hand-made tweak\n";
    fs::write(&path, &edited).unwrap();

    let run = p.check();
    run.assert_failed();
    assert!(run.stderr.contains(&victim), "names the file: {run}");
    assert!(run.stderr.contains("edited"), "says it was edited: {run}");
    assert_eq!(fs::read_to_string(&path).unwrap(), edited, "left as it is");

    // `generate` refuses too, even with a new version to add, and writes nothing.
    p.write("lib.rs", USERS_V3);
    let before = snapshot(&p.out());
    let run = p.generate("2026-12-01");
    run.assert_failed();
    assert!(run.stderr.contains(&victim), "{run}");
    assert_eq!(snapshot(&p.out()), before);
}

#[test]
fn check_fails_when_a_rollback_was_edited_and_names_it() {
    let p = Project::with(&[("lib.rs", USERS_V2)]);
    p.generate("2026-11-24").assert_ok();
    let path = p.sql("001_users_create.rollback.sql");
    let edited = fs::read_to_string(&path)
        .unwrap()
        .replacen("DROP", "-- DROP", 1);
    fs::write(&path, edited).unwrap();

    let run = p.check();
    run.assert_failed();
    assert!(
        run.stderr.contains("001_users_create.rollback.sql"),
        "{run}"
    );
    assert!(run.stderr.contains("edited"), "{run}");
}

#[test]
fn crlf_line_endings_are_not_an_edit() {
    let p = Project::with(&[("lib.rs", USERS_V2)]);
    p.generate("2026-11-24").assert_ok();
    for (name, bytes) in snapshot(&p.out()) {
        let crlf = text(&bytes).replace('\n', "\r\n");
        assert_ne!(crlf.as_bytes(), &bytes[..], "{name} had no line to convert");
        fs::write(p.sql(&name), crlf).unwrap();
    }

    let run = p.check();
    run.assert_ok();
    assert!(run.stdout.contains("up to date"), "{run}");

    // And a later version still appends after the converted files.
    p.write("lib.rs", USERS_V3);
    p.generate("2026-12-01").assert_ok();
    p.check().assert_ok();
}

// ---------------------------------------------------------------------------------------------
// 5. Edited history.

/// Replaces the source with `edited` after generating `USERS_V3`; `generate` and `--check`
/// both refuse with "add a new version instead" and a mention of `expect`, writing nothing.
#[track_caller]
fn assert_history_edit_refused(edited: &str, expect: &str) {
    let p = Project::with(&[("lib.rs", USERS_V3)]);
    p.generate("2026-11-24").assert_ok();
    let before = snapshot(&p.out());
    p.write("lib.rs", edited);

    for run in [p.generate("2026-12-01"), p.check()] {
        run.assert_failed();
        assert!(run.stderr.contains("add a new version instead"), "{run}");
        assert!(run.stderr.contains(expect), "mentions {expect:?}: {run}");
        assert_eq!(snapshot(&p.out()), before, "something was written");
    }
}

#[test]
fn changing_a_column_type_at_an_emitted_version_is_refused() {
    let edited = USERS_V3.replace(
        "    #[col(unique)]\n    pub email: String,",
        "    #[col(unique, sql_type = \"varchar(320)\")]\n    pub email: String,",
    );
    assert_ne!(edited, USERS_V3);
    assert_history_edit_refused(&edited, "public.users version 1");
}

#[test]
fn adding_a_column_at_an_emitted_version_is_refused() {
    let edited = USERS_V3.replace(
        "    #[col(since = 3)]",
        "    #[col(since = 2)]\n    pub age: Option<i32>,\n    #[col(since = 3)]",
    );
    assert_ne!(edited, USERS_V3);
    assert_history_edit_refused(&edited, "public.users version 2");
}

#[test]
fn removing_an_emitted_version_is_refused() {
    let edited = USERS_V2
        .replace("version = 2", "version = 1")
        .replace(
            "    #[col(since = 2, backfill = \"split_part(email, '@', 1)\")]\n    pub display_name: String,\n",
            "",
        );
    assert!(!edited.contains("display_name") && edited.contains("version = 1"));
    assert_history_edit_refused(&edited, "public.users version 3");
}

// ---------------------------------------------------------------------------------------------
// 6. Two branches, merged with git.

fn git(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        // Only this repository's settings: no user or system config (signing, merge style, ...).
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("LC_ALL", "C")
        .output()
        .expect("git must be installed to run this test");
    output(out)
}

#[track_caller]
fn git_ok(dir: &Path, args: &[&str]) {
    let run = git(dir, args);
    assert!(run.ok(), "git {args:?}: {run}");
}

/// A base with `users` v2 and its sql/; branch `a` adds users v3, branch `b` adds the table
/// `orgs` in another file; each generates and commits; then `b` merges `a`. Returns the repo,
/// mid-merge, the merge's output and the two files that got the same number.
fn merged_branches() -> (Project, Run, Shared) {
    let p = Project::with(&[("users.rs", USERS_V2)]);
    let dir = p.root();
    git_ok(dir, &["init", "-q"]);
    git_ok(dir, &["config", "user.name", "Migration Tester"]);
    git_ok(dir, &["config", "user.email", "tester@example.com"]);
    git_ok(dir, &["config", "commit.gpgsign", "false"]);
    git_ok(dir, &["config", "merge.conflictstyle", "merge"]);
    git_ok(dir, &["checkout", "-q", "-b", "base"]);
    p.generate("2026-11-24").assert_ok();
    git_ok(dir, &["add", "src", "sql"]);
    git_ok(dir, &["commit", "-q", "-m", "users v2"]);

    let base = snapshot(&p.out());
    let new_file = |base: &BTreeMap<String, Vec<u8>>| {
        let added: Vec<String> = forwards(&snapshot(&p.out()))
            .into_iter()
            .filter(|f| !base.contains_key(f))
            .collect();
        assert_eq!(added.len(), 1, "one new forward file: {added:?}");
        added[0].clone()
    };

    git_ok(dir, &["checkout", "-q", "-b", "a"]);
    p.write("users.rs", USERS_V3);
    p.generate("2026-11-25").assert_ok();
    let users_v3 = new_file(&base);
    git_ok(dir, &["add", "src", "sql"]);
    git_ok(dir, &["commit", "-q", "-m", "users v3"]);

    git_ok(dir, &["checkout", "-q", "base"]);
    git_ok(dir, &["checkout", "-q", "-b", "b"]);
    p.write("orgs.rs", ORGS_V1);
    p.generate("2026-11-26").assert_ok();
    let orgs = new_file(&base);
    git_ok(dir, &["add", "src", "sql"]);
    git_ok(dir, &["commit", "-q", "-m", "orgs"]);

    // Both branches gave their new file the number after the base's last.
    assert!(users_v3.ends_with("_users_v3_expand.sql"), "{users_v3}");
    assert!(orgs.ends_with("_orgs_create.sql"), "{orgs}");
    assert_eq!(number(&users_v3), number(&orgs));
    let merge = git(dir, &["merge", "--no-edit", "a"]);
    (p, merge, Shared { orgs, users_v3 })
}

/// The forward files that branch `b` (`orgs`) and branch `a` (`users_v3`) both numbered N.
struct Shared {
    orgs: String,
    users_v3: String,
}

#[test]
fn two_branches_that_add_migrations_conflict_on_the_manifest() {
    let (p, merge, shared) = merged_branches();
    assert!(!merge.ok(), "the merge should stop on a conflict: {merge}");
    assert!(
        merge.all().contains("CONFLICT") && merge.all().contains("sql/migrations.lock"),
        "{merge}"
    );
    let status = git(p.root(), &["status", "--porcelain"]);
    assert!(
        status.stdout.contains("UU sql/migrations.lock"),
        "only the manifest conflicts: {status}"
    );
    assert_eq!(
        status
            .stdout
            .lines()
            .filter(|l| l.starts_with("UU"))
            .count(),
        1,
        "{status}"
    );
    // The migrations themselves merge without a conflict: both numbered files are there.
    assert!(p.sql(&shared.orgs).exists() && p.sql(&shared.users_v3).exists());
}

#[test]
fn conflict_markers_left_in_the_manifest_are_a_clear_error() {
    let (p, merge, _) = merged_branches();
    assert!(!merge.ok(), "{merge}");
    let lock = fs::read_to_string(p.sql("migrations.lock")).unwrap();
    assert!(lock.contains("<<<<<<<"), "{lock}");
    let before = snapshot(&p.out());

    for run in [p.check(), p.generate("2026-11-27"), p.plan()] {
        run.assert_failed();
        assert!(run.stderr.contains("merge conflict"), "{run}");
        assert!(run.stderr.contains("migrations.lock"), "{run}");
    }
    assert_eq!(snapshot(&p.out()), before, "something was written");
}

#[test]
fn a_manifest_merged_by_keeping_both_sides_is_refused() {
    let (p, merge, shared) = merged_branches();
    assert!(!merge.ok(), "{merge}");
    let lock_path = p.sql("migrations.lock");
    let naive: String = fs::read_to_string(&lock_path)
        .unwrap()
        .lines()
        .filter(|l| {
            !(l.starts_with("<<<<<<<") || l.starts_with("=======") || l.starts_with(">>>>>>>"))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&lock_path, &naive).unwrap();
    let before = snapshot(&p.out());

    let run = p.check();
    run.assert_failed();
    let names_both = run.stderr.contains(&shared.orgs) && run.stderr.contains(&shared.users_v3);
    assert!(
        names_both || run.stderr.contains("merged by hand"),
        "names the two files that share a number, or says the manifest was merged by hand: {run}"
    );
    let run = p.generate("2026-11-27");
    run.assert_failed();
    assert_eq!(snapshot(&p.out()), before, "something was written");
}

#[test]
fn a_manifest_taken_from_one_branch_names_both_files_that_share_a_number_until_renumbered() {
    let (p, merge, shared) = merged_branches();
    assert!(!merge.ok(), "{merge}");
    let dir = p.root();
    git_ok(dir, &["checkout", "--ours", "sql/migrations.lock"]);

    let run = p.check();
    run.assert_failed();
    assert!(
        run.stderr.contains(&shared.orgs) && run.stderr.contains(&shared.users_v3),
        "{run}"
    );

    // The manifest's advice: keep one branch's files, then generate again for the other's.
    let rollback = shared.users_v3.replace(".sql", ".rollback.sql");
    for name in [&shared.users_v3, &rollback] {
        git_ok(dir, &["rm", "-q", "-f", &format!("sql/{name}")]);
    }
    let run = p.generate("2026-11-27");
    run.assert_ok();
    assert!(run.stdout.contains("public.users v2 -> v3"), "{run}");
    let renumbered = format!("{:03}_users_v3_expand.sql", number(&shared.orgs) + 1);
    assert!(p.sql(&renumbered).exists(), "expected {renumbered}: {run}");
    p.check().assert_ok();
    assert_numbered_pairs(&snapshot(&p.out()));
}

// ---------------------------------------------------------------------------------------------
// 7. Unsafe changes.

#[test]
fn a_type_change_between_versions_is_refused_naming_table_column_version_and_fix() {
    // Two fields for one column: `score` is bigint below version 2 and text from version 2.
    // (The source is read, never compiled, so the repeated field name is fine here.)
    let users = r#"use schema_macros::versioned;

#[versioned(table = "users", version = 2)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(until = 2)]
    pub score: i64,
    #[col(since = 2, default = "''")]
    pub score: String,
}
"#;
    // A valid table beside it must not be written either.
    let p = Project::with(&[("orgs.rs", ORGS_V1), ("users.rs", users)]);
    let run = p.generate("2026-11-24");
    run.assert_failed();
    for part in [
        "public.users",
        "version 2",
        "`score`",
        "bigint",
        "text",
        "new version",
    ] {
        assert!(run.stderr.contains(part), "mentions {part:?}: {run}");
    }
    assert!(!p.out().exists(), "wrote into {}", p.out().display());

    let run = p.plan();
    run.assert_failed();
    assert!(run.stderr.contains("`score`"), "{run}");
}

/// A foreign key to a table that none of the sources declares would fail only at apply.
#[test]
fn a_reference_to_a_table_outside_the_sources_is_refused() {
    let users = r#"use schema_macros::versioned;

#[versioned(table = "users", version = 1)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(references = "teams(id)")]
    pub team_id: Option<i64>,
}
"#;
    let p = Project::with(&[("users.rs", users)]);
    let run = p.generate("2026-11-24");
    run.assert_failed();
    assert!(
        run.stderr.contains("public.users version 1, column `team_id`: references public.teams, which no #[versioned] struct of these sources declares"),
        "{run}"
    );
    assert!(!p.out().exists(), "wrote into {}", p.out().display());
}

#[test]
fn dropping_a_column_another_table_references_is_refused_naming_table_column_version_and_fix() {
    let orgs = r#"use schema_macros::versioned;

#[versioned(table = "orgs", version = 2)]
pub struct Org {
    #[col(primary_key)]
    pub id: i64,
    #[col(until = 2, unique)]
    pub code: Option<String>,
}
"#;
    let users = r#"use schema_macros::versioned;

#[versioned(table = "users", version = 2)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(references = "orgs(code)")]
    pub org_code: Option<String>,
}
"#;
    let p = Project::with(&[("orgs.rs", orgs), ("users.rs", users)]);
    let run = p.generate("2026-11-24");
    run.assert_failed();
    for part in [
        "public.users version 2",
        "`org_code`",
        "references public.orgs",
        "no column `code` at version 2",
        "reference a table and column that exist",
    ] {
        assert!(run.stderr.contains(part), "mentions {part:?}: {run}");
    }
    assert!(!p.out().exists(), "wrote into {}", p.out().display());
}

const CARTS: &str = r#"use schema_macros::versioned;

#[versioned(table = "stores", version = 1)]
pub struct Store {
    #[col(primary_key)]
    pub id: i64,
}

#[versioned(table = "carts", version = 2, until = 2)]
pub struct Cart {
    #[col(primary_key)]
    pub id: i64,
    #[col(references = "stores(id)")]
    pub store_id: i64,
}
"#;

#[test]
fn dropping_a_table_another_table_references_is_refused_naming_table_version_and_fix() {
    let items = r#"use schema_macros::versioned;

#[versioned(table = "items", version = 1)]
pub struct Item {
    #[col(primary_key)]
    pub id: i64,
    #[col(references = "carts(id)")]
    pub cart_id: Option<i64>,
}
"#;
    let p = Project::with(&[("carts.rs", CARTS), ("items.rs", items)]);
    for run in [p.generate("2026-11-24"), p.plan()] {
        run.assert_failed();
        for part in [
            "public.carts version 2",
            "public.items column `cart_id` still references it",
            "`until = 2` on its #[col]",
            "drop public.carts in a later version",
        ] {
            assert!(run.stderr.contains(part), "mentions {part:?}: {run}");
        }
    }
    assert!(!p.out().exists(), "wrote into {}", p.out().display());

    // With the reference dropped at the same version, its contract file goes first.
    p.write(
        "items.rs",
        &items.replace("version = 1", "version = 2").replace(
            "#[col(references = \"carts(id)\")]",
            "#[col(until = 2, references = \"carts(id)\")]",
        ),
    );
    let run = p.plan();
    run.assert_ok();
    let (_, after) = run.stdout.split_once("After the old code is gone").unwrap();
    assert_eq!(
        after.lines().skip(1).map(str::trim).collect::<Vec<_>>(),
        [
            "public.items v1 -> v2 drop_cart_id",
            "public.carts v1 -> v2 drop"
        ],
        "{run}"
    );
    p.generate("2026-11-24").assert_ok();
    let names: Vec<String> = forwards(&snapshot(&p.out()));
    assert_eq!(
        names[names.len() - 2..],
        ["004_items_v2_drop_cart_id.sql", "005_carts_v2_drop.sql"]
    );
}

#[test]
fn plan_shows_a_table_drop_in_the_contract_phase() {
    let p = Project::with(&[("lib.rs", CARTS)]);
    let run = p.plan();
    run.assert_ok();
    assert!(run.stdout.contains("public.carts v1 -> v2"), "{run}");
    let (before, after) = run.stdout.split_once("After the old code is gone").unwrap();
    assert!(!before.contains("v1 -> v2 drop"), "{run}");
    assert!(after.contains("public.carts v1 -> v2 drop"), "{run}");
    assert!(
        run.stdout.contains("contract  drop")
            && run
                .stdout
                .contains("migrate_gen_archive.carts_v2 (kept 7 days)")
            && run
                .stdout
                .contains("rewrites table: no; scans table: no; transaction: one")
            && run
                .stdout
                .contains("risk: medium (old code that still uses carts fails"),
        "{run}"
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Bad annotations.

const MISSPELT: &str = r#"use schema_macros::versioned;

#[versioned(table = "users", version = 1)]
pub struct User {
    #[col(primay_key)]
    pub id: i64,
}
"#;

#[test]
fn a_misspelt_key_is_reported_at_its_place_with_the_closest_key() {
    let p = Project::with(&[("lib.rs", MISSPELT)]);
    let file = p.root().join("src").join("lib.rs");

    // --src as the crate folder and as the file itself.
    for src in [p.root().to_owned(), file.clone()] {
        let out = p.out();
        let run = run_in(
            p.root(),
            &[
                "generate",
                "--src",
                src.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--date",
                "2026-11-24",
            ],
        );
        run.assert_failed();
        // Line 5, column 11: the `p` of `primay_key` in `    #[col(primay_key)]`.
        let place = format!("{}:5:11:", file.display());
        assert!(run.stderr.contains(&place), "expected {place:?}: {run}");
        assert!(run.stderr.contains("did you mean `primary_key`"), "{run}");
        assert!(!out.exists(), "wrote into {}", out.display());
    }
}

#[test]
fn a_misspelt_struct_key_is_reported_too() {
    let p = Project::with(&[("lib.rs", &MISSPELT.replace("table =", "tabel ="))]);
    let run = p.generate("2026-11-24");
    run.assert_failed();
    assert!(run.stderr.contains("lib.rs:3:13:"), "{run}");
    assert!(run.stderr.contains("did you mean `table`"), "{run}");
}

#[test]
fn a_version_above_the_bound_is_refused_at_once() {
    // Without the bound the generator would walk four billion versions.
    let p = Project::with(&[(
        "lib.rs",
        &ORGS_V1.replace("version = 1", "version = 4294967295"),
    )]);
    let started = std::time::Instant::now();
    let run = p.generate("2026-11-24");
    run.assert_failed();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    // Line 3, column 39: the `4` of `version = 4294967295`.
    assert!(run.stderr.contains("lib.rs:3:39:"), "{run}");
    assert!(
        run.stderr
            .contains("version = 4294967295 is above 1000, the highest version supported"),
        "{run}"
    );
    assert!(!p.out().exists(), "wrote into {}", p.out().display());
}

// ---------------------------------------------------------------------------------------------
// 9. Bad command lines.

#[test]
fn a_bad_command_line_is_one_error_line_and_a_failure() {
    let p = Project::with(&[("lib.rs", USERS_V2)]);
    let cases: &[(&[&str], &str)] = &[
        (&["generate", "--src", ".", "--bogus"], "--bogus"),
        (&["plan", "--frobnicate"], "--frobnicate"),
        (&["generate", "--out", "sql"], "--src"),
        (
            &[
                "generate",
                "--src",
                ".",
                "--out",
                "sql",
                "--date",
                "2026-13-45",
            ],
            "2026-13-45",
        ),
        (
            &[
                "generate",
                "--src",
                ".",
                "--out",
                "sql",
                "--batch-size",
                "0",
            ],
            "--batch-size",
        ),
        (
            &["generate", "--src", "no/such/crate", "--out", "sql"],
            "no/such/crate",
        ),
        (&["frobnicate"], "frobnicate"),
    ];
    for (args, mention) in cases {
        let run = p.run(args);
        assert!(
            run.code.is_some_and(|c| c != 0),
            "{args:?} should fail: {run}"
        );
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: one line: {run}");
        assert!(run.stderr.starts_with("error:"), "{args:?}: {run}");
        assert!(
            run.stderr.contains(mention),
            "{args:?} mentions {mention:?}: {run}"
        );
        assert!(run.stdout.is_empty(), "{args:?}: nothing on stdout: {run}");
        assert!(!p.out().exists(), "{args:?} wrote into sql/");
    }
}

// ---------------------------------------------------------------------------------------------
// 10. plan.

#[test]
fn plan_shows_each_pending_file_with_phase_lock_rewrites_scans_and_risk() {
    let p = Project::with(&[("lib.rs", USERS_V2)]);
    let run = p.plan();
    run.assert_ok();
    let out = &run.stdout;
    assert!(out.contains("2 pending steps"), "{run}");
    assert!(out.contains("public.users v1 (create)"), "{run}");
    assert!(out.contains("public.users v1 -> v2"), "{run}");
    // Grouped by deploy phase: the fill trigger goes only after the old code is gone.
    let (before, after) = out
        .split_once("After the old code is gone")
        .expect("a deploy summary");
    assert!(before.contains("Before deploying the new code"), "{run}");
    assert!(before.contains("public.users v1 -> v2 backfill"), "{run}");
    assert!(
        after.contains("public.users v1 -> v2 contract") && !after.contains("backfill"),
        "{run}"
    );
    for phase in ["expand", "backfill", "contract"] {
        assert!(
            out.lines().any(|l| l.trim_start().starts_with(phase)),
            "a {phase} file: {run}"
        );
    }
    assert!(
        out.contains("rewrites table: no; scans table: yes"),
        "the backfill scans the table: {run}"
    );
    assert!(!p.out().exists(), "plan wrote into sql/");

    // One entry per file that generate then writes, each with its lock and risk.
    p.generate("2026-11-24").assert_ok();
    let files = forwards(&snapshot(&p.out())).len();
    for key in ["lock: ", "rewrites table: ", "scans table: ", "risk: "] {
        assert_eq!(out.matches(key).count(), files, "{key:?} per file: {run}");
    }

    let run = p.plan();
    run.assert_ok();
    assert!(run.stdout.contains("nothing pending"), "{run}");
    assert!(!run.stdout.contains("risk:"), "{run}");

    p.write("lib.rs", USERS_V3);
    let run = p.plan();
    run.assert_ok();
    assert!(run.stdout.contains("1 pending steps"), "{run}");
    assert!(run.stdout.contains("public.users v2 -> v3"), "{run}");
    assert!(!run.stdout.contains("v1 -> v2"), "{run}");
    assert!(
        run.stdout.contains("risk: low"),
        "a nullable column is low risk: {run}"
    );
}

// ---------------------------------------------------------------------------------------------
// 11. No arguments, in this workspace.

#[test]
fn no_arguments_in_the_workspace_root_says_everything_is_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let example = root.join("examples/service");
    let lock = example.join("sql/migrations.lock");
    assert!(lock.exists(), "{} is not committed yet", lock.display());

    // Without arguments the tool writes; make sure first that it has nothing to write, so that
    // a failing test never leaves files in the repository.
    let check = run_in(
        &root,
        &[
            "generate",
            "--check",
            "--src",
            "examples/service",
            "--out",
            "examples/service/sql",
        ],
    );
    assert!(
        check.ok(),
        "examples/service/sql is not up to date: {check}"
    );

    let run = run_in(&root, &[]);
    run.assert_ok();
    assert!(run.stdout.contains("everything is up to date"), "{run}");
}

// ---------------------------------------------------------------------------------------------
// Type changes and releases.

#[test]
fn a_type_change_with_a_later_version_in_one_run_is_refused() {
    let p = Project::with(&[("lib.rs", USERS_V2)]);
    p.generate("2026-11-24").assert_ok();
    let before = snapshot(&p.out());
    // A type change at 3 through a view, and a version 4 in the same run.
    let v4 = USERS_V2
        .replace("version = 2", "version = 4")
        .replace(
            "    #[col(unique)]\n    pub email: String,",
            "    #[col(unique, sql_type = \"uuid\", retyped_at = 3, old_type = \"String\", using = \"email::uuid\")]\n    pub email: String,\n    #[col(since = 4)]\n    pub bio: Option<String>,",
        );
    assert_ne!(v4, USERS_V2);
    p.write("lib.rs", &v4);
    let plan = p.plan();
    plan.assert_ok();
    assert!(
        plan.stdout.contains("new code: version 3 reads public.users through the view public_v3.users until the contract; set `search_path = public_v3, public` on its connections"),
        "{plan}"
    );
    let run = p.generate("2026-12-01");
    run.assert_failed();
    assert!(
        run.stderr.contains("public.users version 3: its type change is read through the view public_v3.users until its contract, so it needs a release of its own, but this run also adds version 4"),
        "{run}"
    );
    assert_eq!(snapshot(&p.out()), before, "something was written");
    // Alone, the type change is one release; the next version follows in another run.
    p.write(
        "lib.rs",
        &v4.replace("version = 4", "version = 3")
            .replace("    #[col(since = 4)]\n    pub bio: Option<String>,\n", ""),
    );
    p.generate("2026-12-01").assert_ok();
    p.write("lib.rs", &v4);
    p.generate("2026-12-02").assert_ok();
}

#[test]
fn a_type_change_of_a_referenced_column_is_refused_with_the_fix() {
    let src = r#"use schema_macros::versioned;

#[versioned(table = "orgs", version = 2)]
pub struct Org {
    #[col(primary_key)]
    pub id: i64,
    #[col(unique, sql_type = "varchar(64)", retyped_at = 2, old_sql_type = "varchar(32)")]
    pub code: String,
}

#[versioned(table = "users", version = 2)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(sql_type = "varchar(32)", references = "orgs(code)")]
    pub org_code: String,
}
"#;
    let p = Project::with(&[("lib.rs", src)]);
    let run = p.generate("2026-11-24");
    run.assert_failed();
    assert!(
        run.stderr.contains("public.orgs version 2, column `code`: its type changes, but public.users.org_code references it"),
        "{run}"
    );
    assert!(!p.out().exists(), "nothing is written");
}

// ---------------------------------------------------------------------------------------------
// 11. Output closed early, and sources that are not what --src expects.

#[test]
fn a_stdout_closed_early_ends_the_run_quietly() {
    let p = Project::with(&[("lib.rs", USERS_V2)]);
    for command in ["generate", "plan"] {
        let args = [command, "--src", ".", "--out", "sql"];
        let mut child = Command::new(BIN)
            .args(args)
            .current_dir(p.root())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run migrate-gen");
        // The reader goes away before anything is written, like `| head -0`.
        drop(child.stdout.take());
        let run = output(child.wait_with_output().unwrap());
        assert_eq!(run.code, Some(0), "{args:?}: {run}");
        assert!(
            run.stderr.is_empty(),
            "{args:?}: no panic, no message: {run}"
        );
    }
}

#[test]
fn a_src_that_is_neither_a_crate_nor_a_rs_file_is_refused() {
    let p = Project::new();
    fs::write(p.root().join("lib.rs"), USERS_V2).unwrap();
    fs::write(p.root().join("notes.txt"), USERS_V2).unwrap();
    let cases = [
        (
            ".",
            "not a crate directory (it has neither Cargo.toml nor src/)",
        ),
        ("notes.txt", "not a .rs file"),
    ];
    let check = |src: &str, says: &str| {
        let run = p.run(&["generate", "--src", src, "--out", "sql"]);
        run.assert_failed();
        assert_eq!(run.stderr.lines().count(), 1, "{src}: {run}");
        assert!(
            run.stderr
                .starts_with(&format!("error: --src {src}: {says}"))
                && run.stderr.contains(
                    "expected a crate directory (with Cargo.toml and src/) or one .rs file"
                ),
            "{src}: {run}"
        );
        assert!(!p.out().exists(), "{src}: wrote into sql/");
    };
    for (src, says) in cases {
        check(src, says);
    }
    fs::write(p.root().join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
    check(
        ".",
        "not a crate directory (it has a Cargo.toml but no src/)",
    );
    // The .rs file itself is fine.
    p.run(&["generate", "--src", "lib.rs", "--out", "sql"])
        .assert_ok();
}

#[test]
fn an_enum_under_versioned_is_named_at_its_place_with_what_to_do() {
    let p = Project::with(&[(
        "lib.rs",
        "use schema_macros::versioned;\n\n#[versioned(table = \"states\", version = 1)]\npub enum State {\n    Active,\n    Gone,\n}\n",
    )]);
    let run = p.generate("2026-01-31");
    assert_eq!(run.code, Some(1), "{run}");
    assert_eq!(run.stderr.lines().count(), 1, "{run}");
    assert!(
        run.stderr.starts_with(
            "error: bad annotation: ./src/lib.rs:4:5: #[versioned] is on an enum named `State`; it applies to a struct"
        ),
        "{run}"
    );
    assert!(
        run.stderr.contains(
            "For a PostgreSQL enum type, write `#[versioned(enum_type = \"...\", version = N)]`"
        ),
        "{run}"
    );
    assert!(!p.out().exists());
}

// ---------------------------------------------------------------------------------------------
// 9. Raw SQL steps and backfills that read another table.

const ARTICLES: &str = r#"use schema_macros::versioned;

#[versioned(table = "articles", version = 2)]
#[raw_sql(at = 2, up_file = "sql_src/titles.sql", down = "DROP VIEW IF EXISTS public.titles")]
#[raw_sql(at = 2, up = "CREATE INDEX articles_title ON public.articles (title)",
          down = "DROP INDEX IF EXISTS public.articles_title")]
pub struct Article {
    #[col(primary_key)]
    pub id: i64,
    pub title: String,
}
"#;

fn articles() -> Project {
    let p = Project::with(&[("lib.rs", ARTICLES)]);
    fs::create_dir_all(p.root().join("sql_src")).unwrap();
    fs::write(
        p.root().join("sql_src/titles.sql"),
        "CREATE VIEW public.titles AS SELECT title FROM public.articles;\n",
    )
    .unwrap();
    p
}

/// `up_file` is read relative to the crate; editing it after its file was emitted changes
/// the version's fingerprint: an edit of history, refused by `generate` and `--check`.
#[test]
fn an_up_file_edited_after_its_step_was_emitted_is_an_edit_of_history() {
    let p = articles();
    p.generate("2026-11-24").assert_ok();
    let raw = fs::read_to_string(p.sql("002_articles_v2_raw_1.sql")).unwrap();
    assert!(
        raw.contains("CREATE VIEW public.titles AS SELECT title FROM public.articles;"),
        "{raw}"
    );
    p.check().assert_ok();
    let before = snapshot(&p.out());
    fs::write(
        p.root().join("sql_src/titles.sql"),
        "CREATE VIEW public.titles AS SELECT id, title FROM public.articles;\n",
    )
    .unwrap();
    for run in [p.generate("2026-12-01"), p.check()] {
        run.assert_failed();
        assert!(
            run.stderr.contains("public.articles version 2")
                && run.stderr.contains("add a new version instead"),
            "{run}"
        );
        assert_eq!(snapshot(&p.out()), before, "something was written");
    }
    // A missing file is refused at its place.
    fs::remove_file(p.root().join("sql_src/titles.sql")).unwrap();
    let run = p.check();
    run.assert_failed();
    assert!(
        run.stderr.contains("lib.rs:4:")
            && run.stderr.contains(
                "#[raw_sql(up_file = \"sql_src/titles.sql\")]: there is no such file in the crate's folder"
            ),
        "{run}"
    );
}

/// `plan` shows every finding of squawk's rules on a raw step's statements, none silenced.
#[test]
fn plan_shows_what_squawk_finds_in_a_raw_step() {
    let p = articles();
    let run = p.plan();
    run.assert_ok();
    assert!(
        run.stdout.contains("expand    raw_1")
            && run.stdout.contains("expand    raw_2")
            && run
                .stdout
                .contains("lock: whatever the statements written by hand take"),
        "{run}"
    );
    let raw_2 = run.stdout.split("expand    raw_2").nth(1).unwrap();
    assert!(
        raw_2.contains("squawk: forward line")
            && raw_2.contains("require-concurrent-index-creation")
            && raw_2.contains("squawk: rollback line")
            && raw_2.contains("require-concurrent-index-deletion"),
        "{run}"
    );
}

const USERS_EMAIL: &str = r#"use schema_macros::versioned;

#[versioned(table = "users", version = 1)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    pub email: Option<String>,
}

#[versioned(table = "profiles", version = 1)]
pub struct Profile {
    #[col(primary_key)]
    pub id: i64,
    #[col(references = "users(id)")]
    pub user_id: Option<i64>,
}
"#;

/// Version 2 drops `users.email` and backfills `profiles.email` from it. Generated at once or
/// version by version, the files are the same, numbered alike, in the same releases: the
/// backfill before the contract that drops the column it reads.
#[test]
fn a_whole_history_generated_at_once_is_ordered_as_version_by_version() {
    let v2 = USERS_EMAIL
        .replace("version = 1", "version = 2")
        .replace(
            "    pub email: Option<String>,",
            "    #[col(until = 2)]\n    pub email: Option<String>,",
        )
        .replace(
            "    pub user_id: Option<i64>,\n",
            "    pub user_id: Option<i64>,\n    #[col(since = 2, backfill = \"(SELECT u.email FROM public.users u WHERE u.id = profiles.user_id)\")]\n    pub email: Option<String>,\n",
        );
    assert!(v2.contains("until = 2") && v2.contains("backfill"));

    let stepwise = Project::with(&[("lib.rs", USERS_EMAIL)]);
    stepwise.generate("2026-11-24").assert_ok();
    stepwise.write("lib.rs", &v2);
    stepwise.generate("2026-11-24").assert_ok();

    let at_once = Project::with(&[("lib.rs", &v2)]);
    at_once.generate("2026-11-24").assert_ok();

    let files = snapshot(&at_once.out());
    assert_eq!(files, snapshot(&stepwise.out()));
    let fwd = forwards(&files);
    let backfill = fwd
        .iter()
        .position(|f| f.contains("profiles_v2_backfill"))
        .unwrap();
    let drop = fwd
        .iter()
        .position(|f| f.contains("users_v2_contract") || f.contains("users_v2_drop"))
        .unwrap_or_else(|| panic!("{fwd:?}"));
    assert!(backfill < drop, "{fwd:?}");
}

// ---------------------------------------------------------------------------------------------
// 10. Enum types.

const STATUS: &str = r#"use schema_macros::versioned;

#[versioned(enum_type = "order_status", version = 2)]
pub enum OrderStatus {
    Pending,
    #[variant(since = 2)]
    Paid,
}
"#;

const ORDERS: &str = r#"use schema_macros::versioned;
use crate::status::OrderStatus;

#[versioned(table = "orders", version = 2)]
pub struct Order {
    #[col(primary_key)]
    pub id: i64,
    pub status: OrderStatus,
    pub note: Option<Note>,
}
"#;

/// A field of a versioned enum declared in another file maps to its type; the type and its
/// label come before the table at each version; an unmapped type that is no versioned enum is
/// refused at its place.
#[test]
fn an_enum_of_another_file_maps_its_fields_and_comes_first() {
    let p = Project::with(&[
        ("status.rs", STATUS),
        (
            "orders.rs",
            &ORDERS.replace("    pub note: Option<Note>,\n", ""),
        ),
    ]);
    p.generate("2026-11-24").assert_ok();
    let fwd = forwards(&snapshot(&p.out()));
    assert_eq!(
        fwd,
        [
            "001_order_status_create.sql",
            "002_orders_create.sql",
            "003_order_status_v2_label_paid.sql"
        ]
    );
    let create = fs::read_to_string(p.sql("002_orders_create.sql")).unwrap();
    assert!(
        create.contains("\"status\" public.order_status NOT NULL"),
        "{create}"
    );
    let lock = fs::read_to_string(p.sql("migrations.lock")).unwrap();
    assert!(lock.contains("step public.order_status 2 r2 "), "{lock}");

    let p = Project::with(&[("status.rs", STATUS), ("orders.rs", ORDERS)]);
    let run = p.check();
    run.assert_failed();
    assert!(
        run.stderr
            .contains("orders.rs:9:22: no PostgreSQL type is known for `Note`")
            && run
                .stderr
                .contains("or make it a #[versioned(enum_type = \"...\")] enum"),
        "{run}"
    );
}

/// A label is part of its version's history: removing a variant (or changing its label) after
/// its file was emitted is refused like any edit of history.
#[test]
fn a_label_removed_after_its_file_was_emitted_is_an_edit_of_history() {
    let orders = ORDERS.replace("    pub note: Option<Note>,\n", "");
    let p = Project::with(&[("status.rs", STATUS), ("orders.rs", &orders)]);
    p.generate("2026-11-24").assert_ok();
    let before = snapshot(&p.out());
    for edited in [
        STATUS.replace("    #[variant(since = 2)]\n    Paid,\n", ""),
        STATUS.replace(
            "#[variant(since = 2)]",
            "#[variant(since = 2, label = \"payed\")]",
        ),
    ] {
        assert_ne!(edited, STATUS);
        p.write("status.rs", &edited);
        for run in [p.generate("2026-12-01"), p.check()] {
            run.assert_failed();
            assert!(
                run.stderr.contains("public.order_status version 2")
                    && run.stderr.contains("add a new version instead"),
                "{run}"
            );
            assert_eq!(snapshot(&p.out()), before, "something was written");
        }
    }
}
