//! `[workspace.metadata.migrate-gen]`: the crates `cargo run -p migrate-gen` generates for; or,
//! in a crate of its own, `[package.metadata.migrate-gen]` with `out`, `author` and `layout`.
//!
//! ```toml
//! [workspace.metadata.migrate-gen]
//! crates = [{ src = "examples/service", out = "examples/service/sql", author = "service team" }]
//! # layout = "sqlx" writes the sqlx layout instead of the plain one
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use crate::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub src: PathBuf,
    pub out: PathBuf,
    pub author: Option<String>,
    pub layout: crate::Layout,
}

/// The nearest `Cargo.toml` at or above `start` that has `[workspace.metadata.migrate-gen]`,
/// and its targets with paths made absolute.
pub fn find(start: &Path) -> Result<Vec<Target>, Error> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let manifest = d.join("Cargo.toml");
        if manifest.is_file() {
            let text = fs::read_to_string(&manifest).map_err(|e| Error::io(&manifest, e))?;
            let value: toml::Table = text
                .parse()
                .map_err(|e| Error::msg(format!("{}: {e}", manifest.display())))?;
            if let Some(cfg) = value
                .get("workspace")
                .and_then(|w| w.get("metadata"))
                .and_then(|m| m.get("migrate-gen"))
            {
                return targets(d, &manifest, cfg);
            }
            if let Some(cfg) = value
                .get("package")
                .and_then(|w| w.get("metadata"))
                .and_then(|m| m.get("migrate-gen"))
            {
                return package_target(d, &manifest, cfg);
            }
        }
        dir = d.parent();
    }
    Err(Error::msg(
        "no [workspace.metadata.migrate-gen] or [package.metadata.migrate-gen] in any Cargo.toml here or above; run `migrate-gen generate --src DIR --out DIR` or see the README",
    ))
}

/// `[package.metadata.migrate-gen]` of a crate outside this workspace: the crate itself, with
/// `out`, `author` and `layout` as in a `crates` entry.
fn package_target(root: &Path, manifest: &Path, cfg: &toml::Value) -> Result<Vec<Target>, Error> {
    let mut entry = cfg.clone();
    if let Some(table) = entry.as_table_mut() {
        if table.contains_key("src") || table.contains_key("crates") {
            return Err(Error::msg(format!(
                "{}: [package.metadata.migrate-gen] describes this crate: it takes `out`, `author` and `layout`, not `src` or `crates`",
                manifest.display()
            )));
        }
        table.insert("src".into(), toml::Value::String(".".into()));
    }
    let mut list = toml::Table::new();
    list.insert("crates".into(), toml::Value::Array(vec![entry]));
    targets(root, manifest, &toml::Value::Table(list))
}

fn targets(root: &Path, manifest: &Path, cfg: &toml::Value) -> Result<Vec<Target>, Error> {
    let bad = |what: &str| {
        Error::msg(format!(
            "{}: [workspace.metadata.migrate-gen] {what}; expected crates = [{{ src = \"DIR\", out = \"DIR\", author = \"NAME\" }}]",
            manifest.display()
        ))
    };
    let crates = cfg
        .get("crates")
        .and_then(|c| c.as_array())
        .ok_or_else(|| bad("has no `crates` list"))?;
    crates
        .iter()
        .map(|c| {
            let get = |k: &str| c.get(k).and_then(|v| v.as_str());
            let src = get("src").ok_or_else(|| bad("has a crate without `src`"))?;
            let out = get("out").map_or_else(|| root.join(src).join("sql"), |o| root.join(o));
            let layout = match get("layout") {
                None | Some("plain") => crate::Layout::Plain,
                Some("sqlx") => crate::Layout::Sqlx,
                Some(other) => {
                    return Err(bad(&format!("has layout = \"{other}\" (plain or sqlx)")));
                }
            };
            Ok(Target {
                src: root.join(src),
                out,
                author: get("author").map(str::to_owned),
                layout,
            })
        })
        .collect()
}
