//! `status`: applied and pending files, and what needs attention.

use std::fmt::Write as _;

use std::fmt;

use schema_core::plan::Phase;

use super::progress::Progress;
use super::sessions::{self, sessions};
use super::tracking::{Record, edited, records};
use super::{Target, connect, db, load};
use crate::Error;
use crate::manifest::{self, Manifest};

/// `status`: the report (where the database is, applied, pending, the tagged sessions
/// connected now, and problems) and the problems, each one line; something needs attention
/// when there is any.
pub fn status(target: &Target) -> Result<(String, Vec<String>), Error> {
    let manifest = load(&target.dir)?;
    let report = report(target, &manifest, &Progress::default())?;
    Ok((report.text, report.problems))
}

/// What `status` found on one database.
pub(crate) struct Report {
    pub(crate) text: String,
    pub(crate) problems: Vec<String>,
    pub(crate) position: Position,
    /// Tagged sessions of a version below the first pending contract file's.
    pub(crate) old_sessions: usize,
}

/// Where a database is in the folder's releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// Every file applied; the newest release.
    Done { release: u32 },
    /// Releases up to `complete` applied (0: none); of release `next`, `expand` of
    /// `expand_total` expand and backfill files and `contract` of `contract_total` contract
    /// files.
    Within {
        complete: u32,
        next: u32,
        expand: usize,
        expand_total: usize,
        contract: usize,
        contract_total: usize,
    },
}

impl Position {
    pub(crate) fn of(manifest: &Manifest, records: &[Record]) -> Position {
        let done = |number: u32| records.iter().any(|r| r.number == number && r.finished);
        let mut releases: Vec<u32> = manifest.files.iter().map(|f| f.release).collect();
        releases.sort_unstable();
        releases.dedup();
        let mut complete = 0;
        for &release in &releases {
            let files = manifest.files.iter().filter(|f| f.release == release);
            let (mut expand, mut expand_total, mut contract, mut contract_total) = (0, 0, 0, 0);
            for f in files {
                let (n, total) = if f.phase == Phase::Contract {
                    (&mut contract, &mut contract_total)
                } else {
                    (&mut expand, &mut expand_total)
                };
                *total += 1;
                if done(f.number) {
                    *n += 1;
                }
            }
            if expand < expand_total || contract < contract_total {
                return Position::Within {
                    complete,
                    next: release,
                    expand,
                    expand_total,
                    contract,
                    contract_total,
                };
            }
            complete = release;
        }
        Position::Done { release: complete }
    }

    /// How far along the releases: later is greater (release, then expand done, then each
    /// file applied).
    pub fn rank(&self) -> (u32, usize, usize) {
        match *self {
            Position::Done { release } => (release, usize::MAX, usize::MAX),
            Position::Within {
                complete,
                expand,
                contract,
                ..
            } => (complete, expand, contract),
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Position::Done { release } => write!(f, "release {release}, all applied"),
            Position::Within {
                next,
                expand,
                expand_total,
                contract,
                contract_total,
                ..
            } => {
                if expand < expand_total {
                    write!(
                        f,
                        "release {next}, expand: {expand} of {expand_total} files applied"
                    )
                } else if contract == 0 {
                    write!(
                        f,
                        "release {next}, expanded (contract pending, {contract_total} files)"
                    )
                } else {
                    write!(
                        f,
                        "release {next}, contract: {contract} of {contract_total} files applied"
                    )
                }
            }
        }
    }
}

/// [`status`] of a loaded folder; the connection lasts as long as the reads.
pub(crate) fn report(
    target: &Target,
    manifest: &Manifest,
    progress: &Progress,
) -> Result<Report, Error> {
    let mut client = connect(&target.database_url, progress)?;
    let records = records(&mut client)?;
    let position = Position::of(manifest, &records);
    let mut out = String::new();
    let _ = writeln!(out, "at: {position}");
    // The runner's own view of a forward file (edited since it was applied, or generated)
    // replaces the manifest's, which would say the same about the same file.
    let edits = edited(target, manifest, &records)?;
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
    let contract_version = manifest
        .files
        .iter()
        .find(|f| {
            f.phase == Phase::Contract
                && !records.iter().any(|r| r.number == f.number && r.finished)
        })
        .map(|f| f.version);
    let connected = sessions(&mut client)?;
    let old_sessions = connected
        .iter()
        .filter(|s| contract_version.is_some_and(|k| s.version < k))
        .count();
    let _ = writeln!(out, "{}", sessions::describe(&connected, contract_version));
    drop(client);
    if problems.is_empty() {
        let _ = writeln!(out, "problems: none");
    } else {
        let _ = writeln!(out, "problems:");
        for p in &problems {
            let _ = writeln!(out, "  {p}");
        }
    }
    Ok(Report {
        text: out.trim_end().to_owned(),
        problems,
        position,
        old_sessions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{FileEntry, Layout};

    fn manifest() -> Manifest {
        let file = |number: u32, phase: Phase, release: u32| FileEntry {
            number,
            table: "public.items".into(),
            version: release,
            phase,
            transactional: true,
            release,
            checksum: String::new(),
            rollback_checksum: String::new(),
            stem: format!("{number:03}_items"),
        };
        Manifest {
            layout: Layout::Plain,
            steps: Vec::new(),
            files: vec![
                file(1, Phase::Expand, 1),
                file(2, Phase::Expand, 2),
                file(3, Phase::Backfill, 2),
                file(4, Phase::Contract, 2),
            ],
        }
    }

    fn applied(numbers: &[u32]) -> Vec<Record> {
        numbers
            .iter()
            .map(|&number| Record {
                number,
                name: String::new(),
                checksum: String::new(),
                phase: String::new(),
                finished: true,
                started_at: String::new(),
                duration_ms: None,
            })
            .collect()
    }

    #[test]
    fn a_database_is_at_a_release_and_phase() {
        let m = manifest();
        let at = |numbers: &[u32]| Position::of(&m, &applied(numbers)).to_string();
        assert_eq!(at(&[]), "release 1, expand: 0 of 1 files applied");
        assert_eq!(at(&[1]), "release 2, expand: 0 of 2 files applied");
        assert_eq!(at(&[1, 2]), "release 2, expand: 1 of 2 files applied");
        assert_eq!(
            at(&[1, 2, 3]),
            "release 2, expanded (contract pending, 1 files)"
        );
        assert_eq!(at(&[1, 2, 3, 4]), "release 2, all applied");
        let rank = |numbers: &[u32]| Position::of(&m, &applied(numbers)).rank();
        assert!(rank(&[]) < rank(&[1]));
        assert!(rank(&[1, 2]) < rank(&[1, 2, 3]));
        assert!(rank(&[1, 2, 3]) < rank(&[1, 2, 3, 4]));
    }
}
