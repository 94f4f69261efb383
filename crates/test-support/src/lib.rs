//! What the tests share (a dev-dependency only): a fresh database on the local PostgreSQL
//! (127.0.0.1:5432, trust auth, user `postgres`), dropped when it goes out of scope, panic or
//! not; and a run of a binary with its exit code and output.

pub mod standby;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use postgres::{Client, NoTls};

/// The maintenance database, for creating and dropping the tests' own.
pub const ADMIN: &str = "host=127.0.0.1 user=postgres dbname=postgres";

/// A connection to the maintenance database.
pub fn admin() -> Client {
    Client::connect(ADMIN, NoTls).expect("PostgreSQL on 127.0.0.1:5432 (user postgres, trust)")
}

/// A database of its own for one test, dropped (`WITH (FORCE)`) when this is dropped.
pub struct TestDb {
    pub name: String,
}

impl TestDb {
    /// Creates `mg_<label>_<pid>_<n>_<nanos>`: unique across test binaries running at once.
    pub fn new(label: &str) -> TestDb {
        let db = TestDb {
            name: unique_name(label),
        };
        // Its own message: CREATE/DROP DATABASE cannot run in a transaction block.
        let create = format!("CREATE DATABASE \"{}\"", db.name);
        on_own_thread(move || admin().batch_execute(&create)).unwrap();
        db
    }

    /// `postgres://postgres@127.0.0.1:5432/NAME`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.name)
    }

    /// `host=127.0.0.1 user=postgres dbname=NAME`.
    pub fn config(&self) -> String {
        format!("host=127.0.0.1 user=postgres dbname={}", self.name)
    }

    pub fn client(&self) -> Client {
        Client::connect(&self.config(), NoTls).unwrap()
    }

    /// The one bigint value of `sql`.
    pub fn count(&self, sql: &str) -> i64 {
        self.client().query_one(sql, &[]).unwrap().get(0)
    }

    /// `psql -v ON_ERROR_STOP=1 -f file`; panics with psql's output on failure.
    pub fn psql(&self, file: &Path) {
        let out = self.try_psql(file);
        assert!(
            out.status.success(),
            "psql -f {} failed:\n{}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `psql -v ON_ERROR_STOP=1 -f file`, whatever its outcome.
    pub fn try_psql(&self, file: &Path) -> Output {
        psql_command(&self.name)
            .arg("-f")
            .arg(file)
            .output()
            .expect("psql on PATH")
    }

    /// Runs SQL with psql (seed rows, or a query whose one value is returned as text).
    pub fn sql(&self, sql: &str) -> String {
        let out = psql_command(&self.name)
            .args(["-A", "-t", "-c", sql])
            .output()
            .expect("psql on PATH");
        assert!(
            out.status.success(),
            "psql failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        drop_database(&self.name);
    }
}

/// A database name no other test uses: `mg_<label>_<pid>_<n>_<nanos>`.
pub fn unique_name(label: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "mg_{label}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// `DROP DATABASE IF EXISTS "name" WITH (FORCE)`, ignoring errors (a drop in a `Drop`).
pub fn drop_database(name: &str) {
    let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    let _ = on_own_thread(move || {
        Client::connect(ADMIN, NoTls).and_then(|mut admin| admin.batch_execute(&drop))
    });
}

/// Runs `f` on a thread of its own: the `postgres` client starts a runtime of its own, which
/// it cannot do on a thread that drives a tokio runtime (an async test).
fn on_own_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(f)
        .join()
        .expect("the admin connection's thread")
}

fn psql_command(db: &str) -> Command {
    let mut cmd = Command::new("psql");
    cmd.args([
        "-X",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        "127.0.0.1",
        "-U",
        "postgres",
        "-d",
        db,
    ]);
    cmd
}

/// A finished run of a binary.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Exit 0.
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    #[track_caller]
    pub fn assert_ok(&self) -> &Run {
        assert!(self.ok(), "expected success, got {self}");
        self
    }

    #[track_caller]
    pub fn assert_failed(&self) -> &Run {
        assert!(
            self.code.is_some_and(|c| c != 0),
            "expected a non-zero exit code, got {self}"
        );
        self
    }

    /// stdout, then stderr.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// `bin ARGS` without `$DATABASE_URL` (so a test never reaches a database it did not name).
pub fn command<S: AsRef<std::ffi::OsStr>>(bin: &str, args: &[S]) -> Command {
    let mut cmd = Command::new(bin);
    cmd.args(args).env_remove("DATABASE_URL");
    cmd
}

/// Runs `bin ARGS` to the end.
pub fn run<S: AsRef<std::ffi::OsStr>>(bin: &str, args: &[S]) -> Run {
    command(bin, args).output().expect("the binary runs").into()
}

/// Asserts exit 0.
#[track_caller]
pub fn ok(run: Run) -> Run {
    assert_eq!(run.code, Some(0), "{run}");
    run
}

/// Asserts a non-zero exit.
#[track_caller]
pub fn failed(run: Run) -> Run {
    assert!(
        run.code.is_some_and(|c| c != 0),
        "expected a failure: {run}"
    );
    run
}
