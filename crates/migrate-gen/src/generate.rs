//! `generate` and `generate --check`: plan every step, compare with the manifest, append.

use std::fs;
use std::path::{Path, PathBuf};

use schema_core::plan::{Phase, PlanOptions, Step, order};
use schema_core::render::{self, Meta};

use crate::manifest::{self, FileEntry, Layout, Manifest, StepEntry};
use crate::{Error, source};

#[derive(Debug, Clone)]
pub struct GenerateArgs {
    pub src: PathBuf,
    pub out: PathBuf,
    pub date: String,
    pub author: String,
    pub check: bool,
    pub options: PlanOptions,
    pub layout: Layout,
}

/// What a run did or found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Files written (forward and rollback), in order.
    pub written: Vec<String>,
    /// Steps not covered by a migration yet (with `--check`: what `generate` would add).
    pub pending: Vec<String>,
    /// Migrations already in the manifest.
    pub existing: usize,
}

/// The planned steps of `src`, and which of them the manifest in `out` does not cover.
pub struct Comparison {
    pub steps: Vec<Step>,
    pub manifest: Manifest,
    /// Indexes into `steps`.
    pub new: Vec<usize>,
}

/// Plans `src` and compares the plan with the manifest in `out`, refusing edited history.
pub fn compare(src: &Path, out: &Path, options: &PlanOptions) -> Result<Comparison, Error> {
    let (histories, enums) = source::load_all(src)?;
    let steps = order::plan_all_with_enums(&histories, &enums, options)
        .map_err(|e| Error::msg(e.to_string()))?;
    let manifest = Manifest::load(out)?;
    let mut problems = manifest.verify_files(out)?;
    for entry in &manifest.steps {
        let planned = steps
            .iter()
            .find(|s| s.qualified() == entry.table && s.to == entry.version);
        let files: Vec<String> = manifest
            .files
            .iter()
            .filter(|f| f.table == entry.table && f.version == entry.version)
            .map(|f| format!("{}.sql", f.stem))
            .collect();
        let files = if files.is_empty() {
            "no files".to_owned()
        } else {
            files.join(", ")
        };
        match planned {
            None => problems.push(format!(
                "{} version {} has migrations ({files}) but the structs no longer have that version; the history of an emitted version cannot change: restore it and add a new version instead",
                entry.table, entry.version
            )),
            Some(step) if step.fingerprint != entry.fingerprint => problems.push(format!(
                "the history of {} version {} was edited after its migrations were generated ({files}); restore it and add a new version instead that makes the change",
                entry.table, entry.version
            )),
            Some(_) => {}
        }
    }
    if !problems.is_empty() {
        return Err(Error::msg(problems.join("\n")));
    }
    let new = steps
        .iter()
        .enumerate()
        .filter(|(_, s)| manifest.step(&s.qualified(), s.to).is_none())
        .map(|(i, _)| i)
        .collect();
    Ok(Comparison {
        steps,
        manifest,
        new,
    })
}

pub fn step_label(step: &Step) -> String {
    match step.from {
        Some(from) => format!("{} v{from} -> v{}", step.qualified(), step.to),
        None => format!("{} v{} (create)", step.qualified(), step.to),
    }
}

pub fn generate(args: &GenerateArgs) -> Result<Outcome, Error> {
    validate_date(&args.date)?;
    let Comparison {
        steps,
        mut manifest,
        new,
    } = compare(&args.src, &args.out, &args.options)?;
    if !manifest.files.is_empty() && manifest.layout != args.layout {
        return Err(Error::msg(format!(
            "{} holds migrations in the {} layout; generate with that --layout, or into another folder",
            args.out.display(),
            match manifest.layout {
                Layout::Plain => "plain",
                Layout::Sqlx => "sqlx",
            }
        )));
    }
    manifest.layout = args.layout;
    if !manifest.steps.is_empty() {
        one_view_per_release(&steps, &new)?;
    }
    let mut outcome = Outcome {
        existing: manifest.files.len(),
        ..Outcome::default()
    };
    if args.check {
        outcome.pending = new.iter().map(|&i| step_label(&steps[i])).collect();
        return Ok(outcome);
    }
    if new.is_empty() {
        return Ok(outcome);
    }
    let meta = Meta {
        date: &args.date,
        author: &args.author,
    };
    let first_run = manifest.steps.is_empty();
    let mut release = manifest.last_release() + 1;
    let mut number = manifest.last_number();
    let mut writes: Vec<(String, String)> = Vec::new();
    // Each step's release: one per version on an empty folder (the releases a run per version
    // would have made), else one for the whole run.
    let mut files = Vec::new();
    let mut previous: Option<u32> = None;
    for &i in &new {
        let step = &steps[i];
        if first_run && previous.is_some_and(|v| v != step.to) {
            release += 1;
        }
        previous = Some(step.to);
        manifest.steps.push(StepEntry {
            table: step.qualified(),
            version: step.to,
            release,
            fingerprint: step.fingerprint.clone(),
        });
        outcome.pending.push(step_label(step));
        files.extend(step.files.iter().map(|file| (release, step, file)));
    }
    // Within a release every expand and backfill file comes before any contract file, so
    // that `apply --phase expand` can stop before the release's contract files, and so that a
    // backfill that reads another table runs before the contract file that drops what it
    // reads.
    files.sort_by_key(|(release, _, file)| (*release, file.phase == Phase::Contract));
    for (release, step, file) in files {
        number += 1;
        if args.layout == Layout::Sqlx {
            for m in render::sqlx::migrations(number, step, file, &meta, &args.options)
                .map_err(Error::msg)?
            {
                manifest.files.push(FileEntry {
                    number: m.version,
                    table: step.qualified(),
                    version: step.to,
                    phase: file.phase,
                    transactional: m.transactional,
                    release,
                    checksum: manifest::checksum(&m.up),
                    rollback_checksum: manifest::checksum(&m.down),
                    stem: m.stem.clone(),
                });
                writes.push((format!("{}.up.sql", m.stem), m.up));
                writes.push((format!("{}.down.sql", m.stem), m.down));
            }
            continue;
        }
        let stem = render::file_stem(number, step, file);
        let forward = render::forward(step, file, &stem, &meta, &args.options);
        let rollback = render::rollback(step, file, &stem, &meta, &args.options);
        manifest.files.push(FileEntry {
            number,
            table: step.qualified(),
            version: step.to,
            phase: file.phase,
            transactional: file.transactional,
            release,
            checksum: manifest::checksum(&forward),
            rollback_checksum: manifest::checksum(&rollback),
            stem: stem.clone(),
        });
        writes.push((format!("{stem}.sql"), forward));
        writes.push((format!("{stem}.rollback.sql"), rollback));
    }
    fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, e))?;
    for (name, text) in &writes {
        write_new(&args.out.join(name), text)?;
        outcome.written.push(name.clone());
    }
    // The manifest goes last: a run cut short leaves files it does not list, which the next
    // run reports instead of trusting.
    write_atomic(&args.out.join(manifest::FILE_NAME), &manifest.render())?;
    Ok(outcome)
}

/// A type change's view shows its version's columns until its contract; a later version of
/// the same table in the same release would run its expand before that contract, while the
/// view still hides its changes. Such a version waits for a release of its own.
fn one_view_per_release(steps: &[Step], new: &[usize]) -> Result<(), Error> {
    for &i in new {
        let step = &steps[i];
        let Some(view) = &step.view_schema else {
            continue;
        };
        if let Some(later) = new
            .iter()
            .map(|&j| &steps[j])
            .find(|s| s.qualified() == step.qualified() && s.to > step.to)
        {
            return Err(Error::msg(format!(
                "{} version {}: its type change is read through the view {view}.{} until its contract, so it needs a release of its own, but this run also adds version {}; set `version = {}`, generate, apply and deploy it, then add version {}",
                step.qualified(),
                step.to,
                step.table,
                later.to,
                step.to,
                later.to
            )));
        }
    }
    Ok(())
}

fn write_new(path: &Path, text: &str) -> Result<(), Error> {
    if path.exists() {
        return Err(Error::msg(format!(
            "{} already exists and is not in {}; emitted migrations are never overwritten",
            path.display(),
            manifest::FILE_NAME
        )));
    }
    write_atomic(path, text)
}

fn write_atomic(path: &Path, text: &str) -> Result<(), Error> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, text).map_err(|e| Error::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

pub fn validate_date(date: &str) -> Result<(), Error> {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map(|_| ())
        .map_err(|_| Error::msg(format!("--date {date}: expected YYYY-MM-DD")))
}
