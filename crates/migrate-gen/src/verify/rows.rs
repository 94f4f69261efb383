//! Rows written as one version's code would write them: values generated from the version's
//! model (keys, foreign keys, defaults, types), the seed of every table, and a digest of the
//! values of a version's columns.

use postgres::Client;
use schema_core::{Column, TableModel};

/// `"schema"."table"`.
pub fn qualified(model: &TableModel) -> String {
    format!("\"{}\".\"{}\"", model.schema, model.name)
}

/// A SQL value for `column` of row `id` (set-based with `id` a column or an expression), or
/// `None` when the column's default (or a serial's sequence) gives it.
pub fn value(model: &TableModel, column: &Column, id: &str) -> Result<Option<String>, String> {
    // A key's columns take the values of one referenced row: the one whose key sorts first.
    if let Some((fk, k)) = model.foreign_keys.iter().find_map(|f| {
        let k = f.columns.iter().position(|c| *c == column.name)?;
        Some((f, k))
    }) {
        let order: Vec<String> = fk.ref_columns.iter().map(|c| format!("\"{c}\"")).collect();
        return Ok(Some(format!(
            "(SELECT \"{}\" FROM \"{}\".\"{}\" ORDER BY {} LIMIT 1)",
            fk.ref_columns[k],
            fk.ref_schema,
            fk.ref_table,
            order.join(", ")
        )));
    }
    if model.primary_key.contains(&column.name) {
        return Ok(Some(id.to_owned()));
    }
    let ty = column.sql_type.to_ascii_lowercase();
    // A default, or a serial's sequence, gives the value.
    if column.default.is_some() || ty.ends_with("serial") || column.identity.is_some() {
        return Ok(None);
    }
    Ok(Some(match ty.as_str() {
        "bigint" | "integer" | "int" | "int4" | "int8" | "numeric" | "decimal" => format!("({id})"),
        t if t.starts_with("numeric") || t.starts_with("decimal") => format!("({id})"),
        "smallint" | "int2" => format!("(({id}) % 30000)::smallint"),
        "real" | "double precision" | "float4" | "float8" => format!("(({id}) + 0.5)"),
        "boolean" | "bool" => "true".into(),
        t if t.starts_with("timestamp") => "now()".into(),
        "date" => "current_date".into(),
        t if t.starts_with("time") => "current_time".into(),
        "interval" => "interval '1 minute'".into(),
        "uuid" => "gen_random_uuid()".into(),
        "jsonb" | "json" => "'{}'".into(),
        "bytea" => format!("convert_to('r' || ({id}), 'UTF8')"),
        "inet" | "cidr" => "'127.0.0.1'".into(),
        t if t.ends_with("[]") => "'{}'".into(),
        t if t.contains("char") || t == "text" || t == "citext" => format!("'r' || ({id})"),
        // A schema-qualified type of the sources: an enum type, given its first label.
        other if other.contains('.') && !other.contains('(') => {
            format!("(pg_catalog.enum_range(NULL::{}))[1]", column.sql_type)
        }
        other => {
            return Err(format!(
                "{}.{}: no generated value for type {other} (give the column a default)",
                model.name, column.name
            ));
        }
    }))
}

/// `INSERT INTO rel (columns) SELECT values tail`.
pub fn insert_sql(
    rel: &str,
    model: &TableModel,
    id_expr: &str,
    tail: &str,
) -> Result<String, String> {
    let mut cols = Vec::new();
    let mut vals = Vec::new();
    for c in &model.columns {
        if let Some(v) = value(model, c, id_expr)? {
            cols.push(format!("\"{}\"", c.name));
            vals.push(v);
        }
    }
    Ok(format!(
        "INSERT INTO {rel} ({}) SELECT {} {tail}",
        cols.join(", "),
        vals.join(", ")
    ))
}

/// Inserts `n` rows (ids 1..=n) through the columns of `model`.
pub fn seed(client: &mut Client, model: &TableModel, n: i64) -> Result<(), String> {
    let sql = insert_sql(
        &qualified(model),
        model,
        "i",
        &format!("FROM generate_series(1, {n}) AS i"),
    )?;
    client.batch_execute(&sql).map_err(|e| {
        format!(
            "seeding {} v{}: `{sql}`: {}",
            model.name,
            model.version,
            one_line(&e)
        )
    })
}

/// What one version's code does to one row: insert it, select it by primary key, update it,
/// naming only that version's columns, with that version's `search_path` (its view schema
/// first, as `Versioned::search_path` says) and the table's bare name. Returns the statement
/// and the error text on failure.
pub fn write_row(client: &mut Client, model: &TableModel, id: i64) -> Result<(), String> {
    client
        .batch_execute(&format!(
            "SET search_path = \"{}\", \"{}\"",
            schema_core::names::view_schema(&model.schema, model.version),
            model.schema
        ))
        .map_err(|e| one_line(&e))?;
    let result = write_row_here(client, model, id);
    client
        .batch_execute("RESET search_path")
        .map_err(|e| one_line(&e))?;
    result
}

fn write_row_here(client: &mut Client, model: &TableModel, id: i64) -> Result<(), String> {
    let pk = &model.primary_key[0];
    let rel = format!("\"{}\"", model.name);
    let insert = insert_sql(&rel, model, &id.to_string(), "")?;
    client
        .batch_execute(&insert)
        .map_err(|e| format!("insert `{insert}`: {}", one_line(&e)))?;
    let cols: Vec<String> = model
        .columns
        .iter()
        .map(|c| format!("\"{}\"::text", c.name))
        .collect();
    let select = format!(
        "SELECT {} FROM {rel} WHERE \"{pk}\" = {id}",
        cols.join(", ")
    );
    client
        .query_one(&select, &[])
        .map_err(|e| format!("select `{select}`: {}", one_line(&e)))?;
    if let Some(c) = model
        .columns
        .iter()
        .find(|c| !model.primary_key.contains(&c.name))
    {
        let update = format!(
            "UPDATE {rel} SET \"{c}\" = \"{c}\" WHERE \"{pk}\" = {id}",
            c = c.name
        );
        client
            .batch_execute(&update)
            .map_err(|e| format!("update `{update}`: {}", one_line(&e)))?;
    }
    Ok(())
}

/// A digest of the values of `model`'s columns in rows with `pk <= upto`.
pub fn data_digest(client: &mut Client, model: &TableModel, upto: i64) -> Result<String, String> {
    let pk = &model.primary_key[0];
    let cols: Vec<String> = model
        .columns
        .iter()
        .filter(|c| c.sql_type != "uuid" || c.default.is_none())
        .map(|c| format!("coalesce(\"{}\"::text, '<null>')", c.name))
        .collect();
    let sql = format!(
        "SELECT count(*)::text || ':' || coalesce(md5(string_agg(concat_ws('|', {}), ',' ORDER BY \"{pk}\")), '') FROM \"{}\".\"{}\" WHERE \"{pk}\" <= {upto}",
        cols.join(", "),
        model.schema,
        model.name
    );
    client.query_one(&sql, &[]).map(|r| r.get(0)).map_err(|e| {
        format!(
            "reading the values of {} v{}: {}",
            model.name,
            model.version,
            one_line(&e)
        )
    })
}

/// Per column of `model`: a digest of its values in rows with `pk <= upto` (one scan).
pub fn column_digests(
    client: &mut Client,
    model: &TableModel,
    upto: i64,
) -> Result<Vec<(String, String)>, String> {
    let pk = &model.primary_key[0];
    let columns: Vec<&Column> = model
        .columns
        .iter()
        .filter(|c| c.sql_type != "uuid" || c.default.is_none())
        .collect();
    let aggs: Vec<String> = columns
        .iter()
        .map(|c| {
            format!(
                "count(*)::text || ':' || coalesce(md5(string_agg(coalesce(\"{}\"::text, '<null>'), ',' ORDER BY \"{pk}\")), '')",
                c.name
            )
        })
        .collect();
    if aggs.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {} FROM {} WHERE \"{pk}\" <= {upto}",
        aggs.join(", "),
        qualified(model)
    );
    let row = client.query_one(&sql, &[]).map_err(|e| {
        format!(
            "reading the values of {} v{}: {}",
            model.name,
            model.version,
            one_line(&e)
        )
    })?;
    Ok(columns
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.clone(), row.get(i)))
        .collect())
}

/// How many of `ids` are rows of `rel` (by its column `pk`).
pub fn count_ids(client: &mut Client, rel: &str, pk: &str, ids: &[i64]) -> Result<usize, String> {
    if ids.is_empty() {
        return Ok(0);
    }
    let n: i64 = client
        .query_one(
            &format!("SELECT count(*) FROM {rel} WHERE \"{pk}\"::bigint = ANY($1)"),
            &[&ids],
        )
        .map_err(|e| format!("counting rows of {rel}: {}", one_line(&e)))?
        .get(0);
    Ok(n as usize)
}

/// A PostgreSQL error on one line, with its SQLSTATE.
pub fn one_line(e: &postgres::Error) -> String {
    crate::runner::one_line(e)
}
