//! The parsed history as Rust tokens: `Versioned::history()` of the latest type builds the
//! same `TableHistory` the generator reads, field by field.

use proc_macro2::{Literal, TokenStream};
use quote::{ToTokens, quote};

use crate::history::{FieldHistory, ObjectKind, Reference, Retype, TableHistory, TableObject};
use crate::model::{Check, ForeignKey, Index};
use crate::raw_sql::RawStep;

/// Tokens of an expression that builds the value, with `::`-rooted paths.
pub(super) trait Construct {
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

impl Construct for ObjectKind {
    fn construct(&self) -> TokenStream {
        match self {
            ObjectKind::Index(i) => {
                let i = i.construct();
                quote!(::schema_core::ObjectKind::Index(#i))
            }
            ObjectKind::Check(c) => {
                let c = c.construct();
                quote!(::schema_core::ObjectKind::Check(#c))
            }
            ObjectKind::ForeignKey(f) => {
                let f = f.construct();
                quote!(::schema_core::ObjectKind::ForeignKey(#f))
            }
        }
    }
}

construct_struct!(Reference {
    schema,
    table,
    column,
    on_delete,
    on_update,
});
construct_struct!(Index {
    name,
    columns,
    unique,
    unique_index,
    expr,
    using,
    predicate,
    include,
});
construct_struct!(Check { name, expr });
construct_struct!(ForeignKey {
    name,
    columns,
    ref_schema,
    ref_table,
    ref_columns,
    on_delete,
    on_update,
});
construct_struct!(TableObject {
    kind,
    name,
    tag,
    since,
    until,
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
    objects,
    raw_sql,
});
construct_struct!(RawStep {
    at,
    ordinal,
    contract,
    up,
    up_file,
    down,
    down_file,
    no_transaction,
});
