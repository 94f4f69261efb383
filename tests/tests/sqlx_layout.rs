//! The sqlx layout applied by the real sqlx: `sqlx::migrate!` (embedded at compile time) and
//! `Migrator::new` (read at run time, as `sqlx migrate run` does), forward, back with the
//! down migrations, and forward again, with rows in the tables.

mod common;

use common::*;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;

static EXAMPLE: Migrator = sqlx::migrate!("../examples/service/sqlx-migrations");

/// A runtime for sqlx, and a pool on `db`; the synchronous checks run outside the runtime.
fn pool(db: &TestDb) -> (tokio::runtime::Runtime, sqlx::PgPool) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = format!("postgres://postgres@127.0.0.1:5432/{}", db.name);
    let pool = rt
        .block_on(PgPoolOptions::new().max_connections(2).connect(&url))
        .unwrap();
    (rt, pool)
}

#[test]
fn the_example_applies_reverts_and_applies_again_with_sqlx_migrate() {
    let db = TestDb::new("sqlx");
    let (rt, pool) = pool(&db);
    rt.block_on(EXAMPLE.run(&pool)).unwrap();
    let mut client = db.client();
    let after = catalog(&mut client);
    assert!(
        after.contains("column public.users.display_name text NOT NULL"),
        "{after}"
    );
    assert!(
        after.contains("users_username_key") && after.contains("USING btree (username) valid=t"),
        "{after}"
    );
    assert!(!after.contains("valid=f"), "{after}");

    rt.block_on(EXAMPLE.undo(&pool, 0)).unwrap();
    let empty = catalog(&mut client);
    assert!(
        !empty.contains("public.users"),
        "everything reverted: {empty}"
    );

    rt.block_on(EXAMPLE.run(&pool)).unwrap();
    let again = catalog(&mut client);
    assert_eq!(
        again.replace("_sqlx_migrations", ""),
        after.replace("_sqlx_migrations", "")
    );
    rt.block_on(pool.close());
}

#[test]
fn a_backfill_runs_through_sqlx_with_rows_and_reverts_without_losing_them() {
    let out = generate_as(&fixture("add_backfill"), migrate_gen::Layout::Sqlx);
    let db = TestDb::new("sqlx");
    let (rt, pool) = pool(&db);
    let migrator = rt.block_on(Migrator::new(out.path())).unwrap();
    // The create, then 10,000 rows, then the rest.
    rt.block_on(migrator.run_to(10, &pool)).unwrap();
    let mut client = db.client();
    client
        .batch_execute("INSERT INTO people (id, email) SELECT i, 'p' || i || '@example.com' FROM generate_series(1, 10000) i")
        .unwrap();
    rt.block_on(migrator.run(&pool)).unwrap();
    let wrong: i64 = client
        .query_one(
            "SELECT count(*) FROM people WHERE handle IS DISTINCT FROM split_part(email, '@', 1) OR email_length IS DISTINCT FROM length(email)",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(wrong, 0);
    let not_null: i64 = client
        .query_one("SELECT count(*) FROM pg_attribute WHERE attrelid = 'people'::regclass AND attname IN ('handle', 'email_length') AND attnotnull", &[])
        .unwrap()
        .get(0);
    assert_eq!(not_null, 2);

    rt.block_on(migrator.undo(&pool, 10)).unwrap();
    let (rows, columns): (i64, i64) = {
        let r = client
            .query_one(
                "SELECT (SELECT count(*) FROM people WHERE email = 'p' || id || '@example.com'),
                        (SELECT count(*) FROM pg_attribute WHERE attrelid = 'people'::regclass AND attnum > 0 AND NOT attisdropped)",
                &[],
            )
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!(
        (rows, columns),
        (10_000, 2),
        "back at version 1 with every row"
    );
    rt.block_on(migrator.run(&pool)).unwrap();
    rt.block_on(pool.close());
}

/// The committed folder read at run time, as `sqlx migrate run` and `sqlx migrate revert
/// --target-version 0` read it: the command line calls this same `Migrator::new`, `run` and
/// `undo` of the sqlx library, so the test needs no sqlx-cli install.
#[test]
fn the_committed_folder_runs_and_reverts_as_sqlx_migrate_reads_it() {
    let db = TestDb::new("sqlxcli");
    let (rt, pool) = pool(&db);
    let source = workspace().join("examples/service/sqlx-migrations");
    let migrator = rt.block_on(Migrator::new(source)).unwrap();
    rt.block_on(migrator.run(&pool)).unwrap();
    let mut client = db.client();
    let after = catalog(&mut client);
    assert!(
        after.contains("column public.users.display_name text NOT NULL"),
        "{after}"
    );
    assert!(after.contains("USING btree (username) valid=t"), "{after}");
    rt.block_on(migrator.undo(&pool, 0)).unwrap();
    let empty = catalog(&mut client);
    assert!(
        !empty.contains("public.users"),
        "everything reverted: {empty}"
    );
    rt.block_on(pool.close());
}

#[test]
fn an_in_place_type_change_runs_through_sqlx_and_one_through_a_view_is_refused() {
    let src = tempfile::tempdir().unwrap();
    let file = src.path().join("lib.rs");
    std::fs::write(
        &file,
        r#"#[versioned(table = "tags", version = 2)]
pub struct Tag {
    #[col(primary_key)]
    pub id: i64,
    #[col(sql_type = "varchar(200)", retyped_at = 2, old_sql_type = "varchar(80)", unique)]
    pub label: String,
}
"#,
    )
    .unwrap();
    let out = generate_as(&file, migrate_gen::Layout::Sqlx);
    let db = TestDb::new("sqlx");
    let (rt, pool) = pool(&db);
    let migrator = rt.block_on(Migrator::new(out.path())).unwrap();
    rt.block_on(migrator.run_to(10, &pool)).unwrap();
    let mut client = db.client();
    client
        .batch_execute(
            "INSERT INTO tags (id, label) SELECT i, 't' || i FROM generate_series(1, 1000) i",
        )
        .unwrap();
    let width = |client: &mut postgres::Client| -> String {
        client
            .query_one("SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'tags'::regclass AND attname = 'label'", &[])
            .unwrap()
            .get(0)
    };
    rt.block_on(migrator.run(&pool)).unwrap();
    assert_eq!(width(&mut client), "character varying(200)");
    rt.block_on(migrator.undo(&pool, 10)).unwrap();
    assert_eq!(width(&mut client), "character varying(80)");
    let n: i64 = client
        .query_one("SELECT count(*) FROM tags WHERE label = 't' || id", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1000);
    rt.block_on(pool.close());

    let refused = migrate_gen::generate(&migrate_gen::GenerateArgs {
        src: fixture("change_type"),
        out: tempfile::tempdir().unwrap().path().join("sqlx"),
        date: "2026-01-31".into(),
        author: "tests".into(),
        check: false,
        options: Default::default(),
        layout: migrate_gen::Layout::Sqlx,
    })
    .unwrap_err()
    .to_string();
    assert!(
        refused
            .contains("public.orders version 2: the sqlx layout cannot express `contract_types`"),
        "{refused}"
    );
}

#[test]
fn a_table_drop_runs_through_sqlx_and_reverts_with_its_foreign_key_validated() {
    let src = tempfile::tempdir().unwrap();
    let file = src.path().join("carts.rs");
    std::fs::write(
        &file,
        r#"
#[versioned(table = "stores", version = 1)]
pub struct Store {
    #[col(primary_key)]
    pub id: i64,
}

#[versioned(table = "carts", version = 2, until = 2)]
pub struct Cart {
    #[col(primary_key)]
    pub id: i64,
    #[col(references = "stores(id)", index)]
    pub store_id: i64,
}
"#,
    )
    .unwrap();
    let out = generate_as(&file, migrate_gen::Layout::Sqlx);
    let mut names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("carts_v2"))
        .collect();
    names.sort();
    // The foreign key is validated in a transaction of its own: the drop is two migrations,
    // whose downs run newest first (the move back, then the validation).
    assert_eq!(
        names,
        [
            "0030_carts_v2_drop_1.down.sql",
            "0030_carts_v2_drop_1.up.sql",
            "0031_carts_v2_drop_2.down.sql",
            "0031_carts_v2_drop_2.up.sql"
        ]
    );
    let db = TestDb::new("sqlx");
    let (rt, pool) = pool(&db);
    let migrator = rt.block_on(Migrator::new(out.path())).unwrap();
    rt.block_on(migrator.run_to(20, &pool)).unwrap();
    let mut client = db.client();
    client
        .batch_execute(
            "INSERT INTO stores SELECT i FROM generate_series(1, 1000) i;
             INSERT INTO carts SELECT i, i FROM generate_series(1, 1000) i",
        )
        .unwrap();
    let before = catalog(&mut client);
    rt.block_on(migrator.run(&pool)).unwrap();
    let count = |client: &mut postgres::Client, table: &str| -> i64 {
        client
            .query_one(
                &format!("SELECT count(*) FROM {table} WHERE store_id = id"),
                &[],
            )
            .unwrap()
            .get(0)
    };
    assert_eq!(count(&mut client, "migrate_gen_archive.carts_v2"), 1000);
    assert!(!catalog(&mut client).contains("public.carts"));

    rt.block_on(migrator.undo(&pool, 20)).unwrap();
    assert_eq!(count(&mut client, "carts"), 1000);
    assert_eq!(
        catalog(&mut client).replace("_sqlx_migrations", ""),
        before.replace("_sqlx_migrations", ""),
        "back as it was, the foreign key validated"
    );
    rt.block_on(migrator.run(&pool)).unwrap();
    assert_eq!(count(&mut client, "migrate_gen_archive.carts_v2"), 1000);
    rt.block_on(pool.close());
}

/// A column that becomes nullable, through sqlx: the rollback's statements are migrations of
/// their own whose downs run in order (the batched fill alone), and the row the new code wrote
/// without the column gets `down` before NOT NULL is proven again.
#[test]
fn a_column_that_becomes_nullable_runs_and_reverts_through_sqlx() {
    let out = generate_as(&fixture("optional_column"), migrate_gen::Layout::Sqlx);
    let db = TestDb::new("sqlxnull");
    let (rt, pool) = pool(&db);
    let migrator = rt.block_on(Migrator::new(out.path())).unwrap();
    rt.block_on(migrator.run(&pool)).unwrap();
    let mut client = db.client();
    client
        .batch_execute("INSERT INTO contacts (id, email) VALUES (100, 'x@late')")
        .unwrap();
    rt.block_on(migrator.undo(&pool, 10)).unwrap();
    let nickname: String = client
        .query_one("SELECT nickname FROM contacts WHERE id = 100", &[])
        .unwrap()
        .get(0);
    assert_eq!(nickname, "x", "down = split_part(email, '@', 1)");
    let not_null: bool = client
        .query_one(
            "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'contacts'::regclass AND attname = 'nickname'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(not_null);
    rt.block_on(pool.close());
}

/// A unique constraint is three sqlx migrations: the leftover check, the concurrent build and
/// the attach. Each can be reverted alone and run again, as `sqlx migrate revert` and `sqlx
/// migrate run` do: reverting the attach alone leaves the constraint for the build's revert,
/// so running it again finds the index it needs.
#[test]
fn a_unique_constraint_reverts_and_runs_again_one_migration_at_a_time() {
    let out = generate_as(&fixture("add_unique"), migrate_gen::Layout::Sqlx);
    let db = TestDb::new("sqlx");
    let (rt, pool) = pool(&db);
    let migrator = rt.block_on(Migrator::new(out.path())).unwrap();
    let versions: Vec<i64> = migrator
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| m.version)
        .collect();
    rt.block_on(migrator.run(&pool)).unwrap();
    let mut client = db.client();
    let constraints = |client: &mut postgres::Client| -> i64 {
        client
            .query_one(
                "SELECT count(*) FROM pg_constraint WHERE contype = 'u' AND connamespace = 'public'::regnamespace",
                &[],
            )
            .unwrap()
            .get(0)
    };
    let full = catalog(&mut client);
    let attached = constraints(&mut client);
    assert!(attached > 0, "{full}");
    // Each migration from the last back to the first: reverted alone, then run again.
    for (i, _) in versions.iter().enumerate().rev() {
        let below = if i == 0 { 0 } else { versions[i - 1] };
        rt.block_on(migrator.undo(&pool, below)).unwrap();
        rt.block_on(migrator.run(&pool)).unwrap();
        assert_eq!(
            catalog(&mut client).replace("_sqlx_migrations", ""),
            full.replace("_sqlx_migrations", ""),
            "after reverting and running again migration {}",
            versions[i]
        );
    }
    // And all the way back: no constraint, no index left.
    rt.block_on(migrator.undo(&pool, 0)).unwrap();
    assert_eq!(constraints(&mut client), 0);
    assert!(
        !catalog(&mut client).contains("_key"),
        "{}",
        catalog(&mut client)
    );
    rt.block_on(pool.close());
}

/// Raw SQL steps through sqlx: the extension, the function, the views and the trigram index
/// built outside a transaction (a migration of its own), reverted to nothing and run again.
#[test]
fn raw_sql_steps_run_revert_and_run_again_through_sqlx() {
    let out = generate_as(&fixture("raw_sql"), migrate_gen::Layout::Sqlx);
    let db = TestDb::new("sqlxraw");
    let (rt, pool) = pool(&db);
    let migrator = rt.block_on(Migrator::new(out.path())).unwrap();
    rt.block_on(migrator.run(&pool)).unwrap();
    let mut client = db.client();
    client
        .batch_execute("INSERT INTO public.articles (id, title) VALUES (1, 'Hello, World')")
        .unwrap();
    let slug: String = client
        .query_one("SELECT slug FROM public.article_slug_counts", &[])
        .unwrap()
        .get(0);
    assert_eq!(slug, "hello-world");
    let after = catalog(&mut client);
    assert!(
        after.contains("articles_title_trgm") && !after.contains("valid=f"),
        "{after}"
    );
    rt.block_on(migrator.undo(&pool, 0)).unwrap();
    let gone: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(gone, 0, "the extension's step was reverted");
    rt.block_on(migrator.run(&pool)).unwrap();
    assert_eq!(
        catalog(&mut client).replace("_sqlx_migrations", ""),
        after.replace("_sqlx_migrations", "")
    );
    rt.block_on(pool.close());
}

/// An enum type and its added labels through sqlx: each label a migration of its own, in sqlx's
/// transaction (PostgreSQL 12 and later take `ADD VALUE` there; the label is used only by the
/// next migration), reverted to nothing and run again.
#[test]
fn an_enum_type_and_its_labels_run_revert_and_run_again_through_sqlx() {
    let out = generate_as(&fixture("enum_type"), migrate_gen::Layout::Sqlx);
    let db = TestDb::new("sqlxenum");
    let (rt, pool) = pool(&db);
    let migrator = rt.block_on(Migrator::new(out.path())).unwrap();
    rt.block_on(migrator.run(&pool)).unwrap();
    let mut client = db.client();
    client
        .batch_execute("INSERT INTO public.orders (id, status) VALUES (1, 'in_transit')")
        .unwrap();
    let shipping: String = client
        .query_one("SELECT shipping::text FROM public.orders WHERE id = 1", &[])
        .unwrap()
        .get(0);
    assert_eq!(
        shipping, "shipped",
        "the default of version 2 uses its new label"
    );
    client.batch_execute("DELETE FROM public.orders").unwrap();
    rt.block_on(migrator.undo(&pool, 0)).unwrap();
    let left: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_type WHERE typname = 'order_status'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "the type's creation was reverted");
    rt.block_on(migrator.run(&pool)).unwrap();
    rt.block_on(pool.close());
}

/// The struct-level indexes and constraints (built, changed and dropped) through sqlx, with rows:
/// every migration applied, then every one reverted alone newest first (the drops' downs rebuild
/// each index and constraint, in the order its pieces need), then applied again to the same
/// catalog.
#[test]
fn struct_level_indexes_and_constraints_apply_revert_and_apply_again_with_sqlx() {
    let out = generate_as(&fixture("table_objects"), migrate_gen::Layout::Sqlx);
    let db = TestDb::new("sqlx");
    let (rt, pool) = pool(&db);
    let migrator = rt.block_on(Migrator::new(out.path())).unwrap();
    rt.block_on(migrator.run_to(20, &pool)).unwrap();
    let mut client = db.client();
    client
        .batch_execute(
            "INSERT INTO customers SELECT i, 'r' FROM generate_series(1, 100) i;
             INSERT INTO orders SELECT i, i % 100 + 1, 'e' || i, 's' || (i % 7), i, i, 'x' || i FROM generate_series(1, 5000) i",
        )
        .unwrap();
    rt.block_on(migrator.run(&pool)).unwrap();
    let after = catalog(&mut client);
    for present in [
        "orders_status_v3_idx",
        "orders_email_ci",
        "orders_customer_id_external_ref_key",
        "orders_total_cents_0_check",
    ] {
        assert!(after.contains(present), "{present}: {after}");
    }
    for gone in [
        "orders_customer_id_fkey",
        "orders_total_cents_1000000000_check",
        "orders_status_idx ",
    ] {
        assert!(!after.contains(gone), "{gone}: {after}");
    }
    assert!(!after.contains("valid=f"), "{after}");

    rt.block_on(migrator.undo(&pool, 20)).unwrap();
    let v1 = catalog(&mut client);
    assert!(
        v1.contains("orders_total_cents_1000000000_check") && !v1.contains("orders_email_ci"),
        "{v1}"
    );
    rt.block_on(migrator.run(&pool)).unwrap();
    assert_eq!(
        catalog(&mut client).replace("_sqlx_migrations", ""),
        after.replace("_sqlx_migrations", "")
    );
    rt.block_on(pool.close());
}
