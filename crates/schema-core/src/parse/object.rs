//! Reading the struct-level `#[index(...)]`, `#[unique(...)]`, `#[check(...)]` and
//! `#[foreign_key(...)]` attributes: indexes and constraints with a life of their own.
//!
//! Only syntax is checked here (known keys for each attribute, value kinds, duplicates); what
//! the values mean against the table's columns and versions is checked in
//! [`super::check::objects`].

use syn::spanned::Spanned;

use super::Errors;
pub use super::attr::RawObject;
use super::attr::{flag, list as columns, parse_keys, string, version};
use super::symbol::*;

/// The keys each attribute takes.
pub fn keys_of(attr: &str) -> &'static [&'static str] {
    match attr {
        INDEX => INDEX_KEYS,
        UNIQUE => UNIQUE_KEYS,
        CHECK => CHECK_KEYS,
        _ => FOREIGN_KEY_KEYS,
    }
}

/// The attribute's name when `attr` is one of the four.
pub fn object_attr(attr: &syn::Attribute) -> Option<&'static str> {
    OBJECT_ATTRS
        .iter()
        .find(|name| attr.path().is_ident(name))
        .copied()
}

/// Reads every index and constraint attribute of `attrs`, in the order written.
pub fn parse_all(attrs: &[syn::Attribute], errors: &mut Errors) -> Vec<RawObject> {
    attrs
        .iter()
        .filter_map(|a| Some((a, object_attr(a)?)))
        .filter_map(|(a, name)| parse_one(a, name, errors))
        .collect()
}

fn parse_one(attr: &syn::Attribute, name: &'static str, errors: &mut Errors) -> Option<RawObject> {
    let syn::Meta::List(list) = &attr.meta else {
        errors.push(
            attr.span(),
            format!("expected #[{name}(...)] with keys, as in {}", example(name)),
        );
        return None;
    };
    let mut raw = RawObject {
        attr: name,
        span: attr.path().span(),
        columns: None,
        include: None,
        expr: None,
        unique: None,
        using: None,
        predicate: None,
        name: None,
        references: None,
        on_delete: None,
        on_update: None,
        since: None,
        until: None,
        mentioned: Vec::new(),
    };
    let mut mentioned = Vec::new();
    parse_keys(
        list.tokens.clone(),
        name,
        keys_of(name),
        &mut mentioned,
        &mut Vec::new(),
        errors,
        |key, value, errors| match key {
            COLUMNS => raw.columns = columns(name, key, value, errors),
            INCLUDE => raw.include = columns(name, key, value, errors),
            UNIQUE => raw.unique = flag(name, key, value, errors),
            SINCE => raw.since = version(name, key, value, errors),
            UNTIL => raw.until = version(name, key, value, errors),
            EXPR => raw.expr = string(name, key, value, errors),
            USING => raw.using = string(name, key, value, errors),
            PREDICATE => raw.predicate = string(name, key, value, errors),
            NAME => raw.name = string(name, key, value, errors),
            REFERENCES => raw.references = string(name, key, value, errors),
            ON_DELETE => raw.on_delete = string(name, key, value, errors),
            ON_UPDATE => raw.on_update = string(name, key, value, errors),
            _ => unreachable!("parse_keys only passes valid keys"),
        },
    );
    raw.mentioned = mentioned;
    Some(raw)
}

/// How each attribute is written, for errors.
pub fn example(attr: &str) -> &'static str {
    match attr {
        INDEX => "#[index(columns(customer_id, created_at), since = 2)]",
        UNIQUE => "#[unique(columns(customer_id, external_ref), since = 3)]",
        CHECK => "#[check(expr = \"total_cents >= 0\", since = 2)]",
        _ => "#[foreign_key(columns(customer_id), references = \"customers(id)\", since = 2)]",
    }
}
