//! A primary and a streaming standby of their own, for the tests of what a migration does to
//! replication (SPEC section 10): two clusters made with `initdb` and `pg_basebackup -R` in a
//! temporary folder, on free ports, run as the `postgres` OS user. The shared server on 5432
//! is never touched. Both clusters are stopped and their folder removed when this is dropped,
//! panic or not.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use postgres::{Client, NoTls};

/// Where PostgreSQL 15's server programs are (Debian and Ubuntu's layout).
const BIN: &str = "/usr/lib/postgresql/15/bin";

/// The standby's name, as the primary's `pg_stat_replication.application_name` shows it.
pub const STANDBY_NAME: &str = "s1";

/// The standby's physical replication slot on the primary.
pub const SLOT: &str = "mg_standby";

/// A primary on `primary_port` streaming to a hot standby on `standby_port`.
pub struct Replicated {
    dir: PathBuf,
    pub primary_port: u16,
    pub standby_port: u16,
}

impl Replicated {
    /// Starts both clusters and waits until the standby streams. Panics, cleaning up, when a
    /// step fails.
    pub fn start(label: &str) -> Replicated {
        let dir = std::env::temp_dir().join(crate::unique_name(&format!("repl_{label}")));
        std::fs::create_dir_all(&dir).unwrap();
        let cluster = Replicated {
            dir,
            primary_port: free_port(),
            standby_port: free_port(),
        };
        // From here on, a panic drops `cluster`, which stops what was started.
        give_to_postgres(&cluster.dir);
        let primary = cluster.primary_dir();
        pg(
            "initdb",
            &[
                "-D",
                path(&primary),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        let hba = primary.join("pg_hba.conf");
        let mut text = std::fs::read_to_string(&hba).unwrap();
        text.push_str("\nhost replication all 127.0.0.1/32 trust\n");
        std::fs::write(&hba, text).unwrap();
        cluster.start_cluster(
            &primary,
            cluster.primary_port,
            "-c wal_level=replica -c max_wal_senders=4 -c max_replication_slots=4 -c fsync=off -c shared_buffers=64MB",
        );
        let standby = cluster.standby_dir();
        pg(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &cluster.primary_port.to_string(),
                "-U",
                "postgres",
                "-D",
                path(&standby),
                "-R",
                "-C",
                "-S",
                SLOT,
                "-X",
                "stream",
                "--no-sync",
            ],
        );
        cluster.start_cluster(
            &standby,
            cluster.standby_port,
            &format!(
                "-c hot_standby=on -c cluster_name={STANDBY_NAME} -c wal_receiver_status_interval=1s -c fsync=off -c shared_buffers=64MB"
            ),
        );
        let mut primary = cluster.primary("postgres");
        let deadline = Instant::now() + Duration::from_secs(60);
        while primary
            .query_one(
                "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'",
                &[],
            )
            .unwrap()
            .get::<_, i64>(0)
            == 0
        {
            assert!(Instant::now() < deadline, "the standby never streamed");
            std::thread::sleep(Duration::from_millis(100));
        }
        cluster
    }

    fn primary_dir(&self) -> PathBuf {
        self.dir.join("primary")
    }

    fn standby_dir(&self) -> PathBuf {
        self.dir.join("standby")
    }

    fn start_cluster(&self, data: &Path, port: u16, options: &str) {
        let log = self.dir.join(format!("{port}.log"));
        pg(
            "pg_ctl",
            &[
                "-D",
                path(data),
                "-l",
                path(&log),
                "-w",
                "-t",
                "120",
                "-o",
                &format!(
                    "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} {options}",
                    path(&self.dir)
                ),
                "start",
            ],
        );
    }

    /// `postgres://postgres@127.0.0.1:PORT/DB` of the primary.
    pub fn primary_url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.primary_port)
    }

    pub fn primary(&self, db: &str) -> Client {
        connect(self.primary_port, db)
    }

    pub fn standby(&self, db: &str) -> Client {
        connect(self.standby_port, db)
    }

    /// Stops applying WAL on the standby (it keeps receiving it).
    pub fn pause_replay(&self) {
        self.standby("postgres")
            .batch_execute("SELECT pg_wal_replay_pause()")
            .unwrap();
    }

    pub fn resume_replay(&self) {
        self.standby("postgres")
            .batch_execute("SELECT pg_wal_replay_resume()")
            .unwrap();
    }

    /// Waits until the standby has replayed everything the primary wrote so far.
    pub fn wait_caught_up(&self, timeout: Duration) {
        let mut primary = self.primary("postgres");
        let target: String = primary
            .query_one("SELECT pg_current_wal_lsn()::text", &[])
            .unwrap()
            .get(0);
        let mut standby = self.standby("postgres");
        let deadline = Instant::now() + timeout;
        while !standby
            .query_one(
                "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn",
                &[&target],
            )
            .unwrap()
            .get::<_, bool>(0)
        {
            assert!(Instant::now() < deadline, "the standby did not catch up");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Replicated {
    fn drop(&mut self) {
        for data in [self.standby_dir(), self.primary_dir()] {
            if data.join("postmaster.pid").exists() {
                let _ = run_as_postgres(
                    &format!("{BIN}/pg_ctl"),
                    &["-D", path(&data), "-m", "immediate", "-w", "stop"],
                );
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn connect(port: u16, db: &str) -> Client {
    Client::connect(
        &format!("host=127.0.0.1 port={port} user=postgres dbname={db}"),
        NoTls,
    )
    .unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs one of PostgreSQL's programs as the `postgres` user; panics with its output on failure.
fn pg(program: &str, args: &[&str]) {
    let out = run_as_postgres(&format!("{BIN}/{program}"), args);
    assert!(
        out.status.success(),
        "{program} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `program args` as the `postgres` OS user: through `runuser` when this process is root
/// (PostgreSQL refuses to run as root), directly otherwise.
fn run_as_postgres(program: &str, args: &[&str]) -> std::process::Output {
    let mut cmd = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", program]);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args)
        .env_remove("PGDATA")
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"))
}

/// Makes `dir` the `postgres` user's when this process is root (else it is already the
/// folder of the user the clusters run as).
fn give_to_postgres(dir: &Path) {
    if is_root() {
        let out = Command::new("chown")
            .args(["-R", "postgres:postgres", path(dir)])
            .output()
            .unwrap();
        assert!(out.status.success(), "chown {} failed", dir.display());
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}
