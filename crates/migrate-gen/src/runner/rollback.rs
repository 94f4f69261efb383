//! `rollback --to N`: the rollbacks of the recorded files above N, newest first.

use postgres::Client;

use super::execute::{Job, run_file};
use super::lock::{lock_for, unlock};
use super::progress::Progress;
use super::tracking::{records, setup};
use super::{Target, check_to, connect, load, read, settings};
use crate::Error;
use crate::manifest::{self, Manifest};

/// `rollback --to N`: runs the rollbacks of the recorded files above N, newest first.
pub fn rollback(target: &Target, to: u32) -> Result<String, Error> {
    let manifest = load(&target.dir)?;
    rollback_with(target, &manifest, to, &Progress::default())
}

/// [`rollback`] of a loaded folder, its lines going through `progress`.
pub(crate) fn rollback_with(
    target: &Target,
    manifest: &Manifest,
    to: u32,
    progress: &Progress,
) -> Result<String, Error> {
    check_to(manifest, &target.dir, to)?;
    let mut client = connect(&target.database_url, progress)?;
    settings(&mut client, target)?;
    lock_for(&mut client, target.no_wait, progress)?;
    let result = setup(&mut client)
        .and_then(|()| rollback_locked(&mut client, target, progress, manifest, to));
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
        progress.info(&format!("rolling back {}.sql with {name}", f.stem));
        let finish = format!(
            "DELETE FROM migrate_gen.applied WHERE number = {}",
            f.number
        );
        run_file(
            client,
            target,
            progress,
            &Job {
                name: &name,
                text: &text,
                finish: &finish,
                table: &f.table,
                backfill: false,
            },
        )?;
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
