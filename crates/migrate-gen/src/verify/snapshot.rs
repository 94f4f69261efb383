//! The catalog of the user's schemas as sorted lines, compared before a file and after its
//! rollback.

use postgres::Client;

/// Columns, constraints (with NOT VALID), indexes (with validity), triggers, views, schemas
/// and functions of the user's schemas, one sorted line each. The archive schema is left out:
/// a dropped column's archive is kept for its retention period, rollback or not, and a dropped
/// table is checked where it is (in the archive after the drop, back in its schema after the
/// rollback). So is `migrate_gen`, the runner's tracking.
pub fn catalog(client: &mut Client) -> Result<String, String> {
    let sql = r#"
      WITH rel AS (
        SELECT c.oid, c.relname, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'migrate_gen_archive', 'migrate_gen') AND n.nspname NOT LIKE 'pg_toast%')
      SELECT coalesce(string_agg(line, E'\n' ORDER BY line), '') FROM (
        SELECT format('column %s.%s.%s %s %s default %s', r.nspname, r.relname, a.attname,
                      format_type(a.atttypid, a.atttypmod), CASE WHEN a.attnotnull THEN 'NOT NULL' ELSE 'NULL' END,
                      coalesce(pg_get_expr(d.adbin, d.adrelid), '-')) AS line
        FROM pg_attribute a JOIN rel r ON r.oid = a.attrelid JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT format('constraint %s.%s %s %s', r.nspname, r.relname, co.conname, pg_get_constraintdef(co.oid))
        FROM pg_constraint co JOIN rel r ON r.oid = co.conrelid
        UNION ALL
        SELECT format('index %s valid=%s', pg_get_indexdef(i.indexrelid), i.indisvalid)
        FROM pg_index i JOIN rel r ON r.oid = i.indrelid
        UNION ALL
        SELECT format('trigger %s.%s %s', r.nspname, r.relname, t.tgname)
        FROM pg_trigger t JOIN rel r ON r.oid = t.tgrelid WHERE NOT t.tgisinternal
        UNION ALL
        SELECT format('view %s.%s %s', r.nspname, r.relname, pg_get_viewdef(r.oid))
        FROM rel r JOIN pg_class c ON c.oid = r.oid WHERE c.relkind = 'v'
        UNION ALL
        SELECT format('schema %s', n.nspname) FROM pg_namespace n WHERE n.nspname ~ '_v[0-9]+$'
        UNION ALL
        SELECT format('function %s.%s', n.nspname, p.proname)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'migrate_gen_archive', 'migrate_gen')
      ) lines"#;
    client
        .query_one(sql, &[])
        .map(|r| r.get(0))
        .map_err(|e| format!("reading the catalog: {}", super::rows::one_line(&e)))
}

/// The lines of `after` missing from `before` (`-`) and those added (`+`), at most 10.
pub fn diff(before: &str, after: &str) -> String {
    let b: std::collections::BTreeSet<&str> = before.lines().collect();
    let a: std::collections::BTreeSet<&str> = after.lines().collect();
    let mut out: Vec<String> = b.difference(&a).map(|l| format!("- {l}")).collect();
    out.extend(a.difference(&b).map(|l| format!("+ {l}")));
    out.truncate(10);
    out.join("; ")
}
