//! Batched writes against a real streaming standby (SPEC section 10): a primary and a standby
//! started by the test itself (`test_support::standby`), the standby's replay paused during a
//! backfill of 200,000 rows. The backfill stops cleanly above the critical bound, naming the
//! standby; `apply` resumes it, waits while the standby is behind, saying why, and finishes once
//! replay resumes, with every row filled exactly once.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use test_support::standby::{Replicated, STANDBY_NAME};

mod support;
use support::*;

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

const ROWS: i64 = 200_000;

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A runner started in the background, its stderr collected as it comes.
struct Running {
    child: Child,
    stderr: Arc<Mutex<String>>,
    reader: Option<JoinHandle<()>>,
}

impl Running {
    fn start(args: &[String]) -> Running {
        let mut child = command(&args.iter().map(String::as_str).collect::<Vec<_>>())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().unwrap();
        let collected = stderr.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                let mut text = collected.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        Running {
            child,
            stderr,
            reader: Some(reader),
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits for the end: (exit code, stderr).
    fn finish(mut self) -> (Option<i32>, String) {
        let status = self.child.wait().unwrap();
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        (status.code(), self.stderr())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_backfill_stops_above_the_critical_lag_then_waits_for_a_paused_standby_and_fills_every_row_once()
 {
    let cluster = Replicated::start("backfill");
    cluster
        .primary("postgres")
        .batch_execute("CREATE DATABASE app")
        .unwrap();
    let url = cluster.primary_url("app");
    let (_tmp, dir) = generate(PEOPLE, &["--batch-size", "2000"]);
    let apply = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = vec![
            "apply".into(),
            "--database-url".into(),
            url.clone(),
            "--dir".into(),
            dir.to_str().unwrap().into(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        args
    };
    let run = |extra: &[&str]| -> Run {
        mg(&apply(extra).iter().map(String::as_str).collect::<Vec<_>>())
    };
    ok(run(&["--to", "1"]));
    let mut db = cluster.primary("app");
    db.batch_execute(&format!(
        "INSERT INTO people (id, email) SELECT i, 'p' || i || '@example.com' FROM generate_series(1, {ROWS}) i"
    ))
    .unwrap();
    ok(run(&["--to", "2"]));
    // Every update of every row from here on is counted (the trigger names its table's schema:
    // the backfill runs with search_path = pg_catalog, pg_temp).
    db.batch_execute(
        "CREATE TABLE writes (id bigint PRIMARY KEY, n int NOT NULL);
         CREATE FUNCTION count_write() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN INSERT INTO public.writes VALUES (NEW.id, 1) ON CONFLICT (id) DO UPDATE SET n = writes.n + 1; RETURN NEW; END $$;
         CREATE TRIGGER count_write AFTER UPDATE ON people FOR EACH ROW EXECUTE FUNCTION count_write();",
    )
    .unwrap();
    cluster.wait_caught_up(Duration::from_secs(120));
    let mut count = |sql: &str| -> i64 { db.query_one(sql, &[]).unwrap().get(0) };

    // Replay paused: the backfill fills until the standby is 1 s behind, waits, and stops once
    // it is 4 s behind, naming the standby. What it filled stays.
    cluster.pause_replay();
    let (code, stderr) = Running::start(&apply(&[
        "--max-replay-lag",
        "1s",
        "--stop-replay-lag",
        "4s",
    ]))
    .finish();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("waiting: standby {STANDBY_NAME} replay lag")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "backfill public.people stopped: standby {STANDBY_NAME} replay lag"
        )) && stderr.contains("migrate_gen.stop_replay_lag")
            && stderr.contains("run it again to resume"),
        "{stderr}"
    );
    let filled = count("SELECT count(*) FROM people WHERE handle IS NOT NULL");
    assert!(
        filled > 0 && filled < ROWS,
        "stopped in the middle: {filled} of {ROWS} rows filled"
    );
    assert_eq!(
        count("SELECT count(*) FROM migrate_gen.applied WHERE finished_at IS NULL"),
        1,
        "the backfill is recorded as started, not finished"
    );

    // `apply` resumes it; while replay is still paused it waits, saying why, and writes nothing.
    let running = Running::start(&apply(&["--max-replay-lag", "1s"]));
    wait_for(
        "the resumed backfill to wait",
        Duration::from_secs(120),
        || {
            running
                .stderr()
                .contains(&format!("waiting: standby {STANDBY_NAME} replay lag"))
        },
    );
    let before = count("SELECT count(*) FROM people WHERE handle IS NOT NULL");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        count("SELECT count(*) FROM people WHERE handle IS NOT NULL"),
        before,
        "no batch while the standby is behind"
    );
    cluster.resume_replay();
    let (code, stderr) = running.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("again: an earlier run did not finish it"),
        "{stderr}"
    );
    assert!(
        stderr.contains("backfill public.people: resumed after waiting"),
        "{stderr}"
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM people WHERE handle IS DISTINCT FROM split_part(email, '@', 1)"
        ),
        0
    );
    assert_eq!(
        count("SELECT count(*) FROM writes"),
        ROWS,
        "every row filled"
    );
    assert_eq!(
        count("SELECT max(n)::bigint FROM writes"),
        1,
        "no row written twice"
    );
    assert_eq!(
        count("SELECT count(*) FROM migrate_gen.applied WHERE finished_at IS NULL"),
        0
    );
    // The standby has every row too.
    cluster.wait_caught_up(Duration::from_secs(120));
    let replica: i64 = cluster
        .standby("app")
        .query_one("SELECT count(*) FROM people WHERE handle IS NOT NULL", &[])
        .unwrap()
        .get(0);
    assert_eq!(replica, ROWS);
}

/// A replication slot that nobody reads (a CDC pipeline that stopped) retains WAL: above the
/// critical bound the backfill stops naming the slot; a role that cannot read the standbys' lag
/// is told so once and goes on; once the slot is gone, `apply` finishes, every row filled once.
#[test]
fn a_slot_retaining_wal_stops_the_backfill_and_a_role_without_the_lag_is_told_so() {
    let cluster = Replicated::start("slot");
    cluster
        .primary("postgres")
        .batch_execute("CREATE DATABASE app")
        .unwrap();
    let url = cluster.primary_url("app");
    let (_tmp, dir) = generate(PEOPLE, &["--batch-size", "500"]);
    let run = |extra: &[&str]| -> Run {
        let mut args = vec![
            "apply",
            "--database-url",
            url.as_str(),
            "--dir",
            dir.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        mg(&args)
    };
    ok(run(&["--to", "1"]));
    let mut db = cluster.primary("app");
    db.batch_execute(
        "INSERT INTO people (id, email) SELECT i, 'p' || i || '@example.com' FROM generate_series(1, 100000) i",
    )
    .unwrap();
    ok(run(&["--to", "2"]));
    db.batch_execute(
        "CREATE TABLE writes (id bigint PRIMARY KEY, n int NOT NULL);
         CREATE FUNCTION count_write() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN INSERT INTO public.writes VALUES (NEW.id, 1) ON CONFLICT (id) DO UPDATE SET n = writes.n + 1; RETURN NEW; END $$;
         CREATE TRIGGER count_write AFTER UPDATE ON people FOR EACH ROW EXECUTE FUNCTION count_write();
         CHECKPOINT;
         SELECT pg_create_physical_replication_slot('cdc', true);",
    )
    .unwrap();
    let mut count = |sql: &str| -> i64 { db.query_one(sql, &[]).unwrap().get(0) };
    // The slot keeps WAL from the last checkpoint's redo point on: the bound is 2 MB above
    // what it retains now.
    let bound = count(
        "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint + 2097152 FROM pg_replication_slots WHERE slot_name = 'cdc'",
    )
    .to_string();
    let stopped = failed(run(&["--stop-slot-wal", &bound]));
    assert!(
        stopped
            .stderr
            .contains("backfill public.people stopped: replication slot cdc retains")
            && stopped.stderr.contains("migrate_gen.stop_slot_wal"),
        "{stopped}"
    );
    let filled = count("SELECT count(*) FROM people WHERE handle IS NOT NULL");
    assert!(
        filled > 0 && filled < 100_000,
        "stopped in the middle: {filled} rows filled"
    );

    // A role that owns the table but may not read pg_stat_replication's lag, running the file
    // with psql: told once, and the fill goes on (the slot's bounds turned off for its session).
    let mut admin = cluster.primary("app");
    admin
        .batch_execute(
            "CREATE ROLE filler LOGIN; ALTER TABLE people OWNER TO filler;
             GRANT SELECT, INSERT, UPDATE ON writes TO filler;",
        )
        .unwrap();
    let backfill = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.to_str()
                .is_some_and(|p| p.ends_with("_backfill.sql") && !p.contains("rollback"))
        })
        .unwrap();
    let out = std::process::Command::new("psql")
        .args([
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            &cluster.primary_port.to_string(),
            "-U",
            "filler",
            "-d",
            "app",
            "-f",
            backfill.to_str().unwrap(),
        ])
        .env(
            "PGOPTIONS",
            "-c migrate_gen.stop_slot_wal=0 -c migrate_gen.max_slot_wal=0",
        )
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert_eq!(
        said.matches("cannot read the replay lag of standbys (role filler needs pg_read_all_stats or superuser)")
            .count(),
        1,
        "{said}"
    );
    assert_eq!(
        count("SELECT count(*) FROM people WHERE handle IS NULL"),
        0,
        "{said}"
    );

    // The slot gone, the runner finishes the file's other steps; every row was written once.
    admin
        .batch_execute("SELECT pg_drop_replication_slot('cdc')")
        .unwrap();
    let done = ok(run(&[]));
    assert!(
        done.stderr
            .contains("again: an earlier run did not finish it"),
        "{done}"
    );
    assert_eq!(count("SELECT count(*) FROM writes"), 100_000);
    assert_eq!(
        count("SELECT max(n)::bigint FROM writes"),
        1,
        "no row written twice"
    );
}
