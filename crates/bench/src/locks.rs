//! Strong locks on the workload's tables, sampled from `pg_locks` every 20 ms.
//!
//! A hold is a run of consecutive samples in which one backend holds (granted) ACCESS
//! EXCLUSIVE, SHARE or SHARE ROW EXCLUSIVE on `items` or `owners` of the benchmark's
//! database. Its duration is estimated as the time between its first and last sample plus one
//! sampling interval: the true hold lies between that span and the span plus two intervals.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;
use tokio_postgres::NoTls;

#[derive(Debug, Clone)]
pub struct Hold {
    pub pid: i32,
    pub table: String,
    pub mode: String,
    /// Seconds since the run's start.
    pub first: f64,
    pub last: f64,
    pub samples: u32,
}

impl Hold {
    pub fn estimate_ms(&self, interval: Duration) -> f64 {
        (self.last - self.first) * 1000.0 + interval.as_secs_f64() * 1000.0
    }
}

pub struct Sampler {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Result<Vec<Hold>, String>>,
}

impl Sampler {
    pub async fn start(url: &str, t0: Instant, interval: Duration) -> Result<Sampler, String> {
        let (client, conn) = tokio_postgres::connect(url, NoTls)
            .await
            .map_err(|e| format!("lock sampler: {e}"))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        // Scoped to this database (pg_locks shows the whole cluster) and to the two tables.
        let query = client
            .prepare(
                "SELECT l.pid, c.relname::text, l.mode
                   FROM pg_locks l
                   JOIN pg_database d ON d.oid = l.database AND d.datname = current_database()
                   JOIN pg_class c ON c.oid = l.relation
                  WHERE l.locktype = 'relation' AND l.granted
                    AND l.mode IN ('AccessExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock')
                    AND c.relname IN ('items', 'owners')
                    AND c.relnamespace = 'public'::regnamespace
                    AND l.pid <> pg_backend_pid()",
            )
            .await
            .map_err(|e| e.to_string())?;
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let handle = tokio::spawn(async move {
            let mut open: Vec<Hold> = Vec::new();
            let mut closed: Vec<Hold> = Vec::new();
            let mut tick = tokio::time::interval(interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while !stop2.load(Ordering::Relaxed) {
                tick.tick().await;
                let now = t0.elapsed().as_secs_f64();
                let rows = client.query(&query, &[]).await.map_err(|e| e.to_string())?;
                let seen: Vec<(i32, String, String)> = rows
                    .iter()
                    .map(|r| (r.get(0), r.get(1), r.get(2)))
                    .collect();
                let mut still = Vec::new();
                for h in open.drain(..) {
                    if seen
                        .iter()
                        .any(|(p, t, m)| *p == h.pid && *t == h.table && *m == h.mode)
                    {
                        still.push(Hold {
                            last: now,
                            samples: h.samples + 1,
                            ..h
                        });
                    } else {
                        closed.push(h);
                    }
                }
                for (pid, table, mode) in seen {
                    if !still
                        .iter()
                        .any(|h| h.pid == pid && h.table == table && h.mode == mode)
                    {
                        still.push(Hold {
                            pid,
                            table,
                            mode,
                            first: now,
                            last: now,
                            samples: 1,
                        });
                    }
                }
                open = still;
            }
            closed.extend(open);
            closed.sort_by(|a, b| a.first.total_cmp(&b.first));
            Ok(closed)
        });
        Ok(Sampler { stop, handle })
    }

    pub async fn stop(self) -> Result<Vec<Hold>, String> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.await.map_err(|e| e.to_string())?
    }
}

/// Short name of a lock mode for the report.
pub fn short_mode(mode: &str) -> &'static str {
    match mode {
        "AccessExclusiveLock" => "ACCESS EXCLUSIVE",
        "ShareLock" => "SHARE",
        "ShareRowExclusiveLock" => "SHARE ROW EXCLUSIVE",
        _ => "other",
    }
}
