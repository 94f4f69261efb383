//! `migrate-gen kv migrate|status|cleanup|rollback`: key-format migrations of key-value stores
//! (Redis, or a directory through `object_store`) with a pattern rewrite; see `kv-migrate` and
//! `docs/kv.md`.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use kv_migrate::{
    Checkpoint, Counts, Failure, KeyPattern, MigrateOptions, OnError, Rewrite, Status, Store,
    format_duration, parse_duration,
};

use crate::Error;

#[derive(Args, Debug)]
pub struct KvCmd {
    #[command(subcommand)]
    pub action: KvAction,
}

#[derive(Subcommand, Debug)]
pub enum KvAction {
    /// Copy every key that matches --from to its --to key; resumable, never deletes or overwrites.
    Migrate(MigrateArgs),
    /// Show a migration's saved state: counts, progress, retention window.
    Status(KvArgs),
    /// Delete the old keys once the retention window has passed and every one is verified.
    Cleanup(KvArgs),
    /// Delete the new keys the migration wrote; the old keys stay.
    Rollback(KvArgs),
}

/// What every `kv` command takes: give the same to each of them.
#[derive(Args, Debug, Clone)]
pub struct KvArgs {
    /// The store holding the old keys: redis://HOST[:PORT][/DB], or a directory (PATH or file:///PATH).
    #[arg(long, value_name = "URL")]
    pub store: String,
    /// The store for the new keys [default: the --store].
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,
    /// The old key pattern, e.g. 'user:{id}:{rest}'.
    #[arg(long, value_name = "PATTERN")]
    pub from: String,
    /// The new key pattern, e.g. 'users/{id}/{rest}'.
    #[arg(long, value_name = "PATTERN")]
    pub to: String,
    /// The migration's name, which keys its saved state [default: derived from the patterns].
    #[arg(long)]
    pub name: Option<String>,
    /// Keep the checkpoint and journals in this directory instead of the target store.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Keys listed, read and written per round trip.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub page_size: u32,
}

#[derive(Args, Debug, Clone)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub kv: KvArgs,
    /// Workers that each take a share of a page.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub concurrency: u32,
    /// At most this many keys per second.
    #[arg(long, value_name = "KEYS_PER_SECOND", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: Option<u32>,
    /// Read and transform everything, write nothing (not even state); report what would be written.
    #[arg(long)]
    pub dry_run: bool,
    /// Stop at the first failing key, writing nothing of its page, instead of recording it and going on.
    #[arg(long)]
    pub stop_on_error: bool,
    /// How long the old keys are kept after completion, e.g. 7d, 36h, 0s [default: 7d, or as saved].
    #[arg(long, value_parser = parse_duration)]
    pub retention: Option<Duration>,
}

/// The name a migration gets from its patterns: `kv-` and 16 hex digits of their FNV-1a hash.
pub fn default_name(from: &str, to: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in from.bytes().chain([0]).chain(to.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("kv-{h:016x}")
}

/// The stores and mapping of one command, opened and checked.
struct Opened {
    rewrite: Rewrite,
    name: String,
    source: Box<dyn Store>,
    target: Option<Box<dyn Store>>,
    state: Option<Box<dyn Store>>,
    page_size: usize,
}

impl Opened {
    fn target(&self) -> &dyn Store {
        self.target.as_deref().unwrap_or(self.source.as_ref())
    }

    fn options(&self) -> MigrateOptions<'_> {
        let mut o = MigrateOptions::new(self.name.clone(), self.rewrite.from.prefix());
        o.page_size = self.page_size;
        o.state = self.state.as_deref();
        o
    }
}

fn fail(e: impl std::fmt::Display) -> Error {
    Error::msg(e.to_string())
}

/// Checks the patterns before touching any store, then opens the stores.
fn open(args: &KvArgs) -> Result<Opened, Error> {
    KeyPattern::parse(&args.from).map_err(|e| Error::msg(format!("--from: {e}")))?;
    KeyPattern::parse(&args.to).map_err(|e| Error::msg(format!("--to: {e}")))?;
    let rewrite =
        Rewrite::new(&args.from, &args.to).map_err(|e| Error::msg(format!("--to: {e}")))?;
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| default_name(&args.from, &args.to));
    let source = kv_migrate::open_store(&args.store, false)
        .map_err(|e| Error::msg(format!("--store: {e}")))?;
    let target = match &args.target {
        Some(t) => Some(
            kv_migrate::open_store(t, true).map_err(|e| Error::msg(format!("--target: {e}")))?,
        ),
        None => None,
    };
    let state = match &args.state_dir {
        Some(d) => Some(
            kv_migrate::open_store(&d.to_string_lossy(), true)
                .map_err(|e| Error::msg(format!("--state-dir: {e}")))?,
        ),
        None => None,
    };
    let opened = Opened {
        rewrite,
        name,
        source,
        target,
        state,
        page_size: args.page_size as usize,
    };
    let (from_prefix, to_prefix) = (opened.rewrite.from.prefix(), opened.rewrite.to.prefix());
    if opened.source.location() == opened.target().location() && to_prefix.starts_with(from_prefix)
    {
        return Err(Error::msg(format!(
            "--to {:?}: new keys start with `{from_prefix}`, the prefix of --from, in the same store, so they would be migrated again; choose a new key format outside it, or a --target store",
            args.to
        )));
    }
    Ok(opened)
}

pub fn run(cmd: KvCmd) -> Result<String, Error> {
    match cmd.action {
        KvAction::Migrate(args) => migrate(&args),
        KvAction::Status(args) => status(&args),
        KvAction::Cleanup(args) => cleanup(&args),
        KvAction::Rollback(args) => rollback(&args),
    }
}

fn heading(name: &str, rewrite: &Rewrite) -> String {
    format!("migration {name} ({rewrite})")
}

fn counts_line(c: &Counts, dry_run: bool) -> String {
    format!(
        "scanned {}: {} {}, already present {}, skipped {}, vanished {}, failed {}",
        c.scanned,
        if dry_run { "would write" } else { "written" },
        c.written,
        c.already_present,
        c.skipped,
        c.vanished,
        c.failed
    )
}

fn failures_text(out: &mut String, failures: &[Failure]) {
    const SHOWN: usize = 20;
    for f in failures.iter().take(SHOWN) {
        let _ = writeln!(out, "  failed `{}`: {}", f.key, f.error);
    }
    if failures.len() > SHOWN {
        let _ = writeln!(out, "  ... and {} more", failures.len() - SHOWN);
    }
}

fn retention_line(cp: &Checkpoint) -> Option<String> {
    let ends = cp.retention_ends()?;
    Some(format!(
        "old keys kept until {} (retention {}); cleanup is allowed after that",
        ends.format("%Y-%m-%d %H:%M:%S UTC"),
        format_duration(cp.retention())
    ))
}

/// A progress bar on stderr when it is a terminal; its length is a count of the keys.
fn progress_bar(
    source: &dyn Store,
    prefix: &str,
    page_size: usize,
) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let total = kv_migrate::count_keys(source, prefix, page_size).ok()?;
    let bar = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} {pos}/{len} keys [{wide_bar}] {per_sec} eta {eta} {msg}",
    )
    .ok()?
    .progress_chars("=> ");
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

fn migrate(args: &MigrateArgs) -> Result<String, Error> {
    let opened = open(&args.kv)?;
    let mut o = opened.options();
    o.concurrency = args.concurrency as usize;
    o.rate_limit = args.rate_limit;
    o.dry_run = args.dry_run;
    o.retention = args.retention;
    if args.stop_on_error {
        o.on_error = OnError::Stop;
    }
    let bar = progress_bar(opened.source.as_ref(), &o.prefix, o.page_size);
    let on_page = |c: &Counts| {
        if let Some(b) = &bar {
            b.set_position(c.scanned);
            b.set_message(format!("{} written, {} failed", c.written, c.failed));
        }
    };
    o.progress = Some(&on_page);
    let result =
        kv_migrate::migrate_keys(opened.source.as_ref(), opened.target(), &opened.rewrite, &o);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let report = result.map_err(fail)?;

    let mut out = String::new();
    let head = heading(&report.name, &opened.rewrite);
    if report.dry_run {
        let _ = writeln!(out, "{head}: dry run, nothing was written");
    } else if report.already_complete {
        let _ = writeln!(out, "{head}: already complete, nothing listed again");
    } else if report.resumed {
        let _ = writeln!(out, "{head}: complete (resumed from its checkpoint)");
    } else {
        let _ = writeln!(out, "{head}: complete");
    }
    let _ = writeln!(out, "  {}", counts_line(&report.counts, report.dry_run));
    failures_text(&mut out, &report.failures);
    if let Some(line) = report.checkpoint.as_ref().and_then(retention_line) {
        let _ = writeln!(out, "  {line}");
    }
    let out = out.trim_end().to_owned();
    if report.counts.failed > 0 {
        // The report goes to stdout; the exit code says that something needs a look.
        crate::output::print(&out)?;
        return Err(Error::msg(format!(
            "{} keys failed (listed above){}",
            report.counts.failed,
            if report.dry_run {
                ""
            } else {
                "; the others were migrated, and cleanup refuses until every old key has its new key"
            }
        )));
    }
    Ok(out)
}

fn status(args: &KvArgs) -> Result<String, Error> {
    let opened = open(args)?;
    let o = opened.options();
    let Some(cp) = kv_migrate::status(opened.target(), &o).map_err(fail)? else {
        return Err(Error::msg(format!(
            "no migration named {} in {}: run `migrate-gen kv migrate` first (a dry run saves nothing)",
            opened.name,
            kv_migrate::redact(&o.state.unwrap_or(opened.target()).location())
        )));
    };
    let mut out = String::new();
    let _ = writeln!(out, "{}", heading(&cp.name, &opened.rewrite));
    let time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    let when = match cp.status {
        Status::Running => format!(
            "started {}, last page {} (not finished: run migrate again to resume)",
            time(cp.started_at),
            time(cp.updated_at)
        ),
        Status::Complete => format!(
            "completed {}",
            time(cp.completed_at.unwrap_or(cp.updated_at))
        ),
        Status::RolledBack => format!(
            "rolled back {}: {} new keys deleted",
            time(cp.rolled_back_at.unwrap_or(cp.updated_at)),
            cp.deleted
        ),
        Status::CleanedUp => format!(
            "cleaned up {}: {} old keys deleted",
            time(cp.cleaned_up_at.unwrap_or(cp.updated_at)),
            cp.deleted
        ),
    };
    let _ = writeln!(out, "  status: {}, {when}", cp.status.as_str());
    let _ = writeln!(
        out,
        "  from {} to {}, keys starting with `{}`",
        kv_migrate::redact(&cp.source),
        kv_migrate::redact(&cp.target),
        cp.prefix
    );
    let _ = writeln!(
        out,
        "  {}; pages: {}",
        counts_line(&cp.counts, false),
        cp.pages
    );
    if cp.status == Status::Complete
        && let Some(line) = retention_line(&cp)
    {
        let _ = writeln!(out, "  {line}");
    }
    Ok(out.trim_end().to_owned())
}

fn cleanup(args: &KvArgs) -> Result<String, Error> {
    let opened = open(args)?;
    let o = opened.options();
    let r = kv_migrate::cleanup(opened.source.as_ref(), opened.target(), &opened.rewrite, &o)
        .map_err(fail)?;
    let head = heading(&r.name, &opened.rewrite);
    Ok(if r.already_done {
        format!(
            "{head}: already cleaned up ({} old keys deleted then)",
            r.checkpoint.deleted
        )
    } else {
        format!(
            "{head}: cleaned up: every old key was verified against its new key and {} were deleted; {} keys under `{}` that --from does not match were kept",
            r.deleted,
            r.kept,
            opened.rewrite.from.prefix()
        )
    })
}

fn rollback(args: &KvArgs) -> Result<String, Error> {
    let opened = open(args)?;
    let o = opened.options();
    let r = kv_migrate::rollback(opened.target(), &o).map_err(fail)?;
    let head = heading(&r.name, &opened.rewrite);
    Ok(if r.already_done {
        format!(
            "{head}: already rolled back ({} new keys deleted then)",
            r.checkpoint.deleted
        )
    } else {
        format!(
            "{head}: rolled back: {} new keys written by the migration were deleted; the old keys are untouched",
            r.deleted
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_follow_the_patterns() {
        let a = default_name("user:{id}:{rest}", "users/{id}/{rest}");
        assert_eq!(a, default_name("user:{id}:{rest}", "users/{id}/{rest}"));
        assert_ne!(a, default_name("user:{id}:{rest}", "people/{id}/{rest}"));
        assert!(a.starts_with("kv-") && a.len() == 19, "{a}");
    }
}
