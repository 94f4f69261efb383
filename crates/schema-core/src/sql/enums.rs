//! The statements of PostgreSQL enum types: creation, a label added, and the rollback of an
//! added label, which PostgreSQL cannot drop.

use super::raw::{lit, qualified};

/// `CREATE TYPE schema.name AS ENUM ('a', 'b')`.
pub fn create(schema: &str, name: &str, labels: &[&str]) -> String {
    let labels: Vec<String> = labels.iter().map(|l| lit(l)).collect();
    format!(
        "CREATE TYPE {} AS ENUM ({})",
        qualified(schema, name),
        labels.join(", ")
    )
}

/// `DROP TYPE IF EXISTS schema.name` (the rollback of its creation: nothing uses it then).
pub fn drop(schema: &str, name: &str) -> String {
    format!("DROP TYPE IF EXISTS {}", qualified(schema, name))
}

/// Where a label goes among the others.
pub enum Place<'a> {
    After(&'a str),
    Before(&'a str),
}

/// `ALTER TYPE ... ADD VALUE IF NOT EXISTS 'label' AFTER 'previous'`: safe to run again.
pub fn add_label(schema: &str, name: &str, label: &str, place: Place) -> String {
    let place = match place {
        Place::After(l) => format!("AFTER {}", lit(l)),
        Place::Before(l) => format!("BEFORE {}", lit(l)),
    };
    format!(
        "ALTER TYPE {} ADD VALUE IF NOT EXISTS {} {place}",
        qualified(schema, name),
        lit(label)
    )
}

/// The rollback of an added label. PostgreSQL cannot drop a label from an enum type (only a
/// rebuild of the type and of every column that uses it could, which rewrites those tables under
/// an exclusive lock), so the label stays, unused, and running the migration again finds it.
/// While a row of any column of the type holds it, the rollback refuses, changing nothing, and
/// names each column and how many rows to fix: old code could not read them.
pub fn refuse_label_in_use(schema: &str, name: &str, label: &str) -> String {
    let ty = lit(&qualified(schema, name));
    let label_lit = lit(label);
    let shown = format!("{schema}.{name}")
        .replace('\'', "''")
        .replace('%', "%%");
    let shown_label = label.replace('\'', "''").replace('%', "%%");
    format!(
        "DO $label$\n\
         DECLARE\n\
         \x20 mg_column record;\n\
         \x20 mg_rows bigint;\n\
         \x20 mg_found text := '';\n\
         BEGIN\n\
         \x20 FOR mg_column IN\n\
         \x20   SELECT a.attrelid::regclass AS rel, a.attname AS col\n\
         \x20   FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid\n\
         \x20   WHERE a.atttypid = pg_catalog.to_regtype({ty}) AND NOT a.attisdropped AND a.attnum > 0 AND c.relkind IN ('r', 'p')\n\
         \x20 LOOP\n\
         \x20   EXECUTE pg_catalog.format('SELECT count(*) FROM %s WHERE %I = %L', mg_column.rel, mg_column.col, {label_lit}) INTO mg_rows;\n\
         \x20   IF mg_rows > 0 THEN\n\
         \x20     mg_found := mg_found || pg_catalog.format(' %s.%s (%s rows)', mg_column.rel, mg_column.col, mg_rows);\n\
         \x20   END IF;\n\
         \x20 END LOOP;\n\
         \x20 IF mg_found <> '' THEN\n\
         \x20   RAISE EXCEPTION 'the label {shown_label} of {shown} is in use:%; nothing was changed', mg_found\n\
         \x20     USING HINT = 'give those rows another label (the old code cannot read this one), then run this rollback again; the label itself stays in the type, unused, since PostgreSQL cannot drop an enum label';\n\
         \x20 END IF;\n\
         END\n\
         $label$"
    )
}
