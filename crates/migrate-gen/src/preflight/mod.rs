//! `plan --database-url`: a read-only preflight of the pending files against a live database
//! (SPEC section 5). For each pending file: the sizes of the tables it touches (`reltuples`,
//! `pg_relation_size`), what it does to their rows, an estimate of its duration, WAL and disk
//! ([`estimate`]), the locks it takes and how long it holds them at most; then what stands in
//! the way now: transactions older than the lock timeout holding a conflicting lock, invalid
//! indexes, standbys or slots already lagging. With a budget (`--max-duration`, `--max-wal`,
//! `--max-disk`), it refuses (exit 1, with the reason) when the estimate exceeds it.
//!
//! Nothing is written: the session is `default_transaction_read_only`, and the tracking table
//! is only read when it exists.

pub mod estimate;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Args;
use postgres::Client;

use crate::Error;
use crate::manifest::FileEntry;
use crate::runner::{self, db, progress::Progress};
use estimate::{Estimate, TableSize, Work, bytes, seconds};

#[derive(Args, Debug, Clone, Default)]
pub struct LiveArgs {
    /// Preflight the pending files of --out against this database (read-only: sizes,
    /// estimates, locks, blockers).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Refuse when the pending files would take longer than this (e.g. 10m) [needs --database-url].
    #[arg(long, value_parser = estimate::parse_seconds, requires = "database_url")]
    pub max_duration: Option<f64>,
    /// Refuse when they would write more WAL than this (e.g. 5GB) [needs --database-url].
    #[arg(long, value_parser = estimate::parse_bytes, requires = "database_url")]
    pub max_wal: Option<f64>,
    /// The free disk they may take (e.g. 20GB): refuse above it [needs --database-url].
    #[arg(long, value_parser = estimate::parse_bytes, requires = "database_url")]
    pub max_disk: Option<f64>,
    /// A standby replaying more than this behind is a blocker.
    #[arg(long, default_value = "5s", value_parser = estimate::parse_seconds)]
    pub max_replay_lag: f64,
    /// A replication slot retaining more WAL than this is a blocker.
    #[arg(long, default_value = "1GB", value_parser = estimate::parse_bytes)]
    pub max_slot_wal: f64,
    /// How fast this server is against the benchmark machine the model was measured on (2:
    /// twice as fast); divides the estimated durations.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
}

/// A lock mode as `pg_locks.mode` names it, weakest first.
const MODES: [(&str, &str); 8] = [
    ("ACCESS SHARE", "AccessShareLock"),
    ("ROW SHARE", "RowShareLock"),
    ("ROW EXCLUSIVE", "RowExclusiveLock"),
    ("SHARE UPDATE EXCLUSIVE", "ShareUpdateExclusiveLock"),
    ("SHARE", "ShareLock"),
    ("SHARE ROW EXCLUSIVE", "ShareRowExclusiveLock"),
    ("EXCLUSIVE", "ExclusiveLock"),
    ("ACCESS EXCLUSIVE", "AccessExclusiveLock"),
];

/// Whether lock modes `a` and `b` (indexes into [`MODES`]) conflict (PostgreSQL's table).
fn conflicts(a: usize, b: usize) -> bool {
    const TABLE: [[bool; 8]; 8] = {
        let f = false;
        let t = true;
        [
            [f, f, f, f, f, f, f, t],
            [f, f, f, f, f, f, t, t],
            [f, f, f, f, t, t, t, t],
            [f, f, f, t, t, t, t, t],
            [f, f, t, t, f, t, t, t],
            [f, f, t, t, t, t, t, t],
            [f, t, t, t, t, t, t, t],
            [t, t, t, t, t, t, t, t],
        ]
    };
    TABLE[a][b]
}

/// The lock modes named in a `-- Lock:` header line.
fn modes_in(line: &str) -> Vec<usize> {
    let mut rest = line.to_ascii_uppercase();
    let mut found = Vec::new();
    // Longest names first, so that SHARE UPDATE EXCLUSIVE is not read as SHARE.
    let mut order: Vec<usize> = (0..MODES.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(MODES[i].0.len()));
    for i in order {
        while let Some(at) = rest.find(MODES[i].0) {
            found.push(i);
            rest.replace_range(at..at + MODES[i].0.len(), "_");
        }
    }
    found.sort();
    found.dedup();
    found
}

fn header<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    text.lines()
        .take_while(|l| l.starts_with("--") || l.trim().is_empty())
        .find_map(|l| l.strip_prefix(&format!("-- {key}: ")))
}

/// The file's `SET lock_timeout = '...'`, in seconds.
fn lock_timeout(text: &str) -> Option<f64> {
    let at = text.find("SET lock_timeout = '")? + "SET lock_timeout = '".len();
    let end = text[at..].find('\'')?;
    estimate::parse_seconds(&text[at..at + end]).ok()
}

/// `"schema"."table"` names after `REFERENCES`.
fn referenced(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .match_indices("REFERENCES ")
        .filter_map(|(i, _)| {
            let rest = &text[i + "REFERENCES ".len()..];
            let end = rest.find('(')?;
            let name = rest[..end].trim().replace('"', "");
            (!name.is_empty() && !name.contains(' ')).then_some(name)
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn size_of(client: &mut Client, table: &str) -> Result<Option<TableSize>, Error> {
    let row = client
        .query_one(
            "SELECT c.reltuples::float8, pg_catalog.pg_relation_size(c.oid)::float8
             FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass($1)",
            &[&table],
        )
        .ok();
    let Some(row) = row else { return Ok(None) };
    let (tuples, heap): (f64, f64) = (row.get(0), row.get(1));
    Ok(Some(if tuples < 0.0 {
        TableSize {
            rows: heap / 100.0,
            heap_bytes: heap,
            guessed: true,
        }
    } else {
        TableSize {
            rows: tuples,
            heap_bytes: heap,
            guessed: false,
        }
    }))
}

/// One pending file's estimate.
#[derive(Debug, Clone)]
pub struct FilePlan {
    pub name: String,
    pub estimate: Estimate,
}

/// What `plan --database-url` found for one folder.
#[derive(Debug, Clone)]
pub struct Report {
    pub text: String,
    /// Why it refuses: a budget exceeded.
    pub refusal: Option<String>,
    pub files: Vec<FilePlan>,
    pub warnings: Vec<String>,
}

/// `plan --database-url` for the folder `dir`.
pub fn run(args: &LiveArgs, dir: &Path) -> Result<Report, Error> {
    let url = args.database_url.as_deref().unwrap_or_default();
    let manifest = runner::load(dir)?;
    let mut client = runner::connect(url, &Progress::default())?;
    client
        .batch_execute(
            "SET default_transaction_read_only = on; SET statement_timeout = '30s'; SET lock_timeout = '1s'",
        )
        .map_err(db)?;
    let records = runner::records(&mut client)?;
    let pending: Vec<&FileEntry> = manifest
        .files
        .iter()
        .filter(|f| !records.iter().any(|r| r.number == f.number && r.finished))
        .collect();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} of {} files pending (read-only preflight; durations at speed {})",
        dir.display(),
        pending.len(),
        manifest.files.len(),
        args.speed
    );
    let mut plans = Vec::new();
    let mut warnings = Vec::new();
    let mut total = Estimate::default();
    let mut longest_hold: Option<(f64, String)> = None;
    for f in &pending {
        let name = manifest.names(f).0;
        let path = dir.join(&name);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let work = Work::of(&text);
        let size = size_of(&mut client, &f.table)?;
        let est = estimate::estimate(&work, size.unwrap_or_default(), args.speed);
        total += est;
        let size_text = match size {
            None => "not there yet".to_owned(),
            Some(s) => format!(
                "{} rows{}, {}",
                s.rows.round(),
                if s.guessed {
                    " (never analyzed: guessed from its size)"
                } else {
                    ""
                },
                bytes(s.heap_bytes)
            ),
        };
        let _ = writeln!(
            out,
            "\n{name}  {}  {} ({size_text})",
            f.phase.as_str(),
            f.table
        );
        for other in referenced(&text) {
            if other != f.table
                && let Some(s) = size_of(&mut client, &other)?
            {
                let _ = writeln!(
                    out,
                    "  also touches {other} ({} rows, {})",
                    s.rows.round(),
                    bytes(s.heap_bytes)
                );
            }
        }
        let _ = writeln!(out, "  work: {}", work.describe());
        let _ = writeln!(
            out,
            "  estimate: {}, WAL {}, disk {}",
            seconds(est.seconds),
            bytes(est.wal_bytes),
            bytes(est.disk_bytes)
        );
        let timeout = lock_timeout(&text).unwrap_or(1.0);
        let lock_line = header(&text, "Lock").unwrap_or("(no Lock line in the header)");
        // A lock held "while" the work runs lasts as long as the file; a brief one, for its
        // catalog statements (after waiting at most lock_timeout for it).
        let long = lock_line.contains("while") || lock_line.contains("one batch at a time");
        let hold = if long || !work.is_catalog_only() {
            est.seconds
        } else {
            estimate::k::FIXED_S
        };
        let _ = writeln!(
            out,
            "  locks: {lock_line}\n         held at most about {}; each is waited for at most lock_timeout {}, then the file gives up (and is retried)",
            seconds(hold),
            seconds(timeout)
        );
        if longest_hold.as_ref().is_none_or(|(s, _)| hold > *s) {
            longest_hold = Some((hold, name.clone()));
        }
        blockers_for(
            &mut client,
            &name,
            f,
            &text,
            &modes_in(lock_line),
            timeout,
            &work,
            &mut warnings,
        )?;
        plans.push(FilePlan {
            name,
            estimate: est,
        });
    }
    server_blockers(&mut client, args, &mut warnings)?;
    let _ = writeln!(
        out,
        "\ntotal: {}, WAL {}, disk {}{}",
        seconds(total.seconds),
        bytes(total.wal_bytes),
        bytes(total.disk_bytes),
        longest_hold
            .map(|(s, n)| format!("; the longest lock hold about {} ({n})", seconds(s)))
            .unwrap_or_default()
    );
    // The versions of the application connected now: a pending contract waits for the older.
    let contract_version = pending
        .iter()
        .filter(|f| f.phase == schema_core::plan::Phase::Contract)
        .map(|f| f.version)
        .min();
    let connected = runner::sessions::sessions(&mut client)?;
    let _ = writeln!(
        out,
        "{}",
        runner::sessions::describe(&connected, contract_version)
    );
    if warnings.is_empty() {
        let _ = writeln!(out, "blockers now: none");
    } else {
        let _ = writeln!(out, "blockers now:");
        for w in &warnings {
            let _ = writeln!(out, "  warning: {w}");
        }
    }
    // Budgets.
    let mut over = Vec::new();
    let biggest = |key: fn(&Estimate) -> f64| {
        plans
            .iter()
            .max_by(|a, b| key(&a.estimate).total_cmp(&key(&b.estimate)))
            .map(|p| p.name.clone())
            .unwrap_or_default()
    };
    if let Some(max) = args.max_duration
        && total.seconds > max
    {
        over.push(format!(
            "the estimated duration {} exceeds --max-duration {} (most in {})",
            seconds(total.seconds),
            seconds(max),
            biggest(|e| e.seconds)
        ));
    }
    if let Some(max) = args.max_wal
        && total.wal_bytes > max
    {
        over.push(format!(
            "the estimated WAL {} exceeds --max-wal {} (most in {})",
            bytes(total.wal_bytes),
            bytes(max),
            biggest(|e| e.wal_bytes)
        ));
    }
    if let Some(max) = args.max_disk
        && total.disk_bytes > max
    {
        over.push(format!(
            "not enough free disk: the estimated {} exceeds --max-disk {} (most in {})",
            bytes(total.disk_bytes),
            bytes(max),
            biggest(|e| e.disk_bytes)
        ));
    }
    let refusal = (!over.is_empty()).then(|| format!("over budget: {}", over.join("; ")));
    Ok(Report {
        text: out.trim_end().to_owned(),
        refusal,
        files: plans,
        warnings,
    })
}

/// Transactions older than the lock timeout that hold a lock conflicting with the file's, on
/// the tables it touches; for an index build, any transaction older than that (the build
/// waits for it to end).
fn blockers_for(
    client: &mut Client,
    name: &str,
    file: &FileEntry,
    text: &str,
    modes: &[usize],
    timeout: f64,
    work: &Work,
    warnings: &mut Vec<String>,
) -> Result<(), Error> {
    let mut tables = vec![file.table.clone()];
    tables.extend(referenced(text));
    tables.dedup();
    for table in &tables {
        let rows = client
            .query(
                "SELECT l.pid, l.mode, coalesce(a.application_name, ''), coalesce(a.state, ''),
                        extract(epoch FROM pg_catalog.now() - a.xact_start)::float8
                 FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
                 WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_catalog.pg_backend_pid()
                   AND l.relation = pg_catalog.to_regclass($1) AND a.xact_start IS NOT NULL
                   AND pg_catalog.now() - a.xact_start > pg_catalog.make_interval(secs => $2)
                 ORDER BY a.xact_start",
                &[table, &timeout],
            )
            .map_err(db)?;
        for r in rows {
            let (pid, mode, app, state, age): (i32, String, String, String, f64) =
                (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
            let Some(held) = MODES.iter().position(|m| m.1 == mode) else {
                continue;
            };
            if let Some(&mine) = modes.iter().find(|&&m| conflicts(m, held)) {
                warnings.push(format!(
                    "{name}: pid {pid}{} ({state}, transaction open {}) holds {} on {table}, which conflicts with the file's {}: longer than lock_timeout {}, so the file would give up on its lock (and be retried) until that transaction ends",
                    if app.is_empty() { String::new() } else { format!(" {app:?}") },
                    seconds(age),
                    MODES[held].0,
                    MODES[mine].0,
                    seconds(timeout)
                ));
            }
        }
    }
    if work.index_builds > 0 {
        let rows = client
            .query(
                "SELECT pid, coalesce(application_name, ''), extract(epoch FROM pg_catalog.now() - xact_start)::float8
                 FROM pg_catalog.pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_catalog.pg_backend_pid() AND xact_start IS NOT NULL
                   AND pg_catalog.now() - xact_start > pg_catalog.make_interval(secs => $1)
                 ORDER BY xact_start LIMIT 3",
                &[&timeout],
            )
            .map_err(db)?;
        for r in rows {
            let (pid, app, age): (i32, String, f64) = (r.get(0), r.get(1), r.get(2));
            warnings.push(format!(
                "{name}: the concurrent index build waits for every older transaction: pid {pid}{} has been open {}",
                if app.is_empty() { String::new() } else { format!(" {app:?}") },
                seconds(age)
            ));
        }
    }
    Ok(())
}

/// Invalid indexes, lagging standbys and slots.
fn server_blockers(
    client: &mut Client,
    args: &LiveArgs,
    warnings: &mut Vec<String>,
) -> Result<(), Error> {
    let rows = client
        .query(
            "SELECT i.indexrelid::pg_catalog.regclass::text, i.indrelid::pg_catalog.regclass::text
             FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE NOT i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema')
             ORDER BY 1",
            &[],
        )
        .map_err(db)?;
    for r in rows {
        let (index, table): (String, String) = (r.get(0), r.get(1));
        warnings.push(format!(
            "invalid index {index} on {table} (left by a failed concurrent build): it costs writes and serves no reads; a file that builds it with IF NOT EXISTS would keep it invalid: drop it (DROP INDEX CONCURRENTLY) or rebuild it (REINDEX INDEX CONCURRENTLY)"
        ));
    }
    let standby: bool = client
        .query_one("SELECT pg_catalog.pg_is_in_recovery()", &[])
        .map_err(db)?
        .get(0);
    if standby {
        warnings.push(
            "this server is a standby: migrations run on the primary; plan against it".into(),
        );
        return Ok(());
    }
    let rows = client
        .query(
            "SELECT coalesce(application_name, client_addr::text, pid::text),
                    coalesce(extract(epoch FROM replay_lag), 0)::float8
             FROM pg_catalog.pg_stat_replication ORDER BY 1",
            &[],
        )
        .map_err(db)?;
    for r in rows {
        let (name, lag): (String, f64) = (r.get(0), r.get(1));
        if lag > args.max_replay_lag {
            warnings.push(format!(
                "standby {name} is already {} behind in replay (> --max-replay-lag {}): batched writes would wait for it",
                seconds(lag),
                seconds(args.max_replay_lag)
            ));
        }
    }
    let rows = client
        .query(
            "SELECT slot_name::text, active,
                    pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), restart_lsn)::float8
             FROM pg_catalog.pg_replication_slots WHERE restart_lsn IS NOT NULL ORDER BY 1",
            &[],
        )
        .map_err(db)?;
    for r in rows {
        let (slot, active, retained): (String, bool, f64) = (r.get(0), r.get(1), r.get(2));
        if retained > args.max_slot_wal {
            warnings.push(format!(
                "replication slot {slot}{} already retains {} of WAL (> --max-slot-wal {}): the migration's WAL adds to it",
                if active { "" } else { " (inactive)" },
                bytes(retained),
                bytes(args.max_slot_wal)
            ));
        }
    }
    Ok(())
}

/// The migrations folder of `plan --database-url`: `--out`, else `SRC/sql`, else the one
/// folder of `[workspace.metadata.migrate-gen]`.
pub fn folders(src: Option<&Path>, out: Option<&Path>) -> Result<Vec<PathBuf>, Error> {
    if let Some(out) = out {
        return Ok(vec![out.to_owned()]);
    }
    if let Some(src) = src {
        return Ok(vec![if src.is_file() {
            src.parent().unwrap_or(Path::new(".")).join("sql")
        } else {
            src.join("sql")
        }]);
    }
    let cwd = std::env::current_dir().map_err(|e| Error::msg(e.to_string()))?;
    Ok(crate::config::find(&cwd)?
        .into_iter()
        .map(|t| t.out)
        .collect())
}

/// Runs `plan --database-url` for each folder; an error after the report when over budget.
pub fn plan(args: &LiveArgs, src: Option<&Path>, out: Option<&Path>) -> Result<String, Error> {
    let mut text = Vec::new();
    let mut refusals = Vec::new();
    for dir in folders(src, out)? {
        let report = run(args, &dir)?;
        text.push(report.text);
        refusals.extend(report.refusal);
    }
    let text = text.join("\n\n");
    match refusals.first() {
        None => Ok(text),
        Some(reason) => {
            crate::output::print(&text)?;
            Err(Error::msg(reason.clone()))
        }
    }
}
