//! Deterministic names for generated constraints, indexes, triggers and functions.
//!
//! PostgreSQL truncates identifiers to 63 bytes silently; two long names could then collide.
//! A name that would be longer is shortened here instead, keeping a readable prefix and a
//! stable hash of the full name.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// PostgreSQL's `NAMEDATALEN - 1`.
pub const MAX_IDENT_BYTES: usize = 63;

/// Lowercase hexadecimal digits of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// `parts` joined by `_`, then `_suffix`; at most 63 bytes.
pub fn object_name(parts: &[&str], suffix: &str) -> String {
    let full = format!("{}_{suffix}", parts.join("_"));
    shorten(&full)
}

/// The words of an SQL expression joined by `_`, for a name made from it: `lower(email)` gives
/// `lower_email`, `total_cents >= 0` gives `total_cents_0`.
pub fn words(expr: &str) -> String {
    expr.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_")
        .to_lowercase()
}

/// `name` itself when it fits in 63 bytes, else a prefix, `_` and 8 hex digits of its hash.
pub fn shorten(name: &str) -> String {
    if name.len() <= MAX_IDENT_BYTES {
        return name.to_owned();
    }
    let hash = hex(&Sha256::digest(name.as_bytes()));
    let keep = MAX_IDENT_BYTES - 9;
    let mut end = keep;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}_{}", &name[..end], &hash[..8])
}

/// The schema of the views through which version `version`'s code sees the tables of
/// `schema` during a type change: `public_v3`.
pub fn view_schema(schema: &str, version: u32) -> String {
    shorten(&format!("{schema}_v{version}"))
}

/// The column that holds a retyped column's new values until the contract: `amount__v3`.
pub fn shadow_column(column: &str, version: u32) -> String {
    shorten(&format!("{column}__v{version}"))
}

/// The name of the helper `CHECK (col IS NOT NULL)` constraint that proves a NOT NULL before it
/// is set without a scan.
pub fn not_null_helper(table: &str, column: &str) -> String {
    object_name(&[table, column], "not_null")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_kept() {
        assert_eq!(object_name(&["users", "email"], "key"), "users_email_key");
    }

    #[test]
    fn long_names_are_shortened_with_a_stable_hash() {
        let long = "a".repeat(70);
        let name = object_name(&["users", &long], "idx");
        assert_eq!(name.len(), 63);
        assert_eq!(name, object_name(&["users", &long], "idx"));
        assert_ne!(name, object_name(&["users", &long], "key"));
        assert!(name.starts_with("users_aaaa"));
    }

    #[test]
    fn shortening_respects_utf8_boundaries() {
        let name = shorten(&"é".repeat(40));
        assert!(name.len() <= 63);
        assert!(name.is_char_boundary(name.len() - 9));
    }
}
