//! Quoting: the one place identifiers and literals are written into SQL text.

/// `"name"`, with embedded quotes doubled: the one quoting of identifiers.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `'text'`, with embedded quotes doubled.
pub fn lit(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `"schema"."name"`.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

/// `pg_catalog.to_regclass('"schema"."name"')`: the relation's oid, or NULL when it is not there.
pub fn regclass(schema: &str, name: &str) -> String {
    format!("pg_catalog.to_regclass({})", lit(&qualified(schema, name)))
}
