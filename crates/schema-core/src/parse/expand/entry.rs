//! The macro's entry point, and what it emits when the annotations have an error: the struct
//! as written and stand-ins for the generated types, beside the compile errors.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::spanned::Spanned;

use super::expand;

/// The macro's entry point: parse, check, expand; on error, the struct as written (without
/// its annotations) beside the compile errors, so that the user sees only the real error.
pub fn versioned(args: TokenStream, item: TokenStream) -> TokenStream {
    let item: syn::ItemStruct = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Struct(item)) => item,
        Ok(syn::Item::Enum(e)) if crate::parse::enum_type::names_enum_type(&args) => {
            return match crate::parse::enum_type::parse_enum(args, Span::call_site(), &e) {
                Ok(parsed) => super::expand_enum(&parsed),
                Err(err) => {
                    let mut clean = e.clone();
                    clean.attrs.retain(|a| !crate::parse::is_versioned_attr(a));
                    for v in clean.variants.iter_mut() {
                        v.attrs
                            .retain(|a| !a.path().is_ident(crate::parse::symbol::VARIANT));
                    }
                    let err = err.to_compile_error();
                    quote!(#clean #err)
                }
            };
        }
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
    match crate::parse::parse_struct(args.clone(), Span::call_site(), &item) {
        Ok(parsed) => expand(&parsed),
        Err(e) => {
            let mut clean = item.clone();
            clean.attrs.retain(|a| {
                !crate::parse::is_versioned_attr(a)
                    && crate::parse::object::object_attr(a).is_none()
                    && !crate::parse::raw_sql::is_raw_sql_attr(a)
            });
            for f in clean.fields.iter_mut() {
                f.attrs
                    .retain(|a| !a.path().is_ident(crate::parse::symbol::COL));
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
    let Some(version) = key(crate::parse::symbol::VERSION)
        .filter(|v| (1..=crate::parse::check::MAX_VERSION).contains(v))
    else {
        return out;
    };
    let since = key(crate::parse::symbol::SINCE)
        .unwrap_or(1)
        .clamp(1, version);
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
