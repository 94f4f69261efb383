//! Fleets (`--targets`) against the real PostgreSQL: 51 databases in three waves, one made to
//! fail in the second wave, the rollout stopped and resumed, the contract refused while a
//! database lags; and a fleet run killed with SIGKILL in the middle, then resumed. Every
//! database is dropped at the end, failed assertion or not.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod support;
use support::*;

/// The fleet's crate (its comment says what each release does).
const ITEMS: &str = include_str!("fixtures/fleet_items.rs");

/// The expand and backfill files of release 2, and all its files.
const EXPAND_FILES: i64 = 3;
const ALL_FILES: i64 = 6;

/// A password the server (trust auth) ignores, and that no output may show.
const PASSWORD: &str = "hunter2secret";

/// `n` fresh databases, created a few at a time.
fn databases(n: usize) -> Vec<Db> {
    let dbs = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for chunk in 0..4 {
            let dbs = &dbs;
            s.spawn(move || {
                for i in (0..n).filter(|i| i % 4 == chunk) {
                    let db = Db::new("fleet");
                    dbs.lock().unwrap().push((i, db));
                }
            });
        }
    });
    let mut dbs = dbs.into_inner().unwrap();
    dbs.sort_by_key(|(i, _)| *i);
    dbs.into_iter().map(|(_, db)| db).collect()
}

fn url(db: &Db) -> String {
    format!("postgres://postgres:{PASSWORD}@127.0.0.1:5432/{}", db.name)
}

/// How each database's output names it.
fn label(db: &Db) -> String {
    format!("postgres://postgres:***@127.0.0.1:5432/{}", db.name)
}

/// (finished, unfinished) records of release 2.
fn release2(db: &Db) -> (i64, i64) {
    let mut c = db.client();
    let exists: bool = c
        .query_one("SELECT to_regclass('migrate_gen.applied') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    if !exists {
        return (0, 0);
    }
    let row = c
        .query_one(
            "SELECT count(*) FILTER (WHERE finished_at IS NOT NULL), count(*) FILTER (WHERE finished_at IS NULL)
             FROM migrate_gen.applied WHERE release = 2",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

fn columns(db: &Db) -> String {
    db.client()
        .query_one(
            "SELECT string_agg(column_name::text, ',' ORDER BY ordinal_position) FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name = 'items'",
            &[],
        )
        .unwrap()
        .get(0)
}

fn fleet(args: &[&str], targets: &Path, dir: &Path) -> Run {
    let mut all: Vec<&str> = args.to_vec();
    all.extend([
        "--targets",
        targets.to_str().unwrap(),
        "--dir",
        dir.to_str().unwrap(),
    ]);
    let run = mg(&all);
    assert!(
        !run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD),
        "a password in the output: {run}"
    );
    run
}

#[test]
fn three_waves_stop_after_a_failure_resume_and_refuse_the_contract_while_one_lags() {
    let started = Instant::now();
    let dbs = databases(51);
    let waves = [0..3, 3..23, 23..51];
    let bad = 3; // the first database of the second wave
    let (_src, dir) = generate(ITEMS, &[]);
    let list = |range: &std::ops::Range<usize>| {
        dbs[range.clone()]
            .iter()
            .map(|db| format!("  \"{}\",", url(db)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let targets = dir.parent().unwrap().join("fleet.toml");
    std::fs::write(
        &targets,
        format!(
            "# a canary group, then the rest in two waves\n[[wave]]\nname = \"canary\"\nparallel = 2\ntargets = [\n{}\n]\n\n[[wave]]\nname = \"second\"\ntargets = [\n{}\n]\n\n[[wave]]\nname = \"rest\"\ntargets = [\n{}\n]\n",
            list(&waves[0]),
            list(&waves[1]),
            list(&waves[2])
        ),
    )
    .unwrap();

    // Release 1 everywhere.
    let run = ok(fleet(
        &["apply", "--to", "1", "--parallel", "8"],
        &targets,
        &dir,
    ));
    assert_eq!(run.stdout.matches("ok        ").count(), 51, "{run}");
    assert!(run.stdout.contains("51 databases in 3 waves"), "{run}");

    // The bad database has a column in the way of release 2's expand.
    dbs[bad]
        .client()
        .batch_execute("ALTER TABLE items ADD COLUMN name integer")
        .unwrap();
    let expand = [
        "apply",
        "--phase",
        "expand",
        "--parallel",
        "8",
        "--max-failures",
        "1",
    ];
    let run = failed(fleet(&expand, &targets, &dir));
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stdout.contains(&format!(
            "FAILED    {}: 002_items_v2_expand.sql failed",
            label(&dbs[bad])
        )),
        "{run}"
    );
    let error = run.stderr.trim();
    assert_eq!(error.lines().count(), 1, "{run}");
    assert!(
        error.starts_with(&format!(
            "error: 1 of 51 databases failed: {}",
            label(&dbs[bad])
        )),
        "{run}"
    );
    assert!(run.stdout.contains("28 of wave `rest`"), "{run}");
    // The canary and the databases of the second wave that ran are expanded; the bad one
    // and the third wave are untouched, and nothing is half done anywhere.
    let mut expanded = Vec::new();
    for (i, db) in dbs.iter().enumerate() {
        let (finished, unfinished) = release2(db);
        assert_eq!(unfinished, 0, "database {i}");
        if waves[0].contains(&i) {
            assert_eq!(finished, EXPAND_FILES, "canary database {i}");
        } else if waves[1].contains(&i) && i != bad {
            assert!(finished == 0 || finished == EXPAND_FILES, "database {i}");
        } else {
            assert_eq!(finished, 0, "database {i}, untouched");
            assert!(columns(db).contains("title"), "database {i}");
        }
        if finished == EXPAND_FILES {
            expanded.push(i);
        }
    }
    let ran_lines = run.stdout.matches("ok        ").count();
    assert_eq!(ran_lines, expanded.len(), "{run}");

    // Where each database is.
    let run = ok(fleet(&["status", "--parallel", "8"], &targets, &dir));
    assert!(
        run.stdout.contains(&format!(
            "{} at release 2, expanded (contract pending, 2 files)",
            expanded.len()
        )),
        "{run}"
    );
    assert!(
        run.stdout.contains(&format!(
            "{} at release 2, expand: 0 of 3 files applied",
            51 - expanded.len()
        )) && run
            .stdout
            .contains(&format!("behind the others: {} (", 51 - expanded.len())),
        "{run}"
    );

    // The contract is refused while a database lags, and nothing runs.
    let run = failed(fleet(
        &["apply", "--phase", "contract", "--parallel", "8"],
        &targets,
        &dir,
    ));
    assert!(
        run.stderr.contains("have not finished the expand phase")
            && run.stderr.contains(&label(&dbs[bad]))
            && run.stderr.contains("nothing was run"),
        "{run}"
    );
    for db in &dbs {
        assert!(columns(db).contains("title"));
    }

    // Fixed, and run again: only what is left runs.
    let first_started = |db: &Db| -> String {
        db.client()
            .query_one(
                "SELECT started_at::text FROM migrate_gen.applied WHERE number = 2",
                &[],
            )
            .unwrap()
            .get(0)
    };
    let canary_before = first_started(&dbs[0]);
    dbs[bad]
        .client()
        .batch_execute("ALTER TABLE items DROP COLUMN name")
        .unwrap();
    let run = ok(fleet(&expand, &targets, &dir));
    assert_eq!(
        run.stdout.matches("(nothing to do)").count(),
        expanded.len(),
        "{run}"
    );
    assert_eq!(
        run.stdout.matches("applied 3 migrations").count(),
        51 - expanded.len(),
        "{run}"
    );
    assert_eq!(first_started(&dbs[0]), canary_before);

    // Now every database has finished its expand: the contract runs everywhere.
    let run = ok(fleet(
        &["apply", "--phase", "contract", "--parallel", "8"],
        &targets,
        &dir,
    ));
    assert!(
        run.stdout.contains("51 done (102 files applied in all)"),
        "{run}"
    );
    for (i, db) in dbs.iter().enumerate() {
        assert_eq!(release2(db), (ALL_FILES - 1, 0), "database {i}");
        assert_eq!(columns(db), "id,name", "database {i}");
    }
    let run = ok(fleet(&["status", "--parallel", "8"], &targets, &dir));
    assert!(run.stdout.contains("51 at release 2, all applied"), "{run}");
    eprintln!("fleet test: {:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn a_fleet_run_killed_with_sigkill_resumes_with_every_database_correct() {
    let dbs = databases(12);
    let (_src, dir) = generate(ITEMS, &[]);
    let targets = dir.parent().unwrap().join("targets.txt");
    let lines: Vec<String> = dbs.iter().map(url).collect();
    std::fs::write(&targets, format!("# every shard\n{}\n", lines.join("\n"))).unwrap();
    ok(fleet(
        &["apply", "--to", "1", "--parallel", "4"],
        &targets,
        &dir,
    ));
    for db in &dbs {
        db.client()
            .batch_execute(
                "INSERT INTO items SELECT g, 'item ' || g, NULL FROM generate_series(1, 200) g",
            )
            .unwrap();
    }

    // Databases 5 to 8 are held by an application's lock: with three at once, the run stops
    // on 5, 6 and 7, retrying, after 0 to 4 are done.
    let holders: Vec<postgres::Client> = dbs[5..9]
        .iter()
        .map(|db| {
            let mut c = db.client();
            c.batch_execute("BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE")
                .unwrap();
            c
        })
        .collect();
    let mut child = command(&[
        "apply",
        "--phase",
        "expand",
        "--parallel",
        "3",
        "--lock-retry-budget",
        "60s",
        "--targets",
        targets.to_str().unwrap(),
        "--dir",
        dir.to_str().unwrap(),
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let out = Arc::new(Mutex::new(Vec::<String>::new()));
    let reader = {
        let out = out.clone();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                out.lock().unwrap().push(line);
            }
        })
    };
    let start = Instant::now();
    while out.lock().unwrap().len() < 5 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{:?}",
            out.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Mid-file on 5, 6 and 7: their expand is started, waiting for the lock.
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    reader.join().unwrap();
    let printed = out.lock().unwrap().clone();
    assert_eq!(printed.len(), 5, "{printed:?}");
    drop(holders);

    for (i, db) in dbs.iter().enumerate() {
        let (finished, unfinished) = release2(db);
        match i {
            0..=4 => assert_eq!((finished, unfinished), (EXPAND_FILES, 0), "database {i}"),
            5..=7 => assert_eq!(
                finished, 0,
                "database {i}: killed before its expand finished"
            ),
            _ => assert_eq!((finished, unfinished), (0, 0), "database {i}: not started"),
        }
    }
    assert!(
        dbs[5..8].iter().any(|db| release2(db).1 == 1),
        "an expand recorded as started, not finished"
    );

    // Run again: each database goes on where it was; then the contract.
    let run = ok(fleet(
        &["apply", "--phase", "expand", "--parallel", "3"],
        &targets,
        &dir,
    ));
    assert_eq!(run.stdout.matches("(nothing to do)").count(), 5, "{run}");
    ok(fleet(
        &["apply", "--phase", "contract", "--parallel", "3"],
        &targets,
        &dir,
    ));
    for (i, db) in dbs.iter().enumerate() {
        assert_eq!(release2(db), (ALL_FILES - 1, 0), "database {i}");
        assert_eq!(columns(db), "id,name", "database {i}");
        assert_eq!(
            db.count("SELECT count(*) FROM items WHERE name = 'item ' || id"),
            200,
            "database {i}"
        );
        assert_eq!(
            db.count("SELECT count(*) FROM pg_index WHERE NOT indisvalid"),
            0,
            "database {i}"
        );
    }
    let run = ok(fleet(&["status"], &targets, &dir));
    assert!(run.stdout.contains("12 at release 2, all applied"), "{run}");
}

#[test]
fn bad_targets_files_are_one_readable_line() {
    let (_src, dir) = generate(ITEMS, &[]);
    let base = dir.parent().unwrap();
    let cases: &[(&str, &str, &str)] = &[
        ("empty.txt", "# nothing\n\n", "lists no database"),
        (
            "bad.txt",
            "postgres://postgres@127.0.0.1/a\nnot a url at all password=hunter2secret'\n",
            "line 2: not a connection string",
        ),
        (
            "twice.txt",
            "postgres://u:hunter2secret@h/a\npostgres://u:hunter2secret@h/a\n",
            "postgres://u:***@h/a is listed twice",
        ),
        (
            "waves.toml",
            "[[wave]]\nname = \"canary\"\nparalel = 2\ntargets = []\n",
            "wave 1: unknown key `paralel`",
        ),
        (
            "broken.toml",
            "[[wave]]\ntargets = [\"postgres://u:hunter2secret@h/a\"\n",
            "not valid TOML",
        ),
    ];
    for (name, text, expected) in cases {
        let path = base.join(name);
        std::fs::write(&path, text).unwrap();
        let run = failed(fleet(&["status"], &path, &dir));
        assert_eq!(run.code, Some(1), "{name}: {run}");
        assert_eq!(run.stderr.trim().lines().count(), 1, "{name}: {run}");
        assert!(run.stderr.contains(expected), "{name}: {run}");
        assert!(run.stdout.is_empty(), "{name}: {run}");
    }
    // Options that belong together.
    let targets = base.join("empty.txt");
    let run = failed(mg(&[
        "status",
        "--targets",
        targets.to_str().unwrap(),
        "--database-url",
        "postgres://u:hunter2secret@h/a",
        "--dir",
        dir.to_str().unwrap(),
    ]));
    assert_eq!(run.code, Some(2), "{run}");
    assert!(!run.stderr.contains(PASSWORD), "{run}");
    let run = failed(mg(&[
        "apply",
        "--database-url",
        "postgres://u@h/a",
        "--parallel",
        "4",
        "--dir",
        dir.to_str().unwrap(),
    ]));
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("--parallel"), "{run}");
}
