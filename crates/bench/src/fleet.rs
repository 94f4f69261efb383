//! The fleet benchmark (`--fleet N`): N small databases (one table of 1,000 rows) taken
//! through one release with `migrate-gen apply --targets` (the expand phase, then the
//! contract phase), and back with `rollback --targets --to 1`, at each `--fleet-parallel`.
//! Wall time for the fleet, and per database (wall / N, what a fleet of thousands scales
//! by, and the mean of each database's own time as the tool prints it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::contender::sql;
use crate::{loadavg, say};

/// The fleet's crate (its comment says what each release does).
const ITEMS: &str = include_str!("../../migrate-gen/tests/fixtures/fleet_items.rs");

/// One timed fleet command.
struct Timed {
    wall: f64,
    /// The mean of the databases' own times, from their lines.
    mean: f64,
}

fn timed(migrate_gen: &Path, args: &[&str]) -> Result<Timed, String> {
    let started = Instant::now();
    let out = Command::new(migrate_gen)
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .map_err(|e| format!("{}: {e}", migrate_gen.display()))?;
    let wall = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "migrate-gen {} failed:\n{stdout}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let times: Vec<f64> = stdout
        .lines()
        .filter(|l| l.starts_with("ok "))
        .filter_map(|l| {
            let (_, rest) = l.rsplit_once('(')?;
            rest.strip_suffix(" s)")?.parse().ok()
        })
        .collect();
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    Ok(Timed { wall, mean })
}

pub async fn run(
    migrate_gen: &Path,
    server: &str,
    databases: usize,
    parallels: &[usize],
    work: &Path,
) -> Result<String, String> {
    let server = server.trim_end_matches('/');
    let dir = work.join(format!("fleet-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("src/lib.rs"), ITEMS).map_err(|e| e.to_string())?;
    let sql_dir = dir.join("sql");
    let d = |p: &PathBuf| p.to_str().expect("a UTF-8 path").to_owned();
    let out = Command::new(migrate_gen)
        .args(["generate", "--src", &d(&dir), "--out", &d(&sql_dir)])
        .args(["--date", "2026-01-31", "--author", "bench"])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let names: Vec<String> = (0..databases)
        .map(|i| format!("mg_fleet_bench_{}_{i}", std::process::id()))
        .collect();
    let result = measure(migrate_gen, server, &names, parallels, &dir, &sql_dir).await;
    say("dropping the fleet's databases");
    for name in &names {
        let _ = sql(
            &format!("{server}/postgres"),
            &[format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")],
        )
        .await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn measure(
    migrate_gen: &Path,
    server: &str,
    names: &[String],
    parallels: &[usize],
    dir: &Path,
    sql_dir: &Path,
) -> Result<String, String> {
    let created = Instant::now();
    for name in names {
        sql(
            &format!("{server}/postgres"),
            &[format!("CREATE DATABASE \"{name}\"")],
        )
        .await?;
    }
    say(&format!(
        "created {} databases in {:.1} s",
        names.len(),
        created.elapsed().as_secs_f64()
    ));
    let targets = dir.join("targets.txt");
    let urls: Vec<String> = names.iter().map(|n| format!("{server}/{n}")).collect();
    std::fs::write(&targets, urls.join("\n")).map_err(|e| e.to_string())?;
    let (t, s) = (
        targets.to_str().expect("UTF-8").to_owned(),
        sql_dir.to_str().expect("UTF-8").to_owned(),
    );
    let fleet = |cmd: &str, parallel: usize, extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = [cmd, "--targets", &t, "--dir", &s, "--parallel"]
            .iter()
            .map(|a| a.to_string())
            .collect();
        args.push(parallel.to_string());
        args.extend(extra.iter().map(|a| a.to_string()));
        args
    };
    let run = |args: Vec<String>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        timed(migrate_gen, &refs)
    };
    run(fleet("apply", 8, &["--to", "1"]))?;
    for url in &urls {
        sql(
            url,
            &[
                "INSERT INTO items SELECT g, 'item ' || g, NULL FROM generate_series(1, 1000) g"
                    .to_owned(),
            ],
        )
        .await?;
    }
    let n = names.len() as f64;
    let mut table = format!(
        "| --parallel | expand: fleet | contract: fleet | release: fleet | release: per database (wall / {n}) | one database's own time (mean, expand + contract) | rollback --to 1: fleet | load average before |\n|---|---|---|---|---|---|---|---|\n",
        n = names.len()
    );
    for &p in parallels {
        let load = loadavg();
        say(&format!(
            "--parallel {p}: expand, contract, rollback (load {load})"
        ));
        let expand = run(fleet("apply", p, &["--phase", "expand"]))?;
        let contract = run(fleet("apply", p, &["--phase", "contract"]))?;
        let back = run(fleet("rollback", p, &["--to", "1"]))?;
        let release = expand.wall + contract.wall;
        table.push_str(&format!(
            "| {p} | {:.1} s | {:.1} s | {:.1} s | {:.0} ms | {:.0} ms | {:.1} s | {load} |\n",
            expand.wall,
            contract.wall,
            release,
            release / n * 1000.0,
            (expand.mean + contract.mean) * 1000.0,
            back.wall,
        ));
        say(&table);
    }
    Ok(table)
}
