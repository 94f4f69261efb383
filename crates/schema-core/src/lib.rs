//! Versioned table models and the safe PostgreSQL migration planner.
//!
//! Data flows one way:
//!
//! annotated source → [`parse`] (feature `parser`) → [`history::TableHistory`] →
//! per-version [`model::TableModel`] → [`diff`] (typed [`diff::Change`] list) →
//! [`plan`] (phased files with lock level and rollback) → [`render`] (SQL text).
//!
//! A new kind of change is one new file under `plan/` plus its variant in [`diff::Change`].

pub mod api;
pub mod diff;
pub mod enum_type;
pub mod history;
pub mod model;
pub mod names;
pub mod plan;
pub mod raw_sql;
pub mod render;
pub mod rules;
pub mod runtime;
pub mod sql;
pub mod types;
pub mod volatility;

#[cfg(feature = "parser")]
pub mod parse;

pub use enum_type::{EnumHistory, PgEnum};
pub use history::{FieldHistory, ObjectKind, Reference, Retype, TableHistory, TableObject};
pub use model::{Check, Column, ForeignKey, Identity, Index, TableModel, TypeChange};
pub use raw_sql::RawStep;
pub use runtime::{
    AnyVersion, FromLatest, IntoLatest, IntoVersion, NotInVersion, RenamedField, Versioned,
};
