//! `lint`: squawk's rules (the `squawk-linter` crate, PostgreSQL 15) on any SQL file, the
//! generated ones and hand-written ones alike. A `-- squawk-ignore RULE` line silences RULE on
//! the statement below it only when the line above it gives the reason, as every generated
//! exception does.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use squawk_linter::Linter;
use squawk_syntax::SourceFile;

use crate::Error;

/// One finding: where, which rule, what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub rule: String,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.rule,
            self.message
        )
    }
}

/// The `.sql` files of `paths`: a file as given, a folder's `.sql` files (not below it), sorted.
pub fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| Error::io(path, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "sql"))
                .collect();
            if found.is_empty() {
                return Err(Error::msg(format!(
                    "{}: no .sql file in this folder",
                    path.display()
                )));
            }
            found.sort();
            out.extend(found);
        } else if path.is_file() {
            out.push(path.clone());
        } else {
            return Err(Error::msg(format!(
                "{}: no such file or folder",
                path.display()
            )));
        }
    }
    Ok(out)
}

/// Line and column (1-based, in characters) of byte `offset` of `text`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The findings in one file's text.
pub fn lint_text(file: &Path, text: &str) -> Vec<Finding> {
    let parse = SourceFile::parse(text);
    let at = |offset: usize, rule: &str, message: String| {
        let (line, column) = position(text, offset);
        Finding {
            file: file.to_owned(),
            line,
            column,
            rule: rule.to_owned(),
            message,
        }
    };
    let mut out: Vec<Finding> = parse
        .errors()
        .iter()
        .map(|e| {
            at(
                usize::from(e.range().start()),
                "syntax-error",
                e.message().to_owned(),
            )
        })
        .collect();
    let mut linter = Linter::with_default_rules();
    for v in linter.lint(&parse, text) {
        let mut message = v.message.clone();
        if let Some(help) = &v.help {
            let _ = write!(message, " ({help})");
        }
        out.push(at(
            usize::from(v.text_range.start()),
            &v.code.to_string(),
            message,
        ));
    }
    // An exception without its reason is a finding of its own.
    let lines: Vec<&str> = text.lines().collect();
    let mut offset = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.trim_start().starts_with("-- squawk-ignore") {
            let reason = i
                .checked_sub(1)
                .map(|j| lines[j].trim_start())
                .is_some_and(|above| above.starts_with("--") && !above.starts_with("-- squawk"));
            if !reason {
                out.push(at(
                    offset,
                    "ignore-without-reason",
                    "`-- squawk-ignore` needs the reason on the comment line above it".into(),
                ));
            }
        }
        offset += line.len() + 1;
    }
    out.sort_by_key(|f| (f.line, f.column));
    out
}

/// What `lint` found in the files it read.
#[derive(Debug)]
pub struct Report {
    pub files: usize,
    pub findings: Vec<Finding>,
}

/// Every finding in `paths`; an error when a path cannot be read.
pub fn lint(paths: &[PathBuf]) -> Result<Report, Error> {
    let files = files(paths)?;
    let mut findings = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
        findings.extend(lint_text(file, &text));
    }
    Ok(Report {
        files: files.len(),
        findings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<(usize, String)> {
        lint_text(Path::new("f.sql"), text)
            .into_iter()
            .map(|f| (f.line, f.rule))
            .collect()
    }

    const SETTINGS: &str = "SET lock_timeout = '1s';\nSET statement_timeout = '30s';\n";

    #[test]
    fn a_blocking_index_is_found_with_its_line() {
        let found = rules(&format!(
            "{SETTINGS}CREATE INDEX IF NOT EXISTS users_email ON users (email);\n"
        ));
        assert_eq!(found, [(3, "require-concurrent-index-creation".to_owned())]);
    }

    #[test]
    fn an_ignore_with_its_reason_silences_the_rule() {
        let text = format!(
            "{SETTINGS}-- Contract: the values were archived first.\n-- squawk-ignore ban-drop-column\nALTER TABLE users DROP COLUMN IF EXISTS fax;\n"
        );
        assert_eq!(rules(&text), []);
        let unsilenced = text.replace("-- squawk-ignore ban-drop-column\n", "");
        assert_eq!(rules(&unsilenced), [(4, "ban-drop-column".to_owned())]);
    }

    #[test]
    fn an_ignore_without_a_reason_is_a_finding() {
        let text = format!(
            "{SETTINGS}-- squawk-ignore ban-drop-column\nALTER TABLE users DROP COLUMN IF EXISTS fax;\n"
        );
        assert_eq!(rules(&text), [(3, "ignore-without-reason".to_owned())]);
    }

    #[test]
    fn a_syntax_error_is_a_finding() {
        let found = rules("ALTER TABLE users ADD COLUMN;\n");
        assert!(found.iter().any(|(_, r)| r == "syntax-error"), "{found:?}");
    }

    #[test]
    fn positions_are_one_based() {
        assert_eq!(position("ab\ncd", 4), (2, 2));
        assert_eq!(position("ab", 0), (1, 1));
    }
}
