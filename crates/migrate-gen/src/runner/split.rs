//! Splitting a migration file into statements, so that each runs on its own (a no-transaction
//! file sent as one multi-statement query would run in an implicit transaction block, where
//! `CREATE INDEX CONCURRENTLY` and `COMMIT` inside `DO` are refused).

/// The statements of `sql`, without comments-only pieces, each without its `;`.
pub fn statements(sql: &str) -> Vec<String> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'\'' | b'"' => {
                let quote = bytes[i];
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == quote {
                        if bytes.get(i + 1) == Some(&quote) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'$' => {
                // A dollar-quote tag: $$ or $name$.
                let tag_end = sql[i + 1..].find('$').filter(|&n| {
                    sql[i + 1..i + 1 + n]
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_')
                });
                match tag_end {
                    Some(n) => {
                        let tag = &sql[i..i + n + 2];
                        let body = i + tag.len();
                        i = sql[body..]
                            .find(tag)
                            .map_or(bytes.len(), |end| body + end + tag.len());
                    }
                    None => i += 1,
                }
            }
            b';' => {
                push(&mut out, &sql[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    push(&mut out, &sql[start..]);
    out
}

fn push(out: &mut Vec<String>, piece: &str) {
    let meaningful = piece.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with("--")
    });
    if meaningful {
        out.push(piece.trim().to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::statements;

    #[test]
    fn splits_on_semicolons_outside_quotes_comments_and_dollar_quotes() {
        let sql = "-- header; not a statement\nSET a = '1;2';\nBEGIN;\nDO $x$ BEGIN PERFORM 1; END $x$;\n\
                   CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\nSELECT \"a;b\" FROM t -- c;\n;\nCOMMIT;\n";
        assert_eq!(
            statements(sql),
            [
                "-- header; not a statement\nSET a = '1;2'",
                "BEGIN",
                "DO $x$ BEGIN PERFORM 1; END $x$",
                "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
                "SELECT \"a;b\" FROM t -- c;",
                "COMMIT",
            ]
        );
    }

    #[test]
    fn a_lone_dollar_is_not_a_quote() {
        assert_eq!(statements("SELECT $1; SELECT 2"), ["SELECT $1", "SELECT 2"]);
    }
}
