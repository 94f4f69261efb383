//! Rust type → PostgreSQL type.
//!
//! The parser hands over the last path segment of a type and the last segments of its generic
//! arguments (`chrono::DateTime<chrono::Utc>` is `("DateTime", ["Utc"])`).

/// The PostgreSQL type for a Rust type, or `None` when it has no mapping (the user then
/// writes `#[col(sql_type = "...")]`).
pub fn pg_type(name: &str, args: &[&str]) -> Option<String> {
    let scalar = |name: &str| -> Option<&'static str> {
        Some(match name {
            "i16" => "smallint",
            "i32" => "integer",
            "i64" => "bigint",
            "f32" => "real",
            "f64" => "double precision",
            "bool" => "boolean",
            "String" => "text",
            "Uuid" => "uuid",
            "NaiveDateTime" | "PrimitiveDateTime" => "timestamp",
            "NaiveDate" | "Date" => "date",
            "NaiveTime" | "Time" => "time",
            "OffsetDateTime" => "timestamptz",
            "Decimal" => "numeric",
            "IpAddr" | "IpNetwork" => "inet",
            _ => return None,
        })
    };
    match (name, args) {
        ("Vec", ["u8"]) => Some("bytea".to_owned()),
        ("Vec", [inner]) => scalar(inner).map(|t| format!("{t}[]")),
        ("DateTime", ["Utc" | "FixedOffset" | "Local"]) => Some("timestamptz".to_owned()),
        ("Value", []) | ("Json", [_]) => Some("jsonb".to_owned()),
        (name, []) => scalar(name).map(str::to_owned),
        _ => None,
    }
}

/// Types the user may name in `sql_type` that `pg_type` never produces are passed through
/// as written; this lists the Rust types that are mapped, for error messages.
pub const MAPPED_RUST_TYPES: &str = "i16, i32, i64, f32, f64, bool, String, Vec<u8>, Vec<T>, \
uuid::Uuid, chrono::{DateTime<Utc>, NaiveDateTime, NaiveDate, NaiveTime}, \
time::{OffsetDateTime, PrimitiveDateTime, Date, Time}, serde_json::Value, \
rust_decimal::Decimal, std::net::IpAddr";

#[cfg(test)]
mod tests {
    use super::pg_type;

    #[test]
    fn maps_common_types() {
        assert_eq!(pg_type("i64", &[]).as_deref(), Some("bigint"));
        assert_eq!(pg_type("String", &[]).as_deref(), Some("text"));
        assert_eq!(pg_type("Vec", &["u8"]).as_deref(), Some("bytea"));
        assert_eq!(pg_type("Vec", &["String"]).as_deref(), Some("text[]"));
        assert_eq!(
            pg_type("DateTime", &["Utc"]).as_deref(),
            Some("timestamptz")
        );
        assert_eq!(pg_type("Value", &[]).as_deref(), Some("jsonb"));
    }

    #[test]
    fn unsigned_and_unknown_types_are_not_mapped() {
        assert_eq!(pg_type("u32", &[]), None);
        assert_eq!(pg_type("Money", &[]), None);
        assert_eq!(pg_type("HashMap", &["String", "String"]), None);
    }
}
