//! The live catalog of a database's schemas: what `import` turns into structs and what
//! `drift` and `baseline` compare with the model.
//!
//! Read with `search_path = pg_catalog, pg_temp` (the runner's session), so types, defaults
//! and expressions name their schema as the generated migrations do.

use postgres::Client;
use postgres::types::Oid;

use crate::Error;
use crate::runner::db;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveColumn {
    pub name: String,
    /// `format_type`: `character varying(255)`, `public.mood`, `integer[]`.
    pub sql_type: String,
    /// Whether the type is an enum type (`CREATE TYPE ... AS ENUM`).
    pub is_enum: bool,
    pub nullable: bool,
    /// `pg_get_expr` of the default.
    pub default: Option<String>,
    /// `ALWAYS` or `BY DEFAULT` for an identity column.
    pub identity: Option<String>,
    /// The expression of a `GENERATED ALWAYS AS (...) STORED` column.
    pub generated: Option<String>,
    /// The sequence owned by this column (serial), qualified.
    pub owned_sequence: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveIndex {
    pub name: String,
    /// The key columns; empty when a key is an expression (an expression key is `""` in the
    /// query's list, so that `INCLUDE` columns follow the keys).
    pub columns: Vec<String>,
    pub unique: bool,
    /// `p`, `u` or `x` when the index backs a constraint.
    pub constraint: Option<String>,
    pub valid: bool,
    /// Exactly `CREATE [UNIQUE] INDEX name ON table USING btree (column)`: one plain column,
    /// no expression, predicate, INCLUDE, ordering or operator class.
    pub plain: bool,
    pub definition: String,
    /// The access method (`btree`, `gin`, ...).
    pub method: String,
    /// The columns stored but not in the key (`INCLUDE`).
    pub include: Vec<String>,
    /// A partial index (`WHERE ...`).
    pub partial: bool,
    /// A key is an expression.
    pub expression: bool,
    /// How many keys the index has (not counting `INCLUDE` columns).
    pub key_count: usize,
    /// The first key as PostgreSQL prints it (a column's name, or an expression).
    pub first_key: Option<String>,
    /// The predicate of a partial index, as PostgreSQL prints it.
    pub predicate: Option<String>,
    /// Every key ascending, nulls last, with its type's default operator class: nothing the
    /// annotations cannot say about the keys.
    pub default_keys: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub ref_schema: String,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
    /// Plain `REFERENCES t(c)`: NO ACTION on delete and update, MATCH SIMPLE, not deferrable.
    pub plain: bool,
    pub validated: bool,
    pub definition: String,
    /// `pg_constraint`'s codes of the `ON DELETE` and `ON UPDATE` actions (`a`: no action).
    pub on_delete: String,
    pub on_update: String,
    /// MATCH SIMPLE and not deferrable, as the generator makes them.
    pub simple: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveCheck {
    pub name: String,
    pub columns: Vec<String>,
    /// `pg_get_expr` of the expression.
    pub expr: String,
    pub validated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveTable {
    pub schema: String,
    pub name: String,
    pub columns: Vec<LiveColumn>,
    /// The primary key's constraint name and columns, in key order.
    pub primary_key: Option<(String, Vec<String>)>,
    pub indexes: Vec<LiveIndex>,
    pub foreign_keys: Vec<LiveForeignKey>,
    pub checks: Vec<LiveCheck>,
    /// Other constraints (exclusion, constraint triggers): name and definition.
    pub other_constraints: Vec<(String, String)>,
    /// User triggers: name and definition.
    pub triggers: Vec<(String, String)>,
    pub partitioned: bool,
}

impl LiveTable {
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    pub fn column(&self, name: &str) -> Option<&LiveColumn> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// The objects of some schemas that are not tables, each `kind qualified-name: definition`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Others {
    pub enums: Vec<(String, Vec<String>)>,
    /// Views, materialized views, functions, sequences not owned by a column, other types:
    /// one line each, sorted.
    pub lines: Vec<String>,
}

/// Whether schema `name` exists.
pub fn schema_exists(client: &mut Client, name: &str) -> Result<bool, Error> {
    Ok(client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)",
            &[&name],
        )
        .map_err(db)?
        .get(0))
}

/// The tables of `schemas`, sorted by schema and name.
pub fn tables(client: &mut Client, schemas: &[String]) -> Result<Vec<LiveTable>, Error> {
    let oids: Vec<Oid> = client
        .query(
            "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY($1)
             ORDER BY n.nspname, c.relname",
            &[&schemas],
        )
        .map_err(db)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    oids.into_iter().map(|oid| table(client, oid)).collect()
}

fn names(client: &mut Client, sql: &str, oid: Oid) -> Result<Vec<postgres::Row>, Error> {
    client.query(sql, &[&oid]).map_err(db)
}

/// One table by its oid.
pub fn table(client: &mut Client, oid: Oid) -> Result<LiveTable, Error> {
    let head = client
        .query_one(
            "SELECT n.nspname::text, c.relname::text, c.relkind = 'p' FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1",
            &[&oid],
        )
        .map_err(db)?;
    let columns = names(
        client,
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), t.typtype = 'e', NOT a.attnotnull,
                CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END,
                CASE a.attidentity WHEN 'a' THEN 'ALWAYS' WHEN 'd' THEN 'BY DEFAULT' END,
                CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END,
                (SELECT s.oid::regclass::text FROM pg_depend dep JOIN pg_class s ON s.oid = dep.objid
                 WHERE dep.classid = 'pg_class'::regclass AND dep.refobjid = a.attrelid
                   AND dep.refobjsubid = a.attnum AND s.relkind = 'S' AND dep.deptype IN ('a', 'i') LIMIT 1)
         FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        oid,
    )?
    .iter()
    .map(|r| LiveColumn {
        name: r.get(0),
        sql_type: r.get(1),
        is_enum: r.get(2),
        nullable: r.get(3),
        default: r.get(4),
        identity: r.get(5),
        generated: r.get(6),
        owned_sequence: r.get(7),
    })
    .collect();
    let key_names = "ARRAY(SELECT a.attname::text FROM unnest(co.conkey) WITH ORDINALITY k(n, o)
                      JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.n ORDER BY k.o)";
    let constraints = names(
        client,
        &format!(
            "SELECT co.conname::text, co.contype::text, {key_names}, co.convalidated,
                    pg_get_constraintdef(co.oid), CASE WHEN co.contype = 'c' THEN pg_get_expr(co.conbin, co.conrelid) END,
                    rn.nspname::text, rc.relname::text,
                    ARRAY(SELECT a.attname::text FROM unnest(co.confkey) WITH ORDINALITY k(n, o)
                          JOIN pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.n ORDER BY k.o),
                    co.confdeltype = 'a' AND co.confupdtype = 'a' AND co.confmatchtype = 's' AND NOT co.condeferrable,
                    co.confdeltype::text, co.confupdtype::text, co.confmatchtype = 's' AND NOT co.condeferrable
             FROM pg_constraint co LEFT JOIN pg_class rc ON rc.oid = co.confrelid
             LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
             WHERE co.conrelid = $1 ORDER BY co.conname"
        ),
        oid,
    )?;
    let mut t = LiveTable {
        schema: head.get(0),
        name: head.get(1),
        partitioned: head.get(2),
        columns,
        primary_key: None,
        indexes: Vec::new(),
        foreign_keys: Vec::new(),
        checks: Vec::new(),
        other_constraints: Vec::new(),
        triggers: Vec::new(),
    };
    for r in &constraints {
        let (name, kind, columns): (String, String, Vec<String>) = (r.get(0), r.get(1), r.get(2));
        match kind.as_str() {
            "p" => t.primary_key = Some((name, columns)),
            "u" => {}
            "f" => t.foreign_keys.push(LiveForeignKey {
                name,
                columns,
                ref_schema: r.get(6),
                ref_table: r.get(7),
                ref_columns: r.get(8),
                plain: r.get(9),
                validated: r.get(3),
                definition: r.get(4),
                on_delete: r.get(10),
                on_update: r.get(11),
                simple: r.get(12),
            }),
            "c" => t.checks.push(LiveCheck {
                name,
                columns,
                expr: r.get(5),
                validated: r.get(3),
            }),
            _ => t.other_constraints.push((name, r.get(4))),
        }
    }
    t.indexes = names(
        client,
        "SELECT ic.relname::text,
                ARRAY(SELECT coalesce(a.attname::text, '') FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o)
                      LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o),
                i.indisunique, co.contype::text, i.indisvalid,
                i.indnatts = 1 AND i.indexprs IS NULL AND i.indpred IS NULL
                  AND pg_get_indexdef(i.indexrelid) = format('CREATE %sINDEX %s ON %s USING btree (%s)',
                      CASE WHEN i.indisunique THEN 'UNIQUE ' END, quote_ident(ic.relname), i.indrelid::regclass,
                      (SELECT quote_ident(a.attname) FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[0])),
                pg_get_indexdef(i.indexrelid), i.indexprs IS NOT NULL,
                am.amname::text, i.indnkeyatts::int, i.indpred IS NOT NULL,
                pg_get_indexdef(i.indexrelid, 1, true), pg_get_expr(i.indpred, i.indrelid, true),
                NOT EXISTS (SELECT 1 FROM unnest(i.indoption::int2[]) o WHERE o <> 0)
                  AND NOT EXISTS (SELECT 1 FROM unnest(i.indclass::oid[]) k JOIN pg_opclass oc ON oc.oid = k
                                  WHERE NOT oc.opcdefault)
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_am am ON am.oid = ic.relam
         LEFT JOIN pg_constraint co ON co.conindid = i.indexrelid AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x')
         WHERE i.indrelid = $1 ORDER BY ic.relname",
        oid,
    )?
    .iter()
    .map(|r| {
        let expression: bool = r.get(7);
        let mut columns: Vec<String> = r.get(1);
        let key_count = usize::try_from(r.get::<_, i32>(9)).unwrap_or(0);
        let include = columns.split_off(key_count.min(columns.len()));
        LiveIndex {
            name: r.get(0),
            columns: if expression { Vec::new() } else { columns },
            unique: r.get(2),
            constraint: r.get(3),
            valid: r.get(4),
            plain: r.get(5),
            definition: r.get(6),
            method: r.get(8),
            include,
            partial: r.get(10),
            expression,
            key_count,
            first_key: r.get(11),
            predicate: r.get(12),
            default_keys: r.get(13),
        }
    })
    .collect();
    t.triggers = names(
        client,
        "SELECT tgname::text, pg_get_triggerdef(oid) FROM pg_trigger
         WHERE tgrelid = $1 AND NOT tgisinternal ORDER BY tgname",
        oid,
    )?
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    Ok(t)
}

/// Views, functions, sequences not owned by a column, enum and other types of `schemas`.
pub fn others(client: &mut Client, schemas: &[String]) -> Result<Others, Error> {
    let enums = client
        .query(
            "SELECT t.oid::regtype::text, ARRAY(SELECT enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY enumsortorder)
             FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE t.typtype = 'e' AND n.nspname = ANY($1) ORDER BY 1",
            &[&schemas],
        )
        .map_err(db)?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let lines = client
        .query(
            "SELECT line FROM (
               SELECT format('%s %s: %s', CASE c.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END,
                             c.oid::regclass, btrim(regexp_replace(pg_get_viewdef(c.oid), '\\s+', ' ', 'g'))) AS line
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY($1)
               UNION ALL
               SELECT format('%s %s(%s)', CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
                             p.oid::regproc, pg_get_function_identity_arguments(p.oid))
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname = ANY($1)
                 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
               UNION ALL
               SELECT format('sequence %s (not owned by a column)', c.oid::regclass)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relkind = 'S' AND n.nspname = ANY($1)
                 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                 AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i'))
               UNION ALL
               SELECT format('%s type %s', CASE t.typtype WHEN 'd' THEN 'domain' WHEN 'r' THEN 'range' ELSE 'composite' END,
                             t.oid::regtype)
               FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
               WHERE t.typtype IN ('d', 'r', 'c') AND n.nspname = ANY($1)
                 AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
             ) l ORDER BY line",
            &[&schemas],
        )
        .map_err(db)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    Ok(Others { enums, lines })
}
