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
}

impl Hostile {
    fn new(label: &str) -> Hostile {
        let db = TestDb::new(label);
        let attacker = format!("{}_attacker", db.name);
        let mut c = db.client();
        c.batch_execute(&format!(
            "CREATE ROLE \"{attacker}\" NOLOGIN;
             CREATE SCHEMA app;
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
        let hostile = Hostile { db, attacker };
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

impl Drop for Hostile {
    fn drop(&mut self) {
        if let Ok(mut c) = Client::connect(
            "host=127.0.0.1 user=postgres dbname=postgres",
            postgres::NoTls,
        ) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE); DROP ROLE IF EXISTS \"{}\"",
                self.db.name, self.attacker
            ));
        }
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
    for (i, f) in manifest.files.iter().enumerate() {
        hostile.db.psql(&out.path().join(format!("{}.sql", f.stem)));
        if i == 1 {
            seed_first(&hostile.db, &models);
        }
        writers(&hostile.db, &models, &mut id);
    }
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
