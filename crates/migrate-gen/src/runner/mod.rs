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

mod apply;
mod archive;
mod execute;
pub mod fleet;
mod lock;
pub(crate) mod progress;
mod rollback;
pub mod sessions;
pub mod split;
mod status;
pub mod targets;
mod tracking;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kv_migrate::redact;
use postgres::{Client, NoTls};

use crate::Error;
use crate::manifest::{self, Manifest};
use progress::Progress;

pub use apply::{Applied, apply};
pub use archive::archives;
pub(crate) use lock::{lock, unlock};
pub use rollback::rollback;
pub use status::{Position, status};
pub(crate) use tracking::{records, setup};

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
    /// The `lock_timeout` of each attempt of a statement that takes a table lock, and the age
    /// of another session's transaction holding a lock on the file's table that the runner
    /// waits out before an attempt, outside the lock queue (None: the file's own timeout, no
    /// waiting).
    pub lock_attempt_timeout: Option<Duration>,
    /// Run contract files even while sessions of older code are connected.
    pub ignore_sessions: bool,
    /// Session settings made before any file runs: the `migrate_gen.*` pacing of batched
    /// writes for this run (`schema_core::sql::raw::setting`).
    pub settings: Vec<(&'static str, String)>,
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
        } else if notice.severity() == "WARNING" {
            progress.warn(&format!("warning: {message}"));
        } else if notice.severity() != "DEBUG" {
            // A notice (`backfill public.users: no rows`): left out of a fleet's output.
            progress.info(&format!("{}: {message}", notice.severity().to_lowercase()));
        }
    });
    let mut client = config.connect(NoTls).map_err(|e| {
        Error::Connect(redact(&format!(
            "cannot connect to {url}: {}",
            one_line(&e)
        )))
    })?;
    // The generated backfill reports each batch at DEBUG level, which psql users do not see.
    // The runner's own statements resolve names in `pg_catalog` only, as the files do.
    client
        .batch_execute("SET client_min_messages = debug1; SET search_path = pg_catalog, pg_temp")
        .map_err(db)?;
    Ok(client)
}

/// Makes `target`'s session settings (the pacing of batched writes) on the run's connection.
pub(crate) fn settings(client: &mut Client, target: &Target) -> Result<(), Error> {
    for (name, value) in &target.settings {
        client
            .execute(
                "SELECT pg_catalog.set_config($1, $2, false)",
                &[name, value],
            )
            .map_err(db)?;
    }
    Ok(())
}

pub(crate) fn db(e: postgres::Error) -> Error {
    Error::Database(one_line(&e))
}

pub(super) fn read(dir: &Path, name: &str) -> Result<String, Error> {
    let path = dir.join(name);
    fs::read_to_string(&path).map_err(|e| Error::io(&path, e))
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

/// Refuses a `--to` beyond the folder's last file, before anything connects or changes.
pub(super) fn check_to(manifest: &Manifest, dir: &Path, to: u32) -> Result<(), Error> {
    let last = manifest.files.iter().map(|f| f.number).max().unwrap_or(0);
    if to > last {
        return Err(Error::msg(format!(
            "--to {to}: there is no migration {to:03}; the last file in {} is {last:03} (nothing was changed)",
            dir.display()
        )));
    }
    Ok(())
}
