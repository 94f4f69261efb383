//! `status`: applied and pending files, and what needs attention.

use std::fmt::Write as _;

use super::progress::Progress;
use super::tracking::{edited, records};
use super::{Target, connect, db, load};
use crate::Error;
use crate::manifest;

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
