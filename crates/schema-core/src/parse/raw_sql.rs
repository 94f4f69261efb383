//! `#[raw_sql(...)]` beside `#[versioned]`: steps of statements written by hand, each a file of
//! its own at a version of the table's timeline, with its rollback.
//!
//! `up_file` and `down_file` are relative to the crate (the folder of its `Cargo.toml`): the
//! macro finds it in `CARGO_MANIFEST_DIR`, the generator from `--src` ([`with_crate_root`]).
//! Their text is read here, so that a missing file is a compile error on the path and an edited
//! one changes the model's fingerprint (an edit of history).

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use proc_macro2::Span;
use syn::spanned::Spanned;

use super::attr::{self, Sp, Value};
use super::symbol::*;
use super::{Errors, ParsedStruct};
use crate::raw_sql::RawStep;

thread_local! {
    static CRATE_ROOT: RefCell<Option<PathBuf>> = const { RefCell::new(None) };
}

/// Runs `f` with `root` as the crate that `up_file` and `down_file` are relative to (the
/// generator's `--src`). Without it, the crate being compiled (`CARGO_MANIFEST_DIR`, which
/// cargo sets for the macro).
pub fn with_crate_root<R>(root: &Path, f: impl FnOnce() -> R) -> R {
    let old = CRATE_ROOT.with(|r| r.replace(Some(root.to_owned())));
    let out = f();
    CRATE_ROOT.with(|r| *r.borrow_mut() = old);
    out
}

fn crate_root() -> Option<PathBuf> {
    CRATE_ROOT
        .with(|r| r.borrow().clone())
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from))
}

/// `true` when `attr` is `#[raw_sql(...)]`.
pub fn is_raw_sql_attr(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == RAW_SQL)
}

/// One attribute as written.
#[derive(Default)]
struct RawAttr {
    at: Option<Sp<u32>>,
    phase: Option<Sp<String>>,
    up: Option<Sp<String>>,
    up_file: Option<Sp<String>>,
    down: Option<Sp<String>>,
    down_file: Option<Sp<String>>,
    no_transaction: Option<Span>,
    irreversible: Option<Span>,
    mentioned: Vec<&'static str>,
}

/// Checks the `#[raw_sql]` attributes of `item`, gives `parsed` its steps and removes the
/// attributes from its struct. Without `parsed` (the struct had errors), only checks them.
pub fn attach(item: &syn::ItemStruct, parsed: Option<&mut ParsedStruct>, errors: &mut Errors) {
    let range = parsed
        .as_ref()
        .map(|p| (p.history.since, p.history.last_version(), &p.history.table));
    let mut steps: Vec<RawStep> = Vec::new();
    for a in item.attrs.iter().filter(|a| is_raw_sql_attr(a)) {
        if let Some(step) = one(a, range.as_ref(), &steps, errors) {
            steps.push(step);
        }
    }
    if let Some(p) = parsed {
        p.history.raw_sql = steps;
        p.item.attrs.retain(|a| !is_raw_sql_attr(a));
    }
}

fn one(
    a: &syn::Attribute,
    range: Option<&(u32, u32, &String)>,
    before: &[RawStep],
    errors: &mut Errors,
) -> Option<RawStep> {
    let syn::Meta::List(list) = &a.meta else {
        errors.push(
            a.span(),
            "expected #[raw_sql(at = K, up = \"SQL\", down = \"SQL\")]",
        );
        return None;
    };
    let span = list.path.span();
    let mut r = RawAttr::default();
    let mut mentioned = Vec::new();
    attr::parse_keys(
        list.tokens.clone(),
        RAW_SQL,
        RAW_SQL_KEYS,
        &mut mentioned,
        &mut Vec::new(),
        errors,
        |key, value: Value, errors| match key {
            AT => r.at = attr::version(RAW_SQL, key, value, errors),
            PHASE => r.phase = attr::string(RAW_SQL, key, value, errors),
            UP => r.up = attr::string(RAW_SQL, key, value, errors),
            UP_FILE => r.up_file = attr::string(RAW_SQL, key, value, errors),
            DOWN => r.down = attr::string(RAW_SQL, key, value, errors),
            DOWN_FILE => r.down_file = attr::string(RAW_SQL, key, value, errors),
            NO_TRANSACTION => r.no_transaction = attr::flag(RAW_SQL, key, value, errors),
            IRREVERSIBLE => r.irreversible = attr::flag(RAW_SQL, key, value, errors),
            _ => unreachable!("parse_keys only passes valid keys"),
        },
    );
    r.mentioned = mentioned;
    let errors_before = errors.len();

    let at = match &r.at {
        Some(at) => {
            if let Some(&(since, last, table)) = range
                && !(since..=last).contains(&at.value)
            {
                errors.push(
                    at.span,
                    format!(
                        "#[raw_sql(at = {})] is outside the versions of table `{table}` ({since}..={last}); a raw SQL step runs at a version the table has",
                        at.value
                    ),
                );
            }
            at.value
        }
        None => {
            if !r.mentioned.contains(&AT) {
                errors.push(
                    span,
                    "#[raw_sql] needs `at = K`, the version of the table's timeline at which it runs",
                );
            }
            0
        }
    };
    let contract = match &r.phase {
        None => false,
        Some(p) if p.value == "expand" => false,
        Some(p) if p.value == "contract" => true,
        Some(p) => {
            errors.push(
                p.span,
                format!(
                    "#[raw_sql(phase = {:?})]: the phase is \"expand\" (before the new code ships, the default) or \"contract\" (after the old code is gone)",
                    p.value
                ),
            );
            false
        }
    };
    let up = text(UP, UP_FILE, &r.up, &r.up_file, errors);
    if r.up.is_none()
        && r.up_file.is_none()
        && !r.mentioned.contains(&UP)
        && !r.mentioned.contains(&UP_FILE)
    {
        errors.push(
            span,
            "#[raw_sql] needs its statements: `up = \"SQL\"` or `up_file = \"path/relative/to/the/crate.sql\"`",
        );
    }
    let down = text(DOWN, DOWN_FILE, &r.down, &r.down_file, errors);
    let has_down = r.down.is_some() || r.down_file.is_some();
    match (has_down, r.irreversible) {
        (true, Some(irreversible)) => errors.push(
            irreversible,
            "#[raw_sql(irreversible)] with a rollback: remove `irreversible`, or the rollback",
        ),
        (false, None) if !r.mentioned.contains(&DOWN) && !r.mentioned.contains(&DOWN_FILE) => {
            errors.push(
                span,
                "#[raw_sql] needs its rollback: `down = \"SQL\"` or `down_file = \"path\"`; or `irreversible` when nothing can undo it (its rollback then refuses, changing nothing)",
            )
        }
        _ => {}
    }
    if errors.len() > errors_before {
        return None;
    }
    let up = up?;
    let ordinal = before.iter().filter(|s| s.at == at).count() as u32 + 1;
    Some(RawStep {
        at,
        ordinal,
        contract,
        up,
        up_file: r.up_file.map(|f| f.value),
        down,
        down_file: r.down_file.map(|f| f.value),
        no_transaction: r.no_transaction.is_some(),
    })
}

/// The statements of `key = "SQL"` or of the file of `file_key = "path"`, trimmed of a last `;`.
fn text(
    key: &str,
    file_key: &str,
    inline: &Option<Sp<String>>,
    file: &Option<Sp<String>>,
    errors: &mut Errors,
) -> Option<String> {
    let raw = match (inline, file) {
        (Some(_), Some(f)) => {
            errors.push(
                f.span,
                format!("#[raw_sql] takes `{key}` or `{file_key}`, not both"),
            );
            return None;
        }
        (Some(s), None) => s.value.clone(),
        (None, Some(f)) => read(file_key, f, errors)?,
        (None, None) => return None,
    };
    let trimmed = raw.trim().trim_end_matches(';').trim_end().to_owned();
    if trimmed.is_empty() {
        let at = inline.as_ref().or(file.as_ref()).map(|s| s.span);
        errors.push(
            at.unwrap_or_else(Span::call_site),
            format!("#[raw_sql({key})] holds no statement"),
        );
        return None;
    }
    Some(trimmed)
}

fn read(key: &str, file: &Sp<String>, errors: &mut Errors) -> Option<String> {
    let relative = Path::new(&file.value);
    if relative.is_absolute() {
        errors.push(
            file.span,
            format!(
                "#[raw_sql({key} = {:?})] is an absolute path; write it relative to the crate (the folder of its Cargo.toml)",
                file.value
            ),
        );
        return None;
    }
    let Some(root) = crate_root() else {
        errors.push(
            file.span,
            format!(
                "#[raw_sql({key})]: the crate's folder is unknown (CARGO_MANIFEST_DIR is not set)"
            ),
        );
        return None;
    };
    let path = root.join(relative);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text.replace("\r\n", "\n")),
        Err(e) => {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "there is no such file".to_owned(),
                _ => format!("it cannot be read ({e})"),
            };
            errors.push(
                file.span,
                format!(
                    "#[raw_sql({key} = {:?})]: {why} in the crate's folder; the path is relative to the crate (the folder of its Cargo.toml)",
                    file.value,
                ),
            );
            None
        }
    }
}
