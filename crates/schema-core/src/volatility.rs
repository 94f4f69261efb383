//! Can a `DEFAULT` expression be added without rewriting the table?
//!
//! `ADD COLUMN ... DEFAULT expr` is a metadata-only change when `expr` is not volatile; a
//! volatile default (`gen_random_uuid()`, `clock_timestamp()`, `random()`, `nextval(...)`)
//! rewrites every row under an `ACCESS EXCLUSIVE` lock. The planner treats every default it
//! cannot prove non-volatile here like a backfill.

/// Functions that are immutable or stable in PostgreSQL 15.
const NON_VOLATILE_FUNCTIONS: &[&str] = &[
    "now",
    "transaction_timestamp",
    "statement_timestamp",
    "current_setting",
    "lower",
    "upper",
    "coalesce",
    "nullif",
    "greatest",
    "least",
    "length",
    "concat",
    "abs",
    "round",
    "make_date",
    "make_interval",
    "jsonb_build_object",
    "jsonb_build_array",
    "json_build_object",
    "json_build_array",
    "array",
    "to_timestamp",
    "timezone",
];

/// Bare words that are constants or stable SQL value functions.
const NON_VOLATILE_WORDS: &[&str] = &[
    "true",
    "false",
    "null",
    "current_timestamp",
    "current_date",
    "current_time",
    "localtimestamp",
    "localtime",
    "current_user",
    "session_user",
    "current_schema",
    "interval",
    "date",
    "timestamp",
    "timestamptz",
    "time",
    "with",
    "zone",
];

/// `true` when `expr` uses only literals, casts, operators and known non-volatile functions.
pub fn is_non_volatile(expr: &str) -> bool {
    let bytes = expr.as_bytes();
    let mut i = 0;
    let mut after_cast = false;
    while i < bytes.len() {
        let c = bytes[i] as char;
        if c == '\'' {
            // A string literal; '' is an escaped quote.
            i += 1;
            while i < bytes.len() {
                if bytes[i] == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            i += 1;
            after_cast = false;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let word = expr[start..i].to_ascii_lowercase();
            let mut j = i;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            let is_call = bytes.get(j) == Some(&b'(');
            let known = if is_call {
                NON_VOLATILE_FUNCTIONS.contains(&word.as_str()) || after_cast
            } else {
                // A word after `::` is a type name.
                after_cast || NON_VOLATILE_WORDS.contains(&word.as_str())
            };
            if !known {
                return false;
            }
            after_cast = false;
        } else if c == ':' && bytes.get(i + 1) == Some(&b':') {
            after_cast = true;
            i += 2;
        } else if c == '"' || c == '$' || c == ';' {
            // Quoted identifiers, dollar quotes, parameters, several statements: not proven.
            return false;
        } else {
            if !c.is_ascii_whitespace() && c != '[' && c != ']' {
                after_cast = false;
            }
            i += 1;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::is_non_volatile;

    #[test]
    fn constants_and_stable_functions_are_non_volatile() {
        for expr in [
            "0",
            "'active'",
            "'it''s'",
            "true",
            "now()",
            "CURRENT_TIMESTAMP",
            "'{}'::jsonb",
            "'{}'::text[]",
            "-1.5",
            "interval '1 day'",
            "lower('X')",
        ] {
            assert!(is_non_volatile(expr), "{expr}");
        }
    }

    #[test]
    fn volatile_or_unknown_functions_are_not_proven() {
        for expr in [
            "gen_random_uuid()",
            "clock_timestamp()",
            "random()",
            "nextval('seq')",
            "uuid_generate_v4()",
            "my_function()",
            "\"weird\"()",
            "timeofday()",
        ] {
            assert!(!is_non_volatile(expr), "{expr}");
        }
    }
}
