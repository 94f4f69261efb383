//! One runner at a time per database: a session advisory lock, taken by polling
//! `pg_try_advisory_lock` (never by blocking inside `pg_advisory_lock`, whose open snapshot would
//! make a concurrent index build of the other runner wait forever).

use std::time::Duration;

use postgres::Client;

use super::db;
use super::progress::Progress;
use crate::Error;

/// `pg_try_advisory_lock` key: "migrate" in ASCII.
const LOCK_KEY: i64 = 0x006d_6967_7261_7465;

/// Takes the migration lock, waiting (with a message) unless `no_wait`.
pub(crate) fn lock(client: &mut Client, no_wait: bool) -> Result<(), Error> {
    lock_for(client, no_wait, &Progress::default())
}

/// [`lock`], saying that it waits through `progress` (which names the database in a fleet).
pub(crate) fn lock_for(
    client: &mut Client,
    no_wait: bool,
    progress: &Progress,
) -> Result<(), Error> {
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
            return Err(Error::Locked(format!(
                "another migrate-gen run holds the migration lock{who}; not waiting (--no-wait)"
            )));
        }
        if !said {
            progress.warn(&format!(
                "waiting for another migrate-gen run to finish: it holds the migration lock{who}"
            ));
            said = true;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

pub(crate) fn unlock(client: &mut Client) {
    let _ = client.query_one("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY]);
}
