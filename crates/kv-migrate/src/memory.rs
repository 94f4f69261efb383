//! An in-memory store, ordered by key, for unit tests and dry experiments.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::store::{Entry, Page, PutMode, Store, StoreError};

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Each key's value and the instant it expires.
type Map = BTreeMap<String, (Vec<u8>, Option<Instant>)>;

#[derive(Debug)]
pub struct MemoryStore {
    id: u64,
    map: Mutex<Map>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new()
    }
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            map: Mutex::new(BTreeMap::new()),
        }
    }

    /// Every live key and value, in key order.
    pub fn dump(&self) -> Vec<(String, Vec<u8>)> {
        let now = Instant::now();
        self.lock()
            .iter()
            .filter(|(_, (_, exp))| exp.is_none_or(|e| e > now))
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Map> {
        // A panic elsewhere cannot leave the map half-updated: every change is one insert/remove.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn live(map: &Map, key: &str) -> Option<Entry> {
        let (value, exp) = map.get(key)?;
        let now = Instant::now();
        match exp {
            Some(e) if *e <= now => None,
            Some(e) => Some(Entry::expiring(value.clone(), *e - now)),
            None => Some(Entry::new(value.clone())),
        }
    }
}

impl Store for MemoryStore {
    fn location(&self) -> String {
        format!("memory:{}", self.id)
    }

    fn list(&self, prefix: &str, cursor: Option<&str>, limit: usize) -> Result<Page, StoreError> {
        let map = self.lock();
        let start = match cursor {
            Some(c) => Bound::Excluded(c.to_owned()),
            None => Bound::Included(prefix.to_owned()),
        };
        let now = Instant::now();
        let mut keys = Vec::new();
        let mut more = false;
        for (k, (_, exp)) in map.range((start, Bound::Unbounded)) {
            if !k.starts_with(prefix) {
                break;
            }
            if exp.is_some_and(|e| e <= now) {
                continue;
            }
            if keys.len() == limit.max(1) {
                more = true;
                break;
            }
            keys.push(k.clone());
        }
        let cursor = if more { keys.last().cloned() } else { None };
        Ok(Page {
            keys,
            unreadable: Vec::new(),
            cursor,
        })
    }

    fn get(&self, key: &str) -> Result<Option<Entry>, StoreError> {
        Ok(MemoryStore::live(&self.lock(), key))
    }

    fn put(&self, key: &str, entry: &Entry, mode: PutMode) -> Result<bool, StoreError> {
        let mut map = self.lock();
        if mode == PutMode::IfAbsent && MemoryStore::live(&map, key).is_some() {
            return Ok(false);
        }
        let exp = entry
            .expires_in
            .map(|d| Instant::now() + d.max(Duration::from_millis(1)));
        map.insert(key.to_owned(), (entry.value.clone(), exp));
        Ok(true)
    }

    fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let mut map = self.lock();
        let existed = MemoryStore::live(&map, key).is_some();
        map.remove(key);
        Ok(existed)
    }

    fn delete_if_value(&self, key: &str, value: &[u8]) -> Result<bool, StoreError> {
        let mut map = self.lock();
        match MemoryStore::live(&map, key) {
            Some(e) if e.value == value => {
                map.remove(key);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_by_prefix_in_pages() {
        let s = MemoryStore::new();
        for k in ["a:1", "a:2", "a:3", "b:1", "a"] {
            s.put(k, &Entry::new(k.as_bytes()), PutMode::Overwrite)
                .unwrap();
        }
        let p1 = s.list("a:", None, 2).unwrap();
        assert_eq!(p1.keys, ["a:1", "a:2"]);
        let p2 = s.list("a:", p1.cursor.as_deref(), 2).unwrap();
        assert_eq!(p2.keys, ["a:3"]);
        assert_eq!(p2.cursor, None);
    }

    #[test]
    fn if_absent_does_not_overwrite() {
        let s = MemoryStore::new();
        assert!(s.put("k", &Entry::new("1"), PutMode::IfAbsent).unwrap());
        assert!(!s.put("k", &Entry::new("2"), PutMode::IfAbsent).unwrap());
        assert_eq!(s.get("k").unwrap().unwrap().value, b"1");
        assert!(!s.delete_if_value("k", b"2").unwrap());
        assert!(s.delete_if_value("k", b"1").unwrap());
        assert_eq!(s.get("k").unwrap(), None);
    }
}
