//! The runner against the real PostgreSQL: apply, rollback and status by phase; two runners
//! at once; a migration stuck behind a lock while the application keeps writing; a runner
//! killed in the middle of a backfill and of a concurrent index build; edited files.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod support;
use support::*;

fn rollback(db: &Db, dir: &Path, to: &str) -> Run {
    mg(&[
        "rollback",
        "--database-url",
        &db.url(),
        "--dir",
        dir.to_str().unwrap(),
        "--to",
        to,
    ])
}

fn spawn_apply(db: &Db, dir: &Path, extra: &[&str]) -> Child {
    let args = apply_args(db, dir, extra);
    command(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/service/sql")
}

const PEOPLE: &str = r#"use schema_macros::versioned;
#[versioned(table = "people", version = 2)]
pub struct Person {
    #[col(primary_key)]
    pub id: i64,
    pub email: String,
    #[col(since = 2, backfill = "split_part(email, '@', 1)")]
    pub handle: String,
}
"#;

#[test]
fn apply_status_rollback_and_apply_again_on_the_example() {
    let db = Db::new("it");
    let dir = example();
    let files = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            let n = e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .into_owned();
            n.ends_with(".sql") && !n.ends_with(".rollback.sql")
        })
        .count() as i64;
    let run = ok(apply(&db, &dir, &[]));
    assert!(
        run.stdout
            .contains(&format!("applied {files} migrations; 0 pending")),
        "{run}"
    );
    assert_eq!(db.count("SELECT count(*) FROM migrate_gen.applied WHERE finished_at IS NOT NULL AND duration_ms IS NOT NULL"), files);
    let run = ok(status(&db, &dir));
    assert!(
        run.stdout.contains("pending: none") && run.stdout.contains("problems: none"),
        "{run}"
    );
    // Nothing left to do: a second apply runs nothing.
    assert!(
        ok(apply(&db, &dir, &[]))
            .stdout
            .contains("applied 0 migrations")
    );

    ok(rollback(&db, &dir, "2"));
    assert_eq!(db.count("SELECT count(*) FROM migrate_gen.applied"), 2);
    assert_eq!(
        db.count("SELECT count(*) FROM pg_class WHERE relname = 'projects'"),
        0
    );
    assert_eq!(
        db.count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'users'"),
        2
    );
    let run = ok(status(&db, &dir));
    assert!(
        run.stdout
            .contains("003_orgs_v2_expand.sql (expand, release 3)"),
        "{run}"
    );

    ok(rollback(&db, &dir, "0"));
    assert_eq!(
        db.count("SELECT count(*) FROM pg_class WHERE relname IN ('users', 'orgs', 'projects')"),
        0
    );
    ok(apply(&db, &dir, &["--to", "5"]));
    assert_eq!(db.count("SELECT count(*) FROM migrate_gen.applied"), 5);
    ok(apply(&db, &dir, &[]));
    assert_eq!(db.count("SELECT count(*) FROM migrate_gen.applied"), files);
}

#[test]
fn phases_expand_then_contract_and_contract_refused_while_expand_is_pending() {
    let (_tmp, dir) = generate(PEOPLE, &[]);
    let db = Db::new("it");
    let run = failed(apply(&db, &dir, &["--phase", "contract"]));
    assert!(
        run.stderr.contains("expand files are still pending"),
        "{run}"
    );
    assert_eq!(run.stderr.lines().count(), 1, "{run}");

    let run = ok(apply(&db, &dir, &["--phase", "expand"]));
    assert!(run.stdout.contains("1 pending"), "{run}");
    let pending = ok(status(&db, &dir));
    assert!(
        pending
            .stdout
            .contains("005_people_v2_contract.sql (contract"),
        "{pending}"
    );
    // The old code keeps working: the fill trigger is still there.
    let mut c = db.client();
    c.batch_execute("INSERT INTO people (id, email) VALUES (1, 'ada@example.com')")
        .unwrap();
    let handle: String = c
        .query_one("SELECT handle FROM people WHERE id = 1", &[])
        .unwrap()
        .get(0);
    assert_eq!(handle, "ada");

    ok(apply(&db, &dir, &["--phase", "contract"]));
    assert_eq!(
        db.count("SELECT count(*) FROM pg_trigger WHERE tgname = 'people_handle_fill'"),
        0
    );
    assert!(ok(status(&db, &dir)).stdout.contains("pending: none"));
}

#[test]
fn an_edited_applied_file_is_refused_and_reported_but_crlf_is_not_an_edit() {
    let (_tmp, dir) = generate(PEOPLE, &[]);
    let db = Db::new("it");
    ok(apply(&db, &dir, &["--to", "2"]));
    let file = dir.join("002_people_v2_expand.sql");
    let text = std::fs::read_to_string(&file).unwrap();

    std::fs::write(&file, text.replace('\n', "\r\n")).unwrap();
    ok(status(&db, &dir));
    ok(apply(&db, &dir, &["--to", "3"]));

    std::fs::write(&file, format!("{text}-- an edit\n")).unwrap();
    let run = failed(apply(&db, &dir, &[]));
    assert!(
        run.stderr
            .contains("002_people_v2_expand.sql was edited after it was applied"),
        "{run}"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM migrate_gen.applied"),
        3,
        "nothing ran"
    );
    let run = failed(status(&db, &dir));
    assert!(
        run.stderr
            .contains("002_people_v2_expand.sql was edited after it was applied"),
        "{run}"
    );
    assert_eq!(
        run.stderr
            .matches("002_people_v2_expand.sql was edited")
            .count(),
        1,
        "reported once: {run}"
    );
    ok(apply(&db, &dir, &["--accept-edited"]));
}

#[test]
fn a_bad_url_and_a_missing_directory_are_one_line_errors() {
    let example = example();
    let dir = example.to_str().unwrap();
    for args in [
        vec![
            "apply",
            "--database-url",
            "postgres://app:secret@127.0.0.1:1/none",
            "--dir",
            dir,
        ],
        vec!["status", "--database-url", "not a url", "--dir", dir],
        vec![
            "apply",
            "--database-url",
            "postgres://postgres@127.0.0.1/postgres",
            "--dir",
            "/no/such/dir",
        ],
        vec!["apply", "--dir", dir],
    ] {
        let run = failed(mg(&args));
        assert_eq!(run.stderr.lines().count(), 1, "{run}");
        assert!(run.stderr.starts_with("error: "), "{run}");
        assert!(
            !run.stderr.contains("secret"),
            "the password is not printed: {run}"
        );
    }
    // DATABASE_URL stands in for --database-url.
    let db = Db::new("it");
    let run = run_output(
        command(&["status", "--dir", dir])
            .env("DATABASE_URL", db.url())
            .output()
            .unwrap(),
    );
    assert!(run.stdout.contains("pending:"), "{run}");
}

/// `people` with `rows` rows at version 1, its v2 files generated with `batch` rows per batch.
fn people_with_rows(rows: i64, batch: &str) -> (tempfile::TempDir, PathBuf, Db) {
    let (tmp, dir) = generate(PEOPLE, &["--batch-size", batch]);
    let db = Db::new("it");
    ok(apply(&db, &dir, &["--to", "1"]));
    db.client()
        .batch_execute(&format!(
            "INSERT INTO people (id, email) SELECT i, 'p' || i || '@example.com' FROM generate_series(1, {rows}) i"
        ))
        .unwrap();
    (tmp, dir, db)
}

#[test]
fn two_runners_at_once_run_each_file_once_and_no_wait_gives_up() {
    let (_tmp, dir, db) = people_with_rows(200_000, "200");
    let first = spawn_apply(&db, &dir, &[]);
    wait_for(
        "the first runner to take the lock",
        Duration::from_secs(20),
        || {
            db.count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())") > 0
        },
    );
    let second = spawn_apply(&db, &dir, &[]);
    let run = failed(apply(&db, &dir, &["--no-wait"]));
    assert!(run.stderr.contains("holds the migration lock"), "{run}");
    let first = run_output(first.wait_with_output().unwrap());
    let second = run_output(second.wait_with_output().unwrap());
    ok(first);
    let second = ok(second);
    assert!(
        second
            .stderr
            .contains("waiting for another migrate-gen run"),
        "{second}"
    );
    assert!(second.stdout.contains("applied 0 migrations"), "{second}");
    assert_eq!(
        db.count("SELECT count(*) FROM migrate_gen.applied WHERE finished_at IS NOT NULL"),
        5
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM people WHERE handle IS DISTINCT FROM split_part(email, '@', 1)"
        ),
        0
    );
}

#[test]
fn a_runner_killed_mid_backfill_resumes_without_skipping_or_rewriting_a_row() {
    let rows = 200_000;
    let (_tmp, dir, db) = people_with_rows(rows, "200");
    ok(apply(&db, &dir, &["--to", "2"]));
    // Count every update of every row from here on. The trigger names its table's schema: the
    // backfill runs with search_path = pg_catalog, pg_temp (README, Security).
    db.client()
        .batch_execute(
            "CREATE TABLE writes (id bigint PRIMARY KEY, n int NOT NULL);
             CREATE FUNCTION count_write() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN INSERT INTO public.writes VALUES (NEW.id, 1) ON CONFLICT (id) DO UPDATE SET n = writes.n + 1; RETURN NEW; END $$;
             CREATE TRIGGER count_write AFTER UPDATE ON people FOR EACH ROW EXECUTE FUNCTION count_write();",
        )
        .unwrap();
    let mut child = spawn_apply(&db, &dir, &[]);
    wait_for(
        "the backfill to commit some batches",
        Duration::from_secs(60),
        || db.count("SELECT count(*) FROM writes") >= 20_000,
    );
    child.kill().unwrap();
    child.wait().unwrap();
    wait_for(
        "the killed runner's session to end",
        Duration::from_secs(30),
        || {
            db.count("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'migrate-gen' AND datname = current_database()")
                == 0
        },
    );
    let filled = db.count("SELECT count(*) FROM people WHERE handle IS NOT NULL");
    assert!(
        filled > 0 && filled < rows,
        "killed in the middle: {filled} of {rows} rows filled"
    );
    let run = failed(status(&db, &dir));
    assert!(
        run.stderr
            .contains("003_people_v2_backfill.sql was started"),
        "{run}"
    );

    let run = ok(apply(&db, &dir, &[]));
    assert!(
        run.stderr
            .contains("again: an earlier run did not finish it"),
        "{run}"
    );
    assert!(
        run.stderr.contains("backfill public.people:") && run.stderr.contains("rows/s"),
        "progress lines: {run}"
    );
    assert_eq!(
        db.count(
            "SELECT count(*) FROM people WHERE handle IS DISTINCT FROM split_part(email, '@', 1)"
        ),
        0
    );
    assert_eq!(
        db.count("SELECT count(*) FROM writes"),
        rows,
        "every row filled"
    );
    assert_eq!(
        db.count("SELECT max(n)::bigint FROM writes"),
        1,
        "no row written twice"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM migrate_gen.applied WHERE finished_at IS NOT NULL"),
        5
    );
    ok(status(&db, &dir));
}

const EVENTS: &str = r#"
#[versioned(table = "events", version = 2)]
pub struct Event {
    #[col(primary_key)]
    pub id: i64,
    pub payload: String,
    #[col(since = 2, default = "'web'", index)]
    pub source: String,
}
"#;

#[test]
fn a_runner_killed_mid_index_build_leaves_an_invalid_index_that_apply_rebuilds() {
    let (_tmp, dir) = generate(EVENTS, &[]);
    let db = Db::new("it");
    ok(apply(&db, &dir, &["--to", "1"]));
    db.client()
        .batch_execute("INSERT INTO events (id, payload) SELECT i, md5(i::text) FROM generate_series(1, 1500000) i")
        .unwrap();
    ok(apply(&db, &dir, &["--to", "2"]));
    let mut child = spawn_apply(&db, &dir, &[]);
    wait_for("the index build to start", Duration::from_secs(30), || {
        db.count(
            "SELECT count(*) FROM pg_stat_progress_create_index WHERE datname = current_database()",
        ) > 0
    });
    child.kill().unwrap();
    child.wait().unwrap();
    // A crashed runner's connection goes away with it.
    db.client()
        .batch_execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'migrate-gen' AND datname = current_database()")
        .unwrap();
    wait_for("the build to stop", Duration::from_secs(30), || {
        db.count("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'migrate-gen' AND datname = current_database()")
            == 0
    });
    assert_eq!(
        db.count("SELECT count(*) FROM pg_index WHERE NOT indisvalid"),
        1,
        "an invalid leftover"
    );
    let run = failed(status(&db, &dir));
    assert!(run.stdout.contains("events_source_idx is invalid"), "{run}");

    let run = ok(apply(&db, &dir, &[]));
    assert!(run.stderr.contains("dropping the invalid index"), "{run}");
    assert_eq!(
        db.count("SELECT count(*) FROM pg_index WHERE NOT indisvalid"),
        0
    );
    assert_eq!(
        db.count("SELECT count(*) FROM pg_indexes WHERE indexname = 'events_source_idx'"),
        1
    );
    ok(status(&db, &dir));
}

const ORDERS_V2: &str = r#"
#[versioned(table = "orders", version = 2)]
pub struct Order {
    #[col(primary_key)]
    pub id: i64,
    pub total: i64,
    #[col(since = 2)]
    pub note: Option<String>,
}
"#;

/// The application: inserts and updates `orders` every 5 ms on a connection of its own,
/// recording its slowest statement, how many ran and how many failed.
struct Writer {
    stop: Arc<AtomicBool>,
    worst: Arc<Mutex<(Duration, u32, u32)>>,
    handle: std::thread::JoinHandle<()>,
}

impl Writer {
    fn start(db: &Db) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let worst = Arc::new(Mutex::new((Duration::ZERO, 0u32, 0u32)));
        let (s, w) = (stop.clone(), worst.clone());
        let mut c = db.client();
        let handle = std::thread::spawn(move || {
            let mut id = 1_000_000i64;
            while !s.load(Ordering::SeqCst) {
                id += 1;
                let t = Instant::now();
                let r = c.batch_execute(&format!(
                    "INSERT INTO orders (id, total) VALUES ({id}, 1); UPDATE orders SET total = total + 1 WHERE id = {}",
                    id % 1000 + 1
                ));
                let mut w = w.lock().unwrap();
                w.0 = w.0.max(t.elapsed());
                w.1 += 1;
                if r.is_err() {
                    w.2 += 1;
                }
                drop(w);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Writer {
            stop,
            worst,
            handle,
        }
    }

    /// Stops it: (slowest statement, statements, failed statements).
    fn stop(self) -> (Duration, u32, u32) {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().unwrap();
        *self.worst.lock().unwrap()
    }
}

/// `orders` at version 1 with 1,000 rows, version 2 generated (adds `note` in its expand), and
/// a long transaction holding a lock that the expand's ALTER TABLE conflicts with.
fn orders_behind_a_blocker() -> (tempfile::TempDir, PathBuf, Db, postgres::Client) {
    let (tmp, dir) = generate(ORDERS_V2, &[]);
    let db = Db::new("it");
    ok(apply(&db, &dir, &["--to", "1"]));
    db.client()
        .batch_execute("INSERT INTO orders SELECT i, i FROM generate_series(1, 1000) i")
        .unwrap();
    let mut blocker = db.client();
    blocker
        .batch_execute("BEGIN; SELECT count(*) FROM orders;")
        .unwrap();
    (tmp, dir, db, blocker)
}

fn has_note(db: &Db) -> bool {
    db.count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'note'") == 1
}

#[test]
fn a_migration_behind_a_lock_waits_outside_the_queue_without_stalling_the_application() {
    let (_tmp, dir, db, mut blocker) = orders_behind_a_blocker();
    let writer = Writer::start(&db);
    let child = spawn_apply(&db, &dir, &[]);
    std::thread::sleep(Duration::from_secs(5));
    blocker.batch_execute("COMMIT").unwrap();
    let run = ok(run_output(child.wait_with_output().unwrap()));
    let (max, writes, errors) = writer.stop();
    assert!(
        run.stderr.contains("waiting without queueing: pid")
            && run.stderr.contains("AccessShareLock on public.orders"),
        "{run}"
    );
    assert_eq!(errors, 0, "the application's statements all succeeded");
    assert!(
        writes > 100,
        "the application kept writing: {writes} statements"
    );
    // The runner waited outside the lock queue, then tried with a 50 ms lock_timeout: no
    // statement of the application queued behind it for long (the margin is for a loaded
    // machine; the file's own lock_timeout is 1 s).
    assert!(
        max < Duration::from_millis(300),
        "the application stalled for {max:?}: {run}"
    );
    assert!(has_note(&db));
}

/// The expand file of `orders` v2, as psql runs it.
fn expand_file(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_str().is_some_and(|p| p.ends_with("_v2_expand.sql")))
        .expect("the expand file")
}

#[test]
fn a_file_run_by_psql_behind_a_lock_waits_outside_the_queue_too() {
    let (_tmp, dir, db, mut blocker) = orders_behind_a_blocker();
    let file = expand_file(&dir);
    let writer = Writer::start(&db);
    let psql = {
        let db = db.url();
        let file = file.clone();
        std::thread::spawn(move || {
            std::process::Command::new("psql")
                .args(["-X", "-v", "ON_ERROR_STOP=1", "-d", &db, "-f"])
                .arg(&file)
                .output()
                .unwrap()
        })
    };
    std::thread::sleep(Duration::from_secs(4));
    assert!(
        !has_note(&db),
        "the file waits while the blocker holds its lock"
    );
    blocker.batch_execute("COMMIT").unwrap();
    let out = psql.join().unwrap();
    let (max, writes, errors) = writer.stop();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("waiting without queueing: pid")
            && stderr.contains("AccessShareLock on public.orders in a transaction open for"),
        "{stderr}"
    );
    assert_eq!(errors, 0, "the application's statements all succeeded");
    assert!(writes > 100, "the application kept writing: {writes}");
    // Without the file's own wait, its ALTER TABLE would queue for its whole lock_timeout
    // (1 s) with the application's statements behind it, then fail.
    assert!(
        max < Duration::from_millis(300),
        "the application stalled for {max:?}: {stderr}"
    );
    assert!(has_note(&db));
}

#[test]
fn a_file_run_by_psql_gives_up_on_its_lock_within_its_budget_changing_nothing() {
    let (_tmp, dir, db, mut blocker) = orders_behind_a_blocker();
    let file = expand_file(&dir);
    let started = Instant::now();
    let out = std::process::Command::new("psql")
        .args(["-X", "-v", "ON_ERROR_STOP=1", "-d", &db.url(), "-f"])
        .arg(&file)
        .env("PGOPTIONS", "-c migrate_gen.lock_budget=2s")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("could not lock public.orders within 00:00:02 without queueing the application behind this file")
            && stderr.contains("nothing was changed: run the file again")
            && stderr.contains("AccessShareLock on public.orders"),
        "{stderr}"
    );
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(10),
        "gave up after {took:?}"
    );
    assert!(!has_note(&db), "nothing of the file ran");
    blocker.batch_execute("COMMIT").unwrap();
    db.psql(&file);
    assert!(has_note(&db));
}

#[test]
fn a_dropped_column_is_archived_kept_for_its_retention_then_cleaned_up() {
    let (_tmp, dir) = generate(
        r#"use schema_macros::versioned;
#[versioned(table = "members", version = 2)]
pub struct Member {
    #[col(primary_key)]
    pub id: i64,
    pub name: String,
    #[col(until = 2)]
    pub fax: Option<String>,
}
"#,
        &[],
    );
    let db = Db::new("it");
    ok(apply(&db, &dir, &["--to", "1"]));
    db.client()
        .batch_execute(
            "INSERT INTO members SELECT i, 'm' || i, 'fax' || i FROM generate_series(1, 5000) i",
        )
        .unwrap();
    ok(apply(&db, &dir, &[]));
    assert_eq!(db.count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'members' AND column_name = 'fax'"), 0);
    assert_eq!(
        db.count("SELECT count(*) FROM migrate_gen_archive.members_fax_v2 a JOIN members m USING (id) WHERE a.fax = 'fax' || m.id"),
        5000,
        "every value archived"
    );
    let url = db.url();
    let list = ok(mg(&["archive", "list", "--database-url", &url]));
    assert!(
        list.stdout
            .contains("members_fax_v2: public.members.fax dropped at version 2")
            && list.stdout.contains("(kept)"),
        "{list}"
    );
    let run = ok(mg(&["archive", "cleanup", "--database-url", &url]));
    assert!(run.stdout.contains("removed 0 archives"), "{run}");
    assert_eq!(
        db.count("SELECT count(*) FROM migrate_gen_archive.members_fax_v2"),
        5000,
        "kept within its retention"
    );

    expire_and_clean_up(&db, "members_fax_v2");
}

/// Seven days later: `archive cleanup --dry-run` names `archive` and keeps it, `archive
/// cleanup` drops it and its registry entry (the only one).
fn expire_and_clean_up(db: &Db, archive: &str) {
    let url = db.url();
    db.client()
        .batch_execute(
            "UPDATE migrate_gen_archive.registry SET keep_until = now() - interval '1 minute'",
        )
        .unwrap();
    let exists = format!("SELECT count(*) FROM pg_class WHERE relname = '{archive}'");
    let run = ok(mg(&[
        "archive",
        "cleanup",
        "--database-url",
        &url,
        "--dry-run",
    ]));
    assert!(
        run.stdout
            .contains(&format!("would remove migrate_gen_archive.{archive}")),
        "{run}"
    );
    assert_eq!(db.count(&exists), 1);
    let run = ok(mg(&["archive", "cleanup", "--database-url", &url]));
    assert!(run.stdout.contains("removed 1 archives"), "{run}");
    assert_eq!(db.count(&exists), 0);
    assert_eq!(
        db.count("SELECT count(*) FROM migrate_gen_archive.registry"),
        0
    );
}

#[test]
fn a_dropped_table_is_archived_whole_rolled_back_kept_then_cleaned_up() {
    let (_tmp, dir) = generate(
        r#"use schema_macros::versioned;
#[versioned(table = "stores", version = 1)]
pub struct Store {
    #[col(primary_key)]
    pub id: i64,
    pub city: String,
}
#[versioned(table = "carts", version = 2, until = 2)]
pub struct Cart {
    #[col(primary_key)]
    pub id: i64,
    #[col(references = "stores(id)", index)]
    pub store_id: i64,
    #[col(unique)]
    pub token: Option<String>,
}
"#,
        &[],
    );
    let db = Db::new("it");
    let url = db.url();
    // Before the deploy the drop, a contract file, waits.
    ok(apply(&db, &dir, &["--phase", "expand"]));
    db.client()
        .batch_execute(
            "INSERT INTO stores SELECT i, 'c' || i FROM generate_series(1, 5000) i;
             INSERT INTO carts SELECT i, i, 't' || i FROM generate_series(1, 5000) i",
        )
        .unwrap();
    assert_eq!(db.count("SELECT count(*) FROM carts"), 5000);
    ok(apply(&db, &dir, &["--phase", "contract"]));
    assert_eq!(
        db.count("SELECT count(*) FROM pg_class WHERE relname = 'carts'"),
        0
    );
    assert_eq!(
        db.count("SELECT count(*) FROM migrate_gen_archive.carts_v2 WHERE token = 't' || id AND store_id = id"),
        5000,
        "every row archived"
    );
    let list = ok(mg(&["archive", "list", "--database-url", &url]));
    assert!(
        list.stdout
            .contains("carts_v2: public.carts dropped at version 2")
            && list.stdout.contains("(kept)"),
        "{list}"
    );

    // The archived rows do not hold back a delete of the store they pointed to; the rollback
    // then cannot validate the foreign key, says so and can run again once the row is back.
    db.client()
        .batch_execute("DELETE FROM stores WHERE id = 7")
        .unwrap();
    let run = failed(rollback(&db, &dir, "2"));
    assert!(run.stderr.contains("carts_store_id_fkey"), "{run}");
    assert_eq!(
        db.count("SELECT count(*) FROM carts"),
        5000,
        "the table is back"
    );
    db.client()
        .batch_execute("INSERT INTO stores VALUES (7, 'c7')")
        .unwrap();
    ok(rollback(&db, &dir, "2"));
    assert_eq!(
        db.count("SELECT count(*) FROM pg_constraint WHERE conname IN ('carts_pkey', 'carts_token_key', 'carts_store_id_fkey') AND convalidated"),
        3
    );
    assert_eq!(
        db.count("SELECT count(*) FROM pg_class WHERE relname = 'carts_v2'"),
        0
    );
    let list = ok(mg(&["archive", "list", "--database-url", &url]));
    assert_eq!(list.stdout.trim(), "no archives", "{list}");

    // Forward again, then the retention passes.
    ok(apply(&db, &dir, &[]));
    let run = ok(mg(&["archive", "cleanup", "--database-url", &url]));
    assert!(run.stdout.contains("removed 0 archives"), "{run}");
    expire_and_clean_up(&db, "carts_v2");
    assert_eq!(
        db.count("SELECT count(*) FROM pg_class WHERE relname IN ('carts', 'carts_v2_pkey')"),
        0,
        "the table went with its indexes"
    );
}

/// The highest file number in a migrations folder.
fn last_number(dir: &Path) -> u32 {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str()?.get(..3)?.parse().ok())
        .max()
        .unwrap()
}

#[test]
fn apply_and_rollback_refuse_a_to_beyond_the_last_file_and_change_nothing() {
    let (_tmp, dir) = generate(PEOPLE, &[]);
    let last = last_number(&dir);
    let db = Db::new("it");
    let tracking = "SELECT count(*) FROM pg_namespace WHERE nspname = 'migrate_gen'";
    let beyond = (last + 1).to_string();
    let run = failed(apply(&db, &dir, &["--to", &beyond]));
    assert_eq!(run.stderr.lines().count(), 1, "{run}");
    assert!(
        run.stderr.starts_with(&format!(
            "error: --to {beyond}: there is no migration {beyond:0>3}; the last file in"
        )) && run
            .stderr
            .contains(&format!("is {last:03} (nothing was changed)")),
        "{run}"
    );
    assert_eq!(db.count(tracking), 0, "not even the tracking table: {run}");

    ok(apply(&db, &dir, &["--to", "1"]));
    let run = failed(rollback(&db, &dir, "999"));
    assert_eq!(run.stderr.lines().count(), 1, "{run}");
    assert!(
        run.stderr
            .contains("there is no migration 999; the last file in"),
        "{run}"
    );
    assert!(run.stderr.contains(&format!("is {last:03}")), "{run}");
    assert_eq!(db.count("SELECT count(*) FROM migrate_gen.applied"), 1);

    // Within the folder: the message says where the database really is.
    let run = ok(rollback(&db, &dir, &last.to_string()));
    assert!(
        run.stdout
            .contains("rolled back 0 migrations; the database is at migration 001"),
        "{run}"
    );
    let run = ok(rollback(&db, &dir, "0"));
    assert!(
        run.stdout
            .contains("rolled back 1 migrations; no migration is applied"),
        "{run}"
    );
}

#[test]
fn status_prints_its_report_on_stdout_and_one_reason_on_stderr() {
    let (_tmp, dir) = generate(PEOPLE, &[]);
    let db = Db::new("it");
    ok(apply(&db, &dir, &["--to", "2"]));
    // Pending files alone are no problem: exit 0, the report on stdout.
    let run = ok(status(&db, &dir));
    assert!(
        run.stdout.contains("pending:") && run.stderr.is_empty(),
        "{run}"
    );

    for (n, name) in ["002_people_v2_expand.sql", "001_people_create.sql"]
        .iter()
        .enumerate()
    {
        let file = dir.join(name);
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, format!("{text}-- an edit\n")).unwrap();
        let run = failed(status(&db, &dir));
        assert_eq!(run.code, Some(1), "{run}");
        assert!(
            run.stdout.contains("applied:")
                && run.stdout.contains("pending:")
                && run
                    .stdout
                    .contains(&format!("  {name} was edited after it was applied")),
            "the whole report on stdout: {run}"
        );
        assert_eq!(run.stderr.lines().count(), 1, "{run}");
        let expected = if n == 0 {
            "error: 1 problem needs attention: 002_people_v2_expand.sql was edited after it was applied"
        } else {
            "error: 2 problems need attention (listed under `problems:` above)"
        };
        assert!(run.stderr.starts_with(expected), "{run}");
    }
}

/// What every password of `no_output_shows_a_password` holds: no output may contain it.
const MARK: &str = "Zq7x";

#[track_caller]
fn assert_no_password(run: &Run, what: &str) {
    assert!(
        !run.stdout.contains(MARK) && !run.stderr.contains(MARK),
        "{what} printed a password: {run}"
    );
}

#[track_caller]
fn assert_one_error_without_password(run: Run, what: &str) {
    assert_no_password(&run, what);
    assert!(
        run.code.is_some_and(|c| c != 0),
        "{what} should fail: {run}"
    );
    assert_eq!(run.stderr.lines().count(), 1, "{what}: one line: {run}");
    assert!(run.stderr.starts_with("error: "), "{what}: {run}");
}

/// Each way a connection string holds a password, to `host:port/db` as user postgres.
fn database_urls(host: &str, port: &str, db: &str) -> Vec<String> {
    vec![
        format!("postgres://postgres:{MARK}-url@{host}:{port}/{db}"),
        format!("postgresql://postgres:{MARK}%40p%3Ass@{host}:{port}/{db}"),
        format!("postgres://postgres@{host}:{port}/{db}?sslmode=disable&password={MARK}-query"),
        format!("postgres://{host}:{port}/{db}?user=postgres&password={MARK}%20encoded"),
        format!("host={host} port={port} user=postgres dbname={db} password={MARK}-kv"),
        format!(
            r"host={host} port={port} password='{MARK} it\'s quoted' user=postgres dbname={db}"
        ),
    ]
}

#[test]
fn no_output_shows_a_password() {
    let example = example();
    let dir = example.to_str().unwrap();
    let commands: [&[&str]; 5] = [
        &["apply"],
        &["rollback", "--to", "0"],
        &["status"],
        &["archive", "list"],
        &["archive", "cleanup"],
    ];
    let with_url = |command: &[&str], url: &str, dir: &str| -> Vec<String> {
        let mut args: Vec<String> = command.iter().map(|s| s.to_string()).collect();
        args.extend(["--database-url".into(), url.into()]);
        if command[0] != "archive" {
            args.extend(["--dir".into(), dir.into()]);
        }
        args
    };
    let run_args = |args: &[String]| mg(&args.iter().map(String::as_str).collect::<Vec<_>>());

    // A wrong port, a host that does not resolve, a database that does not exist.
    let unreachable = [
        ("127.0.0.1", "1", "postgres"),
        ("no-such-host.invalid", "5432", "postgres"),
        ("127.0.0.1", "5432", "mg_no_such_database"),
    ];
    for (host, port, db) in unreachable {
        for url in database_urls(host, port, db) {
            for command in commands {
                let args = with_url(command, &url, dir);
                assert_one_error_without_password(run_args(&args), &format!("{args:?}"));
            }
            // The same through $DATABASE_URL.
            let run = run_output(
                command(&["status", "--dir", dir])
                    .env("DATABASE_URL", &url)
                    .output()
                    .unwrap(),
            );
            assert_one_error_without_password(run, &format!("DATABASE_URL={url:?}"));
        }
    }

    // Connection strings that do not parse.
    for url in [
        format!("postgres://postgres:{MARK}@127.0.0.1:notaport/postgres"),
        format!("postgres://postgres:{MARK}@[127.0.0.1/postgres"),
        format!("postgres//postgres:{MARK}@127.0.0.1/postgres"),
        format!("host=127.0.0.1 password='{MARK} unterminated"),
        format!("host=127.0.0.1 password {MARK}-no-equals"),
        format!("host=127.0.0.1 password={MARK} frobnicate=1"),
        format!("postgres://postgres@127.0.0.1/postgres?PassWord={MARK}-case"),
    ] {
        for command in commands {
            let args = with_url(command, &url, dir);
            assert_one_error_without_password(run_args(&args), &format!("{args:?}"));
        }
    }

    // A command line that does not parse, with a connection string on it.
    for url in database_urls("127.0.0.1", "5432", "postgres") {
        for args in [
            vec!["status", &url, "--dir", dir],
            vec!["apply", "--database-url", &url, "--dir", dir, "--to", "x"],
            vec!["apply", "--database-url", &url],
        ] {
            assert_one_error_without_password(mg(&args), &format!("{args:?}"));
        }
    }

    // Runs that work (trust authentication ignores the password) and runs refused later.
    let (_tmp, people) = generate(PEOPLE, &[]);
    let people = people.to_str().unwrap();
    let db = Db::new("it");
    for url in database_urls("127.0.0.1", "5432", &db.name) {
        let works: [&[&str]; 4] = [
            &["apply", "--to", "2"],
            &["status"],
            &["archive", "list"],
            &["rollback", "--to", "0"],
        ];
        for command in works {
            let args = with_url(command, &url, people);
            let run = ok(run_args(&args));
            assert_no_password(&run, &format!("{args:?}"));
        }
        let refused: [(&[&str], &str); 4] = [
            (&["apply", "--to", "99"], people),
            (&["rollback", "--to", "99"], people),
            (&["apply", "--phase", "contract"], people),
            (&["apply"], "/no/such/dir"),
        ];
        for (command, dir) in refused {
            let args = with_url(command, &url, dir);
            assert_one_error_without_password(run_args(&args), &format!("{args:?}"));
        }
    }

    // The key-value command: each Redis URL form, unreachable, refused, malformed or misspelt,
    // as the store and as the target.
    let state = tempfile::tempdir().unwrap();
    let state = state.path().to_str().unwrap();
    let redis_urls = [
        format!("redis://:{MARK}-a@127.0.0.1:1/0"),
        format!("redis://app:{MARK}-b@127.0.0.1:1"),
        format!("rediss://:{MARK}-c@127.0.0.1:1/0"),
        format!("redis://:{MARK}-d@127.0.0.1:6379/0"),
        format!("redis://app:{MARK}-e@127.0.0.1:6379/0"),
        format!("redis://:{MARK}-f@127.0.0.1:notaport"),
        format!("redis+unix:///no/such.sock?db=0&pass={MARK}-g"),
        format!("redis:/:{MARK}-h@127.0.0.1"),
        format!("redis//:{MARK}-i@127.0.0.1"),
        format!("memcached://app:{MARK}-j@127.0.0.1"),
    ];
    for url in &redis_urls {
        for action in ["migrate", "status", "cleanup", "rollback"] {
            for (store, target) in [(url.as_str(), None), (state, Some(url.as_str()))] {
                let mut args = vec!["kv", action, "--store", store];
                args.extend(["--from", "pw:{id}", "--to", "pw2/{id}"]);
                if let Some(t) = target {
                    args.extend(["--target", t]);
                }
                assert_one_error_without_password(mg(&args), &format!("{args:?}"));
            }
        }
    }
}

/// A tracking table that another role created first (to mark a migration as applied, so that
/// it never runs) is refused, naming its owner, before any file runs; one owned by a role the
/// migrating role is a member of is accepted.
#[test]
fn a_tracking_table_owned_by_another_role_is_refused() {
    let (_tmp, dir) = generate(PEOPLE, &[]);
    let db = Db::new("it");
    let role = format!("{}_forger", db.name);
    let mut client = db.client();
    client
        .batch_execute(&format!(
            "CREATE ROLE {role} NOLOGIN; GRANT CREATE ON DATABASE {db} TO {role};
             SET ROLE {role};
             CREATE SCHEMA migrate_gen;
             CREATE TABLE migrate_gen.applied (number integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, phase text NOT NULL, release integer NOT NULL, started_at timestamptz NOT NULL, finished_at timestamptz, duration_ms bigint);
             RESET ROLE",
            db = db.name
        ))
        .unwrap();
    let run = failed(apply(&db, &dir, &[]));
    let refused = run.stderr.contains(&format!(
        "the tracking schema migrate_gen belongs to {role}, not to the migrating role postgres"
    ));
    let tables: i64 = db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'people'");
    // Owned by a role the migrating role belongs to: accepted.
    client
        .batch_execute(&format!(
            "ALTER SCHEMA migrate_gen OWNER TO {role}; ALTER TABLE migrate_gen.applied OWNER TO {role}; GRANT {role} TO postgres"
        ))
        .unwrap();
    let accepted = apply(&db, &dir, &[]);
    drop(client);
    let db_name = db.name.clone();
    drop(db);
    if let Ok(mut admin) = postgres::Client::connect(ADMIN, postgres::NoTls) {
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"));
        let _ = admin.batch_execute(&format!("DROP ROLE IF EXISTS {role}"));
    }
    assert!(refused, "{run}");
    assert_eq!(tables, 0, "nothing ran");
    ok(accepted);
}

/// The contract gate: while a session of version 1's code (tagged by
/// `Versioned::application_name`) is connected, the contract of version 2 is refused, naming
/// the session, and nothing runs; a session of version 2 does not hold it back; once the old
/// session is gone (or with `--ignore-sessions`) it runs.
#[test]
fn the_contract_waits_until_no_session_of_older_code_is_connected() {
    let (_tmp, dir) = generate(PEOPLE, &[]);
    let db = Db::new("it");
    ok(apply(&db, &dir, &["--phase", "expand"]));
    let connect = |version: u32| {
        let mut config: postgres::Config =
            format!("host=127.0.0.1 user=postgres dbname={}", db.name)
                .parse()
                .unwrap();
        config.application_name(&schema_core::runtime::application_name(
            "billing-api",
            version,
        ));
        config.connect(postgres::NoTls).unwrap()
    };
    let old = connect(1);
    let new = connect(2);
    // `status` shows the versions connected now, and which the contract waits for.
    let run = ok(status(&db, &dir));
    assert!(
        run.stdout.contains("sessions (schema versions connected now):\n  v2: 1 session `billing-api (schema v2)` from 127.0.0.1, oldest since ")
            && run.stdout.contains("  v1: 1 session `billing-api (schema v1)` from 127.0.0.1, oldest since ")
            && run.stdout.contains("(older than the pending contract of version 2: `apply --phase contract` waits for it)"),
        "{run}"
    );
    let run = failed(apply(&db, &dir, &["--phase", "contract"]));
    assert!(
        run.stderr
            .contains("but 1 session of older code is connected: pid")
            && run
                .stderr
                .contains("`billing-api (schema v1)` from 127.0.0.1")
            && run.stderr.contains("nothing was run"),
        "{run}"
    );
    assert!(!run.stderr.contains("schema v2"), "{run}");
    let contract_applied =
        db.count("SELECT count(*) FROM migrate_gen.applied WHERE phase = 'contract'");
    assert_eq!(contract_applied, 0);
    drop(old);
    // pg_stat_activity forgets a closed session at once, but give it a moment.
    std::thread::sleep(Duration::from_millis(200));
    ok(apply(&db, &dir, &["--phase", "contract"]));
    drop(new);

    // With --ignore-sessions, the operator takes the responsibility.
    let (_tmp2, dir2) = generate(PEOPLE, &[]);
    let db2 = Db::new("it");
    ok(apply(&db2, &dir2, &["--phase", "expand"]));
    let mut config: postgres::Config = format!("host=127.0.0.1 user=postgres dbname={}", db2.name)
        .parse()
        .unwrap();
    config.application_name("billing-api (schema v1)");
    let _old = config.connect(postgres::NoTls).unwrap();
    failed(apply(&db2, &dir2, &["--phase", "contract"]));
    ok(apply(
        &db2,
        &dir2,
        &["--phase", "contract", "--ignore-sessions"],
    ));
}

/// A table's creation proves its indexes by their definitions, not their names: an index of
/// the name it declares, left on another table (`CREATE INDEX IF NOT EXISTS` then keeps it),
/// fails the file, which changes nothing.
#[test]
fn a_creation_refuses_an_index_of_its_name_with_another_definition() {
    let (_src, dir) = generate(
        r#"use schema_macros::versioned;
#[versioned(table = "orders", version = 1)]
#[index(columns(status, created_at), name = "orders_status_idx")]
pub struct Order {
    #[col(primary_key)]
    pub id: i64,
    pub status: String,
    pub created_at: i64,
}
"#,
        &[],
    );
    let db = Db::new("it");
    db.client()
        .batch_execute(
            "CREATE TABLE other (status text);
             CREATE INDEX orders_status_idx ON other (status);",
        )
        .unwrap();
    let run = failed(apply(&db, &dir, &[]));
    assert!(
        run.stderr.contains(
            "index public.orders_status_idx is missing, invalid, or not the index declared (on status, created_at)"
        ),
        "{run}"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM pg_class WHERE relname = 'orders'"),
        0,
        "the failed creation changed nothing"
    );
}
