//! Many databases at once (`apply`, `rollback`, `status` with `--targets FILE`): the same
//! folder on each database of a fleet, in waves (a canary group, then the rest), up to
//! `parallel` databases at once per wave, stopping after `max_failures` failed databases.
//!
//! Each database is an ordinary run: its own tracking table, advisory lock and lock retries,
//! one connection opened for its work and closed after it. So a rerun of the same command
//! resumes each database where it stopped, and a run killed half-way leaves each database as
//! a killed single run would. One line per database is printed as it finishes (a progress bar
//! over the databases in a terminal), then a summary; connection strings are shown redacted.
//! The targets file is read by [`super::targets`].

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use kv_migrate::redact;

use super::apply::{apply_with, waiting_for_contract};
use super::progress::Progress;
use super::rollback::rollback_with;
use super::status::{Position, report};
use super::targets::Wave;
use super::tracking::records;
use super::{Selection, Target, check_to, connect, load};
use crate::Error;
use crate::manifest::Manifest;

/// What a fleet run does on each database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Apply {
        selection: Selection,
        to: Option<u32>,
    },
    Rollback {
        to: u32,
    },
    Status,
}

/// The databases of a fleet and when to stop.
#[derive(Debug, Clone)]
pub struct Fleet {
    pub waves: Vec<Wave>,
    /// Failed databases after which no other database is started (those running finish).
    pub max_failures: usize,
}

/// How one database ended.
enum Outcome {
    /// Done; the line's text.
    Ok(String),
    /// Done, with problems (`status`).
    Attention(String),
    Failed(Error),
}

struct Finished {
    label: String,
    outcome: Outcome,
    position: Option<Position>,
    elapsed: Duration,
}

/// Runs `op` on every database of `fleet`; `template` gives everything but the database.
/// Prints a line per database as it finishes; returns the summary, or (after printing the
/// summary) an error naming the databases that failed or need attention.
pub fn run(template: &Target, fleet: &Fleet, op: Op) -> Result<String, Error> {
    let manifest = load(&template.dir)?;
    match op {
        Op::Apply { to: Some(to), .. } | Op::Rollback { to } => {
            check_to(&manifest, &template.dir, to)?
        }
        _ => {}
    }
    let total: usize = fleet.waves.iter().map(|w| w.urls.len()).sum();
    if let Op::Apply {
        selection: Selection::Contract,
        ..
    } = op
    {
        contract_precheck(fleet, &manifest, total)?;
    }
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("[{bar:30}] {pos}/{len} databases, {elapsed} {msg}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar
    });
    let print = |line: &str| match &bar {
        Some(bar) => bar.suspend(|| {
            let _ = crate::output::print(line);
        }),
        None => {
            let _ = crate::output::print(line);
        }
    };
    let started = Instant::now();
    let stop = AtomicBool::new(false);
    let mut failed: Vec<String> = Vec::new();
    let mut attention: Vec<String> = Vec::new();
    let mut not_run: Vec<(String, usize)> = Vec::new();
    let mut files = 0;
    let mut positions: BTreeMap<String, usize> = BTreeMap::new();
    let mut where_each: Vec<(Position, String)> = Vec::new();
    for wave in &fleet.waves {
        if stop.load(Ordering::SeqCst) {
            not_run.push((wave.name.clone(), wave.urls.len()));
            continue;
        }
        if let Some(bar) = &bar {
            bar.set_message(format!("wave `{}`", wave.name));
        }
        let next = AtomicUsize::new(0);
        let mut ran = 0;
        std::thread::scope(|scope| {
            let (tx, rx) = mpsc::channel::<Finished>();
            for _ in 0..wave.parallel.clamp(1, wave.urls.len()) {
                let tx = tx.clone();
                let (next, stop, manifest) = (&next, &stop, &manifest);
                scope.spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        let index = next.fetch_add(1, Ordering::SeqCst);
                        let Some(url) = wave.urls.get(index) else {
                            break;
                        };
                        let done = one(template, manifest, op, url);
                        if tx.send(done).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            for done in rx {
                ran += 1;
                let secs = done.elapsed.as_secs_f64();
                let line = match &done.outcome {
                    Outcome::Ok(text) => format!("ok        {}: {text} ({secs:.2} s)", done.label),
                    Outcome::Attention(text) => {
                        attention.push(done.label.clone());
                        format!("attention {}: {text} ({secs:.2} s)", done.label)
                    }
                    Outcome::Failed(e) => {
                        failed.push(done.label.clone());
                        if op != Op::Status && failed.len() >= fleet.max_failures {
                            stop.store(true, Ordering::SeqCst);
                        }
                        format!(
                            "FAILED    {}: {} ({secs:.2} s)",
                            done.label,
                            redact(&e.to_string())
                        )
                    }
                };
                if let Outcome::Ok(text) = &done.outcome {
                    files += applied_count(text);
                }
                if let Some(p) = &done.position {
                    *positions.entry(p.to_string()).or_default() += 1;
                    where_each.push((p.clone(), done.label.clone()));
                }
                print(&line);
                if let Some(bar) = &bar {
                    bar.inc(1);
                }
            }
        });
        if ran < wave.urls.len() {
            not_run.push((wave.name.clone(), wave.urls.len() - ran));
        }
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let skipped: usize = not_run.iter().map(|(_, n)| n).sum();
    let mut summary = format!(
        "{} databases in {} wave{}, {:.1} s: ",
        total,
        fleet.waves.len(),
        if fleet.waves.len() == 1 { "" } else { "s" },
        started.elapsed().as_secs_f64()
    );
    let done = total - skipped - failed.len() - attention.len();
    summary.push_str(&match op {
        Op::Apply { .. } => format!("{done} done ({files} files applied in all)"),
        Op::Rollback { .. } => format!("{done} rolled back"),
        Op::Status => format!("{done} without problems"),
    });
    if !attention.is_empty() {
        summary.push_str(&format!(", {} need attention", attention.len()));
    }
    if !failed.is_empty() {
        summary.push_str(&format!(", {} failed", failed.len()));
    }
    if skipped > 0 {
        let waves: Vec<String> = not_run
            .iter()
            .map(|(name, n)| format!("{n} of wave `{name}`"))
            .collect();
        summary.push_str(&format!(
            ", {skipped} not run ({}; stopped after {} failed, --max-failures {})",
            waves.join(", "),
            failed.len(),
            fleet.max_failures
        ));
    }
    for (position, n) in &positions {
        summary.push_str(&format!("\n  {n} at {position}"));
    }
    if let Some(furthest) = where_each.iter().map(|(p, _)| p.rank()).max() {
        let behind: Vec<String> = where_each
            .iter()
            .filter(|(p, _)| p.rank() < furthest)
            .map(|(_, label)| label.clone())
            .collect();
        if !behind.is_empty() {
            summary.push_str(&format!(
                "\n  behind the others: {} ({})",
                behind.len(),
                listed(&behind)
            ));
        }
    }
    if failed.is_empty() && attention.is_empty() {
        return Ok(summary);
    }
    crate::output::print(&summary)?;
    let mut reasons = Vec::new();
    if !failed.is_empty() {
        reasons.push(format!(
            "{} of {total} databases failed: {}",
            failed.len(),
            listed(&failed)
        ));
    }
    if !attention.is_empty() {
        reasons.push(format!(
            "{} need attention: {}",
            attention.len(),
            listed(&attention)
        ));
    }
    let resume = match op {
        Op::Status => "",
        _ => "; fix them and run the same command again: each database resumes where it stopped",
    };
    Err(Error::msg(format!(
        "{}{}{resume}",
        reasons.join("; "),
        if skipped > 0 {
            format!("; {skipped} not run")
        } else {
            String::new()
        }
    )))
}

/// Up to ten names, then how many more.
fn listed(labels: &[String]) -> String {
    let mut text = labels
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if labels.len() > 10 {
        text.push_str(&format!(" and {} more", labels.len() - 10));
    }
    text
}

/// `applied N migrations; ...` gives N.
fn applied_count(text: &str) -> usize {
    text.strip_prefix("applied ")
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// One database's run; its connection is closed when this returns.
fn one(template: &Target, manifest: &Manifest, op: Op, url: &str) -> Finished {
    let label = redact(url);
    let target = Target {
        database_url: url.to_owned(),
        ..template.clone()
    };
    let progress = Progress::fleet(&label);
    let started = Instant::now();
    let mut position = None;
    let outcome = match op {
        Op::Apply { selection, to } => {
            match apply_with(&target, manifest, selection, to, &progress) {
                Ok(done) if done.applied == 0 => Outcome::Ok(format!(
                    "applied 0 migrations (nothing to do); {} pending",
                    done.pending
                )),
                Ok(done) => Outcome::Ok(format!(
                    "applied {} migrations; {} pending",
                    done.applied, done.pending
                )),
                Err(e) => Outcome::Failed(e),
            }
        }
        Op::Rollback { to } => match rollback_with(&target, manifest, to, &progress) {
            Ok(text) => Outcome::Ok(text),
            Err(e) => Outcome::Failed(e),
        },
        Op::Status => match report(&target, manifest, &progress) {
            Ok(r) => {
                let mut text = r.position.to_string();
                if r.old_sessions > 0 {
                    text.push_str(&format!(
                        "; {} session{} of older code connected (the contract waits for them)",
                        r.old_sessions,
                        if r.old_sessions == 1 { "" } else { "s" }
                    ));
                }
                position = Some(r.position);
                match r.problems.as_slice() {
                    [] => Outcome::Ok(text),
                    [one] => Outcome::Attention(format!("{text}; problem: {one}")),
                    many => Outcome::Attention(format!(
                        "{text}; {} problems: {}",
                        many.len(),
                        many.join("; ")
                    )),
                }
            }
            Err(e) => Outcome::Failed(e),
        },
    };
    Finished {
        label,
        outcome,
        position,
        elapsed: started.elapsed(),
    }
}

/// `apply --phase contract` over targets: every database must have finished the expand and
/// backfill files first; one that has not (or cannot be read) refuses the whole run, before
/// any database changes.
fn contract_precheck(fleet: &Fleet, manifest: &Manifest, total: usize) -> Result<(), Error> {
    let urls: Vec<&String> = fleet.waves.iter().flat_map(|w| &w.urls).collect();
    let parallel = fleet.waves.iter().map(|w| w.parallel).max().unwrap_or(1);
    let next = AtomicUsize::new(0);
    let mut lagging: Vec<(usize, String)> = Vec::new();
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel();
        for _ in 0..parallel.clamp(1, urls.len().max(1)) {
            let tx = tx.clone();
            let (next, urls) = (&next, &urls);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(url) = urls.get(i) else { break };
                    let label = redact(url);
                    let waiting = connect(url, &Progress::fleet(&label))
                        .and_then(|mut client| records(&mut client))
                        .map(|records| waiting_for_contract(manifest, &records));
                    let lag = match waiting {
                        Ok(files) if files.is_empty() => None,
                        Ok(files) => Some(format!(
                            "{label} ({} expand file{} pending: {})",
                            files.len(),
                            if files.len() == 1 { "" } else { "s" },
                            files.join(", ")
                        )),
                        Err(e) => Some(format!(
                            "{label} (cannot be read: {})",
                            redact(&e.to_string())
                        )),
                    };
                    if let Some(lag) = lag
                        && tx.send((i, lag)).is_err()
                    {
                        break;
                    }
                }
            });
        }
        drop(tx);
        lagging.extend(rx);
    });
    if lagging.is_empty() {
        return Ok(());
    }
    lagging.sort();
    let names: Vec<String> = lagging.into_iter().map(|(_, l)| l).collect();
    Err(Error::msg(format!(
        "apply --phase contract over targets: {} of {total} databases have not finished the expand phase: {}; run `apply --phase expand` with the same targets first; nothing was run",
        names.len(),
        listed(&names)
    )))
}
