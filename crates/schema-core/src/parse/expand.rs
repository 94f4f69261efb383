//! Code generation for `#[versioned]`: per-version types and their conversions.
//!
//! For a struct `User` with versions `since..=version` this emits:
//!
//! - `UserV{v}` for every older version and `User` itself for the latest (also reachable as
//!   `UserV{latest}`), each with the struct's attributes and the fields that exist at `v`,
//!   under the names they had at `v`;
//! - `impl ::schema_core::Versioned` and an inherent `VERSION` constant on each;
//! - `From` conversions between neighbouring versions where they can be derived.

use proc_macro2::{Literal, Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::spanned::Spanned;

use super::check::unwrap_option;
use super::{ParsedField, ParsedStruct};
use crate::history::{FieldHistory, Reference, TableHistory};

/// The tokens that replace the annotated struct.
pub fn expand(parsed: &ParsedStruct) -> TokenStream {
    let types = Types { parsed };
    let history = &parsed.history;
    let mut out = TokenStream::new();
    for v in history.versions() {
        out.extend(types.version_struct(v));
        out.extend(types.version_impls(v));
    }
    out.extend(types.latest_alias());
    for v in history.since..history.version {
        out.extend(types.upgrade(v));
        out.extend(types.downgrade(v));
    }
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
    match super::parse_struct(args, Span::call_site(), &item) {
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

/// The per-version view of one parsed struct.
struct Types<'a> {
    parsed: &'a ParsedStruct,
}

impl Types<'_> {
    fn history(&self) -> &TableHistory {
        &self.parsed.history
    }

    fn latest(&self) -> u32 {
        self.history().version
    }

    /// `User` for the latest version, `UserV{v}` for the others.
    fn type_name(&self, v: u32) -> syn::Ident {
        let ident = &self.parsed.item.ident;
        if v == self.latest() {
            ident.clone()
        } else {
            format_ident!("{}V{}", ident, v, span = ident.span())
        }
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

    /// `None` for an `Option` field, else nothing can fill it.
    fn none_for(field: &ParsedField) -> Option<TokenStream> {
        unwrap_option(&field.field.ty)
            .0
            .then(|| quote!(::core::option::Option::None))
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
        let fields: Vec<syn::Field> = self
            .fields_at(v)
            .map(|f| {
                let mut field = f.field.clone();
                field.ident = Some(self.field_ident(f, v));
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
        let table = &self.history().table;
        let latest = Literal::u32_unsuffixed(self.latest());
        let version = Literal::u32_unsuffixed(v);
        let history = if v == self.latest() {
            self.history().construct()
        } else {
            let latest_ty = self.type_name(self.latest());
            quote!(<#latest_ty as ::schema_core::Versioned>::history())
        };
        let const_doc = format!(" The version of table `{table}` that this type is.");
        quote! {
            impl ::schema_core::Versioned for #ty {
                const TABLE: &'static str = #table;
                const VERSION: u32 = #version;
                const LATEST: u32 = #latest;

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
        let item = &self.parsed.item;
        let vis = &item.vis;
        let ident = &item.ident;
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

    /// `From<V{v}> for V{v+1}`: kept fields move (under their new name when renamed), new
    /// `Option` fields start as `None`. Nothing when a new field is not an `Option`.
    fn upgrade(&self, v: u32) -> TokenStream {
        let next = v + 1;
        let mut inits = Vec::new();
        for field in self.fields_at(next) {
            let to = self.field_ident(field, next);
            let value = if self.field_history(field).exists_at(v) {
                let from = self.field_ident(field, v);
                quote!(value.#from)
            } else {
                match Self::none_for(field) {
                    Some(none) => none,
                    None => return TokenStream::new(),
                }
            };
            inits.push(quote!(#to: #value));
        }
        self.conversion(v, next, &inits)
    }

    /// `From<V{v+1}> for V{v}`: kept fields move (under their old name when renamed), fields
    /// removed at `v + 1` come back as `None`, new fields are dropped. Nothing when a removed
    /// field is not an `Option`.
    fn downgrade(&self, v: u32) -> TokenStream {
        let next = v + 1;
        let mut inits = Vec::new();
        for field in self.fields_at(v) {
            let to = self.field_ident(field, v);
            let value = if self.field_history(field).exists_at(next) {
                let from = self.field_ident(field, next);
                quote!(value.#from)
            } else {
                match Self::none_for(field) {
                    Some(none) => none,
                    None => return TokenStream::new(),
                }
            };
            inits.push(quote!(#to: #value));
        }
        self.conversion(next, v, &inits)
    }

    fn conversion(&self, from: u32, to: u32, inits: &[TokenStream]) -> TokenStream {
        let from_ty = self.type_name(from);
        let to_ty = self.type_name(to);
        let doc = if from < to { "upgrade" } else { "downgrade" };
        let doc = format!(" The {doc} from version {from} to version {to}.");
        quote! {
            #[doc = #doc]
            impl ::core::convert::From<#from_ty> for #to_ty {
                fn from(value: #from_ty) -> Self {
                    Self { #(#inits,)* }
                }
            }
        }
    }
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

impl Construct for Reference {
    fn construct(&self) -> TokenStream {
        let Reference {
            schema,
            table,
            column,
        } = self;
        let (schema, table, column) = (schema.construct(), table.construct(), column.construct());
        quote! {
            ::schema_core::Reference { schema: #schema, table: #table, column: #column }
        }
    }
}

impl Construct for FieldHistory {
    fn construct(&self) -> TokenStream {
        // Destructured so that a new field of `FieldHistory` fails to compile here.
        let FieldHistory {
            rust_name,
            column,
            sql_type,
            nullable,
            primary_key,
            unique,
            index,
            since,
            until,
            renamed_from,
            default,
            backfill,
            references,
            check,
        } = self;
        let rust_name = rust_name.construct();
        let column = column.construct();
        let sql_type = sql_type.construct();
        let nullable = nullable.construct();
        let primary_key = primary_key.construct();
        let unique = unique.construct();
        let index = index.construct();
        let since = since.construct();
        let until = until.construct();
        let renamed_from = renamed_from.construct();
        let default = default.construct();
        let backfill = backfill.construct();
        let references = references.construct();
        let check = check.construct();
        quote! {
            ::schema_core::FieldHistory {
                rust_name: #rust_name,
                column: #column,
                sql_type: #sql_type,
                nullable: #nullable,
                primary_key: #primary_key,
                unique: #unique,
                index: #index,
                since: #since,
                until: #until,
                renamed_from: #renamed_from,
                default: #default,
                backfill: #backfill,
                references: #references,
                check: #check,
            }
        }
    }
}

impl Construct for TableHistory {
    fn construct(&self) -> TokenStream {
        let TableHistory {
            rust_name,
            schema,
            table,
            since,
            version,
            fields,
        } = self;
        let rust_name = rust_name.construct();
        let schema = schema.construct();
        let table = table.construct();
        let since = since.construct();
        let version = version.construct();
        let fields = fields.construct();
        quote! {
            ::schema_core::TableHistory {
                rust_name: #rust_name,
                schema: #schema,
                table: #table,
                since: #since,
                version: #version,
                fields: #fields,
            }
        }
    }
}

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

    fn froms(file: &syn::File) -> BTreeSet<String> {
        impls(file)
            .into_iter()
            .filter_map(|(tr, ty)| {
                let from = tr
                    .strip_prefix("::core::convert::From<")?
                    .strip_suffix('>')?;
                Some(format!("{from}->{ty}"))
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
        let aliases: Vec<String> = file
            .items
            .iter()
            .filter_map(|i| match i {
                syn::Item::Type(t) => Some(format!("{}={}", t.ident, text(&t.ty))),
                _ => None,
            })
            .collect();
        assert_eq!(aliases, ["UserV3=User"]);
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
        let compact = text(&out);
        assert!(!compact.contains("#[col("), "{compact}");
        assert!(!compact.contains("#[versioned"), "{compact}");
        let file: syn::File = syn::parse2(out).unwrap();
        for item in &file.items {
            if let syn::Item::Struct(s) = item {
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
}
