//! The application: `clients` connections, each running its share of a fixed total rate of
//! point reads, updates and inserts by primary key. Every statement has a scheduled start
//! (client k starts at `k / rate` and every `clients / rate` after); its latency is measured
//! from that scheduled start, so time spent queued behind a stalled statement counts, as in
//! `pgbench -R`. A client that falls behind runs its backlog back to back.
//!
//! The statements are the old version's code and stay valid at every point of every scenario:
//! they name only `id`, `email`, `amount` and `note`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;
use tokio_postgres::NoTls;

pub const READ: u8 = 0;
pub const UPDATE: u8 = 1;
pub const INSERT: u8 = 2;
const KIND: [&str; 3] = ["read", "update", "insert"];

/// One statement: when it was scheduled (seconds since the run's start), how long it took from
/// then (ms), and its error (with the statement's kind) if it failed.
#[derive(Debug, Clone)]
pub struct Sample {
    pub at: f64,
    pub ms: f64,
    pub error: Option<String>,
}

/// The new version's code, deployed while the migration runs (before the contract phase):
/// SQL run once per connection (Reshape's `SET search_path`), and the insert it uses instead of
/// the old one (same parameters, typed by casts: bigint, text, integer, text). Every
/// statement is prepared again when a client switches.
#[derive(Debug, Clone, Default)]
pub struct NewCode {
    pub session: Option<String>,
    pub insert: Option<String>,
}

pub struct Workload {
    stop_at: Arc<AtomicU64>,
    next_id: Arc<AtomicI64>,
    first_id: i64,
    handles: Vec<JoinHandle<Result<Vec<Sample>, String>>>,
}

/// A small deterministic generator (xorshift64*); no dependency needed for uniform keys.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Statements {
    read: tokio_postgres::Statement,
    update: tokio_postgres::Statement,
    insert: tokio_postgres::Statement,
}

async fn connect(url: &str) -> Result<(tokio_postgres::Client, Statements), String> {
    let (client, conn) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| format!("workload connection: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let st = prepare(&client, None).await.map_err(|e| describe(&e))?;
    Ok((client, st))
}

async fn prepare(
    client: &tokio_postgres::Client,
    insert: Option<&str>,
) -> Result<Statements, tokio_postgres::Error> {
    let read = client
        .prepare("SELECT id, email, note FROM items WHERE id = $1::bigint")
        .await?;
    let update = client
        .prepare("UPDATE items SET note = $2::text WHERE id = $1::bigint")
        .await?;
    let insert = client
        .prepare(insert.unwrap_or("INSERT INTO items (id, email, amount, note) VALUES ($1::bigint, $2::text, $3::integer, $4::text)"))
        .await?;
    Ok(Statements {
        read,
        update,
        insert,
    })
}

/// Picks a statement: 50% reads, 40% updates, 10% inserts.
fn pick(rng: &mut Rng) -> u8 {
    match rng.below(10) {
        0..=4 => READ,
        5..=8 => UPDATE,
        _ => INSERT,
    }
}

async fn execute(
    client: &tokio_postgres::Client,
    st: &Statements,
    kind: u8,
    rng: &mut Rng,
    rows: i64,
    next_id: &AtomicI64,
) -> Result<(), tokio_postgres::Error> {
    match kind {
        READ => {
            let id = 1 + rng.below(rows as u64) as i64;
            client.query_opt(&st.read, &[&id]).await.map(|_| ())
        }
        UPDATE => {
            let id = 1 + rng.below(rows as u64) as i64;
            let note = format!("n{}", rng.below(1_000_000));
            client.execute(&st.update, &[&id, &note]).await.map(|_| ())
        }
        _ => {
            let id = next_id.fetch_add(1, Ordering::Relaxed);
            let email = format!("new{id}@example.org");
            let amount = (id % 100_000) as i32;
            let note: Option<&str> = None;
            client
                .execute(&st.insert, &[&id, &email, &amount, &note])
                .await
                .map(|_| ())
        }
    }
}

fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    }
}

impl Workload {
    /// Starts `clients` connections at a total of `rate` statements per second; the schedule
    /// starts at `t0`. Returns once every client is connected.
    pub async fn start(
        url: &str,
        clients: usize,
        rate: f64,
        rows: i64,
        t0: Instant,
        seed: u64,
        deployed: Arc<AtomicBool>,
        new_code: NewCode,
    ) -> Result<Workload, String> {
        let stop_at = Arc::new(AtomicU64::new(u64::MAX));
        let next_id = Arc::new(AtomicI64::new(rows + 1));
        let interval = Duration::from_secs_f64(clients as f64 / rate);
        let mut handles = Vec::new();
        for k in 0..clients {
            let (client, mut st) = connect(url).await?;
            let stop_at = stop_at.clone();
            let next_id = next_id.clone();
            let deployed = deployed.clone();
            let new_code = new_code.clone();
            let offset = Duration::from_secs_f64(k as f64 / rate);
            handles.push(tokio::spawn(async move {
                let mut rng = Rng::new(seed ^ ((k as u64 + 1) * 7919));
                let mut samples = Vec::new();
                let mut next = t0 + offset;
                let mut new = false;
                loop {
                    let at = next.duration_since(t0).as_nanos() as u64;
                    if at > stop_at.load(Ordering::Relaxed) {
                        break;
                    }
                    tokio::time::sleep_until(next.into()).await;
                    // Checked again: the stop may have come while this client slept.
                    if at > stop_at.load(Ordering::Relaxed) {
                        break;
                    }
                    let kind = pick(&mut rng);
                    let result = async {
                        if !new && deployed.load(Ordering::Relaxed) {
                            // This client now runs the new version's code.
                            new = true;
                            if let Some(sql) = &new_code.session {
                                client.batch_execute(sql).await?;
                            }
                            st = prepare(&client, new_code.insert.as_deref()).await?;
                        }
                        execute(&client, &st, kind, &mut rng, rows, &next_id).await
                    }
                    .await;
                    let done = Instant::now();
                    samples.push(Sample {
                        at: at as f64 / 1e9,
                        ms: done.duration_since(next).as_secs_f64() * 1000.0,
                        error: result
                            .err()
                            .map(|e| format!("{}: {}", KIND[kind as usize], describe(&e))),
                    });
                    next += interval;
                }
                Ok(samples)
            }));
        }
        Ok(Workload {
            stop_at,
            next_id,
            first_id: rows + 1,
            handles,
        })
    }

    /// Inserts started so far.
    pub fn inserted(&self) -> i64 {
        self.next_id.load(Ordering::Relaxed) - self.first_id
    }

    /// No statement scheduled after `at` (seconds since t0) is started; those scheduled before
    /// still run. Waits for every client and returns all samples, sorted by schedule.
    pub async fn stop(self, at: f64) -> Result<Vec<Sample>, String> {
        self.stop_at.store((at * 1e9) as u64, Ordering::Relaxed);
        let mut all = Vec::new();
        for h in self.handles {
            let samples = h.await.map_err(|e| e.to_string())??;
            all.extend(samples);
        }
        all.sort_by(|a, b| a.at.total_cmp(&b.at));
        Ok(all)
    }
}

/// The maximum rate: `clients` connections running the same mix back to back for `secs`
/// (after one second of warm-up). Statements per second.
pub async fn measure_max(url: &str, clients: usize, rows: i64, secs: f64) -> Result<f64, String> {
    let next_id = Arc::new(AtomicI64::new(rows + 1));
    let warm = Instant::now() + Duration::from_secs(1);
    let end = warm + Duration::from_secs_f64(secs);
    let mut handles = Vec::new();
    for k in 0..clients {
        let (client, st) = connect(url).await?;
        let next_id = next_id.clone();
        handles.push(tokio::spawn(async move {
            let mut rng = Rng::new(k as u64 + 99);
            let mut n = 0u64;
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                let kind = pick(&mut rng);
                execute(&client, &st, kind, &mut rng, rows, &next_id)
                    .await
                    .map_err(|e| describe(&e))?;
                if now >= warm {
                    n += 1;
                }
            }
            Ok::<u64, String>(n)
        }));
    }
    let mut total = 0;
    for h in handles {
        total += h.await.map_err(|e| e.to_string())??;
    }
    Ok(total as f64 / secs)
}
