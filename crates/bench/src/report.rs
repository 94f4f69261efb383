//! Figures of a run, the targets beside them, and the Markdown/TSV output.

use std::fmt::Write as _;
use std::time::Duration;

use crate::contender::{Contender, Step};
use crate::locks::{Hold, short_mode};
use crate::workload::Sample;

/// Everything recorded in one run of one contender on one scenario.
pub struct Run {
    pub scenario: &'static str,
    pub contender: Contender,
    /// Why it did not run (not supported, not installed), if so.
    pub skipped: Option<String>,
    pub samples: Vec<Sample>,
    pub steps: Vec<Step>,
    pub events: Vec<(f64, String)>,
    pub holds: Vec<Hold>,
    pub interval: Duration,
    pub mig_start: f64,
    pub mig_end: f64,
    pub blocker: Option<(f64, f64)>,
    pub error: Option<String>,
    pub verified: Option<bool>,
    /// Rows in the table when the migration started (loaded + inserted by the workload).
    pub rows: u64,
    /// How far the standby fell behind (the standby scenario).
    pub replication: Option<crate::replication::Lag>,
}

#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub baseline_p99: f64,
    pub baseline_n: usize,
    pub during_p99: f64,
    pub during_max: f64,
    pub during_n: usize,
    pub over_1s: usize,
    pub failed: usize,
    /// The first failure messages, with their counts.
    pub failures: Vec<(String, usize)>,
    pub lock_ms: f64,
    pub lock_what: String,
    pub wall_s: f64,
    /// Rows per second of the steps that fill every row, and their time.
    pub fill: Option<(f64, f64)>,
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

impl Run {
    pub fn figures(&self) -> Figures {
        let mut f = Figures::default();
        let mut base: Vec<f64> = self
            .samples
            .iter()
            .filter(|s| s.at >= 1.0 && s.at + s.ms / 1000.0 < self.mig_start)
            .map(|s| s.ms)
            .collect();
        base.sort_by(f64::total_cmp);
        f.baseline_p99 = percentile(&base, 0.99);
        f.baseline_n = base.len();
        // Every statement that finished after the migration started: during it, and the
        // queue it left behind (the run goes on for a few seconds after the migration).
        let mut during: Vec<f64> = self
            .samples
            .iter()
            .filter(|s| s.at + s.ms / 1000.0 >= self.mig_start)
            .map(|s| s.ms)
            .collect();
        during.sort_by(f64::total_cmp);
        f.during_p99 = percentile(&during, 0.99);
        f.during_max = during.last().copied().unwrap_or(0.0);
        f.during_n = during.len();
        f.over_1s = self.samples.iter().filter(|s| s.ms > 1000.0).count();
        for s in &self.samples {
            if let Some(e) = &s.error {
                f.failed += 1;
                match f.failures.iter_mut().find(|(m, _)| m == e) {
                    Some((_, n)) => *n += 1,
                    None => f.failures.push((e.clone(), 1)),
                }
            }
        }
        if let Some(h) = self.holds.iter().max_by(|a, b| {
            a.estimate_ms(self.interval)
                .total_cmp(&b.estimate_ms(self.interval))
        }) {
            f.lock_ms = h.estimate_ms(self.interval);
            f.lock_what = format!("{} on {}", short_mode(&h.mode), h.table);
        }
        f.wall_s = self.mig_end - self.mig_start;
        let fill_s: f64 = self
            .steps
            .iter()
            .filter(|s| s.fill)
            .map(|s| s.end - s.start)
            .sum();
        if fill_s > 0.0 {
            f.fill = Some((self.rows as f64 / fill_s, fill_s));
        }
        f
    }
}

pub fn ms(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1} s", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0} ms")
    } else if v >= 10.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

pub fn thousands(v: f64) -> String {
    let n = v.round() as i64;
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// One line per target: met / missed / tie / not measured, with the figures.
#[derive(Debug, Clone)]
pub struct Target {
    pub what: String,
    pub met: Option<bool>,
    /// Neither of two compared contenders stalled (both under 100 ms): no winner to name.
    pub tie: bool,
    pub detail: String,
}

impl Target {
    pub fn new(what: String, met: Option<bool>, detail: String) -> Target {
        Target {
            what,
            met,
            tie: false,
            detail,
        }
    }

    pub fn mark(&self) -> &'static str {
        match self.met {
            _ if self.tie => "tie",
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "not measured",
        }
    }
}

pub fn table_markdown(runs: &[Run], scenario_titles: &[(&str, &str)]) -> String {
    let mut out = String::new();
    out.push_str("| scenario | contender | baseline p99 | p99 during | max during | > 1 s | failed | longest strong lock | migration wall | fill rate | result |\n");
    out.push_str("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for r in runs {
        let title = scenario_titles
            .iter()
            .find(|(id, _)| *id == r.scenario)
            .map_or(r.scenario, |(id, _)| id);
        if let Some(why) = &r.skipped {
            let _ = writeln!(
                out,
                "| {title} | {} | | | | | | | | | {why} |",
                r.contender.name()
            );
            continue;
        }
        let f = r.figures();
        let lock = if f.lock_ms > 0.0 {
            format!("{} ({})", ms(f.lock_ms), f.lock_what)
        } else {
            "none seen".into()
        };
        let fill = f.fill.map_or("-".into(), |(rate, s)| {
            format!("{} rows/s ({s:.1} s)", thousands(rate))
        });
        let result = match (&r.error, r.verified) {
            (Some(e), _) => format!("failed: {}", e.replace('|', "/")),
            (None, Some(true)) => "done, verified".into(),
            (None, Some(false)) => "done, verification FAILED".into(),
            (None, None) => "done".into(),
        };
        let _ = writeln!(
            out,
            "| {title} | {} | {} | {} | {} | {} | {} | {lock} | {:.2} s | {fill} | {result} |",
            r.contender.name(),
            ms(f.baseline_p99),
            ms(f.during_p99),
            ms(f.during_max),
            f.over_1s,
            f.failed,
            f.wall_s
        );
    }
    out
}

/// Where each run's stalls fell, so that a stall can be told apart from the machine's own
/// spikes: statements over 50 ms per second of the baseline and of the migration window (the
/// migration plus the queue it left), and the slowest statement's scheduled time after the
/// migration started with what ran then (the migration's step, or nothing).
pub fn stalls_markdown(runs: &[Run]) -> String {
    let mut out = String::new();
    out.push_str("| scenario | contender | over 50 ms per s, baseline | over 50 ms per s, during | slowest statement | scheduled at | while |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for r in runs.iter().filter(|r| r.skipped.is_none()) {
        let finish = |s: &Sample| s.at + s.ms / 1000.0;
        let base: Vec<&Sample> = r
            .samples
            .iter()
            .filter(|s| s.at >= 1.0 && finish(s) < r.mig_start)
            .collect();
        let during: Vec<&Sample> = r
            .samples
            .iter()
            .filter(|s| finish(s) >= r.mig_start)
            .collect();
        let per_s = |v: &[&Sample]| -> String {
            let (Some(first), Some(last)) = (
                v.iter().map(|s| s.at).reduce(f64::min),
                v.iter().map(|s| finish(s)).reduce(f64::max),
            ) else {
                return "-".into();
            };
            let slow = v.iter().filter(|s| s.ms > 50.0).count();
            format!("{:.1}", slow as f64 / (last - first).max(1.0))
        };
        let Some(worst) = during.iter().max_by(|a, b| a.ms.total_cmp(&b.ms)) else {
            continue;
        };
        // The step running when the statement was scheduled, else when it finished.
        let at = |t: f64| r.steps.iter().find(|st| st.start <= t && t <= st.end);
        let step = at(worst.at).or_else(|| at(finish(worst))).map_or_else(
            || {
                if worst.at > r.mig_end {
                    "after the migration".to_owned()
                } else if finish(worst) < r.mig_start {
                    "before the migration".to_owned()
                } else {
                    "between steps".to_owned()
                }
            },
            |st| st.label.replace('|', "/"),
        );
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:+.2} s | {step} |",
            r.scenario,
            r.contender.name(),
            per_s(&base),
            per_s(&during),
            ms(worst.ms),
            worst.at - r.mig_start,
        );
    }
    out
}

pub fn tsv(runs: &[Run]) -> String {
    let mut out = String::from(
        "scenario\tcontender\tskipped\tbaseline_p99_ms\tduring_p99_ms\tduring_max_ms\tover_1s\tfailed\tlock_ms\tlock\twall_s\tfill_rows_per_s\terror\tverified\n",
    );
    for r in runs {
        if let Some(why) = &r.skipped {
            let _ = writeln!(
                out,
                "{}\t{}\t{}\t\t\t\t\t\t\t\t\t\t\t",
                r.scenario,
                r.contender.name(),
                why.replace('\t', " ")
            );
            continue;
        }
        let f = r.figures();
        let _ = writeln!(
            out,
            "{}\t{}\t\t{:.3}\t{:.3}\t{:.3}\t{}\t{}\t{:.1}\t{}\t{:.3}\t{}\t{}\t{}",
            r.scenario,
            r.contender.name(),
            f.baseline_p99,
            f.during_p99,
            f.during_max,
            f.over_1s,
            f.failed,
            f.lock_ms,
            f.lock_what,
            f.wall_s,
            f.fill.map_or(String::new(), |(r, _)| format!("{r:.0}")),
            r.error.clone().unwrap_or_default().replace('\t', " "),
            r.verified.map_or(String::new(), |v| v.to_string()),
        );
    }
    out
}

/// Reads `fill_rows_per_s` of (scenario, contender) from a TSV written by an earlier run.
pub fn tsv_fill_rate(text: &str, scenario: &str, contender: &str) -> Option<f64> {
    text.lines().skip(1).find_map(|l| {
        let cols: Vec<&str> = l.split('\t').collect();
        (cols.first() == Some(&scenario) && cols.get(1) == Some(&contender))
            .then(|| cols.get(11)?.parse().ok())
            .flatten()
    })
}
