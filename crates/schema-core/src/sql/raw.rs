//! The SQL that sea-query cannot express — `NOT VALID`, `VALIDATE CONSTRAINT`, `SET NOT NULL`,
//! triggers, `DO` blocks, catalog checks — in this one module.

/// A column filled for existing rows by a batched walk ([`backfill`]): `column = COALESCE(column,
/// (expr))` for the rows still NULL.
#[derive(Debug, Clone)]
pub struct Fill {
    pub column: String,
    pub expr: String,
    /// Whether the column becomes NOT NULL once filled (the planner's business; the walk fills
    /// either way).
    pub not_null: bool,
}

/// The `search_path` every migration runs with, and every generated function sets: only
/// PostgreSQL's own catalog, then the session's temporary schema (listed last so that a
/// temporary table cannot stand in for a real one). A role that can create objects in `public`
/// or in the table's schema then cannot plant a function, operator or type that a migration
/// running with the migrating role's rights would pick over the built-in one (`lower(varchar)`
/// beats `pg_catalog.lower(text)` wherever both are visible). Every table is named with its
/// schema; a user's type or function outside `pg_catalog` must be too.
pub const SEARCH_PATH: &str = "pg_catalog, pg_temp";

/// The session setting at the top of every plain-layout file (psql and the runner run a
/// file in a session of its own).
pub fn pin_search_path() -> String {
    format!("SET search_path = {SEARCH_PATH}")
}

/// The same setting for the current transaction only, inside a `DO` block or a transaction
/// that shares its connection with the application (the sqlx layout run by `sqlx::migrate!`):
/// nothing leaks into the session afterwards.
pub fn pin_search_path_local() -> String {
    format!(
        "pg_catalog.set_config('search_path', {}, true)",
        lit(SEARCH_PATH)
    )
}

use super::quote::regclass;
pub use super::quote::{ident, lit, qualified};

pub fn add_constraint_not_valid(schema: &str, table: &str, name: &str, body: &str) -> String {
    format!(
        "ALTER TABLE {} ADD CONSTRAINT {} {body} NOT VALID",
        qualified(schema, table),
        ident(name)
    )
}

pub fn not_valid(statement: &str) -> String {
    format!("{statement} NOT VALID")
}

pub fn validate_constraint(schema: &str, table: &str, name: &str) -> String {
    format!(
        "ALTER TABLE {} VALIDATE CONSTRAINT {}",
        qualified(schema, table),
        ident(name)
    )
}

pub fn drop_constraint_if_exists(schema: &str, table: &str, name: &str) -> String {
    format!(
        "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
        qualified(schema, table),
        ident(name)
    )
}

pub fn set_not_null(schema: &str, table: &str, column: &str) -> String {
    format!(
        "ALTER TABLE {} ALTER COLUMN {} SET NOT NULL",
        qualified(schema, table),
        ident(column)
    )
}

pub fn drop_not_null(schema: &str, table: &str, column: &str) -> String {
    format!(
        "ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL",
        qualified(schema, table),
        ident(column)
    )
}

pub fn set_default(schema: &str, table: &str, column: &str, expr: &str) -> String {
    format!(
        "ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {expr}",
        qualified(schema, table),
        ident(column)
    )
}

/// A trigger function that fills `column` with `expr` (over the row's columns) when a write
/// leaves it NULL: old code that does not know the column keeps working.
pub fn fill_function(schema: &str, function: &str, column: &str, expr: &str) -> String {
    format!(
        "CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql SET search_path = {SEARCH_PATH} AS $fill$\n\
         BEGIN\n\
         \x20 IF NEW.{col} IS NULL THEN\n\
         \x20   SELECT ({expr}) INTO NEW.{col} FROM (SELECT NEW.*) AS mg_row;\n\
         \x20 END IF;\n\
         \x20 RETURN NEW;\n\
         END\n\
         $fill$",
        qualified(schema, function),
        col = ident(column),
    )
}

/// A `BEFORE INSERT OR UPDATE` row trigger running `function` (a fill or a sync function),
/// except for the rows a batched walk writes: the walk writes both sides itself, and a trigger
/// call per row was a large part of its cost (the walk sets [`setting::FILLING`] for each of
/// its transactions; the application's sessions never do).
pub fn create_row_trigger(schema: &str, table: &str, trigger: &str, function: &str) -> String {
    format!(
        "CREATE TRIGGER {} BEFORE INSERT OR UPDATE ON {} FOR EACH ROW WHEN (pg_catalog.current_setting({}, true) IS DISTINCT FROM 'on') EXECUTE FUNCTION {}()",
        ident(trigger),
        qualified(schema, table),
        lit(setting::FILLING),
        qualified(schema, function)
    )
}

/// A trigger function that keeps `old` and `new` (a renamed column) in step in both
/// directions while old and new code both write: an insert that leaves `new` NULL came from
/// old code (copy old to new), any other insert from new code (copy new to old); an update
/// copies whichever side it changed. The copy happens before NOT NULL is checked, so neither
/// side's NOT NULL makes the other side's inserts fail.
pub fn sync_function(
    schema: &str,
    function: &str,
    old: &str,
    new: &str,
    to_new: Option<&str>,
    to_old: Option<&str>,
) -> String {
    let (o, n) = (ident(old), ident(new));
    // A conversion reads the column under its own name: the old row for `to_new`, the new
    // value under the old column's name for `to_old`.
    let set_new = match to_new {
        None => format!("NEW.{n} := NEW.{o};"),
        Some(e) => format!("NEW.{n} := {};", over_row(e, "NEW.*")),
    };
    let set_old = match to_old {
        None => format!("NEW.{o} := NEW.{n};"),
        Some(e) => format!("NEW.{o} := {};", over_row(e, &format!("NEW.{n} AS {o}"))),
    };
    format!(
        "CREATE OR REPLACE FUNCTION {}() RETURNS trigger LANGUAGE plpgsql SET search_path = {SEARCH_PATH} AS $sync$\n\
         BEGIN\n\
         \x20 IF TG_OP = 'INSERT' THEN\n\
         \x20   IF NEW.{n} IS NULL THEN\n\
         \x20     {set_new}\n\
         \x20   ELSE\n\
         \x20     {set_old}\n\
         \x20   END IF;\n\
         \x20 ELSIF NEW.{n} IS DISTINCT FROM OLD.{n} THEN\n\
         \x20   {set_old}\n\
         \x20 ELSIF NEW.{o} IS DISTINCT FROM OLD.{o} THEN\n\
         \x20   {set_new}\n\
         \x20 END IF;\n\
         \x20 RETURN NEW;\n\
         END\n\
         $sync$",
        qualified(schema, function),
    )
}

/// `expr` evaluated over one row made of `columns` (a select list): a user's expression
/// names columns, and this gives it the ones it names.
pub fn over_row(expr: &str, columns: &str) -> String {
    format!("(SELECT ({expr}) FROM (SELECT {columns}) AS mg_row)")
}

pub fn rename_column(schema: &str, table: &str, from: &str, to: &str) -> String {
    format!(
        "ALTER TABLE {} RENAME COLUMN {} TO {}",
        qualified(schema, table),
        ident(from),
        ident(to)
    )
}

pub fn rename_constraint(schema: &str, table: &str, from: &str, to: &str) -> String {
    format!(
        "ALTER TABLE {} RENAME CONSTRAINT {} TO {}",
        qualified(schema, table),
        ident(from),
        ident(to)
    )
}

pub fn alter_column_type(schema: &str, table: &str, column: &str, sql_type: &str) -> String {
    format!(
        "ALTER TABLE {} ALTER COLUMN {} TYPE {sql_type}",
        qualified(schema, table),
        ident(column)
    )
}

/// The view through which one version's code sees a table during a type change:
/// `columns` are `(physical column, the version's name for it)`.
pub fn create_version_view(
    view_schema: &str,
    schema: &str,
    table: &str,
    columns: &[(String, String)],
) -> String {
    let list = columns
        .iter()
        .map(|(physical, name)| {
            if physical == name {
                ident(name)
            } else {
                format!("{} AS {}", ident(physical), ident(name))
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "CREATE OR REPLACE VIEW {} AS SELECT {list} FROM {}",
        qualified(view_schema, table),
        qualified(schema, table)
    )
}

/// `CREATE VIEW schema.view AS SELECT columns FROM schema.table`: a view over one table with
/// plain columns, which PostgreSQL makes updatable (the table's defaults apply to inserts).
pub fn create_view_of(schema: &str, view: &str, table: &str, columns: &[String]) -> String {
    let list = columns
        .iter()
        .map(|c| ident(c))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "CREATE VIEW {} AS SELECT {list} FROM {}",
        qualified(schema, view),
        qualified(schema, table)
    )
}

pub fn create_schema_if_not_exists(schema: &str) -> String {
    format!("CREATE SCHEMA IF NOT EXISTS {}", ident(schema))
}

pub fn drop_view_if_exists(schema: &str, view: &str) -> String {
    format!("DROP VIEW IF EXISTS {}", qualified(schema, view))
}

/// Drops `schema` once nothing is left in it (the version views of other tables may be).
pub fn drop_schema_if_empty(schema: &str) -> String {
    format!(
        "DO $schema$\n\
         BEGIN\n\
         \x20 IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = {n})\n\
         \x20    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = {n}) THEN\n\
         \x20   DROP SCHEMA {q};\n\
         \x20 END IF;\n\
         END\n\
         $schema$",
        n = lit(schema),
        q = ident(schema),
    )
}

/// Runs `statements` in one `DO` block (one atomic statement, for no-transaction files)
/// unless `column` of `schema.table` exists already.
pub fn unless_column(schema: &str, table: &str, column: &str, statements: &[String]) -> String {
    let body: String = statements.iter().map(|s| format!("    {s};\n")).collect();
    format!(
        "DO $unless$\n\
         BEGIN\n\
         \x20 IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = {rel} AND attname = {c} AND NOT attisdropped) THEN\n\
         {body}\
         \x20 END IF;\n\
         END\n\
         $unless$",
        rel = regclass(schema, table),
        c = lit(column),
    )
}

/// Stops, naming how many rows and the first keys, when `column` of `schema.table` holds NULLs
/// that a NOT NULL column cannot take back.
pub fn refuse_nulls(schema: &str, table: &str, column: &str) -> String {
    let t = qualified(schema, table);
    let c = ident(column);
    format!(
        "DO $nulls$\n\
         DECLARE\n\
         \x20 mg_rows bigint;\n\
         BEGIN\n\
         \x20 SELECT count(*) INTO mg_rows FROM {t} WHERE {c} IS NULL;\n\
         \x20 IF mg_rows > 0 THEN\n\
         \x20   RAISE EXCEPTION '% rows of {shown} have no {col} (written by the new code while the column was being dropped); nothing was changed', mg_rows\n\
         \x20     USING HINT = 'give them a value (UPDATE {hint_t} SET {hint_c} = ... WHERE {hint_c} IS NULL), or add `down = \"...\"` to the field for the files generated from now on, then run this rollback again';\n\
         \x20 END IF;\n\
         END\n\
         $nulls$",
        shown = raise_text(&format!("{schema}.{table}")),
        col = raise_text(column),
        hint_t = t.replace('\'', "''"),
        hint_c = c.replace('\'', "''"),
    )
}

pub fn drop_default(schema: &str, table: &str, column: &str) -> String {
    format!(
        "ALTER TABLE {} ALTER COLUMN {} DROP DEFAULT",
        qualified(schema, table),
        ident(column)
    )
}

/// Runs `statement` (which adds constraint `name`) unless the constraint exists: re-runnable
/// outside a transaction.
pub fn constraint_if_missing(schema: &str, table: &str, name: &str, statement: &str) -> String {
    unless_constraint("missing", schema, table, name, statement)
}

/// A `DO $tag$` block that runs `statement` unless constraint `name` exists.
pub fn unless_constraint(
    tag: &str,
    schema: &str,
    table: &str,
    name: &str,
    statement: &str,
) -> String {
    format!(
        "DO ${tag}$\n\
         BEGIN\n\
         \x20 IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = {rel} AND conname = {n}) THEN\n\
         \x20   {statement};\n\
         \x20 END IF;\n\
         END\n\
         ${tag}$",
        rel = regclass(schema, table),
        n = lit(name),
    )
}

pub fn drop_trigger_if_exists(schema: &str, table: &str, trigger: &str) -> String {
    format!(
        "DROP TRIGGER IF EXISTS {} ON {}",
        ident(trigger),
        qualified(schema, table)
    )
}

pub fn drop_function_if_exists(schema: &str, function: &str) -> String {
    format!("DROP FUNCTION IF EXISTS {}()", qualified(schema, function))
}

/// Prepares a concurrent build of index `name`, in the statement before it:
///
/// - drops an index that an earlier, failed concurrent build left invalid, so that the build
///   runs again (a bare `IF NOT EXISTS` would accept the invalid leftover); dropping an invalid
///   index takes a brief `ACCESS EXCLUSIVE` lock, bounded by `lock_timeout`;
/// - builds with one process unless [`setting::BUILD_WORKERS`] says otherwise: PostgreSQL
///   would otherwise add up to `max_parallel_maintenance_workers` (2 by default) parallel
///   workers, taking that many more cores from the application's queries for the whole build.
///   The setting is the session's, as a concurrent build cannot share a transaction.
pub fn drop_invalid_index(schema: &str, name: &str) -> String {
    format!(
        "DO $leftover$\n\
         BEGIN\n\
         \x20 PERFORM pg_catalog.set_config('max_parallel_maintenance_workers', {workers}, false);\n\
         \x20 IF EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = {rel} AND NOT indisvalid) THEN\n\
         \x20   RAISE NOTICE 'dropping the invalid index {msg} left by an earlier failed build';\n\
         \x20   DROP INDEX {q};\n\
         \x20 END IF;\n\
         END\n\
         $leftover$",
        rel = regclass(schema, name),
        msg = raise_text(&format!("{schema}.{name}")),
        q = qualified(schema, name),
        workers = setting_or(setting::BUILD_WORKERS, "0"),
    )
}

/// Takes the `ACCESS EXCLUSIVE` lock of a transaction that changes a table's catalog, at the
/// start of the transaction, without making the application queue behind it (SPEC section 10,
/// the lock queue at its floor): while another session holds a lock on the table in a
/// transaction older than one attempt, it waits outside the queue (saying who, every 10 s);
/// then it tries `LOCK TABLE` with a short `lock_timeout` ([`setting::LOCK_ATTEMPT`], 50 ms),
/// retrying after a growing, jittered pause, until the budget ([`setting::LOCK_BUDGET`], 5
/// minutes, and at most 90% of the file's `statement_timeout`) runs out, when it fails with
/// `lock_not_available`, changing nothing (an attempt time of `0` takes the lock with the file's
/// own `lock_timeout`, without waiting or retrying). The lock is then held to the transaction's
/// end, so the file's own statements never wait for it.
///
/// It locks each of `candidates` that exists when the file runs as a table or a view (a
/// rename's transactions find the table under its old or new name and the view under the
/// other), and every view over them (a version view of a type change). Views come first, as
/// the application's statements through a view lock the view and then its table: in the other
/// order the two would deadlock.
pub fn take_table_lock(candidates: &[(&str, &str)]) -> String {
    let mut rels: Vec<String> = Vec::new();
    for (schema, table) in candidates {
        let rel = regclass(schema, table);
        if !rels.contains(&rel) {
            rels.push(rel);
        }
    }
    format!(
        "DO $lock$\n\
         DECLARE\n\
         \x20 mg_rels oid[];\n\
         \x20 mg_names text;\n\
         \x20 mg_attempt interval := {attempt}::interval;\n\
         \x20 mg_budget interval := {budget}::interval;\n\
         \x20 mg_limit interval := pg_catalog.current_setting('statement_timeout')::interval;\n\
         \x20 mg_timeout text := pg_catalog.current_setting('lock_timeout');\n\
         \x20 mg_deadline timestamptz;\n\
         \x20 mg_holder text;\n\
         \x20 mg_said timestamptz;\n\
         \x20 mg_tries integer := 0;\n\
         BEGIN\n\
         \x20 WITH named AS (\n\
         \x20   SELECT c.oid, c.relkind = 'v' AS view FROM pg_catalog.pg_class c\n\
         \x20    WHERE c.oid = ANY (ARRAY[{rels}]::oid[]) AND c.relkind IN ('r', 'p', 'v')\n\
         \x20 ), rels AS (\n\
         \x20   SELECT oid, view FROM named\n\
         \x20   UNION\n\
         \x20   -- The views over them (a version view, a renamed table's old name).\n\
         \x20   SELECT r.ev_class, true FROM pg_catalog.pg_rewrite r\n\
         \x20     JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid\n\
         \x20     JOIN pg_catalog.pg_class v ON v.oid = r.ev_class AND v.relkind = 'v'\n\
         \x20    WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid IN (SELECT oid FROM named)\n\
         \x20 )\n\
         \x20 SELECT pg_catalog.array_agg(oid ORDER BY view DESC, oid), pg_catalog.string_agg(oid::regclass::text, ', ' ORDER BY view DESC, oid)\n\
         \x20   INTO mg_rels, mg_names FROM (SELECT DISTINCT oid, view FROM rels) AS mg_all;\n\
         \x20 IF mg_rels IS NULL THEN\n\
         \x20   RETURN;\n\
         \x20 END IF;\n\
         \x20 IF mg_limit > interval '0' THEN\n\
         \x20   mg_budget := least(mg_budget, mg_limit * 0.9);\n\
         \x20 END IF;\n\
         \x20 IF mg_attempt <= interval '0' THEN\n\
         \x20   -- No short attempts: the file's own lock_timeout.\n\
         \x20   EXECUTE pg_catalog.format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', mg_names);\n\
         \x20   RETURN;\n\
         \x20 END IF;\n\
         \x20 mg_deadline := pg_catalog.statement_timestamp() + mg_budget;\n\
         \x20 LOOP\n\
         \x20   -- Another session's transaction, open for longer than one attempt, holding a lock\n\
         \x20   -- on the table: waiting in the queue behind it would make the application's\n\
         \x20   -- statements queue behind this one.\n\
         \x20   SELECT pg_catalog.format('pid %s holds %s on %s in a transaction open for %s s', l.pid, l.mode, l.relation::regclass,\n\
         \x20          pg_catalog.round(EXTRACT(epoch FROM pg_catalog.clock_timestamp() - a.xact_start)::numeric, 1))\n\
         \x20     INTO mg_holder\n\
         \x20     FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid\n\
         \x20    WHERE l.locktype = 'relation' AND l.granted AND l.relation = ANY (mg_rels)\n\
         \x20      AND l.pid <> pg_catalog.pg_backend_pid() AND a.backend_type = 'client backend'\n\
         \x20      AND a.xact_start < pg_catalog.clock_timestamp() - mg_attempt\n\
         \x20    ORDER BY a.xact_start LIMIT 1;\n\
         \x20   IF mg_holder IS NULL THEN\n\
         \x20     BEGIN\n\
         \x20       PERFORM pg_catalog.set_config('lock_timeout', (EXTRACT(epoch FROM mg_attempt) * 1000)::bigint::text, true);\n\
         \x20       EXECUTE pg_catalog.format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', mg_names);\n\
         \x20       PERFORM pg_catalog.set_config('lock_timeout', mg_timeout, true);\n\
         \x20       RETURN;\n\
         \x20     EXCEPTION WHEN lock_not_available OR deadlock_detected THEN\n\
         \x20       mg_tries := mg_tries + 1;\n\
         \x20     END;\n\
         \x20   END IF;\n\
         \x20   IF pg_catalog.clock_timestamp() >= mg_deadline THEN\n\
         \x20     RAISE EXCEPTION USING ERRCODE = 'lock_not_available', MESSAGE = pg_catalog.format(\n\
         \x20       'could not lock %s within %s without queueing the application behind this file (%s attempts)%s; nothing was changed: run the file again',\n\
         \x20       mg_names, mg_budget, mg_tries, coalesce(': ' || mg_holder, ''));\n\
         \x20   END IF;\n\
         \x20   IF mg_holder IS NOT NULL AND (mg_said IS NULL OR pg_catalog.clock_timestamp() - mg_said >= interval '10s') THEN\n\
         \x20     RAISE NOTICE 'waiting without queueing: %', mg_holder;\n\
         \x20     mg_said := pg_catalog.clock_timestamp();\n\
         \x20   END IF;\n\
         \x20   PERFORM pg_catalog.pg_sleep(CASE WHEN mg_holder IS NULL\n\
         \x20     THEN least(2, 0.1 * mg_tries) * (0.5 + pg_catalog.random()) ELSE 0.05 END);\n\
         \x20 END LOOP;\n\
         END\n\
         $lock$",
        attempt = setting_or(setting::LOCK_ATTEMPT, "50ms"),
        budget = setting_or(setting::LOCK_BUDGET, "5min"),
        rels = rels.join(", "),
    )
}

/// Turns the unique index `name` into the unique constraint of the same name, unless done.
pub fn attach_unique(schema: &str, table: &str, name: &str) -> String {
    format!(
        "DO $attach$\n\
         BEGIN\n\
         \x20 IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = {rel} AND conname = {n}) THEN\n\
         \x20   ALTER TABLE {t} ADD CONSTRAINT {i} UNIQUE USING INDEX {i};\n\
         \x20 END IF;\n\
         END\n\
         $attach$",
        rel = regclass(schema, table),
        n = lit(name),
        t = qualified(schema, table),
        i = ident(name),
    )
}

/// Drops the unique constraint `name` (and its index) if it exists; for no-transaction
/// rollbacks, where a bare `ALTER TABLE` would not be re-runnable.
pub fn drop_constraint_in_do(schema: &str, table: &str, name: &str) -> String {
    format!(
        "DO $detach$\n\
         BEGIN\n\
         \x20 {};\n\
         END\n\
         $detach$",
        drop_constraint_if_exists(schema, table, name)
    )
}

/// Adds a `NOT VALID` check constraint unless it exists (re-runnable outside a transaction).
pub fn add_check_not_valid_if_missing(schema: &str, table: &str, name: &str, expr: &str) -> String {
    let add = add_constraint_not_valid(schema, table, name, &format!("CHECK ({expr})"));
    unless_constraint("helper", schema, table, name, &add)
}

/// The batched backfill: walks the primary key from its lowest to the highest value that
/// existed when it started (see [`walk`]), filling only rows that are still NULL (rows written
/// since by either version are kept as they are; rows inserted after the start are filled by
/// the trigger or default).
pub fn backfill(
    schema: &str,
    table: &str,
    pk: &[String],
    fills: &[Fill],
    pacing: &Pacing,
) -> String {
    let t = qualified(schema, table);
    let set = fills
        .iter()
        .map(|f| format!("{c} = COALESCE({c}, ({}))", f.expr, c = ident(&f.column)))
        .collect::<Vec<_>>()
        .join(", ");
    let pending = fills
        .iter()
        .map(|f| format!("{} IS NULL", ident(&f.column)))
        .collect::<Vec<_>>()
        .join(" OR ");
    walk(schema, table, pk, pacing, "backfill", |range| {
        format!("UPDATE {t} SET {set}\n\x20         WHERE {range} AND ({pending})")
    })
}

/// The schema that keeps the values of dropped columns, and dropped tables, for their
/// retention period.
pub const ARCHIVE_SCHEMA: &str = "migrate_gen_archive";

/// Copies `column` of every row, with its primary key, into the archive table `archive`,
/// walking the key like [`backfill`]; a copy that ran before is brought up to date.
pub fn archive_copy(
    schema: &str,
    table: &str,
    pk: &[String],
    column: &str,
    archive: &str,
    pacing: &Pacing,
) -> String {
    let t = qualified(schema, table);
    let cols = pk.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
    let c = ident(column);
    let a = qualified(ARCHIVE_SCHEMA, archive);
    walk(schema, table, pk, pacing, "archive", |range| {
        format!(
            "INSERT INTO {a} ({cols}, {c}) SELECT {cols}, {c} FROM {t}\n\x20         WHERE {range}\n\x20         ON CONFLICT ({cols}) DO UPDATE SET {c} = EXCLUDED.{c}"
        )
    })
}

/// The archive schema, unless it exists.
pub fn create_archive_schema() -> String {
    format!("CREATE SCHEMA IF NOT EXISTS {}", ident(ARCHIVE_SCHEMA))
}

/// The archive's registry: what each archive holds, until when it is kept, and the
/// privileges a table moved there had (given back when it moves back).
pub fn archive_registry() -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (archive text PRIMARY KEY, source text NOT NULL, version bigint NOT NULL, archived_at timestamptz NOT NULL, keep_until timestamptz NOT NULL, grants aclitem[])",
        qualified(ARCHIVE_SCHEMA, "registry")
    )
}

/// The `grants` column, for a registry created before it existed.
pub fn archive_registry_grants() -> String {
    format!(
        "ALTER TABLE {} ADD COLUMN IF NOT EXISTS grants aclitem[]",
        qualified(ARCHIVE_SCHEMA, "registry")
    )
}

/// Goes on only if the archive schema and `tables` in it belong to the migrating role, and
/// takes away every privilege that anyone else holds on them: an archive holds the values of
/// dropped columns, often personal data, and a role that created the schema or an archive
/// table first (it is created `IF NOT EXISTS`) would otherwise receive them.
pub fn guard_archive(tables: &[&str]) -> String {
    let mut body = format!(
        "\x20 SELECT pg_catalog.pg_get_userbyid(nspowner) INTO mg_owner FROM pg_catalog.pg_namespace WHERE nspname = {s};\n\
         \x20 IF mg_owner IS DISTINCT FROM current_user THEN\n\
         \x20   RAISE EXCEPTION 'the archive schema {msg} is owned by %, not by the migrating role %: another role may have created it to receive archived data', mg_owner, current_user\n\
         \x20     USING HINT = 'check what it holds, then drop it or give it to the migrating role (ALTER SCHEMA {q} OWNER TO ...), and run this file again';\n\
         \x20 END IF;\n\
         \x20 REVOKE ALL ON SCHEMA {q} FROM PUBLIC;\n",
        s = lit(ARCHIVE_SCHEMA),
        q = ident(ARCHIVE_SCHEMA),
        msg = raise_text(ARCHIVE_SCHEMA),
    );
    for table in tables {
        let rel = regclass(ARCHIVE_SCHEMA, table);
        let shown = raise_text(&format!("{ARCHIVE_SCHEMA}.{table}"));
        body.push_str(&format!(
            "\x20 SELECT pg_catalog.pg_get_userbyid(relowner) INTO mg_owner FROM pg_catalog.pg_class WHERE oid = {rel};\n\
             \x20 IF mg_owner IS DISTINCT FROM current_user THEN\n\
             \x20   RAISE EXCEPTION 'the archive table {shown} is owned by %, not by the migrating role %: another role may have created it to receive archived data', mg_owner, current_user\n\
             \x20     USING HINT = 'check what it holds, then drop it, and run this file again';\n\
             \x20 END IF;\n\
             {}",
            revoke_others(ARCHIVE_SCHEMA, table)
        ));
    }
    format!("DO $guard$\nDECLARE\n  mg_owner text;\n  mg_grantee text;\nBEGIN\n{body}END\n$guard$")
}

/// PL/pgSQL that revokes every privilege on a table from every role but its owner.
fn revoke_others(schema: &str, table: &str) -> String {
    format!(
        "\x20 FOR mg_grantee IN SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a WHERE c.oid = {rel} AND a.grantee <> c.relowner LOOP\n\
         \x20   EXECUTE pg_catalog.format('REVOKE ALL ON TABLE %s FROM %s', {t}, mg_grantee);\n\
         \x20 END LOOP;\n",
        rel = regclass(schema, table),
        t = lit(&qualified(schema, table)),
    )
}

/// For a table just moved into the archive as `archive`: keeps the privileges it had in the
/// registry (once: a rerun keeps the first record), then takes away every one but its owner's.
pub fn seal_archived_table(archive: &str) -> String {
    format!(
        "DO $seal$\nDECLARE\n  mg_grantee text;\nBEGIN\n\
         \x20 UPDATE {registry} SET grants = (SELECT relacl FROM pg_catalog.pg_class WHERE oid = {rel}) WHERE archive = {a} AND grants IS NULL;\n\
         {revoke}END\n$seal$",
        registry = qualified(ARCHIVE_SCHEMA, "registry"),
        rel = regclass(ARCHIVE_SCHEMA, archive),
        a = lit(archive),
        revoke = revoke_others(ARCHIVE_SCHEMA, archive),
    )
}

/// For a table moved back from the archive `archive` to `schema.table`: gives back the
/// privileges it had before it was archived, as the registry kept them.
pub fn unseal_table(schema: &str, table: &str, archive: &str) -> String {
    format!(
        "DO $unseal$\nDECLARE\n  mg_grant record;\nBEGIN\n\
         \x20 FOR mg_grant IN SELECT a.privilege_type, a.is_grantable, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END AS grantee\n\
         \x20   FROM {registry} r, pg_catalog.aclexplode(r.grants) a, pg_catalog.pg_class c\n\
         \x20   WHERE r.archive = {a} AND c.oid = {rel} AND a.grantee <> c.relowner LOOP\n\
         \x20   EXECUTE pg_catalog.format('GRANT %s ON TABLE %s TO %s%s', mg_grant.privilege_type, {t}, mg_grant.grantee, CASE WHEN mg_grant.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);\n\
         \x20 END LOOP;\n\
         END\n$unseal$",
        registry = qualified(ARCHIVE_SCHEMA, "registry"),
        a = lit(archive),
        rel = regclass(schema, table),
        t = lit(&qualified(schema, table)),
    )
}

/// Records (or renews) archive `archive` of `source`, kept for `retention` (an interval).
pub fn archive_register(archive: &str, source: &str, version: u32, retention: &str) -> String {
    format!(
        "INSERT INTO {} (archive, source, version, archived_at, keep_until) VALUES ({}, {}, {version}, pg_catalog.now(), pg_catalog.now() + interval {}) ON CONFLICT (archive) DO UPDATE SET archived_at = EXCLUDED.archived_at, keep_until = EXCLUDED.keep_until",
        qualified(ARCHIVE_SCHEMA, "registry"),
        lit(archive),
        lit(source),
        lit(retention)
    )
}

/// Forgets archive `archive` (its table was moved back where it came from).
pub fn archive_unregister(archive: &str) -> String {
    format!(
        "DELETE FROM {} WHERE archive = {}",
        qualified(ARCHIVE_SCHEMA, "registry"),
        lit(archive)
    )
}

/// `ALTER TABLE|INDEX [IF EXISTS] "schema"."name" ...`.
fn alter(kind: &str, if_exists: bool, schema: &str, name: &str, action: &str) -> String {
    format!(
        "ALTER {kind} {}{} {action}",
        if if_exists { "IF EXISTS " } else { "" },
        qualified(schema, name)
    )
}

/// `ALTER TABLE [IF EXISTS] ... RENAME TO new` (the table stays in its schema).
pub fn rename_table(schema: &str, table: &str, new: &str, if_exists: bool) -> String {
    alter(
        "TABLE",
        if_exists,
        schema,
        table,
        &format!("RENAME TO {}", ident(new)),
    )
}

/// `ALTER TABLE [IF EXISTS] ... SET SCHEMA to`: the table moves with its rows, indexes,
/// constraints and owned sequences, without a rewrite.
pub fn set_schema(schema: &str, table: &str, to: &str, if_exists: bool) -> String {
    alter(
        "TABLE",
        if_exists,
        schema,
        table,
        &format!("SET SCHEMA {}", ident(to)),
    )
}

/// `ALTER INDEX [IF EXISTS] ... RENAME TO new`: renames an index; the constraint it backs, if
/// any (primary key, unique), takes the new name too.
pub fn rename_index(schema: &str, index: &str, new: &str, if_exists: bool) -> String {
    alter(
        "INDEX",
        if_exists,
        schema,
        index,
        &format!("RENAME TO {}", ident(new)),
    )
}

/// The session settings that change how a batched walk paces itself for one run, without
/// regenerating its file (`SET migrate_gen.max_replay_lag = '10s'`, `PGOPTIONS='-c
/// migrate_gen.max_replay_lag=10s' psql -f ...`, `ALTER ROLE ... SET ...`, or the runner's
/// options). An empty or unset setting leaves the file's default.
pub mod setting {
    /// The most rows one batch takes (an integer).
    pub const BATCH_SIZE: &str = "migrate_gen.batch_size";
    /// The time one batch aims at (an interval; `0` always takes the most rows).
    pub const BATCH_TARGET: &str = "migrate_gen.batch_target";
    /// Wait between batches while a standby's replay lag is above this (an interval; `0`: never).
    pub const MAX_REPLAY_LAG: &str = "migrate_gen.max_replay_lag";
    /// Stop, resumably, when a standby's replay lag is above this (an interval; `0`: never).
    pub const STOP_REPLAY_LAG: &str = "migrate_gen.stop_replay_lag";
    /// Wait between batches while a replication slot retains more WAL than this (a size; `0`: never).
    pub const MAX_SLOT_WAL: &str = "migrate_gen.max_slot_wal";
    /// Stop, resumably, when a replication slot retains more WAL than this (a size; `0`: never).
    pub const STOP_SLOT_WAL: &str = "migrate_gen.stop_slot_wal";
    /// `synchronous_commit` of the batches (`off` unless set: a fill is idempotent and
    /// resumable, and whatever commits after it synchronously makes it durable).
    pub const SYNCHRONOUS_COMMIT: &str = "migrate_gen.fill_synchronous_commit";
    /// How many parallel workers a concurrent index build may add to its own process (an
    /// integer; `0` unless set, see [`super::drop_invalid_index`]).
    pub const BUILD_WORKERS: &str = "migrate_gen.build_workers";
    /// How long one attempt to take a catalog change's table lock waits in the queue (an
    /// interval; see [`super::take_table_lock`]).
    pub const LOCK_ATTEMPT: &str = "migrate_gen.lock_attempt";
    /// How long a catalog change keeps trying to take its table lock before it gives up (an
    /// interval; at most 90% of the file's `statement_timeout`).
    pub const LOCK_BUDGET: &str = "migrate_gen.lock_budget";
    /// Set to `on` by a batched walk for each of its transactions: the generated fill and sync
    /// triggers skip the rows it writes (it writes both sides itself). Not for users to set.
    pub const FILLING: &str = "migrate_gen.filling";
}

/// How a batched walk paces itself (SPEC section 10): the defaults written into its file, each
/// overridden for a run by its [`setting`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pacing {
    /// The most rows a batch takes; the first takes at most 100, and each next one grows or
    /// shrinks toward `batch_target`.
    pub batch_size: u32,
    /// The time a batch aims at, so that its row locks are held briefly whatever the row
    /// width (a PostgreSQL interval).
    pub batch_target: String,
    /// Replay lag of a streaming standby above which the walk waits (an interval).
    pub max_replay_lag: String,
    /// Replay lag above which the walk stops, resumably (an interval).
    pub stop_replay_lag: String,
    /// WAL retained by a replication slot above which the walk waits (a size: `1GB`).
    pub max_slot_wal: String,
    /// WAL retained by a replication slot above which the walk stops, resumably.
    pub stop_slot_wal: String,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            batch_size: 10_000,
            batch_target: "20ms".into(),
            max_replay_lag: "5s".into(),
            stop_replay_lag: "5min".into(),
            max_slot_wal: "1GB".into(),
            stop_slot_wal: "10GB".into(),
        }
    }
}

/// `coalesce(nullif(current_setting(name, true), ''), 'default')`: a session setting or the
/// file's default, as text.
fn setting_or(name: &str, default: &str) -> String {
    format!(
        "coalesce(nullif(pg_catalog.current_setting({}, true), ''), {})",
        lit(name),
        lit(default)
    )
}

/// The key walk shared by backfills and archive copies: from the lowest primary key to the
/// highest one that existed at the start, one index range and one commit per batch; `body`
/// makes the batch's statement from the range condition. A batch that waits longer than
/// `lock_timeout` for a row lock is retried with a growing pause, up to 10 times.
///
/// It paces itself ([`Pacing`]): each batch's size moves toward the target time (at most
/// doubling, at least a quarter); before each batch it waits, committed and holding no
/// snapshot, while a standby's replay lag or a slot's retained WAL is above its bound (saying
/// so, `waiting: standby s1 replay lag 7.2 s > 5 s`), and stops with an error naming the
/// standby or slot above the critical bound. Its batches commit with `synchronous_commit` off
/// (a fill is idempotent, and a rerun resumes it: backfills write only rows still NULL, and an
/// archive copy brings its rows up to date).
fn walk(
    schema: &str,
    table: &str,
    pk: &[String],
    pacing: &Pacing,
    what: &str,
    body: impl Fn(&str) -> String,
) -> String {
    let t = qualified(schema, table);
    let label = raise_text(&format!("{schema}.{table}"));
    let vars = |prefix: &str| -> String {
        (1..=pk.len())
            .map(|i| format!("mg_{prefix}_{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (lo, hi, end) = (vars("lo"), vars("hi"), vars("end"));
    let cols = pk.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
    let cols_desc = pk
        .iter()
        .map(|c| format!("{} DESC", ident(c)))
        .collect::<Vec<_>>()
        .join(", ");
    let mut declare = String::new();
    for (i, c) in pk.iter().enumerate() {
        for prefix in ["lo", "hi", "end"] {
            declare.push_str(&format!("  mg_{prefix}_{} {t}.{}%TYPE;\n", i + 1, ident(c)));
        }
    }
    let statement = body(&format!("({cols}) >= ({lo}) AND ({cols}) <= ({end})"));
    // Every transaction of the walk (one per batch, one per pause) pins the search path and
    // commits without waiting for its WAL to be flushed.
    let setup = |indent: &str| {
        format!(
            "PERFORM {};\n{indent}PERFORM pg_catalog.set_config('synchronous_commit', {}, true);\n{indent}PERFORM pg_catalog.set_config({}, 'on', true);",
            pin_search_path_local(),
            setting_or(setting::SYNCHRONOUS_COMMIT, "off"),
            lit(setting::FILLING)
        )
    };
    let (setup2, setup4, setup6) = (setup("  "), setup("    "), setup("      "));
    let seconds = |name: &str, default: &str| {
        format!(
            "pg_catalog.date_part('epoch', {}::interval)",
            setting_or(name, default)
        )
    };
    let bytes = |name: &str, default: &str| {
        format!("pg_catalog.pg_size_bytes({})", setting_or(name, default))
    };
    let max_batch = format!(
        "greatest(1, {}::integer)",
        setting_or(setting::BATCH_SIZE, &pacing.batch_size.to_string())
    );
    let target = seconds(setting::BATCH_TARGET, &pacing.batch_target);
    let lag_max = seconds(setting::MAX_REPLAY_LAG, &pacing.max_replay_lag);
    let lag_stop = seconds(setting::STOP_REPLAY_LAG, &pacing.stop_replay_lag);
    let slot_max = bytes(setting::MAX_SLOT_WAL, &pacing.max_slot_wal);
    let slot_stop = bytes(setting::STOP_SLOT_WAL, &pacing.stop_slot_wal);
    format!(
        "DO ${what}$\n\
DECLARE\n\
\x20 mg_max_batch integer;\n\
\x20 mg_size integer;\n\
\x20 mg_target float8;\n\
\x20 mg_lag_max float8;\n\
\x20 mg_lag_stop float8;\n\
\x20 mg_slot_max numeric;\n\
\x20 mg_slot_stop numeric;\n\
\x20 mg_started timestamptz;\n\
\x20 mg_took float8;\n\
\x20 mg_who text;\n\
\x20 mg_lag float8;\n\
\x20 mg_replayed pg_lsn;\n\
\x20 mg_behind numeric;\n\
\x20 mg_rate_who text;\n\
\x20 mg_rate_at timestamptz;\n\
\x20 mg_rate_lsn pg_lsn;\n\
\x20 mg_rate float8;\n\
\x20 mg_ahead float8;\n\
\x20 mg_wal numeric;\n\
\x20 mg_wait text;\n\
\x20 mg_waiting timestamptz;\n\
\x20 mg_said timestamptz;\n\
\x20 mg_blind boolean := false;\n\
{declare}\
\x20 mg_batch_rows bigint;\n\
\x20 mg_total_rows bigint := 0;\n\
\x20 mg_batches bigint := 0;\n\
\x20 mg_attempts integer;\n\
BEGIN\n\
\x20 {setup2}\n\
\x20 -- Pacing: the defaults this file was generated with, each overridden by a session setting.\n\
\x20 mg_max_batch := {max_batch};\n\
\x20 mg_size := least(mg_max_batch, 100);\n\
\x20 mg_target := {target};\n\
\x20 mg_lag_max := {lag_max};\n\
\x20 mg_lag_stop := {lag_stop};\n\
\x20 mg_slot_max := {slot_max};\n\
\x20 mg_slot_stop := {slot_stop};\n\
\x20 SELECT {cols} INTO {hi} FROM {t} ORDER BY {cols_desc} LIMIT 1;\n\
\x20 IF NOT FOUND THEN\n\
\x20   RAISE NOTICE '{what} {label}: no rows';\n\
\x20   RETURN;\n\
\x20 END IF;\n\
\x20 SELECT {cols} INTO {lo} FROM {t} ORDER BY {cols} LIMIT 1;\n\
\x20 LOOP\n\
\x20   -- Before each batch: wait while a standby or a replication slot is behind; stop above\n\
\x20   -- the critical bound (what is committed stays, and a rerun resumes).\n\
\x20   LOOP\n\
\x20     mg_wait := NULL;\n\
\x20     IF mg_lag_max > 0 OR mg_lag_stop > 0 THEN\n\
\x20       IF NOT mg_blind AND EXISTS (SELECT FROM pg_catalog.pg_stat_replication WHERE state IS NULL) THEN\n\
\x20         mg_blind := true;\n\
\x20         RAISE NOTICE '{what} {label}: cannot read the replay lag of standbys (role % needs pg_read_all_stats or superuser): not waiting for them', current_user;\n\
\x20       END IF;\n\
\x20       SELECT coalesce(nullif(application_name, ''), client_addr::text, pid::text), coalesce(pg_catalog.date_part('epoch', replay_lag), 0), replay_lsn, pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), replay_lsn)\n\
\x20         INTO mg_who, mg_lag, mg_replayed, mg_behind FROM pg_catalog.pg_stat_replication WHERE replay_lsn IS NOT NULL ORDER BY replay_lag DESC NULLS LAST, 4 DESC LIMIT 1;\n\
\x20       IF FOUND THEN\n\
\x20         -- The standby's replay rate, measured over 1 s or more: what it has still to replay\n\
\x20         -- takes it that long again, on top of the lag it shows now (which only tells how\n\
\x20         -- old the WAL it replays now is).\n\
\x20         IF mg_rate_who IS DISTINCT FROM mg_who THEN\n\
\x20           mg_rate_who := mg_who;\n\
\x20           mg_rate_at := pg_catalog.clock_timestamp();\n\
\x20           mg_rate_lsn := mg_replayed;\n\
\x20           mg_rate := NULL;\n\
\x20         ELSIF pg_catalog.clock_timestamp() - mg_rate_at >= interval '1 second' THEN\n\
\x20           mg_rate := pg_catalog.pg_wal_lsn_diff(mg_replayed, mg_rate_lsn) / pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() - mg_rate_at);\n\
\x20           mg_rate_at := pg_catalog.clock_timestamp();\n\
\x20           mg_rate_lsn := mg_replayed;\n\
\x20         END IF;\n\
\x20         mg_ahead := mg_lag + CASE WHEN mg_rate IS NULL OR mg_behind <= 0 THEN 0 ELSE mg_behind / greatest(mg_rate, 1.0::float8) END;\n\
\x20         IF mg_lag_stop > 0 AND mg_lag > mg_lag_stop THEN\n\
\x20           RAISE EXCEPTION '{what} {label} stopped: standby % replay lag % s > % s ({lag_stop_name}); the % rows filled so far are committed: run it again to resume', mg_who, round(mg_lag::numeric, 1), mg_lag_stop, mg_total_rows;\n\
\x20         ELSIF mg_lag_max > 0 AND mg_lag > mg_lag_max THEN\n\
\x20           mg_wait := pg_catalog.format('standby %s replay lag %s s > %s s', mg_who, round(mg_lag::numeric, 1), mg_lag_max);\n\
\x20         ELSIF mg_lag_max > 0 AND mg_ahead > mg_lag_max THEN\n\
\x20           mg_wait := pg_catalog.format('standby %s replay lag %s s and %s behind, replaying %s/s: about %s s > %s s', mg_who, round(mg_lag::numeric, 1), pg_catalog.pg_size_pretty(mg_behind), pg_catalog.pg_size_pretty(mg_rate::numeric), round(least(mg_ahead, 1e6)::numeric, 1), mg_lag_max);\n\
\x20         END IF;\n\
\x20       END IF;\n\
\x20     END IF;\n\
\x20     IF mg_slot_max > 0 OR mg_slot_stop > 0 THEN\n\
\x20       SELECT slot_name, pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), restart_lsn)\n\
\x20         INTO mg_who, mg_wal FROM pg_catalog.pg_replication_slots WHERE restart_lsn IS NOT NULL ORDER BY 2 DESC LIMIT 1;\n\
\x20       IF FOUND AND mg_slot_stop > 0 AND mg_wal > mg_slot_stop THEN\n\
\x20         RAISE EXCEPTION '{what} {label} stopped: replication slot % retains % of WAL > % ({slot_stop_name}); the % rows filled so far are committed: run it again to resume', mg_who, pg_catalog.pg_size_pretty(mg_wal), pg_catalog.pg_size_pretty(mg_slot_stop), mg_total_rows;\n\
\x20       ELSIF FOUND AND mg_slot_max > 0 AND mg_wal > mg_slot_max AND mg_wait IS NULL THEN\n\
\x20         mg_wait := pg_catalog.format('replication slot %s retains %s of WAL > %s', mg_who, pg_catalog.pg_size_pretty(mg_wal), pg_catalog.pg_size_pretty(mg_slot_max));\n\
\x20       END IF;\n\
\x20     END IF;\n\
\x20     EXIT WHEN mg_wait IS NULL;\n\
\x20     mg_waiting := coalesce(mg_waiting, pg_catalog.clock_timestamp());\n\
\x20     IF mg_said IS NULL OR pg_catalog.clock_timestamp() - mg_said >= interval '10 seconds' THEN\n\
\x20       RAISE NOTICE 'waiting: % ({what} {label}, % rows filled)', mg_wait, mg_total_rows;\n\
\x20       mg_said := pg_catalog.clock_timestamp();\n\
\x20     END IF;\n\
\x20     -- Waits outside any transaction: no snapshot held back for vacuum meanwhile.\n\
\x20     COMMIT;\n\
\x20     {setup6}\n\
\x20     PERFORM pg_catalog.pg_sleep(0.5::float8);\n\
\x20   END LOOP;\n\
\x20   IF mg_waiting IS NOT NULL THEN\n\
\x20     RAISE NOTICE '{what} {label}: resumed after waiting % s', round(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() - mg_waiting)::numeric, 1);\n\
\x20     mg_waiting := NULL;\n\
\x20     mg_said := NULL;\n\
\x20   END IF;\n\
\x20   mg_started := pg_catalog.clock_timestamp();\n\
\x20   SELECT {cols} INTO {end} FROM (\n\
\x20     SELECT {cols} FROM {t} WHERE ({cols}) >= ({lo}) AND ({cols}) <= ({hi}) ORDER BY {cols} LIMIT mg_size\n\
\x20   ) AS mg_range ORDER BY {cols_desc} LIMIT 1;\n\
\x20   EXIT WHEN NOT FOUND;\n\
\x20   mg_attempts := 0;\n\
\x20   LOOP\n\
\x20     BEGIN\n\
\x20       {statement};\n\
\x20       GET DIAGNOSTICS mg_batch_rows = ROW_COUNT;\n\
\x20       EXIT;\n\
\x20     EXCEPTION WHEN lock_not_available OR deadlock_detected THEN\n\
\x20       mg_attempts := mg_attempts + 1;\n\
\x20       IF mg_attempts >= 10 THEN\n\
\x20         RAISE;\n\
\x20       END IF;\n\
\x20       RAISE NOTICE '{what} {label}: a batch waited longer than lock_timeout; retry % of 9', mg_attempts;\n\
\x20       PERFORM pg_catalog.pg_sleep(0.1::float8 * mg_attempts);\n\
\x20     END;\n\
\x20   END LOOP;\n\
\x20   COMMIT;\n\
\x20   -- A commit ends the transaction that a local setting lasts for: set again.\n\
\x20   {setup4}\n\
\x20   mg_total_rows := mg_total_rows + mg_batch_rows;\n\
\x20   mg_batches := mg_batches + 1;\n\
\x20   RAISE DEBUG 'migrate-gen progress % rows', mg_total_rows;\n\
\x20   IF mg_batches % 100 = 0 THEN\n\
\x20     RAISE NOTICE '{what} {label}: % rows filled in % batches (now % rows a batch)', mg_total_rows, mg_batches, mg_size;\n\
\x20   END IF;\n\
\x20   -- The next batch's size: toward the target time, at most doubling, at least a quarter.\n\
\x20   IF mg_target > 0 THEN\n\
\x20     mg_took := greatest(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() - mg_started), 0.0001::float8);\n\
\x20     mg_size := least(mg_max_batch, greatest(least(mg_max_batch, 10), (mg_size * least(2.0::float8, greatest(0.25::float8, mg_target / mg_took)))::integer));\n\
\x20   ELSE\n\
\x20     mg_size := mg_max_batch;\n\
\x20   END IF;\n\
\x20   SELECT {cols} INTO {lo} FROM {t} WHERE ({cols}) > ({end}) ORDER BY {cols} LIMIT 1;\n\
\x20   EXIT WHEN NOT FOUND OR ({lo}) > ({hi});\n\
\x20 END LOOP;\n\
\x20 RAISE NOTICE '{what} {label}: done, % rows filled in % batches', mg_total_rows, mg_batches;\n\
END\n\
${what}$",
        lag_stop_name = setting::STOP_REPLAY_LAG,
        slot_stop_name = setting::STOP_SLOT_WAL,
    )
}

/// Text for a `RAISE` format string: `%` would be a placeholder.
fn raise_text(text: &str) -> String {
    text.replace('%', "%%").replace('\'', "''")
}

/// A condition on the catalog that a file checks after its statements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verify {
    Table {
        schema: String,
        table: String,
        exists: bool,
    },
    Column {
        schema: String,
        table: String,
        column: String,
        sql_type: String,
        not_null: bool,
    },
    ColumnAbsent {
        schema: String,
        table: String,
        column: String,
    },
    Constraint {
        schema: String,
        table: String,
        name: String,
        validated: bool,
    },
    ConstraintAbsent {
        schema: String,
        table: String,
        name: String,
    },
    Index {
        schema: String,
        name: String,
        exists: bool,
    },
    /// The index exists, is valid and has this definition (see [`super::objects::index_matches`]).
    IndexDef {
        schema: String,
        table: String,
        index: crate::model::Index,
    },
    /// The foreign key has this definition: columns, referenced table and columns, actions.
    ForeignKeyDef {
        schema: String,
        table: String,
        fk: crate::model::ForeignKey,
    },
    Trigger {
        schema: String,
        table: String,
        name: String,
        exists: bool,
    },
    Function {
        schema: String,
        name: String,
        exists: bool,
    },
    View {
        schema: String,
        name: String,
        exists: bool,
    },
    /// The column has a default (`exists`), or none.
    Default {
        schema: String,
        table: String,
        column: String,
        exists: bool,
    },
    /// The enum type `schema.name` has each of `labels`.
    EnumLabels {
        schema: String,
        name: String,
        labels: Vec<String>,
    },
    /// The type `schema.name` does not exist.
    EnumAbsent { schema: String, name: String },
    /// The column's type modifier (the length of a `varchar`, the precision of a `numeric`).
    Typmod {
        schema: String,
        table: String,
        column: String,
        sql_type: String,
        typmod: i32,
    },
}

impl Verify {
    /// `col` exists in `schema.table` with its type, NOT NULL or not.
    pub fn column(schema: &str, table: &str, col: &crate::model::Column, not_null: bool) -> Verify {
        Verify::Column {
            schema: schema.into(),
            table: table.into(),
            column: col.name.clone(),
            sql_type: col.sql_type.clone(),
            not_null,
        }
    }

    /// `col` has the type modifier of its type, when [`crate::types::typmod`] knows it.
    pub fn typmod(schema: &str, table: &str, col: &crate::model::Column) -> Option<Verify> {
        Some(Verify::Typmod {
            schema: schema.into(),
            table: table.into(),
            column: col.name.clone(),
            sql_type: col.sql_type.clone(),
            typmod: crate::types::typmod(&col.sql_type)?,
        })
    }

    /// `(condition that holds when all is well, message when it does not)`.
    fn render(&self) -> (String, String) {
        let absent = |exists: bool| if exists { "" } else { "NOT " };
        match self {
            Verify::Table {
                schema,
                table,
                exists,
            } => (
                format!(
                    "{} IS {}NULL",
                    regclass(schema, table),
                    if *exists { "NOT " } else { "" }
                ),
                format!(
                    "table {schema}.{table} {}",
                    if *exists {
                        "is missing"
                    } else {
                        "still exists"
                    }
                ),
            ),
            Verify::Column {
                schema,
                table,
                column,
                sql_type,
                not_null,
            } => (
                format!(
                    "EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = {} AND attname = {} AND NOT attisdropped AND atttypid = {}::regtype AND attnotnull = {not_null})",
                    regclass(schema, table),
                    lit(column),
                    lit(crate::types::stored_type(sql_type))
                ),
                format!(
                    "column {schema}.{table}.{column} is not {sql_type} {}",
                    if *not_null { "NOT NULL" } else { "NULL" }
                ),
            ),
            Verify::ColumnAbsent {
                schema,
                table,
                column,
            } => (
                format!(
                    "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = {} AND attname = {} AND NOT attisdropped)",
                    regclass(schema, table),
                    lit(column)
                ),
                format!("column {schema}.{table}.{column} still exists"),
            ),
            Verify::Constraint {
                schema,
                table,
                name,
                validated,
            } => (
                format!(
                    "EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = {} AND conname = {} AND convalidated = {validated})",
                    regclass(schema, table),
                    lit(name)
                ),
                format!(
                    "constraint {name} on {schema}.{table} is missing or {}",
                    if *validated {
                        "not validated"
                    } else {
                        "already validated"
                    }
                ),
            ),
            Verify::ConstraintAbsent {
                schema,
                table,
                name,
            } => (
                format!(
                    "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = {} AND conname = {})",
                    regclass(schema, table),
                    lit(name)
                ),
                format!("constraint {name} on {schema}.{table} still exists"),
            ),
            Verify::Index {
                schema,
                name,
                exists: true,
            } => (
                format!(
                    "EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = {} AND indisvalid)",
                    regclass(schema, name)
                ),
                format!("index {schema}.{name} is missing or invalid"),
            ),
            Verify::Index {
                schema,
                name,
                exists: false,
            } => (
                format!("{} IS NULL", regclass(schema, name)),
                format!("index {schema}.{name} still exists"),
            ),
            Verify::IndexDef {
                schema,
                table,
                index,
            } => (
                super::objects::index_matches(schema, table, index),
                format!(
                    "index {schema}.{} is missing, invalid, or not the index declared (on {})",
                    index.name,
                    index.keys()
                ),
            ),
            Verify::ForeignKeyDef { schema, table, fk } => (
                super::objects::foreign_key_matches(schema, table, fk),
                format!(
                    "foreign key {} on {schema}.{table} is missing or not the one declared (({}) -> {}.{}({}))",
                    fk.name,
                    fk.columns.join(", "),
                    fk.ref_schema,
                    fk.ref_table,
                    fk.ref_columns.join(", ")
                ),
            ),
            Verify::Trigger {
                schema,
                table,
                name,
                exists,
            } => (
                format!(
                    "{}EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = {} AND tgname = {} AND NOT tgisinternal)",
                    absent(*exists),
                    regclass(schema, table),
                    lit(name)
                ),
                format!(
                    "trigger {name} on {schema}.{table} {}",
                    if *exists {
                        "is missing"
                    } else {
                        "still exists"
                    }
                ),
            ),
            Verify::Function {
                schema,
                name,
                exists,
            } => (
                format!(
                    "{}EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = {} AND p.proname = {})",
                    absent(*exists),
                    lit(schema),
                    lit(name)
                ),
                format!(
                    "function {schema}.{name} {}",
                    if *exists {
                        "is missing"
                    } else {
                        "still exists"
                    }
                ),
            ),
            Verify::View {
                schema,
                name,
                exists,
            } => (
                format!(
                    "{}EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = {} AND c.relname = {} AND c.relkind = 'v')",
                    absent(*exists),
                    lit(schema),
                    lit(name)
                ),
                format!(
                    "view {schema}.{name} {}",
                    if *exists {
                        "is missing"
                    } else {
                        "still exists"
                    }
                ),
            ),
            Verify::Default {
                schema,
                table,
                column,
                exists,
            } => (
                format!(
                    "{}EXISTS (SELECT 1 FROM pg_catalog.pg_attrdef d JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum WHERE d.adrelid = {} AND a.attname = {})",
                    absent(*exists),
                    regclass(schema, table),
                    lit(column)
                ),
                format!(
                    "column {schema}.{table}.{column} {}",
                    if *exists {
                        "has no default"
                    } else {
                        "still has a default"
                    }
                ),
            ),
            Verify::Typmod {
                schema,
                table,
                column,
                sql_type,
                typmod,
            } => (
                format!(
                    "EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = {} AND attname = {} AND NOT attisdropped AND atttypmod = {typmod})",
                    regclass(schema, table),
                    lit(column)
                ),
                format!("column {schema}.{table}.{column} is not {sql_type}"),
            ),
            Verify::EnumLabels {
                schema,
                name,
                labels,
            } => (
                format!(
                    "(SELECT count(*) FROM pg_catalog.pg_enum WHERE enumtypid = pg_catalog.to_regtype({}) AND enumlabel IN ({})) = {}",
                    lit(&qualified(schema, name)),
                    labels.iter().map(|l| lit(l)).collect::<Vec<_>>().join(", "),
                    labels.len()
                ),
                format!(
                    "enum type {schema}.{name} lacks a label of {}",
                    labels.join(", ")
                ),
            ),
            Verify::EnumAbsent { schema, name } => (
                format!(
                    "pg_catalog.to_regtype({}) IS NULL",
                    lit(&qualified(schema, name))
                ),
                format!("type {schema}.{name} still exists"),
            ),
        }
    }
}

/// A `DO` block that raises when any check fails.
pub fn verify_block(checks: &[Verify]) -> String {
    let mut out = String::from("DO $verify$\nBEGIN\n");
    for check in checks {
        let (cond, msg) = check.render();
        out.push_str(&format!(
            "  IF NOT ({cond}) THEN\n    RAISE EXCEPTION 'Migration verification failed: {}';\n  END IF;\n",
            raise_text(&msg)
        ));
    }
    out.push_str("END\n$verify$");
    out
}

/// The rollback of a step that says it cannot be undone: it stops, changing nothing, with
/// `message` (which holds the word `irreversible`).
pub fn refuse_irreversible(message: &str) -> String {
    format!(
        "DO $irreversible$\n\
         BEGIN\n\
         \x20 RAISE EXCEPTION '{}';\n\
         END\n\
         $irreversible$",
        raise_text(message)
    )
}
