//! The command line: its options (clap), and the dispatch of a parsed command line to the
//! library. The binary parses, calls [`run`], and prints.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};
use schema_core::plan::PlanOptions;

use crate::generate::{self, GenerateArgs, Outcome, generate};
use crate::manifest::Layout;
use crate::{Error, config, drift, import, kv, lint, output, report, runner, source};

#[derive(Parser, Debug)]
#[command(
    name = "migrate-gen",
    version,
    about = "Zero-downtime PostgreSQL migrations from #[versioned] Rust structs",
    long_about = "Zero-downtime PostgreSQL migrations from #[versioned] Rust structs.\n\n\
                  Without a command, generates for the crates listed in the workspace's \
                  [workspace.metadata.migrate-gen] (or for this crate, with its \
                  [package.metadata.migrate-gen]) and says whether everything is up to date."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write the migrations that the structs hold and no file covers yet (only appends).
    Generate(GenerateCmd),
    /// Show the pending steps: phase, lock, whether the table is rewritten or scanned, risk;
    /// with --database-url, a read-only preflight: sizes, estimates, locks, blockers now.
    Plan(PlanCmd),
    /// Apply pending migrations in order, recorded in migrate_gen.applied.
    Apply(ApplyCmd),
    /// Run the rollbacks of applied migrations above --to, newest first.
    Rollback(RollbackCmd),
    /// Show applied and pending migrations and anything that needs attention (exit 1).
    Status(StatusCmd),
    /// The archives of dropped columns and tables: list them, or remove those whose retention has passed.
    Archive(ArchiveCmd),
    /// Key-format migrations of key-value stores: migrate, status, cleanup, rollback.
    Kv(kv::KvCmd),
    /// squawk's rules on SQL files or folders of them, hand-written ones too (exit 1 on findings).
    Lint(LintCmd),
    /// Write one #[versioned(..., version = 1)] struct per table of a live schema.
    Import(ImportCmd),
    /// Record version 1's files as applied without running them, once the catalog matches.
    Baseline(BaselineCmd),
    /// Compare the live catalog with the model at the applied version (exit 1 on a difference).
    Drift(DriftCmd),
    /// Prove the migrations on a scratch database: both versions' code after every file, a
    /// background writer, every rollback, forward again (exit 1 naming what failed).
    Verify(crate::verify::cli::VerifyCmd),
}

#[derive(Args, Debug)]
pub struct ImportCmd {
    /// PostgreSQL URL [default: $DATABASE_URL].
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
    /// The schema whose tables are imported.
    #[arg(long, default_value = "public")]
    pub schema: String,
    /// The .rs file to write.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct BaselineCmd {
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// The crate directory or .rs file of the structs [default: the crate that
    /// [workspace.metadata.migrate-gen] maps to --dir].
    #[arg(long)]
    pub src: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct DriftCmd {
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// The crate directory or .rs file of the structs [default: the crate that
    /// [workspace.metadata.migrate-gen] maps to --dir].
    #[arg(long)]
    pub src: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct LintCmd {
    /// SQL files, or folders whose .sql files are read.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct SourceArgs {
    /// The crate directory (its src/ is read) or one .rs file.
    #[arg(long)]
    pub src: PathBuf,
    /// The migrations folder [default: SRC/sql, or sql beside a .rs file].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct TuningArgs {
    /// The most rows a batched write (backfill, column fill, archive copy, rollback refill)
    /// takes per batch; each batch is its own transaction.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: u32,
    /// The time each batch aims at: the batch size grows or shrinks toward it (0: always
    /// --batch-size).
    #[arg(long, default_value = "20ms", value_parser = duration_text)]
    pub batch_target: String,
    /// How long a statement may wait for a lock before it fails instead of queueing traffic.
    #[arg(long, default_value = "1s")]
    pub lock_timeout: String,
    /// Limit for the statements of catalog-only files.
    #[arg(long, default_value = "30s")]
    pub statement_timeout: String,
    /// How long a dropped column's values or a dropped table are kept in the archive (a PostgreSQL interval).
    #[arg(long, default_value = "7 days")]
    pub archive_retention: String,
}

/// The replication bounds written into generated batched writes (`generate` only: `plan
/// --database-url` has its own `--max-replay-lag` and `--max-slot-wal`, the blockers it reports).
#[derive(Args, Debug, Clone)]
pub struct BoundArgs {
    /// Between batches, wait while a streaming standby's replay lag is above this (0: never).
    #[arg(long, default_value = "5s", value_parser = duration_text)]
    pub max_replay_lag: String,
    /// Stop the batched write, resumably, when a standby's replay lag is above this (0: never).
    #[arg(long, default_value = "5m", value_parser = duration_text)]
    pub stop_replay_lag: String,
    /// Between batches, wait while a replication slot retains more WAL than this (0: never).
    #[arg(long, default_value = "1GB", value_parser = size_text)]
    pub max_slot_wal: String,
    /// Stop the batched write, resumably, when a replication slot retains more WAL than this
    /// (0: never).
    #[arg(long, default_value = "10GB", value_parser = size_text)]
    pub stop_slot_wal: String,
}

impl TuningArgs {
    /// The options, with the replication bounds of `bounds`.
    fn options_with(&self, b: &BoundArgs) -> PlanOptions {
        let mut options = self.options();
        options.pacing.max_replay_lag = b.max_replay_lag.clone();
        options.pacing.stop_replay_lag = b.stop_replay_lag.clone();
        options.pacing.max_slot_wal = b.max_slot_wal.clone();
        options.pacing.stop_slot_wal = b.stop_slot_wal.clone();
        options
    }

    fn options(&self) -> PlanOptions {
        PlanOptions {
            pacing: schema_core::sql::raw::Pacing {
                batch_size: self.batch_size,
                batch_target: self.batch_target.clone(),
                ..schema_core::sql::raw::Pacing::default()
            },
            lock_timeout: self.lock_timeout.clone(),
            statement_timeout: self.statement_timeout.clone(),
            archive_retention: self.archive_retention.clone(),
        }
    }
}

#[derive(Args, Debug)]
pub struct GenerateCmd {
    #[command(flatten)]
    pub source: SourceArgs,
    #[arg(long, value_enum, default_value_t = Layout::Plain)]
    pub layout: Layout,
    /// Date written in the headers [default: today, UTC].
    #[arg(long)]
    pub date: Option<String>,
    /// Author written in the headers [default: $USER].
    #[arg(long)]
    pub author: Option<String>,
    /// Write nothing; fail when a change has no migration or an emitted file was edited.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub tuning: TuningArgs,
    #[command(flatten)]
    pub bounds: BoundArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhaseArg {
    /// Everything pending except the contract files of the newest pending release.
    Expand,
    /// The pending contract files, once nothing else is pending (after the deploy).
    Contract,
    /// Everything pending.
    All,
}

#[derive(Args, Debug, Clone)]
pub struct DatabaseArgs {
    /// PostgreSQL URL [default: $DATABASE_URL].
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
    /// The migrations folder (with migrations.lock).
    #[arg(long)]
    pub dir: PathBuf,
}

/// The databases of `apply`, `rollback` and `status`: one, or a fleet.
#[derive(Args, Debug, Clone)]
pub struct RunnerDbArgs {
    /// PostgreSQL URL [default: $DATABASE_URL]; or --targets for many databases.
    #[arg(
        long,
        env = "DATABASE_URL",
        hide_env_values = true,
        required_unless_present = "targets"
    )]
    pub database_url: Option<String>,
    /// The migrations folder (with migrations.lock).
    #[arg(long)]
    pub dir: PathBuf,
    /// Many databases instead of one: a file with one connection string a line, or a TOML
    /// file of waves run in order ([[wave]] with name, parallel, targets = [...]).
    #[arg(long, value_name = "FILE")]
    pub targets: Option<PathBuf>,
    /// With --targets: databases run at once (a wave's own `parallel` wins) [default: 1].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub parallel: Option<u32>,
    /// With --targets: once this many databases failed, start no other (those running
    /// finish) [default: 1].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_failures: Option<u32>,
}

impl RunnerDbArgs {
    /// The fleet of `--targets`, if given.
    fn fleet(&self) -> Result<Option<runner::fleet::Fleet>, Error> {
        let Some(path) = &self.targets else {
            return Ok(None);
        };
        Ok(Some(runner::fleet::Fleet {
            waves: runner::targets::read_targets(path, self.parallel.unwrap_or(1) as usize)?,
            max_failures: self.max_failures.unwrap_or(1) as usize,
        }))
    }

    /// What clap cannot say: `--targets` with a `--database-url` given on the command line
    /// (`$DATABASE_URL` is fine: --targets replaces it), or a fleet option without --targets.
    fn check(&self) -> Result<(), String> {
        if self.targets.is_some() {
            let from_env = std::env::var("DATABASE_URL").ok();
            if self.database_url.is_some() && self.database_url != from_env {
                return Err(
                    "the argument '--targets <FILE>' cannot be used with '--database-url <DATABASE_URL>'"
                        .into(),
                );
            }
        } else if self.parallel.is_some() || self.max_failures.is_some() {
            let name = if self.parallel.is_some() {
                "--parallel"
            } else {
                "--max-failures"
            };
            return Err(format!(
                "{name} is for many databases: it needs --targets FILE"
            ));
        }
        Ok(())
    }
}

impl Cli {
    /// The checks between options that clap does not make; the message is for an exit 2.
    pub fn check(&self) -> Result<(), String> {
        match &self.command {
            Some(Command::Apply(cmd)) => cmd.db.check(),
            Some(Command::Rollback(cmd)) => cmd.db.check(),
            Some(Command::Status(cmd)) => cmd.db.check(),
            _ => Ok(()),
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Fail at once when another run holds the migration lock, instead of waiting.
    #[arg(long)]
    pub no_wait: bool,
    /// Run files whose checksum changed since they were generated or applied.
    #[arg(long)]
    pub accept_edited: bool,
    /// How long to keep retrying a file that gives up on a lock (lock_timeout), e.g. 300s, 10m.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub lock_retry_budget: std::time::Duration,
    /// Each attempt at a table lock gives up after this (then retries within the budget), and
    /// before each attempt the runner waits, without queueing, while another session holds a
    /// lock on the table in a transaction older than this (0: the file's lock_timeout, no
    /// waiting).
    #[arg(long, default_value = "50ms", value_parser = parse_duration)]
    pub lock_attempt_timeout: std::time::Duration,
    #[command(flatten)]
    pub pacing: PacingArgs,
}

/// The pacing of batched writes for this run, overriding what their files were generated
/// with (files generated before pacing existed ignore them).
#[derive(Args, Debug, Clone, Default)]
pub struct PacingArgs {
    /// The most rows per batch [default: the file's --batch-size].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch_size: Option<u32>,
    /// The time each batch aims at [default: the file's, 20ms].
    #[arg(long, value_parser = duration_text)]
    pub batch_target: Option<String>,
    /// Wait between batches while a standby's replay lag is above this [default: the file's, 5s].
    #[arg(long, value_parser = duration_text)]
    pub max_replay_lag: Option<String>,
    /// Stop, resumably, when a standby's replay lag is above this [default: the file's, 5m].
    #[arg(long, value_parser = duration_text)]
    pub stop_replay_lag: Option<String>,
    /// Wait between batches while a slot retains more WAL than this [default: the file's, 1GB].
    #[arg(long, value_parser = size_text)]
    pub max_slot_wal: Option<String>,
    /// Stop, resumably, when a slot retains more WAL than this [default: the file's, 10GB].
    #[arg(long, value_parser = size_text)]
    pub stop_slot_wal: Option<String>,
}

impl PacingArgs {
    /// The `migrate_gen.*` session settings the runner makes before it runs files.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        use schema_core::sql::raw::setting;
        [
            (setting::BATCH_SIZE, self.batch_size.map(|n| n.to_string())),
            (setting::BATCH_TARGET, self.batch_target.clone()),
            (setting::MAX_REPLAY_LAG, self.max_replay_lag.clone()),
            (setting::STOP_REPLAY_LAG, self.stop_replay_lag.clone()),
            (setting::MAX_SLOT_WAL, self.max_slot_wal.clone()),
            (setting::STOP_SLOT_WAL, self.stop_slot_wal.clone()),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| (name, v)))
        .collect()
    }
}

/// A duration (`500ms`, `5s`, `5m`, `1h`, `0`) as a PostgreSQL interval's text.
fn duration_text(s: &str) -> Result<String, String> {
    let ms = (crate::preflight::estimate::parse_seconds(s)? * 1000.0).round() as u64;
    Ok(match ms {
        0 => "0".into(),
        _ if ms % 60_000 == 0 => format!("{}min", ms / 60_000),
        _ if ms % 1000 == 0 => format!("{}s", ms / 1000),
        _ => format!("{ms}ms"),
    })
}

/// A size (`500MB`, `1GB`, `0`) as the bytes `pg_size_bytes` reads.
fn size_text(s: &str) -> Result<String, String> {
    let bytes = crate::preflight::estimate::parse_bytes(s)?.round() as u64;
    let units = [
        (1u64 << 40, "TB"),
        (1 << 30, "GB"),
        (1 << 20, "MB"),
        (1 << 10, "kB"),
    ];
    Ok(units
        .iter()
        .find(|(unit, _)| bytes > 0 && bytes % unit == 0)
        .map_or_else(
            || bytes.to_string(),
            |(unit, name)| format!("{}{name}", bytes / unit),
        ))
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let (num, unit) = s.trim().split_at(
        s.trim()
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(s.trim().len()),
    );
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 30s, 5m or 1h"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "ms" => return Ok(std::time::Duration::from_millis(n)),
        _ => return Err(format!("`{s}` is not a duration like 30s, 5m or 1h")),
    };
    Ok(std::time::Duration::from_secs(secs))
}

#[derive(Args, Debug)]
pub struct ApplyCmd {
    #[command(flatten)]
    pub db: RunnerDbArgs,
    #[arg(long, value_enum, default_value_t = PhaseArg::All)]
    pub phase: PhaseArg,
    /// Stop after migration number N.
    #[arg(long)]
    pub to: Option<u32>,
    /// Run contract files even while sessions tagged with an older schema version
    /// (`Versioned::application_name`) are connected.
    #[arg(long)]
    pub ignore_sessions: bool,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Args, Debug)]
pub struct RollbackCmd {
    #[command(flatten)]
    pub db: RunnerDbArgs,
    /// Roll back every applied migration numbered above N (0: all of them).
    #[arg(long)]
    pub to: u32,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Args, Debug)]
pub struct ArchiveCmd {
    #[command(subcommand)]
    pub action: ArchiveAction,
}

#[derive(Subcommand, Debug)]
pub enum ArchiveAction {
    /// Every archive with its source, when it was made and until when it is kept.
    List {
        /// PostgreSQL URL [default: $DATABASE_URL].
        #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
        database_url: String,
    },
    /// Drop the archives whose retention has passed.
    Cleanup {
        /// PostgreSQL URL [default: $DATABASE_URL].
        #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
        database_url: String,
        /// Say what would be removed, and remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Args, Debug)]
pub struct StatusCmd {
    #[command(flatten)]
    pub db: RunnerDbArgs,
}

fn target(db: &RunnerDbArgs, run: Option<RunArgs>) -> runner::Target {
    let run = run.unwrap_or(RunArgs {
        no_wait: false,
        accept_edited: false,
        lock_retry_budget: std::time::Duration::from_secs(300),
        lock_attempt_timeout: std::time::Duration::from_millis(50),
        pacing: PacingArgs::default(),
    });
    runner::Target {
        // With --targets, each database's URL replaces this one.
        database_url: db.database_url.clone().unwrap_or_default(),
        dir: db.dir.clone(),
        no_wait: run.no_wait,
        accept_edited: run.accept_edited,
        lock_retry_budget: run.lock_retry_budget,
        lock_attempt_timeout: (!run.lock_attempt_timeout.is_zero())
            .then_some(run.lock_attempt_timeout),
        ignore_sessions: false,
        settings: {
            // The generated files take their table locks the way the runner does, with its
            // attempt time and budget.
            use schema_core::sql::raw::setting;
            let mut settings = run.pacing.settings();
            settings.push((
                setting::LOCK_ATTEMPT,
                format!("{}ms", run.lock_attempt_timeout.as_millis()),
            ));
            settings.push((
                setting::LOCK_BUDGET,
                format!("{}s", run.lock_retry_budget.as_secs().max(1)),
            ));
            settings
        },
    }
}

#[derive(Args, Debug)]
pub struct PlanCmd {
    /// The crate directory or .rs file [default: the crates of [workspace.metadata.migrate-gen]].
    #[arg(long)]
    pub src: Option<PathBuf>,
    /// The migrations folder whose manifest says what is already emitted [default: SRC/sql].
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub tuning: TuningArgs,
    #[command(flatten)]
    pub live: crate::preflight::LiveArgs,
}

fn default_out(src: &Path) -> PathBuf {
    if src.is_file() {
        src.parent().unwrap_or(Path::new(".")).join("sql")
    } else {
        src.join("sql")
    }
}

fn today() -> String {
    chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

fn default_author() -> String {
    std::env::var("USER").unwrap_or_else(|_| "unknown".into())
}

fn describe(out: &Path, o: &Outcome, check: bool) -> String {
    if check {
        if o.pending.is_empty() {
            format!("{}: up to date ({} migrations)", out.display(), o.existing)
        } else {
            format!(
                "{}: {} version steps have no migration yet: {}; run `migrate-gen generate`",
                out.display(),
                o.pending.len(),
                o.pending.join(", ")
            )
        }
    } else if o.written.is_empty() {
        format!("{}: up to date ({} migrations)", out.display(), o.existing)
    } else {
        let mut s = format!(
            "{}: wrote {} files for {}:",
            out.display(),
            o.written.len(),
            o.pending.join(", ")
        );
        for w in &o.written {
            s.push_str("\n  ");
            s.push_str(w);
        }
        s
    }
}

/// Runs a parsed command line; returns what to print, or an error (exit code 1).
pub fn run(cli: Cli) -> Result<String, Error> {
    match cli.command {
        None => {
            let cwd = std::env::current_dir().map_err(|e| Error::msg(e.to_string()))?;
            let mut lines = Vec::new();
            let mut wrote = false;
            for target in config::find(&cwd)? {
                let args = GenerateArgs {
                    src: target.src.clone(),
                    out: target.out.clone(),
                    date: today(),
                    author: target.author.clone().unwrap_or_else(default_author),
                    check: false,
                    options: PlanOptions::default(),
                    layout: target.layout,
                };
                let outcome = generate(&args)?;
                wrote |= !outcome.written.is_empty();
                lines.push(describe(&target.out, &outcome, false));
            }
            if !wrote {
                lines.push("everything is up to date".into());
            }
            Ok(lines.join("\n"))
        }
        Some(Command::Generate(cmd)) => {
            let out = cmd
                .source
                .out
                .clone()
                .unwrap_or_else(|| default_out(&cmd.source.src));
            let args = GenerateArgs {
                src: cmd.source.src.clone(),
                out: out.clone(),
                date: cmd.date.unwrap_or_else(today),
                author: cmd.author.unwrap_or_else(default_author),
                check: cmd.check,
                options: cmd.tuning.options_with(&cmd.bounds),
                layout: cmd.layout,
            };
            let outcome = generate(&args)?;
            let text = describe(&out, &outcome, cmd.check);
            if cmd.check && !outcome.pending.is_empty() {
                return Err(Error::msg(text));
            }
            Ok(text)
        }
        Some(Command::Kv(cmd)) => kv::run(cmd),
        Some(Command::Verify(cmd)) => crate::verify::cli::run(cmd),
        Some(Command::Import(cmd)) => import::import(&cmd.database_url, &cmd.schema, &cmd.out),
        Some(Command::Baseline(cmd)) => drift::baseline(&cmd.db.database_url, &cmd.db.dir, cmd.src),
        Some(Command::Drift(cmd)) => drift::drift(&cmd.db.database_url, &cmd.db.dir, cmd.src),
        Some(Command::Archive(cmd)) => match cmd.action {
            ArchiveAction::List { database_url } => runner::archives(&database_url, false, false),
            ArchiveAction::Cleanup {
                database_url,
                dry_run,
            } => runner::archives(&database_url, true, dry_run),
        },
        Some(Command::Apply(cmd)) => {
            let selection = match cmd.phase {
                PhaseArg::Expand => runner::Selection::Expand,
                PhaseArg::Contract => runner::Selection::Contract,
                PhaseArg::All => runner::Selection::All,
            };
            let mut target = target(&cmd.db, Some(cmd.run));
            target.ignore_sessions = cmd.ignore_sessions;
            match cmd.db.fleet()? {
                Some(fleet) => runner::fleet::run(
                    &target,
                    &fleet,
                    runner::fleet::Op::Apply {
                        selection,
                        to: cmd.to,
                    },
                ),
                None => runner::apply(&target, selection, cmd.to),
            }
        }
        Some(Command::Rollback(cmd)) => {
            let target = target(&cmd.db, Some(cmd.run));
            match cmd.db.fleet()? {
                Some(fleet) => {
                    runner::fleet::run(&target, &fleet, runner::fleet::Op::Rollback { to: cmd.to })
                }
                None => runner::rollback(&target, cmd.to),
            }
        }
        Some(Command::Lint(cmd)) => {
            let lint::Report { files, findings } = lint::lint(&cmd.paths)?;
            if findings.is_empty() {
                return Ok(format!("{files} files: no findings"));
            }
            let text: String = findings.iter().map(|f| format!("{f}\n")).collect();
            output::print(text.trim_end())?;
            Err(Error::msg(format!(
                "{} findings in {files} files (a `-- squawk-ignore RULE` line, with the reason on the line above, accepts one on purpose)",
                findings.len()
            )))
        }
        Some(Command::Status(cmd)) => {
            if let Some(fleet) = cmd.db.fleet()? {
                return runner::fleet::run(
                    &target(&cmd.db, None),
                    &fleet,
                    runner::fleet::Op::Status,
                );
            }
            let (text, problems) = runner::status(&target(&cmd.db, None))?;
            let reason = match problems.as_slice() {
                [] => return Ok(text),
                [one] => format!("1 problem needs attention: {one}"),
                many => format!(
                    "{} problems need attention (listed under `problems:` above)",
                    many.len()
                ),
            };
            // The report goes to stdout; the error line says why the exit code is 1.
            output::print(&text)?;
            Err(Error::msg(reason))
        }
        Some(Command::Plan(cmd)) if cmd.live.database_url.is_some() => {
            crate::preflight::plan(&cmd.live, cmd.src.as_deref(), cmd.out.as_deref())
        }
        Some(Command::Plan(cmd)) => {
            let targets = match &cmd.src {
                Some(src) => vec![(
                    src.clone(),
                    cmd.out.clone().unwrap_or_else(|| default_out(src)),
                )],
                None => {
                    let cwd = std::env::current_dir().map_err(|e| Error::msg(e.to_string()))?;
                    config::find(&cwd)?
                        .into_iter()
                        .map(|t| (t.src, t.out))
                        .collect()
                }
            };
            let mut out = String::new();
            for (src, dir) in targets {
                let cmp = generate::compare(&src, &dir, &cmd.tuning.options())?;
                let pending: Vec<_> = cmp.new.iter().map(|&i| &cmp.steps[i]).collect();
                out.push_str(&format!(
                    "{} (migrations in {})\n",
                    src.display(),
                    dir.display()
                ));
                out.push_str(&report::plan_text(&pending, cmp.manifest.files.len()));
                for table in source::load(&src)? {
                    for warning in schema_core::parse::fragment::foreign_calls(&table) {
                        out.push_str(&format!("warning: {warning}\n"));
                    }
                }
            }
            Ok(out.trim_end().to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `generate` with no tuning option writes what the workspace's `migrate-gen` (no command)
    /// writes: the command line's defaults are the planner's.
    #[test]
    fn generate_defaults_are_the_planner_defaults() {
        let cli = Cli::try_parse_from(["migrate-gen", "generate", "--src", "x"]).unwrap();
        let Some(Command::Generate(cmd)) = cli.command else {
            panic!("a generate command");
        };
        assert_eq!(cmd.tuning.options_with(&cmd.bounds), PlanOptions::default());
    }

    /// `plan` takes the tuning options and the live preflight's own bounds side by side.
    #[test]
    fn plan_takes_its_options_without_a_clash() {
        <Cli as clap::CommandFactory>::command().debug_assert();
        Cli::try_parse_from([
            "migrate-gen",
            "plan",
            "--batch-size",
            "500",
            "--max-replay-lag",
            "10s",
        ])
        .unwrap();
        Cli::try_parse_from([
            "migrate-gen",
            "apply",
            "--database-url",
            "postgres://db/app",
            "--dir",
            "d",
            "--max-replay-lag",
            "10s",
            "--stop-slot-wal",
            "2GB",
        ])
        .unwrap();
    }
}
