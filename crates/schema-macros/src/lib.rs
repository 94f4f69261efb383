//! `#[versioned]`: a thin shell over `schema_core::parse`, which parses, checks and expands.

use proc_macro::TokenStream;

/// Turns an annotated struct into one type per version (`UserV1`, `UserV2`, ..., the latest
/// under the struct's own name) with conversions between neighbouring versions.
/// See the README for the keys of `#[versioned(...)]` and `#[col(...)]`.
#[proc_macro_attribute]
pub fn versioned(args: TokenStream, item: TokenStream) -> TokenStream {
    schema_core::parse::expand::versioned(args.into(), item.into()).into()
}
