//! Hostile neighbours: a role that may only create objects in `public` and in the table's schema
//! plants functions and an operator that PostgreSQL would pick over its own (a better match for
//! `varchar` arguments), each of which tries to make that role a superuser. The migrations run as
//! a superuser through psql, through the runner and in the sqlx layout, with rows written by each
//! version's code (whose `search_path` names the table's schema) while the files run; not one
//! planted object may be called, and the role stays unprivileged.

#[macro_use]
mod common;

use std::path::{Path, PathBuf};

use common::*;
use migrate_gen::manifest::Manifest;
use postgres::Client;
use schema_core::TableModel;

fn security_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/security/{name}.rs"))
}

fn hijack_fixture() -> PathBuf {
    security_fixture("hijack")
}

/// The attacker's objects, in `schema`: each logs its call and tries `ALTER ROLE ... SUPERUSER`
/// (which works only when the caller is a superuser), then returns the right value so that
/// nothing looks wrong.
fn plant(schema: &str, attacker: &str) -> String {
    let payload = format!(
        "INSERT INTO public.mg_hijack_log VALUES (tg, current_user::text);
         BEGIN EXECUTE 'ALTER ROLE {attacker} SUPERUSER'; EXCEPTION WHEN others THEN NULL; END;"
    );
    format!(
        "CREATE FUNCTION {schema}.lower(v varchar) RETURNS text LANGUAGE plpgsql AS $f$
         DECLARE tg text := 'lower'; BEGIN {payload} RETURN pg_catalog.lower(v::text); END $f$;
         CREATE FUNCTION {schema}.length(v varchar) RETURNS integer LANGUAGE plpgsql AS $f$
         DECLARE tg text := 'length'; BEGIN {payload} RETURN pg_catalog.length(v::text); END $f$;
         CREATE FUNCTION {schema}.pg_sleep(v numeric) RETURNS void LANGUAGE plpgsql AS $f$
         DECLARE tg text := 'pg_sleep'; BEGIN {payload} PERFORM pg_catalog.pg_sleep(v::float8); END $f$;
         CREATE FUNCTION {schema}.mg_eq(a varchar, b varchar) RETURNS boolean LANGUAGE plpgsql AS $f$
         DECLARE tg text := 'varchar ='; BEGIN {payload} RETURN a::text OPERATOR(pg_catalog.=) b::text; END $f$;
         CREATE OPERATOR {schema}.= (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = {schema}.mg_eq);"
    )
}

struct Hostile {
    db: TestDb,
    attacker: String,
    /// Drops the database and the attacker's role when the test ends.
    _role: Role,
}

impl Hostile {
    fn new(label: &str) -> Hostile {
        let db = TestDb::new(label);
        let role = Role::new(&db, "attacker");
        let attacker = role.name.clone();
        let mut c = db.client();
        c.batch_execute(&format!(
            "CREATE SCHEMA app;
             GRANT USAGE, CREATE ON SCHEMA public, app TO \"{attacker}\";
             SET ROLE \"{attacker}\";
             CREATE TABLE public.mg_hijack_log (what text, called_by text);
             GRANT INSERT ON public.mg_hijack_log TO PUBLIC;
             {}
             {}
             RESET ROLE;",
            plant("public", &attacker),
            plant("app", &attacker)
        ))
        .unwrap();
        let hostile = Hostile {
            db,
            attacker,
            _role: role,
        };
        // The plants work where the path reaches them: this test can fail.
        c.batch_execute(
            "SET search_path = app, public;
             SELECT lower('X'::varchar), length('x'::varchar), 'a'::varchar IS DISTINCT FROM 'b'::varchar;
             RESET search_path;",
        )
        .unwrap();
        assert_eq!(
            hostile.calls(&mut c),
            ["length", "lower", "varchar ="],
            "the planted objects are not reachable: this test would prove nothing"
        );
        assert!(hostile.is_superuser(&mut c), "the sanity call escalates");
        c.batch_execute(&format!(
            "ALTER ROLE \"{}\" NOSUPERUSER; TRUNCATE public.mg_hijack_log",
            hostile.attacker
        ))
        .unwrap();
        hostile
    }

    fn calls(&self, c: &mut Client) -> Vec<String> {
        let mut v: Vec<String> = c
            .query("SELECT DISTINCT what FROM public.mg_hijack_log", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        v.sort();
        v
    }

    fn is_superuser(&self, c: &mut Client) -> bool {
        c.query_one(
            "SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = $1",
            &[&self.attacker],
        )
        .unwrap()
        .get(0)
    }

    fn assert_untouched(&self, how: &str) {
        let mut c = self.db.client();
        assert_eq!(
            self.calls(&mut c),
            Vec::<String>::new(),
            "{how}: a planted object was called"
        );
        assert!(!self.is_superuser(&mut c), "{how}: the attacker escalated");
    }
}

/// Each version's code writes a row (through its view where it has one): the fill and sync
/// triggers run in the application's sessions, whose `search_path` names the table's schema.
/// Versions that cannot write at this point simply fail; that is not what is tested here.
fn writers(db: &TestDb, models: &[TableModel], next_id: &mut i64) {
    let mut c = db.client();
    for model in models {
        *next_id += 1;
        let _ = write_row(&mut c, model, *next_id);
    }
}

fn models(src: &Path) -> Vec<TableModel> {
    histories(src)
        .iter()
        .flat_map(|h| {
            h.versions()
                .filter_map(|v| h.model_at(v))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn seed_first(db: &TestDb, models: &[TableModel]) {
    let mut c = db.client();
    for m in models.iter().filter(|m| m.version == 1) {
        seed(&mut c, m, 50);
    }
}

#[test]
fn planted_functions_are_never_called_through_psql() {
    let out = generate(&hijack_fixture());
    let hostile = Hostile::new("hijack_psql");
    let models = models(&hijack_fixture());
    let manifest = Manifest::load(out.path()).unwrap();
    let mut id = 1000;
    let mut retried = false;
    for (i, f) in manifest.files.iter().enumerate() {
        let file = out.path().join(format!("{}.sql", f.stem));
        if f.stem.ends_with("v2_backfill") {
            // A row lock held past lock_timeout (1 s) makes a batch wait, fail and retry after
            // `pg_sleep`: the batch loop's own call is reached too.
            let mut holder = hostile.db.client();
            let (locked, release) = std::sync::mpsc::channel();
            let thread = std::thread::spawn(move || {
                let mut tx = holder.transaction().unwrap();
                tx.query("SELECT 1 FROM app.accounts WHERE id = 1 FOR UPDATE", &[])
                    .unwrap();
                locked.send(()).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(1500));
                tx.commit().unwrap();
            });
            release.recv().unwrap();
            let run = hostile.db.try_psql(&file);
            thread.join().unwrap();
            let stderr = String::from_utf8_lossy(&run.stderr);
            assert!(run.status.success(), "{stderr}");
            retried = stderr.contains("waited longer than lock_timeout; retry 1 of 9");
        } else {
            hostile.db.psql(&file);
        }
        if i == 1 {
            seed_first(&hostile.db, &models);
        }
        writers(&hostile.db, &models, &mut id);
    }
    assert!(
        retried,
        "the backfill retried a batch (and slept) behind the row lock"
    );
    hostile.assert_untouched("forward with psql");
    for f in manifest.files.iter().rev() {
        hostile
            .db
            .psql(&out.path().join(format!("{}.rollback.sql", f.stem)));
        writers(&hostile.db, &models, &mut id);
    }
    hostile.assert_untouched("rollback with psql");
}

#[test]
fn planted_functions_are_never_called_through_the_runner() {
    let out = generate(&hijack_fixture());
    let hostile = Hostile::new("hijack_runner");
    let models = models(&hijack_fixture());
    let target = migrate_gen::runner::Target {
        database_url: format!("postgres://postgres@127.0.0.1/{}", hostile.db.name),
        dir: out.path().to_owned(),
        no_wait: false,
        accept_edited: false,
        lock_retry_budget: std::time::Duration::from_secs(10),
        lock_attempt_timeout: Some(std::time::Duration::from_millis(50)),
        ignore_sessions: false,
        settings: Vec::new(),
    };
    let manifest = Manifest::load(out.path()).unwrap();
    let last = manifest.files.last().unwrap().number;
    let mut id = 1000;
    for n in 1..=last {
        migrate_gen::runner::apply(&target, migrate_gen::runner::Selection::All, Some(n)).unwrap();
        if n == 2 {
            seed_first(&hostile.db, &models);
        }
        writers(&hostile.db, &models, &mut id);
    }
    hostile.assert_untouched("apply with the runner");
    migrate_gen::runner::rollback(&target, 0).unwrap();
    hostile.assert_untouched("rollback with the runner");
    migrate_gen::runner::apply(&target, migrate_gen::runner::Selection::All, None).unwrap();
    hostile.assert_untouched("apply again with the runner");
}

/// The sqlx layout run as `sqlx::migrate!` runs it: on a connection of the application's pool
/// (its `search_path` names the table's schema), each migration as one message, in a
/// transaction unless it says `-- no-transaction`. The path is pinned inside and the
/// connection keeps its own afterwards.
#[test]
fn planted_functions_are_never_called_in_the_sqlx_layout() {
    let src = security_fixture("hijack_sqlx");
    let out = generate_as(&src, migrate_gen::Layout::Sqlx);
    let hostile = Hostile::new("hijack_sqlx");
    let models = models(&src);
    let mut files: Vec<PathBuf> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".up.sql"))
        .collect();
    files.sort();
    let mut app = hostile.db.client();
    app.batch_execute("SET search_path = app, public").unwrap();
    let run = |app: &mut Client, path: &Path| {
        let sql = std::fs::read_to_string(path).unwrap();
        let sql = if sql.starts_with("-- no-transaction") {
            sql
        } else {
            format!("BEGIN;\n{sql}\nCOMMIT;")
        };
        app.simple_query(&sql)
            .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    };
    let mut id = 1000;
    for (i, path) in files.iter().enumerate() {
        run(&mut app, path);
        if i == 1 {
            seed_first(&hostile.db, &models);
        }
        writers(&hostile.db, &models, &mut id);
    }
    hostile.assert_untouched("forward in the sqlx layout");
    for path in files.iter().rev() {
        run(
            &mut app,
            &PathBuf::from(path.to_string_lossy().replace(".up.sql", ".down.sql")),
        );
        writers(&hostile.db, &models, &mut id);
    }
    hostile.assert_untouched("rollback in the sqlx layout");
    let path: String = app.query_one("SHOW search_path", &[]).unwrap().get(0);
    assert_eq!(
        path, "app, public",
        "the application's connection keeps its path"
    );
}

/// Applies the forward files of `out` with psql up to (not including) the first whose stem
/// ends with `stop`, and returns that file's stem.
fn apply_until(db: &TestDb, out: &Path, stop: &str) -> String {
    let manifest = Manifest::load(out).unwrap();
    for f in &manifest.files {
        if f.stem.ends_with(stop) {
            return f.stem.clone();
        }
        db.psql(&out.join(format!("{}.sql", f.stem)));
    }
    panic!("no file ends with {stop}");
}

/// A role of the test's own, dropped (after the database, where it holds privileges) when
/// this goes out of scope.
struct Role {
    name: String,
    db: String,
}

impl Role {
    fn new(db: &TestDb, label: &str) -> Role {
        let name = format!("{}_{label}", db.name);
        db.client()
            .batch_execute(&format!("CREATE ROLE \"{name}\" NOLOGIN"))
            .unwrap();
        Role {
            name,
            db: db.name.clone(),
        }
    }
}

impl Drop for Role {
    fn drop(&mut self) {
        if let Ok(mut c) = Client::connect(
            "host=127.0.0.1 user=postgres dbname=postgres",
            postgres::NoTls,
        ) {
            // Two messages: DROP DATABASE cannot run in a multi-statement one.
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.db
            ));
            let _ = c.batch_execute(&format!("DROP ROLE IF EXISTS \"{}\"", self.name));
        }
    }
}

fn legacy_values(c: &mut Client) -> i64 {
    c.query_one("SELECT count(legacy) FROM app.accounts", &[])
        .unwrap()
        .get(0)
}

/// Up to the file that archives and drops `legacy`, with 20 values in it; then `plant` (with
/// `{thief}` for the thief's role and `{db}` for the database), as a superuser, and that file.
/// Returns the file's failure text (panics if it went on), the client, and the thief's name.
fn drop_after_plant(label: &str, plant: &str) -> (String, Client, Role) {
    let out = generate(&hijack_fixture());
    let db = TestDb::new(label);
    let thief = Role::new(&db, "thief");
    let stem = apply_until(&db, out.path(), "drop_legacy");
    let mut c = db.client();
    c.batch_execute("INSERT INTO app.accounts (id, email, email_lower, handle, code, legacy) SELECT i, 'e' || i, 'e' || i, 'h' || i, 1, 'secret' FROM generate_series(1, 20) i")
        .unwrap();
    c.batch_execute(
        &plant
            .replace("{thief}", &thief.name)
            .replace("{db}", &db.name),
    )
    .unwrap();
    let run = db.try_psql(&out.path().join(format!("{stem}.sql")));
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(!run.status.success(), "the drop went on: {stderr}");
    assert_eq!(legacy_values(&mut c), 20, "the column keeps its values");
    // The thief's Role drops the database when the test ends; `c` stays usable till then.
    std::mem::forget(db);
    (stderr, c, thief)
}

/// Another role that may create schemas creates the archive schema before the first drop, to
/// receive the dropped column's values: the drop refuses, naming the owner, and the column
/// keeps every value.
#[test]
fn an_archive_schema_created_by_another_role_is_refused() {
    let (stderr, _, thief) = drop_after_plant(
        "archive_schema",
        "GRANT CREATE ON DATABASE \"{db}\" TO \"{thief}\"; SET ROLE \"{thief}\"; CREATE SCHEMA migrate_gen_archive; RESET ROLE",
    );
    assert!(
        stderr.contains(&format!(
            "the archive schema migrate_gen_archive is owned by {}, not by the migrating role postgres",
            thief.name
        )),
        "{stderr}"
    );
}

/// An archive table planted in the archive schema (by a role someone let create there) before
/// the drop copies into it: refused, naming the table and its owner, and nothing is copied.
#[test]
fn an_archive_table_created_by_another_role_is_refused() {
    let (stderr, mut c, thief) = drop_after_plant(
        "archive_table",
        "CREATE SCHEMA migrate_gen_archive; GRANT USAGE, CREATE ON SCHEMA migrate_gen_archive TO \"{thief}\";
         SET ROLE \"{thief}\";
         CREATE TABLE migrate_gen_archive.accounts_legacy_v3 (id bigint PRIMARY KEY, legacy varchar(40));
         RESET ROLE",
    );
    assert!(
        stderr.contains(&format!(
            "the archive table migrate_gen_archive.accounts_legacy_v3 is owned by {}, not by the migrating role postgres",
            thief.name
        )),
        "{stderr}"
    );
    let copied: i64 = c
        .query_one(
            "SELECT count(*) FROM migrate_gen_archive.accounts_legacy_v3",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(copied, 0, "nothing reached the planted table");
}

/// A role that could read a table (and its schema) reads nothing once the table is archived,
/// even when given `USAGE` on the archive schema, nor the archive of a dropped column; PUBLIC
/// holds nothing there; the rollback gives the table its privileges back.
#[test]
fn archives_are_readable_by_their_owner_only_and_grants_come_back() {
    let out = generate(&hijack_fixture());
    let db = TestDb::new("archive_grants");
    let reader_role = Role::new(&db, "reader");
    let reader = reader_role.name.clone();
    let manifest = Manifest::load(out.path()).unwrap();
    let mut c = db.client();
    for f in &manifest.files {
        db.psql(&out.path().join(format!("{}.sql", f.stem)));
        if f.stem.ends_with("sessions_create") {
            c.batch_execute(&format!(
                "GRANT USAGE ON SCHEMA app TO \"{reader}\";
                 GRANT SELECT, INSERT ON app.sessions TO \"{reader}\";
                 GRANT SELECT ON app.sessions TO PUBLIC;
                 INSERT INTO app.sessions SELECT i, 'token ' || i FROM generate_series(1, 10) i"
            ))
            .unwrap();
        }
    }
    c.batch_execute(&format!(
        "GRANT USAGE ON SCHEMA migrate_gen_archive TO \"{reader}\""
    ))
    .unwrap();
    let can = |c: &mut Client, who: &str, rel: &str, what: &str| -> bool {
        c.query_one(
            "SELECT pg_catalog.has_table_privilege($1, $2, $3)",
            &[&who, &rel, &what],
        )
        .unwrap()
        .get(0)
    };
    for rel in [
        "migrate_gen_archive.app_sessions_v3",
        "migrate_gen_archive.accounts_legacy_v3",
        "migrate_gen_archive.registry",
    ] {
        assert!(!can(&mut c, &reader, rel, "SELECT"), "{reader} reads {rel}");
        assert!(!can(&mut c, "public", rel, "SELECT"), "PUBLIC reads {rel}");
    }
    let public_create: bool = c
        .query_one(
            "SELECT pg_catalog.has_schema_privilege('public', 'migrate_gen_archive', 'CREATE')",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(!public_create, "PUBLIC may create in the archive schema");
    // The rollback of the table's drop: it is back with what it held and its grants.
    let last = manifest.files.last().unwrap();
    db.psql(&out.path().join(format!("{}.rollback.sql", last.stem)));
    assert!(can(&mut c, &reader, "app.sessions", "SELECT"));
    assert!(can(&mut c, &reader, "app.sessions", "INSERT"));
    assert!(!can(&mut c, &reader, "app.sessions", "DELETE"));
    assert!(can(&mut c, "public", "app.sessions", "SELECT"));
    let rows: i64 = c
        .query_one("SELECT count(*) FROM app.sessions", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 10);
    // And archived again: sealed again.
    db.psql(&out.path().join(format!("{}.sql", last.stem)));
    assert!(!can(
        &mut c,
        &reader,
        "migrate_gen_archive.app_sessions_v3",
        "SELECT"
    ));
}

/// The generator refuses what the macro refuses, from the same check: the injection found by
/// the security review (`default` holding three statements) and a backfill naming a column
/// that does not exist, which once generated, applied on an empty table and then broke every
/// insert of the old code inside the fill trigger.
#[test]
fn the_generator_refuses_fragments_that_are_not_one_expression_over_known_columns() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("schema.rs");
    std::fs::write(
        &src,
        r#"
#[versioned(table = "victims", version = 2)]
pub struct Victim {
    #[col(primary_key)]
    pub id: i64,
    #[col(default = "'x'; DROP TABLE victim; SELECT 'y'")]
    pub plan: String,
    #[col(since = 2, backfill = "lower(emial)")]
    pub email_lower: String,
}
"#,
    )
    .unwrap();
    let out = dir.path().join("sql");
    let error = migrate_gen::generate(&migrate_gen::GenerateArgs {
        src,
        out: out.clone(),
        date: DATE.into(),
        author: AUTHOR.into(),
        check: false,
        options: Default::default(),
        layout: Default::default(),
    })
    .unwrap_err()
    .to_string();
    assert!(
        error.contains(r#"default = "'x'; DROP TABLE victim; SELECT 'y'" contains `;`: it must be one SQL expression"#),
        "{error}"
    );
    assert!(
        error.contains(r#"backfill = "lower(emial)" names `emial`, which is not a column of victims at version 2"#),
        "{error}"
    );
    assert!(!out.join("migrations.lock").exists(), "nothing was written");
}

/// Names with a double quote: every file applies, rolls back and applies again.
#[test]
fn names_holding_a_double_quote_are_escaped_everywhere() {
    let out = generate(&security_fixture("quotes"));
    let db = TestDb::new("quotes");
    let manifest = Manifest::load(out.path()).unwrap();
    for f in &manifest.files {
        db.psql(&out.path().join(format!("{}.sql", f.stem)));
    }
    let mut c = db.client();
    let indexes: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_catalog.pg_indexes WHERE schemaname = 'sc\"hema' AND indexname LIKE 'we\"ird%'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(indexes, 3, "primary key, unique and plain index");
    for f in manifest.files.iter().rev() {
        db.psql(&out.path().join(format!("{}.rollback.sql", f.stem)));
    }
    for f in &manifest.files {
        db.psql(&out.path().join(format!("{}.sql", f.stem)));
    }
}
