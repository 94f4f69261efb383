//! `import`: one `#[versioned(..., version = 1)]` struct per table of a live schema, with
//! `// not expressed: ...` comments for what the annotations cannot say.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use schema_core::names::object_name;
use schema_core::parse::check::is_field_name;
use schema_core::types::{SqlType, pg_type};

use crate::Error;
use crate::catalog::{self, LiveColumn, LiveTable};
use crate::runner::{connect, progress::Progress};

/// Reads schema `schema` of the database at `url` and writes the structs to `out`; returns
/// what to print.
pub fn import(url: &str, schema: &str, out: &Path) -> Result<String, Error> {
    let mut client = connect(url, &Progress::default())?;
    if !catalog::schema_exists(&mut client, schema)? {
        return Err(Error::msg(format!(
            "--schema {schema}: no such schema in the database"
        )));
    }
    let schemas = vec![schema.to_owned()];
    let tables = catalog::tables(&mut client, &schemas)?;
    let others = catalog::others(&mut client, &schemas)?;
    let text = render(schema, &tables, &others);
    std::fs::write(out, &text).map_err(|e| Error::io(out, e))?;
    let structs = text.matches("#[versioned(").count();
    let notes = text.matches("// not expressed: ").count();
    Ok(format!(
        "{}: {structs} structs from {} tables of schema {schema}; {notes} objects not expressed (see the `// not expressed:` comments)",
        out.display(),
        tables.len()
    ))
}

/// The Rust type of a column, and the `sql_type` it needs when the type's mapping would be
/// another PostgreSQL type.
fn rust_type(sql: &str) -> (String, Option<String>) {
    let mut parsed = SqlType::parse(sql);
    // `format_type` spells out what `SqlType` leaves as written.
    if parsed.base == "time without time zone" {
        parsed.base = "time".into();
    }
    let scalar = |base: &str| -> Option<&'static str> {
        Some(match base {
            "smallint" => "i16",
            "integer" => "i32",
            "bigint" => "i64",
            "real" => "f32",
            "double precision" => "f64",
            "boolean" => "bool",
            "text" => "String",
            "uuid" => "uuid::Uuid",
            "timestamp" => "chrono::NaiveDateTime",
            "timestamptz" => "chrono::DateTime<chrono::Utc>",
            "date" => "chrono::NaiveDate",
            "time" => "chrono::NaiveTime",
            "numeric" => "rust_decimal::Decimal",
            "inet" => "std::net::IpAddr",
            "jsonb" | "json" => "serde_json::Value",
            "bytea" => "Vec<u8>",
            _ => return None,
        })
    };
    let exact = |ty: &str| {
        // What the generator would map the Rust type to: the type must come back unchanged.
        let (name, args) = match ty.split_once('<') {
            Some((n, a)) => (n, vec![a.trim_end_matches('>')]),
            None => (ty, Vec::new()),
        };
        let last = |s: &str| s.rsplit("::").next().unwrap_or(s).to_owned();
        let args: Vec<String> = args.iter().map(|a| last(a)).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        pg_type(&last(name), &args).is_some_and(|t| SqlType::parse(&t) == parsed)
    };
    let ty = match scalar(&parsed.base) {
        Some(inner) if parsed.array && inner != "Vec<u8>" => format!("Vec<{inner}>"),
        Some(inner) if !parsed.array => inner.to_owned(),
        _ if matches!(parsed.base.as_str(), "varchar" | "char") && !parsed.array => {
            "String".to_owned()
        }
        _ => {
            let inner = if parsed.array {
                "Vec<String>"
            } else {
                "String"
            };
            return (inner.to_owned(), Some(sql.to_owned()));
        }
    };
    if exact(&ty) {
        (ty, None)
    } else {
        (ty, Some(sql.to_owned()))
    }
}

/// `OrderItems` for `order_items`.
fn camel(name: &str) -> String {
    let mut out = String::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    out
}

/// The field's name: the column's, as `r#name` when it is a Rust keyword.
fn field_name(column: &str) -> Option<String> {
    if !is_field_name(column) {
        return None;
    }
    Some(if syn::parse_str::<syn::Ident>(column).is_ok() {
        column.to_owned()
    } else {
        format!("r#{column}")
    })
}

/// A name the annotation can write in `references` (letters, digits and `_`).
fn reference_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

/// Whether the live object's name differs from the one migrate-gen gives it; the note then.
fn renamed(what: &str, live: &str, table: &str, column: &str, suffix: &str) -> Option<String> {
    let ours = object_name(&[table, column], suffix);
    (live != ours).then(|| {
        format!(
            "{what} is named {live} here and {ours} by migrate-gen: rename it before `baseline`"
        )
    })
}

struct Struct {
    notes: Vec<String>,
    attrs: Vec<String>,
    fields: Vec<String>,
}

/// One table's struct, or the reason it cannot be one.
fn table_struct(t: &LiveTable) -> Result<Struct, String> {
    let table = t.name.as_str();
    let mut notes = Vec::new();
    let Some((pk_name, pk)) = &t.primary_key else {
        return Err(format!(
            "table {} has no primary key (the annotations need one)",
            t.qualified()
        ));
    };
    let ours = object_name(&[table], "pkey");
    if pk_name != &ours {
        notes.push(format!(
            "the primary key is named {pk_name} here and {ours} by migrate-gen: rename it before `baseline`"
        ));
    }
    let order: Vec<&String> = t
        .columns
        .iter()
        .map(|c| &c.name)
        .filter(|c| pk.contains(c))
        .collect();
    if order
        .iter()
        .map(|c| c.as_str())
        .ne(pk.iter().map(String::as_str))
    {
        notes.push(format!(
            "the primary key's column order ({}) differs from the columns' order: migrate-gen keys them as declared",
            pk.join(", ")
        ));
    }
    if !reference_name(table) {
        notes.push(format!(
            "the table name {table} cannot be written in a `references` of another table"
        ));
    }
    if t.partitioned {
        notes.push("the table is partitioned; the struct describes a plain table".into());
    }
    let mut used: BTreeSet<String> = BTreeSet::new();
    let mut fields = Vec::new();
    for c in &t.columns {
        let Some(field) = field_name(&c.name) else {
            if pk.contains(&c.name) {
                return Err(format!(
                    "table {}: its primary key column {:?} cannot be a Rust field name",
                    t.qualified(),
                    c.name
                ));
            }
            notes.push(format!(
                "column {:?} {}: its name cannot be a Rust field name",
                c.name, c.sql_type
            ));
            continue;
        };
        fields.push(column_field(t, c, &field, pk, &mut used, &mut notes));
    }
    let mut attrs = vec![if t.schema == "public" {
        format!("#[versioned(table = {:?}, version = 1)]", t.name)
    } else {
        format!(
            "#[versioned(table = {:?}, schema = {:?}, version = 1)]",
            t.name, t.schema
        )
    }];
    attrs.extend(object_attrs(t, &mut used));
    // Everything on the table that no field took.
    for i in &t.indexes {
        if i.constraint.as_deref() != Some("p") && !used.contains(&format!("index {}", i.name)) {
            let why = if !i.valid { " (INVALID)" } else { "" };
            notes.push(format!("index{why}: {}", i.definition));
        }
    }
    for f in &t.foreign_keys {
        if !used.contains(&format!("fk {}", f.name)) {
            notes.push(format!("constraint {}: {}", f.name, f.definition));
        }
    }
    for c in &t.checks {
        if !used.contains(&format!("check {}", c.name)) {
            let valid = if c.validated { "" } else { " NOT VALID" };
            notes.push(format!("constraint {}: CHECK ({}){valid}", c.name, c.expr));
        }
    }
    for (name, def) in &t.other_constraints {
        notes.push(format!("constraint {name}: {def}"));
    }
    for (_, def) in &t.triggers {
        notes.push(format!("trigger: {def}"));
    }
    Ok(Struct {
        notes,
        attrs,
        fields,
    })
}

/// A column the struct-level attributes can name in `columns(...)`: a Rust identifier.
fn listable(column: &str) -> bool {
    syn::parse_str::<syn::Ident>(column).is_ok()
}

/// `columns(a, b)`, `include(a, b)`.
fn list(key: &str, columns: &[String]) -> String {
    format!("{key}({})", columns.join(", "))
}

/// The annotation's word for `pg_constraint`'s code of a referential action; `None` for the
/// default (no action).
fn action_word(code: &str) -> Option<&'static str> {
    match code {
        "r" => Some("restrict"),
        "c" => Some("cascade"),
        "n" => Some("set null"),
        "d" => Some("set default"),
        _ => None,
    }
}

/// The struct-level `#[index]`, `#[unique]`, `#[check]` and `#[foreign_key]` attributes of
/// what no field took (composite, expression, partial, non-btree or covering indexes,
/// composite unique constraints, checks over several columns, composite foreign keys and those
/// with actions), each under its live name, marking in `used` what they express. What they
/// cannot say (an ordering, an operator class, several expression keys, a deferrable key) is
/// left for the notes.
fn object_attrs(t: &LiveTable, used: &mut BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    let all_listable = |cols: &[String]| cols.iter().all(|c| listable(c));
    for i in &t.indexes {
        let key = format!("index {}", i.name);
        if used.contains(&key) || !i.valid || !i.default_keys || !all_listable(&i.include) {
            continue;
        }
        let keys = if i.expression {
            // One expression key: several, or columns beside it, the annotation cannot say.
            match &i.first_key {
                Some(expr) if i.key_count == 1 => {
                    format!("expr = {expr:?}")
                }
                _ => continue,
            }
        } else if !i.columns.is_empty() && all_listable(&i.columns) {
            list("columns", &i.columns)
        } else {
            continue;
        };
        let mut parts = vec![keys];
        match i.constraint.as_deref() {
            Some("u")
                if i.method == "btree" && !i.partial && !i.expression && i.include.is_empty() =>
            {
                parts.push(format!("name = {:?}", i.name));
                out.push(format!("#[unique({})]", parts.join(", ")));
                used.insert(key);
                continue;
            }
            None => {}
            _ => continue,
        }
        if i.unique {
            parts.push("unique".into());
        }
        if i.method != "btree" {
            parts.push(format!("using = {:?}", i.method));
        }
        if let Some(p) = &i.predicate {
            parts.push(format!("predicate = {p:?}"));
        }
        if !i.include.is_empty() {
            parts.push(list("include", &i.include));
        }
        parts.push(format!("name = {:?}", i.name));
        out.push(format!("#[index({})]", parts.join(", ")));
        used.insert(key);
    }
    for k in &t.checks {
        let key = format!("check {}", k.name);
        if used.contains(&key) || !k.validated {
            continue;
        }
        out.push(format!(
            "#[check(expr = {:?}, name = {:?})]",
            k.expr, k.name
        ));
        used.insert(key);
    }
    for f in &t.foreign_keys {
        let key = format!("fk {}", f.name);
        let names_ok = reference_name(&f.ref_schema)
            && reference_name(&f.ref_table)
            && f.ref_columns.iter().all(|c| reference_name(c));
        if used.contains(&key)
            || !f.validated
            || !f.simple
            || !names_ok
            || !all_listable(&f.columns)
        {
            continue;
        }
        let table = if f.ref_schema == t.schema {
            f.ref_table.clone()
        } else {
            format!("{}.{}", f.ref_schema, f.ref_table)
        };
        let mut parts = vec![
            list("columns", &f.columns),
            format!(
                "references = {:?}",
                format!("{table}({})", f.ref_columns.join(", "))
            ),
        ];
        if let Some(a) = action_word(&f.on_delete) {
            parts.push(format!("on_delete = {a:?}"));
        }
        if let Some(a) = action_word(&f.on_update) {
            parts.push(format!("on_update = {a:?}"));
        }
        parts.push(format!("name = {:?}", f.name));
        out.push(format!("#[foreign_key({})]", parts.join(", ")));
        used.insert(key);
    }
    out
}

/// One field's lines, marking in `used` the indexes and constraints it expresses.
fn column_field(
    t: &LiveTable,
    c: &LiveColumn,
    field: &str,
    pk: &[String],
    used: &mut BTreeSet<String>,
    notes: &mut Vec<String>,
) -> String {
    let table = t.name.as_str();
    let col = c.name.as_str();
    let mut keys: Vec<String> = Vec::new();
    if pk.iter().any(|p| p == col) {
        keys.push("primary_key".into());
    }
    let single = |cols: &[String]| cols.len() == 1 && cols[0] == col;
    if let Some(u) = t
        .indexes
        .iter()
        .find(|i| i.constraint.as_deref() == Some("u") && i.plain && i.valid && single(&i.columns))
    {
        keys.push("unique".into());
        used.insert(format!("index {}", u.name));
        notes.extend(renamed(
            &format!("the unique constraint on {col}"),
            &u.name,
            table,
            col,
            "key",
        ));
    }
    // `unique` and `index` on one field give one index, the unique one: a plain index beside
    // a unique constraint stays listed.
    let unique = keys.iter().any(|k| k == "unique");
    if let Some(i) = t.indexes.iter().find(|i| {
        !unique && i.constraint.is_none() && !i.unique && i.plain && i.valid && single(&i.columns)
    }) {
        keys.push("index".into());
        used.insert(format!("index {}", i.name));
        notes.extend(renamed(
            &format!("the index on {col}"),
            &i.name,
            table,
            col,
            "idx",
        ));
    }
    match c.identity.as_deref() {
        Some("ALWAYS") => keys.push("identity = \"always\"".into()),
        Some(_) => keys.push("identity".into()),
        None => {}
    }
    if let Some(expr) = &c.generated {
        notes.push(format!(
            "column {col} is GENERATED ALWAYS AS ({expr}) STORED: the field is a plain column"
        ));
    }
    // A serial column: its sequence has the name PostgreSQL gives it, in the table's schema.
    let mut serial = None;
    match (&c.default, &c.owned_sequence) {
        (Some(d), Some(seq)) if d.contains("nextval(") => {
            let own = *seq == format!("{}.{}_{}_seq", t.schema, table, col)
                || (t.schema == "public" && *seq == format!("{table}_{col}_seq"));
            serial = match c.sql_type.as_str() {
                "integer" if own => Some("serial"),
                "bigint" if own => Some("bigserial"),
                "smallint" if own => Some("smallserial"),
                _ => None,
            };
            if serial.is_none() {
                notes.push(format!(
                    "column {col} is serial: DEFAULT {d}, sequence {seq} owned by the column"
                ));
            }
        }
        (Some(d), _) => keys.push(format!("default = {d:?}")),
        (None, _) => {}
    }
    let (ty, sql_type) = rust_type(&c.sql_type);
    if let Some(s) = serial.or(sql_type.as_deref()) {
        keys.push(format!("sql_type = {s:?}"));
    }
    if let Some(f) = t.foreign_keys.iter().find(|f| {
        f.plain
            && f.validated
            && single(&f.columns)
            && f.ref_columns.len() == 1
            && reference_name(&f.ref_table)
            && reference_name(&f.ref_schema)
            && reference_name(&f.ref_columns[0])
    }) {
        let target = if f.ref_schema == t.schema {
            format!("{}({})", f.ref_table, f.ref_columns[0])
        } else {
            format!("{}.{}({})", f.ref_schema, f.ref_table, f.ref_columns[0])
        };
        keys.push(format!("references = {target:?}"));
        used.insert(format!("fk {}", f.name));
        notes.extend(renamed(
            &format!("the foreign key on {col}"),
            &f.name,
            table,
            col,
            "fkey",
        ));
    }
    if let Some(k) = t.checks.iter().find(|k| k.validated && single(&k.columns)) {
        keys.push(format!("check = {:?}", k.expr));
        used.insert(format!("check {}", k.name));
        notes.extend(renamed(
            &format!("the check on {col}"),
            &k.name,
            table,
            col,
            "check",
        ));
    }
    let ty = if c.nullable {
        format!("Option<{ty}>")
    } else {
        ty
    };
    let mut out = String::new();
    if !keys.is_empty() {
        let _ = writeln!(out, "    #[col({})]", keys.join(", "));
    }
    let _ = writeln!(out, "    pub {field}: {ty},");
    out
}

/// The whole file: header, file-level notes, then one struct per table.
pub fn render(schema: &str, tables: &[LiveTable], others: &catalog::Others) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "//! Imported by `migrate-gen import` from schema {schema}: one struct per table at version 1.\n\
         //! The field types name crates your crate then depends on (uuid, chrono, rust_decimal,\n\
         //! serde_json) where a column has such a type. `// not expressed:` lists what the\n\
         //! annotations cannot say: keep it as hand-written SQL.\n\
         #![allow(non_snake_case, non_camel_case_types)]\n\n\
         use schema_macros::versioned;\n"
    );
    for (name, labels) in &others.enums {
        let labels: Vec<String> = labels
            .iter()
            .map(|l| schema_core::sql::raw::lit(l))
            .collect();
        let _ = writeln!(
            out,
            "// not expressed: enum type {name} AS ENUM ({}): its columns name it in sql_type",
            labels.join(", ")
        );
    }
    for line in &others.lines {
        let _ = writeln!(out, "// not expressed: {line}");
    }
    let mut taken: BTreeSet<String> = BTreeSet::new();
    for t in tables {
        out.push('\n');
        let s = match table_struct(t) {
            Ok(s) => s,
            Err(why) => {
                let _ = writeln!(out, "// not expressed: {why}");
                let cols: Vec<String> = t
                    .columns
                    .iter()
                    .map(|c| format!("{} {}", c.name, c.sql_type))
                    .collect();
                let _ = writeln!(out, "//   columns: {}", cols.join(", "));
                continue;
            }
        };
        let mut name = camel(&t.name);
        if taken.contains(&name) {
            name = format!("{}{name}", camel(&t.schema));
        }
        while taken.contains(&name) {
            name.push('_');
        }
        taken.insert(name.clone());
        for note in &s.notes {
            let _ = writeln!(out, "// not expressed: {}", note.replace('\n', " "));
        }
        for a in &s.attrs {
            let _ = writeln!(out, "{a}");
        }
        let _ = writeln!(out, "pub struct {name} {{");
        for f in &s.fields {
            out.push_str(f);
        }
        out.push_str("}\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_map_back_or_keep_their_sql_type() {
        assert_eq!(rust_type("bigint"), ("i64".into(), None));
        assert_eq!(rust_type("text[]"), ("Vec<String>".into(), None));
        assert_eq!(
            rust_type("timestamp with time zone"),
            ("chrono::DateTime<chrono::Utc>".into(), None)
        );
        assert_eq!(
            rust_type("character varying(255)"),
            ("String".into(), Some("character varying(255)".into()))
        );
        assert_eq!(
            rust_type("numeric(10,2)"),
            ("rust_decimal::Decimal".into(), Some("numeric(10,2)".into()))
        );
        assert_eq!(
            rust_type("time without time zone"),
            ("chrono::NaiveTime".into(), None)
        );
        assert_eq!(
            rust_type("json"),
            ("serde_json::Value".into(), Some("json".into()))
        );
        assert_eq!(
            rust_type("public.mood"),
            ("String".into(), Some("public.mood".into()))
        );
    }

    #[test]
    fn names() {
        assert_eq!(camel("order_items"), "OrderItems");
        assert_eq!(camel("2fa"), "T2fa");
        assert_eq!(field_name("type").as_deref(), Some("r#type"));
        assert_eq!(field_name("email").as_deref(), Some("email"));
        assert_eq!(field_name("full name"), None);
        assert_eq!(field_name("self"), None);
    }
}
