//! Code generation for `#[versioned]`: per-version types and their conversions.

use proc_macro2::TokenStream;
use quote::quote;

use super::ParsedStruct;

/// The tokens that replace the annotated struct.
pub fn expand(parsed: &ParsedStruct) -> TokenStream {
    let item = &parsed.item;
    quote!(#item)
}

/// The macro's entry point: parse, check, expand; on error, the struct as written (without
/// its annotations) beside the compile errors, so that the user sees only the real error.
pub fn versioned(args: TokenStream, item: TokenStream) -> TokenStream {
    let item: syn::ItemStruct = match syn::parse2(item) {
        Ok(item) => item,
        Err(e) => return e.to_compile_error(),
    };
    match super::parse_struct(args, proc_macro2::Span::call_site(), &item) {
        Ok(parsed) => expand(&parsed),
        Err(e) => {
            let mut clean = item.clone();
            clean.attrs.retain(|a| !super::is_versioned_attr(a));
            for f in clean.fields.iter_mut() {
                f.attrs.retain(|a| !a.path().is_ident(super::symbol::COL));
            }
            let err = e.to_compile_error();
            quote!(#clean #err)
        }
    }
}
