//! Object stores through the `object_store` crate: a local directory here and in the tests;
//! S3-compatible stores (R2, MinIO) and the other clouds through the same adapter, built with
//! that crate's `aws`/`gcp`/`azure` features and handed to [`ObjectStoreKv::new`].
//!
//! A key is an object path: `users/42/profile`. Keys with an empty segment, `.` or `..`, a
//! control character or one of the characters S3 and GCS advise against
//! (``\ { } ^ % ` [ ] " < > ~ # | * ?``) are refused, per key. Object stores have no per-object
//! expiry: a value's expiry is dropped on write.

use std::path::Path as FsPath;
use std::sync::Arc;

use futures::StreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutOptions, PutPayload};

use crate::store::{Batch, Entry, Page, PutMode, Store, StoreError};

/// Requests in flight at once in a batched operation.
const IN_FLIGHT: usize = 16;

const AVOIDED: &[char] = &[
    '\\', '{', '}', '^', '%', '`', '[', ']', '"', '<', '>', '~', '#', '|', '*', '?',
];

pub struct ObjectStoreKv {
    store: Arc<dyn ObjectStore>,
    location: String,
    sorted: bool,
    rt: tokio::runtime::Runtime,
}

impl std::fmt::Debug for ObjectStoreKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStoreKv")
            .field("location", &self.location)
            .finish()
    }
}

fn key_path(key: &str) -> Result<Path, StoreError> {
    let bad = |why: &str| StoreError::key(key, format!("not usable as an object path: {why}"));
    if key.is_empty() {
        return Err(bad("empty"));
    }
    if let Some(c) = key
        .chars()
        .find(|c| c.is_ascii_control() || AVOIDED.contains(c))
    {
        return Err(bad(&format!("it contains {c:?}")));
    }
    let path = Path::parse(key).map_err(|e| bad(&e.to_string()))?;
    if path.as_ref() != key {
        return Err(bad("a leading or trailing `/`"));
    }
    Ok(path)
}

fn failure(location: &str, key: &str, e: object_store::Error) -> StoreError {
    use object_store::Error as E;
    match e {
        E::InvalidPath { .. }
        | E::NotFound { .. }
        | E::AlreadyExists { .. }
        | E::Precondition { .. }
        | E::NotModified { .. } => StoreError::key(key, e.to_string()),
        e => StoreError::store(format!("object store {location}: {key}: {e}")),
    }
}

impl ObjectStoreKv {
    /// Wraps any object store. `location` names it in messages and tells two handles on one
    /// store apart from two stores (use its URL, e.g. `s3://bucket/prefix`).
    ///
    /// Blocking calls run on a runtime of the adapter's own: call them from ordinary threads
    /// (inside async code, from `spawn_blocking`).
    pub fn new(
        store: Arc<dyn ObjectStore>,
        location: impl Into<String>,
    ) -> Result<ObjectStoreKv, StoreError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("kv-migrate-object-store")
            .enable_all()
            .build()
            .map_err(|e| StoreError::store(format!("cannot start the I/O runtime: {e}")))?;
        Ok(ObjectStoreKv {
            store,
            location: location.into(),
            sorted: false,
            rt,
        })
    }

    /// Says that the store lists keys in lexicographic order (S3, R2, GCS and Azure do; the
    /// local filesystem does not), so a page reads only as far as it needs. Without it each page
    /// lists everything after the cursor and sorts it.
    pub fn with_sorted_listing(mut self, sorted: bool) -> ObjectStoreKv {
        self.sorted = sorted;
        self
    }

    /// A directory of the local filesystem (created if missing); each key is a file under it.
    pub fn local(dir: &FsPath) -> Result<ObjectStoreKv, StoreError> {
        let fail = |e: &dyn std::fmt::Display| StoreError::store(format!("{}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
        let dir = dir.canonicalize().map_err(|e| fail(&e))?;
        let fs = LocalFileSystem::new_with_prefix(&dir).map_err(|e| fail(&e))?;
        ObjectStoreKv::new(Arc::new(fs), format!("file://{}", dir.display()))
    }

    fn location_of(&self) -> &str {
        &self.location
    }
}

impl Store for ObjectStoreKv {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn list(&self, prefix: &str, cursor: Option<&str>, limit: usize) -> Result<Page, StoreError> {
        let limit = limit.max(1);
        // Object-store prefixes match whole segments: list the enclosing folder and filter.
        let folder = match prefix.rfind('/') {
            Some(i) if i > 0 => Some(Path::parse(&prefix[..i]).map_err(|e| {
                StoreError::store(format!("prefix `{prefix}` is not an object path: {e}"))
            })?),
            _ => None,
        };
        let offset = cursor
            .map(Path::parse)
            .transpose()
            .map_err(|e| StoreError::store(format!("cursor is not an object path: {e}")))?;
        let stream = match &offset {
            Some(o) => self.store.list_with_offset(folder.as_ref(), o),
            None => self.store.list(folder.as_ref()),
        };
        let sorted = self.sorted;
        let location = self.location_of();
        let mut keys: Vec<String> = self.rt.block_on(async move {
            let mut stream = stream;
            let mut keys = Vec::new();
            while let Some(meta) = stream.next().await {
                let meta = meta.map_err(|e| {
                    StoreError::store(format!("object store {location}: listing `{prefix}`: {e}"))
                })?;
                let key = meta.location.as_ref();
                if key.starts_with(prefix) && cursor.is_none_or(|c| key > c) {
                    keys.push(key.to_owned());
                    if sorted && keys.len() > limit {
                        break;
                    }
                }
            }
            Ok::<_, StoreError>(keys)
        })?;
        keys.sort_unstable();
        let more = keys.len() > limit;
        keys.truncate(limit);
        Ok(Page {
            cursor: if more { keys.last().cloned() } else { None },
            keys,
            unreadable: Vec::new(),
        })
    }

    fn get(&self, key: &str) -> Result<Option<Entry>, StoreError> {
        self.get_many(&[key.to_owned()])?.remove(0)
    }

    fn put(&self, key: &str, entry: &Entry, mode: PutMode) -> Result<bool, StoreError> {
        self.put_many(&[(key.to_owned(), entry.clone())], mode)?
            .remove(0)
    }

    fn delete(&self, key: &str) -> Result<bool, StoreError> {
        self.delete_many(&[key.to_owned()])?.remove(0)
    }

    fn get_many(&self, keys: &[String]) -> Batch<Option<Entry>> {
        let store = &self.store;
        let location = self.location_of();
        let results: Vec<Result<Option<Entry>, StoreError>> = self.rt.block_on(
            futures::stream::iter(keys)
                .map(|key| async move {
                    let path = key_path(key)?;
                    match store.get(&path).await {
                        Ok(r) => match r.bytes().await {
                            Ok(b) => Ok(Some(Entry::new(b.to_vec()))),
                            Err(object_store::Error::NotFound { .. }) => Ok(None),
                            Err(e) => Err(failure(location, key, e)),
                        },
                        Err(object_store::Error::NotFound { .. }) => Ok(None),
                        Err(e) => Err(failure(location, key, e)),
                    }
                })
                .buffered(IN_FLIGHT)
                .collect(),
        );
        split(results)
    }

    fn put_many(&self, items: &[(String, Entry)], mode: PutMode) -> Batch<bool> {
        let store = &self.store;
        let location = self.location_of();
        let results: Vec<Result<bool, StoreError>> = self.rt.block_on(
            futures::stream::iter(items)
                .map(|(key, entry)| async move {
                    let path = key_path(key)?;
                    let opts = PutOptions {
                        mode: match mode {
                            PutMode::Overwrite => object_store::PutMode::Overwrite,
                            PutMode::IfAbsent => object_store::PutMode::Create,
                        },
                        ..PutOptions::default()
                    };
                    let payload = PutPayload::from(entry.value.clone());
                    match store.put_opts(&path, payload, opts).await {
                        Ok(_) => Ok(true),
                        Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
                        Err(e) => Err(failure(location, key, e)),
                    }
                })
                .buffered(IN_FLIGHT)
                .collect(),
        );
        split(results)
    }

    fn delete_many(&self, keys: &[String]) -> Batch<bool> {
        let store = &self.store;
        let location = self.location_of();
        let results: Vec<Result<bool, StoreError>> = self.rt.block_on(
            futures::stream::iter(keys)
                .map(|key| async move {
                    let path = key_path(key)?;
                    match store.delete(&path).await {
                        Ok(()) => Ok(true),
                        Err(object_store::Error::NotFound { .. }) => Ok(false),
                        Err(e) => Err(failure(location, key, e)),
                    }
                })
                .buffered(IN_FLIGHT)
                .collect(),
        );
        split(results)
    }
}

/// A store-level failure of any key fails the batch; key-level ones stay with their key.
fn split<T>(results: Vec<Result<T, StoreError>>) -> Batch<T> {
    if let Some(Err(e)) = results
        .iter()
        .find(|r| matches!(r, Err(StoreError::Store(_))))
    {
        return Err(e.clone());
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::key_path;

    #[test]
    fn object_paths() {
        assert!(key_path("users/42/profile").is_ok());
        assert!(key_path("user:42:profile").is_ok());
        for bad in ["", "/a", "a/", "a//b", "a/../b", "a{b}", "x#1", "a\nb"] {
            assert!(key_path(bad).is_err(), "{bad:?} accepted");
        }
    }
}
