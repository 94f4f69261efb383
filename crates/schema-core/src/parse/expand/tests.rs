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
        versioned
            .contains("constUNTIL:::core::option::Option<u32>=::core::option::Option::Some(3);"),
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
        upgrade.contains("let__label:String=::schema_core::runtime::fill(label_of,&value);Self{"),
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
        downgrade.contains("let__legacy:i64=::schema_core::runtime::fill(|t:&T|t.id*2,&value);"),
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
