//! `apply`: the pending files a phase selects, the contract gate, then each file in order.

use std::time::Instant;

use postgres::Client;
use schema_core::plan::Phase;

use super::execute::{Job, run_file};
use super::lock::{lock_for, unlock};
use super::progress::Progress;
use super::sessions::sessions;
use super::tracking::{Record, edited, records, setup};
use super::{Selection, Target, check_to, connect, db, load, read, settings};
use crate::Error;
use crate::manifest::{self, FileEntry, Manifest};

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
            let waiting = waiting_for_contract(manifest, records);
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

/// What one database's `apply` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// Files run by this call.
    pub applied: usize,
    /// Files still pending after it, in any phase.
    pub pending: usize,
}

/// `apply`: runs the selected pending files in order.
pub fn apply(target: &Target, selection: Selection, to: Option<u32>) -> Result<String, Error> {
    let manifest = load(&target.dir)?;
    let done = apply_with(target, &manifest, selection, to, &Progress::default())?;
    Ok(format!(
        "applied {} migrations; {} pending{}",
        done.applied,
        done.pending,
        if done.pending > 0 && selection == Selection::Expand {
            " (the newest release's contract files: run `apply --phase contract` once the old code is gone)"
        } else {
            ""
        }
    ))
}

/// [`apply`] of a loaded folder, its lines going through `progress`. The connection lasts as
/// long as the work.
pub(crate) fn apply_with(
    target: &Target,
    manifest: &Manifest,
    selection: Selection,
    to: Option<u32>,
    progress: &Progress,
) -> Result<Applied, Error> {
    if let Some(to) = to {
        check_to(manifest, &target.dir, to)?;
    }
    let mut client = connect(&target.database_url, progress)?;
    settings(&mut client, target)?;
    lock_for(&mut client, target.no_wait, progress)?;
    let result = setup(&mut client)
        .and_then(|()| apply_locked(&mut client, target, progress, manifest, selection, to));
    unlock(&mut client);
    result
}

/// The expand and backfill files still pending that `apply --phase contract` waits for (with
/// `--to`, those up to it), by name; none when the contract may run.
pub(crate) fn waiting_for_contract(manifest: &Manifest, records: &[Record]) -> Vec<String> {
    let done = |f: &FileEntry| records.iter().any(|r| r.number == f.number && r.finished);
    manifest
        .files
        .iter()
        .filter(|f| !done(f) && f.phase != Phase::Contract)
        .map(|f| format!("{}.sql", f.stem))
        .collect()
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
    let old: Vec<String> = sessions(client)?
        .iter()
        .filter(|s| s.version < first.version)
        .map(|s| {
            format!(
                "pid {} `{}` from {} since {}",
                s.pid, s.application, s.from, s.since
            )
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
) -> Result<Applied, Error> {
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
        progress.info(&format!(
            "applying {name} ({}, release {}){}",
            f.phase,
            f.release,
            if again {
                ", again: an earlier run did not finish it"
            } else {
                ""
            }
        ));
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
        if let Err(e) = run_file(
            client,
            target,
            progress,
            &Job {
                name: &name,
                text: &text,
                finish: &finish,
                table: &f.table,
                backfill: f.phase == Phase::Backfill,
            },
        ) {
            if f.transactional {
                // Nothing of it stayed: the record would only claim a half-done file.
                let _ = client.execute(
                    "DELETE FROM migrate_gen.applied WHERE number = $1 AND finished_at IS NULL",
                    &[&(f.number as i32)],
                );
            }
            return Err(e);
        }
        progress.info(&format!("  done in {} ms", started.elapsed().as_millis()));
    }
    let pending = select(manifest, &records(client)?, Selection::All, None)?.len();
    Ok(Applied {
        applied: files.len(),
        pending,
    })
}
