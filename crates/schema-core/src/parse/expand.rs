//! Code generation for `#[versioned]`: per-version types and their conversions.
//!
//! For a struct `User` with versions `since..=version` this emits:
//!
//! - `UserV{v}` for every older version and `User` itself for the latest (also reachable as
//!   `UserV{latest}`), each with the struct's attributes and the fields that exist at `v`,
//!   under the names they had at `v`. A table dropped at `until = K` has types only for the
//!   versions that have it: `User` is version K - 1, the last shape its rows had;
//! - `impl ::schema_core::Versioned` and an inherent `VERSION` constant on each;
//! - `From` conversions between neighbouring versions where they can be built: derived, or
//!   from `upgrade_with` / `downgrade_with` and serde defaults;
//! - one hidden trait per step (`__UserV1ToV2`), implemented wherever the step's `From` is
//!   (derived or written by hand), whose diagnostic names the fields that have no value;
//! - the conversions from each version to every other, bounded on the steps in between
//!   (`into_version::<UserV3>()`, and `IntoVersion` for generic code), in a number of items
//!   linear in the versions ([`convert`]), and the enum `UserAny` of all versions with
//!   `into_latest` / `from_latest`;
//! - with serde derives, the serde side ([`wire`]): `UserAny` serializes as the version it
//!   holds and deserializes as a requested version, and the rename phases.

mod construct;
mod convert;
mod entry;
mod enum_type;
mod wire;

use construct::Construct;
pub use entry::versioned;
pub use enum_type::expand_enum;

use proc_macro2::{Literal, Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::spanned::Spanned;

use super::check::unwrap_option;
use super::{ParsedField, ParsedStruct};
use crate::history::{FieldHistory, TableHistory};

/// The tokens that replace the annotated struct.
pub fn expand(parsed: &ParsedStruct) -> TokenStream {
    let types = Types::new(parsed);
    let history = &parsed.history;
    let mut out = TokenStream::new();
    for v in history.versions() {
        out.extend(types.version_struct(v));
        out.extend(types.version_impls(v));
    }
    out.extend(types.latest_alias());
    for v in history.since..history.last_version() {
        out.extend(types.step(v, v + 1));
        out.extend(types.step(v + 1, v));
    }
    out.extend(convert::expand(&types));
    out.extend(types.any_enum());
    out.extend(wire::expand(&types));
    out.extend(raw_sql_files(history));
    out
}

/// `up_file` and `down_file` of `#[raw_sql]`, included so that cargo runs the macro again when
/// one changes (their text is in `history()`).
fn raw_sql_files(history: &TableHistory) -> TokenStream {
    let files = history
        .raw_sql
        .iter()
        .flat_map(|r| r.up_file.iter().chain(&r.down_file));
    quote! {
        #(const _: &str = ::core::include_str!(::core::concat!(
            ::core::env!("CARGO_MANIFEST_DIR"), "/", #files
        ));)*
    }
}

/// The fields whose type was left to a versioned enum's expansion (the macro sees one item at a
/// time), with their type: `(index into the history's fields, type)`.
fn enum_fields(parsed: &ParsedStruct) -> Vec<(usize, &syn::Type)> {
    parsed
        .fields
        .iter()
        .filter(|f| {
            crate::parse::enum_type::is_deferred(&parsed.history.fields[f.history].sql_type)
        })
        .map(|f| (f.history, unwrap_option(&f.field.ty).1))
        .collect()
}

/// How a conversion fills a field that the source version does not have.
enum Fill {
    /// `fill(expr, &value)`: the user's `upgrade_with` / `downgrade_with`.
    With(TokenStream),
    /// A value that needs nothing: `None`, or the field's serde default.
    Value(TokenStream),
}

/// The per-version view of one parsed struct.
struct Types<'a> {
    parsed: &'a ParsedStruct,
    /// The struct's `derive` paths, in order.
    derives: Vec<syn::Path>,
}

impl<'a> Types<'a> {
    fn new(parsed: &'a ParsedStruct) -> Self {
        let derives = parsed
            .item
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("derive"))
            .filter_map(|a| {
                a.parse_args_with(
                    syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
                )
                .ok()
            })
            .flatten()
            .collect();
        Types { parsed, derives }
    }

    fn history(&self) -> &TableHistory {
        &self.parsed.history
    }

    /// The last version that has the table.
    fn latest(&self) -> u32 {
        self.history().last_version()
    }

    fn ident(&self) -> &syn::Ident {
        &self.parsed.item.ident
    }

    fn vis(&self) -> &syn::Visibility {
        &self.parsed.item.vis
    }

    /// The derive path named `name` (`Serialize`, `serde::Serialize`), if the struct has it.
    fn derive(&self, name: &str) -> Option<&syn::Path> {
        self.derives
            .iter()
            .find(|p| p.segments.last().is_some_and(|s| s.ident == name))
    }

    /// `User` for the latest version, `UserV{v}` for the others.
    fn type_name(&self, v: u32) -> syn::Ident {
        let ident = self.ident();
        if v == self.latest() {
            ident.clone()
        } else {
            format_ident!("{}V{}", ident, v, span = ident.span())
        }
    }

    /// `UserAny`.
    fn any_name(&self) -> syn::Ident {
        format_ident!("{}Any", self.ident(), span = self.ident().span())
    }

    /// `__UserV1ToV2`: the hidden trait of one conversion step.
    fn step_trait(&self, from: u32, to: u32) -> syn::Ident {
        format_ident!("__{}V{}ToV{}", self.ident(), from, to)
    }

    fn field_history(&self, field: &ParsedField) -> &FieldHistory {
        &self.history().fields[field.history]
    }

    /// The fields that exist at `v`, in declaration order.
    fn fields_at(&self, v: u32) -> impl Iterator<Item = &ParsedField> {
        self.parsed
            .fields
            .iter()
            .filter(move |f| self.field_history(f).exists_at(v))
    }

    /// The Rust name of `field` at `v`: its old name before a rename, else its own ident.
    fn field_ident(&self, field: &ParsedField, v: u32) -> syn::Ident {
        let ident = field.field.ident.as_ref().expect("checked: named fields");
        let history = self.field_history(field);
        let name = history.column_at(v);
        if name == history.column {
            ident.clone()
        } else {
            rust_ident(name, ident.span())
        }
    }

    /// The version from which `field` has its own Rust type: its `retyped_at`, or its
    /// `optional_at` (`T` before it, `Option<T>` from it).
    fn rust_type_change(&self, field: &ParsedField) -> Option<u32> {
        let history = self.field_history(field);
        history
            .retyped
            .as_ref()
            .map(|r| r.at)
            .or(history.nullable_change)
    }

    /// The Rust type of `field` at `v`: its old type before its type or nullability changes.
    fn field_type<'f>(&self, field: &'f ParsedField, v: u32) -> &'f syn::Type {
        match (self.rust_type_change(field), &field.old_type) {
            (Some(at), Some(old)) if v < at => old,
            _ => &field.field.ty,
        }
    }

    /// Whether the Rust type of `field` changes between neighbours `from` and `to`.
    fn retyped_between(&self, field: &ParsedField, from: u32, to: u32) -> bool {
        self.rust_type_change(field)
            .is_some_and(|at| from.min(to) < at && at <= from.max(to))
    }

    /// How a retyped field's value crosses the step `from -> to`: moved when the Rust type
    /// stays, the user's `upgrade_with` / `downgrade_with`, else a lossless `From` of the
    /// standard library (`i32` to `i64`); `None` when there is none.
    fn convert_retyped(&self, field: &ParsedField, from: u32, to: u32) -> Option<Fill> {
        let ident = self.field_ident(field, from);
        let (src, dst) = (self.field_type(field, from), self.field_type(field, to));
        let with = if from < to {
            &field.upgrade_with
        } else {
            &field.downgrade_with
        };
        if let Some(expr) = with {
            return Some(Fill::With(expr.to_token_stream()));
        }
        let text = |t: &syn::Type| t.to_token_stream().to_string().replace(' ', "");
        if text(src) == text(dst) {
            return Some(Fill::Value(quote!(value.#ident)));
        }
        let (src_opt, src_inner) = unwrap_option(src);
        let (dst_opt, dst_inner) = unwrap_option(dst);
        // `T` to `Option<T>` (a column that becomes nullable, upgraded).
        if !src_opt && dst_opt && text(src_inner) == text(dst_inner) {
            return Some(Fill::Value(
                quote!(::core::option::Option::Some(value.#ident)),
            ));
        }
        if src_opt != dst_opt || !lossless_from(&text(src_inner), &text(dst_inner)) {
            return None;
        }
        Some(Fill::Value(if src_opt {
            quote!(value.#ident.map(::core::convert::From::from))
        } else {
            quote!(::core::convert::From::from(value.#ident))
        }))
    }

    /// A value for a field that is new at the target version of an upgrade.
    fn fill_added(field: &ParsedField) -> Option<Fill> {
        match &field.upgrade_with {
            Some(expr) => Some(Fill::With(expr.to_token_stream())),
            None => Self::fill_default(field),
        }
    }

    /// A value for a field that was removed at the source version of a downgrade.
    fn fill_removed(field: &ParsedField) -> Option<Fill> {
        match &field.downgrade_with {
            Some(expr) => Some(Fill::With(expr.to_token_stream())),
            None => Self::fill_default(field),
        }
    }

    /// The field's serde default, else `None` for an `Option`, else nothing.
    fn fill_default(field: &ParsedField) -> Option<Fill> {
        if let Some(default) = wire::serde_default(&field.field) {
            return Some(Fill::Value(default));
        }
        unwrap_option(&field.field.ty)
            .0
            .then(|| Fill::Value(quote!(::core::option::Option::None)))
    }

    fn version_struct(&self, v: u32) -> TokenStream {
        let item = &self.parsed.item;
        let mut out = item.clone();
        out.ident = self.type_name(v);
        if v != self.latest() {
            let doc = format!(" Version {v} of `{}`.", item.ident);
            let mut attrs: Vec<syn::Attribute> = vec![syn::parse_quote!(#[doc = #doc])];
            if item.attrs.iter().any(|a| a.path().is_ident("doc")) {
                attrs.push(syn::parse_quote!(#[doc = ""]));
            }
            attrs.extend(item.attrs.iter().cloned());
            // An older version exists for the code that still speaks it; a crate that does
            // not use it (or cannot convert to it) should not be told so.
            attrs.push(syn::parse_quote!(#[allow(dead_code)]));
            out.attrs = attrs;
        }
        // The serde derives that the rename phases replace with their own impls.
        let replaced = wire::replaced_derives(self, v);
        // With no serde derive left, `#[serde]` is no attribute there: the twin has them.
        // A `JsonSchema` derive reads them too, and takes them as its own.
        let no_serde_left = !replaced.is_empty()
            && self.derive("JsonSchema").is_none()
            && ["Serialize", "Deserialize"]
                .iter()
                .all(|d| self.derive(d).is_none() || replaced.contains(d));
        let is_serde = |a: &syn::Attribute| no_serde_left && a.path().is_ident("serde");
        if !replaced.is_empty() {
            out.attrs = out
                .attrs
                .into_iter()
                .filter(|a| !is_serde(a))
                .filter_map(|a| without_derives(a, &replaced))
                .collect();
        }
        let fields: Vec<syn::Field> = self
            .fields_at(v)
            .map(|f| {
                let mut field = f.field.clone();
                field.ident = Some(self.field_ident(f, v));
                field.ty = self.field_type(f, v).clone();
                field.attrs.retain(|a| !is_serde(a));
                field
            })
            .collect();
        if let syn::Fields::Named(named) = &mut out.fields {
            named.named = fields.into_iter().collect();
        }
        out.into_token_stream()
    }

    fn version_impls(&self, v: u32) -> TokenStream {
        let ty = self.type_name(v);
        let latest_ty = self.type_name(self.latest());
        let any = self.any_name();
        let table = self.history().table_at(v);
        let latest = Literal::u32_unsuffixed(self.latest());
        let since = Literal::u32_unsuffixed(self.history().since);
        let version = Literal::u32_unsuffixed(v);
        let history = if v == self.latest() {
            let built = self.history().construct();
            let enums = enum_fields(self.parsed);
            if enums.is_empty() {
                built
            } else {
                // A type that is not a versioned enum is an error on the field's type here.
                let patches = enums.into_iter().map(|(i, ty)| {
                    let sql_type = quote::quote_spanned! {ty.span()=>
                        <#ty as ::schema_core::PgEnum>::SQL_TYPE
                    };
                    quote! {
                        history.fields[#i].sql_type = ::std::string::String::from(#sql_type);
                    }
                });
                quote! {{
                    let mut history = #built;
                    #(#patches)*
                    history
                }}
            }
        } else {
            quote!(<#latest_ty as ::schema_core::Versioned>::history())
        };
        let const_doc = format!(" The version of table `{table}` that this type is.");
        let until = self.history().until.map(|until| {
            let until = Literal::u32_unsuffixed(until);
            quote!(const UNTIL: ::core::option::Option<u32> = ::core::option::Option::Some(#until);)
        });
        quote! {
            impl ::schema_core::Versioned for #ty {
                const TABLE: &'static str = #table;
                const VERSION: u32 = #version;
                const SINCE: u32 = #since;
                const LATEST: u32 = #latest;
                #until
                type Latest = #latest_ty;
                type Any = #any;

                fn history() -> ::schema_core::TableHistory {
                    #history
                }
            }

            impl #ty {
                #[doc = #const_doc]
                #[allow(dead_code)]
                pub const VERSION: u32 = #version;
            }
        }
    }

    /// `pub type UserV{latest} = User;`
    fn latest_alias(&self) -> TokenStream {
        let vis = self.vis();
        let ident = self.ident();
        let alias = format_ident!("{}V{}", ident, self.latest(), span = ident.span());
        let doc = format!(
            " Version {} of `{ident}`, the latest: `{ident}` itself.",
            self.latest()
        );
        quote! {
            #[doc = #doc]
            #[allow(dead_code)]
            #vis type #alias = #ident;
        }
    }

    /// The fields that the step `from -> to` (neighbours) cannot fill: new at `to` on an
    /// upgrade, removed at `from` on a downgrade, with no value from annotations or types.
    fn unfilled(&self, from: u32, to: u32) -> Vec<&ParsedField> {
        self.fields_at(to)
            .filter(|f| !self.field_history(f).exists_at(from))
            .filter(|f| {
                let fill = if from < to {
                    Self::fill_added(f)
                } else {
                    Self::fill_removed(f)
                };
                fill.is_none()
            })
            .collect()
    }

    /// The fields whose type changes across the step `from -> to` (neighbours) with no
    /// conversion: not a lossless `From`, and no `upgrade_with` / `downgrade_with`.
    fn unconverted(&self, from: u32, to: u32) -> Vec<&ParsedField> {
        self.fields_at(to)
            .filter(|f| self.field_history(f).exists_at(from))
            .filter(|f| self.retyped_between(f, from, to))
            .filter(|f| self.convert_retyped(f, from, to).is_none())
            .collect()
    }

    /// Whether the macro emits the step's `From` (else only a hand-written one can exist).
    fn step_is_built(&self, from: u32, to: u32) -> bool {
        self.unfilled(from, to).is_empty() && self.unconverted(from, to).is_empty()
    }

    /// One step between neighbours: its `From` when it can be built, and its hidden trait,
    /// implemented wherever the `From` exists, whose diagnostic names the unfilled fields.
    fn step(&self, from: u32, to: u32) -> TokenStream {
        let mut out = if self.step_is_built(from, to) {
            self.conversion(from, to)
        } else {
            TokenStream::new()
        };
        out.extend(self.step_trait_item(from, to));
        out
    }

    /// `From<V{from}> for V{to}`: kept fields move (under their name at `to` when renamed);
    /// the fields that `from` lacks come from `upgrade_with` / `downgrade_with`, their serde
    /// default or `None`; the fields that `to` lacks are dropped.
    fn conversion(&self, from: u32, to: u32) -> TokenStream {
        let from_ty = self.type_name(from);
        let to_ty = self.type_name(to);
        let mut lets = Vec::new();
        let mut inits = Vec::new();
        for field in self.fields_at(to) {
            let to_ident = self.field_ident(field, to);
            let fill = if !self.field_history(field).exists_at(from) {
                if from < to {
                    Self::fill_added(field)
                } else {
                    Self::fill_removed(field)
                }
            } else if self.retyped_between(field, from, to) {
                self.convert_retyped(field, from, to)
            } else {
                let from_ident = self.field_ident(field, from);
                Some(Fill::Value(quote!(value.#from_ident)))
            };
            let value = match fill.expect("step_is_built checked every field") {
                Fill::Value(tokens) => tokens,
                Fill::With(expr) => {
                    // Computed before the fields move out of `value`.
                    let local = format_ident!("__{}", unraw(&to_ident));
                    let ty = self.field_type(field, to);
                    // Spanned on the annotation's string, so that a function of the
                    // wrong type is reported there.
                    let call = quote::quote_spanned!(expr.span()=> ::schema_core::runtime::fill(#expr, &value));
                    lets.push(quote!(let #local: #ty = #call;));
                    local.into_token_stream()
                }
            };
            inits.push(quote!(#to_ident: #value));
        }
        let doc = if from < to { "upgrade" } else { "downgrade" };
        let doc = format!(" The {doc} from version {from} to version {to}.");
        quote! {
            #[doc = #doc]
            impl ::core::convert::From<#from_ty> for #to_ty {
                fn from(value: #from_ty) -> Self {
                    #(#lets)*
                    Self { #(#inits,)* }
                }
            }
        }
    }

    fn step_trait_item(&self, from: u32, to: u32) -> TokenStream {
        let vis = self.vis();
        let trait_name = self.step_trait(from, to);
        let from_ty = self.type_name(from);
        let to_ty = self.type_name(to);
        let message = self.step_message(from, to);
        let label = format!("`{to_ty}` cannot be built from `{from_ty}`");
        let note = self.step_note(from, to);
        let doc = format!(
            " The conversion from version {from} to version {to} of `{}`: implemented for every type that `{to_ty}` converts from, so that a chain across it says which fields have no value when it cannot be built.",
            self.ident()
        );
        quote! {
            #[doc = #doc]
            #[doc(hidden)]
            #[allow(dead_code)]
            #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
            #vis trait #trait_name {
                fn __convert(self) -> #to_ty;
            }

            #[diagnostic::do_not_recommend]
            impl<T> #trait_name for T
            where
                #to_ty: ::core::convert::From<T>,
            {
                fn __convert(self) -> #to_ty {
                    <#to_ty as ::core::convert::From<T>>::from(self)
                }
            }
        }
    }

    fn step_message(&self, from: u32, to: u32) -> String {
        let head = format!(
            "cannot convert `{}` to `{}`",
            self.type_name(from),
            self.type_name(to)
        );
        let mut parts = Vec::new();
        let unfilled = self.unfilled(from, to);
        if !unfilled.is_empty() {
            let names: Vec<String> = unfilled
                .iter()
                .map(|f| format!("`{}`", self.field_ident(f, to)))
                .collect();
            let one = names.len() == 1;
            let what = if one {
                format!("field {}", names[0])
            } else {
                format!("fields {}", names.join(", "))
            };
            let option = if one { "an Option" } else { "Options" };
            parts.push(if from < to {
                let verb = if one { "is" } else { "are" };
                format!("{what} {verb} new at version {to}, not {option}, without a default")
            } else {
                let verb = if one { "was" } else { "were" };
                format!("{what} {verb} removed at version {from}, not {option}, without a default")
            });
        }
        for f in self.unconverted(from, to) {
            let text = |t: &syn::Type| t.to_token_stream().to_string().replace(' ', "");
            parts.push(format!(
                "field `{}` changes type from `{}` to `{}`, with no lossless conversion",
                self.field_ident(f, to),
                text(self.field_type(f, from)),
                text(self.field_type(f, to))
            ));
        }
        if parts.is_empty() {
            head
        } else {
            format!("{head}: {}", parts.join("; "))
        }
    }

    fn step_note(&self, from: u32, to: u32) -> String {
        let from_ty = self.type_name(from);
        let to_ty = self.type_name(to);
        let key = if from < to {
            super::symbol::UPGRADE_WITH
        } else {
            super::symbol::DOWNGRADE_WITH
        };
        if self.unfilled(from, to).is_empty() && !self.unconverted(from, to).is_empty() {
            return format!(
                "give each such field #[col({key} = \"...\")], a function or closure that computes its value from a `&{from_ty}`; or implement `From<{from_ty}> for {to_ty}`"
            );
        }
        format!(
            "give each such field #[col({key} = \"...\")], a function or closure that computes it from a `&{from_ty}`, or #[serde(default)]; or implement `From<{from_ty}> for {to_ty}`"
        )
    }

    /// The steps from `from` to `to`, each as `(from, to)`.
    fn steps(from: u32, to: u32) -> Vec<(u32, u32)> {
        if from <= to {
            (from..to).map(|v| (v, v + 1)).collect()
        } else {
            (to..from).rev().map(|v| (v + 1, v)).collect()
        }
    }

    /// `for<'a> UserV1: __UserV1ToV2, ...` for the steps from `from` to `to` that only a
    /// hand-written `From` can provide. The binder keeps the bound from being checked
    /// where it is written (a false bound without generics is an error there): it is
    /// checked where the conversion is used, with the step's diagnostic.
    fn step_bounds(&self, from: u32, to: u32) -> Vec<TokenStream> {
        Self::steps(from, to)
            .into_iter()
            .filter(|(a, b)| !self.step_is_built(*a, *b))
            .map(|(a, b)| {
                let ty = self.type_name(a);
                let step = self.step_trait(a, b);
                quote!(for<'__step> #ty: #step)
            })
            .collect()
    }

    /// `UserAny`: one variant per version, with the conversions to and from the latest.
    fn any_enum(&self) -> TokenStream {
        let vis = self.vis();
        let ident = self.ident();
        let any = self.any_name();
        let latest_ty = self.type_name(self.latest());
        let versions: Vec<u32> = self.history().versions().collect();
        let variants: Vec<syn::Ident> = versions.iter().map(|v| format_ident!("V{v}")).collect();
        let types: Vec<syn::Ident> = versions.iter().map(|v| self.type_name(*v)).collect();
        let numbers: Vec<Literal> = versions
            .iter()
            .map(|v| Literal::u32_unsuffixed(*v))
            .collect();
        let derives: Vec<&syn::Path> = ["Debug", "Clone", "PartialEq", "Eq"]
            .iter()
            .filter_map(|d| self.derive(d))
            .collect();
        let derive = (!derives.is_empty()).then(|| quote!(#[derive(#(#derives),*)]));
        let doc = format!(
            " Any version of `{ident}`: what a client of any version sends or is sent. `into_latest` upgrades it, `from_latest` picks the version that serves an API version."
        );
        // Every step towards the latest, each once: the chain from the oldest covers them.
        let upgrades = where_clause(&self.step_bounds(self.history().since, self.latest()));
        let downgrades = where_clause(&self.step_bounds(self.latest(), self.history().since));
        let (older, older_variants): (Vec<_>, Vec<_>) = versions
            .iter()
            .zip(&variants)
            .filter(|(v, _)| **v != self.latest())
            .map(|(v, var)| (Literal::u32_unsuffixed(*v), var))
            .unzip();
        let latest_variant = variants.last().expect("at least one version");
        let renamed = wire::renamed_const(self);
        quote! {
            #[doc = #doc]
            #derive
            #[allow(dead_code, clippy::large_enum_variant)]
            #vis enum #any {
                #(#variants(#types),)*
            }

            #(
                impl ::core::convert::From<#types> for #any {
                    fn from(value: #types) -> Self {
                        Self::#variants(value)
                    }
                }
            )*

            impl ::schema_core::AnyVersion for #any {
                type Latest = #latest_ty;
                #renamed

                fn version(&self) -> u32 {
                    match self {
                        #(Self::#variants(_) => #numbers,)*
                    }
                }
            }

            impl ::schema_core::IntoLatest for #any #upgrades {
                fn into_latest(self) -> #latest_ty {
                    match self {
                        #(Self::#variants(value) => ::schema_core::IntoVersion::<#latest_ty>::into_version(value),)*
                    }
                }
            }

            impl ::schema_core::FromLatest for #any #downgrades {
                fn from_latest(
                    latest: #latest_ty,
                    api: u32,
                ) -> ::core::result::Result<Self, ::schema_core::NotInVersion> {
                    ::core::result::Result::Ok(
                        match <Self as ::schema_core::AnyVersion>::type_version(api)? {
                            #(#older => Self::#older_variants(::schema_core::IntoVersion::into_version(latest)),)*
                            _ => Self::#latest_variant(latest),
                        },
                    )
                }
            }

            #[allow(dead_code)]
            impl #any {
                /// The version of the value held.
                pub fn version(&self) -> u32 {
                    <Self as ::schema_core::AnyVersion>::version(self)
                }

                /// The value as the latest version, through every upgrade step.
                pub fn into_latest(self) -> #latest_ty #upgrades {
                    <Self as ::schema_core::IntoLatest>::into_latest(self)
                }

                /// The latest value as the version that serves API version `api`: the newest
                /// version at or below it; an error below the table's first version.
                pub fn from_latest(
                    latest: #latest_ty,
                    api: u32,
                ) -> ::core::result::Result<Self, ::schema_core::NotInVersion> #downgrades {
                    <Self as ::schema_core::FromLatest>::from_latest(latest, api)
                }
            }
        }
    }
}

/// `where A: B, ...`, or nothing without bounds.
fn where_clause(bounds: &[TokenStream]) -> TokenStream {
    if bounds.is_empty() {
        TokenStream::new()
    } else {
        quote!(where #(#bounds,)*)
    }
}

/// `attr` without the derives in `remove` (by last segment); `None` when nothing is left.
fn without_derives(attr: syn::Attribute, remove: &[&str]) -> Option<syn::Attribute> {
    if !attr.path().is_ident("derive") {
        return Some(attr);
    }
    let Ok(paths) = attr.parse_args_with(
        syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
    ) else {
        return Some(attr);
    };
    let kept: Vec<&syn::Path> = paths
        .iter()
        .filter(|p| {
            !p.segments
                .last()
                .is_some_and(|s| remove.iter().any(|r| s.ident == r))
        })
        .collect();
    if kept.is_empty() {
        return None;
    }
    Some(syn::parse_quote!(#[derive(#(#kept),*)]))
}

/// Whether the standard library converts `from` to `to` with `From` (the lossless numeric
/// widenings).
fn lossless_from(from: &str, to: &str) -> bool {
    const WIDER: &[(&str, &[&str])] = &[
        ("i8", &["i16", "i32", "i64", "i128", "f32", "f64"]),
        ("i16", &["i32", "i64", "i128", "f32", "f64"]),
        ("i32", &["i64", "i128", "f64"]),
        ("i64", &["i128"]),
        (
            "u8",
            &[
                "u16", "u32", "u64", "u128", "i16", "i32", "i64", "i128", "f32", "f64",
            ],
        ),
        (
            "u16",
            &["u32", "u64", "u128", "i32", "i64", "i128", "f32", "f64"],
        ),
        ("u32", &["u64", "u128", "i64", "i128", "f64"]),
        ("u64", &["u128", "i128"]),
        ("f32", &["f64"]),
    ];
    WIDER
        .iter()
        .any(|(f, targets)| *f == from && targets.contains(&to))
}

/// `type` for `r#type`.
fn unraw(ident: &syn::Ident) -> String {
    let name = ident.to_string();
    name.strip_prefix("r#").unwrap_or(&name).to_owned()
}

/// A Rust identifier for a column name that `check` accepted as one: raw (`r#type`) when it
/// is a keyword.
fn rust_ident(name: &str, span: Span) -> syn::Ident {
    if syn::parse_str::<syn::Ident>(name).is_ok() {
        syn::Ident::new(name, span)
    } else {
        syn::Ident::new_raw(name, span)
    }
}
#[cfg(test)]
mod tests;
