//! The expansion of a versioned enum: one Rust enum per version (`OrderStatusV1`, ...; the
//! latest under the enum's own name, also reachable as `OrderStatusV{N}`), each with the
//! variants of its version, serde reading and writing exactly the database labels, `PgEnum`
//! (its type and each value's label), `From` to the next version and `TryFrom` back (a label
//! the older version does not have is an error).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::parse::enum_type::ParsedEnum;

/// Whether the enum derives serde's traits (then each variant is renamed to its label).
fn derives_serde(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("derive") && {
            let text = quote::ToTokens::to_token_stream(&a.meta).to_string();
            text.contains("Serialize") || text.contains("Deserialize")
        }
    })
}

pub fn expand_enum(p: &ParsedEnum) -> TokenStream {
    let item = &p.item;
    let ident = &item.ident;
    let vis = &item.vis;
    let h = &p.history;
    let sql_type = h.sql_type();
    let serde = derives_serde(&item.attrs);
    let outer = &item.attrs;
    let name_at = |v: u32| {
        if v == h.version {
            ident.clone()
        } else {
            format_ident!("{}V{}", ident, v, span = ident.span())
        }
    };
    let mut out = TokenStream::new();
    for v in h.since..=h.version {
        let name = name_at(v);
        let here: Vec<_> = item
            .variants
            .iter()
            .zip(&p.variants)
            .filter(|(_, pv)| pv.since <= v)
            .collect();
        let variants = here.iter().map(|(var, pv)| {
            let attrs = &var.attrs;
            let vid = &var.ident;
            let label = &pv.label;
            let rename = serde.then(|| quote!(#[serde(rename = #label)]));
            quote!(#(#attrs)* #rename #vid)
        });
        let arms = here.iter().map(|(var, pv)| {
            let vid = &var.ident;
            let label = &pv.label;
            quote!(Self::#vid => #label)
        });
        let labels = here.iter().map(|(_, pv)| &pv.label);
        let doc = (v != h.version).then(|| {
            let text = format!(" `{ident}` as it is at version {v} of {sql_type}.");
            quote!(#[doc = #text])
        });
        out.extend(quote! {
            #doc
            #(#outer)*
            #vis enum #name { #(#variants),* }

            impl ::schema_core::PgEnum for #name {
                const SQL_TYPE: &'static str = #sql_type;
                fn label(&self) -> &'static str {
                    match self { #(#arms),* }
                }
            }

            impl #name {
                /// The version of the enum type that this Rust enum is.
                #[allow(dead_code)]
                pub const VERSION: u32 = #v;
                /// The database labels of this version, in the type's order.
                #[allow(dead_code)]
                pub const LABELS: &'static [&'static str] = &[#(#labels),*];
            }
        });
    }
    let alias = format_ident!("{}V{}", ident, h.version, span = ident.span());
    let alias_doc = format!(" `{ident}`, the latest version of {sql_type}.");
    out.extend(quote! {
        #[doc = #alias_doc]
        #[allow(dead_code)]
        #vis type #alias = #ident;
    });
    for v in h.since..h.version {
        let (old, new) = (name_at(v), name_at(v + 1));
        let kept: Vec<_> = item
            .variants
            .iter()
            .zip(&p.variants)
            .filter(|(_, pv)| pv.since <= v)
            .map(|(var, _)| &var.ident)
            .collect();
        let added: Vec<_> = item
            .variants
            .iter()
            .zip(&p.variants)
            .filter(|(_, pv)| pv.since == v + 1)
            .map(|(var, pv)| (&var.ident, &pv.label))
            .collect();
        let added_arms = added.iter().map(|(vid, label)| {
            quote! {
                #new::#vid => ::core::result::Result::Err(::schema_core::enum_type::LabelNotInVersion {
                    enum_type: #sql_type,
                    label: #label,
                    version: #v,
                })
            }
        });
        out.extend(quote! {
            impl ::core::convert::From<#old> for #new {
                fn from(value: #old) -> Self {
                    match value { #(#old::#kept => #new::#kept),* }
                }
            }

            impl ::core::convert::TryFrom<#new> for #old {
                type Error = ::schema_core::enum_type::LabelNotInVersion;
                fn try_from(value: #new) -> ::core::result::Result<Self, Self::Error> {
                    match value {
                        #(#new::#kept => ::core::result::Result::Ok(#old::#kept),)*
                        #(#added_arms,)*
                    }
                }
            }
        });
    }
    out
}
