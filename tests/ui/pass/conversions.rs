//! Conversions that need the user: a struct whose steps cannot all be derived still
//! compiles (without warnings, even pedantic lifetime lints); `upgrade_with` and
//! `downgrade_with` (a function or a closure) and serde defaults fill what is missing; a
//! hand-written `From` completes a chain.
#![deny(warnings, unused_lifetimes, single_use_lifetimes, unreachable_pub)]

use schema_core::{AnyVersion, FromLatest, IntoLatest, IntoVersion};
use schema_macros::versioned;
use serde::{Deserialize, Serialize};

/// Every step can be built: by a function, a closure, a serde default, `None`.
#[versioned(table = "items", version = 4)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Item {
    #[col(primary_key)]
    pub(crate) id: i64,
    #[col(since = 2, default = "''", upgrade_with = "label_of")]
    pub(crate) label: String,
    #[col(until = 3, downgrade_with = "|v3: &ItemV3| v3.id * 10")]
    pub(crate) legacy: i64,
    #[col(since = 4, default = "0")]
    #[serde(default = "seven")]
    pub(crate) rank: i32,
    #[col(since = 4)]
    pub(crate) note: Option<String>,
}

fn label_of(v1: &ItemV1) -> String {
    format!("item {}", v1.id)
}

fn seven() -> i32 {
    7
}

/// Version 2 adds a NOT NULL field that nothing fills: no upgrade from 1 is generated.
#[versioned(table = "gaps", version = 3)]
#[derive(Debug, Clone, PartialEq)]
struct Gap {
    #[col(primary_key)]
    id: i64,
    #[col(since = 2, default = "0")]
    size: i32,
    #[col(since = 3)]
    note: Option<String>,
}

/// A hand-written upgrade for the step the macro cannot build.
impl From<GapV1> for GapV2 {
    fn from(v1: GapV1) -> Self {
        GapV2 { id: v1.id, size: 1 }
    }
}

/// Generic code converts through the trait.
fn upgrade<A: IntoVersion<B>, B>(value: A) -> B {
    value.into_version()
}

fn main() {
    let v1 = ItemV1 { id: 3, legacy: 30 };
    assert_eq!(upgrade::<_, ItemV2>(v1.clone()).label, "item 3");
    assert_eq!(v1.clone().into_version::<ItemV3>().label, "item 3");
    let latest: Item = v1.clone().into_version();
    assert_eq!(latest.label, "item 3");
    assert_eq!((latest.rank, latest.note.as_deref()), (7, None));
    let back: ItemV1 = latest.clone().into_version();
    assert_eq!(back, v1);
    let any = ItemAny::from(ItemV2 {
        id: 4,
        label: "four".into(),
        legacy: 1,
    });
    assert_eq!(any.version(), 2);
    assert_eq!(any.into_latest().label, "four");
    let any = ItemAny::from_latest(latest, 2).unwrap();
    assert!(matches!(any, ItemAny::V2(ItemV2 { legacy: 30, .. })));
    assert_eq!(<ItemAny as AnyVersion>::type_version(9), Ok(4));

    // The chain across the hand-written step.
    let gap: Gap = GapV1 { id: 1 }.into_version();
    assert_eq!((gap.size, gap.note), (1, None));
    let any: GapAny = GapV1 { id: 2 }.into();
    assert_eq!(IntoLatest::into_latest(any).size, 1);
    let old: GapV1 = Gap {
        id: 3,
        size: 9,
        note: None,
    }
    .into_version();
    assert_eq!(old, GapV1 { id: 3 });
    let any = <GapAny as FromLatest>::from_latest(
        Gap {
            id: 4,
            size: 2,
            note: None,
        },
        1,
    )
    .unwrap();
    assert_eq!(any, GapAny::V1(GapV1 { id: 4 }));
}

/// A struct inside a function body.
#[allow(dead_code)]
fn local() {
    #[versioned(table = "locals", version = 2)]
    struct Local {
        #[col(primary_key)]
        id: i64,
        #[col(since = 2, default = "0")]
        n: i32,
    }
    let _ = LocalAny::V1(LocalV1 { id: 1 });
}
