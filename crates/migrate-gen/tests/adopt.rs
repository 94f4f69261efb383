//! Adopting an existing database: `import` turns a live schema into structs whose generated
//! migrations rebuild it (everything else is listed as not expressed), `drift` finds each kind
//! of difference between the catalog and the model at the applied version, and `baseline`
//! records version 1 as applied only when the catalog matches.

use std::path::Path;

use postgres::Client;

mod support;
use support::*;

const SCHEMA: &str = include_str!("fixtures/adopt_schema.sql");

/// Columns, constraints and indexes of schema public's tables, one sorted line each.
fn catalog(client: &mut Client) -> Vec<String> {
    let sql = r#"
      WITH rel AS (
        SELECT c.oid, c.relname, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r')
      SELECT line FROM (
        SELECT format('column %s.%s.%s %s %s default %s identity %s', r.nspname, r.relname, a.attname,
                      format_type(a.atttypid, a.atttypmod), CASE WHEN a.attnotnull THEN 'NOT NULL' ELSE 'NULL' END,
                      coalesce(pg_get_expr(d.adbin, d.adrelid), '-'), nullif(a.attidentity, '')) AS line
        FROM pg_attribute a JOIN rel r ON r.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT format('constraint %s.%s %s %s valid=%s', r.nspname, r.relname, co.conname,
                      pg_get_constraintdef(co.oid), co.convalidated)
        FROM pg_constraint co JOIN rel r ON r.oid = co.conrelid
        UNION ALL
        SELECT format('index %s valid=%s', pg_get_indexdef(i.indexrelid), i.indisvalid)
        FROM pg_index i JOIN rel r ON r.oid = i.indrelid
      ) lines ORDER BY line"#;
    client
        .query(sql, &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// What the fixture has that the annotations cannot say: a text that singles out its catalog
/// lines (if it has any), and what the imported file's comments must say about it.
const NOT_EXPRESSED: &[(Option<&str>, &str)] = &[
    (
        None,
        "enum type public.order_status AS ENUM ('new', 'paid', 'shipped')",
    ),
    (
        None,
        "sequence public.invoice_numbers (not owned by a column)",
    ),
    (None, "function public.touch_audit()"),
    (None, "view public.open_orders: SELECT"),
    (
        None,
        "trigger: CREATE TRIGGER orders_audit AFTER INSERT ON public.orders",
    ),
    (
        Some("public.scratch"),
        "table public.scratch has no primary key",
    ),
    (
        Some("column public.users.full name "),
        "column \"full name\" text: its name cannot be a Rust field name",
    ),
    (Some("events_sorted_at_idx"), "USING btree (sorted_at DESC)"),
];

/// `CMD --database-url URL KEY PATH EXTRA...`.
fn on_db(cmd: &str, url: &str, key: &str, path: &Path, extra: &[&str]) -> Run {
    let mut args = vec![cmd, "--database-url", url, key, path.to_str().unwrap()];
    args.extend_from_slice(extra);
    mg(&args)
}

fn psql(db: &Db, sql: &str) {
    db.client()
        .batch_execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[test]
fn an_imported_schema_generates_migrations_that_rebuild_it() {
    let live = Db::new("it");
    psql(&live, SCHEMA);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("schema.rs");
    let run = ok(on_db("import", &live.url(), "--out", &file, &[]));
    assert!(run.stdout.contains("17 structs from 18 tables"), "{run}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("use schema_macros::versioned;"), "{text}");
    assert!(text.contains("pub r#type: String"), "{text}");
    assert!(
        text.contains("#[col(sql_type = \"character varying(10)\")]\n    pub zip: Option<String>"),
        "{text}"
    );
    // Identity and serial columns are annotated; the catalogs below compare them too.
    assert!(
        text.contains("#[col(primary_key, identity = \"always\")]\n    pub id: i64"),
        "{text}"
    );
    assert!(
        text.contains("#[col(primary_key, sql_type = \"serial\")]\n    pub id: i32"),
        "{text}"
    );
    assert!(!text.contains("AS IDENTITY"), "{text}");
    assert!(!text.contains("is serial"), "{text}");
    syn::parse_file(&text).expect("the imported file is Rust");
    // The parser the macro uses accepts every struct (types, fragments, references).
    let histories = migrate_gen::source::load(&file).unwrap();
    assert_eq!(histories.len(), 17);
    let comments: String = text
        .lines()
        .filter(|l| l.starts_with("// not expressed: "))
        .collect::<Vec<_>>()
        .join("\n");
    for (_, said) in NOT_EXPRESSED {
        assert!(
            comments.contains(said),
            "`{said}` is not listed:\n{comments}"
        );
    }
    // A second import is the same file: sorted, nothing from the session.
    let again = dir.path().join("again.rs");
    ok(on_db("import", &live.url(), "--out", &again, &[]));
    assert_eq!(std::fs::read_to_string(&again).unwrap(), text);

    let (crate_dir, sql) = generate(&text, &[]);
    let rebuilt = Db::new("it");
    // What the columns name and the comments list: kept as hand-written SQL.
    psql(
        &rebuilt,
        "CREATE TYPE public.order_status AS ENUM ('new', 'paid', 'shipped');
         CREATE SEQUENCE public.invoice_numbers START 1000;",
    );
    let url = rebuilt.url();
    ok(on_db("apply", &url, "--dir", &sql, &[]));
    let keep = |lines: Vec<String>| -> Vec<String> {
        lines
            .into_iter()
            .filter(|l| {
                !NOT_EXPRESSED
                    .iter()
                    .any(|(key, _)| key.is_some_and(|k| l.contains(k)))
            })
            .collect()
    };
    let before = keep(catalog(&mut live.client()));
    let after = keep(catalog(&mut rebuilt.client()));
    assert!(before.len() > 140, "{before:#?}");
    assert_eq!(before, after);
    // The rebuilt database is the model, exactly.
    let run = ok(on_db(
        "drift",
        &url,
        "--dir",
        &sql,
        &["--src", crate_dir.path().to_str().unwrap()],
    ));
    assert!(run.stdout.contains("no drift: 17 tables"), "{run}");
}

#[test]
fn bad_input_is_one_error_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.rs");
    let out = out.to_str().unwrap();
    let unreachable = "postgres://app:s3cret@127.0.0.1:1/app";
    for args in [
        vec!["import", "--database-url", unreachable, "--out", out],
        vec!["drift", "--database-url", unreachable, "--dir", "."],
        vec!["baseline", "--database-url", unreachable, "--dir", "."],
    ] {
        let run = failed(mg(&args));
        assert!(!run.stderr.contains("s3cret"), "{run}");
        assert_eq!(run.stderr.lines().count(), 1, "{run}");
        assert!(run.stderr.starts_with("error: "), "{run}");
    }
    let db = Db::new("it");
    let run = failed(mg(&[
        "import",
        "--database-url",
        &db.url(),
        "--schema",
        "nope",
        "--out",
        out,
    ]));
    assert!(
        run.stderr
            .contains("error: --schema nope: no such schema in the database"),
        "{run}"
    );
    assert!(!Path::new(out).exists());
    // A folder that is not a migrations folder.
    let run = failed(on_db(
        "drift",
        &db.url(),
        "--dir",
        dir.path(),
        &["--src", out],
    ));
    assert!(run.stderr.contains("no migrations"), "{run}");
    assert_eq!(run.stderr.lines().count(), 1, "{run}");
}

const SOURCE: &str = r#"
use schema_macros::versioned;

#[versioned(table = "orgs", version = 1)]
pub struct Org {
    #[col(primary_key)]
    pub id: i64,
    pub name: String,
}

#[versioned(table = "users", version = 2)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(unique)]
    pub email: String,
    #[col(references = "orgs(id)", index)]
    pub org_id: Option<i64>,
    #[col(default = "0", check = "score >= 0")]
    pub score: i32,
    pub name: String,
    #[col(since = 2, index)]
    pub nickname: Option<String>,
}
"#;

/// Version 1 of `SOURCE`, written by hand.
const BY_HAND: &str = "
CREATE TABLE orgs (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE users (
  id bigint PRIMARY KEY,
  email text NOT NULL UNIQUE,
  org_id bigint REFERENCES orgs(id),
  score integer NOT NULL DEFAULT 0 CHECK (score >= 0),
  name text NOT NULL
);
CREATE INDEX users_org_id_idx ON users (org_id);
";

fn drift(db: &Db, dir: &Path, src: &Path) -> Run {
    on_db(
        "drift",
        &db.url(),
        "--dir",
        dir,
        &["--src", src.to_str().unwrap()],
    )
}

/// The number of the last file of version 1.
fn last_v1(dir: &Path) -> String {
    let lock = std::fs::read_to_string(dir.join("migrations.lock")).unwrap();
    lock.lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.first() == Some(&"file") && w[3] == "1").then(|| w[1].to_owned())
        })
        .max()
        .unwrap()
}

#[test]
fn drift_lists_each_kind_of_difference() {
    let (crate_dir, sql) = generate(SOURCE, &[]);
    let src = crate_dir.path();
    let db = Db::new("it");
    ok(on_db(
        "apply",
        &db.url(),
        "--dir",
        &sql,
        &["--to", &last_v1(&sql)],
    ));
    // At version 1 (version 2's files pending), the catalog is version 1's.
    let run = ok(drift(&db, &sql, src));
    assert!(run.stdout.contains("no drift: 2 tables"), "{run}");
    ok(on_db("apply", &db.url(), "--dir", &sql, &[]));
    ok(drift(&db, &sql, src));

    psql(
        &db,
        "DROP INDEX users_nickname_idx;
         ALTER TABLE users ADD COLUMN fax text;
         ALTER TABLE users ALTER COLUMN score SET DEFAULT 5;
         ALTER TABLE users ALTER COLUMN name TYPE varchar(80);
         ALTER TABLE users ALTER COLUMN name DROP NOT NULL;
         UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'users_org_id_idx'::regclass;
         ALTER TABLE users ADD CONSTRAINT users_fax_check CHECK (fax <> '') NOT VALID;
         ALTER TABLE users DROP CONSTRAINT users_score_check;
         ALTER TABLE users ADD CONSTRAINT users_score_check CHECK (score >= 1);
         ALTER TABLE users ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY;
         CREATE TABLE strays (id int);",
    );
    let run = failed(drift(&db, &sql, src));
    let expected = [
        "public.users: missing index users_nickname_idx on (nickname)",
        "public.users: extra column fax (text NULL), not in the model at version 2",
        "public.users: column score has default 5, the model has 0",
        "public.users: column name is character varying(80), the model has text",
        "public.users: column name is NULL, the model has NOT NULL",
        "public.users: index users_org_id_idx is invalid",
        "public.users: extra check constraint users_fax_check, not in the model: CHECK ((fax <> ''::text)) NOT VALID",
        "public.users: check constraint users_score_check is CHECK ((score >= 1)), the model has CHECK ((score >= 0))",
        "public.users: column id is GENERATED BY DEFAULT AS IDENTITY, the model has not an identity",
        "public.strays: extra table, no struct describes it",
    ];
    for e in expected {
        assert!(run.stdout.contains(e), "`{e}` is not listed: {run}");
    }
    assert_eq!(run.stdout.lines().count(), expected.len(), "{run}");
    assert!(
        run.stderr
            .contains("error: 10 differences between the live catalog and the model"),
        "{run}"
    );
}

#[test]
fn baseline_refuses_a_mismatch_then_records_version_1() {
    let (crate_dir, sql) = generate(SOURCE, &[]);
    let src = crate_dir.path().to_str().unwrap().to_owned();
    let db = Db::new("it");
    // By hand, with one difference: no check on score.
    psql(&db, &BY_HAND.replace(" CHECK (score >= 0)", ""));
    let baseline = || on_db("baseline", &db.url(), "--dir", &sql, &["--src", &src]);
    let run = failed(baseline());
    assert_eq!(
        run.stdout.trim(),
        "public.users: missing check constraint users_score_check CHECK ((score >= 0))",
        "{run}"
    );
    assert!(run.stderr.contains("nothing was recorded"), "{run}");
    assert_eq!(
        db.count("SELECT count(*) FROM pg_namespace WHERE nspname = 'migrate_gen'"),
        0,
        "a refused baseline changes nothing"
    );

    psql(
        &db,
        "ALTER TABLE users ADD CONSTRAINT users_score_check CHECK (score >= 0)",
    );
    let run = ok(baseline());
    assert!(run.stdout.contains("recorded 2 files"), "{run}");
    let recorded =
        db.count("SELECT count(*) FROM migrate_gen.applied WHERE finished_at IS NOT NULL");
    assert_eq!(recorded, 2);
    let run = ok(drift(&db, &sql, crate_dir.path()));
    assert!(run.stdout.contains("no drift"), "{run}");
    // A second baseline is refused: the database already records migrations.
    let run = failed(baseline());
    assert!(
        run.stderr.contains("already records applied migrations"),
        "{run}"
    );

    // `apply` runs only the later files.
    let later = std::fs::read_dir(&sql)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("_v2_") && !n.ends_with(".rollback.sql"))
        .count();
    assert!(later > 0);
    let run = ok(on_db("apply", &db.url(), "--dir", &sql, &[]));
    assert!(
        run.stdout
            .contains(&format!("applied {later} migrations; 0 pending")),
        "{run}"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'nickname'"),
        1
    );
    ok(drift(&db, &sql, crate_dir.path()));
}

#[test]
fn another_schema_is_named_on_each_struct() {
    let db = Db::new("it");
    psql(
        &db,
        "CREATE TABLE orgs (id bigint PRIMARY KEY);
         CREATE SCHEMA billing;
         CREATE TABLE billing.accounts (
           id bigint PRIMARY KEY,
           org_id bigint NOT NULL REFERENCES public.orgs(id),
           plan text NOT NULL DEFAULT 'free'
         );
         CREATE TABLE billing.charges (
           id bigint PRIMARY KEY,
           account_id bigint NOT NULL REFERENCES billing.accounts(id)
         );",
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("billing.rs");
    ok(on_db(
        "import",
        &db.url(),
        "--out",
        &file,
        &["--schema", "billing"],
    ));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("#[versioned(table = \"accounts\", schema = \"billing\", version = 1)]\npub struct Accounts {"),
        "{text}"
    );
    assert!(
        text.contains("#[col(references = \"public.orgs(id)\")]\n    pub org_id: i64,"),
        "{text}"
    );
    assert!(
        text.contains("#[col(references = \"accounts(id)\")]\n    pub account_id: i64,"),
        "{text}"
    );
    assert!(!text.contains("struct Orgs"), "{text}");
    let histories = migrate_gen::source::load(&file).unwrap();
    assert!(histories.iter().all(|h| h.schema == "billing"));
}

#[test]
fn drift_finds_the_structs_of_a_folder_in_the_workspace_config() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let sql = root.join("examples/service/sql");
    let db = Db::new("it");
    ok(on_db("apply", &db.url(), "--dir", &sql, &[]));
    let run = |dir: &Path| {
        run_output(
            command(&[
                "drift",
                "--database-url",
                &db.url(),
                "--dir",
                dir.to_str().unwrap(),
            ])
            .current_dir(&root)
            .output()
            .unwrap(),
        )
    };
    let found = ok(run(&sql));
    assert!(found.stdout.contains("no drift"), "{found}");
    // A folder that no crate of the config writes to needs --src.
    let (_crate_dir, other) = generate(SOURCE, &[]);
    let refused = failed(run(&other));
    assert!(refused.stderr.contains("pass --src"), "{refused}");
}

/// Struct-level indexes and constraints of every shape (composite, expression, another method,
/// partial with included columns, a foreign key with an action): no drift once applied; an
/// index rebuilt with another method and a foreign key with another action under the same names
/// are differences.
#[test]
fn drift_compares_the_shape_of_indexes_and_constraints() {
    let source = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/patterns/table_objects.rs"),
    )
    .unwrap();
    let source = format!("use schema_macros::versioned;\n{source}");
    let (crate_dir, sql) = generate(&source, &[]);
    let src = crate_dir.path();
    let db = Db::new("it");
    ok(on_db("apply", &db.url(), "--dir", &sql, &[]));
    let run = ok(drift(&db, &sql, src));
    assert!(run.stdout.contains("no drift: 2 tables"), "{run}");
    psql(
        &db,
        "DROP INDEX orders_created_at_idx;
         CREATE INDEX orders_created_at_idx ON orders (created_at);
         ALTER TABLE orders DROP CONSTRAINT orders_customer_id_external_ref_key;
         ALTER TABLE orders ADD CONSTRAINT orders_customer_id_external_ref_key UNIQUE (external_ref, customer_id);",
    );
    let run = failed(drift(&db, &sql, src));
    for e in [
        "public.orders: index orders_created_at_idx on (created_at) differs: CREATE INDEX orders_created_at_idx ON public.orders USING btree (created_at)",
        "public.orders: unique constraint orders_customer_id_external_ref_key on (customer_id, external_ref) differs",
    ] {
        assert!(run.stdout.contains(e), "`{e}` is not listed: {run}");
    }
    assert_eq!(run.stdout.lines().count(), 2, "{run}");
}

/// Indexes and constraints that no field can hold are imported as struct-level attributes
/// under their live names: a composite index, an expression index, a partial index with
/// included columns, a GIN index, a composite unique constraint, a check over two columns and a
/// composite foreign key with ON DELETE CASCADE. The imported source then matches the database
/// it came from: `baseline` records it, `drift` finds nothing, and migrations generated from it
/// rebuild the same catalog.
#[test]
fn import_writes_struct_level_indexes_and_constraints() {
    let live = Db::new("it");
    psql(
        &live,
        "CREATE TABLE accounts (
           id bigint PRIMARY KEY,
           tenant_id bigint NOT NULL,
           CONSTRAINT accounts_tenant_id_id_key UNIQUE (tenant_id, id)
         );
         CREATE TABLE orders (
           id bigint PRIMARY KEY,
           tenant_id bigint NOT NULL,
           account_id bigint NOT NULL,
           email text NOT NULL,
           tags text[] NOT NULL,
           status text NOT NULL,
           total_cents bigint NOT NULL,
           created_at timestamptz NOT NULL,
           CONSTRAINT orders_total_check CHECK (total_cents >= 0 AND total_cents < 100000000 * tenant_id),
           CONSTRAINT orders_account_fkey FOREIGN KEY (tenant_id, account_id)
             REFERENCES accounts (tenant_id, id) ON DELETE CASCADE,
           CONSTRAINT orders_tenant_email_key UNIQUE (tenant_id, email)
         );
         CREATE INDEX orders_tenant_created_idx ON orders (tenant_id, created_at);
         CREATE UNIQUE INDEX orders_email_ci ON orders (lower(email));
         CREATE INDEX orders_open_idx ON orders (status) INCLUDE (total_cents) WHERE status <> 'done';
         CREATE INDEX orders_tags_idx ON orders USING gin (tags);",
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("schema.rs");
    ok(on_db("import", &live.url(), "--out", &file, &[]));
    let text = std::fs::read_to_string(&file).unwrap();
    for attr in [
        r#"#[unique(columns(tenant_id, id), name = "accounts_tenant_id_id_key")]"#,
        r#"#[index(columns(tenant_id, created_at), name = "orders_tenant_created_idx")]"#,
        r#"#[index(expr = "lower(email)", unique, name = "orders_email_ci")]"#,
        r#"#[index(columns(status), predicate = "status <> 'done'::text", include(total_cents), name = "orders_open_idx")]"#,
        r#"#[index(columns(tags), using = "gin", name = "orders_tags_idx")]"#,
        r#"#[unique(columns(tenant_id, email), name = "orders_tenant_email_key")]"#,
        r#"#[check(expr = "((total_cents >= 0) AND (total_cents < (100000000 * tenant_id)))", name = "orders_total_check")]"#,
        r#"#[foreign_key(columns(tenant_id, account_id), references = "accounts(tenant_id, id)", on_delete = "cascade", name = "orders_account_fkey")]"#,
    ] {
        assert!(text.contains(attr), "`{attr}` is not written:\n{text}");
    }
    assert!(!text.contains("\n// not expressed: "), "{text}");

    // The database it came from is the imported model: recorded as applied, no drift.
    let (crate_dir, sql) = generate(&text, &[]);
    let src = crate_dir.path().to_str().unwrap().to_owned();
    let run = ok(on_db(
        "baseline",
        &live.url(),
        "--dir",
        &sql,
        &["--src", &src],
    ));
    assert!(run.stdout.contains("recorded"), "{run}");
    let run = ok(drift(&live, &sql, crate_dir.path()));
    assert!(run.stdout.contains("no drift: 2 tables"), "{run}");

    // And the migrations rebuild it, object by object.
    let rebuilt = Db::new("it");
    ok(on_db("apply", &rebuilt.url(), "--dir", &sql, &[]));
    assert_eq!(
        catalog(&mut live.client())
            .into_iter()
            .filter(|l| !l.contains("migrate_gen"))
            .collect::<Vec<_>>(),
        catalog(&mut rebuilt.client())
    );
}
