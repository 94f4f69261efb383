//! An axum service over the example crate serving v1 and v2 clients at once.
