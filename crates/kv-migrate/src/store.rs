//! The store trait: list keys by prefix with a cursor, get, put (with an optional expiry), delete.
//!
//! Single-key operations are required; the batched ones default to a loop over them and are
//! overridden where the store can do better (Redis pipelines, concurrent object-store requests).

use std::fmt;
use std::time::Duration;

/// A value and, when the store keeps one, the time it has left to live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub value: Vec<u8>,
    pub expires_in: Option<Duration>,
}

impl Entry {
    pub fn new(value: impl Into<Vec<u8>>) -> Entry {
        Entry {
            value: value.into(),
            expires_in: None,
        }
    }

    pub fn expiring(value: impl Into<Vec<u8>>, expires_in: Duration) -> Entry {
        Entry {
            value: value.into(),
            expires_in: Some(expires_in),
        }
    }
}

/// How a put treats a key that already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutMode {
    Overwrite,
    /// Write only when the key is absent (Redis `SET NX`, object store `PutMode::Create`): a key
    /// written meanwhile by someone else is never clobbered.
    IfAbsent,
}

/// One page of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    pub keys: Vec<String>,
    /// Keys under the prefix that this library cannot name (not UTF-8), lossily printed.
    pub unreadable: Vec<String>,
    /// Where the next page starts; `None` when the listing is complete.
    pub cursor: Option<String>,
}

/// A failure of a store operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The key itself is the problem (a Redis key holding a hash, a key that is not a valid
    /// object path): recorded against the key, the migration goes on.
    Key { key: String, message: String },
    /// The store failed (connection, I/O): the run stops; run it again to resume.
    Store(String),
}

impl StoreError {
    pub fn key(key: &str, message: impl Into<String>) -> StoreError {
        StoreError::Key {
            key: key.to_owned(),
            message: message.into(),
        }
    }

    pub fn store(message: impl Into<String>) -> StoreError {
        StoreError::Store(message.into())
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Key { key, message } => write!(f, "{key}: {message}"),
            StoreError::Store(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for StoreError {}

/// The result of one key of a batched operation: a [`StoreError::Key`] on the inner level, a
/// [`StoreError::Store`] for the whole batch on the outer.
pub type Batch<T> = Result<Vec<Result<T, StoreError>>, StoreError>;

fn each<T>(items: impl Iterator<Item = Result<T, StoreError>>) -> Batch<T> {
    let mut out = Vec::new();
    for item in items {
        match item {
            Err(StoreError::Store(m)) => return Err(StoreError::Store(m)),
            other => out.push(other),
        }
    }
    Ok(out)
}

/// A key-value store whose keys are UTF-8 strings and values bytes.
pub trait Store: Send + Sync {
    /// Where the data lives, e.g. `redis://127.0.0.1:6379/0`: two handles on one store give the
    /// same text, which is how a migration notices that its source and target are one store.
    fn location(&self) -> String;

    /// Up to about `limit` keys that start with `prefix`, from `cursor` (`None`: the start).
    /// A key present during the whole listing is listed at least once.
    fn list(&self, prefix: &str, cursor: Option<&str>, limit: usize) -> Result<Page, StoreError>;

    fn get(&self, key: &str) -> Result<Option<Entry>, StoreError>;

    /// Returns whether the value was written (`false`: [`PutMode::IfAbsent`] and the key exists).
    /// A write is atomic: a reader sees the old value or the new one, never a part.
    fn put(&self, key: &str, entry: &Entry, mode: PutMode) -> Result<bool, StoreError>;

    /// Returns whether the key existed (as far as the store can tell).
    fn delete(&self, key: &str) -> Result<bool, StoreError>;

    /// Deletes `key` only while it still holds `value`; returns whether it deleted. The default
    /// reads then deletes; stores that can (Redis) do it atomically.
    fn delete_if_value(&self, key: &str, value: &[u8]) -> Result<bool, StoreError> {
        match self.get(key)? {
            Some(e) if e.value == value => self.delete(key),
            _ => Ok(false),
        }
    }

    fn get_many(&self, keys: &[String]) -> Batch<Option<Entry>> {
        each(keys.iter().map(|k| self.get(k)))
    }

    fn put_many(&self, items: &[(String, Entry)], mode: PutMode) -> Batch<bool> {
        each(items.iter().map(|(k, e)| self.put(k, e, mode)))
    }

    fn delete_many(&self, keys: &[String]) -> Batch<bool> {
        each(keys.iter().map(|k| self.delete(k)))
    }

    fn delete_many_if_value(&self, items: &[(String, Vec<u8>)]) -> Batch<bool> {
        each(items.iter().map(|(k, v)| self.delete_if_value(k, v)))
    }
}

/// Every key under `prefix` (for a progress bar's length); lists without reading values.
pub fn count_keys(store: &dyn Store, prefix: &str, page_size: usize) -> Result<u64, StoreError> {
    let mut cursor: Option<String> = None;
    let mut n = 0u64;
    loop {
        let page = store.list(prefix, cursor.as_deref(), page_size)?;
        n += (page.keys.len() + page.unreadable.len()) as u64;
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(n),
        }
    }
}
