//! The standby scenario's replication: a primary and a streaming standby of their own
//! (`test_support::standby`, never the shared server), the standby's replay slowed by pausing
//! it for most of each second, and the primary's view of it sampled: the standby's replay lag
//! (time, from `pg_stat_replication.replay_lag`, and bytes, the primary's WAL position minus
//! the standby's replay position) and the WAL its replication slot retains.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use test_support::standby::Replicated;
use tokio_postgres::NoTls;

/// Of each second, how long the standby's replay is paused.
pub const PAUSED: Duration = Duration::from_millis(900);
/// Of each second, how long it replays.
pub const REPLAYING: Duration = Duration::from_millis(100);

/// The worst the standby fell behind during one run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Lag {
    pub peak_seconds: f64,
    pub peak_bytes: f64,
    pub peak_slot_bytes: f64,
    /// How long after the migration ended the standby had replayed it all.
    pub caught_up_after: f64,
}

/// Starts the clusters (blocking work, off the async threads).
pub async fn start() -> Result<Arc<Replicated>, String> {
    tokio::task::spawn_blocking(|| Arc::new(Replicated::start("bench")))
        .await
        .map_err(|e| format!("the standby did not start: {e}"))
}

async fn connect(url: &str) -> Result<tokio_postgres::Client, String> {
    let (client, conn) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

/// Slows the standby's replay until `stop`, then lets it replay freely.
pub fn throttle(cluster: &Replicated, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<()> {
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/postgres",
        cluster.standby_port
    );
    tokio::spawn(async move {
        let Ok(standby) = connect(&url).await else {
            return;
        };
        while !stop.load(Ordering::SeqCst) {
            let _ = standby.batch_execute("SELECT pg_wal_replay_pause()").await;
            tokio::time::sleep(PAUSED).await;
            let _ = standby.batch_execute("SELECT pg_wal_replay_resume()").await;
            tokio::time::sleep(REPLAYING).await;
        }
        let _ = standby.batch_execute("SELECT pg_wal_replay_resume()").await;
    })
}

/// Samples the lag every 100 ms until `stop`; returns the peaks.
pub fn sample(cluster: &Replicated, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<Lag> {
    let url = cluster.primary_url("postgres");
    tokio::spawn(async move {
        let mut lag = Lag::default();
        let Ok(primary) = connect(&url).await else {
            return lag;
        };
        while !stop.load(Ordering::SeqCst) {
            if let Ok(row) = primary
                .query_one(
                    "SELECT coalesce((SELECT max(extract(epoch FROM replay_lag))::float8 FROM pg_stat_replication), 0),
                            coalesce((SELECT max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn))::float8 FROM pg_stat_replication), 0),
                            coalesce((SELECT max(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn))::float8 FROM pg_replication_slots), 0)",
                    &[],
                )
                .await
            {
                lag.peak_seconds = lag.peak_seconds.max(row.get(0));
                lag.peak_bytes = lag.peak_bytes.max(row.get(1));
                lag.peak_slot_bytes = lag.peak_slot_bytes.max(row.get(2));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        lag
    })
}

/// Waits until the standby (still slowed) has replayed everything the primary wrote so far;
/// how long it took.
pub async fn caught_up(cluster: &Replicated, timeout: Duration) -> Result<f64, String> {
    let started = Instant::now();
    let primary = connect(&cluster.primary_url("postgres")).await?;
    let standby = connect(&format!(
        "postgres://postgres@127.0.0.1:{}/postgres",
        cluster.standby_port
    ))
    .await?;
    let target: String = primary
        .query_one("SELECT pg_current_wal_lsn()::text", &[])
        .await
        .map_err(|e| e.to_string())?
        .get(0);
    loop {
        let done: bool = standby
            .query_one(
                "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn",
                &[&target],
            )
            .await
            .map_err(|e| e.to_string())?
            .get(0);
        if done {
            return Ok(started.elapsed().as_secs_f64());
        }
        if started.elapsed() > timeout {
            return Err("the standby did not catch up".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
