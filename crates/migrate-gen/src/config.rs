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
    let bad = |what: &str| {
        Error::msg(format!(
            "{}: [package.metadata.migrate-gen] {what}; it describes this crate: out = \"DIR\", author = \"NAME\", layout = \"plain\" or \"sqlx\"",
            manifest.display()
        ))
    };
    if cfg.get("src").is_some() || cfg.get("crates").is_some() {
        return Err(bad("names `src` or `crates`"));
    }
    Ok(vec![target(root, ".", cfg, &bad)?])
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
            let src = c
                .get("src")
                .and_then(|v| v.as_str())
                .ok_or_else(|| bad("has a crate without `src`"))?;
            target(root, src, c, &bad)
        })
        .collect()
}

/// One crate's target: its `src` below `root`, and `out`, `author` and `layout` from `entry`.
fn target(
    root: &Path,
    src: &str,
    entry: &toml::Value,
    bad: &dyn Fn(&str) -> Error,
) -> Result<Target, Error> {
    let get = |k: &str| entry.get(k).and_then(|v| v.as_str());
    let out = get("out").map_or_else(|| root.join(src).join("sql"), |o| root.join(o));
    let layout = match get("layout") {
        None | Some("plain") => crate::Layout::Plain,
        Some("sqlx") => crate::Layout::Sqlx,
        Some(other) => return Err(bad(&format!("has layout = \"{other}\" (plain or sqlx)"))),
    };
    Ok(Target {
        src: root.join(src),
        out,
        author: get("author").map(str::to_owned),
        layout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(text: &str) -> Result<Vec<Target>, Error> {
        let dir = std::env::temp_dir().join(format!("mg_config_{}", std::process::id()));
        let cfg: toml::Table = text.parse().unwrap();
        package_target(&dir, &dir.join("Cargo.toml"), &toml::Value::Table(cfg))
    }

    #[test]
    fn a_package_describes_itself() {
        let t = package("out = \"migrations\"\nauthor = \"team\"\nlayout = \"sqlx\"").unwrap();
        assert_eq!(t.len(), 1);
        assert!(t[0].out.ends_with("migrations"));
        assert_eq!(t[0].author.as_deref(), Some("team"));
        assert_eq!(t[0].layout, crate::Layout::Sqlx);
    }

    #[test]
    fn a_package_error_names_the_package_table() {
        let e = package("layout = \"bogus\"").unwrap_err().to_string();
        assert!(
            e.contains("[package.metadata.migrate-gen] has layout = \"bogus\" (plain or sqlx)"),
            "{e}"
        );
        let e = package("src = \"x\"").unwrap_err().to_string();
        assert!(
            e.contains("[package.metadata.migrate-gen] names `src` or `crates`"),
            "{e}"
        );
    }
}
