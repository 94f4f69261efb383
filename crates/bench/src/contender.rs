//! The three contenders: how each sets up the starting tables and runs the scenario's change,
//! with the time of each step of the migration.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;
use tokio_postgres::NoTls;

use crate::scenario::{self, Scenario};
use crate::workload::NewCode;

/// Reshape's schema for version 2 (`migration_` + the migration's name), which its new code uses.
const RESHAPE_V2_SCHEMA: &str = "migration_2_change";

/// Reshape verifies the server's certificate when TLS is offered; the local server's is
/// self-signed, so Reshape connects without TLS.
fn reshape_url(url: &str) -> String {
    format!(
        "{url}{}sslmode=disable",
        if url.contains('?') { '&' } else { '?' }
    )
}

/// What the new version's code runs for this contender.
pub fn new_code(p: &Prepared, s: &Scenario) -> NewCode {
    NewCode {
        session: matches!(p, Prepared::Reshape { .. })
            .then(|| format!("SET search_path TO {RESHAPE_V2_SCHEMA}")),
        insert: s.new_insert.map(str::to_owned),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contender {
    Naive,
    Ours,
    Reshape,
}

impl Contender {
    pub const ALL: [Contender; 3] = [Contender::Naive, Contender::Ours, Contender::Reshape];

    pub fn name(self) -> &'static str {
        match self {
            Contender::Naive => "naive",
            Contender::Ours => "ours",
            Contender::Reshape => "reshape",
        }
    }
}

/// One step of a migration, in seconds since the run's start.
#[derive(Debug, Clone)]
pub struct Step {
    pub label: String,
    pub start: f64,
    pub end: f64,
    /// The step writes every existing row (a backfill, a copy or a rewrite).
    pub fill: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Migration {
    pub steps: Vec<Step>,
    /// Retries and other notable lines, with their time.
    pub events: Vec<(f64, String)>,
    /// Everything the tool printed, with times.
    pub log: String,
    pub error: Option<String>,
}

/// What a contender needs prepared before its database exists.
pub enum Prepared {
    Naive,
    /// The migrations folder and the number of the last file of version 1.
    Ours {
        dir: PathBuf,
        v1_last: u32,
    },
    /// The migrations folder (1_init.toml now; 2_change.toml is written after the load).
    Reshape {
        dir: PathBuf,
        change: String,
    },
    /// The contender cannot run this scenario: why.
    Unsupported(String),
}

pub struct Tools {
    pub migrate_gen: PathBuf,
    pub reshape: Option<PathBuf>,
    /// Why Reshape is missing, when it is.
    pub reshape_missing: String,
}

pub async fn sql(url: &str, statements: &[String]) -> Result<(), String> {
    let (client, conn) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    for s in statements {
        client
            .batch_execute(s)
            .await
            .map_err(|e| format!("{s}: {}", db_error(&e)))?;
    }
    Ok(())
}

pub fn db_error(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    }
}

async fn run_tool(
    program: &Path,
    args: &[&str],
    t0: Instant,
    lines: &mut Vec<(f64, String)>,
) -> Result<(), String> {
    let mut child = Command::new(program)
        .args(args)
        .env("NO_COLOR", "1")
        .env("CLICOLOR", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    let mut out = BufReader::new(child.stdout.take().expect("piped")).lines();
    let mut err = BufReader::new(child.stderr.take().expect("piped")).lines();
    let (mut out_done, mut err_done) = (false, false);
    while !(out_done && err_done) {
        tokio::select! {
            l = out.next_line(), if !out_done => match l {
                Ok(Some(l)) => lines.push((t0.elapsed().as_secs_f64(), l)),
                _ => out_done = true,
            },
            l = err.next_line(), if !err_done => match l {
                Ok(Some(l)) => lines.push((t0.elapsed().as_secs_f64(), l)),
                _ => err_done = true,
            },
        }
    }
    let status = child.wait().await.map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        let tail: Vec<&str> = lines
            .iter()
            .rev()
            .take(3)
            .map(|(_, l)| l.as_str())
            .collect();
        Err(format!(
            "{} {} exited with {status}: {}",
            program.file_name().unwrap_or_default().to_string_lossy(),
            args.first().copied().unwrap_or(""),
            tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
        ))
    }
}

fn format_log(lines: &[(f64, String)]) -> String {
    lines
        .iter()
        .map(|(t, l)| format!("[{t:8.3}] {l}\n"))
        .collect()
}

/// Writes the contender's files (outside any database) and says whether it can run `s`.
pub async fn prepare(
    c: Contender,
    s: &Scenario,
    tools: &Tools,
    work: &Path,
    lock_timeout: &str,
    batch_size: u32,
) -> Result<Prepared, String> {
    let dir = work.join(format!("{}-{}", s.id, c.name()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    match c {
        Contender::Naive => Ok(Prepared::Naive),
        Contender::Ours => {
            // Version 1 first (the starting tables), then version 2 appended: a release each,
            // as a team would generate them.
            let src = dir.join("items.rs");
            let out = dir.join("sql");
            let out_s = out.to_string_lossy().into_owned();
            let src_s = src.to_string_lossy().into_owned();
            let batch = batch_size.to_string();
            let gen_args = [
                "generate",
                "--src",
                src_s.as_str(),
                "--out",
                out_s.as_str(),
                "--date",
                "2026-01-01",
                "--author",
                "bench",
                "--lock-timeout",
                lock_timeout,
                "--batch-size",
                batch.as_str(),
            ];
            std::fs::write(&src, scenario::ours_source(s, 1)).map_err(|e| e.to_string())?;
            let mut lines = Vec::new();
            run_tool(&tools.migrate_gen, &gen_args, Instant::now(), &mut lines).await?;
            let v1_last = last_number(&out)?;
            std::fs::write(&src, scenario::ours_source(s, 2)).map_err(|e| e.to_string())?;
            let mut lines = Vec::new();
            if let Err(e) =
                run_tool(&tools.migrate_gen, &gen_args, Instant::now(), &mut lines).await
            {
                let said: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
                let said = said.join(" ");
                let said = said.trim().strip_prefix("error: ").unwrap_or(said.trim());
                return Ok(Prepared::Unsupported(format!(
                    "not supported by this build: the generator refused it ({})",
                    if said.is_empty() { e } else { said.to_owned() }
                )));
            }
            Ok(Prepared::Ours { dir: out, v1_last })
        }
        Contender::Reshape => {
            let Some(_) = &tools.reshape else {
                return Ok(Prepared::Unsupported(tools.reshape_missing.clone()));
            };
            match s.reshape {
                Err(why) => Ok(Prepared::Unsupported(format!(
                    "not supported by Reshape: {why}"
                ))),
                Ok(change) => {
                    let m = dir.join("migrations");
                    std::fs::create_dir_all(&m).map_err(|e| e.to_string())?;
                    std::fs::write(m.join("1_init.toml"), scenario::RESHAPE_V1)
                        .map_err(|e| e.to_string())?;
                    Ok(Prepared::Reshape {
                        dir: m,
                        change: change.to_owned(),
                    })
                }
            }
        }
    }
}

/// The highest file number in a migrations folder (from its `migrations.lock`).
fn last_number(dir: &Path) -> Result<u32, String> {
    let text = std::fs::read_to_string(dir.join("migrations.lock")).map_err(|e| e.to_string())?;
    text.lines()
        .filter_map(|l| l.strip_prefix("file "))
        .filter_map(|l| l.split_whitespace().next()?.parse::<u32>().ok())
        .max()
        .ok_or_else(|| "migrations.lock lists no file".into())
}

/// Creates the starting tables (empty).
pub async fn setup(p: &Prepared, tools: &Tools, url: &str) -> Result<(), String> {
    match p {
        Prepared::Naive => sql(url, &[scenario::NAIVE_V1.to_owned()]).await,
        Prepared::Ours { dir, v1_last } => {
            let dir_s = dir.to_string_lossy().into_owned();
            let to = v1_last.to_string();
            let mut lines = Vec::new();
            run_tool(
                &tools.migrate_gen,
                &["apply", "--database-url", url, "--dir", &dir_s, "--to", &to],
                Instant::now(),
                &mut lines,
            )
            .await
        }
        Prepared::Reshape { dir, .. } => {
            let dir_s = dir.to_string_lossy().into_owned();
            let mut lines = Vec::new();
            let reshape = tools
                .reshape
                .as_ref()
                .expect("prepared only when installed");
            let url = reshape_url(url);
            run_tool(
                reshape,
                &[
                    "migration",
                    "start",
                    "--complete",
                    "--url",
                    &url,
                    "--dirs",
                    &dir_s,
                ],
                Instant::now(),
                &mut lines,
            )
            .await
        }
        Prepared::Unsupported(_) => Ok(()),
    }
}

/// Runs the scenario's change with the contender's tool, every phase, timing each step. The
/// new version's code is deployed (`deployed` set) where a deploy would put it: between the
/// expand and contract phases (Reshape: between `start` and `complete`), after a naive migration.
pub async fn migrate(
    p: &Prepared,
    s: &Scenario,
    tools: &Tools,
    url: &str,
    t0: Instant,
    deployed: &AtomicBool,
) -> Migration {
    let mut m = Migration::default();
    match p {
        Prepared::Naive => {
            let conn = tokio_postgres::connect(url, NoTls).await;
            let client = match conn {
                Ok((client, conn)) => {
                    tokio::spawn(async move {
                        let _ = conn.await;
                    });
                    client
                }
                Err(e) => {
                    m.error = Some(e.to_string());
                    return m;
                }
            };
            for stmt in s.naive {
                let start = t0.elapsed().as_secs_f64();
                let r = client.batch_execute(stmt).await;
                let end = t0.elapsed().as_secs_f64();
                let upper = stmt.to_ascii_uppercase();
                m.steps.push(Step {
                    label: (*stmt).to_owned(),
                    start,
                    end,
                    fill: upper.starts_with("UPDATE") || upper.contains(" TYPE "),
                });
                m.log
                    .push_str(&format!("[{start:8.3}] {stmt}\n[{end:8.3}]   done\n"));
                if let Err(e) = r {
                    m.error = Some(format!("{stmt}: {}", db_error(&e)));
                    let _ = client.batch_execute("ROLLBACK").await;
                    break;
                }
            }
            deployed.store(true, Ordering::Relaxed);
        }
        Prepared::Ours { dir, .. } => {
            let dir_s = dir.to_string_lossy().into_owned();
            let mut lines = Vec::new();
            let start = t0.elapsed().as_secs_f64();
            let mut r = run_tool(
                &tools.migrate_gen,
                &[
                    "apply",
                    "--database-url",
                    url,
                    "--dir",
                    &dir_s,
                    "--phase",
                    "expand",
                ],
                t0,
                &mut lines,
            )
            .await;
            deployed.store(true, Ordering::Relaxed);
            if r.is_ok() {
                r = run_tool(
                    &tools.migrate_gen,
                    &[
                        "apply",
                        "--database-url",
                        url,
                        "--dir",
                        &dir_s,
                        "--phase",
                        "contract",
                    ],
                    t0,
                    &mut lines,
                )
                .await;
            }
            let end = t0.elapsed().as_secs_f64();
            let mut open: Option<(String, f64, bool)> = None;
            for (t, l) in &lines {
                if let Some(rest) = l.strip_prefix("applying ") {
                    let name = rest.split(".sql").next().unwrap_or(rest).to_owned();
                    let phase = rest
                        .split_once('(')
                        .and_then(|(_, p)| p.split(',').next())
                        .unwrap_or("")
                        .to_owned();
                    open = Some((format!("{name} ({phase})"), *t, phase == "backfill"));
                } else if l.trim_start().starts_with("done in ") {
                    if let Some((label, s0, fill)) = open.take() {
                        m.steps.push(Step {
                            label,
                            start: s0,
                            end: *t,
                            fill,
                        });
                    }
                } else if l.contains("retry") {
                    m.events.push((*t, l.clone()));
                }
            }
            if let Some((label, s0, fill)) = open {
                m.steps.push(Step {
                    label: format!("{label}, failed"),
                    start: s0,
                    end,
                    fill,
                });
            }
            if m.steps.is_empty() {
                m.steps.push(Step {
                    label: "migrate-gen apply".into(),
                    start,
                    end,
                    fill: false,
                });
            }
            m.log = format_log(&lines);
            m.error = r.err();
        }
        Prepared::Reshape { dir, change } => {
            let reshape = tools
                .reshape
                .as_ref()
                .expect("prepared only when installed");
            if let Err(e) = std::fs::write(dir.join("2_change.toml"), change) {
                m.error = Some(e.to_string());
                return m;
            }
            let dir_s = dir.to_string_lossy().into_owned();
            let url = reshape_url(url);
            let fill_scenario = s.id == "backfill" || s.id == "retype";
            for (phase, args) in [
                (
                    "start",
                    vec!["migration", "start", "--url", &url, "--dirs", &dir_s],
                ),
                ("complete", vec!["migration", "complete", "--url", &url]),
            ] {
                if phase == "complete" {
                    deployed.store(true, Ordering::Relaxed);
                }
                let mut lines = Vec::new();
                let start = t0.elapsed().as_secs_f64();
                let r = run_tool(reshape, &args, t0, &mut lines).await;
                let end = t0.elapsed().as_secs_f64();
                let mut prev = start;
                let mut any = false;
                for (t, l) in &lines {
                    if let Some(action) = l.trim_start().strip_prefix("+ ") {
                        let action = action.trim_end_matches("done").trim().to_owned();
                        m.steps.push(Step {
                            fill: fill_scenario
                                && phase == "start"
                                && (action.starts_with("Adding column")
                                    || action.starts_with("Altering column")),
                            label: format!("{phase}: {action}"),
                            start: prev,
                            end: *t,
                        });
                        any = true;
                    }
                    prev = *t;
                }
                if !any || r.is_err() {
                    m.steps.push(Step {
                        label: format!("reshape migration {phase}"),
                        start: if any { prev } else { start },
                        end,
                        fill: false,
                    });
                }
                m.log.push_str(&format!("reshape migration {phase}:\n"));
                m.log.push_str(&format_log(&lines));
                if let Err(e) = r {
                    m.error = Some(e);
                    break;
                }
            }
        }
        Prepared::Unsupported(_) => {}
    }
    m
}
