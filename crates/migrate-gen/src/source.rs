//! Reading `#[versioned]` structs from a crate's source without compiling it.

use std::fs;
use std::path::{Path, PathBuf};

use schema_core::parse;
use schema_core::{EnumHistory, TableHistory};

use crate::Error;

const EXPECTED: &str = "expected a crate directory (with Cargo.toml and src/) or one .rs file";

/// The `.rs` files under `src`: the `.rs` file itself, or `DIR/src/**` for a crate.
fn rust_files(src: &Path) -> Result<Vec<PathBuf>, Error> {
    if src.is_file() {
        if src.extension().is_none_or(|e| e != "rs") {
            return Err(Error::msg(format!(
                "--src {}: not a .rs file; {EXPECTED}",
                src.display()
            )));
        }
        return Ok(vec![src.to_owned()]);
    }
    if !src.is_dir() {
        return Err(Error::msg(format!(
            "--src {}: no such file or directory",
            src.display()
        )));
    }
    let root = src.join("src");
    if !root.is_dir() {
        let found = if src.join("Cargo.toml").is_file() {
            "it has a Cargo.toml but no src/"
        } else {
            "it has neither Cargo.toml nor src/"
        };
        return Err(Error::msg(format!(
            "--src {}: not a crate directory ({found}); {EXPECTED}",
            src.display()
        )));
    }
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

/// `#[versioned]` on an item that is not a struct (which `structs_in_file` passes over): what
/// was found, where, and what to do instead.
fn not_structs(path: &Path, items: &[syn::Item], errors: &mut Vec<String>) {
    for item in items {
        let (attrs, what, ident, span) = match item {
            syn::Item::Enum(e) => (&e.attrs, "an enum", &e.ident, e.enum_token.span),
            syn::Item::Union(u) => (&u.attrs, "a union", &u.ident, u.union_token.span),
            syn::Item::Type(t) => (&t.attrs, "a type alias", &t.ident, t.type_token.span),
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    not_structs(path, items, errors);
                }
                continue;
            }
            _ => continue,
        };
        let Some(versioned) = attrs.iter().find(|a| parse::is_versioned_attr(a)) else {
            continue;
        };
        if let (syn::Item::Enum(_), syn::Meta::List(list)) = (item, &versioned.meta)
            && parse::enum_type::names_enum_type(&list.tokens)
        {
            continue;
        }
        let mut message = format!(
            "#[versioned] is on {what} named `{ident}`; it applies to a struct with named fields, one per column of the table"
        );
        if matches!(item, syn::Item::Enum(_)) {
            message.push_str(
                ". For a PostgreSQL enum type, write `#[versioned(enum_type = \"...\", version = N)]`",
            );
        }
        errors.push(located(path, &syn::Error::new(span, message)));
    }
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

/// The crate that `src` belongs to: the folder itself, or the nearest folder above a `.rs` file
/// with a `Cargo.toml` (else the file's folder). `#[raw_sql(up_file = ...)]` paths are relative
/// to it, as the macro reads them relative to `CARGO_MANIFEST_DIR`.
pub fn crate_root(src: &Path) -> PathBuf {
    if src.is_dir() {
        return src.to_owned();
    }
    let src = src.canonicalize().unwrap_or_else(|_| src.to_owned());
    let parent = src.parent().unwrap_or(Path::new("."));
    parent
        .ancestors()
        .find(|dir| dir.join("Cargo.toml").is_file())
        .unwrap_or(parent)
        .to_owned()
}

/// Every table history under `src`, in file order; every annotation error, with its place.
pub fn load(src: &Path) -> Result<Vec<TableHistory>, Error> {
    load_all(src).map(|(tables, _)| tables)
}

/// Every table history and every versioned enum under `src`, in file order; every annotation
/// error, with its place. A field whose type is one of the enums maps to its type.
pub fn load_all(src: &Path) -> Result<(Vec<TableHistory>, Vec<EnumHistory>), Error> {
    parse::raw_sql::with_crate_root(&crate_root(src), || load_in(src))
}

fn load_in(src: &Path) -> Result<(Vec<TableHistory>, Vec<EnumHistory>), Error> {
    let mut histories = Vec::new();
    let mut enums = Vec::new();
    let mut errors = Vec::new();
    let mut files = Vec::new();
    for path in rust_files(src)? {
        let text = fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        if !text.contains("versioned") {
            continue;
        }
        match syn::parse_file(&text) {
            Ok(file) => {
                for parsed in parse::enum_type::enums_in_file(&file) {
                    match parsed {
                        Ok(p) => enums.push(p.history),
                        Err(e) => errors.push(located(&path, &e)),
                    }
                }
                files.push((path, file));
            }
            Err(e) => errors.push(located(&path, &e)),
        }
    }
    parse::enum_type::with_known_enums(&enums, || {
        for (path, file) in &files {
            for parsed in parse::structs_in_file(file) {
                match parsed {
                    Ok(p) => histories.push(p.history),
                    Err(e) => errors.push(located(path, &e)),
                }
            }
            not_structs(path, &file.items, &mut errors);
        }
    });
    let errors: Vec<&str> = errors.iter().flat_map(|e| e.lines()).collect();
    match errors.as_slice() {
        [] => {}
        [one] => return Err(Error::msg(format!("bad annotation: {one}"))),
        many => {
            return Err(Error::msg(format!(
                "{} bad annotations:\n{}",
                many.len(),
                many.join("\n")
            )));
        }
    }
    if histories.is_empty() {
        return Err(Error::msg(format!(
            "no #[versioned] struct found under {}",
            src.display()
        )));
    }
    Ok((histories, enums))
}
