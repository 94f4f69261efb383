//! What the annotations mean together: versions in range, NOT NULL additions that can be
//! filled, one column per name and version, a mapped type for every field.

use std::collections::HashMap;

use proc_macro2::Span;
use syn::spanned::Spanned;

use super::attr::{RawField, RawStruct, Sp};
use super::symbol;
use super::{Errors, ParsedField, ParsedStruct};
use crate::history::{FieldHistory, Reference, Retype, TableHistory};
use crate::names::MAX_IDENT_BYTES;
use crate::types;

/// The highest version number an annotation may name.
///
/// Versions are one timeline for all tables of a crate, one per release that changes a table:
/// 1000 is a release a week for about twenty years. Each version of a struct is a Rust type, a
/// `From` in each direction, an `Any` variant and a migration step, so the macro's and the
/// generator's work grows with the version; without a bound, `version = 4294967295` makes
/// both run without end.
pub const MAX_VERSION: u32 = 1000;

/// The bound on one version number (`key = value`): the one rule that keeps an annotation from
/// asking for unbounded work, for the macro and the generator alike. `version` bounds
/// `since`, `until`, `renamed_at` and `retyped_at` through their own rules; `old_name_until`,
/// an API version that may be above the struct's, is bounded here too.
pub fn check_version_bound(key: &str, value: &Sp<u32>, errors: &mut Errors) -> bool {
    if value.value <= MAX_VERSION {
        return true;
    }
    errors.push(
        value.span,
        format!(
            "{key} = {} is above {MAX_VERSION}, the highest version supported: every version is a type, its conversions and a migration step in each build",
            value.value
        ),
    );
    false
}

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

fn parse_reference(text: &str, default_schema: &str) -> Option<Reference> {
    let (target, rest) = text.trim().split_once('(')?;
    let column = rest.strip_suffix(')')?.trim();
    let (schema, table) = match target.trim().split_once('.') {
        Some((s, t)) => (s.trim(), t.trim()),
        None => (default_schema, target.trim()),
    };
    let ident = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !s.starts_with(|c: char| c.is_ascii_digit())
    };
    (ident(schema) && ident(table) && ident(column)).then(|| Reference {
        schema: schema.to_owned(),
        table: table.to_owned(),
        column: column.to_owned(),
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

/// An expression of a field: its key, its text, and the versions whose columns it may name
/// (`None`: none at all, as in a `default`).
type Fragment<'a> = (&'static str, &'a Sp<String>, Option<Vec<u32>>);

/// Every SQL fragment of every field: one expression (or type) each, naming only columns that
/// the row has where it is evaluated ([`super::fragment`]).
fn check_fragments(table: &str, raw: &[RawField], fields: &[FieldHistory], errors: &mut Errors) {
    let columns_at = |version: u32| -> Vec<&str> {
        fields
            .iter()
            .filter(|f| f.exists_at(version))
            .map(|f| f.column_at(version))
            .collect()
    };
    for (f, h) in raw.iter().zip(fields) {
        let since = h.since;
        let retyped = h.retyped.as_ref().map(|r| r.at);
        let mut expressions: Vec<Fragment> = Vec::new();
        if let Some(d) = &f.default {
            expressions.push((symbol::DEFAULT, d, None));
        }
        if let Some(d) = &f.old_default {
            expressions.push((symbol::OLD_DEFAULT, d, None));
        }
        if let (Some(d), Some(until)) = (&f.down, h.until.or(h.nullable_change)) {
            expressions.push((symbol::DOWN, d, Some(vec![until - 1, until])));
        }
        if let Some(c) = &f.check {
            expressions.push((symbol::CHECK, c, Some(vec![since])));
        }
        if let Some(b) = &f.backfill {
            // Evaluated where the column is added, and where it becomes NOT NULL.
            let mut versions = vec![since.saturating_sub(1), since];
            if let (Some(at), false) = (h.nullable_change, h.nullable) {
                versions.extend([at - 1, at]);
            }
            expressions.push((symbol::BACKFILL, b, Some(versions)));
        }
        if let (Some(u), Some(at)) = (&f.using, retyped) {
            expressions.push((symbol::USING, u, Some(vec![at.saturating_sub(1)])));
        }
        if let (Some(r), Some(at)) = (&f.reverse, retyped) {
            expressions.push((symbol::REVERSE, r, Some(vec![at])));
        }
        for (key, fragment, versions) in expressions {
            let what = format!("{key} = \"{}\"", fragment.value);
            let refs = match super::fragment::expression(&fragment.value, &what) {
                Ok(refs) => refs,
                Err(e) => {
                    errors.push(fragment.span, e);
                    continue;
                }
            };
            let Some(versions) = versions else {
                if let Some(c) = refs.columns.first() {
                    errors.push(
                        fragment.span,
                        format!("{what} names `{c}`: a default cannot read the row (PostgreSQL refuses columns in DEFAULT); fill existing rows with `backfill`, or quote a string: '{c}'"),
                    );
                }
                continue;
            };
            let known: Vec<&str> = versions.iter().flat_map(|v| columns_at(*v)).collect();
            for c in &refs.columns {
                if !known.contains(&c.as_str()) {
                    let near = known
                        .iter()
                        .filter(|k| strsim::jaro_winkler(k, c) > 0.8)
                        .max_by(|a, b| {
                            strsim::jaro_winkler(a, c).total_cmp(&strsim::jaro_winkler(b, c))
                        })
                        .map_or(String::new(), |k| format!("; did you mean `{k}`?"));
                    let mut listed: Vec<&str> = known.clone();
                    listed.sort();
                    listed.dedup();
                    errors.push(
                        fragment.span,
                        format!(
                            "{what} names `{c}`, which is not a column of {table} at version {} (columns: {}){near}",
                            versions.iter().max().copied().unwrap_or(since),
                            listed.join(", ")
                        ),
                    );
                }
            }
        }
        for (key, ty) in [
            (symbol::SQL_TYPE, &f.sql_type),
            (symbol::OLD_SQL_TYPE, &f.old_sql_type),
        ] {
            if let Some(ty) = ty
                && let Err(e) =
                    super::fragment::sql_type(&ty.value, &format!("{key} = \"{}\"", ty.value))
            {
                errors.push(ty.span, e);
            }
        }
    }
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
        },
        item: raw.item.clone(),
        fields: parsed_fields,
    })
}

/// The versions at which a column changes, each with the key that says so.
fn field_changes(f: &FieldHistory) -> Vec<(&'static str, u32)> {
    let mut out = vec![(symbol::SINCE, f.since)];
    out.extend(f.until.map(|v| (symbol::UNTIL, v)));
    out.extend(
        f.renamed_from
            .as_ref()
            .map(|(_, v)| (symbol::RENAMED_AT, *v)),
    );
    out.extend(f.retyped.as_ref().map(|r| (symbol::RETYPED_AT, r.at)));
    out.extend(f.nullable_change.map(|v| {
        let key = if f.nullable {
            symbol::OPTIONAL_AT
        } else {
            symbol::REQUIRED_AT
        };
        (key, v)
    }));
    out.extend(
        f.default_change
            .as_ref()
            .map(|(v, _)| (symbol::DEFAULT_AT, *v)),
    );
    out
}

/// `renamed_from`/`renamed_at` on `#[versioned]`: the table's old name and the version that
/// uses the new one, which changes nothing else of the table.
fn check_table_rename(
    raw: &RawStruct,
    table: &str,
    since: &Sp<u32>,
    version: &Sp<u32>,
    until: Option<u32>,
    fields: &[FieldHistory],
    errors: &mut Errors,
) -> Option<(String, u32)> {
    let (from, at) = rename_pair(
        raw.renamed_from.as_ref(),
        raw.renamed_at.as_ref(),
        table,
        "table",
        since,
        version,
        until,
        errors,
    )?;
    check_ident(&from.value, from.span, "table name", errors);
    let other = fields.iter().find_map(|f| {
        field_changes(f)
            .into_iter()
            .find(|(_, v)| *v == at.value)
            .map(|(key, _)| (f, key))
    });
    if let Some((f, key)) = other {
        errors.push(
            at.span,
            format!(
                "the table is renamed at version {}, where column `{}` changes too ({key} = {}); a rename takes a version of its own: move one of them to another version",
                at.value, f.column, at.value
            ),
        );
        return None;
    }
    Some((from.value.clone(), at.value))
}

/// `renamed_from` and `renamed_at` of a column or a table (`what`, whose own name is `own`):
/// both or neither, the rename after `since`, at most at `version` and before `until`, and a
/// name other than its own. The pair when they hold.
fn rename_pair<'a>(
    from: Option<&'a Sp<String>>,
    at: Option<&'a Sp<u32>>,
    own: &str,
    what: &str,
    since: &Sp<u32>,
    version: &Sp<u32>,
    until: Option<u32>,
    errors: &mut Errors,
) -> Option<(&'a Sp<String>, &'a Sp<u32>)> {
    match (from, at) {
        (Some(from), Some(at)) => {
            let mut ok = true;
            if at.value <= since.value || at.value > version.value {
                errors.push(
                    at.span,
                    format!(
                        "renamed_at = {} must be above since = {} and at most version = {}",
                        at.value, since.value, version.value
                    ),
                );
                ok = false;
            } else if until.is_some_and(|u| at.value >= u) {
                after_drop(symbol::RENAMED_AT, at, until, errors);
                ok = false;
            }
            if from.value == own {
                let whose = if what == "column" { "field" } else { what };
                errors.push(
                    from.span,
                    format!(
                        "renamed_from = \"{}\" is the {whose}'s own name",
                        from.value
                    ),
                );
                ok = false;
            }
            ok.then_some((from, at))
        }
        (Some(from), None) => {
            errors.push(
                from.span,
                "`renamed_from` needs `renamed_at = N`, the version that uses the new name",
            );
            None
        }
        (None, Some(at)) => {
            errors.push(
                at.span,
                format!("`renamed_at` needs `renamed_from = \"...\"`, the {what}'s old name"),
            );
            None
        }
        (None, None) => None,
    }
}

fn check_field(
    ident: &syn::Ident,
    field: &syn::Field,
    f: &RawField,
    table: &str,
    schema: &str,
    table_since: &Sp<u32>,
    version: &Sp<u32>,
    table_until: Option<u32>,
    errors: &mut Errors,
) -> Option<FieldHistory> {
    let name = ident.to_string();
    let column = name.strip_prefix("r#").unwrap_or(&name).to_owned();
    check_ident(&column, ident.span(), "column name", errors);
    let (nullable, inner) = unwrap_option(&field.ty);
    let sql_type = match (&f.sql_type, mapped_type(inner)) {
        (Some(t), _) => t.value.clone(),
        (None, Some(t)) => t,
        (None, None) => {
            let ty = quote::ToTokens::to_token_stream(inner)
                .to_string()
                .replace(' ', "");
            errors.push(
                inner.span(),
                format!(
                    "no PostgreSQL type is known for `{ty}`; add #[col(sql_type = \"...\")] (mapped types: {})",
                    types::MAPPED_RUST_TYPES
                ),
            );
            String::new()
        }
    };

    let since = f.since.clone().unwrap_or(Sp {
        value: table_since.value,
        span: ident.span(),
    });
    // Without its own `since`, the field follows the table's, which is checked on its own.
    if f.since.is_some() && since.value > version.value {
        errors.push(
            since.span,
            format!(
                "since = {} is above the table's version = {}",
                since.value, version.value
            ),
        );
    }
    if f.since.is_some() && since.value <= version.value {
        after_drop(symbol::SINCE, &since, table_until, errors);
    }
    if since.value < table_since.value {
        errors.push(
            since.span,
            format!(
                "since = {} is before the table exists (it is created at version {})",
                since.value, table_since.value
            ),
        );
    }
    if let Some(until) = &f.until {
        if until.value <= since.value {
            errors.push(
                until.span,
                format!(
                    "until = {} must be above since = {}",
                    until.value, since.value
                ),
            );
        } else if let Some(t) = table_until
            && until.value >= t
        {
            errors.push(
                until.span,
                format!(
                    "until = {} is not below the table's until = {t}; the column goes with its table, remove `until`",
                    until.value
                ),
            );
        } else if until.value > version.value {
            errors.push(
                until.span,
                format!(
                    "until = {} is above the table's version = {}; raise `version` to remove the column",
                    until.value, version.value
                ),
            );
        }
    }
    let added_later = since.value > table_since.value;
    if let Some(pk) = f.primary_key {
        if nullable {
            errors.push(
                field.ty.span(),
                "a primary key column cannot be NULL; remove the Option",
            );
        }
        if added_later || f.until.is_some() || f.renamed_from.is_some() {
            errors.push(pk, crate::rules::primary_key_changed().to_string());
        }
        if let Some(u) = f.unique {
            errors.push(u, "a primary key is already unique; remove `unique`");
        }
    }
    if let (Some(_), Some(index)) = (f.unique, f.index) {
        errors.push(index, "`unique` already creates an index; remove `index`");
    }
    if let Some(backfill) = &f.backfill {
        if !added_later && f.required_at.is_none() {
            errors.push(
                backfill.span,
                format!(
                    "`backfill` on column `{column}`, which is created with its table: there are no rows to fill; remove it"
                ),
            );
        }
    }
    // The default the column is added with: `old_default` when its default changes later.
    let default_at_since = match &f.default_at {
        Some(at) if at.value > since.value => f.old_default.is_some(),
        _ => f.default.is_some(),
    };
    // A column that becomes nullable later is NOT NULL when it is added.
    let nullable_at_since = (nullable && f.optional_at.is_none())
        || f.required_at
            .as_ref()
            .is_some_and(|k| k.value > since.value);
    if added_later
        && let Err(rule) = crate::rules::added_not_null(
            &column,
            since.value,
            nullable_at_since,
            default_at_since,
            f.backfill.is_some(),
        )
    {
        errors.push(since.span, rule.to_string());
    }
    let renamed_from = rename_pair(
        f.renamed_from.as_ref(),
        f.renamed_at.as_ref(),
        &column,
        "column",
        &since,
        version,
        table_until,
        errors,
    )
    .and_then(|(from, at)| {
        if !is_field_name(&from.value) {
            errors.push(
                from.span,
                format!(
                    "renamed_from = \"{}\" is not a Rust identifier; the types of the versions before the rename name their field after it",
                    from.value
                ),
            );
            return None;
        }
        Some((from.value.clone(), at.value))
    });
    let references = f.references.as_ref().and_then(|r| {
        let parsed = parse_reference(&r.value, schema);
        if parsed.is_none() {
            errors.push(
                r.span,
                format!(
                    "references = \"{}\" does not parse; write `table(column)` or `schema.table(column)`",
                    r.value
                ),
            );
        }
        parsed
    });
    let retyped = check_retype(
        f,
        &column,
        nullable,
        &sql_type,
        &since,
        version,
        table_until,
        errors,
    );
    let default_change = check_default_change(f, &since, version, table_until, errors);
    if let Some(down) = &f.down
        && f.until.is_none()
        && f.optional_at.is_none()
    {
        errors.push(
            down.span,
            "`down` is the value a rollback gives to rows left without one (while the column was being dropped, or nullable): it needs `until = K` or `optional_at = K` on the field",
        );
    }
    let nullable_change = match (&f.optional_at, &f.required_at) {
        (Some(_), Some(required)) => {
            errors.push(
                required.span,
                "a field cannot have both `optional_at` and `required_at`; change its nullability once",
            );
            None
        }
        (_, Some(_)) => check_nullability_change(
            f,
            symbol::REQUIRED_AT,
            nullable,
            &since,
            version,
            table_until,
            errors,
        ),
        _ => check_nullability_change(
            f,
            symbol::OPTIONAL_AT,
            nullable,
            &since,
            version,
            table_until,
            errors,
        ),
    };
    let identity = check_identity(f, nullable, &sql_type, added_later, errors);
    let _ = table;
    Some(FieldHistory {
        rust_name: column.clone(),
        column,
        sql_type,
        nullable,
        nullable_change,
        primary_key: f.primary_key.is_some(),
        unique: f.unique.is_some(),
        index: f.index.is_some(),
        since: since.value,
        until: f.until.as_ref().map(|u| u.value),
        renamed_from,
        retyped,
        default: f.default.as_ref().map(|d| d.value.clone()),
        default_change,
        down: f.down.as_ref().map(|d| d.value.clone()),
        identity,
        backfill: f.backfill.as_ref().map(|b| b.value.clone()),
        references,
        check: f.check.as_ref().map(|c| c.value.clone()),
    })
}

/// `identity` / `identity = "always"`: an integer column, NOT NULL, without a default, that
/// exists from its table's creation (added to a table that holds rows, it would rewrite it).
fn check_identity(
    f: &RawField,
    nullable: bool,
    sql_type: &str,
    added_later: bool,
    errors: &mut Errors,
) -> Option<crate::model::Identity> {
    let identity = f.identity.as_ref()?;
    let kind = match identity.value.as_str() {
        "by default" => crate::model::Identity::ByDefault,
        "always" => crate::model::Identity::Always,
        other => {
            errors.push(
                identity.span,
                format!("identity = \"{other}\": write `identity` (by default) or `identity = \"always\"`"),
            );
            return None;
        }
    };
    let stored = crate::types::stored_type(sql_type).to_ascii_lowercase();
    let problem = if !matches!(
        stored.as_str(),
        "smallint" | "integer" | "bigint" | "int2" | "int4" | "int8"
    ) {
        Some(format!(
            "an identity column is an integer (i16, i32 or i64), not {sql_type}"
        ))
    } else if sql_type.to_ascii_lowercase().contains("serial") {
        Some("a serial column has its own sequence; use `identity` or `sql_type = \"serial\"`, not both".into())
    } else if nullable {
        Some("an identity column is NOT NULL; remove the Option".into())
    } else if f.default.is_some() {
        Some("an identity column takes its values from its sequence; remove `default`".into())
    } else if added_later {
        Some("`identity` on a column added after the table's creation would rewrite the table to number its rows; add it with the table, or add a plain column with `default`".into())
    } else {
        None
    };
    if let Some(problem) = problem {
        errors.push(identity.span, problem);
        return None;
    }
    Some(kind)
}

/// `optional_at = K` (an `Option` field whose column is NOT NULL below K) or `required_at = K`
/// (a field whose column is nullable below K), in a version of its own among the column's
/// changes.
fn check_nullability_change(
    f: &RawField,
    key: &'static str,
    nullable: bool,
    since: &Sp<u32>,
    version: &Sp<u32>,
    table_until: Option<u32>,
    errors: &mut Errors,
) -> Option<u32> {
    let optional = key == symbol::OPTIONAL_AT;
    let at = if optional {
        f.optional_at.as_ref()?
    } else {
        f.required_at.as_ref()?
    };
    if nullable != optional {
        errors.push(
            at.span,
            if optional {
                format!(
                    "optional_at = {} needs an Option field: the field is `Option<T>` from version {} on and `T` before it",
                    at.value, at.value
                )
            } else {
                format!(
                    "required_at = {} needs a field that is not an Option: the field is `T` from version {} on and `Option<T>` before it",
                    at.value, at.value
                )
            },
        );
        return None;
    }
    if change_in_range(f, key, at, since, version, table_until, errors) {
        return None;
    }
    if f.retyped_at.is_some() {
        errors.push(
            at.span,
            format!("a field cannot both change its type (`retyped_at`) and its nullability (`{key}`); use a new field for one of them"),
        );
    }
    same_version(
        at,
        key,
        &[
            (symbol::RENAMED_AT, &f.renamed_at),
            (symbol::DEFAULT_AT, &f.default_at),
        ],
        "its nullability",
        errors,
    );
    Some(at.value)
}

/// A column change `key = at` (`default_at`, `optional_at`, `required_at`): above the column's
/// first version, at most the struct's, before the table's and the column's `until`. `true`
/// when `at` is out of range (nothing more to check).
fn change_in_range(
    f: &RawField,
    key: &str,
    at: &Sp<u32>,
    since: &Sp<u32>,
    version: &Sp<u32>,
    table_until: Option<u32>,
    errors: &mut Errors,
) -> bool {
    if at.value <= since.value || at.value > version.value {
        errors.push(
            at.span,
            format!(
                "{key} = {} must be above since = {} and at most version = {}",
                at.value, since.value, version.value
            ),
        );
        return true;
    }
    after_drop(key, at, table_until, errors);
    if let Some(until) = &f.until
        && at.value >= until.value
    {
        errors.push(
            at.span,
            format!(
                "{key} = {} is not below the column's until = {}; the column is gone by then",
                at.value, until.value
            ),
        );
    }
    false
}

/// `key = at` falls on the version of another change of the column: one change per version.
fn same_version(
    at: &Sp<u32>,
    key: &str,
    others: &[(&str, &Option<Sp<u32>>)],
    what: &str,
    errors: &mut Errors,
) {
    for (other_key, other) in others {
        if other.as_ref().is_some_and(|o| o.value == at.value) {
            errors.push(
                at.span,
                format!(
                    "{key} = {} is also the column's {other_key}; change {what} in another version",
                    at.value
                ),
            );
        }
    }
}

/// `default_at = K` and `old_default`: the default changes at K, inside the column's life, in
/// a version of its own among the column's changes.
fn check_default_change(
    f: &RawField,
    since: &Sp<u32>,
    version: &Sp<u32>,
    table_until: Option<u32>,
    errors: &mut Errors,
) -> Option<(u32, Option<String>)> {
    let Some(at) = &f.default_at else {
        if let Some(old) = &f.old_default {
            errors.push(
                old.span,
                "`old_default` needs `default_at = K`, the first version with `default`",
            );
        }
        return None;
    };
    if change_in_range(
        f,
        symbol::DEFAULT_AT,
        at,
        since,
        version,
        table_until,
        errors,
    ) {
        return None;
    }
    same_version(
        at,
        symbol::DEFAULT_AT,
        &[
            (symbol::RENAMED_AT, &f.renamed_at),
            (symbol::RETYPED_AT, &f.retyped_at),
        ],
        "the default",
        errors,
    );
    if f.default.is_none() && f.old_default.is_none() {
        errors.push(
            at.span,
            format!(
                "default_at = {} changes nothing: give `default` (the default from version {}; without it the default is dropped) and/or `old_default` (the default before it)",
                at.value, at.value
            ),
        );
    }
    Some((at.value, f.old_default.as_ref().map(|o| o.value.clone())))
}

/// A column change `key = version` at or after the version that drops the table.
fn after_drop(key: &str, version: &Sp<u32>, table_until: Option<u32>, errors: &mut Errors) {
    if let Some(t) = table_until
        && version.value >= t
    {
        errors.push(
            version.span,
            format!(
                "{key} = {} is not below the table's until = {t}; the table is dropped at version {t}",
                version.value
            ),
        );
    }
}

/// `retyped_at`, `old_type` / `old_sql_type`, `using` and `reverse`.
fn check_retype(
    f: &RawField,
    column: &str,
    nullable: bool,
    sql_type: &str,
    since: &Sp<u32>,
    version: &Sp<u32>,
    table_until: Option<u32>,
    errors: &mut Errors,
) -> Option<Retype> {
    let Some(at) = &f.retyped_at else {
        let keys = [
            (symbol::OLD_TYPE, f.old_type.as_ref().map(|l| l.span())),
            (
                symbol::OLD_SQL_TYPE,
                f.old_sql_type.as_ref().map(|s| s.span),
            ),
            (symbol::USING, f.using.as_ref().map(|s| s.span)),
            (symbol::REVERSE, f.reverse.as_ref().map(|s| s.span)),
        ];
        for (key, span) in keys {
            if let Some(span) = span {
                errors.push(
                    span,
                    format!("`{key}` describes a type change and needs `retyped_at = N`, the first version with the field's own type"),
                );
            }
        }
        return None;
    };
    if at.value <= since.value || at.value > version.value {
        errors.push(
            at.span,
            format!(
                "retyped_at = {} must be above since = {} and at most version = {}",
                at.value, since.value, version.value
            ),
        );
    }
    if let Some(until) = &f.until
        && at.value >= until.value
    {
        errors.push(
            at.span,
            format!(
                "retyped_at = {} must be below until = {}, the version that removes the column",
                at.value, until.value
            ),
        );
    } else if at.value <= version.value {
        after_drop(symbol::RETYPED_AT, at, table_until, errors);
    }
    if f.primary_key.is_some() {
        errors.push(
            at.span,
            crate::rules::primary_key_retyped(column).to_string(),
        );
    }
    if let Some(renamed) = &f.renamed_at
        && renamed.value == at.value
    {
        errors.push(
            at.span,
            format!(
                "the column is renamed and retyped at the same version {}; rename in one version and change the type in a later one",
                at.value
            ),
        );
    }
    if let Some(check) = &f.check {
        errors.push(
            check.span,
            format!(
                "a `check` on field `{column}`, whose type changes: its expression names the column and cannot follow it to the new type; remove the check"
            ),
        );
    }
    let old_rust = f.old_type.as_ref().and_then(|lit| {
        let parsed = lit.parse::<syn::Type>();
        if let Err(e) = &parsed {
            errors.push(
                lit.span(),
                format!("old_type = \"{}\" is not a Rust type: {e}", lit.value()),
            );
        }
        parsed.ok().map(|ty| (ty, lit.span()))
    });
    if let Some((ty, span)) = &old_rust {
        let (old_nullable, _) = unwrap_option(ty);
        if old_nullable != nullable {
            let what = |n: bool| if n { "an Option" } else { "not an Option" };
            errors.push(
                *span,
                format!(
                    "old_type is {} but the field is {}; a type change keeps the column's nullability",
                    what(old_nullable),
                    what(nullable)
                ),
            );
        }
    }
    let old_sql_type = match (&f.old_sql_type, &old_rust) {
        (Some(t), _) => t.value.clone(),
        (None, Some((ty, span))) => match mapped_type(unwrap_option(ty).1) {
            Some(t) => t,
            None => {
                errors.push(
                    *span,
                    format!(
                        "no PostgreSQL type is known for old_type = \"{}\"; add old_sql_type = \"...\" (mapped types: {})",
                        quote::ToTokens::to_token_stream(ty).to_string().replace(' ', ""),
                        types::MAPPED_RUST_TYPES
                    ),
                );
                return None;
            }
        },
        (None, None) if f.old_type.is_some() => return None,
        (None, None) => {
            errors.push(
                at.span,
                "`retyped_at` needs the type before it: `old_type = \"...\"` (its Rust type) or `old_sql_type = \"...\"`",
            );
            return None;
        }
    };
    if sql_type.is_empty() {
        return None;
    }
    if types::SqlType::parse(&old_sql_type) == types::SqlType::parse(sql_type) {
        errors.push(
            at.span,
            format!(
                "the column's type is {sql_type} both before and from retyped_at = {}; remove the type change, or give the new type with `sql_type`",
                at.value
            ),
        );
        return None;
    }
    if f.using.is_none() && !types::assignment_cast(&old_sql_type, sql_type) {
        errors.push(
            at.span,
            format!(
                "PostgreSQL has no implicit or assignment cast from {old_sql_type} to {sql_type}; add using = \"...\", an SQL expression over `{column}` that gives the new value"
            ),
        );
    }
    if f.reverse.is_none() && !types::assignment_cast(sql_type, &old_sql_type) {
        errors.push(
            at.span,
            format!(
                "PostgreSQL has no implicit or assignment cast from {sql_type} back to {old_sql_type}; add reverse = \"...\", an SQL expression over `{column}` that gives the old value (for rows that new code writes before the contract, and for rollbacks)"
            ),
        );
    }
    Some(Retype {
        at: at.value,
        old_sql_type,
        using: f.using.as_ref().map(|u| u.value.clone()),
        reverse: f.reverse.as_ref().map(|r| r.value.clone()),
    })
}

/// The keys that shape the generated Rust types only.
struct RustKeys {
    upgrade_with: Option<syn::Expr>,
    downgrade_with: Option<syn::Expr>,
    old_name_until: Option<u32>,
    sunset: Option<String>,
}

/// `upgrade_with`, `downgrade_with`, `old_name_until` and `sunset` against the field's
/// history.
fn check_rust_keys(
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
fn check_column_names(
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
