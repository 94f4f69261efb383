//! Running one file: its statements in one transaction or one by one, retrying the whole file
//! when a statement gives up on a lock, within a time budget.
//!
//! The lock queue at its floor: a statement waiting for a lock makes every later statement on
//! that table queue behind it, so the runner never waits in the queue for long. Before each
//! attempt it waits, outside the queue, while another session holds a lock on the file's table
//! in a transaction older than one attempt (`pg_locks`, `pg_stat_activity`); then each statement
//! that takes a table lock runs with a short `lock_timeout` (`--lock-attempt-timeout`, 50 ms)
//! instead of the file's, and a failed attempt is retried after a short jittered pause. The
//! statements that wait by design keep the file's timeout: concurrent index builds (which wait
//! for older transactions) and the batched walks (whose batches retry row locks themselves).

use std::time::{Duration, Instant};

use postgres::Client;
use postgres::error::SqlState;

use super::progress::Progress;
use super::{Target, db, one_line, split};
use crate::Error;

fn is_lock_conflict(e: &postgres::Error) -> bool {
    matches!(e.code(), Some(c) if *c == SqlState::LOCK_NOT_AVAILABLE || *c == SqlState::T_R_DEADLOCK_DETECTED)
}

/// The least pause before retry `attempt` (1-based): 100 ms more each attempt, up to 2 s, times
/// 0.5..1.5 (never shorter than the failed attempt took, see `run_file`).
fn backoff(attempt: u32) -> Duration {
    let base = 100u64.saturating_mul(u64::from(attempt)).min(2_000);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() as u64);
    let jitter = 500 + (nanos.wrapping_mul(6_364_136_223_846_793_005) >> 33) % 1000;
    Duration::from_millis(base * jitter / 1000)
}

/// `stmt` without the comment lines above it (a file's header comes with its first statement).
fn code(stmt: &str) -> &str {
    let mut rest = stmt.trim_start();
    while rest.starts_with("--") {
        rest = rest
            .split_once('\n')
            .map_or("", |(_, after)| after)
            .trim_start();
    }
    rest
}

/// Whether `stmt` is a `SET lock_timeout = ...`.
fn sets_lock_timeout(stmt: &str) -> bool {
    code(stmt).starts_with("SET lock_timeout")
}

/// Whether `stmt` runs with the short per-attempt `lock_timeout`: everything but the settings,
/// the concurrent index builds and drops (they wait for older transactions by design, and a
/// build cut short leaves an invalid index) and the batched walks (whose batches retry their
/// row locks themselves).
fn short_lock_timeout(stmt: &str) -> bool {
    let upper = code(stmt).to_ascii_uppercase();
    !(upper.starts_with("SET ")
        || upper.contains("CONCURRENTLY")
        || upper.starts_with("DO $BACKFILL$")
        || upper.starts_with("DO $ARCHIVE$"))
}

/// The file's own `lock_timeout`, from its `SET lock_timeout = '...'` statement.
fn file_lock_timeout(statements: &[String]) -> Option<String> {
    statements.iter().find_map(|s| {
        let rest = code(s).trim_end().strip_prefix("SET lock_timeout")?;
        let value = rest.trim_start().strip_prefix('=')?.trim();
        Some(value.trim_end_matches(';').trim().to_owned())
    })
}

/// The oldest transaction of another session holding a lock on `table` that began more than
/// `older_than` ago: (pid, lock mode, seconds open, what it runs).
fn long_holder(
    client: &mut Client,
    table: &str,
    older_than: Duration,
) -> Result<Option<(i32, String, f64, String)>, Error> {
    let row = client
        .query_opt(
            "SELECT l.pid, l.mode, extract(epoch FROM clock_timestamp() - a.xact_start)::float8,
                    coalesce(a.application_name, '') || ' ' || a.state
               FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid()
                AND l.relation = to_regclass($1) AND a.backend_type = 'client backend'
                AND a.xact_start < clock_timestamp() - make_interval(secs => $2)
              ORDER BY a.xact_start LIMIT 1",
            &[&table, &older_than.as_secs_f64()],
        )
        .map_err(db)?;
    Ok(row.map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))))
}

/// Whether an autovacuum worker holds a lock on `table`. PostgreSQL cancels it for a lock
/// request that has waited `deadlock_timeout` (1 s by default), which a 50 ms attempt never
/// does: such an attempt runs with the file's own `lock_timeout` instead, as psql would.
fn autovacuum_holds(client: &mut Client, table: &str) -> Result<bool, Error> {
    Ok(client
        .query_one(
            "SELECT EXISTS (SELECT FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE l.locktype = 'relation' AND l.granted AND l.relation = to_regclass($1)
                AND a.backend_type = 'autovacuum worker')",
            &[&table],
        )
        .map_err(db)?
        .get(0))
}

/// Waits, outside the lock queue, until no other session holds a lock on `table` in a
/// transaction older than `attempt` (such a transaction may last for minutes: a statement
/// queued behind it would make the application's statements queue too). Says so every 10 s;
/// gives up at `deadline`, naming the session.
fn wait_outside_queue(
    client: &mut Client,
    progress: &Progress,
    name: &str,
    table: &str,
    attempt: Duration,
    deadline: Instant,
) -> Result<(), Error> {
    let mut said: Option<Instant> = None;
    let started = Instant::now();
    while let Some((pid, mode, open, what)) = long_holder(client, table, attempt)? {
        let who = format!(
            "pid {pid} holds {mode} on {table} in a transaction open for {open:.1} s ({})",
            what.trim()
        );
        if Instant::now() >= deadline {
            return Err(Error::msg(format!(
                "{name} was not run: {who}, and the lock retry budget ran out after {:.0} s of waiting; nothing of it was run",
                started.elapsed().as_secs_f64()
            )));
        }
        if said.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
            progress.warn(&format!("{name}: waiting without queueing: {who}"));
            said = Some(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if said.is_some() {
        progress.info(&format!(
            "{name}: the lock holder is gone after {:.1} s; running",
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(())
}

/// Runs one file's statements: in one transaction (with `finish` just before its `COMMIT`) or
/// one by one (then `finish`). Statements that take table locks run with `lock_timeout =
/// attempt` when `attempt` is given, the others with the file's own.
fn execute(
    client: &mut Client,
    statements: &[String],
    transactional: bool,
    finish: &str,
    attempt: Option<&str>,
) -> Result<(), postgres::Error> {
    let own = file_lock_timeout(statements);
    let mut current: Option<&str> = None;
    let result = (|| {
        for stmt in statements {
            if transactional && stmt.eq_ignore_ascii_case("COMMIT") {
                client.batch_execute(finish)?;
            }
            if let (Some(attempt), Some(own)) = (attempt, own.as_deref()) {
                let wanted = if short_lock_timeout(stmt) {
                    attempt
                } else {
                    own
                };
                if current != Some(wanted) && !sets_lock_timeout(stmt) {
                    client.batch_execute(&format!("SET lock_timeout = {wanted}"))?;
                    current = Some(wanted);
                }
            }
            client.batch_execute(stmt)?;
            if sets_lock_timeout(stmt) {
                current = own.as_deref();
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_lock_timeout_is_read_below_its_header() {
        let statements = vec![
            "-- no-transaction\n-- Migration: x\nSET lock_timeout = '1s'".to_owned(),
            "SET statement_timeout = 0".to_owned(),
        ];
        assert_eq!(file_lock_timeout(&statements).as_deref(), Some("'1s'"));
        assert!(sets_lock_timeout(&statements[0]));
        assert!(!short_lock_timeout(&statements[0]));
        assert!(short_lock_timeout(
            "-- why\nALTER TABLE t ADD COLUMN c text"
        ));
        assert!(!short_lock_timeout("CREATE INDEX CONCURRENTLY i ON t (c)"));
        assert!(!short_lock_timeout("DO $backfill$\nBEGIN END\n$backfill$"));
    }
}

/// One file to run.
#[derive(Clone, Copy)]
pub(super) struct Job<'a> {
    /// Its file name, for messages.
    pub name: &'a str,
    pub text: &'a str,
    /// The tracking statement that records it as done.
    pub finish: &'a str,
    /// The table it changes (`schema.table`), whose lock holders it waits out.
    pub table: &'a str,
    /// A backfill, whose progress is shown.
    pub backfill: bool,
}

/// Runs `job`, retrying lock conflicts within the budget.
pub(super) fn run_file(
    client: &mut Client,
    target: &Target,
    progress: &Progress,
    job: &Job<'_>,
) -> Result<(), Error> {
    let Job {
        name,
        text,
        finish,
        table,
        backfill,
    } = *job;
    let transactional = !text.starts_with("-- no-transaction");
    let statements = split::statements(text);
    let deadline = Instant::now() + target.lock_retry_budget;
    let short = target
        .lock_attempt_timeout
        .map(|d| format!("'{}ms'", d.as_millis().max(1)));
    let mut attempt = 0;
    loop {
        let mut short = short.as_deref();
        if let Some(wait) = target.lock_attempt_timeout {
            wait_outside_queue(client, progress, name, table, wait, deadline)?;
            if autovacuum_holds(client, table)? {
                progress.info(&format!(
                    "{name}: an autovacuum works on {table}: this attempt waits up to the file's lock_timeout, after which PostgreSQL cancels the autovacuum"
                ));
                short = None;
            }
        }
        if backfill {
            let estimate: i64 = client
                .query_one("SELECT coalesce(greatest(reltuples, 0), 0)::bigint FROM pg_class WHERE oid = to_regclass($1)", &[&table])
                .map_err(db)?
                .get(0);
            progress.start(&format!("backfill {table}"), estimate as u64);
        }
        let started = Instant::now();
        let result = execute(client, &statements, transactional, finish, short);
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
                progress.warn(&format!(
                    "{name}: {}; retry {attempt} in {:.1} s ({:.0} s of the lock retry budget left)",
                    one_line(&e),
                    pause.as_secs_f64(),
                    deadline
                        .saturating_duration_since(Instant::now())
                        .as_secs_f64()
                ));
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
