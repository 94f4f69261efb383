//! `cargo xtask test [--no-bench] [-- CARGO_TEST_ARGS...]`: every test of the workspace on a
//! fresh machine of the kind CI runs on, with nothing installed by hand.
//!
//! 1. Starts the local PostgreSQL and Redis when they are down (the tests create their own
//!    databases and keys there).
//! 2. `cargo test --workspace`: the lint tests use the `squawk-linter` crate and the sqlx
//!    tests the `sqlx` library, so no Python package or sqlx-cli is needed.
//! 3. `migrate-gen generate --check` on the example's committed folders (both layouts), and
//!    `migrate-gen verify` on its plain folder, as a user's CI would run it.
//! 4. The benchmark's smoke mode (about 2 minutes; `--no-bench` skips it): it fails when a
//!    migration it measures fails.

use std::process::{Command, ExitCode};
use std::time::Duration;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("test") => match test(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("usage: cargo xtask test [--no-bench] [-- CARGO_TEST_ARGS...]");
            ExitCode::from(2)
        }
    }
}

/// Runs `program args`, inheriting the terminal; an error naming it when it fails.
fn run(program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("xtask: {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

/// Whether `program args` exits 0, quietly.
fn quiet(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Waits up to 30 s for `ready`.
fn wait(what: &str, ready: impl Fn() -> bool) -> Result<(), String> {
    for _ in 0..60 {
        if ready() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    Err(format!("{what} did not start within 30 s"))
}

fn postgres() -> Result<(), String> {
    let ready = || quiet("pg_isready", &["-q", "-h", "127.0.0.1", "-p", "5432"]);
    if ready() {
        return Ok(());
    }
    let version = std::fs::read_dir("/etc/postgresql")
        .map_err(|e| format!("PostgreSQL is down and /etc/postgresql cannot be read: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .max()
        .ok_or("PostgreSQL is down and no cluster is configured in /etc/postgresql")?;
    run(
        "pg_ctlcluster",
        &["--skip-systemctl-redirect", &version, "main", "start"],
    )?;
    wait("PostgreSQL", ready)
}

fn redis() -> Result<(), String> {
    let ready = || quiet("redis-cli", &["-h", "127.0.0.1", "-p", "6379", "ping"]);
    if ready() {
        return Ok(());
    }
    run(
        "redis-server",
        &[
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "-::1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
    )?;
    wait("Redis", ready)
}

fn test(args: &[String]) -> Result<(), String> {
    // The workspace root, wherever `cargo xtask` was run from.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("xtask is not inside the workspace")?;
    std::env::set_current_dir(root).map_err(|e| format!("{}: {e}", root.display()))?;
    let no_bench = args.iter().any(|a| a == "--no-bench");
    let extra: Vec<&str> = args
        .iter()
        .skip_while(|a| *a != "--")
        .skip(1)
        .map(String::as_str)
        .collect();
    postgres()?;
    redis()?;
    let mut cargo_test = vec!["test", "--workspace"];
    if !extra.is_empty() {
        cargo_test.push("--");
        cargo_test.extend(&extra);
    }
    run("cargo", &cargo_test)?;
    for (out, layout) in [
        ("examples/service/sql", "plain"),
        ("examples/service/sqlx-migrations", "sqlx"),
    ] {
        run(
            "cargo",
            &[
                "run",
                "-q",
                "-p",
                "migrate-gen",
                "--",
                "generate",
                "--check",
                "--src",
                "examples/service",
                "--out",
                out,
                "--layout",
                layout,
            ],
        )?;
    }
    run(
        "cargo",
        &[
            "run",
            "-q",
            "-p",
            "migrate-gen",
            "--",
            "verify",
            "--database-url",
            "postgres://postgres@127.0.0.1:5432/postgres",
            "--dir",
            "examples/service/sql",
            "--src",
            "examples/service",
        ],
    )?;
    if !no_bench {
        run("cargo", &["run", "-q", "-p", "bench", "--", "--smoke"])?;
    }
    eprintln!("xtask: every test passed");
    Ok(())
}
