//! The migration's behaviour on the in-memory store: reports, dry runs, failures, resuming after
//! a crash at every possible point, retention, cleanup and rollback.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use kv_migrate::{
    Entry, Error, MemoryStore, MigrateOptions, OnError, Page, PutMode, Rewrite, STATE_ROOT, Status,
    Store, StoreError, cleanup, cleanup_at, migrate_keys, rollback, status, transform_fn,
};

fn put(s: &dyn Store, k: &str, v: &str) {
    s.put(k, &Entry::new(v.as_bytes()), PutMode::Overwrite)
        .unwrap();
}

fn get(s: &dyn Store, k: &str) -> Option<String> {
    s.get(k)
        .unwrap()
        .map(|e| String::from_utf8(e.value).unwrap())
}

/// `n` keys `user:{i}:profile` with value `p{i}`, plus `user:{i}:settings` for even i.
fn seed(s: &dyn Store, n: usize) -> usize {
    let mut count = 0;
    for i in 0..n {
        put(s, &format!("user:{i}:profile"), &format!("p{i}"));
        count += 1;
        if i % 2 == 0 {
            put(s, &format!("user:{i}:settings"), &format!("s{i}"));
            count += 1;
        }
    }
    count
}

fn rewrite() -> Rewrite {
    Rewrite::new("user:{id}:{rest}", "users/{id}/{rest}").unwrap()
}

fn options(name: &str) -> MigrateOptions<'static> {
    let mut o = MigrateOptions::new(name, "user:");
    o.page_size = 7;
    o
}

/// The data keys (not migration state) of a memory store.
fn data(s: &MemoryStore) -> Vec<(String, String)> {
    s.dump()
        .into_iter()
        .filter(|(k, _)| !k.starts_with(STATE_ROOT))
        .map(|(k, v)| (k, String::from_utf8(v).unwrap()))
        .collect()
}

/// Every old key has its new key with the same value, and nothing else is there.
#[track_caller]
fn assert_migrated(s: &MemoryStore, n: usize) {
    let all = data(s);
    let old: Vec<_> = all.iter().filter(|(k, _)| k.starts_with("user:")).collect();
    let new: Vec<_> = all
        .iter()
        .filter(|(k, _)| k.starts_with("users/"))
        .collect();
    assert_eq!(old.len(), n, "old keys");
    assert_eq!(new.len(), n, "new keys");
    for (k, v) in old {
        let nk = rewrite().apply(k).unwrap();
        assert_eq!(get(s, &nk).as_deref(), Some(v.as_str()), "{nk}");
    }
}

#[test]
fn migrates_with_a_true_report_and_keeps_the_old_keys() {
    let s = MemoryStore::new();
    let n = seed(&s, 30);
    put(&s, "user:lonely", "not matching the pattern");
    put(&s, "other:1:x", "outside the prefix");
    let r = migrate_keys(&s, &s, &rewrite(), &options("m1")).unwrap();
    assert_eq!(r.status, Status::Complete);
    assert_eq!(r.counts.scanned, n as u64 + 1);
    assert_eq!(r.counts.written, n as u64);
    assert_eq!(r.counts.skipped, 1);
    assert_eq!((r.counts.failed, r.counts.already_present), (0, 0));
    assert!(r.failures.is_empty());
    assert_eq!(get(&s, "users/4/settings").as_deref(), Some("s4"));
    assert_eq!(get(&s, "user:4:settings").as_deref(), Some("s4"));
    assert_eq!(get(&s, "other:1:x").as_deref(), Some("outside the prefix"));
    let cp = r.checkpoint.unwrap();
    assert_eq!(
        cp.mapping.as_deref(),
        Some("user:{id}:{rest} -> users/{id}/{rest}")
    );
    assert!(cp.completed_at.is_some());
    assert_eq!(cp.retention(), Duration::from_secs(7 * 86_400));

    // A second run finds it complete and lists nothing.
    let again = migrate_keys(&s, &s, &rewrite(), &options("m1")).unwrap();
    assert!(again.already_complete);
    assert_eq!(again.counts, r.counts);
}

#[test]
fn expiry_is_carried_over() {
    let s = MemoryStore::new();
    s.put(
        "user:1:session",
        &Entry::expiring("tok", Duration::from_secs(600)),
        PutMode::Overwrite,
    )
    .unwrap();
    migrate_keys(&s, &s, &rewrite(), &options("ttl")).unwrap();
    let e = s.get("users/1/session").unwrap().unwrap();
    let left = e.expires_in.expect("the new key expires too");
    assert!(
        left <= Duration::from_secs(600) && left > Duration::from_secs(590),
        "{left:?}"
    );
}

#[test]
fn a_dry_run_writes_nothing_not_even_state() {
    let s = MemoryStore::new();
    let n = seed(&s, 10);
    let before = s.dump();
    let mut o = options("dry");
    o.dry_run = true;
    let r = migrate_keys(&s, &s, &rewrite(), &o).unwrap();
    assert!(r.dry_run);
    assert_eq!(r.counts.written, n as u64, "what would be written");
    assert_eq!(s.dump(), before);
    assert_eq!(status(&s, &o).unwrap(), None);
}

#[test]
fn a_closure_may_change_values_skip_and_fail_keys() {
    let s = MemoryStore::new();
    for (k, v) in [
        ("session:1", "a"),
        ("session:2", "b"),
        ("session:x", "c"),
        ("session:3", "skip"),
    ] {
        put(&s, k, v);
    }
    let t = transform_fn(|key: &str, value: &[u8]| {
        if value == b"skip" {
            return Ok(None);
        }
        let id: u32 = key["session:".len()..]
            .parse()
            .map_err(|e| format!("bad id: {e}"))?;
        Ok::<_, String>(Some((
            format!("sessions/{id:04}"),
            value.to_ascii_uppercase(),
        )))
    });
    let r = migrate_keys(&s, &s, &t, &MigrateOptions::new("closure", "session:")).unwrap();
    assert_eq!(
        (
            r.counts.scanned,
            r.counts.written,
            r.counts.skipped,
            r.counts.failed
        ),
        (4, 2, 1, 1)
    );
    assert_eq!(r.failures.len(), 1);
    assert_eq!(r.failures[0].key, "session:x");
    assert!(r.failures[0].error.contains("bad id"), "{:?}", r.failures);
    assert_eq!(get(&s, "sessions/0002").as_deref(), Some("B"));
    assert_eq!(get(&s, "session:2").as_deref(), Some("b"));
}

#[test]
fn a_panicking_transform_fails_its_key_only() {
    let s = MemoryStore::new();
    put(&s, "k:1", "ok");
    put(&s, "k:2", "boom");
    let t = transform_fn(|key: &str, value: &[u8]| {
        assert!(value != b"boom", "cannot handle {key}");
        Ok::<_, String>(Some((key.replace("k:", "n/"), value.to_vec())))
    });
    let r = migrate_keys(&s, &s, &t, &MigrateOptions::new("panics", "k:")).unwrap();
    assert_eq!((r.counts.written, r.counts.failed), (1, 1));
    assert!(
        r.failures[0].error.contains("panicked: cannot handle k:2"),
        "{:?}",
        r.failures
    );
    assert_eq!(get(&s, "n/2"), None);
}

#[test]
fn stop_on_error_writes_nothing_of_the_failing_page_and_resumes_there() {
    let s = MemoryStore::new();
    for i in 0..20 {
        put(&s, &format!("k:{i:02}"), if i == 11 { "bad" } else { "v" });
    }
    let fail_on_bad = transform_fn(|key: &str, value: &[u8]| {
        if value == b"bad" {
            return Err("cannot read this value".to_owned());
        }
        Ok(Some((key.replace("k:", "n/"), value.to_vec())))
    });
    let mut o = MigrateOptions::new("stop", "k:");
    o.page_size = 5;
    o.on_error = OnError::Stop;
    let e = migrate_keys(&s, &s, &fail_on_bad, &o).unwrap_err();
    let Error::Stopped { key, counts, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(key, "k:11");
    assert_eq!(counts.written, 10, "the two pages before");
    assert!(
        e.to_string()
            .starts_with("stopped at `k:11`: cannot read this value"),
        "{e}"
    );
    assert_eq!(get(&s, "n/10"), None, "nothing of the failing page");
    assert_eq!(get(&s, "n/09").as_deref(), Some("v"));

    // Fixed, it resumes at the failing page.
    let fixed = transform_fn(|key: &str, value: &[u8]| {
        Ok::<_, String>(Some((key.replace("k:", "n/"), value.to_vec())))
    });
    let r = migrate_keys(&s, &s, &fixed, &o).unwrap();
    assert!(r.resumed);
    assert_eq!(
        (r.counts.scanned, r.counts.written, r.counts.failed),
        (20, 20, 0)
    );
}

#[test]
fn existing_new_keys_are_never_overwritten_or_taken_over() {
    let s = MemoryStore::new();
    seed(&s, 4);
    put(&s, "users/0/profile", "p0"); // the same value: already present, not ours
    put(&s, "users/1/profile", "written by the new code"); // differs: refused
    let r = migrate_keys(&s, &s, &rewrite(), &options("existing")).unwrap();
    assert_eq!(
        (r.counts.written, r.counts.already_present, r.counts.failed),
        (4, 1, 1)
    );
    assert_eq!(r.failures[0].key, "user:1:profile");
    assert!(
        r.failures[0]
            .error
            .contains("already exists with a different value")
    );
    assert_eq!(
        get(&s, "users/1/profile").as_deref(),
        Some("written by the new code")
    );

    // The rollback deletes only what the migration wrote.
    let rb = rollback(&s, &options("existing")).unwrap();
    assert_eq!(rb.deleted, 4);
    assert_eq!(get(&s, "users/0/profile").as_deref(), Some("p0"));
    assert_eq!(
        get(&s, "users/1/profile").as_deref(),
        Some("written by the new code")
    );
    assert_eq!(get(&s, "users/2/profile"), None);
    assert_eq!(get(&s, "user:2:profile").as_deref(), Some("p2"));
}

#[test]
fn new_keys_under_the_listed_prefix_are_refused_in_one_store() {
    let s = MemoryStore::new();
    put(&s, "user:1:profile", "x");
    let inside = Rewrite::new("user:{id}:{rest}", "user:v2:{id}:{rest}").unwrap();
    let r = migrate_keys(&s, &s, &inside, &options("inside")).unwrap();
    assert_eq!((r.counts.written, r.counts.failed), (0, 1));
    assert!(
        r.failures[0].error.contains("would be migrated again"),
        "{:?}",
        r.failures
    );
    // Into another store it is fine.
    let other = MemoryStore::new();
    let r = migrate_keys(&s, &other, &inside, &options("inside")).unwrap();
    assert_eq!(r.counts.written, 1);
}

#[test]
fn two_old_keys_for_one_new_key() {
    let s = MemoryStore::new();
    put(&s, "a:1", "x");
    put(&s, "a:01", "y");
    let t = transform_fn(|key: &str, value: &[u8]| {
        let n: u32 = key[2..].parse().map_err(|e| format!("{e}"))?;
        Ok::<_, String>(Some((format!("b/{n}"), value.to_vec())))
    });
    let r = migrate_keys(&s, &s, &t, &MigrateOptions::new("collide", "a:")).unwrap();
    assert_eq!((r.counts.written, r.counts.failed), (1, 1));
    assert!(
        r.failures[0]
            .error
            .contains("maps to new key `b/1`, as `a:01` does"),
        "{:?}",
        r.failures
    );
}

/// A store that fails (as if the process died) at its `fail_at`-th write, counting every single
/// put: values, journals and checkpoints.
struct Crashing<'a> {
    inner: &'a MemoryStore,
    puts: AtomicU64,
    fail_at: u64,
}

impl Store for Crashing<'_> {
    fn location(&self) -> String {
        self.inner.location()
    }
    fn list(&self, prefix: &str, cursor: Option<&str>, limit: usize) -> Result<Page, StoreError> {
        self.inner.list(prefix, cursor, limit)
    }
    fn get(&self, key: &str) -> Result<Option<Entry>, StoreError> {
        self.inner.get(key)
    }
    fn put(&self, key: &str, entry: &Entry, mode: PutMode) -> Result<bool, StoreError> {
        if self.puts.fetch_add(1, Ordering::SeqCst) + 1 == self.fail_at {
            return Err(StoreError::store("killed"));
        }
        self.inner.put(key, entry, mode)
    }
    fn delete(&self, key: &str) -> Result<bool, StoreError> {
        self.inner.delete(key)
    }
}

#[test]
fn killed_at_any_write_it_resumes_and_migrates_every_key_once() {
    // Clean run: how many puts does it take?
    let probe = MemoryStore::new();
    let n = seed(&probe, 12);
    let counter = Crashing {
        inner: &probe,
        puts: AtomicU64::new(0),
        fail_at: 0,
    };
    migrate_keys(&counter, &counter, &rewrite(), &options("probe")).unwrap();
    let total_puts = counter.puts.load(Ordering::SeqCst);
    assert!(total_puts > n as u64);

    for fail_at in 1..=total_puts {
        let s = MemoryStore::new();
        seed(&s, 12);
        let crashing = Crashing {
            inner: &s,
            puts: AtomicU64::new(0),
            fail_at,
        };
        let e = migrate_keys(&crashing, &crashing, &rewrite(), &options("crash")).unwrap_err();
        assert!(matches!(e, Error::Store(_)), "{e}");
        let r = migrate_keys(&s, &s, &rewrite(), &options("crash")).unwrap();
        assert_eq!(r.status, Status::Complete, "crash at put {fail_at}");
        assert_eq!(
            (
                r.counts.scanned,
                r.counts.written,
                r.counts.already_present,
                r.counts.failed
            ),
            (n as u64, n as u64, 0, 0),
            "crash at put {fail_at}"
        );
        assert_migrated(&s, n);
        // And the rollback still finds every new key as its own.
        assert_eq!(
            rollback(&s, &options("crash")).unwrap().deleted,
            n as u64,
            "crash at put {fail_at}"
        );
        assert!(data(&s).iter().all(|(k, _)| k.starts_with("user:")));
    }
}

#[test]
fn crashing_twice_in_a_row_is_fine_too() {
    let s = MemoryStore::new();
    let n = seed(&s, 20);
    for fail_at in [9, 5] {
        let c = Crashing {
            inner: &s,
            puts: AtomicU64::new(0),
            fail_at,
        };
        migrate_keys(&c, &c, &rewrite(), &options("twice")).unwrap_err();
    }
    let r = migrate_keys(&s, &s, &rewrite(), &options("twice")).unwrap();
    assert!(r.resumed);
    assert_eq!((r.counts.written, r.counts.already_present), (n as u64, 0));
    assert_migrated(&s, n);
}

#[test]
fn cleanup_waits_for_the_retention_window() {
    let s = MemoryStore::new();
    let n = seed(&s, 5);
    migrate_keys(&s, &s, &rewrite(), &options("window")).unwrap();
    let e = cleanup(&s, &s, &rewrite(), &options("window")).unwrap_err();
    assert!(matches!(e, Error::Refused(_)));
    let msg = e.to_string();
    assert!(
        msg.starts_with("cleanup refused: migration `window` completed at"),
        "{msg}"
    );
    assert!(msg.contains("for 7d (retention)"), "{msg}");
    assert_eq!(data(&s).len(), 2 * n, "nothing deleted");

    // Six days on: still refused. Eight days on: done.
    let day = chrono::Duration::days(1);
    assert!(cleanup_at(&s, &s, &rewrite(), &options("window"), Utc::now() + day * 6).is_err());
    let c = cleanup_at(&s, &s, &rewrite(), &options("window"), Utc::now() + day * 8).unwrap();
    assert_eq!(c.deleted, n as u64);
    assert!(data(&s).iter().all(|(k, _)| k.starts_with("users/")));
    assert_eq!(c.checkpoint.status, Status::CleanedUp);
}

#[test]
fn cleanup_verifies_every_value_and_deletes_nothing_on_a_mismatch() {
    let s = MemoryStore::new();
    let n = seed(&s, 6);
    put(&s, "user:bystander", "not mapped: kept");
    let mut o = options("verify");
    o.retention = Some(Duration::ZERO);
    migrate_keys(&s, &s, &rewrite(), &o).unwrap();
    put(&s, "users/3/profile", "changed by the new code");
    let e = cleanup(&s, &s, &rewrite(), &o).unwrap_err().to_string();
    assert!(
        e.contains("1 old keys of migration `verify` have no new key holding the same value (`user:3:profile` has new key `users/3/profile` holding a different value); nothing was deleted"),
        "{e}"
    );
    assert_eq!(data(&s).len(), 2 * n + 1);

    // An old key written after the migration has no new key: refused as well.
    put(&s, "users/3/profile", "p3");
    put(&s, "user:99:profile", "late");
    let e = cleanup(&s, &s, &rewrite(), &o).unwrap_err().to_string();
    assert!(
        e.contains("`user:99:profile` has no new key `users/99/profile`"),
        "{e}"
    );

    s.delete("user:99:profile").unwrap();
    let c = cleanup(&s, &s, &rewrite(), &o).unwrap();
    assert_eq!((c.deleted, c.kept), (n as u64, 1));
    assert_eq!(
        get(&s, "user:bystander").as_deref(),
        Some("not mapped: kept")
    );
    // Done once; the rollback and a new run are refused now.
    assert!(cleanup(&s, &s, &rewrite(), &o).unwrap().already_done);
    let e = rollback(&s, &o).unwrap_err().to_string();
    assert!(
        e.starts_with("rollback refused: migration `verify` was cleaned up"),
        "{e}"
    );
    assert!(migrate_keys(&s, &s, &rewrite(), &o).is_err());
}

#[test]
fn cleanup_of_an_unfinished_or_unknown_migration_is_refused() {
    let s = MemoryStore::new();
    seed(&s, 5);
    let e = cleanup(&s, &s, &rewrite(), &options("nobody"))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("no migration named `nobody`"), "{e}");
    let c = Crashing {
        inner: &s,
        puts: AtomicU64::new(0),
        fail_at: 4,
    };
    migrate_keys(&c, &c, &rewrite(), &options("half")).unwrap_err();
    let e = cleanup(&s, &s, &rewrite(), &options("half"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("is not complete"), "{e}");
}

#[test]
fn rollback_then_migrate_again() {
    let s = MemoryStore::new();
    let n = seed(&s, 8);
    let before = data(&s);
    migrate_keys(&s, &s, &rewrite(), &options("rb")).unwrap();
    let rb = rollback(&s, &options("rb")).unwrap();
    assert_eq!(rb.deleted, n as u64);
    assert_eq!(data(&s), before, "old keys intact, new keys gone");
    assert_eq!(
        status(&s, &options("rb")).unwrap().unwrap().status,
        Status::RolledBack
    );
    assert!(rollback(&s, &options("rb")).unwrap().already_done);
    let r = migrate_keys(&s, &s, &rewrite(), &options("rb")).unwrap();
    assert!(!r.resumed && !r.already_complete);
    assert_eq!(r.counts.written, n as u64);
}

#[test]
fn a_name_cannot_be_reused_for_another_mapping_or_store() {
    let s = MemoryStore::new();
    seed(&s, 3);
    migrate_keys(&s, &s, &rewrite(), &options("same")).unwrap();
    let other = Rewrite::new("user:{id}:{rest}", "people/{id}/{rest}").unwrap();
    let e = migrate_keys(&s, &s, &other, &options("same"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("was started with mapping `user:{id}:{rest} -> users/{id}/{rest}`"),
        "{e}"
    );
    let elsewhere = MemoryStore::new();
    let mut o = options("same");
    o.state = Some(&s);
    let e = migrate_keys(&s, &elsewhere, &rewrite(), &o)
        .unwrap_err()
        .to_string();
    assert!(e.contains("was started with target"), "{e}");
    let e = migrate_keys(&s, &s, &rewrite(), &options("bad name!"))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("migration name `bad name!`"), "{e}");
}

#[test]
fn state_can_live_in_another_store() {
    let s = MemoryStore::new();
    let state = MemoryStore::new();
    let n = seed(&s, 9);
    let mut o = options("elsewhere");
    o.state = Some(&state);
    let r = migrate_keys(&s, &s, &rewrite(), &o).unwrap();
    assert_eq!(r.counts.written, n as u64);
    assert!(s.dump().iter().all(|(k, _)| !k.starts_with(STATE_ROOT)));
    assert!(
        state
            .dump()
            .iter()
            .any(|(k, _)| k == "kv-migrate/elsewhere/checkpoint")
    );
    assert_eq!(rollback(&s, &o).unwrap().deleted, n as u64);
}

#[test]
fn concurrency_progress_and_rate_limit() {
    let s = MemoryStore::new();
    let n = seed(&s, 200);
    let calls = Mutex::new(Vec::new());
    let progress = |c: &kv_migrate::Counts| calls.lock().unwrap().push(c.scanned);
    let mut o = options("fast");
    o.page_size = 50;
    o.concurrency = 4;
    o.rate_limit = Some(1000);
    o.progress = Some(&progress);
    let start = Instant::now();
    let r = migrate_keys(&s, &s, &rewrite(), &o).unwrap();
    assert_eq!(r.counts.written, n as u64);
    assert_migrated(&s, n);
    // 300 keys at 1000 per second: the last page is not waited for.
    assert!(
        start.elapsed() >= Duration::from_millis(200),
        "{:?}",
        start.elapsed()
    );
    let calls = calls.into_inner().unwrap();
    assert_eq!(calls.len(), 6);
    assert_eq!(calls.last(), Some(&(n as u64)));
}
