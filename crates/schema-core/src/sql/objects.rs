//! Indexes and constraints as the catalog holds them: conditions that a built index or a
//! foreign key has its definition (not only its name), and the refusals that stop a rollback,
//! changing nothing, when rows written since an index or constraint was dropped break it.

use super::quote::{ident, lit, qualified, regclass};
use crate::model::{ForeignKey, Index};

/// `'x'` as PostgreSQL prints `x` in an index definition (quoted when it must be).
fn printed(column: &str) -> String {
    format!("pg_catalog.quote_ident({})", lit(column))
}

/// A condition: index `idx` of `schema.table` exists, is valid, and has `idx`'s definition:
/// unique or not, its access method, its key columns in order (or an expression key), its
/// included columns, and a predicate when it is partial.
pub fn index_matches(schema: &str, table: &str, idx: &Index) -> String {
    let mut conds = vec![
        format!("i.indexrelid = {}", regclass(schema, &idx.name)),
        "i.indisvalid".to_owned(),
        format!("i.indrelid = {}", regclass(schema, table)),
        format!("i.indisunique = {}", idx.unique || idx.unique_index),
        format!(
            "am.amname = {}",
            lit(idx.using.as_deref().unwrap_or("btree"))
        ),
        format!("(i.indexprs IS NOT NULL) = {}", idx.expr.is_some()),
        format!("(i.indpred IS NOT NULL) = {}", idx.predicate.is_some()),
        format!("i.indnatts - i.indnkeyatts = {}", idx.include.len()),
    ];
    if idx.expr.is_none() {
        conds.push(format!("i.indnkeyatts = {}", idx.columns.len()));
        for (k, c) in idx.columns.iter().enumerate() {
            conds.push(format!(
                "pg_catalog.pg_get_indexdef(i.indexrelid, {}, true) = {}",
                k + 1,
                printed(c)
            ));
        }
    }
    for (k, c) in idx.include.iter().enumerate() {
        conds.push(format!(
            "pg_catalog.pg_get_indexdef(i.indexrelid, i.indnkeyatts + {}, true) = {}",
            k + 1,
            printed(c)
        ));
    }
    format!(
        "EXISTS (SELECT 1 FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid JOIN pg_catalog.pg_am am ON am.oid = c.relam WHERE {})",
        conds.join(" AND ")
    )
}

/// The code `pg_constraint` keeps for a referential action (`confdeltype`, `confupdtype`).
pub fn action_code(action: Option<&str>) -> &'static str {
    match action {
        Some("cascade") => "c",
        Some("restrict") => "r",
        Some("set null") => "n",
        Some("set default") => "d",
        _ => "a",
    }
}

/// A condition: foreign key `fk` of `schema.table` references its table and columns, in
/// order, with its actions.
pub fn foreign_key_matches(schema: &str, table: &str, fk: &ForeignKey) -> String {
    let names = |cols: &[String]| {
        format!(
            "ARRAY[{}]::name[]",
            cols.iter().map(|c| lit(c)).collect::<Vec<_>>().join(", ")
        )
    };
    let columns_of = |rel: &str, key: &str| {
        format!(
            "ARRAY(SELECT a.attname FROM unnest(co.{key}) WITH ORDINALITY k(n, o) JOIN pg_catalog.pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.n ORDER BY k.o)"
        )
    };
    format!(
        "EXISTS (SELECT 1 FROM pg_catalog.pg_constraint co WHERE co.conrelid = {t} AND co.conname = {n} AND co.contype = 'f' AND co.confrelid = {r} AND co.confdeltype = '{del}' AND co.confupdtype = '{upd}' AND {mine} = {cols} AND {theirs} = {ref_cols})",
        t = regclass(schema, table),
        n = lit(&fk.name),
        r = regclass(&fk.ref_schema, &fk.ref_table),
        del = action_code(fk.on_delete.as_deref()),
        upd = action_code(fk.on_update.as_deref()),
        mine = columns_of("co.conrelid", "conkey"),
        cols = names(&fk.columns),
        theirs = columns_of("co.confrelid", "confkey"),
        ref_cols = names(&fk.ref_columns),
    )
}

/// What a rollback counts before it rebuilds an index or constraint: the rows that break it.
pub enum Breaks<'a> {
    /// Keys held by more than one row, for a unique index or constraint.
    Duplicates(&'a Index),
    /// Rows whose key is in no row of the referenced table.
    Orphans(&'a ForeignKey),
    /// Rows for which the check is false.
    Check { name: &'a str, expr: &'a str },
}

impl Breaks<'_> {
    /// A query counting them in `schema.table`.
    fn count(&self, schema: &str, table: &str) -> String {
        let t = qualified(schema, table);
        match self {
            Breaks::Duplicates(idx) => {
                let keys = match &idx.expr {
                    Some(expr) => expr.clone(),
                    None => idx
                        .columns
                        .iter()
                        .map(|c| ident(c))
                        .collect::<Vec<_>>()
                        .join(", "),
                };
                let only = idx
                    .predicate
                    .as_ref()
                    .map_or(String::new(), |p| format!(" WHERE {p}"));
                // Keys with a NULL never collide.
                format!(
                    "SELECT count(*) FROM (SELECT 1 FROM {t}{only} GROUP BY {keys} HAVING count(*) > 1 AND ROW({keys}) IS NOT NULL) mg_duplicates"
                )
            }
            Breaks::Orphans(fk) => {
                let mine: Vec<String> = fk
                    .columns
                    .iter()
                    .map(|c| format!("mg_row.{}", ident(c)))
                    .collect();
                let joins: Vec<String> = fk
                    .columns
                    .iter()
                    .zip(&fk.ref_columns)
                    .map(|(c, r)| format!("mg_ref.{} = mg_row.{}", ident(r), ident(c)))
                    .collect();
                format!(
                    "SELECT count(*) FROM {t} mg_row WHERE ROW({}) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {} mg_ref WHERE {})",
                    mine.join(", "),
                    qualified(&fk.ref_schema, &fk.ref_table),
                    joins.join(" AND ")
                )
            }
            Breaks::Check { expr, .. } => format!("SELECT count(*) FROM {t} WHERE NOT ({expr})"),
        }
    }

    /// What the count is, for a message that puts it first: "% keys of t are ...".
    fn what(&self, table: &str) -> String {
        match self {
            Breaks::Duplicates(idx) => format!(
                "keys of {table} are held by more than one row, against the unique index {} ({})",
                idx.name,
                idx.keys()
            ),
            Breaks::Orphans(fk) => format!(
                "rows of {table} reference no row of {}.{} (foreign key {})",
                fk.ref_schema, fk.ref_table, fk.name
            ),
            Breaks::Check { name, expr } => {
                format!("rows of {table} break the check {name} ({expr})")
            }
        }
    }
}

/// A block that stops, changing nothing, while rows of `schema.table` break what a rollback
/// rebuilds: they were written while it was gone.
pub fn refuse_breaks(schema: &str, table: &str, breaks: &Breaks) -> String {
    let text = |s: &str| s.replace('%', "%%").replace('\'', "''");
    format!(
        "DO $breaks$\n\
         DECLARE\n\
         \x20 mg_rows bigint;\n\
         BEGIN\n\
         \x20 {count} INTO mg_rows;\n\
         \x20 IF mg_rows > 0 THEN\n\
         \x20   RAISE EXCEPTION '% {what}, written while it was dropped; nothing was changed', mg_rows\n\
         \x20     USING HINT = 'fix or delete those rows (the query: {query}), then run this rollback again';\n\
         \x20 END IF;\n\
         END\n\
         $breaks$",
        count = breaks.count(schema, table),
        what = text(&breaks.what(&format!("{schema}.{table}"))),
        query = text(&breaks.count(schema, table)),
    )
}

/// `VALIDATE CONSTRAINT`, and if rows break it (written between the refusal and the
/// constraint), the constraint dropped again so that the rollback leaves the table as it found
/// it; the file's check of the constraint then fails, saying so.
pub fn validate_or_drop(schema: &str, table: &str, name: &str) -> String {
    let t = qualified(schema, table);
    let c = ident(name);
    format!(
        "DO $validate$\n\
         BEGIN\n\
         \x20 ALTER TABLE {t} VALIDATE CONSTRAINT {c};\n\
         EXCEPTION WHEN check_violation OR foreign_key_violation THEN\n\
         \x20 ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {c};\n\
         \x20 RAISE WARNING 'rows of {shown} break constraint {shown_c}: it was dropped again, nothing was changed; fix the rows and run this rollback again';\n\
         END\n\
         $validate$",
        shown = format!("{schema}.{table}")
            .replace('\'', "''")
            .replace('%', "%%"),
        shown_c = name.replace('\'', "''").replace('%', "%%"),
    )
}
