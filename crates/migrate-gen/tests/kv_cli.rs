//! `migrate-gen kv ...` run for real against the Redis on 127.0.0.1:6379 (or
//! `KV_TEST_REDIS_URL`) and on temporary directories: exit codes, messages, the data it leaves,
//! and a migration killed with SIGKILL and resumed. Each test works under a key prefix of its own
//! and deletes it, with its migration state, when it ends.

use std::collections::HashSet;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use kv_migrate::{Entry, PutMode, RedisStore, Store};

const BIN: &str = env!("CARGO_BIN_EXE_migrate-gen");

fn url() -> String {
    std::env::var("KV_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into())
}

/// A test's own key space in Redis; deleted when dropped.
struct Space {
    redis: RedisStore,
    root: String,
    name: String,
}

impl Space {
    fn new(test: &str) -> Space {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        Space {
            redis: RedisStore::connect(&url()).expect("Redis on 127.0.0.1:6379"),
            root: format!("kvcli.{}.{nanos}.{test}.", std::process::id()),
            name: format!("cli-{}-{nanos}-{test}", std::process::id()),
        }
    }

    fn from(&self) -> String {
        format!("{}user:{{id}}:{{rest}}", self.root)
    }

    fn to(&self) -> String {
        format!("{}users/{{id}}/{{rest}}", self.root)
    }

    /// `kv ACTION` with this space's store, patterns and name, then `extra`.
    fn kv(&self, action: &str, extra: &[&str]) -> Run {
        let mut args = vec![
            "kv".to_owned(),
            action.to_owned(),
            "--store".into(),
            url(),
            "--from".into(),
            self.from(),
            "--to".into(),
            self.to(),
            "--name".into(),
            self.name.clone(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        run(&args)
    }

    fn keys(&self, prefix: &str) -> HashSet<String> {
        let mut out = HashSet::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.redis.list(prefix, cursor.as_deref(), 5000).unwrap();
            out.extend(page.keys);
            match page.cursor {
                Some(c) => cursor = Some(c),
                None => return out,
            }
        }
    }

    fn old_keys(&self) -> HashSet<String> {
        self.keys(&format!("{}user:", self.root))
    }

    fn new_keys(&self) -> HashSet<String> {
        self.keys(&format!("{}users/", self.root))
    }

    /// `user:{i}:profile` = `v{i}` for i in 0..n.
    fn seed(&self, n: usize) {
        let items: Vec<(String, Entry)> = (0..n)
            .map(|i| {
                (
                    format!("{}user:{i}:profile", self.root),
                    Entry::new(format!("v{i}")),
                )
            })
            .collect();
        for chunk in items.chunks(1000) {
            for r in self.redis.put_many(chunk, PutMode::Overwrite).unwrap() {
                r.unwrap();
            }
        }
    }

    fn get(&self, key: &str) -> Option<String> {
        self.redis
            .get(&format!("{}{key}", self.root))
            .unwrap()
            .map(|e| String::from_utf8(e.value).unwrap())
    }

    fn set(&self, key: &str, value: &str) {
        self.redis
            .put(
                &format!("{}{key}", self.root),
                &Entry::new(value),
                PutMode::Overwrite,
            )
            .unwrap();
    }

    /// The saved checkpoint's text, if any.
    fn checkpoint(&self) -> Option<String> {
        self.redis
            .get(&format!("kv-migrate/{}/checkpoint", self.name))
            .unwrap()
            .map(|e| String::from_utf8(e.value).unwrap())
    }

    /// Whether the journal of page `page` (counted from 0) is saved.
    fn journal_saved(&self, page: u64) -> bool {
        self.redis
            .get(&format!("kv-migrate/{}/journal/{page:010}", self.name))
            .unwrap()
            .is_some()
    }

    /// Pages done according to the checkpoint (0 before the first).
    fn pages(&self) -> u64 {
        let Some(cp) = self.checkpoint() else {
            return 0;
        };
        let at = cp.find("\"pages\":").expect("pages in the checkpoint") + 8;
        cp[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap()
    }

    /// Every new key holds the value of its old key.
    #[track_caller]
    fn assert_all_migrated(&self, n: usize) {
        let new = self.new_keys();
        assert_eq!(new.len(), n, "new keys");
        let keys: Vec<String> = (0..n)
            .map(|i| format!("{}users/{i}/profile", self.root))
            .collect();
        for (start, chunk) in (0..).step_by(1000).zip(keys.chunks(1000)) {
            let values = self.redis.get_many(chunk).unwrap();
            for (i, v) in (start..).zip(values) {
                let v = v.unwrap().map(|e| String::from_utf8(e.value).unwrap());
                assert_eq!(v, Some(format!("v{i}")), "users/{i}/profile");
            }
        }
    }
}

impl Drop for Space {
    fn drop(&mut self) {
        let mut keys: Vec<String> = self.keys(&self.root).into_iter().collect();
        keys.extend(self.keys(&format!("kv-migrate/{}/", self.name)));
        for chunk in keys.chunks(1000) {
            let _ = self.redis.delete_many(chunk);
        }
    }
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    #[track_caller]
    fn ok(self) -> Run {
        assert_eq!(self.code, Some(0), "expected success, got {self}");
        self
    }

    /// Exit 1 or 2, and stderr is exactly one `error: ...` line.
    #[track_caller]
    fn one_error_line(self) -> String {
        assert!(
            matches!(self.code, Some(1 | 2)),
            "expected a failure, got {self}"
        );
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line on stderr, got {self}");
        assert!(lines[0].starts_with("error: "), "{self}");
        lines[0].to_owned()
    }
}

fn output(o: Output) -> Run {
    Run {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    output(Command::new(BIN).args(args).output().unwrap())
}

#[test]
fn migrate_status_cleanup_and_rollback() {
    let sp = Space::new("life");
    sp.seed(3_000);
    sp.set("user:odd", "not matched by --from");

    let out = sp.kv("migrate", &["--concurrency", "2"]).ok().stdout;
    assert!(
        out.starts_with(&format!(
            "migration {} ({} -> {}): complete\n",
            sp.name,
            sp.from(),
            sp.to()
        )),
        "{out}"
    );
    assert!(
        out.contains(
            "  scanned 3001: written 3000, already present 0, skipped 1, vanished 0, failed 0\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("(retention 7d); cleanup is allowed after that"),
        "{out}"
    );
    sp.assert_all_migrated(3_000);
    assert_eq!(sp.old_keys().len(), 3_001, "old keys kept");

    let out = sp.kv("status", &[]).ok().stdout;
    assert!(out.contains("  status: complete, completed "), "{out}");
    assert!(
        out.contains("written 3000, already present 0, skipped 1, vanished 0, failed 0; pages: "),
        "{out}"
    );

    // Inside the retention window: refused, nothing deleted.
    let e = sp.kv("cleanup", &[]).one_error_line();
    assert!(
        e.starts_with(&format!(
            "error: cleanup refused: migration `{}` completed at ",
            sp.name
        )),
        "{e}"
    );
    assert!(
        e.contains("keeps its old keys for 7d (retention), until "),
        "{e}"
    );
    assert_eq!(sp.old_keys().len(), 3_001);

    // Shorten the window; a changed new value still blocks the cleanup.
    let out = sp.kv("migrate", &["--retention", "0s"]).ok().stdout;
    assert!(
        out.contains(": already complete, nothing listed again"),
        "{out}"
    );
    sp.set("users/7/profile", "changed by the new code");
    let e = sp.kv("cleanup", &[]).one_error_line();
    assert!(
        e.contains(&format!(
            "1 old keys of migration `{}` have no new key holding the same value (`{}user:7:profile` has new key `{}users/7/profile` holding a different value); nothing was deleted",
            sp.name, sp.root, sp.root
        )),
        "{e}"
    );
    assert_eq!(sp.old_keys().len(), 3_001);

    // The rollback deletes the new keys (the changed one too) and keeps the old ones.
    let out = sp.kv("rollback", &[]).ok().stdout;
    assert!(
        out.ends_with(
            ": rolled back: 3000 new keys written by the migration were deleted; the old keys are untouched\n"
        ),
        "{out}"
    );
    assert!(sp.new_keys().is_empty());
    assert_eq!(sp.old_keys().len(), 3_001);
    assert_eq!(sp.get("user:2999:profile").as_deref(), Some("v2999"));

    // Again, then cleanup after a zero window.
    sp.kv("migrate", &["--retention", "0s"]).ok();
    let out = sp.kv("cleanup", &[]).ok().stdout;
    assert!(
        out.contains(": cleaned up: every old key was verified against its new key and 3000 were deleted; 1 keys under"),
        "{out}"
    );
    let old = sp.old_keys();
    assert_eq!(old.len(), 1, "only the unmatched key: {old:?}");
    sp.assert_all_migrated(3_000);
    let out = sp.kv("status", &[]).ok().stdout;
    assert!(out.contains("  status: cleaned up, cleaned up "), "{out}");
    assert!(out.contains(": 3000 old keys deleted"), "{out}");
    let e = sp.kv("rollback", &[]).one_error_line();
    assert!(e.starts_with("error: rollback refused: "), "{e}");
}

#[test]
fn killed_with_sigkill_three_times_then_resumed() {
    const N: usize = 30_000;
    let sp = Space::new("sigkill");
    sp.seed(N);
    let args = |extra: &[&str]| {
        let mut a = vec![
            "kv".to_owned(),
            "migrate".into(),
            "--store".into(),
            url(),
            "--from".into(),
            sp.from(),
            "--to".into(),
            sp.to(),
            "--name".into(),
            sp.name.clone(),
            "--page-size".into(),
            "500".into(),
        ];
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    // Kills a run once the checkpoint shows `pages` pages done and, with `mid_page`, once the
    // next page's journal is saved too (its writes under way), then after `extra`.
    let kill_after = |extra_args: &[&str], pages: u64, mid_page: bool, extra: Duration| {
        let mut child = Command::new(BIN)
            .args(args(extra_args))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let done = sp.pages();
            if done >= pages && (!mid_page || sp.journal_saved(done)) {
                break;
            }
            assert!(
                child.try_wait().unwrap().is_none(),
                "the migration ended before it was killed"
            );
            assert!(Instant::now() < deadline, "no progress");
            std::thread::sleep(Duration::from_micros(200));
        }
        std::thread::sleep(extra);
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9),
            "killed by SIGKILL"
        );
        let p = sp.pages();
        eprintln!(
            "DIAG killed at pages={p} in-flight journal={}",
            sp.journal_saved(p)
        );
    };

    // Throttled and killed between pages; then at full speed, killed inside a page: right after
    // its journal is saved, its writes not started or under way and its checkpoint not saved.
    kill_after(
        &["--rate-limit", "20000"],
        10,
        false,
        Duration::from_millis(10),
    );
    assert!(sp.checkpoint().unwrap().contains("\"status\":\"running\""));
    kill_after(
        &["--concurrency", "3"],
        sp.pages() + 5,
        true,
        Duration::ZERO,
    );
    kill_after(&[], sp.pages() + 5, true, Duration::from_micros(500));
    let second = sp.pages();
    assert!(second < (N / 500) as u64, "killed before the end");
    let partial = sp.new_keys().len();
    assert!(partial > 0 && partial < N, "{partial} new keys when killed");

    let out = run(&args(&[])).ok().stdout;
    assert!(
        out.contains(": complete (resumed from its checkpoint)\n"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "  scanned {N}: written {N}, already present 0, skipped 0, vanished 0, failed 0\n"
        )),
        "every key migrated once and counted once: {out}"
    );
    sp.assert_all_migrated(N);
    assert_eq!(sp.old_keys().len(), N);

    // The rollback finds every new key as the migration's own, those of killed runs included.
    let out = sp.kv("rollback", &[]).ok().stdout;
    assert!(
        out.contains(&format!(": rolled back: {N} new keys written")),
        "{out}"
    );
    assert!(sp.new_keys().is_empty());
}

#[test]
fn malformed_patterns_are_one_clear_error() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "user:{id",
            "users/{id}",
            "error: --from: pattern `user:{id`, column 6: `{` is never closed (write `{{` for a literal brace)",
        ),
        (
            "user:{id}",
            "users/{id}}",
            "error: --to: pattern `users/{id}}`, column 11: `}` without an opening `{` (write `}}` for a literal brace)",
        ),
        (
            "user:{}",
            "users/{id}",
            "error: --from: pattern `user:{}`, column 6: empty placeholder `{}`; name it, e.g. `{id}`",
        ),
        (
            "user:{id}{rest}",
            "users/{id}/{rest}",
            "error: --from: pattern `user:{id}{rest}`, column 10: placeholder `{rest}` follows another with no text between them",
        ),
        (
            "user:{id}",
            "users/{uid}",
            "error: --to: `{uid}` in the new pattern `users/{uid}` is not a placeholder of the old pattern `user:{id}`",
        ),
        (
            "user:{id}:{rest}",
            "users/{id}",
            "error: --to: `{rest}` of the old pattern `user:{id}:{rest}` is not used in the new pattern `users/{id}`",
        ),
    ];
    for (from, to, want) in cases {
        for action in ["migrate", "status", "cleanup", "rollback"] {
            // An unreachable store: the patterns are checked before any connection.
            let line = run(&[
                "kv",
                action,
                "--store",
                "redis://127.0.0.1:1/",
                "--from",
                from,
                "--to",
                to,
            ])
            .one_error_line();
            assert!(line.starts_with(want), "{action} {from} {to}: {line}");
        }
    }
    let sp = Space::new("inside");
    let line = run(&[
        "kv",
        "migrate",
        "--store",
        &url(),
        "--from",
        &sp.from(),
        "--to",
        &format!("{}user:v2:{{id}}:{{rest}}", sp.root),
    ])
    .one_error_line();
    assert!(
        line.contains("so they would be migrated again; choose a new key format outside it, or a --target store"),
        "{line}"
    );
}

#[test]
fn an_unreachable_server_and_other_bad_input_are_one_clear_error() {
    let start = Instant::now();
    let line = run(&[
        "kv",
        "migrate",
        "--store",
        "redis://127.0.0.1:1/",
        "--from",
        "user:{id}",
        "--to",
        "users/{id}",
    ])
    .one_error_line();
    assert_eq!(
        line,
        "error: --store: cannot connect to Redis at redis://127.0.0.1:1/0: Connection refused (os error 111)"
    );
    assert!(start.elapsed() < Duration::from_secs(10));

    let base = ["kv", "migrate", "--from", "user:{id}", "--to", "users/{id}"];
    let with = |extra: &[&str]| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend_from_slice(extra);
        run(&a).one_error_line()
    };
    assert_eq!(
        with(&["--store", "/no/such/dir"]),
        "error: --store: /no/such/dir: no such directory"
    );
    assert!(
        with(&["--store", "memcached://x"])
            .starts_with("error: --store: unsupported store `memcached://x`"),
    );
    assert!(
        with(&[
            "--store",
            "redis://127.0.0.1:6379/",
            "--retention",
            "7 days"
        ])
        .contains("`7 days` is not a duration"),
    );
    assert!(
        with(&["--store", "redis://127.0.0.1:6379/", "--name", "no spaces"])
            .starts_with("error: migration name `no spaces`"),
    );
    let sp = Space::new("nostate");
    let line = sp.kv("status", &[]).one_error_line();
    assert!(
        line.starts_with(&format!(
            "error: no migration named {} in redis://",
            sp.name
        )),
        "{line}"
    );
}

#[test]
fn a_dry_run_writes_nothing_and_failed_keys_exit_non_zero() {
    let sp = Space::new("dry");
    sp.seed(50);
    let out = sp.kv("migrate", &["--dry-run"]).ok().stdout;
    assert!(out.contains(": dry run, nothing was written\n"), "{out}");
    assert!(
        out.contains("scanned 50: would write 50, already present 0"),
        "{out}"
    );
    assert!(sp.new_keys().is_empty());
    assert_eq!(sp.checkpoint(), None, "a dry run saves no state");

    // A new key already holding another value: with --stop-on-error, nothing of its page is
    // written; without, that key fails, the rest migrate, exit 1.
    sp.set("users/3/profile", "someone else's");
    let line = sp.kv("migrate", &["--stop-on-error"]).one_error_line();
    assert_eq!(
        line,
        format!(
            "error: stopped at `{r}user:3:profile`: new key `{r}users/3/profile` already exists with a different value; it was not overwritten; nothing of its page was written and the checkpoint is before it (0 keys written before); fix the cause and run again to resume",
            r = sp.root
        )
    );
    assert_eq!(sp.new_keys().len(), 1, "only the one that was there");
    let r = sp.kv("migrate", &[]);
    assert_eq!(r.code, Some(1), "{r}");
    assert!(
        r.stdout
            .contains("written 49, already present 0, skipped 0, vanished 0, failed 1\n"),
        "{r}"
    );
    assert!(
        r.stdout.contains(&format!(
            "  failed `{}user:3:profile`: new key `{}users/3/profile` already exists with a different value; it was not overwritten",
            sp.root, sp.root
        )),
        "{r}"
    );
    assert_eq!(
        r.one_error_line(),
        "error: 1 keys failed (listed above); the others were migrated, and cleanup refuses until every old key has its new key"
    );
    assert_eq!(sp.get("users/3/profile").as_deref(), Some("someone else's"));
}

#[test]
fn directories_as_stores_with_state_in_another_directory() {
    let data = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    for i in 0..120 {
        std::fs::write(
            data.path().join(format!("user:{i}:avatar")),
            format!("png{i}"),
        )
        .unwrap();
    }
    let dir = data.path().to_str().unwrap();
    let state_dir = state.path().to_str().unwrap();
    let args = |action: &str, extra: &[&str]| {
        let mut a = vec![
            "kv",
            action,
            "--store",
            dir,
            "--from",
            "user:{id}:{rest}",
            "--to",
            "users/{id}/{rest}",
            "--state-dir",
            state_dir,
            "--page-size",
            "25",
        ];
        a.extend_from_slice(extra);
        run(&a)
    };
    let out = args("migrate", &["--retention", "0s"]).ok().stdout;
    assert!(out.contains("scanned 120: written 120,"), "{out}");
    assert_eq!(
        std::fs::read_to_string(data.path().join("users/119/avatar")).unwrap(),
        "png119"
    );
    assert!(
        !data.path().join("kv-migrate").exists(),
        "state is elsewhere"
    );
    let name = "kv-".to_owned();
    let saved: Vec<_> = std::fs::read_dir(state.path().join("kv-migrate"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(saved.len() == 1 && saved[0].starts_with(&name), "{saved:?}");

    let out = args("cleanup", &[]).ok().stdout;
    assert!(out.contains("and 120 were deleted"), "{out}");
    assert!(!data.path().join("user:0:avatar").exists());
    assert!(data.path().join("users/0/avatar").exists());
}

/// A Redis of the test's own that speaks only TLS, with a password, its certificate signed by a
/// CA made for the test (`openssl` and a `redis-server` built with TLS, as Debian's is).
struct TlsRedis {
    server: std::process::Child,
    port: u16,
    dir: tempfile::TempDir,
}

const TLS_PASSWORD: &str = "tls-Zq7x-secret";

impl TlsRedis {
    fn start() -> TlsRedis {
        let dir = tempfile::tempdir().unwrap();
        let sh = |script: &str| {
            let out = Command::new("sh")
                .args(["-ec", script])
                .current_dir(dir.path())
                .output()
                .expect("sh");
            assert!(
                out.status.success(),
                "openssl: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=kv test CA'
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=127.0.0.1'
            printf 'subjectAltName=IP:127.0.0.1\\n' > san
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = Command::new("redis-server")
            .args([
                "--port",
                "0",
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args(["--tls-port", &port.to_string(), "--tls-auth-clients", "no"])
            .args([
                "--tls-cert-file",
                "server.pem",
                "--tls-key-file",
                "server.key",
            ])
            .args([
                "--tls-ca-cert-file",
                "ca.pem",
                "--requirepass",
                TLS_PASSWORD,
            ])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "TLS Redis did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        TlsRedis { server, port, dir }
    }

    fn url(&self) -> String {
        format!("rediss://:{TLS_PASSWORD}@127.0.0.1:{}/0", self.port)
    }

    /// `migrate-gen ARGS` trusting the test's CA (rustls reads SSL_CERT_FILE), or not.
    fn run(&self, args: &[String], trusted: bool) -> Run {
        let mut cmd = Command::new(BIN);
        cmd.args(args).env_remove("SSL_CERT_DIR");
        if trusted {
            cmd.env("SSL_CERT_FILE", self.dir.path().join("ca.pem"));
        } else {
            cmd.env_remove("SSL_CERT_FILE");
        }
        output(cmd.output().unwrap())
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

#[test]
fn rediss_migrates_over_tls_checks_the_certificate_and_never_prints_the_password() {
    let tls = TlsRedis::start();
    let sp = Space::new("tls");
    sp.seed(50);
    let args = |action: &str| -> Vec<String> {
        let mut a = vec!["kv".to_owned(), action.to_owned(), "--store".into(), url()];
        a.extend(["--target".into(), tls.url(), "--from".into(), sp.from()]);
        a.extend(["--to".into(), sp.to(), "--name".into(), sp.name.clone()]);
        a
    };
    let no_password = |run: &Run| {
        assert!(
            !run.stdout.contains("Zq7x") && !run.stderr.contains("Zq7x"),
            "printed the password: {run}"
        );
    };

    let run = tls.run(&args("migrate"), true).ok();
    no_password(&run);
    assert!(run.stdout.contains("written 50"), "{run}");
    let run = tls.run(&args("status"), true).ok();
    no_password(&run);
    assert!(
        run.stdout
            .contains(&format!("rediss://127.0.0.1:{}/0", tls.port)),
        "{run}"
    );

    // A certificate from a CA the system does not trust is refused.
    let run = tls.run(&args("status"), false);
    no_password(&run);
    let line = run.one_error_line();
    assert!(
        line.contains(&format!(
            "--target: cannot connect to Redis at rediss://127.0.0.1:{}/0",
            tls.port
        )) && line.contains("certificate"),
        "{line}"
    );
}
