//! After a migration: `status`, `cleanup` (delete the old keys, after the retention window and
//! only once every one is verified to have its new key with the same value) and `rollback`
//! (delete the new keys the migration wrote, keep the old ones).

use chrono::{DateTime, Utc};

use crate::error::Error;
use crate::migrate::{Ctx, MigrateOptions, Transform, check_same};
use crate::state::{Checkpoint, State, Status};
use crate::store::{Store, StoreError};

/// The saved state of the migration named in `options`, if it has run (dry runs save nothing).
pub fn status(
    target: &dyn Store,
    options: &MigrateOptions<'_>,
) -> Result<Option<Checkpoint>, Error> {
    options.check()?;
    State {
        store: options.state.unwrap_or(target),
        name: &options.name,
    }
    .load()
}

fn require(state: &State<'_>) -> Result<Checkpoint, Error> {
    state.load()?.ok_or_else(|| {
        Error::Invalid(format!(
            "no migration named `{}` in {}: run `migrate` first (a dry run saves nothing)",
            state.name,
            state.store.location()
        ))
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanupReport {
    pub name: String,
    /// Old keys deleted by this run.
    pub deleted: u64,
    /// Keys under the prefix left alone because the transform skips them.
    pub kept: u64,
    /// The cleanup had already been done; nothing was deleted now.
    pub already_done: bool,
    pub checkpoint: Checkpoint,
}

/// Why one old key may not be deleted yet.
struct Problem {
    key: String,
    why: String,
}

/// Deletes the old keys of a complete migration once its retention window has passed.
///
/// Refused inside the window, and refused (nothing deleted) unless every key under the prefix
/// that the transform maps has its new key holding exactly the transformed value: that is read
/// and compared, key by key, not taken from the migration's counts. Keys written under the
/// prefix after the migration, and keys that failed, therefore block the cleanup. Each old key
/// is deleted only while it still holds the value that was verified (atomically on Redis).
pub fn cleanup(
    source: &dyn Store,
    target: &dyn Store,
    transform: &dyn Transform,
    options: &MigrateOptions<'_>,
) -> Result<CleanupReport, Error> {
    cleanup_at(source, target, transform, options, Utc::now())
}

/// [`cleanup`] as if the time were `now`.
pub fn cleanup_at(
    source: &dyn Store,
    target: &dyn Store,
    transform: &dyn Transform,
    options: &MigrateOptions<'_>,
    now: DateTime<Utc>,
) -> Result<CleanupReport, Error> {
    options.check()?;
    let ctx = Ctx::new(source, target, transform, options);
    let mut cp = require(&ctx.state)?;
    check_same(&cp, &ctx)?;
    let name = &cp.name;
    match cp.status {
        Status::CleanedUp => {
            return Ok(CleanupReport {
                name: name.clone(),
                deleted: 0,
                kept: 0,
                already_done: true,
                checkpoint: cp,
            });
        }
        Status::Running => {
            return Err(Error::Refused(format!(
                "cleanup refused: migration `{name}` is not complete ({} keys scanned so far); run migrate again to finish it",
                cp.counts.scanned
            )));
        }
        Status::RolledBack => {
            return Err(Error::Refused(format!(
                "cleanup refused: migration `{name}` was rolled back; its old keys are the live data"
            )));
        }
        Status::Complete => {}
    }
    let ends = cp.retention_ends().ok_or_else(|| {
        Error::Invalid(format!(
            "migration `{name}` is complete but has no completion time"
        ))
    })?;
    if now < ends {
        return Err(Error::Refused(format!(
            "cleanup refused: migration `{name}` completed at {} and keeps its old keys for {} (retention), until {}; run cleanup after that",
            fmt_time(cp.completed_at.unwrap_or(ends)),
            crate::format_duration(cp.retention()),
            fmt_time(ends),
        )));
    }

    // Pass 1: verify everything, delete nothing.
    let mut problems: Vec<Problem> = Vec::new();
    let mut n_problems = 0u64;
    let mut kept = 0u64;
    each_page(&ctx, |verified, page_problems, skipped| {
        let _ = verified;
        kept += skipped;
        n_problems += page_problems.len() as u64;
        problems.extend(page_problems.into_iter().take(5 - problems.len().min(5)));
        Ok(())
    })?;
    if n_problems > 0 {
        let examples: Vec<String> = problems
            .iter()
            .map(|p| format!("`{}` {}", p.key, p.why))
            .collect();
        return Err(Error::Refused(format!(
            "cleanup refused: {n_problems} old keys of migration `{name}` have no new key holding the same value ({}); nothing was deleted",
            examples.join("; ")
        )));
    }

    // Pass 2: verify each page again and delete what is verified.
    let mut deleted = 0u64;
    let mut changed: Option<Problem> = None;
    each_page(&ctx, |verified, page_problems, _| {
        if let Some(p) = page_problems.into_iter().next() {
            changed = Some(p);
            return Err(Error::Refused(String::new()));
        }
        for r in source.delete_many_if_value(&verified)? {
            match r {
                Ok(true) => deleted += 1,
                Ok(false) => {}
                Err(e) => return Err(Error::Store(e)),
            }
        }
        Ok(())
    })
    .map_err(|e| match (&e, &changed) {
        (Error::Refused(_), Some(p)) => Error::Refused(format!(
            "cleanup stopped: old key `{}` {} since it was verified; {deleted} old keys were deleted, the others are kept; run cleanup again",
            p.key, p.why
        )),
        _ => e,
    })?;

    let last = cp.pages;
    cp.status = Status::CleanedUp;
    cp.cleaned_up_at = Some(Utc::now());
    cp.updated_at = cp.cleaned_up_at.unwrap_or(now);
    cp.deleted = deleted;
    ctx.state.save(&cp)?;
    // The rollback is impossible from here: the journals are of no more use.
    ctx.state.delete_journals(last)?;
    Ok(CleanupReport {
        name: cp.name.clone(),
        deleted,
        kept,
        already_done: false,
        checkpoint: cp,
    })
}

/// Lists the source page by page; for each page, the (old key, old value) pairs verified to
/// have their new key with the same value, the problems, and the number of skipped keys.
fn each_page(
    ctx: &Ctx<'_>,
    mut f: impl FnMut(Vec<(String, Vec<u8>)>, Vec<Problem>, u64) -> Result<(), Error>,
) -> Result<(), Error> {
    let o = ctx.o;
    let mut cursor: Option<String> = None;
    loop {
        let page = ctx.source.list(&o.prefix, cursor.as_deref(), o.page_size)?;
        let mut problems: Vec<Problem> = page
            .unreadable
            .iter()
            .map(|k| Problem {
                key: k.clone(),
                why: "is not UTF-8 text and was not migrated".into(),
            })
            .collect();
        let keys = ctx.data_keys(page.keys);
        let entries = ctx.source.get_many(&keys)?;
        let mut candidates: Vec<(String, Vec<u8>, String, Vec<u8>)> = Vec::new();
        let mut skipped = 0;
        for (key, entry) in keys.into_iter().zip(entries) {
            let old = match entry {
                Ok(Some(e)) => e.value,
                Ok(None) => continue,
                Err(e) => {
                    problems.push(Problem {
                        why: format!("cannot be read: {}", key_text(e)),
                        key,
                    });
                    continue;
                }
            };
            match ctx.transform(&key, &old) {
                Ok(None) => skipped += 1,
                Err(e) => problems.push(Problem {
                    key,
                    why: format!("cannot be transformed: {e}"),
                }),
                Ok(Some((new, value))) => candidates.push((key, old, new, value)),
            }
        }
        let new_keys: Vec<String> = candidates.iter().map(|c| c.2.clone()).collect();
        let found = ctx.target.get_many(&new_keys)?;
        let mut verified = Vec::new();
        for ((key, old, new, value), found) in candidates.into_iter().zip(found) {
            match found {
                Ok(Some(e)) if e.value == value => verified.push((key, old)),
                Ok(Some(_)) => problems.push(Problem {
                    key,
                    why: format!("has new key `{new}` holding a different value"),
                }),
                Ok(None) => problems.push(Problem {
                    key,
                    why: format!("has no new key `{new}`"),
                }),
                Err(e) => problems.push(Problem {
                    key,
                    why: format!("has new key `{new}` that cannot be read: {}", key_text(e)),
                }),
            }
        }
        f(verified, problems, skipped)?;
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(()),
        }
    }
}

fn key_text(e: StoreError) -> String {
    match e {
        StoreError::Key { message, .. } => message,
        StoreError::Store(m) => m,
    }
}

pub(crate) fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackReport {
    pub name: String,
    /// New keys deleted by this run.
    pub deleted: u64,
    /// The rollback had already been done; nothing was deleted now.
    pub already_done: bool,
    pub checkpoint: Checkpoint,
}

/// Deletes the new keys that the migration wrote (as its journals record them; new keys that
/// already held the same value before it are not its own and stay) and keeps every old key.
/// Works on a complete or an interrupted migration; refused after cleanup.
pub fn rollback(target: &dyn Store, options: &MigrateOptions<'_>) -> Result<RollbackReport, Error> {
    options.check()?;
    let state = State {
        store: options.state.unwrap_or(target),
        name: &options.name,
    };
    let mut cp = require(&state)?;
    if cp.target != target.location() {
        return Err(Error::Invalid(format!(
            "migration `{}` wrote to {}, not {}",
            cp.name,
            cp.target,
            target.location()
        )));
    }
    match cp.status {
        Status::RolledBack => {
            return Ok(RollbackReport {
                name: cp.name.clone(),
                deleted: 0,
                already_done: true,
                checkpoint: cp,
            });
        }
        Status::CleanedUp => {
            return Err(Error::Refused(format!(
                "rollback refused: migration `{}` was cleaned up at {}: its old keys are deleted and its new keys are the only copy",
                cp.name,
                fmt_time(cp.cleaned_up_at.unwrap_or(cp.updated_at))
            )));
        }
        Status::Running | Status::Complete => {}
    }
    let mut deleted = 0u64;
    // The next page's journal too: an interrupted run may have written it.
    let last = cp.pages;
    state.journals(last, |_, j| {
        let keys: Vec<String> = j.owned.into_iter().map(|(_, n)| n).collect();
        for chunk in keys.chunks(options.page_size) {
            for r in target.delete_many(chunk)? {
                if r? {
                    deleted += 1;
                }
            }
        }
        Ok(())
    })?;
    cp.status = Status::RolledBack;
    cp.rolled_back_at = Some(Utc::now());
    cp.updated_at = cp.rolled_back_at.unwrap_or(cp.updated_at);
    cp.deleted = deleted;
    state.save(&cp)?;
    state.delete_journals(last)?;
    Ok(RollbackReport {
        name: cp.name.clone(),
        deleted,
        already_done: false,
        checkpoint: cp,
    })
}
