//! What the annotations mean together: versions in range, NOT NULL additions that can be
//! filled, one column per name and version, a mapped type for every field.

pub mod bounds;
mod changes;
mod field;
mod fragments;
pub mod objects;
mod rust;

pub use bounds::{MAX_VERSION, check_version_bound};
use changes::*;
use field::*;
use fragments::*;
use rust::*;

use std::collections::HashMap;

use proc_macro2::Span;
use syn::spanned::Spanned;

use super::attr::{RawField, RawStruct, Sp};
use super::symbol;
use super::{Errors, ParsedField, ParsedStruct};
use crate::history::{FieldHistory, Reference, Retype, TableHistory};
use crate::names::MAX_IDENT_BYTES;
use crate::types;

/// `Option<T>` → `(true, T)`, anything else → `(false, ty)`.
pub fn unwrap_option(ty: &syn::Type) -> (bool, &syn::Type) {
    if let Some((name, args)) = last_segment(ty)
        && name == "Option"
        && let [inner] = args.as_slice()
    {
        return (true, inner);
    }
    (false, ty)
}

/// The last path segment of a type and its generic type arguments.
fn last_segment(ty: &syn::Type) -> Option<(String, Vec<&syn::Type>)> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    if path.qself.is_some() {
        return None;
    }
    let seg = path.path.segments.last()?;
    let args = match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|a| match a {
                syn::GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        syn::PathArguments::None => Vec::new(),
        syn::PathArguments::Parenthesized(_) => return None,
    };
    Some((seg.ident.to_string(), args))
}

fn mapped_type(ty: &syn::Type) -> Option<String> {
    let (name, args) = last_segment(ty)?;
    let arg_names: Vec<String> = args
        .iter()
        .map(|a| last_segment(a).map(|(n, _)| n).unwrap_or_default())
        .collect();
    let arg_refs: Vec<&str> = arg_names.iter().map(String::as_str).collect();
    types::pg_type(&name, &arg_refs)
}

/// `[schema.]table(column, ...)`: the schema (`default_schema` when absent), the table and
/// the columns.
fn parse_target(text: &str, default_schema: &str) -> Option<(String, String, Vec<String>)> {
    let (target, rest) = text.trim().split_once('(')?;
    let columns: Vec<&str> = rest
        .trim_end()
        .strip_suffix(')')?
        .split(',')
        .map(str::trim)
        .collect();
    let (schema, table) = match target.trim().split_once('.') {
        Some((s, t)) => (s.trim(), t.trim()),
        None => (default_schema, target.trim()),
    };
    let ident = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !s.starts_with(|c: char| c.is_ascii_digit())
    };
    (ident(schema) && ident(table) && columns.iter().all(|c| ident(c))).then(|| {
        (
            schema.to_owned(),
            table.to_owned(),
            columns.into_iter().map(str::to_owned).collect(),
        )
    })
}

/// `[schema.]table(column)`: a field's `references`.
fn parse_reference(text: &str, default_schema: &str) -> Option<Reference> {
    let (schema, table, columns) = parse_target(text, default_schema)?;
    let [column] = <[String; 1]>::try_from(columns).ok()?;
    Some(Reference {
        schema,
        table,
        column,
        on_delete: None,
        on_update: None,
    })
}

/// Whether `name` can name a field of a generated type (as `r#name` when it is a keyword).
pub fn is_field_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(name, "_" | "self" | "Self" | "super" | "crate")
        && syn::parse_str::<syn::Ident>(&format!("r#{name}")).is_ok()
}

/// A name PostgreSQL would truncate, or one with a control character (a newline in a name
/// would end the comment line of a file's header that shows it).
fn check_ident(name: &str, span: Span, what: &str, errors: &mut Errors) {
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        errors.push(
            span,
            format!(
                "{what} `{}` contains the control character {c:?}; use letters, digits and `_`",
                name.escape_debug()
            ),
        );
    }
    if name.len() > MAX_IDENT_BYTES {
        errors.push(
            span,
            format!(
                "{what} `{name}` is {} bytes long; PostgreSQL truncates names to {MAX_IDENT_BYTES} bytes",
                name.len()
            ),
        );
    }
}

/// Checks the raw attributes and builds the table history. Errors go to `errors`; the
/// result is only meaningful when `errors` stays empty.
pub fn check(raw: RawStruct, errors: &mut Errors) -> Option<ParsedStruct> {
    let item = &raw.item;
    if !item.generics.params.is_empty() {
        errors.push(
            item.generics.span(),
            "#[versioned] does not support generic structs",
        );
    }
    let table = match &raw.table {
        Some(t) => {
            check_ident(&t.value, t.span, "table name", errors);
            t.value.clone()
        }
        None => {
            if !raw.mentioned.contains(&symbol::TABLE) {
                errors.push(
                    raw.attr_span,
                    "#[versioned] needs `table = \"...\"`, the PostgreSQL table of this struct",
                );
            }
            String::new()
        }
    };
    let Some(version) = raw.version.clone() else {
        if !raw.mentioned.contains(&symbol::VERSION) {
            errors.push(
                raw.attr_span,
                "#[versioned] needs `version = N`, the latest version of this struct",
            );
        }
        return None;
    };
    // Above the bound the other keys are still checked, but nothing walks the versions.
    let bounded = check_version_bound(symbol::VERSION, &version, errors);
    let since = raw.since.clone().unwrap_or(Sp {
        value: 1,
        span: raw.attr_span,
    });
    if since.value > version.value {
        errors.push(
            since.span,
            format!(
                "since = {} is above version = {}; a table is created at or before its latest version",
                since.value, version.value
            ),
        );
    }
    // The version that drops the table, once it is in range.
    let until = raw.until.as_ref().and_then(|until| {
        if until.value <= since.value {
            errors.push(
                until.span,
                format!(
                    "until = {} must be above since = {}; the table exists in the versions from `since` up to, not including, `until`",
                    until.value, since.value
                ),
            );
            None
        } else if until.value > version.value {
            errors.push(
                until.span,
                format!(
                    "until = {} is above version = {}; raise `version` to drop the table",
                    until.value, version.value
                ),
            );
            None
        } else {
            Some(until.value)
        }
    });
    if let Some(s) = &raw.schema {
        check_ident(&s.value, s.span, "schema name", errors);
    }
    let schema = raw
        .schema
        .as_ref()
        .map_or("public".to_owned(), |s| s.value.clone());

    let syn::Fields::Named(named) = &item.fields else {
        return None;
    };
    let mut fields = Vec::new();
    let mut parsed_fields = Vec::new();
    for (index, (field, f)) in named.named.iter().zip(&raw.fields).enumerate() {
        let ident = field.ident.as_ref().expect("named field");
        if let Some(history) = check_field(
            ident, field, f, &table, &schema, &since, &version, until, errors,
        ) {
            let rust = check_rust_keys(f, &history, since.value, errors);
            fields.push(history);
            parsed_fields.push(ParsedField {
                field: field.clone(),
                history: index,
                upgrade_with: rust.upgrade_with,
                downgrade_with: rust.downgrade_with,
                old_name_until: rust.old_name_until,
                sunset: rust.sunset,
                old_type: match (&f.optional_at, &f.required_at, unwrap_option(&field.ty)) {
                    // `Option<T>` from `optional_at`, `T` before it.
                    (Some(_), None, (true, inner)) => Some(inner.clone()),
                    // `T` from `required_at`, `Option<T>` before it.
                    (None, Some(_), (false, ty)) => {
                        Some(syn::parse_quote!(::core::option::Option<#ty>))
                    }
                    _ => f.old_type.as_ref().and_then(|lit| lit.parse().ok()),
                },
            });
        }
    }

    let pk_mentioned = raw
        .fields
        .iter()
        .any(|f| f.mentioned.contains(&symbol::PRIMARY_KEY));
    if fields.iter().all(|f| !f.primary_key) && !fields.is_empty() && !pk_mentioned {
        errors.push(
            item.ident.span(),
            format!(
                "#[versioned] struct `{}` needs a #[col(primary_key)] field: rows are backfilled in batches by primary key",
                item.ident
            ),
        );
    }
    if fields.len() == raw.fields.len() {
        check_fragments(&table, &raw.fields, &fields, errors);
    }
    let renamed_from = check_table_rename(&raw, &table, &since, &version, until, &fields, errors);
    if bounded {
        check_column_names(
            &fields,
            &parsed_fields,
            &raw.fields,
            since.value..=until.map_or(version.value, |u| u - 1),
            errors,
        );
    }

    let objects = objects::check_objects(
        &raw.objects,
        &objects::Table {
            name: &table,
            schema: &schema,
            since: since.value,
            last: until.map_or(version.value, |u| u - 1),
            fields: &fields,
        },
        errors,
    );

    Some(ParsedStruct {
        history: TableHistory {
            rust_name: item.ident.to_string(),
            schema,
            table,
            since: since.value,
            version: version.value,
            until,
            renamed_from,
            fields,
            objects,
            raw_sql: Vec::new(),
        },
        item: raw.item.clone(),
        fields: parsed_fields,
    })
}

#[cfg(test)]
mod tests {
    use super::{is_field_name, parse_reference};

    #[test]
    fn old_names_must_be_identifiers() {
        assert!(is_field_name("name"));
        assert!(is_field_name("type"));
        assert!(!is_field_name("full name"));
        assert!(!is_field_name("r#name"));
        assert!(!is_field_name("1st"));
        assert!(!is_field_name("self"));
        assert!(!is_field_name("_"));
    }

    #[test]
    fn references_parse_with_and_without_schema() {
        let r = parse_reference("orgs(id)", "public").unwrap();
        assert_eq!(
            (r.schema.as_str(), r.table.as_str(), r.column.as_str()),
            ("public", "orgs", "id")
        );
        let r = parse_reference("billing.accounts( id )", "public").unwrap();
        assert_eq!(
            (r.schema.as_str(), r.table.as_str(), r.column.as_str()),
            ("billing", "accounts", "id")
        );
        assert!(parse_reference("orgs.id", "public").is_none());
        assert!(parse_reference("orgs(id", "public").is_none());
        assert!(parse_reference("(id)", "public").is_none());
    }
}
