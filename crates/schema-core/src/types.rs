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

/// A PostgreSQL type name split into its base (normalised: `int4` and `integer` are
/// `integer`, `character varying` is `varchar`) and its modifier (`255` in `varchar(255)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlType {
    pub base: String,
    pub modifier: Option<String>,
    pub array: bool,
}

impl SqlType {
    pub fn parse(text: &str) -> SqlType {
        let mut t = text.trim().to_ascii_lowercase();
        let array = t.ends_with("[]");
        if array {
            t.truncate(t.len() - 2);
        }
        let (base, modifier) = match (t.find('('), t.rfind(')')) {
            (Some(open), Some(close)) if close > open => {
                let rest = format!("{}{}", &t[..open], &t[close + 1..]);
                (rest, Some(t[open + 1..close].replace(' ', "")))
            }
            _ => (t.clone(), None),
        };
        let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
        let base = match base.as_str() {
            "int" | "int4" => "integer",
            "int8" => "bigint",
            "int2" => "smallint",
            "float8" | "double" => "double precision",
            "float4" => "real",
            "bool" => "boolean",
            "decimal" => "numeric",
            "character varying" => "varchar",
            "character" | "bpchar" => "char",
            "timestamp with time zone" => "timestamptz",
            "timestamp without time zone" => "timestamp",
            other => other,
        }
        .to_owned();
        SqlType {
            base,
            modifier,
            array,
        }
    }

    fn family(&self) -> Option<&'static str> {
        Some(match self.base.as_str() {
            "smallint" | "integer" | "bigint" | "real" | "double precision" | "numeric" => "number",
            "text" | "varchar" | "char" => "string",
            "timestamp" | "timestamptz" | "date" => "time",
            _ => return None,
        })
    }
}

/// Whether PostgreSQL converts a value of type `from` to `to` on assignment (an implicit or
/// assignment cast), so that a type change needs no `using` expression. Types this list does
/// not know need one.
pub fn assignment_cast(from: &str, to: &str) -> bool {
    let (from, to) = (SqlType::parse(from), SqlType::parse(to));
    if from.array != to.array {
        return false;
    }
    if from.base == to.base {
        return true;
    }
    if to.family() == Some("string") && !to.array {
        // Every type converts to a string type through its output function.
        return true;
    }
    matches!((from.family(), to.family()), (Some(a), Some(b)) if a == b)
}

/// PostgreSQL's `atttypmod` for `sql_type`: `-1` without a modifier, the length plus 4 for
/// `varchar(n)` and `char(n)`, `(precision << 16 | scale) + 4` for `numeric(p, s)`; `None`
/// for modifiers this does not know.
/// The type a column declared as `sql_type` has in the catalog: the `serial` shorthands are an
/// integer type with a sequence default, not types of their own.
pub fn stored_type(sql_type: &str) -> &str {
    match sql_type.trim().to_ascii_lowercase().as_str() {
        "serial" | "serial4" => "integer",
        "bigserial" | "serial8" => "bigint",
        "smallserial" | "serial2" => "smallint",
        _ => sql_type,
    }
}

pub fn typmod(sql_type: &str) -> Option<i32> {
    let t = SqlType::parse(sql_type);
    let Some(m) = &t.modifier else {
        return Some(-1);
    };
    match t.base.as_str() {
        "varchar" | "char" => m.parse::<i32>().ok().map(|n| n + 4),
        "numeric" => {
            let mut it = m.split(',');
            let p: i32 = it.next()?.parse().ok()?;
            let s: i32 = it.next().map_or(Some(0), |s| s.parse().ok())?;
            Some(((p << 16) | s) + 4)
        }
        _ => None,
    }
}

/// Whether `ALTER COLUMN ... TYPE` from `from` to `to` changes only the catalog: no rewrite
/// and no scan of the table (a wider `varchar`, `varchar` to `text`, a wider `numeric` of the
/// same scale).
pub fn changes_in_place(from: &str, to: &str) -> bool {
    let (from, to) = (SqlType::parse(from), SqlType::parse(to));
    if from.array || to.array {
        return false;
    }
    let number = |m: &Option<String>| m.as_deref().map(|m| m.parse::<u32>().ok());
    match (from.base.as_str(), to.base.as_str()) {
        ("varchar", "text") => true,
        ("text", "varchar") => to.modifier.is_none(),
        ("varchar", "varchar") => match (number(&from.modifier), number(&to.modifier)) {
            (_, None) => true,
            (Some(Some(a)), Some(Some(b))) => b >= a,
            _ => false,
        },
        ("numeric", "numeric") => {
            let parts = |m: &Option<String>| -> Option<Option<(u32, u32)>> {
                let m = m.as_deref()?;
                let mut it = m.split(',');
                let p = it.next()?.parse().ok()?;
                let s = it.next().map_or(Some(0), |s| s.parse().ok())?;
                Some(Some((p, s)))
            };
            match (
                from.modifier.as_ref().map(|_| parts(&from.modifier)),
                &to.modifier,
            ) {
                (_, None) => true,
                (Some(Some(Some((p1, s1)))), Some(_)) => {
                    matches!(parts(&to.modifier), Some(Some((p2, s2))) if s2 == s1 && p2 >= p1)
                }
                _ => false,
            }
        }
        _ => false,
    }
}

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
    fn casts_that_need_no_using() {
        use super::assignment_cast as cast;
        assert!(cast("integer", "bigint"));
        assert!(
            cast("int8", "int4"),
            "an assignment cast, checked per value"
        );
        assert!(cast("varchar(255)", "varchar(100)"));
        assert!(
            cast("uuid", "text"),
            "every type converts to text on assignment"
        );
        assert!(cast("date", "timestamptz"));
        assert!(!cast("text", "uuid"), "from text only by an explicit cast");
        assert!(!cast("boolean", "integer"));
        assert!(!cast("jsonb", "bigint"));
        assert!(!cast("integer[]", "bigint"));
    }

    #[test]
    fn in_place_type_changes() {
        use super::changes_in_place as in_place;
        assert!(in_place("varchar(100)", "varchar(255)"));
        assert!(in_place("character varying(100)", "text"));
        assert!(in_place("VARCHAR(10)", "varchar"));
        assert!(in_place("numeric(10,2)", "numeric(12,2)"));
        assert!(in_place("numeric(10,2)", "numeric"));
        assert!(!in_place("varchar(255)", "varchar(100)"));
        assert!(!in_place("text", "varchar(10)"));
        assert!(!in_place("numeric(10,2)", "numeric(12,3)"));
        assert!(!in_place("numeric", "numeric(12,2)"));
        assert!(!in_place("integer", "bigint"), "a rewrite of every row");
    }

    #[test]
    fn unsigned_and_unknown_types_are_not_mapped() {
        assert_eq!(pg_type("u32", &[]), None);
        assert_eq!(pg_type("Money", &[]), None);
        assert_eq!(pg_type("HashMap", &["String", "String"]), None);
    }
}
