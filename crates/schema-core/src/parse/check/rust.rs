//! The Rust side of the annotations: conversion keys, and one field name per column and
//! version.

#[allow(
    clippy::wildcard_imports,
    reason = "a part of `check`, over its imports and helpers"
)]
use super::*;

/// The keys that shape the generated Rust types only.
pub(super) struct RustKeys {
    pub(super) upgrade_with: Option<syn::Expr>,
    pub(super) downgrade_with: Option<syn::Expr>,
    pub(super) old_name_until: Option<u32>,
    pub(super) sunset: Option<String>,
}

/// `upgrade_with`, `downgrade_with`, `old_name_until` and `sunset` against the field's
/// history.
pub(super) fn check_rust_keys(
    f: &RawField,
    history: &FieldHistory,
    table_since: u32,
    errors: &mut Errors,
) -> RustKeys {
    let column = &history.column;
    let expr = |lit: &syn::LitStr, key: &str, errors: &mut Errors| match lit.parse::<syn::Expr>() {
        Ok(expr) => Some(expr),
        Err(e) => {
            errors.push(
                lit.span(),
                format!("{key} = \"{}\" is not a Rust expression: {e}; name a function or write a closure", lit.value()),
            );
            None
        }
    };
    // `optional_at`: `Option<T>` to `T` on downgrade takes `downgrade_with`, like a type change.
    let retyped = history.retyped.is_some() || history.nullable_change.is_some();
    let upgrade_with = f.upgrade_with.as_ref().and_then(|lit| {
        if retyped && history.since > table_since {
            errors.push(
                lit.span(),
                format!(
                    "`upgrade_with` on field `{column}`, which is both added after the table's first version and retyped: it would serve two steps; give the field a serde default or make it an Option"
                ),
            );
            return None;
        }
        if history.since <= table_since && !retyped {
            errors.push(
                lit.span(),
                format!(
                    "`upgrade_with` on field `{column}`, which exists from the table's first version: no older version lacks it; remove it"
                ),
            );
            return None;
        }
        expr(lit, symbol::UPGRADE_WITH, errors)
    });
    let downgrade_with = f.downgrade_with.as_ref().and_then(|lit| {
        if retyped && history.until.is_some() {
            errors.push(
                lit.span(),
                format!(
                    "`downgrade_with` on field `{column}`, which is both retyped and removed: it would serve two steps; give the field a serde default or make it an Option"
                ),
            );
            return None;
        }
        if history.until.is_none() && !retyped {
            errors.push(
                lit.span(),
                format!(
                    "`downgrade_with` on field `{column}`, which is never removed: every older version has it; remove it, or add `until = N`"
                ),
            );
            return None;
        }
        expr(lit, symbol::DOWNGRADE_WITH, errors)
    });
    let old_name_until = f.old_name_until.as_ref().and_then(|until| match &history.renamed_from {
        None => {
            if f.renamed_from.is_none() {
                errors.push(
                    until.span,
                    "`old_name_until` needs `renamed_from = \"...\"` and `renamed_at = N`: it ends the window in which the API still speaks the old name",
                );
            }
            None
        }
        Some((_, at)) if until.value <= *at => {
            errors.push(
                until.span,
                format!(
                    "old_name_until = {} must be above renamed_at = {at}: the versions from renamed_at up to it speak both names",
                    until.value
                ),
            );
            None
        }
        Some(_) => check_version_bound(symbol::OLD_NAME_UNTIL, until, errors).then_some(until.value),
    });
    let sunset = f.sunset.as_ref().and_then(|sunset| {
        if f.old_name_until.is_none() {
            errors.push(
                sunset.span,
                "`sunset` needs `old_name_until = N`: it dates the end of the window in which the API still speaks the old name",
            );
            return None;
        }
        match sunset.value.parse::<crate::api::deprecation::Date>() {
            Ok(date) => Some(date.to_string()),
            Err(e) => {
                errors.push(
                    sunset.span,
                    format!("sunset = \"{}\" is not a date: {e}", sunset.value),
                );
                None
            }
        }
    });
    RustKeys {
        upgrade_with,
        downgrade_with,
        old_name_until,
        sunset,
    }
}

/// Two fields may not use the same column name at the same version. The error points at the
/// `renamed_from` that brings in the name when there is one, else at the later field.
pub(super) fn check_column_names(
    fields: &[FieldHistory],
    parsed: &[ParsedField],
    raw: &[RawField],
    versions: std::ops::RangeInclusive<u32>,
    errors: &mut Errors,
) {
    let mut reported: Vec<usize> = Vec::new();
    for v in versions {
        // The fields by their column name at v: linear in the fields at each version.
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, f) in fields.iter().enumerate().filter(|(_, f)| f.exists_at(v)) {
            by_name.entry(f.column_at(v)).or_default().push(i);
        }
        let mut pairs: Vec<(usize, usize)> = by_name
            .values()
            .filter(|same| same.len() > 1)
            .flat_map(|same| {
                same.iter()
                    .enumerate()
                    .flat_map(move |(k, &i)| same[k + 1..].iter().map(move |&j| (i, j)))
            })
            .collect();
        pairs.sort_unstable();
        for (i, j) in pairs {
            let (a, b) = (&fields[i], &fields[j]);
            let old_name = |f: &FieldHistory| f.column_at(v) != f.column;
            let (culprit, other) = if old_name(a) && !old_name(b) {
                (i, b)
            } else {
                (j, a)
            };
            if reported.contains(&culprit) {
                continue;
            }
            reported.push(culprit);
            let field = &fields[culprit];
            let renamed = raw[parsed[culprit].history].renamed_from.as_ref();
            let span = match renamed {
                Some(from) if old_name(field) => from.span,
                _ => parsed[culprit]
                    .field
                    .ident
                    .as_ref()
                    .map_or(Span::call_site(), |i| i.span()),
            };
            let by = if old_name(field) {
                format!(
                    "by field `{}` and as the old name of field `{}`",
                    other.rust_name, field.rust_name
                )
            } else {
                format!("by fields `{}` and `{}`", other.rust_name, field.rust_name)
            };
            errors.push(
                span,
                format!(
                    "column `{}` is defined twice at version {v}: {by}",
                    field.column_at(v)
                ),
            );
        }
    }
}
