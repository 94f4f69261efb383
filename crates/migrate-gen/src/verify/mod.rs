//! `verify`: the proof our round-trip tests make, for any crate's migrations, on a scratch
//! database (SPEC sections 5 and 7).
//!
//! In a fresh database created on the server of `--database-url` (and dropped afterwards,
//! failure or not), every file runs forward in order with rows generated from each version's
//! model; after each file the statements of the versions that must work at that point
//! (insert, select by key, update, with the version's own column names, through its view where
//! it has one) run, and a background writer switches from the old version to the new one at the
//! deploy. Then every rollback runs, newest first, the catalog and data checked against the
//! state before each step, and everything runs forward again. The integration tests call
//! [`round_trip::round_trip`] with `psql -f` as the file runner; `verify` runs files itself.

pub mod cli;
pub mod round_trip;
pub mod rows;
pub mod snapshot;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use kv_migrate::redact;
use postgres::{Client, NoTls};
use schema_core::plan::Phase;

use crate::Error;
use crate::manifest::Manifest;
pub use round_trip::{Options, RunFile, Summary, round_trip};
pub use rows::{data_digest, seed, write_row};
pub use snapshot::catalog;
pub use writer::{Role, Tracked, Writer, Writes};

/// A database of its own on a server, dropped when this goes out of scope.
pub struct ScratchDb {
    pub name: String,
    admin: postgres::Config,
    config: postgres::Config,
}

impl ScratchDb {
    /// Creates `{label}_{pid}_{n}_{nanos}` on the server of `admin` (whose own database is
    /// where the `CREATE DATABASE` is sent from).
    pub fn create(admin: &postgres::Config, label: &str) -> Result<ScratchDb, String> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "{label}_{}_{}_{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let mut client = admin
            .connect(NoTls)
            .map_err(|e| format!("cannot connect: {}", rows::one_line(&e)))?;
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .map_err(|e| {
                format!(
                    "cannot create the scratch database {name}: {}",
                    rows::one_line(&e)
                )
            })?;
        let mut config = admin.clone();
        config.dbname(&name);
        Ok(ScratchDb {
            name,
            admin: admin.clone(),
            config,
        })
    }

    /// The connection settings of the scratch database.
    pub fn config(&self) -> &postgres::Config {
        &self.config
    }

    pub fn client(&self) -> Result<Client, String> {
        self.config
            .connect(NoTls)
            .map_err(|e| format!("cannot connect to {}: {}", self.name, rows::one_line(&e)))
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = self.admin.connect(NoTls) {
            // DROP DATABASE cannot share a message with another statement.
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Runs a migration file's statements one by one on `client`, as `psql -f` would (a
/// transactional file's own `BEGIN`/`COMMIT` make its transaction). On failure, an open
/// transaction is rolled back and the error names the statement.
pub fn run_statements(client: &mut Client, path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    for (i, stmt) in crate::runner::split::statements(&text).iter().enumerate() {
        if let Err(e) = client.batch_execute(stmt) {
            let _ = client.batch_execute("ROLLBACK");
            let shown: String = stmt
                .lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join(" ");
            let shown = shown.split_whitespace().collect::<Vec<_>>().join(" ");
            let shown = if shown.chars().count() > 160 {
                format!("{}...", shown.chars().take(160).collect::<String>())
            } else {
                shown
            };
            return Err(format!(
                "statement {} `{shown}`: {}",
                i + 1,
                rows::one_line(&e)
            ));
        }
    }
    Ok(())
}

/// `verify`'s arguments.
#[derive(Debug, Clone)]
pub struct VerifyArgs {
    /// A server where a scratch database may be created (its own database is not touched).
    pub database_url: String,
    /// Migrations folders and the crates whose structs describe them.
    pub targets: Vec<(PathBuf, PathBuf)>,
    pub rows: i64,
}

/// Verifies each `(src, dir)`: one line per file, then a verdict; the error names the first
/// file, version and statement that failed (after the lines so far, on stdout).
pub fn verify(args: &VerifyArgs, log: &mut dyn FnMut(&str)) -> Result<String, Error> {
    let admin: postgres::Config = args.database_url.parse().map_err(|e| {
        Error::msg(redact(&format!(
            "--database-url is not a valid connection string ({e}): expected a postgres:// URL or key=value pairs (host=... port=... dbname=...)"
        )))
    })?;
    let mut admin = admin;
    if admin.get_dbname().is_none() {
        admin.dbname("postgres");
    }
    admin.application_name("migrate-gen verify");
    admin.connect_timeout(std::time::Duration::from_secs(10));
    let mut verdicts = Vec::new();
    for (src, dir) in &args.targets {
        // Either layout: the files are named by the manifest.
        if !dir.is_dir() {
            return Err(Error::msg(format!(
                "--dir {}: no such directory",
                dir.display()
            )));
        }
        let manifest = Manifest::load(dir)?;
        let histories = crate::source::load(src)?;
        let db =
            ScratchDb::create(&admin, "migrate_gen_verify").map_err(|e| Error::msg(redact(&e)))?;
        log(&format!(
            "{}: {} files, {} rows per table, in the scratch database {}",
            dir.display(),
            manifest.files.len(),
            args.rows,
            db.name
        ));
        let mut files = db.client().map_err(Error::msg)?;
        let mut run_file = |path: &Path| run_statements(&mut files, path);
        let opts = Options {
            rows: args.rows,
            background_writer: true,
        };
        let contracts = manifest
            .files
            .iter()
            .filter(|f| f.phase == Phase::Contract)
            .count();
        match round_trip(db.config(), dir, &histories, &mut run_file, &opts, log) {
            Ok(summary) => verdicts.push(format!(
                "verified {}: {} files forward ({} contract), back and forward again; every version's code wrote after every file",
                dir.display(),
                summary.files,
                contracts
            )),
            Err(e) => {
                return Err(Error::msg(redact(&format!(
                    "verify failed in {}: {e}",
                    dir.display()
                ))));
            }
        }
    }
    Ok(verdicts.join("\n"))
}

/// The migrations of the version step after the first `created` steps (every table's step at
/// that version), for [`with_background_writer`]: its old and new code are the writer's two
/// roles.
pub fn files_after(manifest: &Manifest, created: usize) -> Vec<crate::manifest::FileEntry> {
    let steps = round_trip::steps(manifest);
    let Some(version) = steps.get(created).map(|(_, v, _)| *v) else {
        return Vec::new();
    };
    steps
        .into_iter()
        .skip(created)
        .take_while(|(_, v, _)| *v == version)
        .flat_map(|(_, _, f)| f)
        .collect()
}

/// Applies the files of `dir` after its first `created` steps, file by file and then back,
/// while a writer keeps inserting and updating rows: as the old code until the deploy (before
/// the first contract file), as the new code after it, and as the old code again once the
/// rollback reaches the expand files (or is done). None of its statements fails, and every
/// value it wrote is there at the end: after the forward run under `forward[column]` (when
/// that column still exists), after the rollback under `back[column]`. A column is one of the
/// old code's table, or named with its table (`schema.table.column`).
pub fn with_background_writer(
    config: &postgres::Config,
    dir: &Path,
    created: usize,
    seed: &str,
    old: Writes,
    new: Writes,
    forward: &[(&str, &str)],
    back: &[(&str, &str)],
    run_file: &mut RunFile,
) -> Result<(), String> {
    let manifest = Manifest::load(dir).map_err(|e| e.to_string())?;
    let connect = || {
        config
            .connect(NoTls)
            .map_err(|e| format!("connecting: {}", rows::one_line(&e)))
    };
    let mut client = connect()?;
    for (_, _, files) in round_trip::steps(&manifest).iter().take(created) {
        for f in files {
            run_file(&dir.join(manifest.names(f).0))?;
        }
    }
    client
        .batch_execute(seed)
        .map_err(|e| format!("seeding: {}", rows::one_line(&e)))?;
    let tracked = Tracked::start(connect()?, old, new);
    let w = &tracked.writer;
    let files = files_after(&manifest, created);
    // The old code writes for a while before the first file too.
    std::thread::sleep(std::time::Duration::from_millis(300));
    for f in &files {
        if f.phase == Phase::Contract && w.role() == Role::Old {
            w.switch(Role::New); // the deploy
        }
        let name = manifest.names(f).0;
        run_file(&dir.join(&name)).map_err(|e| format!("{name} failed: {e}"))?;
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    w.switch(Role::Paused);
    let missing = tracked.missing(&mut client, forward);
    if !missing.is_empty() {
        return Err(format!("after the forward run: {missing:?}"));
    }
    w.switch(Role::New);
    for f in files.iter().rev() {
        if f.phase != Phase::Contract && w.role() == Role::New {
            w.switch(Role::Old); // the deploy is rolled back before the expand files are
        }
        let name = manifest.names(f).1;
        run_file(&dir.join(&name)).map_err(|e| format!("{name} failed: {e}"))?;
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // The old code is back (after rolling back contract files only, its deploy is undone now).
    w.switch(Role::Old);
    std::thread::sleep(std::time::Duration::from_millis(300));
    w.switch(Role::Paused);
    let written = tracked.written();
    let missing = tracked.missing(&mut client, back);
    let failures = tracked.writer.finish();
    if !failures.is_empty() {
        return Err(format!(
            "the writer's statements all succeeded, but: {failures:?}"
        ));
    }
    if !missing.is_empty() {
        return Err(format!("after the rollback: {missing:?}"));
    }
    if written <= 200 {
        return Err(format!("the writer kept writing: {written} values"));
    }
    Ok(())
}
