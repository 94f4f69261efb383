//! `apply`, `rollback` and `status`: running the files of a migrations folder against a live
//! database, one runner at a time, recorded in `migrate_gen.applied`.
//!
//! - Exclusion: a session advisory lock, taken by polling `pg_try_advisory_lock` (never by
//!   blocking inside `pg_advisory_lock`, whose open snapshot would make a concurrent index
//!   build of the other runner wait forever), with no transaction left open between files.
//! - Lock queue: every file sets `lock_timeout`; when a statement gives up on a lock (55P03)
//!   or is chosen as a deadlock victim, the whole file is retried after a growing, jittered
//!   pause, never shorter than the failed attempt (so that the application's statements that
//!   queued behind it drain before it queues again), within a time budget. Every file can run again: a transactional file was rolled
//!   back, a no-transaction file is written to be re-runnable.
//! - Tracking: a file is recorded as started before it runs and as finished in its own
//!   transaction (just before its `COMMIT`), or right after it for a no-transaction file; a
//!   record left unfinished means the run was cut short, and `apply` runs the file again.

pub(crate) mod progress;
pub mod split;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kv_migrate::redact;
use postgres::error::SqlState;
use postgres::{Client, NoTls};
use schema_core::plan::Phase;

use crate::Error;
use crate::manifest::{self, FileEntry, Manifest};
use progress::Progress;

/// `pg_try_advisory_lock` key: "migrate" in ASCII.
const LOCK_KEY: i64 = 0x006d_6967_7261_7465;

const SETUP: &str = "CREATE SCHEMA IF NOT EXISTS migrate_gen;
CREATE TABLE IF NOT EXISTS migrate_gen.applied (
  number integer PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  phase text NOT NULL,
  release integer NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  duration_ms bigint
)";

/// What every runner command needs.
#[derive(Debug, Clone)]
pub struct Target {
    pub database_url: String,
    pub dir: PathBuf,
    /// Fail at once when another run holds the lock.
    pub no_wait: bool,
    /// Run files whose checksum changed since they were generated or applied.
    pub accept_edited: bool,
    /// How long lock timeouts are retried, in all, per file.
    pub lock_retry_budget: Duration,
    /// Run contract files even while sessions of older code are connected.
    pub ignore_sessions: bool,
}

/// Which files `apply` runs (SPEC section 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Every pending file except the contract files of the newest pending release.
    Expand,
    /// The pending contract files, once nothing else is pending.
    Contract,
    All,
}

pub(crate) struct Record {
    pub(crate) number: u32,
    pub(crate) name: String,
    pub(crate) checksum: String,
    pub(crate) phase: String,
    pub(crate) finished: bool,
    pub(crate) started_at: String,
    pub(crate) duration_ms: Option<i64>,
}

pub(crate) fn one_line(e: &postgres::Error) -> String {
    let text = match e.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => {
            let mut s = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(inner) = source {
                let _ = write!(s, ": {inner}");
                source = inner.source();
            }
            s
        }
    };
    text.replace('\n', " ")
}

pub(crate) fn connect(url: &str, progress: &Progress) -> Result<Client, Error> {
    // A string that does not parse is not echoed: where its password is cannot be told.
    let mut config: postgres::Config = url.parse().map_err(|e| {
        Error::msg(redact(&format!(
            "--database-url is not a valid connection string ({e}): expected a postgres:// URL or key=value pairs (host=... port=... dbname=...)"
        )))
    })?;
    config.application_name("migrate-gen");
    config.connect_timeout(Duration::from_secs(10));
    let progress = progress.clone();
    config.notice_callback(move |notice| {
        let message = notice.message();
        if message.starts_with(progress::PREFIX) {
            progress.message(message);
        } else if notice.severity() != "DEBUG" {
            progress.say(&format!("{}: {message}", notice.severity().to_lowercase()));
        }
    });
    let mut client = config.connect(NoTls).map_err(|e| {
        Error::msg(redact(&format!(
            "cannot connect to {url}: {}",
            one_line(&e)
        )))
    })?;
    // The generated backfill reports each batch at DEBUG level, which psql users do not see.
    // The runner's own statements resolve names in `pg_catalog` only, as the files do.
    client
        .batch_execute("SET client_min_messages = debug1; SET search_path = pg_catalog, pg_temp")
        .map_err(|e| Error::msg(one_line(&e)))?;
    Ok(client)
}

pub(crate) fn db(e: postgres::Error) -> Error {
    Error::msg(one_line(&e))
}

/// Creates the tracking table if needed; called with the migration lock held.
pub(crate) fn setup(client: &mut Client) -> Result<(), Error> {
    if !tracking_exists(client)? {
        client.batch_execute(SETUP).map_err(db)?;
    }
    check_tracking_owner(client)
}

/// The tracking schema and table decide which files run: another role that created them first
/// could mark a migration as applied so that it never runs, or edit the records. They must
/// belong to the migrating role or to a role it is a member of (a superuser counts as a member
/// of no role here).
fn check_tracking_owner(client: &mut Client) -> Result<(), Error> {
    let rows = client
        .query(
            "WITH RECURSIVE mine AS (
               SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user
               UNION SELECT m.roleid FROM pg_catalog.pg_auth_members m JOIN mine ON m.member = mine.oid
             )
             SELECT what, pg_catalog.pg_get_userbyid(owner)::text, current_user::text FROM (
               SELECT 'schema migrate_gen' AS what, nspowner AS owner FROM pg_catalog.pg_namespace WHERE nspname = 'migrate_gen'
               UNION ALL
               SELECT 'table migrate_gen.applied', relowner FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass('migrate_gen.applied')
             ) o WHERE owner NOT IN (SELECT oid FROM mine)",
            &[],
        )
        .map_err(db)?;
    match rows.first() {
        None => Ok(()),
        Some(row) => {
            let (what, owner, me): (String, String, String) = (row.get(0), row.get(1), row.get(2));
            Err(Error::msg(format!(
                "the tracking {what} belongs to {owner}, not to the migrating role {me} or a role it is a member of: another role may have created it to mark migrations as applied; check its records, then drop it or give it to the migrating role (ALTER SCHEMA migrate_gen OWNER TO {me}; ALTER TABLE migrate_gen.applied OWNER TO {me}); nothing was run"
            )))
        }
    }
}

fn tracking_exists(client: &mut Client) -> Result<bool, Error> {
    let row = client
        .query_one("SELECT to_regclass('migrate_gen.applied') IS NOT NULL", &[])
        .map_err(db)?;
    Ok(row.get(0))
}

pub(crate) fn records(client: &mut Client) -> Result<Vec<Record>, Error> {
    if !tracking_exists(client)? {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT number, name, checksum, phase, finished_at IS NOT NULL, started_at::text, duration_ms
             FROM migrate_gen.applied ORDER BY number",
            &[],
        )
        .map_err(db)?;
    Ok(rows
        .iter()
        .map(|r| Record {
            number: r.get::<_, i32>(0) as u32,
            name: r.get(1),
            checksum: r.get(2),
            phase: r.get(3),
            finished: r.get(4),
            started_at: r.get(5),
            duration_ms: r.get(6),
        })
        .collect())
}

/// Takes the migration lock, waiting (with a message) unless `no_wait`.
pub(crate) fn lock(client: &mut Client, no_wait: bool) -> Result<(), Error> {
    let mut said = false;
    loop {
        let got: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])
            .map_err(db)?
            .get(0);
        if got {
            return Ok(());
        }
        let holder: Option<i32> = client
            .query_opt(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
                 AND ((classid::bigint << 32) | objid::bigint) = $1
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1",
                &[&LOCK_KEY],
            )
            .map_err(db)?
            .map(|r| r.get(0));
        let who = holder.map_or(String::new(), |p| format!(" (backend pid {p})"));
        if no_wait {
            return Err(Error::msg(format!(
                "another migrate-gen run holds the migration lock{who}; not waiting (--no-wait)"
            )));
        }
        if !said {
            eprintln!(
                "waiting for another migrate-gen run to finish: it holds the migration lock{who}"
            );
            said = true;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

pub(crate) fn unlock(client: &mut Client) {
    let _ = client.query_one("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY]);
}

fn is_lock_conflict(e: &postgres::Error) -> bool {
    matches!(e.code(), Some(c) if *c == SqlState::LOCK_NOT_AVAILABLE || *c == SqlState::T_R_DEADLOCK_DETECTED)
}

/// The least pause before retry `attempt` (1-based): 200 ms doubling to 10 s, times 0.5..1.5
/// (never shorter than the failed attempt took, see `run_file`).
fn backoff(attempt: u32) -> Duration {
    let base = 200u64.saturating_mul(1 << attempt.min(6)).min(10_000);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64);
    let jitter = 500 + (nanos.wrapping_mul(6_364_136_223_846_793_005) >> 33) % 1000;
    Duration::from_millis(base * jitter / 1000)
}

fn read(dir: &Path, name: &str) -> Result<String, Error> {
    let path = dir.join(name);
    fs::read_to_string(&path).map_err(|e| Error::io(&path, e))
}

/// Runs one file's statements: in one transaction (with `finish` just before its `COMMIT`) or
/// one by one (then `finish`).
fn execute(
    client: &mut Client,
    statements: &[String],
    transactional: bool,
    finish: &str,
) -> Result<(), postgres::Error> {
    let result = (|| {
        for stmt in statements {
            if transactional && stmt.eq_ignore_ascii_case("COMMIT") {
                client.batch_execute(finish)?;
            }
            client.batch_execute(stmt)?;
        }
        if !transactional {
            client.batch_execute(finish)?;
        }
        Ok(())
    })();
    if result.is_err() && transactional {
        let _ = client.batch_execute("ROLLBACK");
    }
    result
}

/// Runs `name`, retrying lock conflicts within the budget.
fn run_file(
    client: &mut Client,
    target: &Target,
    progress: &Progress,
    name: &str,
    text: &str,
    finish: &str,
    backfill_of: Option<&str>,
) -> Result<(), Error> {
    let transactional = !text.starts_with("-- no-transaction");
    let statements = split::statements(text);
    let deadline = Instant::now() + target.lock_retry_budget;
    let mut attempt = 0;
    loop {
        if let Some(table) = backfill_of {
            let estimate: i64 = client
                .query_one("SELECT coalesce(greatest(reltuples, 0), 0)::bigint FROM pg_class WHERE oid = to_regclass($1)", &[&table])
                .map_err(db)?
                .get(0);
            progress.start(&format!("backfill {table}"), estimate as u64);
        }
        let started = Instant::now();
        let result = execute(client, &statements, transactional, finish);
        progress.finish();
        match result {
            Ok(()) => return Ok(()),
            Err(e) if is_lock_conflict(&e) && Instant::now() < deadline => {
                attempt += 1;
                // At least as long as this attempt stood in the lock queue: the application's
                // statements that queued behind it need that long to drain before the next
                // attempt queues again.
                let queued = started.elapsed().min(Duration::from_secs(10));
                let pause = backoff(attempt)
                    .max(queued)
                    .min(deadline.saturating_duration_since(Instant::now()));
                eprintln!(
                    "{name}: {}; retry {attempt} in {:.1} s ({:.0} s of the lock retry budget left)",
                    one_line(&e),
                    pause.as_secs_f64(),
                    deadline
                        .saturating_duration_since(Instant::now())
                        .as_secs_f64()
                );
                std::thread::sleep(pause);
            }
            Err(e) => {
                let state = if transactional {
                    "its transaction was rolled back"
                } else {
                    "it runs outside a transaction and is safe to run again"
                };
                let budget = if is_lock_conflict(&e) {
                    " after the lock retry budget ran out"
                } else {
                    ""
                };
                return Err(Error::msg(format!(
                    "{name} failed{budget}: {}; {state}",
                    one_line(&e)
                )));
            }
        }
    }
}

pub(crate) fn load(dir: &Path) -> Result<Manifest, Error> {
    if !dir.is_dir() {
        return Err(Error::msg(format!(
            "--dir {}: no such directory",
            dir.display()
        )));
    }
    let manifest = Manifest::load(dir)?;
    if manifest.layout == manifest::Layout::Sqlx {
        return Err(Error::msg(format!(
            "{} holds migrations in the sqlx layout: apply them with `sqlx migrate run` or sqlx::migrate!",
            dir.display()
        )));
    }
    if manifest.files.is_empty() {
        return Err(Error::msg(format!(
            "{}: no migrations (no {} listing any file)",
            dir.display(),
            manifest::FILE_NAME
        )));
    }
    Ok(manifest)
}

/// Files on disk that differ from what was generated, or from what was applied.
pub(crate) fn edited(
    target: &Target,
    manifest: &Manifest,
    records: &[Record],
) -> Result<Vec<String>, Error> {
    let mut problems = Vec::new();
    for f in &manifest.files {
        let name = format!("{}.sql", f.stem);
        let Ok(text) = fs::read_to_string(target.dir.join(&name)) else {
            problems.push(format!("{name} is missing"));
            continue;
        };
        let sum = manifest::checksum(&text);
        match records.iter().find(|r| r.number == f.number) {
            Some(r) if r.checksum != sum => problems.push(format!(
                "{name} was edited after it was applied (checksum differs)"
            )),
            None if f.checksum != sum => problems.push(format!(
                "{name} was edited after it was generated (checksum differs from {})",
                manifest::FILE_NAME
            )),
            _ => {}
        }
    }
    Ok(problems)
}

/// The pending files `selection` picks, in order.
fn select<'m>(
    manifest: &'m Manifest,
    records: &[Record],
    selection: Selection,
    to: Option<u32>,
) -> Result<Vec<&'m FileEntry>, Error> {
    let done = |f: &FileEntry| records.iter().any(|r| r.number == f.number && r.finished);
    let pending: Vec<&FileEntry> = manifest.files.iter().filter(|f| !done(f)).collect();
    let newest = pending.iter().map(|f| f.release).max().unwrap_or(0);
    let picked: Vec<&FileEntry> = match selection {
        Selection::All => pending,
        Selection::Expand => pending
            .into_iter()
            .filter(|f| !(f.phase == Phase::Contract && f.release == newest))
            .collect(),
        Selection::Contract => {
            let waiting: Vec<String> = pending
                .iter()
                .filter(|f| f.phase != Phase::Contract)
                .map(|f| format!("{}.sql", f.stem))
                .collect();
            if !waiting.is_empty() {
                return Err(Error::msg(format!(
                    "expand files are still pending ({}); run `apply --phase expand` and deploy the new code first",
                    waiting.join(", ")
                )));
            }
            pending
        }
    };
    Ok(picked
        .into_iter()
        .filter(|f| to.is_none_or(|n| f.number <= n))
        .collect())
}

/// Refuses a `--to` beyond the folder's last file, before anything connects or changes.
fn check_to(manifest: &Manifest, dir: &Path, to: u32) -> Result<(), Error> {
    let last = manifest.files.iter().map(|f| f.number).max().unwrap_or(0);
    if to > last {
        return Err(Error::msg(format!(
            "--to {to}: there is no migration {to:03}; the last file in {} is {last:03} (nothing was changed)",
            dir.display()
        )));
    }
    Ok(())
}

/// `apply`: runs the selected pending files in order.
pub fn apply(target: &Target, selection: Selection, to: Option<u32>) -> Result<String, Error> {
    let manifest = load(&target.dir)?;
    if let Some(to) = to {
        check_to(&manifest, &target.dir, to)?;
    }
    let progress = Progress::default();
    let mut client = connect(&target.database_url, &progress)?;
    lock(&mut client, target.no_wait)?;
    let result = setup(&mut client)
        .and_then(|()| apply_locked(&mut client, target, &progress, &manifest, selection, to));
    unlock(&mut client);
    result
}

/// The contract gate: a contract file of version K runs only once no session tagged (by
/// `Versioned::application_name`) with a version below K is connected to the database.
fn contract_gate(client: &mut Client, files: &[&FileEntry]) -> Result<(), Error> {
    let Some(first) = files
        .iter()
        .find(|f| f.phase == schema_core::plan::Phase::Contract)
    else {
        return Ok(());
    };
    let rows = client
        .query(
            "SELECT pid, application_name, coalesce(host(client_addr), 'local'), backend_start::text
             FROM pg_catalog.pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_catalog.pg_backend_pid() AND application_name LIKE '% (schema v%)'
             ORDER BY backend_start",
            &[],
        )
        .map_err(db)?;
    let old: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            let name: String = r.get(1);
            let version = schema_core::runtime::application_version(&name)?;
            (version < first.version).then(|| {
                let (pid, from, since): (i32, String, String) = (r.get(0), r.get(2), r.get(3));
                format!("pid {pid} `{name}` from {from} since {since}")
            })
        })
        .collect();
    if old.is_empty() {
        return Ok(());
    }
    Err(Error::msg(format!(
        "{} is a contract file of version {}, but {} session{} of older code {} connected: {}; the contract would break {}. Wait until the old code is gone (or pass --ignore-sessions if these sessions do not use the table); nothing was run",
        first.stem,
        first.version,
        old.len(),
        if old.len() == 1 { "" } else { "s" },
        if old.len() == 1 { "is" } else { "are" },
        old.join(", "),
        if old.len() == 1 { "it" } else { "them" },
    )))
}

fn apply_locked(
    client: &mut Client,
    target: &Target,
    progress: &Progress,
    manifest: &Manifest,
    selection: Selection,
    to: Option<u32>,
) -> Result<String, Error> {
    let applied = records(client)?;
    let problems = edited(target, manifest, &applied)?;
    if !problems.is_empty() && !target.accept_edited {
        return Err(Error::msg(format!(
            "{}; applied migrations are never changed: restore the files (or pass --accept-edited to run them as they are now)",
            problems.join("; ")
        )));
    }
    let files = select(manifest, &applied, selection, to)?;
    if !target.ignore_sessions {
        contract_gate(client, &files)?;
    }
    for f in &files {
        let name = format!("{}.sql", f.stem);
        let text = read(&target.dir, &name)?;
        let again = applied.iter().any(|r| r.number == f.number);
        eprintln!(
            "applying {name} ({}, release {}){}",
            f.phase,
            f.release,
            if again {
                ", again: an earlier run did not finish it"
            } else {
                ""
            }
        );
        let started = Instant::now();
        client
            .execute(
                "INSERT INTO migrate_gen.applied (number, name, checksum, phase, release, started_at)
                 VALUES ($1, $2, $3, $4, $5, clock_timestamp())
                 ON CONFLICT (number) DO UPDATE SET name = EXCLUDED.name, checksum = EXCLUDED.checksum,
                   started_at = EXCLUDED.started_at, finished_at = NULL, duration_ms = NULL",
                &[&(f.number as i32), &name, &manifest::checksum(&text), &f.phase.as_str(), &(f.release as i32)],
            )
            .map_err(db)?;
        let finish = format!(
            "UPDATE migrate_gen.applied SET finished_at = clock_timestamp(),
               duration_ms = (extract(epoch FROM clock_timestamp() - started_at) * 1000)::bigint
             WHERE number = {}",
            f.number
        );
        let backfill_of = (f.phase == Phase::Backfill).then_some(f.table.as_str());
        if let Err(e) = run_file(client, target, progress, &name, &text, &finish, backfill_of) {
            if f.transactional {
                // Nothing of it stayed: the record would only claim a half-done file.
                let _ = client.execute(
                    "DELETE FROM migrate_gen.applied WHERE number = $1 AND finished_at IS NULL",
                    &[&(f.number as i32)],
                );
            }
            return Err(e);
        }
        eprintln!("  done in {} ms", started.elapsed().as_millis());
    }
    let remaining = select(manifest, &records(client)?, Selection::All, None)?.len();
    Ok(format!(
        "applied {} migrations; {remaining} pending{}",
        files.len(),
        if remaining > 0 && selection == Selection::Expand {
            " (the newest release's contract files: run `apply --phase contract` once the old code is gone)"
        } else {
            ""
        }
    ))
}

/// `rollback --to N`: runs the rollbacks of the recorded files above N, newest first.
pub fn rollback(target: &Target, to: u32) -> Result<String, Error> {
    let manifest = load(&target.dir)?;
    check_to(&manifest, &target.dir, to)?;
    let progress = Progress::default();
    let mut client = connect(&target.database_url, &progress)?;
    lock(&mut client, target.no_wait)?;
    let result = setup(&mut client)
        .and_then(|()| rollback_locked(&mut client, target, &progress, &manifest, to));
    unlock(&mut client);
    result
}

fn rollback_locked(
    client: &mut Client,
    target: &Target,
    progress: &Progress,
    manifest: &Manifest,
    to: u32,
) -> Result<String, Error> {
    let records = records(client)?;
    let mut done = 0;
    for r in records.iter().rev().filter(|r| r.number > to) {
        let Some(f) = manifest.files.iter().find(|f| f.number == r.number) else {
            return Err(Error::msg(format!(
                "migration {} ({}) is recorded as applied but is not in {}; cannot roll it back",
                r.number,
                r.name,
                manifest::FILE_NAME
            )));
        };
        let name = format!("{}.rollback.sql", f.stem);
        let text = read(&target.dir, &name)?;
        if manifest::checksum(&text) != f.rollback_checksum && !target.accept_edited {
            return Err(Error::msg(format!(
                "{name} was edited after it was generated; restore it (or pass --accept-edited)"
            )));
        }
        eprintln!("rolling back {}.sql with {name}", f.stem);
        let finish = format!(
            "DELETE FROM migrate_gen.applied WHERE number = {}",
            f.number
        );
        run_file(client, target, progress, &name, &text, &finish, None)?;
        done += 1;
    }
    let at = records
        .iter()
        .filter(|r| r.number <= to && r.finished)
        .map(|r| r.number)
        .max();
    Ok(match at {
        Some(at) => format!("rolled back {done} migrations; the database is at migration {at:03}"),
        None => format!("rolled back {done} migrations; no migration is applied"),
    })
}

/// `status`: the report (applied, pending and problems) and the problems, each one line;
/// something needs attention when there is any.
pub fn status(target: &Target) -> Result<(String, Vec<String>), Error> {
    let manifest = load(&target.dir)?;
    let mut client = connect(&target.database_url, &Progress::default())?;
    let records = records(&mut client)?;
    let mut out = String::new();
    // The runner's own view of a forward file (edited since it was applied, or generated)
    // replaces the manifest's, which would say the same about the same file.
    let edits = edited(target, &manifest, &records)?;
    let mut problems: Vec<String> = manifest
        .verify_files(&target.dir)?
        .into_iter()
        .filter(|p| {
            !edits
                .iter()
                .any(|e| e.split(' ').next() == p.split(' ').next())
        })
        .collect();
    problems.extend(edits);
    let _ = writeln!(out, "applied:");
    for r in &records {
        if !manifest.files.iter().any(|f| f.number == r.number) {
            problems.push(format!(
                "{} is recorded as applied but is not in {}",
                r.name,
                manifest::FILE_NAME
            ));
        }
        if r.finished {
            let _ = writeln!(
                out,
                "  {} ({}) at {}, {} ms",
                r.name,
                r.phase,
                r.started_at,
                r.duration_ms.unwrap_or(0)
            );
        } else {
            problems.push(format!(
                "{} was started at {} and did not finish; run `apply` to finish it",
                r.name, r.started_at
            ));
        }
    }
    let pending: Vec<String> = manifest
        .files
        .iter()
        .filter(|f| !records.iter().any(|r| r.number == f.number && r.finished))
        .map(|f| format!("  {}.sql ({}, release {})", f.stem, f.phase, f.release))
        .collect();
    let _ = writeln!(
        out,
        "pending: {}",
        if pending.is_empty() { "none" } else { "" }
    );
    for p in &pending {
        let _ = writeln!(out, "{p}");
    }
    let invalid = client
        .query(
            "SELECT i.indexrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE NOT i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema')",
            &[],
        )
        .map_err(db)?;
    for row in invalid {
        let index: String = row.get(0);
        problems.push(format!(
            "index {index} is invalid (a concurrent build was interrupted); `apply` of its file drops and rebuilds it"
        ));
    }
    if problems.is_empty() {
        let _ = writeln!(out, "problems: none");
    } else {
        let _ = writeln!(out, "problems:");
        for p in &problems {
            let _ = writeln!(out, "  {p}");
        }
    }
    Ok((out.trim_end().to_owned(), problems))
}

/// `archive list` / `archive cleanup`: the archives of dropped columns and tables, and
/// removing those whose retention has passed (with `dry_run`, only saying which).
pub fn archives(database_url: &str, cleanup: bool, dry_run: bool) -> Result<String, Error> {
    let mut client = connect(database_url, &Progress::default())?;
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('migrate_gen_archive.registry') IS NOT NULL",
            &[],
        )
        .map_err(db)?
        .get(0);
    if !exists {
        return Ok("no archives".into());
    }
    let rows = client
        .query(
            "SELECT archive, source, version, archived_at::text, keep_until::text, keep_until < now()
             FROM migrate_gen_archive.registry ORDER BY archived_at, archive",
            &[],
        )
        .map_err(db)?;
    let mut out = String::new();
    let mut removed = 0;
    for r in &rows {
        let (archive, source, version): (String, String, i64) = (r.get(0), r.get(1), r.get(2));
        let (archived_at, keep_until, expired): (String, String, bool) =
            (r.get(3), r.get(4), r.get(5));
        let state = if expired { "retention passed" } else { "kept" };
        let _ = writeln!(
            out,
            "{archive}: {source} dropped at version {version}, archived {archived_at}, kept until {keep_until} ({state})"
        );
        if cleanup && expired {
            if dry_run {
                let _ = writeln!(
                    out,
                    "  would remove migrate_gen_archive.{archive} (--dry-run)"
                );
                continue;
            }
            let mut tx = client.transaction().map_err(db)?;
            tx.batch_execute(&format!(
                "DROP TABLE IF EXISTS {}",
                schema_core::sql::raw::qualified("migrate_gen_archive", &archive)
            ))
            .map_err(db)?;
            tx.execute(
                "DELETE FROM migrate_gen_archive.registry WHERE archive = $1",
                &[&archive],
            )
            .map_err(db)?;
            tx.commit().map_err(db)?;
            removed += 1;
            let _ = writeln!(out, "  removed migrate_gen_archive.{archive}");
        }
    }
    if rows.is_empty() {
        out.push_str("no archives\n");
    }
    if cleanup && !dry_run {
        let _ = writeln!(
            out,
            "removed {removed} archives; the others are within their retention"
        );
    }
    Ok(out.trim_end().to_owned())
}
