//! Key-format migrations for key-value stores (SPEC section 9): `user:42:profile` becomes
//! `users/42/profile` in Redis, an object store (a local directory, S3, R2...) or any [`Store`].
//!
//! ```no_run
//! use kv_migrate::{MigrateOptions, RedisStore, Rewrite, migrate_keys};
//!
//! let redis = RedisStore::connect("redis://127.0.0.1:6379/0")?;
//! let rewrite = Rewrite::new("user:{id}:{rest}", "users/{id}/{rest}")?;
//! let options = MigrateOptions::new("users-v2", rewrite.from.prefix());
//! let report = migrate_keys(&redis, &redis, &rewrite, &options)?;
//! println!("{} written, {} failed", report.counts.written, report.counts.failed);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! - [`migrate_keys`] pages through the source by cursor, applies the [`Transform`] (a
//!   [`Rewrite`] of key patterns, or any closure through [`transform_fn`], which may change the
//!   value too), and writes each new key only if it is absent: it never deletes and never
//!   overwrites. It returns a [`Report`]: scanned, written, already present, skipped (the
//!   transform returned `None`), vanished, and failed with each key and error.
//! - **Resumable.** After every page the checkpoint (cursor and counts) is saved in the target
//!   store, or in the store given as `options.state` (a directory, say). The journal of a page,
//!   saved before its values, records the new keys the page writes, so a run killed at any point
//!   and started again continues from the checkpoint, recognises its own new keys, and ends with
//!   every key migrated once and the counts true.
//! - **Retention.** The old keys stay. [`cleanup`] deletes them only after the retention window
//!   (`options.retention`, default 7 days) has passed since completion, and only when every old
//!   key has its new key holding the transformed value, read back and compared. [`rollback`]
//!   deletes the new keys the migration wrote and keeps the old ones.

mod counts;
mod duration;
mod error;
mod lifecycle;
mod memory;
mod migrate;
mod object;
mod open;
mod pattern;
mod redact;
mod redis_store;
mod state;
mod store;

pub use duration::{format_duration, parse_duration};
pub use error::Error;
pub use lifecycle::{CleanupReport, RollbackReport, cleanup, cleanup_at, rollback, status};
pub use memory::MemoryStore;
pub use migrate::{
    DEFAULT_RETENTION, FnTransform, MigrateOptions, OnError, Report, Transform, migrate_keys,
    transform_fn,
};
pub use object::ObjectStoreKv;
pub use open::open_store;
pub use pattern::{KeyPattern, PatternError, Rewrite};
pub use redact::{MASK, redact};
pub use redis_store::RedisStore;
pub use state::{Checkpoint, Counts, Failure, Journal, STATE_ROOT, Status};
pub use store::{Batch, Entry, Page, PutMode, Store, StoreError, count_keys};

/// Re-exported so that users can build an [`ObjectStoreKv`] over S3, R2, GCS or Azure.
pub use object_store;
