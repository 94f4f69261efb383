//! A background writer: a connection of its own that keeps writing while the files run, as
//! the old code until the deploy, as the new code after it, and as the old code again once a
//! rollback reaches the files before the deploy.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use postgres::Client;

/// Which version's code the writer runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Old,
    New,
    /// The writer idles (while what it wrote is read).
    Paused,
}

impl Role {
    fn code(self) -> u8 {
        match self {
            Role::Old => 0,
            Role::New => 1,
            Role::Paused => 2,
        }
    }

    fn of(code: u8) -> Role {
        match code {
            0 => Role::Old,
            1 => Role::New,
            _ => Role::Paused,
        }
    }
}

/// One writer thread; `act(client, role, n)` is its `n`th write (never called while paused).
pub struct Writer {
    role: Arc<AtomicU8>,
    acted_as: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
    failures: Arc<Mutex<Vec<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub fn start(
        mut client: Client,
        first: Role,
        mut act: impl FnMut(&mut Client, Role, i64) -> Result<(), String> + Send + 'static,
    ) -> Writer {
        // Its first statement already acts as `first`: a writer started for the rollback of a
        // contract must not write one row as the old code first.
        let role = Arc::new(AtomicU8::new(first.code()));
        let acted_as = Arc::new(AtomicU8::new(first.code()));
        let stop = Arc::new(AtomicBool::new(false));
        let failures: Arc<Mutex<Vec<String>>> = Arc::default();
        let thread = {
            let (role, acted_as, stop, failures) = (
                role.clone(),
                acted_as.clone(),
                stop.clone(),
                failures.clone(),
            );
            std::thread::spawn(move || {
                let mut n: i64 = 0;
                while !stop.load(Ordering::SeqCst) {
                    let now = role.load(Ordering::SeqCst);
                    acted_as.store(now, Ordering::SeqCst);
                    if Role::of(now) == Role::Paused {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                    n += 1;
                    if let Err(e) = act(&mut client, Role::of(now), n) {
                        failures.lock().unwrap().push(e);
                        // One failure is enough to tell; do not flood the report.
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            })
        };
        Writer {
            role,
            acted_as,
            stop,
            failures,
            thread: Some(thread),
        }
    }

    /// Switches roles and waits until the writer has acted as `who` (its write in progress
    /// under the former role is done).
    pub fn switch(&self, who: Role) {
        self.role.store(who.code(), Ordering::SeqCst);
        while self.acted_as.load(Ordering::SeqCst) != who.code() {
            if self.thread.as_ref().is_none_or(JoinHandle::is_finished) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    pub fn role(&self) -> Role {
        Role::of(self.role.load(Ordering::SeqCst))
    }

    /// The failures so far.
    pub fn failures(&self) -> Vec<String> {
        self.failures.lock().unwrap().clone()
    }

    /// Stops the thread; returns the statements that failed.
    pub fn finish(mut self) -> Vec<String> {
        self.stop_thread();
        self.failures()
    }

    fn stop_thread(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

/// What one version's code writes, for [`with_background_writer`]: an insert and an update
/// of one column (`{id}`, `{value}` and `{target}` are filled in), and that column's name,
/// under which the value is tracked.
pub struct Writes {
    pub insert: &'static str,
    pub update: &'static str,
    pub column: &'static str,
}

/// `... INSERT INTO t ...` -> `t`.
pub fn table_of(insert: &str) -> &str {
    insert
        .split("INSERT INTO ")
        .nth(1)
        .expect("an INSERT")
        .split_whitespace()
        .next()
        .unwrap_or_default()
}

/// column written -> id -> value
type Expected = Arc<Mutex<BTreeMap<&'static str, BTreeMap<i64, String>>>>;

/// A writer of hand-written statements (`old` until the deploy, `new` after it) that records
/// every value it wrote, for [`Tracked::missing`].
pub struct Tracked {
    pub writer: Writer,
    expected: Expected,
    table: String,
}

impl Tracked {
    /// Starts writing rows `100_000 + n` and updating rows `n % 10_000 + 1`.
    pub fn start(client: Client, old: Writes, new: Writes) -> Tracked {
        let table = table_of(old.insert).to_owned();
        // Old and new code write one table (a rename, a dropped column): a row written under
        // one name is no longer expected under the other.
        let one_table = table == table_of(new.insert);
        let expected: Expected = Arc::default();
        let writer = {
            let expected = expected.clone();
            Writer::start(client, Role::Old, move |c, role, n| {
                let w = if role == Role::Old { &old } else { &new };
                let (id, target) = (100_000 + n, n % 10_000 + 1);
                let fill = |tpl: &str, value: &str| {
                    tpl.replace("{id}", &id.to_string())
                        .replace("{target}", &target.to_string())
                        .replace("{value}", value)
                };
                // Numbers, so that they fit integer columns as well as text ones.
                let (inserted, updated) = (format!("{}", 2 * n), format!("{}", 2 * n + 1));
                for (sql, row, value) in [
                    (fill(w.insert, &inserted), id, inserted.clone()),
                    (fill(w.update, &updated), target, updated.clone()),
                ] {
                    c.batch_execute(&sql).map_err(|e| format!("{sql}: {e:?}"))?;
                    let mut e = expected.lock().unwrap();
                    if one_table {
                        for other in e.values_mut() {
                            other.remove(&row);
                        }
                    }
                    e.entry(w.column).or_default().insert(row, value);
                }
                Ok(())
            })
        };
        Tracked {
            writer,
            expected,
            table,
        }
    }

    /// The values written under `written` that are not in `column` (of the old code's table, or
    /// `schema.table.column`), for each pair; at most 5.
    pub fn missing(&self, client: &mut Client, read: &[(&str, &str)]) -> Vec<String> {
        let expected = self.expected.lock().unwrap();
        let mut wrong = Vec::new();
        for (written, column) in read {
            let (rel, column) = column.rsplit_once('.').unwrap_or((&self.table, column));
            let actual: BTreeMap<i64, Option<String>> =
                match client.query(&format!("SELECT id, {column}::text FROM {rel}"), &[]) {
                    Ok(rows) => rows.iter().map(|r| (r.get(0), r.get(1))).collect(),
                    Err(e) => {
                        wrong.push(format!("reading {column} of {rel}: {e:?}"));
                        continue;
                    }
                };
            for (id, v) in expected.get(written).into_iter().flatten() {
                if actual.get(id).and_then(|a| a.as_deref()) != Some(v.as_str()) {
                    wrong.push(format!(
                        "{written} of {id}: wrote {v}, found {:?} in {column}",
                        actual.get(id)
                    ));
                }
            }
        }
        wrong.truncate(5);
        wrong
    }

    /// How many values the writer wrote.
    pub fn written(&self) -> usize {
        self.expected
            .lock()
            .unwrap()
            .values()
            .map(BTreeMap::len)
            .sum()
    }
}
