//! The cost model of `plan --database-url`: what a file does (read from its statements), and
//! how long it takes, how much WAL it writes and how much disk it takes, from the sizes of the
//! table it works on. docs/plan-estimates.md describes the model and docs/BENCHMARKS.md checks
//! it against measured runs.

/// What one file does to its table's rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Work {
    /// `DO $backfill$` blocks: every row rewritten, in batches (one new row version each).
    pub backfills: usize,
    /// `DO $archive$` blocks: the key and the dropped column copied to the archive.
    pub archive_copies: usize,
    /// `CREATE [UNIQUE] INDEX CONCURRENTLY`: two passes over the table and a sort.
    pub index_builds: usize,
    /// `VALIDATE CONSTRAINT` of a check (or NOT NULL helper): one pass over the table.
    pub check_validations: usize,
    /// `VALIDATE CONSTRAINT` of a foreign key: one pass and a key lookup per row.
    pub fk_validations: usize,
}

impl Work {
    /// Reads `text` (a migration file); comments are skipped.
    pub fn of(text: &str) -> Work {
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        let upper = code.to_ascii_uppercase();
        let validations: Vec<&str> = code
            .match_indices("VALIDATE CONSTRAINT")
            .map(|(i, _)| code[i..].lines().next().unwrap_or(""))
            .collect();
        let fk = validations
            .iter()
            .filter(|l| l.trim_end_matches([';', '"', ' ']).ends_with("fkey"))
            .count();
        Work {
            backfills: code.matches("DO $backfill$").count(),
            archive_copies: code.matches("DO $archive$").count(),
            index_builds: upper.matches("INDEX CONCURRENTLY").count()
                - upper.matches("DROP INDEX CONCURRENTLY").count(),
            check_validations: validations.len() - fk,
            fk_validations: fk,
        }
    }

    pub fn is_catalog_only(&self) -> bool {
        *self == Work::default()
    }

    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let mut say = |n: usize, one: &str| {
            if n == 1 {
                parts.push(one.to_owned());
            } else if n > 1 {
                parts.push(format!("{n} x {one}"));
            }
        };
        say(self.backfills, "batched backfill (every row rewritten)");
        say(
            self.archive_copies,
            "archive copy (key and column of every row)",
        );
        say(self.index_builds, "concurrent index build");
        say(self.check_validations, "check validation (one scan)");
        say(
            self.fk_validations,
            "foreign-key validation (a lookup per row)",
        );
        if parts.is_empty() {
            "catalog only".into()
        } else {
            parts.join(", ")
        }
    }
}

/// The sizes of a table, from the catalog.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TableSize {
    /// `pg_class.reltuples` (or, never analyzed, the heap's bytes over 100).
    pub rows: f64,
    /// `pg_relation_size`: the heap alone.
    pub heap_bytes: f64,
    /// Whether `rows` is a guess (the table was never analyzed).
    pub guessed: bool,
}

/// The model's constants: seconds per row and bytes per row or per heap byte. Measured on
/// the benchmark machine (docs/BENCHMARKS.md, "plan --database-url estimates"); `--speed`
/// scales the time ones for a faster or slower server.
pub mod k {
    /// A batched backfill: an UPDATE per batch of 1000 rows, a commit each.
    pub const BACKFILL_S_PER_ROW: f64 = 2.0e-5;
    /// ... and per heap byte (wide rows take longer).
    pub const BACKFILL_S_PER_BYTE: f64 = 5.0e-8;
    /// An archive copy: INSERT ... SELECT of the key and one column, per batch.
    pub const ARCHIVE_S_PER_ROW: f64 = 1.1e-5;
    /// A concurrent index build: two scans and a sort.
    pub const INDEX_S_PER_ROW: f64 = 1.2e-6;
    pub const INDEX_S_PER_BYTE: f64 = 5.0e-9;
    /// A check's validation: one sequential scan.
    pub const SCAN_S_PER_BYTE: f64 = 1.0e-9;
    pub const SCAN_S_PER_ROW: f64 = 5.0e-8;
    /// A foreign key's validation: an anti-join against the referenced table.
    pub const FK_S_PER_ROW: f64 = 2.0e-7;
    /// Catalog statements, the file's own checks and its round trips.
    pub const FIXED_S: f64 = 0.05;
    /// WAL of a rewritten row: its new version (about its heap share) and page images.
    pub const BACKFILL_WAL_PER_HEAP_BYTE: f64 = 1.6;
    /// Bytes per index entry (key, tuple header, item pointer, page fill).
    pub const INDEX_BYTES_PER_ROW: f64 = 32.0;
    /// Bytes per archived row (key, value, headers) in the archive table and its key index.
    pub const ARCHIVE_BYTES_PER_ROW: f64 = 70.0;
}

/// What a file is expected to cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Estimate {
    pub seconds: f64,
    pub wal_bytes: f64,
    pub disk_bytes: f64,
}

impl std::ops::AddAssign for Estimate {
    fn add_assign(&mut self, o: Estimate) {
        self.seconds += o.seconds;
        self.wal_bytes += o.wal_bytes;
        self.disk_bytes += o.disk_bytes;
    }
}

/// The cost of `work` on a table of `size`, at `speed` (1: the benchmark machine; 2: twice as
/// fast).
pub fn estimate(work: &Work, size: TableSize, speed: f64) -> Estimate {
    let (r, h) = (size.rows.max(0.0), size.heap_bytes.max(0.0));
    let b = work.backfills as f64;
    let a = work.archive_copies as f64;
    let i = work.index_builds as f64;
    let c = work.check_validations as f64;
    let f = work.fk_validations as f64;
    let seconds = b * (r * k::BACKFILL_S_PER_ROW + h * k::BACKFILL_S_PER_BYTE)
        + a * r * k::ARCHIVE_S_PER_ROW
        + i * (r * k::INDEX_S_PER_ROW + h * k::INDEX_S_PER_BYTE)
        + c * (r * k::SCAN_S_PER_ROW + h * k::SCAN_S_PER_BYTE)
        + f * (r * k::FK_S_PER_ROW + h * k::SCAN_S_PER_BYTE);
    let index = i * r * k::INDEX_BYTES_PER_ROW;
    let archive = a * r * k::ARCHIVE_BYTES_PER_ROW;
    Estimate {
        seconds: k::FIXED_S + seconds / speed.max(0.01),
        // New row versions are WAL-logged; index and archive pages are too.
        wal_bytes: b * h * k::BACKFILL_WAL_PER_HEAP_BYTE + index + archive * 1.5,
        // A rewritten row's old version stays until VACUUM: up to the heap again per backfill
        // (the batches' own dead versions are reused once vacuumed, so one heap is the bound).
        disk_bytes: if b > 0.0 { h } else { 0.0 } + index + archive,
    }
}

/// `1.5 GB`, `320 MB`, `12 kB`, `512 B`.
pub fn bytes(n: f64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB"];
    let mut v = n.max(0.0);
    let mut u = 0;
    while v >= 1024.0 && u < units.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 || v >= 100.0 {
        format!("{v:.0} {}", units[u])
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// `0.3 s`, `42 s`, `12 min`, `2.5 h`.
pub fn seconds(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.1} s")
    } else if s < 600.0 {
        format!("{s:.0} s")
    } else if s < 3.0 * 3600.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

/// A number and the unit after it (`1.5GB` is `(1.5, "GB")`), or `None`.
fn number_and_unit(s: &str) -> Option<(f64, &str)> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    Some((num.parse().ok()?, unit.trim()))
}

/// `10GB`, `500 MB`, `1.5GB`, `100kB`, `4096`: bytes (powers of 1024).
pub fn parse_bytes(s: &str) -> Result<f64, String> {
    let (n, unit) =
        number_and_unit(s).ok_or_else(|| format!("`{s}` is not a size like 500MB or 2GB"))?;
    let mult = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1024.0,
        "m" | "mb" => 1024.0 * 1024.0,
        "g" | "gb" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" => 1024.0_f64.powi(4),
        _ => return Err(format!("`{s}` is not a size like 500MB or 2GB")),
    };
    Ok(n * mult)
}

/// `30s`, `10m`, `2h`, `500ms`: seconds.
pub fn parse_seconds(s: &str) -> Result<f64, String> {
    let (n, unit) =
        number_and_unit(s).ok_or_else(|| format!("`{s}` is not a duration like 30s, 10m or 2h"))?;
    Ok(match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("`{s}` is not a duration like 30s, 10m or 2h")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_a_file_does() {
        let text = "-- Lock: ... VALIDATE CONSTRAINT in a comment\nDO $backfill$ ... $backfill$;\n\
                    CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS x ON t (a);\n\
                    ALTER TABLE t VALIDATE CONSTRAINT \"t_a_not_null\";\n\
                    ALTER TABLE t VALIDATE CONSTRAINT \"t_b_fkey\";\n";
        assert_eq!(
            Work::of(text),
            Work {
                backfills: 1,
                archive_copies: 0,
                index_builds: 1,
                check_validations: 1,
                fk_validations: 1,
            }
        );
        assert!(Work::of("DROP INDEX CONCURRENTLY IF EXISTS x;").is_catalog_only());
    }

    #[test]
    fn sizes_and_durations_parse_and_print() {
        assert_eq!(parse_bytes("2GB").unwrap(), 2.0 * 1024.0 * 1024.0 * 1024.0);
        assert_eq!(parse_bytes("1.5 kB").unwrap(), 1536.0);
        assert!(parse_bytes("lots").is_err());
        assert_eq!(parse_seconds("10m").unwrap(), 600.0);
        assert_eq!(parse_seconds("500ms").unwrap(), 0.5);
        assert_eq!(bytes(1536.0 * 1024.0), "1.5 MB");
        assert_eq!(seconds(42.2), "42 s");
    }
}
