//! The one parser of `#[versioned]` / `#[col]` annotations, shared by the macro and the
//! generator (feature `parser`).
//!
//! Parse ([`attr`]), then check ([`check`]), then expand ([`expand`]); every error keeps the
//! span of the token it is about, and all errors of a struct are reported at once.

pub mod attr;
pub mod check;
pub mod enum_type;
pub mod expand;
pub mod fragment;
pub mod object;
pub mod raw_sql;
pub mod symbol;

use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;

use crate::history::TableHistory;

/// Collects errors so that a user sees every bad annotation at once.
#[derive(Default)]
pub struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    pub fn push(&mut self, span: Span, message: impl std::fmt::Display) {
        self.errors.push(syn::Error::new(span, message));
    }

    pub fn push_error(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// All errors combined into one, or `Ok(())`.
    pub fn finish(self) -> syn::Result<()> {
        let mut iter = self.errors.into_iter();
        match iter.next() {
            None => Ok(()),
            Some(mut first) => {
                for e in iter {
                    first.combine(e);
                }
                Err(first)
            }
        }
    }
}

/// One field of a parsed struct, for expansion.
pub struct ParsedField {
    /// The field as written, without its `#[col]` attributes.
    pub field: syn::Field,
    /// Index into `TableHistory::fields`.
    pub history: usize,
    /// `upgrade_with`: computes the field's value from the version before its `since`.
    pub upgrade_with: Option<syn::Expr>,
    /// `downgrade_with`: computes the field's value from the version at its `until`.
    pub downgrade_with: Option<syn::Expr>,
    /// `old_name_until`: the first version whose API no longer knows the old name.
    pub old_name_until: Option<u32>,
    /// `sunset`: the day the old name goes away, `YYYY-MM-DD` (checked).
    pub sunset: Option<String>,
    /// `old_type`: the field's Rust type in the versions before `retyped_at`.
    pub old_type: Option<syn::Type>,
}

/// A checked `#[versioned]` struct.
pub struct ParsedStruct {
    pub history: TableHistory,
    /// The struct as written, without `#[versioned]` and `#[col]` attributes.
    pub item: syn::ItemStruct,
    pub fields: Vec<ParsedField>,
}

/// Parses and checks a struct given the arguments of its `#[versioned(...)]` attribute.
pub fn parse_struct(
    args: TokenStream,
    args_span: Span,
    item: &syn::ItemStruct,
) -> syn::Result<ParsedStruct> {
    let mut errors = Errors::default();
    let raw = attr::parse(args, args_span, item, &mut errors).map(|mut raw| {
        raw.objects = object::parse_all(&item.attrs, &mut errors);
        raw.item.attrs.retain(|a| object::object_attr(a).is_none());
        raw
    });
    let mut parsed = raw.and_then(|raw| check::check(raw, &mut errors));
    raw_sql::attach(item, parsed.as_mut(), &mut errors);
    errors.finish()?;
    Ok(parsed.expect("no errors means the struct parsed"))
}

/// `true` when `attr` is `#[versioned(...)]` (or `#[some::path::versioned(...)]`).
pub fn is_versioned_attr(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == symbol::VERSIONED)
}

/// Every `#[versioned]` struct of a source file, in source order, with the errors of each.
pub fn structs_in_file(file: &syn::File) -> Vec<syn::Result<ParsedStruct>> {
    let mut out = Vec::new();
    collect_items(&file.items, &mut out);
    out
}

fn collect_items(items: &[syn::Item], out: &mut Vec<syn::Result<ParsedStruct>>) {
    for item in items {
        match item {
            syn::Item::Struct(s) => {
                if let Some(attr) = s.attrs.iter().find(|a| is_versioned_attr(a)) {
                    let args = match &attr.meta {
                        syn::Meta::List(list) => list.tokens.clone(),
                        _ => TokenStream::new(),
                    };
                    out.push(parse_struct(args, attr.span(), s));
                }
            }
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    collect_items(items, out);
                }
            }
            _ => {}
        }
    }
}
