//! `bench`: application stalls, strong-lock holds and backfill speed of migrations under a
//! live workload, naive SQL against migrate-gen against Reshape, on the local PostgreSQL; and
//! the generator's own speed. See docs/BENCHMARKS.md.
//!
//! ```sh
//! cargo run --release -p bench -- --rows 1000000     # the full run (about 17 minutes here)
//! cargo run --release -p bench -- --smoke            # every scenario on 20,000 rows (CI)
//! ```

mod contender;
mod fleet;
mod genbench;
mod locks;
mod plot;
mod replication;
mod report;
mod scenario;
mod workload;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use clap::Parser;
use tokio_postgres::NoTls;

use contender::{Contender, Prepared, Tools};
use report::{Run, Target, ms, thousands};

#[derive(Parser, Debug)]
#[command(
    name = "bench",
    about = "Stalls, lock holds and backfill speed of migrations under load: naive SQL, migrate-gen, Reshape"
)]
struct Args {
    /// Rows in the table (1,000,000 by default; 10,000,000 for the large run).
    #[arg(long, default_value_t = 1_000_000)]
    rows: u64,
    /// CI mode: 20,000 rows, 2.5 s baselines, a 5 s blocker, no compile-time benchmark,
    /// Reshape only if already installed. Under 3 minutes.
    #[arg(long)]
    smoke: bool,
    /// Scenarios to run (comma-separated): backfill, standby, index, composite_index,
    /// foreign_key, unique, retype, rename, lock_queue, or none (only the generator's
    /// benchmark) [default: all; smoke mode leaves out standby].
    #[arg(long, value_delimiter = ',')]
    scenarios: Vec<String>,
    /// Contenders to run (comma-separated): naive, ours, reshape [default: all].
    #[arg(long, value_delimiter = ',')]
    contenders: Vec<String>,
    /// PostgreSQL server (trust auth); one database per run is created and dropped.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    server: String,
    /// Workload connections.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Fixed workload rate as a fraction of the measured maximum.
    #[arg(long, default_value_t = 0.4)]
    load: f64,
    /// Fixed workload rate in statements per second (skips measuring the maximum).
    #[arg(long)]
    rate: Option<f64>,
    /// Seconds of workload before each migration [default: 30, smoke 2.5].
    #[arg(long)]
    baseline: Option<f64>,
    /// Seconds the lock-queue scenario's transaction holds ACCESS SHARE [default: 20, smoke 5].
    #[arg(long)]
    blocker: Option<f64>,
    /// Where the results and plots go [default: docs/bench, smoke: target/bench-smoke].
    #[arg(long)]
    out: Option<PathBuf>,
    /// The migrate-gen binary [default: built with `cargo build --release -p migrate-gen`].
    #[arg(long)]
    migrate_gen: Option<PathBuf>,
    /// lock_timeout of the files migrate-gen generates (its `--lock-timeout`, 1s by default):
    /// "1s", "200ms".
    #[arg(long, default_value = "1s")]
    lock_timeout: String,
    /// The most rows per backfill batch of the files migrate-gen generates (its `--batch-size`).
    #[arg(long, default_value_t = 10_000)]
    batch_size: u32,
    /// The reshape binary [default: `reshape` on PATH or in ~/.cargo/bin].
    #[arg(long)]
    reshape: Option<PathBuf>,
    /// Do not `cargo install reshape` when it is missing (smoke mode never installs it).
    #[arg(long)]
    no_install_reshape: bool,
    /// Skip the generator benchmark (generate 500 x 10).
    #[arg(long)]
    no_generate_bench: bool,
    /// Skip the compile-time benchmark (smoke mode skips it).
    #[arg(long)]
    no_compile_bench: bool,
    /// Skip the scale benchmark (one struct with 10, 50, 100 and 500 versions: the macro's
    /// expansion, a rebuild of a crate with it, generate). Smoke mode skips its rebuilds.
    #[arg(long)]
    no_scale_bench: bool,
    /// Only the fleet benchmark: N small databases through one release with
    /// `apply --targets` at each --fleet-parallel (docs/BENCHMARKS.md, "Fleets").
    #[arg(long, value_name = "N")]
    fleet: Option<usize>,
    /// The --parallel values of the fleet benchmark.
    #[arg(long, value_delimiter = ',', default_value = "1,4,16")]
    fleet_parallel: Vec<usize>,
    /// Internal: expand the scale benchmark's struct with N versions in this process and
    /// print `seconds peak_kB chars`.
    #[arg(long, hide = true)]
    expand_probe: Option<u32>,
}

#[derive(Clone)]
struct Config {
    rows: u64,
    smoke: bool,
    server: String,
    clients: usize,
    baseline: f64,
    tail: f64,
    blocker: f64,
    calibrate: f64,
    lock_timeout: String,
    lock_timeout_ms: f64,
    batch_size: u32,
    out: PathBuf,
    work: PathBuf,
    root: PathBuf,
}

impl Config {
    fn url(&self, db: &str) -> String {
        format!("{}/{db}", self.server.trim_end_matches('/'))
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/bench is two levels down")
        .to_path_buf()
}

/// "1s", "200ms", "1.5s" in milliseconds.
fn duration_ms(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (num, factor) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (t, 1.0)
    };
    num.trim()
        .parse::<f64>()
        .map(|v| v * factor)
        .map_err(|_| format!("--lock-timeout {text}: expected a duration such as 1s or 200ms"))
}

fn say(line: &str) {
    println!("{line}");
}

async fn admin(cfg: &Config, sql: &str) -> Result<(), String> {
    contender::sql(&cfg.url("postgres"), &[sql.to_owned()]).await
}

async fn query_text(url: &str, sql: &str) -> Result<String, String> {
    let (client, conn) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let row = client
        .query_one(sql, &[])
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.get::<_, String>(0))
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|p| p.join(name))
        .find(|p| p.is_file())
}

fn cargo_home_bin(name: &str) -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let p = home.join("bin").join(name);
    p.is_file().then_some(p)
}

/// migrate-gen, built from this workspace in release.
fn migrate_gen_binary(args: &Args, root: &Path) -> Result<PathBuf, String> {
    if let Some(p) = &args.migrate_gen {
        return Ok(p.clone());
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // The same profile as this binary: release for the published figures, the dev profile
    // when CI's smoke run reuses what the tests built.
    let (profile, flags): (&str, &[&str]) = if cfg!(debug_assertions) {
        ("debug", &["build", "-q", "-p", "migrate-gen"])
    } else {
        (
            "release",
            &["build", "--release", "-q", "-p", "migrate-gen"],
        )
    };
    say(&format!("building migrate-gen (cargo {})", flags.join(" ")));
    let status = std::process::Command::new(cargo)
        .args(flags)
        .current_dir(root)
        .status()
        .map_err(|e| format!("cargo build -p migrate-gen: {e}"))?;
    if !status.success() {
        return Err("cargo build -p migrate-gen failed".into());
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let p = target.join(profile).join("migrate-gen");
    if p.is_file() {
        Ok(p)
    } else {
        Err(format!("{} not found after the build", p.display()))
    }
}

/// Reshape from PATH or ~/.cargo/bin, else `cargo install reshape --locked` when allowed.
fn reshape_binary(args: &Args, install: bool) -> (Option<PathBuf>, String) {
    if let Some(p) = &args.reshape {
        return (Some(p.clone()), String::new());
    }
    if let Some(p) = find_on_path("reshape").or_else(|| cargo_home_bin("reshape")) {
        return (Some(p), String::new());
    }
    if !install {
        return (
            None,
            "Reshape is not installed: skipped (smoke mode does not install it; \
             `cargo install reshape --locked` takes several minutes here and needs libclang-dev)"
                .into(),
        );
    }
    say(
        "Reshape is not installed: cargo install reshape --locked (several minutes; it needs libclang-dev)",
    );
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let started = Instant::now();
    let out = std::process::Command::new(cargo)
        .args(["install", "reshape", "--locked"])
        .output();
    match out {
        Ok(o) if o.status.success() => match cargo_home_bin("reshape") {
            Some(p) => {
                say(&format!(
                    "installed Reshape in {:.0} s",
                    started.elapsed().as_secs_f64()
                ));
                (Some(p), String::new())
            }
            None => (
                None,
                "cargo install reshape succeeded but no reshape binary was found".into(),
            ),
        },
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            let first = err
                .lines()
                .find(|l| l.contains("error") || l.contains("Unable"))
                .unwrap_or("")
                .trim()
                .to_owned();
            (
                None,
                format!(
                    "Reshape did not install on this machine (cargo install reshape --locked: {first})"
                ),
            )
        }
        Err(e) => (None, format!("Reshape did not install: {e}")),
    }
}

fn db_name(scenario: &str, c: Contender) -> String {
    format!("bench_{}_{}_{}", std::process::id(), scenario, c.name())
}

/// One contender on one scenario, in its own database, under the workload.
async fn run_one(
    cfg: &Config,
    s: &scenario::Scenario,
    c: Contender,
    tools: &Tools,
    rate: f64,
    cluster: Option<&test_support::standby::Replicated>,
) -> Result<Run, String> {
    let mut run = Run {
        scenario: s.id,
        contender: c,
        skipped: None,
        samples: Vec::new(),
        steps: Vec::new(),
        events: Vec::new(),
        holds: Vec::new(),
        interval: Duration::from_millis(20),
        mig_start: 0.0,
        mig_end: 0.0,
        blocker: None,
        error: None,
        verified: None,
        rows: cfg.rows,
        replication: None,
    };
    let prepared =
        contender::prepare(c, s, tools, &cfg.work, &cfg.lock_timeout, cfg.batch_size).await?;
    if let Prepared::Unsupported(why) = prepared {
        run.skipped = Some(why);
        return Ok(run);
    }
    let db = db_name(s.id, c);
    admin(cfg, &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await?;
    admin(cfg, &format!("CREATE DATABASE {db}")).await?;
    let url = cfg.url(&db);
    let result = measure(cfg, s, &prepared, tools, rate, &url, &mut run, cluster).await;
    let dropped = admin(cfg, &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await;
    result?;
    dropped?;
    Ok(run)
}

async fn measure(
    cfg: &Config,
    s: &scenario::Scenario,
    prepared: &Prepared,
    tools: &Tools,
    rate: f64,
    url: &str,
    run: &mut Run,
    cluster: Option<&test_support::standby::Replicated>,
) -> Result<(), String> {
    if let Err(e) = contender::setup(prepared, tools, url).await {
        run.skipped = Some(format!("failed to create the starting tables: {e}"));
        return Ok(());
    }
    contender::sql(url, &scenario::load_sql(cfg.rows, !cfg.smoke)).await?;
    let t0 = Instant::now() + Duration::from_millis(200);
    let sampler = locks::Sampler::start(url, t0, run.interval).await?;
    let deployed = Arc::new(AtomicBool::new(false));
    let wl = workload::Workload::start(
        url,
        cfg.clients,
        rate,
        cfg.rows as i64,
        t0,
        42,
        deployed.clone(),
        contender::new_code(prepared, s),
    )
    .await?;
    tokio::time::sleep_until((t0 + Duration::from_secs_f64(cfg.baseline)).into()).await;
    let mut blocker = None;
    if s.blocker {
        let url = url.to_owned();
        let secs = cfg.blocker;
        let (client, conn) = tokio_postgres::connect(&url, NoTls)
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let start = t0.elapsed().as_secs_f64();
        blocker = Some(tokio::spawn(async move {
            let r = client
                .batch_execute(&format!(
                    "BEGIN; SELECT count(*) FROM items WHERE id = 1; SELECT pg_sleep({secs}); COMMIT"
                ))
                .await;
            (
                start,
                t0.elapsed().as_secs_f64(),
                r.map_err(|e| e.to_string()),
            )
        }));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // The rows a fill writes: the loaded ones and those the workload inserted so far.
    run.rows = cfg.rows + wl.inserted().max(0) as u64;
    // The standby scenario: everything the load wrote replayed, then replay slowed and the lag
    // sampled from the migration's start until the standby has replayed all of it.
    let mut slowed = None;
    if let Some(cluster) = cluster {
        replication::caught_up(cluster, Duration::from_secs(300)).await?;
        let stop = Arc::new(AtomicBool::new(false));
        slowed = Some((
            stop.clone(),
            replication::throttle(cluster, stop.clone()),
            replication::sample(cluster, stop),
        ));
    }
    run.mig_start = t0.elapsed().as_secs_f64();
    let m = contender::migrate(prepared, s, tools, url, t0, &deployed).await;
    run.mig_end = t0.elapsed().as_secs_f64();
    if let (Some(cluster), Some((stop, throttle, sampler))) = (cluster, slowed) {
        let behind = replication::caught_up(cluster, Duration::from_secs(600)).await;
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = throttle.await;
        let mut lag = sampler.await.map_err(|e| e.to_string())?;
        lag.caught_up_after = behind?;
        run.replication = Some(lag);
    }
    if let Some(b) = blocker {
        let (a, z, r) = b.await.map_err(|e| e.to_string())?;
        run.blocker = Some((a, z));
        if let Err(e) = r {
            run.error = Some(format!("blocker: {e}"));
        }
    }
    let stop_at = t0.elapsed().as_secs_f64() + cfg.tail;
    tokio::time::sleep(Duration::from_secs_f64(cfg.tail)).await;
    run.samples = wl.stop(stop_at).await?;
    run.holds = sampler.stop().await?;
    run.steps = m.steps;
    run.events = m.events;
    if m.error.is_some() {
        run.error = m.error;
    }
    let log_dir = cfg.work.join("logs");
    let _ = std::fs::create_dir_all(&log_dir);
    // Every statement: when it was scheduled, its latency, its error.
    let mut csv = String::from("scheduled_s,latency_ms,error\n");
    for x in &run.samples {
        csv.push_str(&format!(
            "{:.6},{:.3},{}\n",
            x.at,
            x.ms,
            x.error.as_deref().unwrap_or("").replace([',', '\n'], " ")
        ));
    }
    let _ = std::fs::write(
        log_dir.join(format!("{}-{}.samples.csv", s.id, run.contender.name())),
        csv,
    );
    let _ = std::fs::write(
        log_dir.join(format!("{}-{}.log", s.id, run.contender.name())),
        &m.log,
    );
    if run.error.is_none() {
        let ok = query_text(url, &format!("SELECT ({})::text", s.verify)).await;
        run.verified = Some(ok.as_deref() == Ok("true"));
    }
    Ok(())
}

fn print_run(r: &Run, took: f64) {
    if let Some(why) = &r.skipped {
        say(&format!("  {:8} {why}", r.contender.name()));
        return;
    }
    let f = r.figures();
    let fill = f.fill.map_or(String::new(), |(rate, secs)| {
        format!(", fill {} rows/s ({secs:.1} s)", thousands(rate))
    });
    say(&format!(
        "  {:8} baseline p99 {}, during: p99 {} max {}, >1 s: {}, failed: {}, strongest lock {}{}, wall {:.2} s{fill}{}{} (run {took:.0} s)",
        r.contender.name(),
        ms(f.baseline_p99),
        ms(f.during_p99),
        ms(f.during_max),
        f.over_1s,
        f.failed,
        if f.lock_ms > 0.0 {
            ms(f.lock_ms)
        } else {
            "none seen".into()
        },
        if f.lock_ms > 0.0 {
            format!(" ({})", f.lock_what)
        } else {
            String::new()
        },
        f.wall_s,
        match &r.error {
            Some(e) => format!(", ERROR: {e}"),
            None => String::new(),
        },
        match r.verified {
            Some(false) => ", result NOT as intended",
            _ => "",
        },
    ));
    for (msg, n) in f.failures.iter().take(3) {
        say(&format!("           failed x{n}: {msg}"));
    }
    if let Some(lag) = &r.replication {
        say(&format!("           {}", replication_line(lag)));
    }
}

/// The standby scenario's figures of one run.
fn replication_line(lag: &replication::Lag) -> String {
    format!(
        "standby: peak replay lag {:.1} s and {}, peak WAL retained by its slot {}, replayed everything {:.1} s after the migration ended",
        lag.peak_seconds,
        bytes(lag.peak_bytes),
        bytes(lag.peak_slot_bytes),
        lag.caught_up_after
    )
}

fn bytes(n: f64) -> String {
    if n >= 1024.0 * 1024.0 * 1024.0 {
        format!("{:.2} GB", n / (1024.0 * 1024.0 * 1024.0))
    } else {
        format!("{:.0} MB", n / (1024.0 * 1024.0))
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

/// `median (a, b, c)` of `values` in `unit` after scaling by `factor`.
fn spread(values: &[f64], factor: f64, unit: &str, digits: usize) -> String {
    let all: Vec<String> = values
        .iter()
        .map(|v| format!("{:.digits$}", v * factor))
        .collect();
    format!(
        "{:.digits$} {unit} ({})",
        median(values) * factor,
        all.join(", ")
    )
}

/// The scale benchmark's lines (one per version count and part) and its targets: the time
/// per version at 500 versions within twice that at 50, for each part.
fn scale_report(rows: &[genbench::ScaleRow]) -> (Vec<String>, Vec<Target>) {
    let mut lines = Vec::new();
    let peak = |s: &[genbench::Sample]| {
        let kb: Vec<f64> = s
            .iter()
            .filter_map(|s| s.peak_kb)
            .map(|k| k as f64)
            .collect();
        if kb.is_empty() {
            String::new()
        } else {
            format!(", peak RSS {}", spread(&kb, 1.0 / 1024.0, "MB", 0))
        }
    };
    // Median seconds per version of each part, by version count.
    let mut per_version: Vec<(&str, u32, f64)> = Vec::new();
    for r in rows {
        let n = r.versions;
        let head = format!("{n} versions x {} fields", genbench::SCALE_FIELDS);
        match &r.expand {
            Ok(s) => {
                let secs: Vec<f64> = s.iter().map(|s| s.seconds).collect();
                per_version.push(("expansion", n, median(&secs) / n as f64));
                lines.push(format!(
                    "{head}: macro expansion {}, {:.1} us/version, {} chars emitted{}",
                    spread(&secs, 1000.0, "ms", 1),
                    median(&secs) * 1e6 / n as f64,
                    thousands(r.chars as f64),
                    peak(s)
                ));
            }
            Err(e) => lines.push(format!("{head}: macro expansion: {e}")),
        }
        match &r.compile {
            Ok(s) => {
                let secs: Vec<f64> = s.iter().map(|s| s.seconds).collect();
                per_version.push(("rebuild", n, median(&secs) / n as f64));
                lines.push(format!(
                    "{head}: rebuild of a crate with it {}, {:.1} ms/version{}",
                    spread(&secs, 1.0, "s", 2),
                    median(&secs) * 1000.0 / n as f64,
                    peak(s)
                ));
            }
            Err(e) if e == "skipped" => {}
            Err(e) => lines.push(format!("{head}: rebuild: {e}")),
        }
        match &r.generate {
            Ok(secs) => {
                per_version.push(("generate", n, median(secs) / n as f64));
                lines.push(format!(
                    "{head}: generate {}, {:.2} ms/version",
                    spread(secs, 1.0, "s", 3),
                    median(secs) * 1000.0 / n as f64
                ));
            }
            Err(e) => lines.push(format!("{head}: generate: {e}")),
        }
    }
    let mut targets = Vec::new();
    for part in ["expansion", "rebuild", "generate"] {
        let at = |n: u32| {
            per_version
                .iter()
                .find(|(p, v, _)| *p == part && *v == n)
                .map(|x| x.2)
        };
        if rows.iter().all(|r| match part {
            "rebuild" => matches!(&r.compile, Err(e) if e == "skipped"),
            _ => false,
        }) {
            continue;
        }
        let (met, detail) = match (at(50), at(500)) {
            (Some(a), Some(b)) => (
                Some(b <= 2.0 * a),
                format!(
                    "{:.3} ms/version at 500 vs {:.3} at 50 ({:.2}x)",
                    b * 1000.0,
                    a * 1000.0,
                    b / a
                ),
            ),
            _ => (Some(false), "not measured at 50 and 500 versions".into()),
        };
        targets.push(Target::new(
            format!("{part} time per version at 500 versions <= 2x at 50 (linear)"),
            met,
            detail,
        ));
    }
    (lines, targets)
}

fn get<'a>(runs: &'a [Run], s: &str, c: Contender) -> Option<&'a Run> {
    runs.iter()
        .find(|r| r.scenario == s && r.contender == c && r.skipped.is_none())
}

fn targets(
    runs: &[Run],
    scenarios: &[scenario::Scenario],
    cfg: &Config,
    earlier_1m: Option<&str>,
) -> Vec<Target> {
    let mut t = Vec::new();
    let lock_timeout_ms = cfg.lock_timeout_ms;
    for s in scenarios {
        let Some(o) = get(runs, s.id, Contender::Ours) else {
            let why = runs
                .iter()
                .find(|r| r.scenario == s.id && r.contender == Contender::Ours)
                .and_then(|r| r.skipped.clone())
                .unwrap_or_else(|| "not run".into());
            t.push(Target::new(format!("{}: ours", s.id), None, why));
            continue;
        };
        let f = o.figures();
        let failed_migration = o
            .error
            .as_ref()
            .map_or(String::new(), |e| format!("; migration failed: {e}"));
        if s.blocker {
            t.push(Target::new(
                format!(
                    "{}: ours, no stall >= 150 ms and no failed statement",
                    s.id
                ),
                Some(f.during_max < 150.0 && f.failed == 0 && o.error.is_none()),
                format!(
                    "max {} (the files' lock_timeout {}, each attempt 50 ms), {} failed{failed_migration}",
                    ms(f.during_max),
                    ms(lock_timeout_ms),
                    f.failed
                ),
            ));
            if let Some(n) = get(runs, s.id, Contender::Naive) {
                let nf = n.figures();
                t.push(Target::new(
                    format!(
                        "{}: naive stalls for the blocker's duration (for contrast)",
                        s.id
                    ),
                    Some(nf.during_max >= cfg.blocker * 1000.0 * 0.9),
                    format!(
                        "naive max {}, blocker {:.0} s",
                        ms(nf.during_max),
                        cfg.blocker
                    ),
                ));
            }
        } else {
            t.push(Target::new(
                format!("{}: ours, max workload stall < 100 ms", s.id),
                Some(f.during_max < 100.0 && o.error.is_none()),
                format!(
                    "max {} (baseline p99 {}){failed_migration}",
                    ms(f.during_max),
                    ms(f.baseline_p99)
                ),
            ));
        }
        // The index and constraint scenarios build on populated columns.
        if !s.ours_attrs.is_empty() {
            t.push(Target::new(
                format!("{}: ours, max workload stall < 50 ms", s.id),
                Some(f.during_max < 50.0 && o.error.is_none()),
                format!("max {}{failed_migration}", ms(f.during_max)),
            ));
            if let Some(n) = get(runs, s.id, Contender::Naive) {
                let naive = n.figures().during_max;
                t.push(Target::new(
                    format!("{}: ours, max stall at least 10x below naive SQL's", s.id),
                    Some(naive >= 10.0 * f.during_max),
                    format!(
                        "naive max {}, ours {} ({:.1}x)",
                        ms(naive),
                        ms(f.during_max),
                        naive / f.during_max.max(0.001)
                    ),
                ));
            }
        }
        t.push(Target::new(
            format!(
                "{}: ours, strong locks held < 50 ms at {} rows",
                s.id,
                thousands(cfg.rows as f64)
            ),
            Some(f.lock_ms < 50.0),
            if f.lock_ms > 0.0 {
                format!("longest {} ({})", ms(f.lock_ms), f.lock_what)
            } else {
                "none seen in the 20 ms samples".into()
            },
        ));
        if s.standby {
            // migrate-gen's default bound; the standby reports its replay once a second.
            let bound = 5.0;
            let naive = get(runs, s.id, Contender::Naive).and_then(|n| n.replication);
            t.push(match o.replication {
                Some(lag) => Target::new(
                    "standby: ours, peak replay lag within its bound (5 s) + 1 s of reporting + one batch".into(),
                    Some(lag.peak_seconds <= bound + 1.0 + 0.1),
                    format!(
                        "ours {:.1} s / {}{}",
                        lag.peak_seconds,
                        bytes(lag.peak_bytes),
                        naive.map_or(String::new(), |n| format!(
                            "; naive {:.1} s / {}",
                            n.peak_seconds,
                            bytes(n.peak_bytes)
                        ))
                    ),
                ),
                None => Target::new("standby: ours".into(), None, "no lag sampled".into()),
            });
        }
        if s.id == "backfill" || s.id == "standby" {
            let naive = get(runs, s.id, Contender::Naive).and_then(|n| n.figures().fill);
            t.push(match (f.fill, naive) {
                (Some((ours, _)), Some((single, _))) => Target::new(
                    format!(
                        "{}: ours >= 75% of the single-UPDATE rate, p99 <= 2x baseline, max < 50 ms",
                        s.id
                    ),
                    Some(
                        ours >= 0.75 * single
                            && f.during_p99 <= 2.0 * f.baseline_p99
                            && f.during_max < 50.0,
                    ),
                    format!(
                        "{} rows/s = {:.0}% of {} rows/s; p99 {} vs baseline {} ({:.1}x); max {}",
                        thousands(ours),
                        100.0 * ours / single,
                        thousands(single),
                        ms(f.during_p99),
                        ms(f.baseline_p99),
                        f.during_p99 / f.baseline_p99.max(1e-9),
                        ms(f.during_max)
                    ),
                ),
                _ => Target::new(
                    format!("{}: ours >= 75% of the single-UPDATE rate", s.id),
                    None,
                    "no rate for one of them".into(),
                ),
            });
            if cfg.rows >= 10_000_000 {
                let at_1m =
                    earlier_1m.and_then(|text| report::tsv_fill_rate(text, "backfill", "ours"));
                t.push(match (f.fill, at_1m) {
                    (Some((r10, _)), Some(r1)) => Target::new(
                        "backfill: ours at 10M >= 0.8x the 1M rate".into(),
                        Some(r10 >= 0.8 * r1),
                        format!(
                            "{} vs {} rows/s ({:.2}x)",
                            thousands(r10),
                            thousands(r1),
                            r10 / r1
                        ),
                    ),
                    _ => Target::new(
                        "backfill: ours at 10M >= 0.8x the 1M rate".into(),
                        None,
                        "no 1M result (results-1000000.tsv) to compare with".into(),
                    ),
                });
            }
        }
        if let Some(r) = get(runs, s.id, Contender::Reshape) {
            let rf = r.figures();
            let mut detail = format!(
                "stall {} vs Reshape {}",
                ms(f.during_max),
                ms(rf.during_max)
            );
            let mut met = f.during_max < rf.during_max;
            // Both under the 100 ms stall target: the difference is the workload's noise.
            let tie_stall = f.during_max < 100.0 && rf.during_max < 100.0;
            if tie_stall {
                met = true;
                detail.push_str(" (neither stalled: both under 100 ms)");
            }
            let mut tie = tie_stall;
            if let (Some((a, _)), Some((b, _))) = (f.fill, rf.fill) {
                detail.push_str(&format!(
                    "; fill {} vs {} rows/s",
                    thousands(a),
                    thousands(b)
                ));
                met &= a > b;
                tie = false;
            }
            if let Some(e) = &r.error {
                detail.push_str(&format!("; Reshape failed: {e}"));
            }
            if rf.failed > 0 {
                detail.push_str(&format!("; {} failed statements under Reshape", rf.failed));
            }
            let mut target = Target::new(
                format!("{}: ours ahead of Reshape (stall, fill rate)", s.id),
                Some(met),
                detail,
            );
            target.tie = tie;
            t.push(target);
        }
    }
    t
}

fn targets_markdown(t: &[Target]) -> String {
    let mut out = String::from("| target | | figures |\n|---|---|---|\n");
    for x in t {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            x.what,
            x.mark(),
            x.detail.replace('|', "/")
        ));
    }
    out
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = Args::parse();
    if let Some(versions) = args.expand_probe {
        match genbench::expand_probe(versions) {
            Ok(line) => println!("{line}"),
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    if let Err(e) = real_main(args).await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn real_main(args: Args) -> Result<(), String> {
    let started = Instant::now();
    let root = workspace_root();
    if let Some(n) = args.fleet {
        let migrate_gen = migrate_gen_binary(&args, &root)?;
        let table = fleet::run(
            &migrate_gen,
            &args.server,
            n,
            &args.fleet_parallel,
            &std::env::temp_dir(),
        )
        .await?;
        say(&format!(
            "fleet of {n} databases, {:.0} s in all; load average now {}\n\n{table}",
            started.elapsed().as_secs_f64(),
            loadavg()
        ));
        return Ok(());
    }
    let rows = if args.smoke { 20_000 } else { args.rows };
    let label = if args.smoke {
        "smoke".to_owned()
    } else {
        rows.to_string()
    };
    let out = args.out.clone().unwrap_or_else(|| {
        if args.smoke {
            root.join("target/bench-smoke")
        } else {
            root.join("docs/bench")
        }
    });
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let cfg = Config {
        rows,
        smoke: args.smoke,
        server: args.server.clone(),
        clients: args.clients,
        baseline: args.baseline.unwrap_or(if args.smoke { 2.5 } else { 30.0 }),
        tail: if args.smoke { 0.7 } else { 5.0 },
        blocker: args.blocker.unwrap_or(if args.smoke { 5.0 } else { 20.0 }),
        calibrate: if args.smoke { 2.0 } else { 5.0 },
        lock_timeout: args.lock_timeout.clone(),
        batch_size: args.batch_size,
        lock_timeout_ms: duration_ms(&args.lock_timeout)?,
        work: target_dir.join(format!("bench-work/{label}")),
        out,
        root: root.clone(),
    };
    std::fs::create_dir_all(&cfg.out).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&cfg.work).map_err(|e| e.to_string())?;
    let all = scenario::all();
    let scenarios: Vec<scenario::Scenario> = all
        .into_iter()
        .filter(|s| {
            if args.scenarios.is_empty() {
                // Smoke mode leaves out the standby scenario (two clusters to start).
                !(args.smoke && s.standby)
            } else {
                args.scenarios.iter().any(|x| x == s.id)
            }
        })
        .collect();
    let none = args.scenarios.iter().any(|x| x == "none");
    if scenarios.is_empty() && !none {
        return Err(
            "no such scenario (backfill, standby, index, foreign_key, unique, retype, rename, lock_queue, none)"
                .into(),
        );
    }
    let contenders: Vec<Contender> = Contender::ALL
        .into_iter()
        .filter(|c| args.contenders.is_empty() || args.contenders.iter().any(|x| x == c.name()))
        .collect();

    let migrate_gen = migrate_gen_binary(&args, &root)?;
    let (reshape, reshape_missing) = if contenders.contains(&Contender::Reshape) {
        reshape_binary(&args, !args.smoke && !args.no_install_reshape)
    } else {
        (None, "not selected".into())
    };
    let tools = Tools {
        migrate_gen,
        reshape,
        reshape_missing,
    };
    let pg = query_text(&cfg.url("postgres"), "SELECT version()").await?;
    let when = query_text(
        &cfg.url("postgres"),
        "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC'",
    )
    .await?;
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load_start = loadavg();
    let reshape_version = match &tools.reshape {
        Some(p) => std::process::Command::new(p)
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default(),
        None => tools.reshape_missing.clone(),
    };
    say(&format!(
        "bench: {} rows, {} clients, {} cores, {pg}\n  started {when}, load average {load_start}\n  reshape: {reshape_version}",
        thousands(cfg.rows as f64),
        cfg.clients,
        cores
    ));

    // The rate: a fraction of the maximum measured on a loaded table.
    let rate = match args.rate {
        Some(r) => r,
        None if none => 0.0,
        None => {
            let db = format!("bench_{}_calibrate", std::process::id());
            admin(&cfg, &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await?;
            admin(&cfg, &format!("CREATE DATABASE {db}")).await?;
            let url = cfg.url(&db);
            let r = async {
                contender::sql(&url, &[scenario::NAIVE_V1.to_owned()]).await?;
                contender::sql(&url, &scenario::load_sql(cfg.rows, !cfg.smoke)).await?;
                workload::measure_max(&url, cfg.clients, cfg.rows as i64, cfg.calibrate).await
            }
            .await;
            admin(&cfg, &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await?;
            let max = r?;
            say(&format!(
                "maximum: {} statements/s with {} clients back to back; workload rate {:.0}% of it: {}/s",
                thousands(max),
                cfg.clients,
                args.load * 100.0,
                thousands(max * args.load)
            ));
            max * args.load
        }
    };

    let mut runs = Vec::new();
    for s in &scenarios {
        say(&format!("\n{}: {}", s.id, s.title));
        // The standby scenario runs on a primary and standby of its own.
        let cluster = if s.standby {
            Some(replication::start().await?)
        } else {
            None
        };
        let scfg = match &cluster {
            Some(c) => Config {
                server: format!("postgres://postgres@127.0.0.1:{}", c.primary_port),
                ..cfg.clone()
            },
            None => cfg.clone(),
        };
        for &c in &contenders {
            let t = Instant::now();
            let r = run_one(&scfg, s, c, &tools, rate, cluster.as_deref()).await?;
            print_run(&r, t.elapsed().as_secs_f64());
            runs.push(r);
        }
        let mine: Vec<&Run> = runs.iter().filter(|r| r.scenario == s.id).collect();
        let png = cfg.out.join(format!("{}-{}.png", s.id, label));
        if let Err(e) = plot::draw(
            &png,
            &format!(
                "{}: {} ({} rows, {}/s workload)",
                s.id,
                s.title,
                thousands(cfg.rows as f64),
                thousands(rate)
            ),
            &mine,
        ) {
            say(&format!("  plot {}: {e}", png.display()));
        }
    }

    // The generator's own benchmark.
    let mut gen_lines = Vec::new();
    let mut gen_targets = Vec::new();
    if !args.no_generate_bench {
        let g = genbench::generate_500x10(
            &tools.migrate_gen,
            &cfg.work,
            if cfg.smoke { 1 } else { 3 },
            if cfg.smoke { 50 } else { 500 },
        );
        match &g.error {
            Some(e) => gen_lines.push(format!("generate 500 x 10: failed: {e}")),
            None => {
                let wall = median(&g.seconds);
                let user: Vec<f64> = g.cpu.iter().map(|c| c.0).collect();
                let sys: Vec<f64> = g.cpu.iter().map(|c| c.1).collect();
                let cpu = format!(
                    "{:.2} s user + {:.2} s system CPU",
                    median(&user),
                    median(&sys)
                );
                let disk = g.disk.map_or(String::new(), |(w, (u, s))| {
                    format!("; to disk: {w:.2} s wall, {u:.2} s user + {s:.2} s system CPU")
                });
                gen_lines.push(format!(
                    "generate {} tables x 10 versions: {} files; to memory (tmpfs): {wall:.2} s wall, {cpu} (median of {}: {}){disk}; generate --check {:.2} s",
                    g.tables,
                    thousands(g.files as f64),
                    g.seconds.len(),
                    g.seconds
                        .iter()
                        .map(|x| format!("{x:.2} s"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    g.check_seconds
                ));
                gen_targets.push(Target::new(
                    "generate on 500 x 10 < 2 s".into(),
                    (g.tables == 500).then_some(wall < 2.0),
                    format!(
                        "{wall:.2} s wall to memory, {cpu}{disk} (load average {})",
                        loadavg()
                    ),
                ));
            }
        }
    }
    if !args.no_compile_bench && !cfg.smoke {
        say(
            "\ncompile time: 100 structs, plain derives vs #[versioned] (building dependencies first)",
        );
        let c = genbench::compile_time(&cfg.root, &cfg.work, 100, 3);
        match &c.error {
            Some(e) => gen_lines.push(format!("compile time: failed: {e}")),
            None => {
                let plain = c.crates.iter().find(|x| x.0 == "plain_derives");
                for (name, median, times, cpu) in &c.crates {
                    gen_lines.push(format!(
                        "compile {name} (100 structs): {median:.2} s wall{} (median of {}: {}){}",
                        cpu.map_or(String::new(), |c| format!(", {c:.2} s CPU")),
                        times.len(),
                        times
                            .iter()
                            .map(|x| format!("{x:.2} s"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        plain.map_or(String::new(), |p| format!(", {:.2}x plain", median / p.1))
                    ));
                }
                if let Some(p) = plain {
                    for (name, median, _, cpu) in c.crates.iter().filter(|x| x.0 != "plain_derives")
                    {
                        let cpu_ratio = match (cpu, p.3) {
                            (Some(a), Some(b)) if b > 0.0 => format!(", CPU {:.2}x", a / b),
                            _ => String::new(),
                        };
                        gen_targets.push(Target::new(
                            format!("macro compile time <= 2x plain derives ({name})"),
                            Some(*median <= 2.0 * p.1),
                            format!(
                                "{median:.2} s vs {:.2} s ({:.2}x{cpu_ratio})",
                                p.1,
                                median / p.1
                            ),
                        ));
                    }
                }
            }
        }
    }
    if !args.no_scale_bench {
        say("\nscale: one struct with 10, 50, 100 and 500 versions (expansion, rebuild, generate)");
        let rows = genbench::scale(
            &tools.migrate_gen,
            &cfg.root,
            &cfg.work,
            if cfg.smoke { 1 } else { 3 },
            !cfg.smoke,
            Duration::from_secs(180),
        );
        let (lines, targets) = scale_report(&rows);
        gen_lines.extend(lines);
        gen_targets.extend(targets);
    }
    for l in &gen_lines {
        say(l);
    }

    let earlier = std::fs::read_to_string(cfg.out.join("results-1000000.tsv")).ok();
    let mut all_targets = targets(&runs, &scenarios, &cfg, earlier.as_deref());
    all_targets.extend(gen_targets);
    let load_end = loadavg();
    let titles: Vec<(&str, &str)> = scenarios.iter().map(|s| (s.id, s.title)).collect();
    let mut md = format!(
        "# Benchmark results: {} rows{}\n\n\
         Command: `cargo run --release -p bench -- {}`\n\n\
         - started {when}, took {:.0} s\n- {cores} cores, {pg}\n- load average at start {load_start}, at end {load_end}\n\
         - workload: {} clients, {}/s fixed rate ({}), latency from each statement's scheduled start\n\
         - baseline {:.0} s per run, lock-queue blocker {:.0} s, pg_locks sampled every 20 ms\n\
         - migrate-gen files generated with --lock-timeout {} --batch-size {}\n- reshape: {reshape_version}\n\n",
        thousands(cfg.rows as f64),
        if cfg.smoke { " (smoke)" } else { "" },
        std::env::args().skip(1).collect::<Vec<_>>().join(" "),
        started.elapsed().as_secs_f64(),
        cfg.clients,
        thousands(rate),
        if args.rate.is_some() {
            "given".to_owned()
        } else {
            format!("{:.0}% of the measured maximum", args.load * 100.0)
        },
        cfg.baseline,
        cfg.blocker,
        cfg.lock_timeout,
        cfg.batch_size,
    );
    md.push_str(&report::table_markdown(&runs, &titles));
    md.push_str("\nWhere the stalls fell:\n\n");
    md.push_str(&report::stalls_markdown(&runs));
    md.push_str("\nTargets:\n\n");
    md.push_str(&targets_markdown(&all_targets));
    if !gen_lines.is_empty() {
        md.push_str("\nGenerator:\n\n");
        for l in &gen_lines {
            md.push_str(&format!("- {l}\n"));
        }
    }
    let failures: Vec<String> = runs
        .iter()
        .filter(|r| r.skipped.is_none())
        .flat_map(|r| {
            r.figures()
                .failures
                .into_iter()
                .take(3)
                .map(|(m, n)| format!("- {} / {}: {n} x {m}", r.scenario, r.contender.name()))
                .collect::<Vec<_>>()
        })
        .collect();
    if !failures.is_empty() {
        md.push_str("\nFailed statements:\n\n");
        md.push_str(&failures.join("\n"));
        md.push('\n');
    }
    std::fs::write(cfg.out.join(format!("results-{label}.md")), &md).map_err(|e| e.to_string())?;
    std::fs::write(
        cfg.out.join(format!("results-{label}.tsv")),
        report::tsv(&runs),
    )
    .map_err(|e| e.to_string())?;

    say("\ntargets (printed, never failing):");
    for x in &all_targets {
        say(&format!("  [{}] {}: {}", x.mark(), x.what, x.detail));
    }
    say(&format!(
        "\nresults: {} (took {:.0} s; load average {load_end})",
        cfg.out.join(format!("results-{label}.md")).display(),
        started.elapsed().as_secs_f64()
    ));
    // The targets never fail a run; a benchmark that measured nothing does: in smoke mode, a
    // naive or migrate-gen migration that failed or did not leave the intended catalog.
    if cfg.smoke {
        let broken: Vec<String> = runs
            .iter()
            .filter(|r| r.contender != Contender::Reshape)
            .filter_map(|r| {
                let why = match &r.skipped {
                    Some(s) if s.starts_with("failed") => s.as_str(),
                    Some(_) => return None,
                    None if r.error.is_some() => r.error.as_deref().unwrap_or(""),
                    None if r.verified == Some(false) => {
                        "the result is not what the scenario intends"
                    }
                    None => return None,
                };
                Some(format!("{} / {}: {why}", r.scenario, r.contender.name()))
            })
            .collect();
        if !broken.is_empty() {
            return Err(format!(
                "the smoke run measured broken migrations: {}",
                broken.join("; ")
            ));
        }
    }
    Ok(())
}
