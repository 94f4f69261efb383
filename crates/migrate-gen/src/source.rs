//! Reading `#[versioned]` structs from a crate's source without compiling it.

use std::fs;
use std::path::{Path, PathBuf};

use schema_core::TableHistory;
use schema_core::parse;

use crate::Error;

/// The `.rs` files under `src`: the file itself, `DIR/src/**` for a crate, or `DIR/**`.
fn rust_files(src: &Path) -> Result<Vec<PathBuf>, Error> {
    if src.is_file() {
        return Ok(vec![src.to_owned()]);
    }
    if !src.is_dir() {
        return Err(Error::msg(format!(
            "--src {}: no such file or directory",
            src.display()
        )));
    }
    let root = if src.join("src").is_dir() {
        src.join("src")
    } else {
        src.to_owned()
    };
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
        for entry in entries {
            let path = entry.map_err(|e| Error::io(&dir, e))?.path();
            if path.is_dir() {
                if path
                    .file_name()
                    .is_some_and(|n| n != "target" && !n.to_string_lossy().starts_with('.'))
                {
                    dirs.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn located(path: &Path, e: &syn::Error) -> String {
    e.clone()
        .into_iter()
        .map(|e| {
            let start = e.span().start();
            format!(
                "{}:{}:{}: {e}",
                path.display(),
                start.line,
                start.column + 1
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every table history under `src`, in file order; every annotation error, with its place.
pub fn load(src: &Path) -> Result<Vec<TableHistory>, Error> {
    let mut histories = Vec::new();
    let mut errors = Vec::new();
    for path in rust_files(src)? {
        let text = fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        if !text.contains("versioned") {
            continue;
        }
        let file = match syn::parse_file(&text) {
            Ok(file) => file,
            Err(e) => {
                errors.push(located(&path, &e));
                continue;
            }
        };
        for parsed in parse::structs_in_file(&file) {
            match parsed {
                Ok(p) => histories.push(p.history),
                Err(e) => errors.push(located(&path, &e)),
            }
        }
    }
    if !errors.is_empty() {
        return Err(Error::msg(format!(
            "bad annotations:\n{}",
            errors.join("\n")
        )));
    }
    if histories.is_empty() {
        return Err(Error::msg(format!(
            "no #[versioned] struct found under {}",
            src.display()
        )));
    }
    Ok(histories)
}
