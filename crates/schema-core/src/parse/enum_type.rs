//! `#[versioned(enum_type = "...", version = N)]` on a Rust enum: a PostgreSQL enum type, one
//! label per variant (`#[variant(since = K, label = "...")]`), created at its first version,
//! a label added at a later one. Removing or renaming a label is refused with the fix.
//!
//! The generator resolves a struct's field of such an enum by the enum's Rust name across the
//! sources it reads ([`with_known_enums`]); the macro, which sees one item at a time, leaves the
//! field's type to the trait [`crate::enum_type::PgEnum`] that this enum's expansion implements.

use std::cell::RefCell;
use std::collections::BTreeMap;

use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;

use super::Errors;
use super::attr::{self, Sp, Value};
use super::check::bounds::check_version_bound;
use super::symbol::*;
use crate::enum_type::{EnumHistory, Label};

thread_local! {
    static KNOWN: RefCell<Option<BTreeMap<String, String>>> = const { RefCell::new(None) };
}

/// Runs `f` knowing the versioned enums of the sources (`Rust name` to `schema.type`): a field of
/// one of them maps to its type, any other unmapped type is an error at once (the generator).
pub fn with_known_enums<R>(enums: &[EnumHistory], f: impl FnOnce() -> R) -> R {
    let map = enums
        .iter()
        .map(|e| (e.rust_name.clone(), e.sql_type()))
        .collect();
    let old = KNOWN.with(|k| k.replace(Some(map)));
    let out = f();
    KNOWN.with(|k| *k.borrow_mut() = old);
    out
}

/// What an unmapped field type `name` (the last segment of its path) is: `Some(Ok(sql))` a
/// versioned enum of the sources, `Some(Err(()))` not one (the generator knows them all),
/// `None` unknown here (the macro: the enum's expansion is asked through a trait).
pub fn resolve(name: &str) -> Option<Result<String, ()>> {
    KNOWN.with(|k| {
        k.borrow()
            .as_ref()
            .map(|map| map.get(name).cloned().ok_or(()))
    })
}

/// One variant, checked.
pub struct ParsedVariant {
    pub ident: syn::Ident,
    pub label: String,
    pub since: u32,
}

/// A checked versioned enum.
pub struct ParsedEnum {
    pub history: EnumHistory,
    /// The enum as written, without `#[versioned]` and `#[variant]` attributes.
    pub item: syn::ItemEnum,
    pub variants: Vec<ParsedVariant>,
}

/// `InTransit` → `in_transit`.
pub fn snake_case(ident: &str) -> String {
    let mut out = String::new();
    for (i, c) in ident.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `true` when the `#[versioned]` arguments name an enum type (`enum_type = ...`).
pub fn names_enum_type(args: &TokenStream) -> bool {
    args.clone().into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => i == ENUM_TYPE,
        _ => false,
    })
}

/// Parses and checks a versioned enum given the arguments of its `#[versioned(...)]`.
pub fn parse_enum(
    args: TokenStream,
    args_span: Span,
    item: &syn::ItemEnum,
) -> syn::Result<ParsedEnum> {
    let mut errors = Errors::default();
    let parsed = check(args, args_span, item, &mut errors);
    errors.finish()?;
    Ok(parsed.expect("no errors means the enum parsed"))
}

fn check(
    args: TokenStream,
    args_span: Span,
    item: &syn::ItemEnum,
    errors: &mut Errors,
) -> Option<ParsedEnum> {
    let mut name: Option<Sp<String>> = None;
    let mut version: Option<Sp<u32>> = None;
    let mut since: Option<Sp<u32>> = None;
    let mut schema: Option<Sp<String>> = None;
    let mut mentioned = Vec::new();
    attr::parse_keys(
        args,
        VERSIONED,
        ENUM_KEYS,
        &mut mentioned,
        &mut Vec::new(),
        errors,
        |key, value: Value, errors| match key {
            ENUM_TYPE => name = attr::string(VERSIONED, key, value, errors),
            VERSION => version = attr::version(VERSIONED, key, value, errors),
            SINCE => since = attr::version(VERSIONED, key, value, errors),
            SCHEMA => schema = attr::string(VERSIONED, key, value, errors),
            _ => unreachable!("parse_keys only passes valid keys"),
        },
    );
    if !item.generics.params.is_empty() {
        errors.push(
            item.generics.span(),
            "#[versioned(enum_type)] does not support generic enums",
        );
    }
    for (n, what) in [(&name, "enum type name"), (&schema, "schema name")] {
        if let Some(n) = n
            && (n.value.len() > crate::names::MAX_IDENT_BYTES
                || n.value.chars().any(char::is_control))
        {
            errors.push(
                n.span,
                format!(
                    "{what} `{}` must be at most {} bytes, without control characters",
                    n.value.escape_debug(),
                    crate::names::MAX_IDENT_BYTES
                ),
            );
        }
    }
    if name.is_none() && !mentioned.contains(&ENUM_TYPE) {
        errors.push(
            args_span,
            "#[versioned] on an enum needs `enum_type = \"...\"`, the PostgreSQL enum type",
        );
    }
    let Some(version) = version else {
        if !mentioned.contains(&VERSION) {
            errors.push(
                args_span,
                "#[versioned] needs `version = N`, the latest version of this enum",
            );
        }
        return None;
    };
    if !check_version_bound(VERSION, &version, errors) {
        return None;
    }
    let since_value = since.as_ref().map_or(1, |s| s.value);
    if let Some(s) = &since
        && s.value > version.value
    {
        errors.push(
            s.span,
            format!(
                "since = {} is above version = {}; a type is created at or before its latest version",
                s.value, version.value
            ),
        );
    }

    let mut clean = item.clone();
    clean.attrs.retain(|a| !super::is_versioned_attr(a));
    let mut variants = Vec::new();
    for v in clean.variants.iter_mut() {
        if !matches!(v.fields, syn::Fields::Unit) {
            errors.push(
                v.fields.span(),
                format!(
                    "variant `{}` carries data; a PostgreSQL enum label is a name only: make it a unit variant",
                    v.ident
                ),
            );
        }
        if let Some((_, d)) = &v.discriminant {
            errors.push(
                d.span(),
                "an explicit discriminant is not stored: the label is the variant's name (or `label`)",
            );
        }
        for a in v.attrs.iter().filter(|a| a.path().is_ident("serde")) {
            if a.meta.to_token_stream_string().contains("rename") {
                errors.push(
                    a.meta.span(),
                    "#[serde(rename)] on a variant of a versioned enum: serde writes the database label; set it with #[variant(label = \"...\")]",
                );
            }
        }
        let mut label: Option<Sp<String>> = None;
        let mut vsince: Option<Sp<u32>> = None;
        let mut seen = Vec::new();
        for a in v.attrs.iter().filter(|a| a.path().is_ident(VARIANT)) {
            let syn::Meta::List(list) = &a.meta else {
                errors.push(
                    a.span(),
                    "expected #[variant(...)] with keys, as in #[variant(since = 2)]",
                );
                continue;
            };
            let mut m = Vec::new();
            attr::parse_keys(
                list.tokens.clone(),
                VARIANT,
                VARIANT_KEYS,
                &mut m,
                &mut seen,
                errors,
                |key, value: Value, errors| {
                    match key {
                    SINCE => vsince = attr::version(VARIANT, key, value, errors),
                    LABEL => label = attr::string(VARIANT, key, value, errors),
                    UNTIL => errors.push(
                        value_span(&value),
                        "a label cannot be removed: PostgreSQL cannot drop a label from an enum type, and old code may still read it; keep the variant (and stop writing it), or move the column to a new type with a type change (`retyped_at`, `old_sql_type`, `using`)",
                    ),
                    RENAMED_FROM => errors.push(
                        value_span(&value),
                        "a label cannot be renamed: old code still reads and writes the old one; add the new label as a new variant (`#[variant(since = K)]`) and move the rows to it, or change the column's type with `using`",
                    ),
                    _ => unreachable!("parse_keys only passes valid keys"),
                }
                },
            );
        }
        v.attrs.retain(|a| !a.path().is_ident(VARIANT));
        let since = match &vsince {
            Some(s) if s.value < since_value || s.value > version.value => {
                errors.push(
                    s.span,
                    format!(
                        "since = {} is outside the versions of the type ({since_value}..={})",
                        s.value, version.value
                    ),
                );
                since_value
            }
            Some(s) => s.value,
            None => since_value,
        };
        let label = match label {
            Some(l) => {
                if l.value.len() > crate::names::MAX_IDENT_BYTES {
                    errors.push(
                        l.span,
                        format!(
                            "label `{}` is {} bytes long; PostgreSQL's labels hold at most {}",
                            l.value,
                            l.value.len(),
                            crate::names::MAX_IDENT_BYTES
                        ),
                    );
                }
                l.value
            }
            None => snake_case(&v.ident.to_string()),
        };
        if let Some(other) = variants.iter().find(|o: &&ParsedVariant| o.label == label) {
            errors.push(
                v.ident.span(),
                format!(
                    "variants `{}` and `{}` have the same label `{label}`; give one another `label`",
                    other.ident, v.ident
                ),
            );
        }
        variants.push(ParsedVariant {
            ident: v.ident.clone(),
            label,
            since,
        });
    }
    if !variants.iter().any(|v| v.since == since_value) {
        errors.push(
            item.ident.span(),
            format!(
                "enum `{}` has no variant at its first version {since_value}; a PostgreSQL enum type is created with at least one label",
                item.ident
            ),
        );
    }
    let name = name?;
    Some(ParsedEnum {
        history: EnumHistory {
            rust_name: item.ident.to_string(),
            schema: schema.map_or("public".into(), |s| s.value),
            name: name.value,
            since: since_value,
            version: version.value,
            labels: variants
                .iter()
                .map(|v| Label {
                    variant: v.ident.to_string(),
                    label: v.label.clone(),
                    since: v.since,
                })
                .collect(),
        },
        item: clean,
        variants,
    })
}

fn value_span(value: &Value) -> Span {
    value.span()
}

trait MetaText {
    fn to_token_stream_string(&self) -> String;
}

impl MetaText for syn::Meta {
    fn to_token_stream_string(&self) -> String {
        quote::ToTokens::to_token_stream(self).to_string()
    }
}

/// Every versioned enum of a source file, in source order, with the errors of each.
pub fn enums_in_file(file: &syn::File) -> Vec<syn::Result<ParsedEnum>> {
    let mut out = Vec::new();
    collect(&file.items, &mut out);
    out
}

fn collect(items: &[syn::Item], out: &mut Vec<syn::Result<ParsedEnum>>) {
    for item in items {
        match item {
            syn::Item::Enum(e) => {
                // Without `enum_type`, `#[versioned]` on an enum is the caller's error to report.
                if let Some(a) = e.attrs.iter().find(|a| super::is_versioned_attr(a))
                    && let syn::Meta::List(list) = &a.meta
                    && names_enum_type(&list.tokens)
                {
                    out.push(parse_enum(list.tokens.clone(), a.span(), e));
                }
            }
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    collect(items, out);
                }
            }
            _ => {}
        }
    }
}

/// What a field's type is, at macro time, when it may be a versioned enum of another item: the
/// expansion asks the enum's `PgEnum::SQL_TYPE` ([`is_deferred`]).
const DEFERRED: &str = "\u{1}versioned enum ";

pub fn deferred(rust_type: &str) -> String {
    format!("{DEFERRED}{rust_type}")
}

/// Whether `sql_type` was left to the enum's expansion ([`deferred`]).
pub fn is_deferred(sql_type: &str) -> bool {
    sql_type.starts_with(DEFERRED)
}
