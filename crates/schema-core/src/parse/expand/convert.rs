//! The conversions from every version to every other (`into_version::<UserV3>()`, and
//! `IntoVersion` for generic code), in a number of items linear in the versions.
//!
//! A conversion walks the `UserAny` enum one neighbour step at a time (`UserAny::__walk`,
//! one match arm per generated `From`). What the walk cannot do alone are the steps whose
//! `From` only the user can write: they split the versions into segments, one series for
//! upgrades (`__UserUp0`, `__UserUp1`, ...) and one for downgrades (`__UserDown0`, ...), and a
//! conversion is bounded on the steps between its two segments through the hidden trait
//! `__UserReach`, implemented for every pair of segments of a series: towards the target it
//! crosses one such step (bounded on its trait `__UserV1ToV2`, whose diagnostic names the
//! fields without a value) and goes on from the next segment; away from the target it does
//! nothing. A conversion asks for both series, so an upgrade is bounded on the upgrade steps
//! between its versions and on nothing else.
//!
//! The segment pairs grow with the square of such steps, but there are few: each one is a
//! field added, removed or retyped without a value, so they are bounded by the fields as well
//! as by the versions.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::Types;

/// One series of segments: the steps of one direction that only a hand-written `From` builds.
struct Series {
    up: bool,
    /// The source version of each such step, oldest first.
    gaps: Vec<u32>,
}

impl Series {
    fn new(types: &Types, up: bool) -> Series {
        let history = types.history();
        let gaps = (history.since..history.last_version())
            .map(|v| if up { (v, v + 1) } else { (v + 1, v) })
            .filter(|&(from, to)| !types.step_is_built(from, to))
            .map(|(from, _)| from)
            .collect();
        Series { up, gaps }
    }

    /// The segment of version `v`: the steps of the series below it (upgrades) or at or
    /// below it (downgrades, whose step from `k` ends below `k`).
    fn segment(&self, v: u32) -> usize {
        self.gaps
            .partition_point(|&g| if self.up { g < v } else { g <= v })
    }

    fn marker(&self, types: &Types, segment: usize) -> syn::Ident {
        let dir = if self.up { "Up" } else { "Down" };
        format_ident!("__{}{}{}", types.ident(), dir, segment)
    }

    /// The markers of the series and the `__UserReach` impls of every pair of them.
    fn items(&self, types: &Types) -> TokenStream {
        let vis = types.vis();
        let any = types.any_name();
        let reach = reach_trait(types);
        let segments = self.gaps.len() + 1;
        let mut out = TokenStream::new();
        for i in 0..segments {
            let marker = self.marker(types, i);
            out.extend(quote! {
                #[doc(hidden)]
                #[allow(dead_code, non_camel_case_types)]
                #vis enum #marker {}
            });
            for j in 0..segments {
                let target = self.marker(types, j);
                let towards = if self.up { i < j } else { i > j };
                let (bounds, body) = if i == j {
                    (TokenStream::new(), quote!(#any::__walk(any, to)))
                } else if !towards {
                    (TokenStream::new(), quote!(any))
                } else {
                    // The step out of segment i, and the segment it leads to.
                    let (from, to_v, next) = if self.up {
                        let g = self.gaps[i];
                        (g, g + 1, i + 1)
                    } else {
                        let g = self.gaps[i - 1];
                        (g, g - 1, i - 1)
                    };
                    let from_ty = types.type_name(from);
                    let step = types.step_trait(from, to_v);
                    let next = self.marker(types, next);
                    let (from_var, to_var) = (format_ident!("V{from}"), format_ident!("V{to_v}"));
                    (
                        quote! {
                            where
                                for<'__step> #from_ty: #step,
                                for<'__step> #next: #reach<#target>,
                        },
                        quote! {
                            match #any::__walk(any, to) {
                                #any::#from_var(value) => <#next as #reach<#target>>::__walk(
                                    #any::#to_var(<#from_ty as #step>::__convert(value)),
                                    to,
                                ),
                                other => other,
                            }
                        },
                    )
                };
                let to_param = if i != j && !towards {
                    quote!(_)
                } else {
                    quote!(to)
                };
                out.extend(quote! {
                    impl #reach<#target> for #marker #bounds {
                        fn __walk(any: #any, #to_param: u32) -> #any {
                            #body
                        }
                    }
                });
            }
        }
        out
    }
}

/// `__UserVersion`: what a conversion knows of each version type.
fn version_trait(types: &Types) -> syn::Ident {
    format_ident!("__{}Version", types.ident())
}

/// `__UserReach`: the conversion from one segment to another.
fn reach_trait(types: &Types) -> syn::Ident {
    format_ident!("__{}Reach", types.ident())
}

/// `__UserFrom`: a version type built from a value of given segments.
fn from_trait(types: &Types) -> syn::Ident {
    format_ident!("__{}From", types.ident())
}

/// Every item of the conversions between any two versions.
pub(super) fn expand(types: &Types) -> TokenStream {
    let up = Series::new(types, true);
    let down = Series::new(types, false);
    let vis = types.vis();
    let ident = types.ident();
    let any = types.any_name();
    let version = version_trait(types);
    let reach = reach_trait(types);
    let message = format!("cannot convert to `{{Self}}`: it is not a version of `{ident}`");
    let label = format!("not a version of `{ident}`");
    let from = from_trait(types);
    let mut out = quote! {
        #[doc = " What a conversion between two versions knows of each version type."]
        #[doc(hidden)]
        #[allow(dead_code)]
        #[diagnostic::on_unimplemented(message = #message, label = #label)]
        #vis trait #version: ::core::marker::Sized {
            const __VERSION: u32;
            /// The segment of the version among the upgrades and among the downgrades.
            type __Up;
            type __Down;

            fn __from_any(any: #any) -> Self;
        }

        #[doc = " The conversion from one segment of versions to another."]
        #[doc(hidden)]
        #[allow(dead_code)]
        #vis trait #reach<T> {
            fn __walk(any: #any, to: u32) -> #any;
        }

        #[doc = " A version type built from a value of the segments `U` (upgrades) and `D` (downgrades). A conversion is bounded on it, with the target as `Self`, so that the target is known before a step is looked for."]
        #[doc(hidden)]
        #[allow(dead_code)]
        #[diagnostic::on_unimplemented(message = #message, label = #label)]
        #vis trait #from<U, D>: ::core::marker::Sized {
            fn __from(any: #any) -> Self;
        }

        impl<T: #version, U: #reach<<T as #version>::__Up>, D: #reach<<T as #version>::__Down>> #from<U, D> for T {
            fn __from(any: #any) -> Self {
                let any = <U as #reach<<T as #version>::__Up>>::__walk(any, <T as #version>::__VERSION);
                let any = <D as #reach<<T as #version>::__Down>>::__walk(any, <T as #version>::__VERSION);
                <T as #version>::__from_any(any)
            }
        }
    };
    out.extend(walk(types));
    out.extend(up.items(types));
    out.extend(down.items(types));
    let doc = format!(
        " This value as another version of `{ident}` (`into_version::<{}>()`), through every step in between. Asking for a step that cannot be built is a compile error that names the fields without a value.",
        types.type_name(types.latest())
    );
    for v in types.history().versions() {
        let ty = types.type_name(v);
        let variant = format_ident!("V{v}");
        let number = Literal::u32_unsuffixed(v);
        let (up_seg, down_seg) = (
            up.marker(types, up.segment(v)),
            down.marker(types, down.segment(v)),
        );
        out.extend(quote! {
            impl #version for #ty {
                const __VERSION: u32 = #number;
                type __Up = #up_seg;
                type __Down = #down_seg;

                #[allow(unreachable_patterns)]
                fn __from_any(any: #any) -> Self {
                    match any {
                        #any::#variant(value) => value,
                        _ => ::core::unreachable!("a conversion ends at the version it is asked for"),
                    }
                }
            }

            impl<T: #from<#up_seg, #down_seg>> ::schema_core::IntoVersion<T> for #ty {
                fn into_version(self) -> T {
                    <T as #from<#up_seg, #down_seg>>::__from(#any::#variant(self))
                }
            }

            impl #ty {
                #[doc = #doc]
                #[allow(dead_code)]
                pub fn into_version<T: #from<#up_seg, #down_seg>>(self) -> T {
                    <T as #from<#up_seg, #down_seg>>::__from(#any::#variant(self))
                }
            }
        });
    }
    out
}

/// `UserAny::__walk(to)`: one neighbour step at a time towards version `to` while the step's
/// `From` is generated; it stops at `to` or before a step only the user can write.
fn walk(types: &Types) -> TokenStream {
    let any = types.any_name();
    let history = types.history();
    let mut arms = Vec::new();
    for v in history.since..history.last_version() {
        let (lo, hi) = (format_ident!("V{v}"), format_ident!("V{}", v + 1));
        let (lo_n, hi_n) = (Literal::u32_unsuffixed(v), Literal::u32_unsuffixed(v + 1));
        if types.step_is_built(v, v + 1) {
            arms.push(quote!(Self::#lo(value) if to > #lo_n => Self::#hi(::core::convert::From::from(value)),));
        }
        if types.step_is_built(v + 1, v) {
            arms.push(quote!(Self::#hi(value) if to < #hi_n => Self::#lo(::core::convert::From::from(value)),));
        }
    }
    let body = if arms.is_empty() {
        quote! {
            let _ = to;
            self
        }
    } else {
        quote! {
            let mut any = self;
            loop {
                any = match any {
                    #(#arms)*
                    other => return other,
                };
            }
        }
    };
    quote! {
        impl #any {
            #[doc(hidden)]
            #[allow(dead_code)]
            fn __walk(self, to: u32) -> Self {
                #body
            }
        }
    }
}
