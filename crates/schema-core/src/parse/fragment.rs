//! A user's SQL fragments (`default`, `check`, `backfill`, `using`, `reverse`, `sql_type`,
//! `old_sql_type`) are SQL that the migrations run with the migrating role's rights. Each is
//! parsed here so that it is exactly one expression or one type: no `;`, no comment, nothing
//! after it, that could end the statement it is written into and start another. The columns an
//! expression names are returned so that the checks can see that they exist at that version,
//! and the functions it calls unqualified so that `plan` can flag those outside `pg_catalog`.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, Query, Visit, Visitor};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

/// What one expression refers to.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Refs {
    /// Unqualified names outside subqueries: columns of the row (as PostgreSQL folds them).
    pub columns: Vec<String>,
    /// Functions called without a schema, lower-case.
    pub functions: Vec<String>,
}

/// Value keywords PostgreSQL reads as functions of the session, never as a column.
const SESSION_VALUES: &[&str] = &[
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "localtime",
    "localtimestamp",
    "session_user",
];

/// The tokens of `text`, refusing what could end or hide a statement.
fn tokens(text: &str, what: &str) -> Result<Vec<Token>, String> {
    let dialect = PostgreSqlDialect {};
    let tokens = Tokenizer::new(&dialect, text)
        .tokenize()
        .map_err(|e| format!("{what} does not parse: {}", e.message))?;
    for token in &tokens {
        match token {
            Token::SemiColon => {
                return Err(format!(
                    "{what} contains `;`: it must be one SQL {} (a `;` would end the generated statement and start another)",
                    if what.contains("type") {
                        "type"
                    } else {
                        "expression"
                    }
                ));
            }
            Token::Whitespace(Whitespace::SingleLineComment { .. })
            | Token::Whitespace(Whitespace::MultiLineComment(_)) => {
                return Err(format!(
                    "{what} contains a comment: remove it (a comment would swallow the rest of the generated line)"
                ));
            }
            _ => {}
        }
    }
    Ok(tokens)
}

fn rest(parser: &mut Parser) -> Option<String> {
    let next = parser.peek_token();
    (next.token != Token::EOF).then(|| next.token.to_string())
}

/// Parses `text` as exactly one SQL expression; `what` names it in errors (`backfill = "..."`).
pub fn expression(text: &str, what: &str) -> Result<Refs, String> {
    let tokens = tokens(text, what)?;
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect).with_tokens(tokens);
    let expr = parser.parse_expr().map_err(|e| {
        format!(
            "{what} is not one SQL expression: {}",
            plain(&e.to_string())
        )
    })?;
    if let Some(token) = rest(&mut parser) {
        return Err(format!(
            "{what} is not one SQL expression: unexpected `{token}` after `{expr}`"
        ));
    }
    let mut refs = Collect::default();
    let _ = expr.visit(&mut refs);
    if let Some(reserved) = refs.reserved {
        return Err(format!(
            "{what} uses `{reserved}`, which PostgreSQL reads as the session's current_user, not a column: write `\"{reserved}\"` for a column, or `current_user`"
        ));
    }
    Ok(refs.refs)
}

/// Parses `text` as exactly one SQL type; a type outside `pg_catalog` must name its schema,
/// since the migrations run with `search_path` set to `pg_catalog` only.
pub fn sql_type(text: &str, what: &str) -> Result<(), String> {
    let tokens = tokens(text, what)?;
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect).with_tokens(tokens);
    let ty = parser
        .parse_data_type()
        .map_err(|e| format!("{what} is not one SQL type: {}", plain(&e.to_string())))?;
    if let Some(token) = rest(&mut parser) {
        return Err(format!(
            "{what} is not one SQL type: unexpected `{token}` after `{ty}`"
        ));
    }
    if let sqlparser::ast::DataType::Custom(name, _) = &ty
        && let [part] = name.0.as_slice()
    {
        let name = part.to_string();
        let bare = name.trim_matches('"').to_lowercase();
        if !is_catalog_type(&bare) {
            return Err(format!(
                "{what}: type `{name}` is not one of PostgreSQL's own; the migrations run with search_path = pg_catalog, so name its schema (for example `public.{name}`)"
            ));
        }
    }
    Ok(())
}

/// sqlparser's messages start with "sql parser error: ".
fn plain(message: &str) -> String {
    message
        .strip_prefix("sql parser error: ")
        .unwrap_or(message)
        .to_owned()
}

#[derive(Default)]
struct Collect {
    depth: usize,
    refs: Refs,
    reserved: Option<String>,
}

impl Visitor for Collect {
    type Break = ();

    fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
        self.depth += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        match expr {
            Expr::Identifier(id) if id.quote_style.is_none() => {
                let name = id.value.to_lowercase();
                if name == "user" {
                    self.reserved = Some(id.value.clone());
                } else if self.depth == 0 && !SESSION_VALUES.contains(&name.as_str()) {
                    self.refs.columns.push(name);
                }
            }
            Expr::Identifier(id) if self.depth == 0 => self.refs.columns.push(id.value.clone()),
            Expr::Function(f) if f.name.0.len() == 1 => {
                let name = f.name.to_string();
                let name = if name.starts_with('"') {
                    name.trim_matches('"').to_owned()
                } else {
                    name.to_lowercase()
                };
                // sqlparser reads a bare `user` as the function PostgreSQL makes of it.
                if name == "user" && !f.name.to_string().starts_with('"') {
                    self.reserved = Some(f.name.to_string());
                } else if !SESSION_VALUES.contains(&name.as_str()) {
                    self.refs.functions.push(name);
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

fn listed(list: &'static str, name: &str) -> bool {
    list.lines()
        .filter(|l| !l.starts_with('#'))
        .any(|l| l == name)
}

/// Whether `name` is a type of `pg_catalog` (or one of the `serial` shorthands).
pub fn is_catalog_type(name: &str) -> bool {
    matches!(
        name,
        "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"
    ) || listed(include_str!("pg_catalog/types.txt"), name)
}

/// Whether `name` is a function of `pg_catalog` (PostgreSQL 15).
pub fn is_catalog_function(name: &str) -> bool {
    listed(include_str!("pg_catalog/functions.txt"), name)
}

/// For `plan`: each fragment of `table` that calls, without a schema, a function that is not
/// one of `pg_catalog` (PostgreSQL 15). The migrations run with `search_path = pg_catalog`, so
/// such a call fails at apply; qualified, it runs with the migrating role's rights whatever it
/// does, so its schema must be one that nobody else can create functions in.
pub fn foreign_calls(table: &crate::history::TableHistory) -> Vec<String> {
    let mut out = Vec::new();
    for f in &table.fields {
        let retype = f.retyped.as_ref();
        let fragments = [
            ("default", f.default.as_deref()),
            ("check", f.check.as_deref()),
            ("backfill", f.backfill.as_deref()),
            ("using", retype.and_then(|r| r.using.as_deref())),
            ("reverse", retype.and_then(|r| r.reverse.as_deref())),
        ];
        for (key, text) in fragments {
            let Some(Ok(refs)) = text.map(|t| expression(t, key)) else {
                continue;
            };
            for function in refs.functions.iter().filter(|f| !is_catalog_function(f)) {
                out.push(format!(
                    "{}.{}.{} {key} calls `{function}` without a schema, and it is not a function of pg_catalog: the migrations run with search_path = pg_catalog, so it fails at apply; name its schema (`public.{function}`) once you know that no other role can create functions there",
                    table.schema, table.table, f.column
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Refs {
        expression(text, "backfill").unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn err(text: &str) -> String {
        expression(text, "backfill").unwrap_err()
    }

    #[test]
    fn the_fragments_of_the_examples_parse() {
        for text in [
            "split_part(email, '@', 1)",
            "round(price * 100)::bigint",
            "price / 100.0",
            "cents::double precision",
            "slug ~ '^[a-z0-9-]+$'",
            "price_cents IS NULL OR price_cents >= 0",
            "plan IN ('free', 'team', 'enterprise')",
            "length(name) BETWEEN 1 AND 200",
            "upper(left(customer, 3))",
            "now()",
            "gen_random_uuid()",
            "'new'",
            "interval '1 day'",
            "CURRENT_TIMESTAMP",
            "coalesce(a, b) IS DISTINCT FROM c",
            "(SELECT u.email FROM public.users u WHERE u.id = profiles.user_id)",
        ] {
            ok(text);
        }
    }

    #[test]
    fn everyday_postgres_expressions_parse_and_name_only_their_columns() {
        let mut bad = Vec::new();
        for text in [
            "now() AT TIME ZONE 'utc'",
            "jsonb_build_object('a', 1)",
            "'{}'::jsonb",
            "ARRAY['a', 'b']",
            "'{}'::text[]",
            "interval '1 day' * 2",
            "coalesce(name, '')",
            "substring(name from 1 for 3)",
            "EXTRACT(epoch FROM created_at)",
            "name ILIKE '%a'",
            "name ~* 'a'",
            "md5(email)",
            "lower(email) = ANY(ARRAY['a'])",
            "data->>'name'",
            "data #>> '{a,b}'",
            "data @> '{\"a\": 1}'",
            "position('@' in email)",
            "trim(both ' ' from name)",
            "x IS NOT DISTINCT FROM y",
            "CASE WHEN a > 0 THEN 'p' ELSE 'n' END",
            "E'a\\nb'",
            "length(name) > 0 AND name !~ '^ '",
            "date_trunc('day', created_at)",
            "to_char(created_at, 'YYYY')",
            "(price * 100)::numeric(12,2)",
            "CAST(price AS bigint)",
            "gen_random_uuid()",
            "current_timestamp",
            "localtimestamp",
            "NOT deleted",
            "a IS NULL OR b IS NOT NULL",
            "score BETWEEN 0 AND 100",
            "tags && ARRAY['x']",
            "array_length(tags, 1) > 0",
            "num_nonnulls(a, b) = 1",
            "greatest(a, b)",
            "nullif(name, '')",
            "upper(left(name, 1)) || right(name, -1)",
            "split_part(email, '@', 2) <> ''",
            "octet_length(body) < 1048576",
            "'2024-01-01'::date",
            "DATE '2024-01-01'",
            "TIMESTAMPTZ '2024-01-01 00:00+00'",
            "B'101'",
            "x'1F'",
            "1e3",
            "-1",
            "price % 2 = 0",
            "2 ^ 3",
            "|/ 16",
            "a <-> b",
            "to_tsvector('english', body)",
            "name COLLATE \"C\"",
            "row(a, b) IS NOT NULL",
            "(a, b) < (1, 2)",
            "EXISTS (SELECT 1 FROM public.users u WHERE u.id = owner_id)",
        ] {
            match expression(text, "f") {
                Err(e) => bad.push(format!("{text}: {e}")),
                Ok(refs) => {
                    let columns = [
                        "created_at",
                        "name",
                        "email",
                        "data",
                        "x",
                        "y",
                        "a",
                        "b",
                        "deleted",
                        "score",
                        "tags",
                        "price",
                        "body",
                        "owner_id",
                    ];
                    for c in refs
                        .columns
                        .iter()
                        .filter(|c| !columns.contains(&c.as_str()))
                    {
                        bad.push(format!("{text}: `{c}` taken for a column"));
                    }
                }
            }
        }
        assert!(bad.is_empty(), "{}", bad.join("\n"));
    }

    #[test]
    fn columns_and_functions_are_found_outside_subqueries() {
        let refs = ok("split_part(Email, '@', 1) || \"Nick\" || (SELECT max(x) FROM t)");
        assert_eq!(refs.columns, ["email", "Nick"]);
        assert_eq!(refs.functions, ["split_part", "max"]);
        assert_eq!(ok("public.f(a)").functions, Vec::<String>::new());
        assert_eq!(ok("current_user || 'x'").columns, Vec::<String>::new());
    }

    #[test]
    fn a_second_statement_is_refused() {
        assert_eq!(
            err("'x'; DROP TABLE victim; SELECT 'y'"),
            "backfill contains `;`: it must be one SQL expression (a `;` would end the generated statement and start another)"
        );
    }

    #[test]
    fn a_closing_parenthesis_that_escapes_is_refused() {
        assert_eq!(
            err("1) , (2"),
            "backfill is not one SQL expression: unexpected `)` after `1`"
        );
    }

    #[test]
    fn comments_are_refused() {
        assert!(err("1 -- the rest").contains("contains a comment"));
        assert!(err("1 /* x */").contains("contains a comment"));
    }

    #[test]
    fn a_syntax_error_is_refused() {
        assert!(err("a >").starts_with("backfill is not one SQL expression: "));
    }

    #[test]
    fn user_is_refused_with_the_fix() {
        assert_eq!(
            err("user || 'x'"),
            "backfill uses `user`, which PostgreSQL reads as the session's current_user, not a column: write `\"user\"` for a column, or `current_user`"
        );
        assert_eq!(ok("\"user\" || 'x'").columns, ["user"]);
    }

    #[test]
    fn types_are_one_type_of_pg_catalog_or_qualified() {
        for ok in [
            "varchar(255)",
            "numeric(12,2)",
            "double precision",
            "timestamptz",
            "text[]",
            "inet",
            "tsvector",
            "bigserial",
            "public.citext",
        ] {
            sql_type(ok, "sql_type").unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        assert_eq!(
            sql_type("citext", "sql_type").unwrap_err(),
            "sql_type: type `citext` is not one of PostgreSQL's own; the migrations run with search_path = pg_catalog, so name its schema (for example `public.citext`)"
        );
        assert!(
            sql_type("text; DROP TABLE x", "sql_type")
                .unwrap_err()
                .contains("`;`")
        );
        assert!(
            sql_type("int) , (x int", "sql_type")
                .unwrap_err()
                .contains("unexpected `)`")
        );
    }

    #[test]
    fn plan_flags_calls_outside_pg_catalog() {
        let mut table = crate::history::TableHistory {
            rust_name: "User".into(),
            schema: "public".into(),
            table: "users".into(),
            since: 1,
            version: 2,
            until: None,
            renamed_from: None,
            fields: vec![crate::history::FieldHistory::new("name", "text", false, 2)],
            objects: Vec::new(),
            raw_sql: Vec::new(),
        };
        table.fields[0].backfill = Some("my_slug(lower(email)) || public.other(email)".into());
        assert_eq!(
            foreign_calls(&table),
            [
                "public.users.name backfill calls `my_slug` without a schema, and it is not a function of pg_catalog: the migrations run with search_path = pg_catalog, so it fails at apply; name its schema (`public.my_slug`) once you know that no other role can create functions there"
            ]
        );
    }

    #[test]
    fn catalog_lists_are_read() {
        assert!(is_catalog_function("lower"));
        assert!(!is_catalog_function("my_func"));
        assert!(is_catalog_type("int4"));
    }
}
