//! The serde side of the generated types, emitted only for the serde derives the struct has:
//! `UserAny` serializes as the version it holds and deserializes as a requested version, and
//! the versions of a renamed field speak the old name in the phases the annotation sets.
//!
//! A rename of `display_name` to `name` at version 4 with `old_name_until = 5`:
//!
//! | versions | serialized as | deserialized from |
//! |---|---|---|
//! | below 4 | `display_name` | `display_name` |
//! | 4 (the window) | `name` and `display_name` | either; `name` wins when both are present |
//! | 5 on | `name` | `name` |
//!
//! Without `old_name_until`, the versions from 4 on serialize `name` and read either.
//!
//! A version with such a phase keeps the struct's serde attributes on a hidden twin
//! (`#[serde(remote = "UserV4")]`), and its own `Serialize` / `Deserialize` call the twin
//! through `schema_core::api::serde` (which needs the `serde` feature of `schema-core`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::Types;
use crate::parse::ParsedField;

/// The runtime support module.
fn support() -> TokenStream {
    quote!(::schema_core::api::serde)
}

/// What one renamed field does at one version.
struct Phase {
    /// The new name as serialized.
    new: String,
    /// The old name as serialized.
    old: String,
    /// Responses carry both names (inside the deprecation window).
    both_out: bool,
}

/// Every serde item for the struct.
pub(super) fn expand(types: &Types) -> TokenStream {
    let mut out = TokenStream::new();
    if types.derive("Serialize").is_some() {
        out.extend(any_serialize(types));
    }
    if types.derive("Deserialize").is_some() {
        out.extend(any_deserialize(types));
    }
    for v in types.history().versions() {
        out.extend(phase_impls(types, v));
    }
    if types.derive("JsonSchema").is_some() {
        out.extend(version_schema(types));
    }
    out
}

/// `VersionSchema for UserAny`: each version's JSON Schema, with the old name of a renamed
/// field beside the new one in the versions that read it.
fn version_schema(types: &Types) -> TokenStream {
    let any = types.any_name();
    let (older, numbers) = older_versions(types);
    let tys = older.iter().map(|v| types.type_name(*v));
    let latest_ty = types.type_name(types.latest());
    quote! {
        impl ::schema_core::api::schema::VersionSchema for #any {
            fn json_schema(
                api: u32,
            ) -> ::core::result::Result<::schema_core::api::schema::Schema, ::schema_core::NotInVersion> {
                let version = <Self as ::schema_core::AnyVersion>::type_version(api)?;
                let schema = match version {
                    #(#numbers => ::schema_core::api::schema::root_schema::<#tys>(),)*
                    _ => ::schema_core::api::schema::root_schema::<#latest_ty>(),
                };
                ::core::result::Result::Ok(::schema_core::api::schema::with_renames(
                    schema,
                    <Self as ::schema_core::AnyVersion>::RENAMED,
                    version,
                ))
            }
        }
    }
}

/// The serde derives of version `v` that its rename phases replace.
pub(super) fn replaced_derives(types: &Types, v: u32) -> Vec<&'static str> {
    let phases = phases(types, v);
    let mut out = Vec::new();
    if types.derive("Serialize").is_some() && phases.iter().any(|p| p.both_out) {
        out.push("Serialize");
    }
    if types.derive("Deserialize").is_some() && !phases.is_empty() {
        out.push("Deserialize");
    }
    out
}

/// The field's serde default as an expression: `#[serde(default)]` or
/// `#[serde(default = "path")]`.
pub(super) fn serde_default(field: &syn::Field) -> Option<TokenStream> {
    serde_keys(&field.attrs)
        .into_iter()
        .find_map(|(key, value)| match (key.as_str(), value) {
            ("default", None) => Some(quote!(::core::default::Default::default())),
            ("default", Some(path)) => {
                let path: syn::ExprPath = path.parse().ok()?;
                Some(quote!(#path()))
            }
            _ => None,
        })
}

/// `key` and `key = "string"` items of every `#[serde(...)]` attribute; anything else
/// (nested lists, other literals) is skipped: serde reports what is wrong with it.
fn serde_keys(attrs: &[syn::Attribute]) -> Vec<(String, Option<syn::LitStr>)> {
    let mut out = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            let key = meta
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default();
            if meta.input.peek(syn::Token![=]) {
                let expr: syn::Expr = meta.value()?.parse()?;
                let value = match expr {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => Some(s),
                    _ => return Ok(()),
                };
                out.push((key, value));
            } else if meta.input.peek(syn::token::Paren) {
                let content;
                syn::parenthesized!(content in meta.input);
                let _: TokenStream = content.parse()?;
            } else {
                out.push((key, None));
            }
            Ok(())
        });
    }
    out
}

/// The name serde gives field `name` with `attrs`, under the struct's `rename_all`.
fn wire_name(types: &Types, name: &str, attrs: &[syn::Attribute]) -> String {
    let keys = serde_keys(attrs);
    if let Some((_, Some(rename))) = keys.iter().find(|(k, _)| k == "rename") {
        return rename.value();
    }
    let rename_all = serde_keys(&types.parsed.item.attrs)
        .into_iter()
        .find_map(|(k, v)| (k == "rename_all").then_some(v).flatten());
    match rename_all {
        Some(rule) => apply_rename_all(&rule.value(), name),
        None => name.to_owned(),
    }
}

/// serde's `rename_all` rules for a snake_case field name.
fn apply_rename_all(rule: &str, field: &str) -> String {
    let pascal = || -> String {
        field
            .split('_')
            .map(|word| {
                let mut chars = word.chars();
                chars
                    .next()
                    .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect()
    };
    match rule {
        "UPPERCASE" | "SCREAMING_SNAKE_CASE" => field.to_ascii_uppercase(),
        "PascalCase" => pascal(),
        "camelCase" => {
            let p = pascal();
            let mut chars = p.chars();
            chars
                .next()
                .map(|c| c.to_ascii_lowercase().to_string() + chars.as_str())
                .unwrap_or_default()
        }
        "kebab-case" => field.replace('_', "-"),
        "SCREAMING-KEBAB-CASE" => field.replace('_', "-").to_ascii_uppercase(),
        _ => field.to_owned(),
    }
}

/// The rename phases of version `v`, one per renamed field whose old name the API still
/// speaks at `v`.
fn phases(types: &Types, v: u32) -> Vec<Phase> {
    types
        .fields_at(v)
        .filter_map(|field| phase(types, field, v))
        .collect()
}

fn phase(types: &Types, field: &ParsedField, v: u32) -> Option<Phase> {
    let history = types.field_history(field);
    let (old, at) = history.renamed_from.as_ref()?;
    if v < *at || field.old_name_until.is_some_and(|until| v >= until) {
        return None;
    }
    let attrs = &field.field.attrs;
    let new = wire_name(types, &history.column, attrs);
    let old = wire_name(types, old, attrs);
    (new != old).then_some(Phase {
        new,
        old,
        both_out: field.old_name_until.is_some(),
    })
}

/// `const RENAMED` of `AnyVersion for UserAny`: each renamed field under the names serde
/// writes, for the deprecation headers and usage counters; nothing without renames.
pub(super) fn renamed_const(types: &Types) -> TokenStream {
    let renamed: Vec<TokenStream> = types
        .parsed
        .fields
        .iter()
        .filter_map(|field| {
            let history = types.field_history(field);
            let (old, at) = history.renamed_from.as_ref()?;
            let attrs = &field.field.attrs;
            let (new, old) = (
                wire_name(types, &history.column, attrs),
                wire_name(types, old, attrs),
            );
            if new == old {
                return None;
            }
            let option = |value: Option<TokenStream>| match value {
                Some(v) => quote!(::core::option::Option::Some(#v)),
                None => quote!(::core::option::Option::None),
            };
            let until = option(field.old_name_until.map(|u| quote!(#u)));
            let sunset = option(field.sunset.as_ref().map(|s| quote!(#s)));
            Some(quote! {
                ::schema_core::RenamedField {
                    name: #new,
                    old_name: #old,
                    renamed_at: #at,
                    old_name_until: #until,
                    sunset: #sunset,
                }
            })
        })
        .collect();
    if renamed.is_empty() {
        return TokenStream::new();
    }
    quote! {
        const RENAMED: &'static [::schema_core::RenamedField] = &[#(#renamed),*];
    }
}

/// `Serialize for UserAny`: the value as the version it holds.
fn any_serialize(types: &Types) -> TokenStream {
    let serde = support();
    let any = types.any_name();
    let variants = types
        .history()
        .versions()
        .map(|v| format_ident!("V{v}"))
        .collect::<Vec<_>>();
    quote! {
        impl #serde::__serde::Serialize for #any {
            fn serialize<__S>(&self, serializer: __S) -> ::core::result::Result<__S::Ok, __S::Error>
            where
                __S: #serde::__serde::Serializer,
            {
                match self {
                    #(Self::#variants(value) => #serde::__serde::Serialize::serialize(value, serializer),)*
                }
            }
        }
    }
}

/// The versions before the latest, and each as a literal for a `match` arm.
fn older_versions(types: &Types) -> (Vec<u32>, Vec<proc_macro2::Literal>) {
    let latest = types.latest();
    let older: Vec<u32> = types
        .history()
        .versions()
        .filter(|v| *v != latest)
        .collect();
    let numbers = older
        .iter()
        .map(|v| proc_macro2::Literal::u32_unsuffixed(*v))
        .collect();
    (older, numbers)
}

/// `DeserializeVersion for UserAny`: the input read as the version that serves an API
/// version.
fn any_deserialize(types: &Types) -> TokenStream {
    let serde = support();
    let any = types.any_name();
    let latest = types.latest();
    let (older, numbers) = older_versions(types);
    let variants = older.iter().map(|v| format_ident!("V{v}"));
    let tys = older.iter().map(|v| types.type_name(*v));
    let latest_variant = format_ident!("V{latest}");
    let latest_ty = types.type_name(latest);
    quote! {
        impl #serde::DeserializeVersion for #any {
            fn deserialize_version<'de, __D>(
                api: u32,
                deserializer: __D,
            ) -> ::core::result::Result<Self, __D::Error>
            where
                __D: #serde::__serde::Deserializer<'de>,
            {
                let version = <Self as ::schema_core::AnyVersion>::type_version(api)
                    .map_err(<__D::Error as #serde::__serde::de::Error>::custom)?;
                match version {
                    #(#numbers => <#tys as #serde::__serde::Deserialize<'de>>::deserialize(deserializer).map(Self::#variants),)*
                    _ => <#latest_ty as #serde::__serde::Deserialize<'de>>::deserialize(deserializer).map(Self::#latest_variant),
                }
            }
        }
    }
}

/// The hidden twin and the replaced serde impls of version `v`, when it has phases.
fn phase_impls(types: &Types, v: u32) -> TokenStream {
    let replaced = replaced_derives(types, v);
    if replaced.is_empty() {
        return TokenStream::new();
    }
    let serde = support();
    let phases = phases(types, v);
    let ty = types.type_name(v);
    let twin = format_ident!("__{}Wire", ty);
    let remote = ty.to_string();
    let derives: Vec<&syn::Path> = replaced
        .iter()
        .filter_map(|name| types.derive(name))
        .collect();
    let container: Vec<&syn::Attribute> = types
        .parsed
        .item
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .collect();
    let fields = types.fields_at(v).map(|f| {
        let ident = types.field_ident(f, v);
        let ty = types.field_type(f, v);
        let attrs = f
            .field
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("serde") || a.path().is_ident("cfg"));
        quote!(#(#attrs)* #ident: #ty)
    });
    let mut out = quote! {
        #[derive(#(#derives),*)]
        #[serde(remote = #remote)]
        #(#container)*
        #[allow(dead_code, non_camel_case_types)]
        struct #twin {
            #(#fields,)*
        }
    };
    if replaced.contains(&"Serialize") {
        let pairs = phases.iter().filter(|p| p.both_out).map(|p| {
            let (new, old) = (&p.new, &p.old);
            quote!((#new, #old))
        });
        out.extend(quote! {
            impl #serde::__serde::Serialize for #ty {
                fn serialize<__S>(&self, serializer: __S) -> ::core::result::Result<__S::Ok, __S::Error>
                where
                    __S: #serde::__serde::Serializer,
                {
                    #twin::serialize(self, #serde::BothNames::new(serializer, &[#(#pairs),*]))
                }
            }
        });
    }
    if replaced.contains(&"Deserialize") {
        let pairs = phases.iter().map(|p| {
            let (new, old) = (&p.new, &p.old);
            quote!((#new, #old))
        });
        out.extend(quote! {
            impl<'de> #serde::__serde::Deserialize<'de> for #ty {
                fn deserialize<__D>(deserializer: __D) -> ::core::result::Result<Self, __D::Error>
                where
                    __D: #serde::__serde::Deserializer<'de>,
                {
                    #serde::either_name(deserializer, &[#(#pairs),*], |d| #twin::deserialize(d))
                }
            }
        });
    }
    quote!(const _: () = { #out };)
}

#[cfg(test)]
mod tests {
    use super::apply_rename_all;

    #[test]
    fn rename_all_rules_match_serde() {
        let cases = [
            ("lowercase", "display_name"),
            ("UPPERCASE", "DISPLAY_NAME"),
            ("PascalCase", "DisplayName"),
            ("camelCase", "displayName"),
            ("snake_case", "display_name"),
            ("SCREAMING_SNAKE_CASE", "DISPLAY_NAME"),
            ("kebab-case", "display-name"),
            ("SCREAMING-KEBAB-CASE", "DISPLAY-NAME"),
        ];
        for (rule, expected) in cases {
            assert_eq!(apply_rename_all(rule, "display_name"), expected, "{rule}");
        }
    }
}
