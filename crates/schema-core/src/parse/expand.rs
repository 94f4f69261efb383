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

mod convert;
mod wire;

use proc_macro2::{Literal, Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::spanned::Spanned;

use super::check::unwrap_option;
use super::{ParsedField, ParsedStruct};
use crate::history::{FieldHistory, Reference, Retype, TableHistory};

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
    out
}

/// The macro's entry point: parse, check, expand; on error, the struct as written (without
/// its annotations) beside the compile errors, so that the user sees only the real error.
pub fn versioned(args: TokenStream, item: TokenStream) -> TokenStream {
    let item: syn::ItemStruct = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Struct(item)) => item,
        Ok(other) => {
            let error = syn::Error::new(
                item_keyword_span(&other),
                "#[versioned] applies to a struct with named fields, one per column",
            )
            .to_compile_error();
            return quote!(#other #error);
        }
        Err(e) => return e.to_compile_error(),
    };
    match super::parse_struct(args.clone(), Span::call_site(), &item) {
        Ok(parsed) => expand(&parsed),
        Err(e) => {
            let mut clean = item.clone();
            clean.attrs.retain(|a| !super::is_versioned_attr(a));
            for f in clean.fields.iter_mut() {
                f.attrs.retain(|a| !a.path().is_ident(super::symbol::COL));
            }
            let err = e.to_compile_error();
            let stubs = stub_types(&args, &clean);
            quote!(#clean #stubs #err)
        }
    }
}

/// Stand-ins for the types the macro would have generated, for when the annotations have an
/// error: each version's name (`UserV1`, ...) and `UserAny` as aliases of the struct as written,
/// so that code using them compiles on and the user sees the real error, not a cascade of
/// "cannot find type". The versions are read from `version` and `since` as far as they parse.
fn stub_types(args: &TokenStream, clean: &syn::ItemStruct) -> TokenStream {
    let key = |name: &str| -> Option<u32> {
        let metas = syn::parse::Parser::parse2(
            syn::punctuated::Punctuated::<syn::MetaNameValue, syn::Token![,]>::parse_terminated,
            args.clone(),
        )
        .ok()?;
        metas.iter().find_map(|m| match (&m.path, &m.value) {
            (
                path,
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(i),
                    ..
                }),
            ) if path.is_ident(name) => i.base10_parse().ok(),
            _ => None,
        })
    };
    let ident = &clean.ident;
    let vis = &clean.vis;
    let any = format_ident!("{ident}Any");
    let mut out = quote! {
        #[doc(hidden)]
        #[allow(dead_code)]
        #vis type #any = #ident;
    };
    let Some(version) =
        key(super::symbol::VERSION).filter(|v| (1..=super::check::MAX_VERSION).contains(v))
    else {
        return out;
    };
    let since = key(super::symbol::SINCE).unwrap_or(1).clamp(1, version);
    for v in since..=version {
        let name = format_ident!("{ident}V{v}");
        out.extend(quote! {
            #[doc(hidden)]
            #[allow(dead_code)]
            #vis type #name = #ident;
        });
    }
    out
}

/// The `enum`, `fn`, `union`, ... keyword of an item that is not a struct, for the error.
fn item_keyword_span(item: &syn::Item) -> Span {
    match item {
        syn::Item::Enum(i) => i.enum_token.span,
        syn::Item::Union(i) => i.union_token.span,
        syn::Item::Fn(i) => i.sig.fn_token.span,
        syn::Item::Type(i) => i.type_token.span,
        syn::Item::Trait(i) => i.trait_token.span,
        syn::Item::Impl(i) => i.impl_token.span,
        syn::Item::Mod(i) => i.mod_token.span,
        other => other.span(),
    }
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
            self.history().construct()
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

/// Tokens of an expression that builds the value, with `::`-rooted paths.
trait Construct {
    fn construct(&self) -> TokenStream;
}

impl Construct for String {
    fn construct(&self) -> TokenStream {
        quote!(::std::string::String::from(#self))
    }
}

impl Construct for u32 {
    fn construct(&self) -> TokenStream {
        Literal::u32_unsuffixed(*self).into_token_stream()
    }
}

impl Construct for bool {
    fn construct(&self) -> TokenStream {
        self.into_token_stream()
    }
}

impl<T: Construct> Construct for Option<T> {
    fn construct(&self) -> TokenStream {
        match self {
            Some(value) => {
                let value = value.construct();
                quote!(::core::option::Option::Some(#value))
            }
            None => quote!(::core::option::Option::None),
        }
    }
}

impl<T: Construct> Construct for Vec<T> {
    fn construct(&self) -> TokenStream {
        let items = self.iter().map(Construct::construct);
        quote!(::std::vec![#(#items),*])
    }
}

impl<A: Construct, B: Construct> Construct for (A, B) {
    fn construct(&self) -> TokenStream {
        let (a, b) = (self.0.construct(), self.1.construct());
        quote!((#a, #b))
    }
}

/// `impl Construct` for a `schema_core` struct, field by field. The value is destructured, so
/// that a new field of the struct fails to compile here until it is listed.
macro_rules! construct_struct {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl Construct for $ty {
            fn construct(&self) -> TokenStream {
                let $ty { $($field),* } = self;
                $(let $field = $field.construct();)*
                quote!(::schema_core::$ty { $($field: #$field),* })
            }
        }
    };
}

impl Construct for crate::model::Identity {
    fn construct(&self) -> TokenStream {
        match self {
            crate::model::Identity::ByDefault => quote!(::schema_core::Identity::ByDefault),
            crate::model::Identity::Always => quote!(::schema_core::Identity::Always),
        }
    }
}

construct_struct!(Reference {
    schema,
    table,
    column
});
construct_struct!(Retype {
    at,
    old_sql_type,
    using,
    reverse
});
construct_struct!(FieldHistory {
    rust_name,
    column,
    sql_type,
    nullable,
    nullable_change,
    primary_key,
    unique,
    index,
    since,
    until,
    renamed_from,
    retyped,
    default,
    default_change,
    backfill,
    down,
    identity,
    references,
    check,
});
construct_struct!(TableHistory {
    rust_name,
    schema,
    table,
    since,
    version,
    until,
    renamed_from,
    fields,
});

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proc_macro2::TokenStream;
    use quote::{ToTokens, quote};

    use super::versioned;

    /// The generated file for `#[versioned(args)] item`.
    fn expand(args: TokenStream, item: TokenStream) -> syn::File {
        let out = versioned(args, item);
        syn::parse2(out.clone()).unwrap_or_else(|e| panic!("{e}: {out}"))
    }

    fn text(tokens: impl ToTokens) -> String {
        tokens.to_token_stream().to_string().replace(' ', "")
    }

    fn structs(file: &syn::File) -> BTreeSet<String> {
        file.items
            .iter()
            .filter_map(|i| match i {
                syn::Item::Struct(s) => Some(s.ident.to_string()),
                _ => None,
            })
            .collect()
    }

    fn struct_fields(file: &syn::File, name: &str) -> Vec<String> {
        let s = file
            .items
            .iter()
            .find_map(|i| match i {
                syn::Item::Struct(s) if s.ident == name => Some(s),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no struct {name}"));
        s.fields
            .iter()
            .map(|f| f.ident.as_ref().unwrap().to_string())
            .collect()
    }

    /// `(trait, self type)` of every impl, as compact text.
    fn impls(file: &syn::File) -> BTreeSet<(String, String)> {
        file.items
            .iter()
            .filter_map(|i| match i {
                syn::Item::Impl(i) => {
                    let tr = i
                        .trait_
                        .as_ref()
                        .map(|(_, p, _)| text(p))
                        .unwrap_or_default();
                    Some((tr, text(&i.self_ty)))
                }
                _ => None,
            })
            .collect()
    }

    /// The `From` conversions between version types (not into the `Any` enum).
    fn froms(file: &syn::File) -> BTreeSet<String> {
        impls(file)
            .into_iter()
            .filter_map(|(tr, ty)| {
                let from = tr
                    .strip_prefix("::core::convert::From<")?
                    .strip_suffix('>')?;
                (!ty.ends_with("Any")).then(|| format!("{from}->{ty}"))
            })
            .collect()
    }

    /// `alias=type` of every type alias.
    fn aliases(file: &syn::File) -> Vec<String> {
        file.items
            .iter()
            .filter_map(|i| match i {
                syn::Item::Type(t) => Some(format!("{}={}", t.ident, text(&t.ty))),
                _ => None,
            })
            .collect()
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn user() -> (TokenStream, TokenStream) {
        let args = quote!(table = "users", version = 3);
        let item = quote! {
            /// Accounts.
            #[derive(Debug, Clone)]
            pub struct User {
                #[col(primary_key)]
                pub id: i64,
                #[col(unique)]
                pub email: String,
                #[col(since = 2, backfill = "split_part(email, '@', 1)")]
                pub display_name: String,
                #[col(since = 2, references = "orgs(id)", index)]
                pub org_id: Option<i64>,
                #[col(renamed_from = "name", renamed_at = 3)]
                pub full_name: Option<String>,
                #[col(until = 3)]
                pub nickname: Option<String>,
            }
        };
        (args, item)
    }

    #[test]
    fn one_type_per_version_and_an_alias_for_the_latest() {
        let (args, item) = user();
        let file = expand(args, item);
        assert_eq!(structs(&file), set(&["User", "UserV1", "UserV2"]));
        assert_eq!(aliases(&file), ["UserV3=User"]);
        let versioned: BTreeSet<String> = impls(&file)
            .into_iter()
            .filter(|(tr, _)| tr == "::schema_core::Versioned")
            .map(|(_, ty)| ty)
            .collect();
        assert_eq!(versioned, set(&["User", "UserV1", "UserV2"]));
    }

    #[test]
    fn each_version_has_its_fields_under_their_names_then() {
        let (args, item) = user();
        let file = expand(args, item);
        assert_eq!(
            struct_fields(&file, "UserV1"),
            ["id", "email", "name", "nickname"]
        );
        assert_eq!(
            struct_fields(&file, "UserV2"),
            ["id", "email", "display_name", "org_id", "name", "nickname"]
        );
        assert_eq!(
            struct_fields(&file, "User"),
            ["id", "email", "display_name", "org_id", "full_name"]
        );
    }

    #[test]
    fn col_and_versioned_attributes_are_stripped_and_others_kept() {
        let (args, item) = user();
        let out = versioned(args, item);
        let file: syn::File = syn::parse2(out).unwrap();
        for item in &file.items {
            if let syn::Item::Struct(s) = item {
                assert!(!s.attrs.iter().any(|a| a.path().is_ident("versioned")));
                for f in &s.fields {
                    assert!(!f.attrs.iter().any(|a| a.path().is_ident("col")), "{f:?}");
                }
                let attrs: Vec<String> = s.attrs.iter().map(text).collect();
                assert!(
                    attrs.contains(&"#[derive(Debug,Clone)]".to_owned()),
                    "{attrs:?}"
                );
                if s.ident == "UserV1" {
                    assert_eq!(attrs[0], "#[doc=\"Version1of`User`.\"]");
                    assert_eq!(attrs[1], "#[doc=\"\"]");
                    assert_eq!(attrs[2], "#[doc=r\"Accounts.\"]");
                }
            }
        }
    }

    #[test]
    fn conversions_only_where_they_can_be_derived() {
        let (args, item) = user();
        let file = expand(args, item);
        // display_name is a new NOT NULL field at 2: no upgrade 1 -> 2; nickname (an
        // Option) is removed at 3: both ways between 2 and 3.
        assert_eq!(
            froms(&file),
            set(&["UserV2->UserV1", "UserV2->User", "User->UserV2"])
        );
    }

    #[test]
    fn removing_a_not_null_field_has_no_downgrade() {
        let file = expand(
            quote!(table = "t", version = 2),
            quote! {
                struct T {
                    #[col(primary_key)]
                    id: i64,
                    #[col(until = 2)]
                    legacy: String,
                    #[col(since = 2)]
                    note: Option<String>,
                }
            },
        );
        assert_eq!(froms(&file), set(&["TV1->T"]));
        let upgrade = file
            .items
            .iter()
            .find_map(|i| match i {
                syn::Item::Impl(i)
                    if text(&i.self_ty) == "T"
                        && i.trait_
                            .as_ref()
                            .is_some_and(|t| text(&t.1).contains("From")) =>
                {
                    Some(text(i))
                }
                _ => None,
            })
            .unwrap();
        assert!(upgrade.contains("id:value.id"), "{upgrade}");
        assert!(
            upgrade.contains("note:::core::option::Option::None"),
            "{upgrade}"
        );
        assert!(!upgrade.contains("legacy"), "{upgrade}");
    }

    /// The code emitted for a struct with `versions` versions, a field added and removed
    /// along the way and a step only a hand-written `From` builds.
    fn emitted_size(versions: u32) -> usize {
        let (half, late) = (versions / 2, versions - 1);
        let out = versioned(
            quote!(table = "t", version = #versions),
            quote! {
                #[derive(Debug, Clone)]
                struct T {
                    #[col(primary_key)]
                    id: i64,
                    #[col(since = 2, default = "0")]
                    gap: i64,
                    #[col(since = #half)]
                    note: Option<String>,
                    #[col(until = #late)]
                    legacy: Option<i32>,
                }
            },
        );
        let text = out.to_string();
        assert!(!text.contains("compile_error"), "{text}");
        text.len()
    }

    #[test]
    fn the_emitted_code_grows_linearly_with_the_versions() {
        let (small, large) = (emitted_size(100), emitted_size(400));
        let ratio = large as f64 / small as f64;
        assert!(
            (3.5..4.5).contains(&ratio),
            "100 versions: {small} chars, 400: {large} ({ratio:.2}x)"
        );
    }

    #[test]
    fn a_renamed_field_carries_its_value_both_ways() {
        let file = expand(
            quote!(table = "t", version = 2),
            quote! {
                struct T {
                    #[col(primary_key)]
                    id: i64,
                    #[col(renamed_from = "type", renamed_at = 2)]
                    kind: String,
                }
            },
        );
        assert_eq!(froms(&file), set(&["TV1->T", "T->TV1"]));
        let out = text(&file);
        assert!(out.contains("kind:value.r#type"), "{out}");
        assert!(out.contains("r#type:value.kind"), "{out}");
    }

    #[test]
    fn a_table_created_later_starts_at_its_since() {
        let file = expand(
            quote!(table = "t", version = 3, since = 2),
            quote! {
                pub(crate) struct T {
                    #[col(primary_key)]
                    pub id: i64,
                }
            },
        );
        assert_eq!(structs(&file), set(&["T", "TV2"]));
        assert_eq!(froms(&file), set(&["TV2->T", "T->TV2"]));
        let alias = file.items.iter().find_map(|i| match i {
            syn::Item::Type(t) => Some(t),
            _ => None,
        });
        assert_eq!(text(&alias.unwrap().vis), "pub(crate)");
    }

    #[test]
    fn a_dropped_table_has_types_up_to_the_version_before_its_until() {
        let file = expand(
            quote!(table = "t", version = 4, until = 3),
            quote! {
                pub struct T {
                    #[col(primary_key)]
                    pub id: i64,
                    #[col(since = 2)]
                    pub note: Option<String>,
                }
            },
        );
        assert_eq!(structs(&file), set(&["T", "TV1"]));
        assert_eq!(struct_fields(&file, "T"), ["id", "note"]);
        assert_eq!(froms(&file), set(&["TV1->T", "T->TV1"]));
        assert_eq!(aliases(&file), ["TV2=T"]);
        let versioned = impl_text(&file, "::schema_core::Versioned", "T");
        assert!(versioned.contains("constLATEST:u32=2;"), "{versioned}");
        assert!(
            versioned.contains(
                "constUNTIL:::core::option::Option<u32>=::core::option::Option::Some(3);"
            ),
            "{versioned}"
        );
        let out = text(&file);
        assert!(
            out.contains("until:::core::option::Option::Some(3),renamed_from:::core::option::Option::None,fields:"),
            "{out}"
        );
    }

    #[test]
    fn history_is_built_literally() {
        let (args, item) = user();
        let out = text(versioned(args, item));
        assert!(
            out.contains("table:::std::string::String::from(\"users\")"),
            "{out}"
        );
        assert!(out.contains(
            "renamed_from:::core::option::Option::Some((::std::string::String::from(\"name\"),3))"
        ));
        assert!(out.contains("references:::core::option::Option::Some(::schema_core::Reference{"));
        assert!(
            out.contains("<Useras::schema_core::Versioned>::history()"),
            "{out}"
        );
    }

    #[test]
    fn errors_keep_the_struct_without_annotations() {
        let out = versioned(
            quote!(tabel = "users", version = 1),
            quote!(
                struct T {
                    #[col(primary_key)]
                    id: i64,
                }
            ),
        );
        let out = text(out);
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("structT{id:i64,}"), "{out}");
    }

    #[test]
    fn an_enum_is_refused() {
        let out = versioned(
            quote!(table = "t", version = 1),
            quote!(
                enum E {
                    A,
                }
            ),
        );
        let out = out.to_string();
        assert!(
            out.contains("applies to a struct with named fields"),
            "{out}"
        );
        assert!(out.contains("enum E"), "{out}");
    }

    /// The compact text of the impl of `tr` (a prefix of its path) for `ty`.
    fn impl_text(file: &syn::File, tr: &str, ty: &str) -> String {
        file.items
            .iter()
            .find_map(|i| match i {
                syn::Item::Impl(i)
                    if text(&i.self_ty) == ty
                        && i.trait_
                            .as_ref()
                            .is_some_and(|t| text(&t.1).starts_with(tr)) =>
                {
                    Some(text(i))
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("no impl {tr} for {ty}"))
    }

    /// The `on_unimplemented` message of the hidden trait `name`.
    fn trait_message(file: &syn::File, name: &str) -> String {
        let t = file
            .items
            .iter()
            .find_map(|i| match i {
                syn::Item::Trait(t) if t.ident == name => Some(t),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no trait {name}"));
        let attr = t
            .attrs
            .iter()
            .find(|a| text(a.path()) == "diagnostic::on_unimplemented")
            .unwrap();
        let mut message = String::new();
        attr.parse_nested_meta(|meta| {
            let value: syn::LitStr = meta.value()?.parse()?;
            if meta.path.is_ident("message") {
                message = value.value();
            }
            Ok(())
        })
        .unwrap();
        message
    }

    #[test]
    fn new_fields_are_filled_by_upgrade_with_or_their_serde_default() {
        let file = expand(
            quote!(table = "t", version = 2),
            quote! {
                struct T {
                    #[col(primary_key)]
                    id: i64,
                    #[col(since = 2, default = "''", upgrade_with = "label_of")]
                    label: String,
                    #[col(since = 2, default = "0")]
                    #[serde(default = "seven")]
                    rank: i32,
                    #[col(since = 2, default = "0")]
                    #[serde(default)]
                    score: i64,
                }
            },
        );
        assert_eq!(froms(&file), set(&["TV1->T", "T->TV1"]));
        let upgrade = impl_text(&file, "::core::convert::From<TV1>", "T");
        assert!(
            upgrade
                .contains("let__label:String=::schema_core::runtime::fill(label_of,&value);Self{"),
            "{upgrade}"
        );
        assert!(upgrade.contains("label:__label"), "{upgrade}");
        assert!(upgrade.contains("rank:seven()"), "{upgrade}");
        assert!(
            upgrade.contains("score:::core::default::Default::default()"),
            "{upgrade}"
        );
    }

    #[test]
    fn a_removed_field_is_filled_by_downgrade_with() {
        let file = expand(
            quote!(table = "t", version = 2),
            quote! {
                struct T {
                    #[col(primary_key)]
                    id: i64,
                    #[col(until = 2, downgrade_with = "|t: &T| t.id * 2")]
                    legacy: i64,
                }
            },
        );
        assert_eq!(froms(&file), set(&["TV1->T", "T->TV1"]));
        let downgrade = impl_text(&file, "::core::convert::From<T>", "TV1");
        assert!(
            downgrade
                .contains("let__legacy:i64=::schema_core::runtime::fill(|t:&T|t.id*2,&value);"),
            "{downgrade}"
        );
    }

    #[test]
    fn a_step_that_cannot_be_built_names_its_fields() {
        let (args, item) = user();
        let file = expand(args, item);
        assert_eq!(
            trait_message(&file, "__UserV1ToV2"),
            "cannot convert `UserV1` to `UserV2`: field `display_name` is new at version 2, not an Option, without a default"
        );
        assert_eq!(
            trait_message(&file, "__UserV2ToV3"),
            "cannot convert `UserV2` to `User`"
        );
        let file = expand(
            quote!(table = "t", version = 3),
            quote! {
                struct T {
                    #[col(primary_key)]
                    id: i64,
                    #[col(until = 3)]
                    a: String,
                    #[col(until = 3)]
                    r#type: i32,
                }
            },
        );
        assert_eq!(
            trait_message(&file, "__TV3ToV2"),
            "cannot convert `T` to `TV2`: fields `a`, `r#type` were removed at version 3, not Options, without a default"
        );
    }

    #[test]
    fn conversions_are_bounded_on_the_steps_that_are_not_generated() {
        let (args, item) = user();
        let file = expand(args, item);
        // 1 -> 2 needs a hand-written `From`; the other steps are generated. Versions 1 and
        // 2, 3 are two segments of upgrades; all three are one of downgrades.
        let segments = |ty: &str| {
            let version = impl_text(&file, "__UserVersion", ty);
            let up = version.contains("type__Up=__UserUp1;");
            assert!(version.contains("type__Down=__UserDown0;"), "{version}");
            if up { 1 } else { 0 }
        };
        assert_eq!(
            ["UserV1", "UserV2", "User"].map(segments),
            [0, 1, 1],
            "upgrade segments"
        );
        let up = impl_text(&file, "__UserReach<__UserUp1>", "__UserUp0");
        assert!(
            up.contains(
                "wherefor<'__step>UserV1:__UserV1ToV2,for<'__step>__UserUp1:__UserReach<__UserUp1>,"
            ),
            "{up}"
        );
        assert!(
            up.contains("UserAny::V1(value)=><__UserUp1as__UserReach<__UserUp1>>::__walk(UserAny::V2(<UserV1as__UserV1ToV2>::__convert(value)),to,)"),
            "{up}"
        );
        let away = impl_text(&file, "__UserReach<__UserUp0>", "__UserUp1");
        assert!(!away.contains("where"), "{away}");
        assert!(away.contains("{any}"), "{away}");
        let down = impl_text(&file, "__UserReach<__UserDown0>", "__UserDown0");
        assert!(!down.contains("where"), "{down}");
        // The walk takes every generated step, and not the one only the user writes.
        let out = text(&file);
        assert!(out.contains("Self::V2(value)ifto>2=>Self::V3("), "{out}");
        assert!(out.contains("Self::V2(value)ifto<2=>Self::V1("), "{out}");
        assert!(!out.contains("Self::V1(value)ifto>1"), "{out}");
        let into = impl_text(&file, "::schema_core::IntoVersion", "UserV2");
        assert!(
            into.contains("impl<T:__UserFrom<__UserUp1,__UserDown0>>"),
            "{into}"
        );
        let latest = impl_text(&file, "::schema_core::IntoLatest", "UserAny");
        assert!(
            latest.contains("wherefor<'__step>UserV1:__UserV1ToV2,"),
            "{latest}"
        );
        let from_latest = impl_text(&file, "::schema_core::FromLatest", "UserAny");
        assert!(!from_latest.contains("where"), "{from_latest}");
    }

    #[test]
    fn the_any_enum_has_a_variant_per_version_and_the_common_derives() {
        let (args, item) = user();
        let file = expand(args, item);
        let any = file
            .items
            .iter()
            .find_map(|i| match i {
                syn::Item::Enum(e) if e.ident == "UserAny" => Some(e),
                _ => None,
            })
            .unwrap();
        let variants: Vec<String> = any
            .variants
            .iter()
            .map(|v| format!("{}{}", v.ident, text(&v.fields)))
            .collect();
        assert_eq!(variants, ["V1(UserV1)", "V2(UserV2)", "V3(User)"]);
        assert!(
            any.attrs
                .iter()
                .any(|a| text(a) == "#[derive(Debug,Clone)]")
        );
        // No serde derive: no serde items.
        assert!(!text(&file).contains("schema_core::api::serde"));
    }

    /// `(struct, its attributes)` of each generated struct, with its fields' attributes.
    fn struct_attrs(file: &syn::File) -> Vec<(String, String)> {
        file.items
            .iter()
            .filter_map(|i| match i {
                syn::Item::Struct(s) => {
                    let fields: Vec<String> = s
                        .fields
                        .iter()
                        .flat_map(|f| f.attrs.iter().map(text))
                        .collect();
                    let attrs: Vec<String> = s.attrs.iter().map(text).collect();
                    Some((
                        s.ident.to_string(),
                        format!("{} | {}", attrs.join(" "), fields.join(" ")),
                    ))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn window_versions_trade_their_serde_derives_for_a_twin() {
        let file = expand(
            quote!(table = "t", version = 3),
            quote! {
                #[derive(Debug, Serialize, Deserialize)]
                #[serde(deny_unknown_fields)]
                struct T {
                    #[col(primary_key)]
                    id: i64,
                    #[col(renamed_from = "name", renamed_at = 2, old_name_until = 3)]
                    #[serde(default)]
                    full_name: String,
                }
            },
        );
        let attrs = struct_attrs(&file);
        assert_eq!(
            attrs,
            [
                (
                    "TV1".to_owned(),
                    "#[doc=\"Version1of`T`.\"] #[derive(Debug,Serialize,Deserialize)] #[serde(deny_unknown_fields)] #[allow(dead_code)] | #[serde(default)]".to_owned()
                ),
                (
                    "TV2".to_owned(),
                    "#[doc=\"Version2of`T`.\"] #[derive(Debug)] #[allow(dead_code)] | ".to_owned()
                ),
                (
                    "T".to_owned(),
                    "#[derive(Debug,Serialize,Deserialize)] #[serde(deny_unknown_fields)] | #[serde(default)]".to_owned()
                ),
            ]
        );
        let all = text(&file);
        assert!(
            all.contains("#[derive(Serialize,Deserialize)]#[serde(remote=\"TV2\")]#[serde(deny_unknown_fields)]#[allow(dead_code,non_camel_case_types)]struct__TV2Wire{id:i64,#[serde(default)]full_name:String,}"),
            "{all}"
        );
        assert!(
            all.contains(
                "::schema_core::api::serde::BothNames::new(serializer,&[(\"full_name\",\"name\")])"
            ),
            "{all}"
        );
        assert!(
            all.contains("impl::schema_core::api::serde::__serde::SerializeforTAny"),
            "{all}"
        );
        assert!(
            all.contains("::schema_core::api::serde::DeserializeVersionforTAny"),
            "{all}"
        );
    }

    #[test]
    fn without_a_window_only_reading_changes() {
        let file = expand(
            quote!(table = "t", version = 2),
            quote! {
                #[derive(Serialize, Deserialize)]
                struct T {
                    #[col(primary_key)]
                    id: i64,
                    #[col(renamed_from = "name", renamed_at = 2)]
                    full_name: String,
                }
            },
        );
        let attrs = struct_attrs(&file);
        assert_eq!(
            attrs[1],
            ("T".to_owned(), "#[derive(Serialize)] | ".to_owned())
        );
        let all = text(&file);
        assert!(
            all.contains("#[derive(Deserialize)]#[serde(remote=\"T\")]"),
            "{all}"
        );
        assert!(!all.contains("BothNames"), "{all}");
        assert!(
            all.contains(
                "::schema_core::api::serde::either_name(deserializer,&[(\"full_name\",\"name\")]"
            ),
            "{all}"
        );
    }
}
