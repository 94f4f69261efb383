//! Against the real Redis on 127.0.0.1:6379 (or `KV_TEST_REDIS_URL`). Each test works under a
//! prefix of its own and deletes every key under it, and its migration state, when it ends.

use std::time::{Duration, Instant};

use kv_migrate::{
    Entry, Error, MigrateOptions, PutMode, RedisStore, Rewrite, Status, Store, cleanup,
    migrate_keys, rollback, status,
};

fn url() -> String {
    std::env::var("KV_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into())
}

/// A test's own key space; deletes it (data and migration state) when dropped.
struct Space {
    con: redis::Connection,
    /// e.g. `kvt.1234.5.`: every data key of the test starts with it.
    root: String,
    name: String,
}

impl Space {
    fn new(test: &str) -> Space {
        let client = redis::Client::open(url()).unwrap();
        let con = client.get_connection().expect("Redis on 127.0.0.1:6379");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let root = format!("kvt.{}.{nanos}.{test}.", std::process::id());
        let name = format!("t-{}-{nanos}-{test}", std::process::id());
        let mut s = Space { con, root, name };
        s.drop_keys();
        s
    }

    fn rewrite(&self) -> Rewrite {
        Rewrite::new(
            &format!("{}user:{{id}}:{{rest}}", self.root),
            &format!("{}users/{{id}}/{{rest}}", self.root),
        )
        .unwrap()
    }

    fn options(&self) -> MigrateOptions<'static> {
        MigrateOptions::new(self.name.clone(), format!("{}user:", self.root))
    }

    fn keys(&mut self, pattern: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut cursor = 0u64;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(pattern)
                .arg("COUNT")
                .arg(5000)
                .query(&mut self.con)
                .unwrap();
            out.extend(keys);
            if next == 0 {
                return out;
            }
            cursor = next;
        }
    }

    fn count(&mut self, pattern: &str) -> usize {
        let mut k = self.keys(pattern);
        k.sort();
        k.dedup();
        k.len()
    }

    fn drop_keys(&mut self) {
        let mut keys = self.keys(&format!("{}*", self.root));
        keys.extend(self.keys(&format!("kv-migrate/{}/*", self.name)));
        for chunk in keys.chunks(1000) {
            let _: () = redis::cmd("DEL").arg(chunk).query(&mut self.con).unwrap();
        }
    }

    /// `n` keys `ROOT user:{i}:profile` = `v{i}`, one pipeline per thousand.
    fn seed(&mut self, n: usize) {
        for start in (0..n).step_by(1000) {
            let mut pipe = redis::pipe();
            for i in start..(start + 1000).min(n) {
                pipe.cmd("SET")
                    .arg(format!("{}user:{i}:profile", self.root))
                    .arg(format!("v{i}"))
                    .ignore();
            }
            let _: () = pipe.query(&mut self.con).unwrap();
        }
    }

    fn get(&mut self, key: &str) -> Option<String> {
        redis::cmd("GET")
            .arg(format!("{}{key}", self.root))
            .query(&mut self.con)
            .unwrap()
    }

    fn set(&mut self, key: &str, value: &str) {
        let _: () = redis::cmd("SET")
            .arg(format!("{}{key}", self.root))
            .arg(value)
            .query(&mut self.con)
            .unwrap();
    }
}

impl Drop for Space {
    fn drop(&mut self) {
        self.drop_keys();
    }
}

fn store() -> RedisStore {
    RedisStore::connect(&url()).unwrap()
}

#[test]
fn hundred_thousand_keys_with_a_pattern_rewrite() {
    const N: usize = 100_000;
    let mut sp = Space::new("100k");
    sp.seed(N);
    let redis = store();
    let mut o = sp.options();
    o.concurrency = 4;
    let start = Instant::now();
    let r = migrate_keys(&redis, &redis, &sp.rewrite(), &o).unwrap();
    eprintln!("{N} keys in {:?}", start.elapsed());
    assert_eq!(r.status, Status::Complete);
    assert_eq!(
        (
            r.counts.scanned,
            r.counts.written,
            r.counts.already_present,
            r.counts.skipped,
            r.counts.failed
        ),
        (N as u64, N as u64, 0, 0, 0)
    );
    assert_eq!(sp.count(&format!("{}users/*", sp.root)), N);
    assert_eq!(sp.count(&format!("{}user:*", sp.root)), N, "old keys kept");
    // Every value, in pipelines of a thousand.
    for start in (0..N).step_by(1000) {
        let mut pipe = redis::pipe();
        for i in start..start + 1000 {
            pipe.cmd("GET").arg(format!("{}users/{i}/profile", sp.root));
        }
        let values: Vec<Option<String>> = pipe.query(&mut sp.con).unwrap();
        for (i, v) in (start..).zip(values) {
            assert_eq!(v, Some(format!("v{i}")), "users/{i}/profile");
        }
    }
}

#[test]
fn expiry_carries_over_and_a_non_string_key_fails_alone() {
    let mut sp = Space::new("ttl");
    sp.seed(10);
    let _: () = redis::cmd("PEXPIRE")
        .arg(format!("{}user:3:profile", sp.root))
        .arg(600_000)
        .query(&mut sp.con)
        .unwrap();
    let _: () = redis::cmd("HSET")
        .arg(format!("{}user:7:hash", sp.root))
        .arg("f")
        .arg("v")
        .query(&mut sp.con)
        .unwrap();
    let redis = store();
    let r = migrate_keys(&redis, &redis, &sp.rewrite(), &sp.options()).unwrap();
    assert_eq!(
        (r.counts.scanned, r.counts.written, r.counts.failed),
        (11, 10, 1)
    );
    assert_eq!(r.failures[0].key, format!("{}user:7:hash", sp.root));
    assert!(
        r.failures[0].error.contains("WRONGTYPE"),
        "{:?}",
        r.failures
    );
    let ttl: i64 = redis::cmd("PTTL")
        .arg(format!("{}users/3/profile", sp.root))
        .query(&mut sp.con)
        .unwrap();
    assert!((590_000..=600_000).contains(&ttl), "{ttl}");
    let ttl: i64 = redis::cmd("PTTL")
        .arg(format!("{}users/4/profile", sp.root))
        .query(&mut sp.con)
        .unwrap();
    assert_eq!(ttl, -1, "no expiry where there was none");
}

#[test]
fn cleanup_refused_inside_the_window_and_on_a_changed_value_then_done() {
    let mut sp = Space::new("cleanup");
    sp.seed(500);
    let redis = store();
    migrate_keys(&redis, &redis, &sp.rewrite(), &sp.options()).unwrap();

    // Default retention: 7 days.
    let e = cleanup(&redis, &redis, &sp.rewrite(), &sp.options()).unwrap_err();
    assert!(matches!(e, Error::Refused(_)), "{e}");
    assert!(
        e.to_string()
            .contains("keeps its old keys for 7d (retention)"),
        "{e}"
    );
    assert_eq!(sp.count(&format!("{}user:*", sp.root)), 500);

    // A second migration under another name finds the first one's new keys already there.
    let mut second = sp.options();
    second.name = format!("{}-2", sp.name);
    let _guard = DropState(second.name.clone());
    let r = migrate_keys(&redis, &redis, &sp.rewrite(), &second).unwrap();
    assert_eq!((r.counts.written, r.counts.already_present), (0, 500));

    // A run of the complete migration with a retention of zero shortens its window.
    let mut zero = sp.options();
    zero.retention = Some(Duration::ZERO);
    let r = migrate_keys(&redis, &redis, &sp.rewrite(), &zero).unwrap();
    assert!(r.already_complete);
    assert_eq!(r.checkpoint.unwrap().retention_secs, 0);

    sp.set("users/42/profile", "edited by the new code");
    let e = cleanup(&redis, &redis, &sp.rewrite(), &sp.options())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!(
            "1 old keys of migration `{}` have no new key holding the same value (`{}user:42:profile` has new key `{}users/42/profile` holding a different value); nothing was deleted",
            sp.name, sp.root, sp.root
        )),
        "{e}"
    );
    assert_eq!(sp.count(&format!("{}user:*", sp.root)), 500);

    sp.set("users/42/profile", "v42");
    let c = cleanup(&redis, &redis, &sp.rewrite(), &sp.options()).unwrap();
    assert_eq!(c.deleted, 500);
    assert_eq!(sp.count(&format!("{}user:*", sp.root)), 0);
    assert_eq!(sp.count(&format!("{}users/*", sp.root)), 500);
    assert_eq!(sp.get("users/42/profile").as_deref(), Some("v42"));
    assert_eq!(
        status(&redis, &sp.options()).unwrap().unwrap().status,
        Status::CleanedUp
    );
}

/// Deletes a migration's state that a test made under another name.
struct DropState(String);

impl Drop for DropState {
    fn drop(&mut self) {
        let client = redis::Client::open(url()).unwrap();
        let mut con = client.get_connection().unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("kv-migrate/{}/*", self.0))
            .query(&mut con)
            .unwrap();
        if !keys.is_empty() {
            let _: () = redis::cmd("DEL").arg(keys).query(&mut con).unwrap();
        }
    }
}

#[test]
fn rollback_deletes_the_new_keys_and_keeps_the_old() {
    let mut sp = Space::new("rollback");
    sp.seed(2_000);
    sp.set("users/5/profile", "v5"); // already there before: not the migration's
    let redis = store();
    let r = migrate_keys(&redis, &redis, &sp.rewrite(), &sp.options()).unwrap();
    assert_eq!((r.counts.written, r.counts.already_present), (1_999, 1));
    let rb = rollback(&redis, &sp.options()).unwrap();
    assert_eq!(rb.deleted, 1_999);
    assert_eq!(sp.count(&format!("{}users/*", sp.root)), 1);
    assert_eq!(sp.get("users/5/profile").as_deref(), Some("v5"));
    assert_eq!(sp.count(&format!("{}user:*", sp.root)), 2_000);
    assert_eq!(sp.get("user:1999:profile").as_deref(), Some("v1999"));
    assert_eq!(
        status(&redis, &sp.options()).unwrap().unwrap().status,
        Status::RolledBack
    );
}

#[test]
fn an_unreachable_server_is_one_clear_error() {
    let e = RedisStore::connect("redis://127.0.0.1:1/")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("cannot connect to Redis at redis://127.0.0.1:1/0: "),
        "{e}"
    );
    assert!(!e.contains('\n'), "{e}");
    let e = RedisStore::connect("redis://:bad:port/")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("bad Redis URL"), "{e}");
}

#[test]
fn store_operations() {
    let mut sp = Space::new("ops");
    let redis = store();
    let k = |s: &str| format!("{}{s}", sp.root);
    // Glob characters in a prefix are literal.
    let p = k("a*[b]?");
    redis
        .put(&format!("{p}1"), &Entry::new("x"), PutMode::Overwrite)
        .unwrap();
    redis
        .put(&k("a-other"), &Entry::new("y"), PutMode::Overwrite)
        .unwrap();
    let page = redis.list(&p, None, 100).unwrap();
    let mut keys = page.keys;
    let mut cursor = page.cursor;
    while let Some(c) = cursor {
        let next = redis.list(&p, Some(&c), 100).unwrap();
        keys.extend(next.keys);
        cursor = next.cursor;
    }
    assert_eq!(keys, [format!("{p}1")]);
    assert!(
        !redis
            .put(&format!("{p}1"), &Entry::new("z"), PutMode::IfAbsent)
            .unwrap()
    );
    assert!(!redis.delete_if_value(&format!("{p}1"), b"z").unwrap());
    assert!(redis.delete_if_value(&format!("{p}1"), b"x").unwrap());
    assert_eq!(redis.get(&format!("{p}1")).unwrap(), None);
    assert!(redis.delete(&k("a-other")).unwrap());
    assert!(!redis.delete(&k("a-other")).unwrap());
    assert_eq!(sp.count(&format!("{}*", sp.root)), 0);
}
