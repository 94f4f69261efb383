//! What a migration remembers between runs, kept in a store (the target by default, or a
//! directory): under `kv-migrate/<name>/`, a `checkpoint` (cursor and counts, rewritten after every
//! page) and one `journal/<page>` per page (the new keys it wrote, the keys it found already
//! present, the keys that failed). The journal of a page is written before the page's values, so
//! a run killed in between knows, when resumed, which new keys are its own.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::counts::Counts;
use crate::error::Error;
use crate::store::{Entry, PutMode, Store, StoreError};

/// Keys under this prefix in the state store belong to kv-migrate.
pub const STATE_ROOT: &str = "kv-migrate/";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Started and not finished (running, or interrupted: run again to resume).
    Running,
    /// Every key was listed; the old keys are kept until cleanup.
    Complete,
    /// The new keys written by the migration were deleted; the old ones were kept.
    RolledBack,
    /// The old keys were deleted after the retention window.
    CleanedUp,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Complete => "complete",
            Status::RolledBack => "rolled back",
            Status::CleanedUp => "cleaned up",
        }
    }
}

/// A key that could not be migrated, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub key: String,
    pub error: String,
}

/// A migration's saved state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub name: String,
    /// The transform's description (the pattern rewrite), when it has one.
    pub mapping: Option<String>,
    pub source: String,
    pub target: String,
    pub prefix: String,
    pub status: Status,
    /// Where the listing continues; `None` before the first page.
    pub cursor: Option<String>,
    /// Pages done; also the number of the next page's journal.
    pub pages: u64,
    pub counts: Counts,
    pub retention_secs: u64,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub rolled_back_at: Option<DateTime<Utc>>,
    pub cleaned_up_at: Option<DateTime<Utc>>,
    /// Keys deleted by the rollback (new keys) or the cleanup (old keys).
    pub deleted: u64,
}

impl Checkpoint {
    pub fn retention(&self) -> Duration {
        Duration::from_secs(self.retention_secs)
    }

    /// When the old keys may be cleaned up.
    pub fn retention_ends(&self) -> Option<DateTime<Utc>> {
        let d = chrono::Duration::from_std(self.retention()).ok()?;
        self.completed_at.and_then(|c| c.checked_add_signed(d))
    }
}

/// The record of one page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// (old key, new key) pairs whose new key this migration wrote.
    pub owned: Vec<(String, String)>,
    /// (old key, new key) pairs whose new key already held the same value.
    pub present: Vec<(String, String)>,
    pub failures: Vec<Failure>,
}

impl Journal {
    pub fn is_empty(&self) -> bool {
        self.owned.is_empty() && self.present.is_empty() && self.failures.is_empty()
    }

    pub fn owned_new_keys(&self) -> HashSet<String> {
        self.owned.iter().map(|(_, n)| n.clone()).collect()
    }
}

/// The state of one named migration in one store.
pub struct State<'a> {
    pub store: &'a dyn Store,
    pub name: &'a str,
}

pub fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty()
        || name.len() > 100
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        || name.starts_with('.')
    {
        return Err(Error::Invalid(format!(
            "migration name `{name}`: use 1 to 100 letters, digits, `-`, `_` or `.`, not starting with `.`"
        )));
    }
    Ok(())
}

impl State<'_> {
    pub fn root(&self) -> String {
        format!("{STATE_ROOT}{}/", self.name)
    }

    fn checkpoint_key(&self) -> String {
        format!("{}checkpoint", self.root())
    }

    fn journal_key(&self, page: u64) -> String {
        format!("{}journal/{page:010}", self.root())
    }

    fn read<T: for<'de> Deserialize<'de>>(
        &self,
        key: &str,
        e: Option<Entry>,
    ) -> Result<Option<T>, Error> {
        e.map(|e| {
            serde_json::from_slice(&e.value).map_err(|err| {
                Error::Invalid(format!(
                    "{key} in {} is not readable migration state ({err}); it was written by something else",
                    self.store.location()
                ))
            })
        })
        .transpose()
    }

    fn write<T: Serialize>(&self, key: &str, value: &T) -> Result<(), Error> {
        let bytes = serde_json::to_vec(value).expect("migration state serializes");
        let written = self.store.put(key, &Entry::new(bytes), PutMode::Overwrite);
        match written {
            Ok(_) => Ok(()),
            Err(StoreError::Key { message, .. }) => Err(Error::Store(StoreError::store(format!(
                "cannot save migration state {key} in {}: {message}",
                self.store.location()
            )))),
            Err(e) => Err(e.into()),
        }
    }

    pub fn load(&self) -> Result<Option<Checkpoint>, Error> {
        let key = self.checkpoint_key();
        let entry = self.store.get(&key)?;
        self.read(&key, entry)
    }

    pub fn save(&self, cp: &Checkpoint) -> Result<(), Error> {
        self.write(&self.checkpoint_key(), cp)
    }

    pub fn journal(&self, page: u64) -> Result<Option<Journal>, Error> {
        let key = self.journal_key(page);
        let entry = self.store.get(&key)?;
        self.read(&key, entry)
    }

    pub fn save_journal(&self, page: u64, j: &Journal) -> Result<(), Error> {
        self.write(&self.journal_key(page), j)
    }

    /// The journals of pages `0..=last` (missing ones are empty), a batch at a time.
    pub fn journals(
        &self,
        last: u64,
        mut each: impl FnMut(u64, Journal) -> Result<(), Error>,
    ) -> Result<(), Error> {
        const BATCH: u64 = 256;
        let mut start = 0;
        while start <= last {
            let end = (start + BATCH).min(last + 1);
            let keys: Vec<String> = (start..end).map(|p| self.journal_key(p)).collect();
            let entries = self.store.get_many(&keys)?;
            for ((page, key), entry) in (start..end).zip(&keys).zip(entries) {
                if let Some(j) = self.read::<Journal>(key, entry?)? {
                    each(page, j)?;
                }
            }
            start = end;
        }
        Ok(())
    }

    pub fn delete_journals(&self, last: u64) -> Result<(), Error> {
        let keys: Vec<String> = (0..=last).map(|p| self.journal_key(p)).collect();
        for chunk in keys.chunks(1000) {
            for r in self.store.delete_many(chunk)? {
                r?;
            }
        }
        Ok(())
    }
}
