//! `migrate_keys`: pages through the source, transforms, writes the target, never deletes.

use std::collections::{HashMap, HashSet};
use std::fmt::Display;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::error::Error;
use crate::state::{Checkpoint, Counts, Failure, Journal, STATE_ROOT, State, Status, check_name};
use crate::store::{Entry, PutMode, Store, StoreError};

/// Seven days: how long the old keys are kept after a migration completes.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 86_400);

/// Maps an old key and its value to the new key and value; `Ok(None)` leaves the key alone
/// (counted as skipped), `Err` records the key as failed.
pub trait Transform: Sync {
    fn apply(&self, key: &str, value: &[u8]) -> Result<Option<(String, Vec<u8>)>, String>;

    /// A description saved with the migration's state, so that resuming with another mapping
    /// under the same name is refused. `None` for closures.
    fn describe(&self) -> Option<String> {
        None
    }
}

/// A closure as a [`Transform`]; see [`transform_fn`].
pub struct FnTransform<F>(F);

/// Wraps a closure `|key, value| -> Result<Option<(new_key, new_value)>, E>` as a [`Transform`].
///
/// ```
/// let t = kv_migrate::transform_fn(|key: &str, value: &[u8]| {
///     let Some(id) = key.strip_prefix("session:") else { return Ok(None) };
///     let id: u64 = id.parse().map_err(|e| format!("id `{id}`: {e}"))?;
///     Ok::<_, String>(Some((format!("sessions/{id:08}"), value.to_ascii_uppercase())))
/// });
/// # let _ = t;
/// ```
pub fn transform_fn<F, E>(f: F) -> FnTransform<F>
where
    F: Fn(&str, &[u8]) -> Result<Option<(String, Vec<u8>)>, E> + Sync,
    E: Display,
{
    FnTransform(f)
}

impl<F, E> Transform for FnTransform<F>
where
    F: Fn(&str, &[u8]) -> Result<Option<(String, Vec<u8>)>, E> + Sync,
    E: Display,
{
    fn apply(&self, key: &str, value: &[u8]) -> Result<Option<(String, Vec<u8>)>, String> {
        (self.0)(key, value).map_err(|e| e.to_string())
    }
}

/// What to do when a key fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Record the key and its error, go on.
    #[default]
    Continue,
    /// Stop before writing anything of the page that holds the failing key; the checkpoint
    /// stays before that page, so a run after the fix resumes there.
    Stop,
}

/// The options of [`migrate_keys`], and of [`crate::status`], [`crate::cleanup`] and
/// [`crate::rollback`] (which use the name, prefix, page size and state store).
pub struct MigrateOptions<'a> {
    /// Names the migration's state: runs with one name resume each other.
    pub name: String,
    /// Only keys that start with this are listed (for a [`crate::Rewrite`]: its old pattern's
    /// prefix).
    pub prefix: String,
    /// Keys listed, read and written per round trip.
    pub page_size: usize,
    /// Workers that each take a share of a page.
    pub concurrency: usize,
    /// List, read and transform, write nothing (not even state); the report says what would be
    /// written.
    pub dry_run: bool,
    /// At most this many keys per second.
    pub rate_limit: Option<u32>,
    pub on_error: OnError,
    /// How long after completion the old keys are kept ([`DEFAULT_RETENTION`] when a migration
    /// starts with `None`). Saved with the state and read by cleanup; a later run (also of a
    /// complete migration) that sets it changes it, `None` keeps it.
    pub retention: Option<Duration>,
    /// Where the state lives; `None`: in the target store.
    pub state: Option<&'a dyn Store>,
    /// Called after every page with the counts so far.
    pub progress: Option<&'a (dyn Fn(&Counts) + Sync)>,
}

impl<'a> MigrateOptions<'a> {
    pub fn new(name: impl Into<String>, prefix: impl Into<String>) -> MigrateOptions<'a> {
        MigrateOptions {
            name: name.into(),
            prefix: prefix.into(),
            page_size: 1000,
            concurrency: 1,
            dry_run: false,
            rate_limit: None,
            on_error: OnError::Continue,
            retention: None,
            state: None,
            progress: None,
        }
    }

    pub(crate) fn check(&self) -> Result<(), Error> {
        check_name(&self.name)?;
        if self.page_size == 0 || self.concurrency == 0 || self.rate_limit == Some(0) {
            return Err(Error::Invalid(
                "page size, concurrency and rate limit must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// What a migration did. `counts.failed == failures.len()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub name: String,
    pub dry_run: bool,
    pub status: Status,
    pub counts: Counts,
    pub failures: Vec<Failure>,
    /// This run continued from a checkpoint left by an earlier one.
    pub resumed: bool,
    /// The migration had already completed before this run; nothing was listed again.
    pub already_complete: bool,
    /// The saved state, when not a dry run.
    pub checkpoint: Option<Checkpoint>,
}

/// What one key of a page comes to.
enum Plan {
    Vanished,
    Skipped,
    Failed(String),
    /// Absent from the target: write it (if-absent).
    Write(String, Entry),
    /// Already holds the same value, not written by this migration.
    Present(String),
    /// Written by an earlier, interrupted attempt of this migration.
    Owned(String),
}

pub(crate) struct Ctx<'a> {
    pub source: &'a dyn Store,
    pub target: &'a dyn Store,
    pub transform: &'a dyn Transform,
    pub o: &'a MigrateOptions<'a>,
    pub state: State<'a>,
    /// Source and target are one store: new keys must not fall under the listed prefix.
    pub same_store: bool,
    /// The state lives in the source: its keys are not data.
    pub skip_state: bool,
}

impl<'a> Ctx<'a> {
    pub fn new(
        source: &'a dyn Store,
        target: &'a dyn Store,
        transform: &'a dyn Transform,
        o: &'a MigrateOptions<'a>,
    ) -> Ctx<'a> {
        let state_store = o.state.unwrap_or(target);
        Ctx {
            source,
            target,
            transform,
            o,
            same_store: source.location() == target.location(),
            skip_state: state_store.location() == source.location(),
            state: State {
                store: state_store,
                name: &o.name,
            },
        }
    }

    /// The listed keys that are data: state keys left out, each key once.
    pub fn data_keys(&self, keys: Vec<String>) -> Vec<String> {
        let mut seen = HashSet::new();
        keys.into_iter()
            .filter(|k| !(self.skip_state && k.starts_with(STATE_ROOT)))
            .filter(|k| seen.insert(k.clone()))
            .collect()
    }

    /// The transform of `key`, a panic included, checked against the source prefix.
    pub fn transform(&self, key: &str, value: &[u8]) -> Result<Option<(String, Vec<u8>)>, String> {
        let out = catch_unwind(AssertUnwindSafe(|| self.transform.apply(key, value)))
            .unwrap_or_else(|panic| {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".into());
                Err(format!("the transform panicked: {msg}"))
            })?;
        if let Some((new, _)) = &out {
            if self.same_store && new.starts_with(&self.o.prefix) {
                return Err(format!(
                    "new key `{new}` starts with the listed prefix `{}` in the same store, so it would be migrated again; choose new keys outside the prefix",
                    self.o.prefix
                ));
            }
            if self.state.store.location() == self.target.location() && new.starts_with(STATE_ROOT)
            {
                return Err(format!(
                    "new key `{new}` is under `{STATE_ROOT}`, which holds migration state"
                ));
            }
        }
        Ok(out)
    }

    /// Reads, transforms and classifies `keys` (one worker's share of a page).
    fn plan(&self, keys: &[String], owned: &HashSet<String>) -> Result<Vec<Plan>, Error> {
        let entries = self.source.get_many(keys)?;
        let mut plans: Vec<Plan> = Vec::with_capacity(keys.len());
        let mut pending: Vec<(usize, String, Entry)> = Vec::new();
        for (i, (key, entry)) in keys.iter().zip(entries).enumerate() {
            let entry = match entry {
                Ok(Some(e)) => e,
                Ok(None) => {
                    plans.push(Plan::Vanished);
                    continue;
                }
                Err(e) => {
                    plans.push(Plan::Failed(key_message(e)));
                    continue;
                }
            };
            match self.transform(key, &entry.value) {
                Ok(None) => plans.push(Plan::Skipped),
                Err(e) => plans.push(Plan::Failed(e)),
                Ok(Some((new, value))) => {
                    // Placeholder until the target has been read.
                    plans.push(Plan::Skipped);
                    pending.push((
                        i,
                        new,
                        Entry {
                            value,
                            expires_in: entry.expires_in,
                        },
                    ));
                }
            }
        }
        let new_keys: Vec<String> = pending.iter().map(|(_, k, _)| k.clone()).collect();
        let existing = self.target.get_many(&new_keys)?;
        for ((i, new, entry), existing) in pending.into_iter().zip(existing) {
            plans[i] = match existing {
                Err(e) => Plan::Failed(key_message(e)),
                Ok(None) => Plan::Write(new, entry),
                Ok(Some(have)) if have.value == entry.value => {
                    if owned.contains(&new) {
                        Plan::Owned(new)
                    } else {
                        Plan::Present(new)
                    }
                }
                Ok(Some(_)) if owned.contains(&new) => Plan::Failed(format!(
                    "new key `{new}`, written by an interrupted run of this migration, now holds a value other than this key's; it was not overwritten"
                )),
                Ok(Some(_)) => Plan::Failed(format!(
                    "new key `{new}` already exists with a different value; it was not overwritten"
                )),
            };
        }
        Ok(plans)
    }

    /// Runs `f` over `concurrency` shares of `items`, keeping their order.
    fn shares<T: Sync, R: Send>(
        &self,
        items: &[T],
        f: impl Fn(&[T]) -> Result<Vec<R>, Error> + Sync,
    ) -> Result<Vec<R>, Error> {
        let workers = self.o.concurrency.min(items.len()).max(1);
        if workers == 1 {
            return f(items);
        }
        let size = items.len().div_ceil(workers);
        let results: Vec<Result<Vec<R>, Error>> = std::thread::scope(|s| {
            let handles: Vec<_> = items.chunks(size).map(|c| s.spawn(|| f(c))).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        let mut out = Vec::with_capacity(items.len());
        for r in results {
            out.extend(r?);
        }
        Ok(out)
    }

    /// One page: plan every key, record the page's journal, write the new keys.
    /// Returns the page's counts and failures; `recovered` holds new keys that an interrupted
    /// attempt wrote and that no page has listed since.
    fn page(
        &self,
        keys: Vec<String>,
        unreadable: Vec<String>,
        number: u64,
        recovered: &mut HashSet<String>,
    ) -> Result<(Counts, Vec<Failure>), Error> {
        let keys = self.data_keys(keys);
        let prior = if self.o.dry_run {
            None
        } else {
            self.state.journal(number)?
        };
        let mut owned: HashSet<String> = recovered.clone();
        if let Some(p) = &prior {
            owned.extend(p.owned_new_keys());
        }
        let plans = self.shares(&keys, |share| self.plan(share, &owned))?;

        let mut counts = Counts {
            scanned: (keys.len() + unreadable.len()) as u64,
            ..Counts::default()
        };
        let mut failures: Vec<Failure> = unreadable
            .into_iter()
            .map(|k| Failure {
                key: k,
                error: "the key is not UTF-8 text; this library names keys as text".into(),
            })
            .collect();
        let mut journal = Journal::default();
        let mut writes: Vec<(String, String, Entry)> = Vec::new();
        let mut new_owner: HashMap<String, String> = HashMap::new();
        for (key, plan) in keys.into_iter().zip(plans) {
            // Two old keys of one page mapping to one new key: the second is refused.
            let new = match &plan {
                Plan::Write(n, _) | Plan::Present(n) | Plan::Owned(n) => Some(n.clone()),
                _ => None,
            };
            if let Some(n) = &new {
                recovered.remove(n);
                if let Some(first) = new_owner.get(n) {
                    failures.push(Failure {
                        error: format!("maps to new key `{n}`, as `{first}` does"),
                        key,
                    });
                    continue;
                }
                new_owner.insert(n.clone(), key.clone());
            }
            match plan {
                Plan::Vanished => counts.vanished += 1,
                Plan::Skipped => counts.skipped += 1,
                Plan::Failed(error) => failures.push(Failure { key, error }),
                Plan::Present(n) => {
                    counts.already_present += 1;
                    journal.present.push((key, n));
                }
                Plan::Owned(n) => {
                    counts.written += 1;
                    journal.owned.push((key, n));
                }
                Plan::Write(n, e) => writes.push((key, n, e)),
            }
        }
        if self.o.on_error == OnError::Stop
            && let Some(f) = failures.first()
        {
            return Err(stopped(f));
        }
        if self.o.dry_run {
            counts.written += writes.len() as u64;
            counts.failed = failures.len() as u64;
            return Ok((counts, failures));
        }

        // Intent first: a run killed after this knows these new keys are its own.
        let mut journal_owned: Vec<(String, String)> = journal.owned.clone();
        journal_owned.extend(writes.iter().map(|(k, n, _)| (k.clone(), n.clone())));
        // Keep what an interrupted attempt of this page wrote and this attempt did not list.
        if let Some(p) = &prior {
            let listed: HashSet<&String> = journal_owned.iter().map(|(_, n)| n).collect();
            let extra: Vec<(String, String)> = p
                .owned
                .iter()
                .filter(|(_, n)| !listed.contains(n))
                .cloned()
                .collect();
            journal_owned.extend(extra);
        }
        let intent = Journal {
            owned: journal_owned.clone(),
            present: journal.present.clone(),
            failures: failures.clone(),
        };
        if !intent.is_empty() || prior.is_some() {
            self.state.save_journal(number, &intent)?;
        }

        let items: Vec<(String, Entry)> = writes
            .iter()
            .map(|(_, n, e)| (n.clone(), e.clone()))
            .collect();
        let results = self.shares(&items, |share| {
            Ok(self.target.put_many(share, PutMode::IfAbsent)?)
        })?;
        let mut lost: HashSet<String> = HashSet::new();
        for ((key, new, _), r) in writes.into_iter().zip(results) {
            match r {
                Ok(true) => counts.written += 1,
                Ok(false) => {
                    lost.insert(new.clone());
                    failures.push(Failure {
                        key,
                        error: format!(
                            "new key `{new}` was written by someone else during the migration; it was not overwritten"
                        ),
                    });
                }
                Err(e) => {
                    lost.insert(new);
                    failures.push(Failure {
                        key,
                        error: key_message(e),
                    });
                }
            }
        }
        if failures.len() != intent.failures.len() {
            let done = Journal {
                owned: journal_owned
                    .into_iter()
                    .filter(|(_, n)| !lost.contains(n))
                    .collect(),
                present: intent.present,
                failures: failures.clone(),
            };
            self.state.save_journal(number, &done)?;
            if self.o.on_error == OnError::Stop {
                return Err(stopped(&failures[intent.failures.len()]));
            }
        }
        counts.failed = failures.len() as u64;
        Ok((counts, failures))
    }
}

fn stopped(f: &Failure) -> Error {
    Error::Stopped {
        key: f.key.clone(),
        error: f.error.clone(),
        counts: Counts::default(),
    }
}

fn key_message(e: StoreError) -> String {
    match e {
        StoreError::Key { message, .. } => message,
        StoreError::Store(m) => m,
    }
}

fn with_counts(e: Error, counts: Counts) -> Error {
    match e {
        Error::Stopped { key, error, .. } => Error::Stopped { key, error, counts },
        e => e,
    }
}

/// Sleeps as long as needed to keep `done` keys since `start` under `rate` per second.
fn pace(start: Instant, done: u64, rate: Option<u32>) {
    if let Some(rate) = rate {
        let due = Duration::from_secs_f64(done as f64 / f64::from(rate));
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
    }
}

/// Copies every key under `options.prefix` from `source` to `target` through `transform`.
///
/// Never deletes or overwrites: a new key is written only when absent. After every page the
/// checkpoint is saved; a run with the same name continues from it, and when the last page is
/// done the migration is complete and its retention window starts. See the crate docs.
pub fn migrate_keys(
    source: &dyn Store,
    target: &dyn Store,
    transform: &dyn Transform,
    options: &MigrateOptions<'_>,
) -> Result<Report, Error> {
    options.check()?;
    let ctx = Ctx::new(source, target, transform, options);
    if options.dry_run {
        return dry_run(&ctx);
    }
    let now = Utc::now();
    let fresh = || Checkpoint {
        name: options.name.clone(),
        mapping: transform.describe(),
        source: source.location(),
        target: target.location(),
        prefix: options.prefix.clone(),
        status: Status::Running,
        cursor: None,
        pages: 0,
        counts: Counts::default(),
        retention_secs: options.retention.unwrap_or(DEFAULT_RETENTION).as_secs(),
        started_at: now,
        updated_at: now,
        completed_at: None,
        rolled_back_at: None,
        cleaned_up_at: None,
        deleted: 0,
    };
    let (mut cp, resumed) = match ctx.state.load()? {
        None => (fresh(), false),
        Some(cp) => {
            check_same(&cp, &ctx)?;
            match cp.status {
                Status::Running => (cp, true),
                Status::RolledBack => (fresh(), false),
                Status::Complete => {
                    let mut cp = cp;
                    if let Some(r) = options.retention
                        && r.as_secs() != cp.retention_secs
                    {
                        cp.retention_secs = r.as_secs();
                        cp.updated_at = now;
                        ctx.state.save(&cp)?;
                    }
                    let failures = failures(&ctx.state, cp.pages)?;
                    return Ok(Report {
                        name: cp.name.clone(),
                        dry_run: false,
                        status: cp.status,
                        counts: cp.counts,
                        failures,
                        resumed: false,
                        already_complete: true,
                        checkpoint: Some(cp),
                    });
                }
                Status::CleanedUp => {
                    return Err(Error::Refused(format!(
                        "migration `{}` was cleaned up at {}: its old keys are gone; to migrate again, use a new name",
                        cp.name,
                        cp.cleaned_up_at.unwrap_or(cp.updated_at)
                    )));
                }
            }
        }
    };
    if let Some(r) = options.retention {
        cp.retention_secs = r.as_secs();
    }
    if !resumed {
        ctx.state.save(&cp)?;
    }
    // New keys that an interrupted attempt of the next page wrote.
    let mut recovered = match ctx.state.journal(cp.pages)? {
        Some(j) if resumed => j.owned_new_keys(),
        _ => HashSet::new(),
    };
    let start = Instant::now();
    let mut listed = 0u64;
    loop {
        let page = source.list(&options.prefix, cp.cursor.as_deref(), options.page_size)?;
        listed += page.keys.len() as u64;
        let (counts, _) = ctx
            .page(page.keys, page.unreadable, cp.pages, &mut recovered)
            .map_err(|e| with_counts(e, cp.counts))?;
        cp.counts += counts;
        cp.pages += 1;
        cp.updated_at = Utc::now();
        let done = page.cursor.is_none();
        cp.cursor = page.cursor;
        if done {
            cp.status = Status::Complete;
            cp.completed_at = Some(cp.updated_at);
        }
        ctx.state.save(&cp)?;
        if let Some(p) = options.progress {
            p(&cp.counts);
        }
        if done {
            break;
        }
        pace(start, listed, options.rate_limit);
    }
    let failures = failures(&ctx.state, cp.pages)?;
    Ok(Report {
        name: cp.name.clone(),
        dry_run: false,
        status: cp.status,
        counts: cp.counts,
        failures,
        resumed,
        already_complete: false,
        checkpoint: Some(cp),
    })
}

fn dry_run(ctx: &Ctx<'_>) -> Result<Report, Error> {
    let o = ctx.o;
    let mut cursor: Option<String> = None;
    let mut total = Counts::default();
    let mut all_failures = Vec::new();
    let mut recovered = HashSet::new();
    let mut number = 0;
    let start = Instant::now();
    loop {
        let page = ctx.source.list(&o.prefix, cursor.as_deref(), o.page_size)?;
        let (counts, failures) = ctx
            .page(page.keys, page.unreadable, number, &mut recovered)
            .map_err(|e| with_counts(e, total))?;
        total += counts;
        all_failures.extend(failures);
        number += 1;
        if let Some(p) = o.progress {
            p(&total);
        }
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
        pace(start, total.scanned, o.rate_limit);
    }
    Ok(Report {
        name: o.name.clone(),
        dry_run: true,
        status: Status::Running,
        counts: total,
        failures: all_failures,
        resumed: false,
        already_complete: false,
        checkpoint: None,
    })
}

/// Refuses a run whose stores, prefix or mapping differ from the saved migration of that name.
pub(crate) fn check_same(cp: &Checkpoint, ctx: &Ctx<'_>) -> Result<(), Error> {
    let mapping = ctx.transform.describe();
    let differs = |what: &str, was: &str, now: &str| {
        Error::Invalid(format!(
            "migration `{}` was started with {what} {was}, not {now}; use the same {what}, or another name for another migration",
            cp.name
        ))
    };
    if cp.source != ctx.source.location() {
        return Err(differs("source", &cp.source, &ctx.source.location()));
    }
    if cp.target != ctx.target.location() {
        return Err(differs("target", &cp.target, &ctx.target.location()));
    }
    if cp.prefix != ctx.o.prefix {
        return Err(differs(
            "prefix",
            &format!("`{}`", cp.prefix),
            &format!("`{}`", ctx.o.prefix),
        ));
    }
    if let (Some(was), Some(now)) = (&cp.mapping, &mapping)
        && was != now
    {
        return Err(differs("mapping", &format!("`{was}`"), &format!("`{now}`")));
    }
    Ok(())
}

/// Every failure recorded in the journals of pages `0..=last`.
pub(crate) fn failures(state: &State<'_>, last: u64) -> Result<Vec<Failure>, Error> {
    let mut out = Vec::new();
    state.journals(last, |_, j| {
        out.extend(j.failures);
        Ok(())
    })?;
    Ok(out)
}
