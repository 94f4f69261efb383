//! `migrations.lock`: what has been emitted, so that a run only appends and notices edits.
//!
//! ```text
//! # ...comments...
//! sum <sha256 of the lines below>
//! step <schema.table> <version> r<release> <fingerprint>
//! file <number> <schema.table> <version> <phase> <tx|no-tx> r<release> <sha256> <rollback sha256> <stem>
//! ```
//!
//! The `sum` line changes with every run, so two branches that both add migrations conflict
//! on it when merged (as Atlas's `atlas.sum` does) instead of silently sharing a number.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use schema_core::plan::Phase;
use sha2::{Digest, Sha256};

use crate::Error;

pub const FILE_NAME: &str = "migrations.lock";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepEntry {
    pub table: String,
    pub version: u32,
    pub release: u32,
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    pub number: u32,
    pub table: String,
    pub version: u32,
    pub phase: Phase,
    pub transactional: bool,
    pub release: u32,
    pub checksum: String,
    pub rollback_checksum: String,
    /// `002_users_v2_expand`: the forward file is `<stem>.sql`, its rollback `<stem>.rollback.sql`.
    pub stem: String,
}

/// How the migration files are named and cut.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Layout {
    /// NNN_table_vK_step.sql with NNN_table_vK_step.rollback.sql, for psql and `apply`.
    #[default]
    Plain,
    /// <version>_<name>.up.sql / .down.sql pairs for `sqlx migrate run` and `sqlx::migrate!`.
    Sqlx,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub layout: Layout,
    pub steps: Vec<StepEntry>,
    pub files: Vec<FileEntry>,
}

/// SHA-256 of a file's text with CRLF line endings read as LF.
pub fn checksum(text: &str) -> String {
    let normalized = text.replace("\r\n", "\n");
    hex(&Sha256::digest(normalized.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

impl Manifest {
    /// The number of the last generated file (in the sqlx layout, of the file whose parts
    /// the last migrations are: their versions are `number * 10 + part`).
    pub fn last_number(&self) -> u32 {
        let last = self.files.iter().map(|f| f.number).max().unwrap_or(0);
        match self.layout {
            Layout::Plain => last,
            Layout::Sqlx => last / 10,
        }
    }

    /// The forward and rollback file names of `f`.
    pub fn names(&self, f: &FileEntry) -> (String, String) {
        match self.layout {
            Layout::Plain => (
                format!("{}.sql", f.stem),
                format!("{}.rollback.sql", f.stem),
            ),
            Layout::Sqlx => (format!("{}.up.sql", f.stem), format!("{}.down.sql", f.stem)),
        }
    }

    pub fn last_release(&self) -> u32 {
        self.steps.iter().map(|s| s.release).max().unwrap_or(0)
    }

    pub fn step(&self, table: &str, version: u32) -> Option<&StepEntry> {
        self.steps
            .iter()
            .find(|s| s.table == table && s.version == version)
    }

    fn body(&self) -> String {
        let mut out = String::new();
        if self.layout == Layout::Sqlx {
            out.push_str("layout sqlx\n");
        }
        for s in &self.steps {
            let _ = writeln!(
                out,
                "step {} {} r{} {}",
                s.table, s.version, s.release, s.fingerprint
            );
        }
        for f in &self.files {
            let _ = writeln!(
                out,
                "file {:03} {} {} {} {} r{} {} {} {}",
                f.number,
                f.table,
                f.version,
                f.phase,
                if f.transactional { "tx" } else { "no-tx" },
                f.release,
                f.checksum,
                f.rollback_checksum,
                f.stem
            );
        }
        out
    }

    pub fn render(&self) -> String {
        let body = self.body();
        format!(
            "# migrate-gen manifest: written by `migrate-gen generate`; do not edit by hand.\n\
             # A merge conflict here means two branches added migrations: keep one branch's files and\n\
             # this file as they were, then run `migrate-gen generate` again to append the other's.\n\
             sum {}\n{body}",
            checksum(&body)
        )
    }

    /// Reads `dir/migrations.lock`; an absent file is an empty manifest.
    pub fn load(dir: &Path) -> Result<Manifest, Error> {
        let path = dir.join(FILE_NAME);
        if !path.exists() {
            return Ok(Manifest::default());
        }
        let text = fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        Manifest::parse(&text).map_err(|e| Error::msg(format!("{}: {e}", path.display())))
    }

    pub fn parse(text: &str) -> Result<Manifest, String> {
        let text = text.replace("\r\n", "\n");
        if text
            .lines()
            .any(|l| l.starts_with("<<<<<<<") || l.starts_with(">>>>>>>"))
        {
            return Err(
                "holds merge conflict markers: two branches added migrations; keep one branch's migrations and this file as they were, then run `migrate-gen generate` again to append the other's"
                    .into(),
            );
        }
        let mut manifest = Manifest::default();
        let mut sum = None;
        let mut body = String::new();
        for (n, line) in text.lines().enumerate() {
            let bad = |what: &str| format!("line {}: {what}: `{line}`", n + 1);
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                [] => {}
                [first, ..] if first.starts_with('#') => {}
                ["sum", s] => sum = Some((*s).to_owned()),
                ["layout", "sqlx"] => {
                    body.push_str(line);
                    body.push('\n');
                    manifest.layout = Layout::Sqlx;
                }
                ["step", table, version, release, fp] => {
                    body.push_str(line);
                    body.push('\n');
                    manifest.steps.push(StepEntry {
                        table: (*table).into(),
                        version: version.parse().map_err(|_| bad("bad version"))?,
                        release: release
                            .strip_prefix('r')
                            .and_then(|r| r.parse().ok())
                            .ok_or_else(|| bad("bad release"))?,
                        fingerprint: (*fp).into(),
                    });
                }
                [
                    "file",
                    number,
                    table,
                    version,
                    phase,
                    tx,
                    release,
                    sha,
                    rsha,
                    stem,
                ] => {
                    body.push_str(line);
                    body.push('\n');
                    manifest.files.push(FileEntry {
                        number: number.parse().map_err(|_| bad("bad number"))?,
                        table: (*table).into(),
                        version: version.parse().map_err(|_| bad("bad version"))?,
                        phase: Phase::parse(phase).ok_or_else(|| bad("bad phase"))?,
                        transactional: match *tx {
                            "tx" => true,
                            "no-tx" => false,
                            _ => return Err(bad("expected tx or no-tx")),
                        },
                        release: release
                            .strip_prefix('r')
                            .and_then(|r| r.parse().ok())
                            .ok_or_else(|| bad("bad release"))?,
                        checksum: (*sha).into(),
                        rollback_checksum: (*rsha).into(),
                        stem: (*stem).into(),
                    });
                }
                _ => return Err(bad("unreadable line")),
            }
        }
        match sum {
            None if manifest.steps.is_empty() && manifest.files.is_empty() => {}
            Some(s) if s == checksum(&body) => {}
            _ => {
                return Err(
                    "its sum does not match its lines: it was edited or merged by hand; restore it from one branch and run `migrate-gen generate` again"
                        .into(),
                );
            }
        }
        let mut numbers: BTreeMap<u32, &str> = BTreeMap::new();
        for f in &manifest.files {
            if let Some(other) = numbers.insert(f.number, &f.stem) {
                return Err(format!(
                    "two migrations share number {:03}: {other}.sql and {}.sql (two branches added migrations); keep one branch's and run `migrate-gen generate` again for the other's",
                    f.number, f.stem
                ));
            }
        }
        Ok(manifest)
    }

    /// Problems between the manifest and the files in `dir`: edited, missing or unknown files,
    /// and files of two branches sharing a number.
    pub fn verify_files(&self, dir: &Path) -> Result<Vec<String>, Error> {
        let mut problems = Vec::new();
        for f in &self.files {
            let (forward, rollback) = self.names(f);
            for (name, expected) in [(forward, &f.checksum), (rollback, &f.rollback_checksum)] {
                let path = dir.join(&name);
                match fs::read_to_string(&path) {
                    Ok(text) if &checksum(&text) == expected => {}
                    Ok(_) => problems.push(format!(
                        "{name} was edited after it was generated (its checksum differs from {FILE_NAME}); emitted migrations are never rewritten: restore it and add a new version for the change"
                    )),
                    Err(_) => problems.push(format!("{name} is listed in {FILE_NAME} but missing")),
                }
            }
        }
        let known: Vec<String> = self
            .files
            .iter()
            .flat_map(|f| {
                let (forward, rollback) = self.names(f);
                [forward, rollback]
            })
            .collect();
        let mut by_number: BTreeMap<String, Vec<String>> = BTreeMap::new();
        if dir.is_dir() {
            let mut names: Vec<String> = fs::read_dir(dir)
                .map_err(|e| Error::io(dir, e))?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".sql"))
                .collect();
            names.sort();
            for name in names {
                if let Some((num, _)) = name.split_once('_')
                    && num.chars().all(|c| c.is_ascii_digit())
                    && !name.ends_with(".rollback.sql")
                    && !name.ends_with(".down.sql")
                {
                    by_number
                        .entry(num.to_owned())
                        .or_default()
                        .push(name.clone());
                }
                if !known.contains(&name) {
                    problems.push(format!(
                        "{name} is not in {FILE_NAME}: a migration written by hand or by another branch; remove it or merge that branch's {FILE_NAME}"
                    ));
                }
            }
        }
        for (num, names) in by_number {
            if names.len() > 1 {
                problems.push(format!(
                    "two migrations share number {num}: {}",
                    names.join(" and ")
                ));
            }
        }
        Ok(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            layout: Layout::Plain,
            steps: vec![StepEntry {
                table: "public.users".into(),
                version: 1,
                release: 1,
                fingerprint: "ab".into(),
            }],
            files: vec![FileEntry {
                number: 1,
                table: "public.users".into(),
                version: 1,
                phase: Phase::Expand,
                transactional: true,
                release: 1,
                checksum: "c1".into(),
                rollback_checksum: "c2".into(),
                stem: "001_users_create".into(),
            }],
        }
    }

    #[test]
    fn round_trips() {
        let m = sample();
        assert_eq!(Manifest::parse(&m.render()).unwrap(), m);
    }

    #[test]
    fn the_sqlx_layout_is_recorded_and_names_up_and_down_files() {
        let mut m = sample();
        m.layout = Layout::Sqlx;
        let parsed = Manifest::parse(&m.render()).unwrap();
        assert_eq!(parsed, m);
        assert_eq!(
            parsed.names(&parsed.files[0]),
            (
                "001_users_create.up.sql".to_owned(),
                "001_users_create.down.sql".to_owned()
            )
        );
    }

    #[test]
    fn crlf_is_not_an_edit() {
        assert_eq!(checksum("a\r\nb\r\n"), checksum("a\nb\n"));
        let m = sample();
        assert_eq!(
            Manifest::parse(&m.render().replace('\n', "\r\n")).unwrap(),
            m
        );
    }

    #[test]
    fn hand_edits_and_merges_are_refused() {
        let text = sample().render().replace("r1 c1", "r1 c9");
        assert!(
            Manifest::parse(&text)
                .unwrap_err()
                .contains("sum does not match")
        );
        let conflict = format!(
            "<<<<<<< HEAD\n{}=======\n>>>>>>> other\n",
            sample().render()
        );
        assert!(
            Manifest::parse(&conflict)
                .unwrap_err()
                .contains("merge conflict")
        );
    }

    #[test]
    fn a_shared_number_names_both_files() {
        let mut m = sample();
        let mut other = m.files[0].clone();
        other.stem = "001_orgs_create".into();
        m.files.push(other);
        let err = Manifest::parse(&m.render()).unwrap_err();
        assert!(
            err.contains("001_users_create.sql and 001_orgs_create.sql"),
            "{err}"
        );
    }
}
