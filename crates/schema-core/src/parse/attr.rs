//! Reading the attributes: `#[versioned(...)]` on the struct and `#[col(...)]` on fields.
//!
//! Only syntax is checked here (known keys, value kinds, duplicates); what the values mean
//! together is checked in [`super::check`].

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::spanned::Spanned;

use super::Errors;
use super::symbol::{self, *};

/// A value with the span of the token it came from.
#[derive(Debug, Clone)]
pub struct Sp<T> {
    pub value: T,
    pub span: Span,
}

/// A key's value as written.
pub(super) enum Value {
    Flag(Span),
    Str(syn::LitStr),
    Int(syn::LitInt),
    /// `key(a, b)`: names, and the key's span.
    List(Vec<Sp<String>>, Span),
}

impl Value {
    pub(super) fn span(&self) -> Span {
        match self {
            Value::Flag(s) => *s,
            Value::Str(l) => l.span(),
            Value::Int(l) => l.span(),
            Value::List(_, s) => *s,
        }
    }
}

pub struct RawStruct {
    pub attr_span: Span,
    /// Keys written (even with a bad value) or suggested for an unknown key: their errors are
    /// reported already, so a missing one is not reported again.
    pub mentioned: Vec<&'static str>,
    pub table: Option<Sp<String>>,
    pub version: Option<Sp<u32>>,
    pub since: Option<Sp<u32>>,
    pub until: Option<Sp<u32>>,
    pub schema: Option<Sp<String>>,
    /// The table's old name and the version that uses the new one.
    pub renamed_from: Option<Sp<String>>,
    pub renamed_at: Option<Sp<u32>>,
    pub item: syn::ItemStruct,
    pub fields: Vec<RawField>,
    /// `#[index]`, `#[unique]`, `#[check]` and `#[foreign_key]` beside `#[versioned]`, read by
    /// `super::object` (which leaves them out of `item`).
    pub objects: Vec<RawObject>,
}

/// One struct-level index or constraint attribute, as written.
#[derive(Debug, Clone)]
pub struct RawObject {
    /// `index`, `unique`, `check` or `foreign_key`.
    pub attr: &'static str,
    /// The attribute's path, where errors about the whole attribute point.
    pub span: Span,
    pub columns: Option<Sp<Vec<Sp<String>>>>,
    pub include: Option<Sp<Vec<Sp<String>>>>,
    pub expr: Option<Sp<String>>,
    pub unique: Option<Span>,
    pub using: Option<Sp<String>>,
    pub predicate: Option<Sp<String>>,
    pub name: Option<Sp<String>>,
    pub references: Option<Sp<String>>,
    pub on_delete: Option<Sp<String>>,
    pub on_update: Option<Sp<String>>,
    pub since: Option<Sp<u32>>,
    pub until: Option<Sp<u32>>,
    /// Keys written (even with a bad value) or suggested for an unknown key: their errors are
    /// reported already, so a missing one is not reported again.
    pub mentioned: Vec<&'static str>,
}

#[derive(Default)]
pub struct RawField {
    /// As [`RawStruct::mentioned`].
    pub mentioned: Vec<&'static str>,
    pub primary_key: Option<Span>,
    pub unique: Option<Span>,
    pub index: Option<Span>,
    pub since: Option<Sp<u32>>,
    pub until: Option<Sp<u32>>,
    pub renamed_from: Option<Sp<String>>,
    pub renamed_at: Option<Sp<u32>>,
    pub default: Option<Sp<String>>,
    pub backfill: Option<Sp<String>>,
    pub sql_type: Option<Sp<String>>,
    pub references: Option<Sp<String>>,
    pub check: Option<Sp<String>>,
    /// Rust-side keys: they shape the generated types, not the table.
    pub upgrade_with: Option<syn::LitStr>,
    pub downgrade_with: Option<syn::LitStr>,
    pub old_name_until: Option<Sp<u32>>,
    /// `sunset = "YYYY-MM-DD"`: the day the old name of a renamed field goes away.
    pub sunset: Option<Sp<String>>,
    /// A type change: the first version with the field's own type, the type before it (Rust
    /// and/or SQL) and the conversions both ways.
    pub retyped_at: Option<Sp<u32>>,
    pub old_type: Option<syn::LitStr>,
    pub old_sql_type: Option<Sp<String>>,
    pub using: Option<Sp<String>>,
    pub reverse: Option<Sp<String>>,
    /// A default change: the first version with `default`, and the default before it.
    pub default_at: Option<Sp<u32>>,
    pub old_default: Option<Sp<String>>,
    /// What a rollback gives to rows left without a value.
    pub down: Option<Sp<String>>,
    /// NOT NULL to nullable at this version.
    pub optional_at: Option<Sp<u32>>,
    /// Nullable to NOT NULL at this version.
    pub required_at: Option<Sp<u32>>,
    /// `identity` (by default) or `identity = "always"`.
    pub identity: Option<Sp<String>>,
    /// `on_delete` / `on_update` beside `references`.
    pub on_delete: Option<Sp<String>>,
    pub on_update: Option<Sp<String>>,
}

/// Reads `key`, `key = "str"`, `key = 3` and `key(a, b)` items, reporting unknown and repeated keys.
/// Records in `mentioned` the valid keys written or suggested.
pub(super) fn parse_keys(
    tokens: TokenStream,
    attr: &str,
    valid: &[&'static str],
    mentioned: &mut Vec<&'static str>,
    seen: &mut Vec<String>,
    errors: &mut Errors,
    mut assign: impl FnMut(&str, Value, &mut Errors),
) {
    let parser = syn::meta::parser(|meta| {
        let key = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_else(|| quote::ToTokens::to_token_stream(&meta.path).to_string());
        let value = if meta.input.peek(syn::Token![=]) {
            let expr: syn::Expr = meta.value()?.parse()?;
            match expr {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(Value::Str(s)),
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(i),
                    ..
                }) => Some(Value::Int(i)),
                other => {
                    errors.push(
                        other.span(),
                        format!("#[{attr}({key} = ...)] expects a string or an integer literal"),
                    );
                    None
                }
            }
        } else if meta.input.peek(syn::token::Paren) {
            // `key(a, b)`: a list of names, for the keys that take one (the others say so).
            let content;
            let parens = syn::parenthesized!(content in meta.input);
            let tokens: TokenStream = content.parse()?;
            let names = syn::parse::Parser::parse2(
                syn::punctuated::Punctuated::<syn::Ident, syn::Token![,]>::parse_terminated,
                tokens,
            );
            match names {
                Ok(names) if names.is_empty() => {
                    errors.push(
                        parens.span.join(),
                        format!("#[{attr}({key}())] is empty; name at least one column"),
                    );
                    None
                }
                Ok(names) => Some(Value::List(
                    names
                        .iter()
                        .map(|i| Sp {
                            value: syn::ext::IdentExt::unraw(i).to_string(),
                            span: i.span(),
                        })
                        .collect(),
                    meta.path.span(),
                )),
                Err(_) => {
                    if valid.contains(&key.as_str()) {
                        errors.push(
                            meta.path.span(),
                            format!("#[{attr}({key}(...))] is not supported; write `{key} = ...`"),
                        );
                    }
                    None
                }
            }
        } else {
            Some(Value::Flag(meta.path.span()))
        };
        let Some(&known) = valid.iter().find(|v| **v == key) else {
            let hint = match symbol::closest(&key, valid) {
                Some(close) => {
                    mentioned.push(close);
                    format!("; did you mean `{close}`?")
                }
                None => format!("; expected one of: {}", valid.join(", ")),
            };
            errors.push(
                meta.path.span(),
                format!("unknown key `{key}` in #[{attr}]{hint}"),
            );
            return Ok(());
        };
        mentioned.push(known);
        if seen.contains(&key) {
            errors.push(
                meta.path.span(),
                format!("duplicate key `{key}` in #[{attr}]"),
            );
            return Ok(());
        }
        seen.push(key.clone());
        if let Some(value) = value {
            assign(&key, value, errors);
        }
        Ok(())
    });
    if let Err(e) = parser.parse2(tokens) {
        errors.push_error(e);
    }
}

pub(super) fn string(
    attr: &str,
    key: &str,
    value: Value,
    errors: &mut Errors,
) -> Option<Sp<String>> {
    match value {
        Value::Str(s) if s.value().trim().is_empty() => {
            errors.push(s.span(), format!("#[{attr}({key} = \"\")] is empty"));
            None
        }
        Value::Str(s) => Some(Sp {
            value: s.value(),
            span: s.span(),
        }),
        other => {
            errors.push(
                other.span(),
                format!("#[{attr}({key} = ...)] expects a string, as in `{key} = \"...\"`"),
            );
            None
        }
    }
}

/// A string value kept as its literal, for Rust code that is parsed later with its span.
fn lit_str(attr: &str, key: &str, value: Value, errors: &mut Errors) -> Option<syn::LitStr> {
    string(attr, key, value, errors).map(|s| syn::LitStr::new(&s.value, s.span))
}

pub(super) fn version(attr: &str, key: &str, value: Value, errors: &mut Errors) -> Option<Sp<u32>> {
    match value {
        Value::Int(i) => match i.base10_parse::<u32>() {
            Ok(0) => {
                errors.push(
                    i.span(),
                    format!("#[{attr}({key} = 0)]: versions start at 1"),
                );
                None
            }
            Ok(n) => Some(Sp {
                value: n,
                span: i.span(),
            }),
            Err(e) => {
                errors.push_error(e);
                None
            }
        },
        other => {
            errors.push(
                other.span(),
                format!("#[{attr}({key} = ...)] expects a version number, as in `{key} = 2`"),
            );
            None
        }
    }
}

pub(super) fn flag(attr: &str, key: &str, value: Value, errors: &mut Errors) -> Option<Span> {
    match value {
        Value::Flag(span) => Some(span),
        other => {
            errors.push(other.span(), format!("#[{attr}({key})] takes no value"));
            None
        }
    }
}

/// `key(a, b)`: the names, with the key's span.
pub(super) fn list(
    attr: &str,
    key: &str,
    value: Value,
    errors: &mut Errors,
) -> Option<Sp<Vec<Sp<String>>>> {
    match value {
        Value::List(names, span) => Some(Sp { value: names, span }),
        other => {
            errors.push(
                other.span(),
                format!(
                    "#[{attr}({key}(...))] lists columns, as in `{key}(customer_id, created_at)`"
                ),
            );
            None
        }
    }
}

/// Reads the struct and field attributes; `None` when the item is not a struct with named
/// fields (the error is in `errors`).
pub fn parse(
    args: TokenStream,
    attr_span: Span,
    item: &syn::ItemStruct,
    errors: &mut Errors,
) -> Option<RawStruct> {
    let mut raw = RawStruct {
        attr_span,
        mentioned: Vec::new(),
        table: None,
        version: None,
        since: None,
        until: None,
        schema: None,
        renamed_from: None,
        renamed_at: None,
        item: item.clone(),
        fields: Vec::new(),
        objects: Vec::new(),
    };
    let mut mentioned = Vec::new();
    parse_keys(
        args,
        VERSIONED,
        STRUCT_KEYS,
        &mut mentioned,
        &mut Vec::new(),
        errors,
        |key, value, errors| match key {
            TABLE => raw.table = string(VERSIONED, key, value, errors),
            SCHEMA => raw.schema = string(VERSIONED, key, value, errors),
            VERSION => raw.version = version(VERSIONED, key, value, errors),
            SINCE => raw.since = version(VERSIONED, key, value, errors),
            UNTIL => raw.until = version(VERSIONED, key, value, errors),
            RENAMED_FROM => raw.renamed_from = string(VERSIONED, key, value, errors),
            RENAMED_AT => raw.renamed_at = version(VERSIONED, key, value, errors),
            _ => unreachable!("parse_keys only passes valid keys"),
        },
    );
    raw.mentioned = mentioned;
    raw.item.attrs.retain(|a| !super::is_versioned_attr(a));

    let syn::Fields::Named(named) = &mut raw.item.fields else {
        errors.push(
            item.ident.span(),
            "#[versioned] needs a struct with named fields, one per column",
        );
        return None;
    };
    for field in named.named.iter_mut() {
        let mut f = RawField::default();
        // Keys seen on this field, across all of its #[col] attributes.
        let mut seen = Vec::new();
        for attr in field.attrs.iter().filter(|a| a.path().is_ident(COL)) {
            let tokens = match &attr.meta {
                syn::Meta::List(list) => list.tokens.clone(),
                _ => {
                    errors.push(
                        attr.span(),
                        "expected #[col(...)] with keys, as in #[col(index)]",
                    );
                    continue;
                }
            };
            let mut mentioned = Vec::new();
            parse_keys(
                tokens,
                COL,
                FIELD_KEYS,
                &mut mentioned,
                &mut seen,
                errors,
                |key, value, errors| match key {
                    PRIMARY_KEY => f.primary_key = flag(COL, key, value, errors),
                    UNIQUE => f.unique = flag(COL, key, value, errors),
                    INDEX => f.index = flag(COL, key, value, errors),
                    SINCE => f.since = version(COL, key, value, errors),
                    UNTIL => f.until = version(COL, key, value, errors),
                    RENAMED_AT => f.renamed_at = version(COL, key, value, errors),
                    RENAMED_FROM => f.renamed_from = string(COL, key, value, errors),
                    DEFAULT => f.default = string(COL, key, value, errors),
                    BACKFILL => f.backfill = string(COL, key, value, errors),
                    SQL_TYPE => f.sql_type = string(COL, key, value, errors),
                    REFERENCES => f.references = string(COL, key, value, errors),
                    CHECK => f.check = string(COL, key, value, errors),
                    UPGRADE_WITH => f.upgrade_with = lit_str(COL, key, value, errors),
                    DOWNGRADE_WITH => f.downgrade_with = lit_str(COL, key, value, errors),
                    OLD_NAME_UNTIL => f.old_name_until = version(COL, key, value, errors),
                    SUNSET => f.sunset = string(COL, key, value, errors),
                    RETYPED_AT => f.retyped_at = version(COL, key, value, errors),
                    OLD_TYPE => f.old_type = lit_str(COL, key, value, errors),
                    OLD_SQL_TYPE => f.old_sql_type = string(COL, key, value, errors),
                    USING => f.using = string(COL, key, value, errors),
                    REVERSE => f.reverse = string(COL, key, value, errors),
                    DEFAULT_AT => f.default_at = version(COL, key, value, errors),
                    OLD_DEFAULT => f.old_default = string(COL, key, value, errors),
                    DOWN => f.down = string(COL, key, value, errors),
                    OPTIONAL_AT => f.optional_at = version(COL, key, value, errors),
                    REQUIRED_AT => f.required_at = version(COL, key, value, errors),
                    ON_DELETE => f.on_delete = string(COL, key, value, errors),
                    ON_UPDATE => f.on_update = string(COL, key, value, errors),
                    IDENTITY => {
                        f.identity = match value {
                            Value::Flag(span) => Some(Sp {
                                value: "by default".into(),
                                span,
                            }),
                            other => string(COL, key, other, errors),
                        }
                    }
                    _ => unreachable!("parse_keys only passes valid keys"),
                },
            );
            f.mentioned.extend(mentioned);
        }
        field.attrs.retain(|a| !a.path().is_ident(COL));
        raw.fields.push(f);
    }
    Some(raw)
}
