//! Reading the struct-level `#[index(...)]`, `#[unique(...)]`, `#[check(...)]` and
//! `#[foreign_key(...)]` attributes: indexes and constraints with a life of their own.
//!
//! Only syntax is checked here (known keys for each attribute, value kinds, duplicates); what
//! the values mean against the table's columns and versions is checked in
//! [`super::check::objects`].

use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;

use super::Errors;
pub use super::attr::RawObject;
use super::attr::{Sp, Value, string, version};
use super::symbol::{self, *};

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
    let valid = keys_of(name);
    let mut seen: Vec<String> = Vec::new();
    let parser = syn::meta::parser(|meta| {
        let key = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_else(|| quote::ToTokens::to_token_stream(&meta.path).to_string());
        let span = meta.path.span();
        let Some(&known) = valid.iter().find(|v| **v == key) else {
            // Skip the value, then say what the key should be.
            if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            } else if meta.input.peek(syn::token::Paren) {
                let content;
                syn::parenthesized!(content in meta.input);
                let _: proc_macro2::TokenStream = content.parse()?;
            }
            let hint = match symbol::closest(&key, valid) {
                Some(close) => {
                    raw.mentioned.push(close);
                    format!("; did you mean `{close}`?")
                }
                None => format!("; expected one of: {}", valid.join(", ")),
            };
            errors.push(span, format!("unknown key `{key}` in #[{name}]{hint}"));
            return Ok(());
        };
        if seen.contains(&key) {
            errors.push(span, format!("duplicate key `{key}` in #[{name}]"));
        }
        seen.push(key.clone());
        raw.mentioned.push(known);
        match known {
            COLUMNS | INCLUDE => {
                if !meta.input.peek(syn::token::Paren) {
                    if meta.input.peek(syn::Token![=]) {
                        let _: syn::Expr = meta.value()?.parse()?;
                    }
                    errors.push(
                        span,
                        format!("#[{name}({known}(...))] lists columns, as in `{known}(customer_id, created_at)`"),
                    );
                    return Ok(());
                }
                let content;
                let parens = syn::parenthesized!(content in meta.input);
                let list = Punctuated::<syn::Ident, syn::Token![,]>::parse_terminated(&content)?;
                let columns: Vec<Sp<String>> = list
                    .iter()
                    .map(|i| Sp {
                        value: syn::ext::IdentExt::unraw(i).to_string(),
                        span: i.span(),
                    })
                    .collect();
                if columns.is_empty() {
                    errors.push(
                        parens.span.join(),
                        format!("#[{name}({known}())] is empty; name at least one column"),
                    );
                    return Ok(());
                }
                let value = Some(Sp {
                    value: columns,
                    span,
                });
                if known == COLUMNS {
                    raw.columns = value;
                } else {
                    raw.include = value;
                }
            }
            _ => {
                let value = if meta.input.peek(syn::Token![=]) {
                    let expr: syn::Expr = meta.value()?.parse()?;
                    match expr {
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(s),
                            ..
                        }) => Value::Str(s),
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Int(i),
                            ..
                        }) => Value::Int(i),
                        other => {
                            errors.push(
                                other.span(),
                                format!("#[{name}({known} = ...)] expects a string or an integer literal"),
                            );
                            return Ok(());
                        }
                    }
                } else {
                    Value::Flag(span)
                };
                match known {
                    UNIQUE => match value {
                        Value::Flag(s) => raw.unique = Some(s),
                        other => {
                            errors.push(other.span(), format!("#[{name}(unique)] takes no value"))
                        }
                    },
                    SINCE => raw.since = version(name, known, value, errors),
                    UNTIL => raw.until = version(name, known, value, errors),
                    EXPR => raw.expr = string(name, known, value, errors),
                    USING => raw.using = string(name, known, value, errors),
                    PREDICATE => raw.predicate = string(name, known, value, errors),
                    NAME => raw.name = string(name, known, value, errors),
                    REFERENCES => raw.references = string(name, known, value, errors),
                    ON_DELETE => raw.on_delete = string(name, known, value, errors),
                    ON_UPDATE => raw.on_update = string(name, known, value, errors),
                    _ => unreachable!("every key of OBJECT keys is read"),
                }
            }
        }
        Ok(())
    });
    if let Err(e) = parser.parse2(list.tokens.clone()) {
        errors.push_error(e);
    }
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
