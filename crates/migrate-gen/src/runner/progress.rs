//! Backfill progress: a bar in a terminal (rows done, rows per second, time left), plain log
//! lines otherwise. The backfill reports each committed batch with `RAISE DEBUG`.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// The prefix of the per-batch message of the generated backfill.
pub const PREFIX: &str = "migrate-gen progress ";

enum Display {
    Bar(ProgressBar),
    Log { last: Instant },
}

struct Active {
    label: String,
    done: u64,
    total: u64,
    started: Instant,
    display: Display,
}

/// Shared between the connection's notice callback and the runner: where a run's lines go.
#[derive(Clone, Default)]
pub struct Progress {
    active: Arc<Mutex<Option<Active>>>,
    /// In a fleet run, the database (redacted): per-file lines and backfill progress are left
    /// out (the fleet prints one line per database), and warnings name the database.
    fleet: Option<Arc<str>>,
}

impl Progress {
    /// The lines of one database among many: warnings only, each prefixed with `label`.
    pub fn fleet(label: &str) -> Progress {
        Progress {
            active: Arc::default(),
            fleet: Some(label.into()),
        }
    }

    /// A line about the run's progress (a file started or done): left out in a fleet run.
    pub fn info(&self, line: &str) {
        if self.fleet.is_none() {
            self.say(line);
        }
    }

    /// A line that matters in a fleet run too (a retry, a wait, a server's warning).
    pub fn warn(&self, line: &str) {
        match &self.fleet {
            Some(label) => self.say(&format!("{label}: {line}")),
            None => self.say(line),
        }
    }

    /// Starts reporting a backfill of about `total` rows.
    pub fn start(&self, label: &str, total: u64) {
        if self.fleet.is_some() {
            return;
        }
        let display = if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total.max(1));
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:30}] {human_pos}/{human_len} rows, {rate} rows/s, {eta} left",
                )
                .expect("a valid template")
                .with_key(
                    "rate",
                    |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.0}", state.per_sec());
                    },
                )
                .progress_chars("=> "),
            );
            bar.set_message(label.to_owned());
            Display::Bar(bar)
        } else {
            Display::Log {
                last: Instant::now(),
            }
        };
        *self.active.lock().expect("progress lock") = Some(Active {
            label: label.to_owned(),
            done: 0,
            total,
            started: Instant::now(),
            display,
        });
    }

    /// A message from the server: a per-batch progress line updates the display.
    pub fn message(&self, text: &str) {
        let Some(rest) = text.strip_prefix(PREFIX) else {
            return;
        };
        let Some(done) = rest
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
        else {
            return;
        };
        let mut guard = self.active.lock().expect("progress lock");
        let Some(active) = guard.as_mut() else { return };
        active.done = done;
        match &mut active.display {
            Display::Bar(bar) => {
                if done > bar.length().unwrap_or(0) {
                    bar.set_length(done);
                }
                bar.set_position(done);
            }
            Display::Log { last } => {
                if last.elapsed() >= Duration::from_secs(5) {
                    *last = Instant::now();
                    eprintln!(
                        "{}",
                        line(&active.label, done, active.total, active.started.elapsed())
                    );
                }
            }
        }
    }

    /// Prints a line of the server's (a notice) without breaking a bar that is drawn.
    pub fn say(&self, line: &str) {
        match self
            .active
            .lock()
            .expect("progress lock")
            .as_ref()
            .map(|a| &a.display)
        {
            Some(Display::Bar(bar)) => bar.suspend(|| eprintln!("{line}")),
            _ => eprintln!("{line}"),
        }
    }

    /// Stops reporting, with a final line.
    pub fn finish(&self) {
        if let Some(active) = self.active.lock().expect("progress lock").take() {
            match active.display {
                Display::Bar(bar) => bar.finish_and_clear(),
                Display::Log { .. } => {
                    let rate =
                        active.done as f64 / active.started.elapsed().as_secs_f64().max(0.001);
                    eprintln!(
                        "{}: {} rows filled, {rate:.0} rows/s",
                        active.label, active.done
                    );
                }
            }
        }
    }
}

/// `backfill public.users: 120000 of ~1000000 rows, 40000 rows/s, about 22 s left`.
pub fn line(label: &str, done: u64, total: u64, elapsed: Duration) -> String {
    let rate = done as f64 / elapsed.as_secs_f64().max(0.001);
    let left = if rate > 0.0 && total > done {
        format!(", about {:.0} s left", (total - done) as f64 / rate)
    } else {
        String::new()
    };
    format!("{label}: {done} of ~{total} rows, {rate:.0} rows/s{left}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_line_has_rows_rate_and_time_left() {
        assert_eq!(
            line("backfill public.users", 1000, 3000, Duration::from_secs(2)),
            "backfill public.users: 1000 of ~3000 rows, 500 rows/s, about 4 s left"
        );
    }
}
