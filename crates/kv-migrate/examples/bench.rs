//! Keys per second of a key-format migration against a real Redis: `migrate_keys` (pipelined,
//! one round trip per page and step) against a naive loop (a `GET` and then a `SET` per key,
//! one round trip each), in the same run, on the same keys.
//!
//! ```sh
//! cargo run --release -p kv-migrate --example bench -- [--keys 100000] [--url redis://127.0.0.1:6379/0]
//! ```
//!
//! Everything it writes lives under `kvbench.<pid>.` and `kv-migrate/kvbench-<pid>*/`, and is
//! deleted at the end.

use std::time::{Duration, Instant};

use kv_migrate::{
    Entry, MigrateOptions, PutMode, RedisStore, Rewrite, Store, StoreError, migrate_keys,
};

struct Args {
    keys: usize,
    url: String,
}

fn args() -> Result<Args, String> {
    let mut out = Args {
        keys: 100_000,
        url: "redis://127.0.0.1:6379/0".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let value = it.next().ok_or_else(|| format!("{a} needs a value"))?;
        match a.as_str() {
            "--keys" => out.keys = value.parse().map_err(|e| format!("--keys: {e}"))?,
            "--url" => out.url = value,
            _ => return Err(format!("unknown argument {a}; use --keys N and --url URL")),
        }
    }
    Ok(out)
}

fn all_keys(store: &dyn Store, prefix: &str) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store.list(prefix, cursor.as_deref(), 5000)?;
        out.extend(page.keys);
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

fn delete_under(store: &dyn Store, prefix: &str) -> Result<(), StoreError> {
    for chunk in all_keys(store, prefix)?.chunks(1000) {
        store.delete_many(chunk)?;
    }
    Ok(())
}

fn rate(n: usize, d: Duration) -> String {
    let per_sec = n as f64 / d.as_secs_f64();
    format!("{:>7.2} s  {:>9.0} keys/s", d.as_secs_f64(), per_sec)
}

/// The naive loop: list a page, then for each key one `GET` and one `SET`, each waiting for its
/// reply before the next is sent.
fn naive(redis: &RedisStore, rewrite: &Rewrite, prefix: &str) -> Result<usize, StoreError> {
    let mut cursor: Option<String> = None;
    let mut written = 0;
    loop {
        let page = redis.list(prefix, cursor.as_deref(), 1000)?;
        for key in &page.keys {
            let Some(entry) = redis.get(key)? else {
                continue;
            };
            let Some(new) = rewrite.apply(key) else {
                continue;
            };
            if redis.put(&new, &entry, PutMode::IfAbsent)? {
                written += 1;
            }
        }
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(written),
        }
    }
}

fn main() {
    if let Err(e) = bench() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn bench() -> Result<(), Box<dyn std::error::Error>> {
    let a = args()?;
    let redis = RedisStore::connect(&a.url)?;
    let pid = std::process::id();
    let root = format!("kvbench.{pid}.");
    let name = format!("kvbench-{pid}");
    println!(
        "kv-migrate benchmark: {} keys with 14-byte values in Redis at {}",
        a.keys,
        redis.location()
    );

    let seed: Vec<(String, Entry)> = (0..a.keys)
        .map(|i| {
            (
                format!("{root}user:{i}:profile"),
                Entry::new(format!("profile-{i:06}")),
            )
        })
        .collect();
    for chunk in seed.chunks(1000) {
        redis.put_many(chunk, PutMode::Overwrite)?;
    }

    let result = (|| -> Result<(), Box<dyn std::error::Error>> {
        let mut runs = Vec::new();
        for concurrency in [1, 4] {
            let target = format!("{root}c{concurrency}/");
            let rewrite = Rewrite::new(
                &format!("{root}user:{{id}}:{{rest}}"),
                &format!("{target}users/{{id}}/{{rest}}"),
            )?;
            let mut o =
                MigrateOptions::new(format!("{name}-c{concurrency}"), rewrite.from.prefix());
            o.page_size = 1000;
            o.concurrency = concurrency;
            let start = Instant::now();
            let r = migrate_keys(&redis, &redis, &rewrite, &o)?;
            let took = start.elapsed();
            assert_eq!(r.counts.written, a.keys as u64, "every key written");
            println!(
                "pipelined  migrate_keys, pages of 1000, concurrency {concurrency}: {}",
                rate(a.keys, took)
            );
            runs.push(took);
            delete_under(&redis, &target)?;
            delete_under(&redis, &format!("kv-migrate/{name}-c{concurrency}/"))?;
        }

        let target = format!("{root}naive/");
        let rewrite = Rewrite::new(
            &format!("{root}user:{{id}}:{{rest}}"),
            &format!("{target}users/{{id}}/{{rest}}"),
        )?;
        let start = Instant::now();
        let written = naive(&redis, &rewrite, rewrite.from.prefix())?;
        let took = start.elapsed();
        assert_eq!(written, a.keys, "every key written");
        println!(
            "naive      GET then SET per key, one round trip each:   {}",
            rate(a.keys, took)
        );
        println!(
            "pipelined (concurrency 1) is {:.1}x the naive loop",
            took.as_secs_f64() / runs[0].as_secs_f64()
        );
        Ok(())
    })();
    delete_under(&redis, &root)?;
    for suffix in ["-c1", "-c4"] {
        delete_under(&redis, &format!("kv-migrate/{name}{suffix}/"))?;
    }
    result
}
