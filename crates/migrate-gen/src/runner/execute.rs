//! Running one file: its statements in one transaction or one by one, retrying the whole file
//! when a statement gives up on a lock, within a time budget.

use std::time::{Duration, Instant};

use postgres::Client;
use postgres::error::SqlState;

use super::progress::Progress;
use super::{Target, db, one_line, split};
use crate::Error;

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
pub(super) fn run_file(
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
