//! Every pattern and the example crate on the real PostgreSQL: rows in the tables, every
//! forward file with `psql -f` in order, the old version's writes after every file, the
//! catalog and data checked, every rollback in reverse order back to an empty database with
//! the catalog and data of each older version checked on the way, then forward again.

#[macro_use]
mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use postgres::Client;
use schema_core::plan::Phase;
use schema_core::{TableHistory, TableModel};

const ROWS: i64 = 10_000;

fn columns_exist(client: &mut Client, model: &TableModel) -> bool {
    model.columns.iter().all(|c| {
        client
            .query_one(
                "SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped",
                &[&format!("\"{}\".\"{}\"", model.schema, model.name), &c.name],
            )
            .unwrap()
            .get::<_, i64>(0)
            == 1
    })
}

/// `(name, NOT NULL, type with its modifier)` of every column of `rel`, sorted.
fn columns_of(client: &mut Client, rel: &str) -> Vec<(String, bool, String)> {
    let rows = client
        .query(
            "SELECT attname::text, attnotnull, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attname",
            &[&rel],
        )
        .unwrap();
    rows.iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

/// The table in the database has exactly the model's columns, types (with their modifiers:
/// `varchar(200)` is not `varchar(80)`) and nullability.
fn assert_matches_model(client: &mut Client, model: &TableModel) {
    let rel = format!("\"{}\".\"{}\"", model.schema, model.name);
    let actual = columns_of(client, &rel);
    // PostgreSQL spells the model's types for us: a temporary table declared with them.
    let decl: Vec<String> = model
        .columns
        .iter()
        .map(|c| {
            format!(
                "\"{}\" {}{}",
                c.name,
                c.sql_type,
                if c.nullable { "" } else { " NOT NULL" }
            )
        })
        .collect();
    client
        .batch_execute(&format!(
            "CREATE TEMP TABLE mg_expected ({})",
            decl.join(", ")
        ))
        .unwrap();
    let expected = columns_of(client, "pg_temp.mg_expected");
    client
        .batch_execute("DROP TABLE pg_temp.mg_expected")
        .unwrap();
    assert_eq!(
        actual, expected,
        "table {rel} does not match version {}",
        model.version
    );
}

struct Boundary {
    catalog: String,
    /// Digest of the old version's columns of the seeded rows.
    digest: Option<String>,
    /// Rows written by the old version's code while the step's files ran.
    transition_ids: Vec<i64>,
}

fn round_trip(src: &Path) {
    let out = generate(src);
    let histories = histories(src);
    let history = |table: &str| {
        histories
            .iter()
            .find(|h| {
                // A renamed table's steps before the rename carry its old name.
                let old = h.renamed_from.as_ref().map(|(old, _)| old.as_str());
                [Some(h.table.as_str()), old]
                    .into_iter()
                    .flatten()
                    .any(|name| format!("{}.{name}", h.schema) == table)
            })
            .unwrap_or_else(|| panic!("no history for {table}"))
    };
    // Each version's code names the tables it references as they are called at that version.
    let named = |model: Option<TableModel>, version: u32| {
        model.map(|mut m| {
            TableHistory::name_references(&mut m, version, &histories);
            m
        })
    };
    let steps = steps(out.path());
    let db = TestDb::new("rt");
    let mut client = db.client();
    let mut next_id = 1_000_000;
    let mut boundaries = Vec::new();

    let apply_forward = |client: &mut Client,
                         next_id: &mut i64,
                         boundaries: &mut Vec<Boundary>,
                         check_writes: bool| {
        for (table, version, files) in &steps {
            let h = history(table);
            let from = if *version > h.since {
                named(h.model_at(version - 1), version - 1)
            } else {
                None
            };
            // `None`: the table is dropped at this version.
            let to = named(h.model_at(*version), *version);
            // A renamed column must carry every value of the old one.
            let renamed: Vec<(String, String)> = to
                .iter()
                .flat_map(|to| &to.columns)
                .filter_map(|c| c.renamed_from.clone().map(|old| (old, c.name.clone())))
                .collect();
            let values = |client: &mut Client, column: &str| -> String {
                let to = to.as_ref().expect("a renamed column's table exists");
                let pk = &to.primary_key[0];
                client
                    .query_one(
                        &format!(
                            "SELECT coalesce(md5(string_agg(coalesce(({column})::text, '<null>'), ',' ORDER BY \"{pk}\")), '') FROM \"{}\".\"{}\" WHERE \"{pk}\" <= {ROWS}",
                            to.schema, to.name
                        ),
                        &[],
                    )
                    .unwrap()
                    .get(0)
            };
            let before: Vec<String> = renamed
                .iter()
                .map(|(old, _)| values(client, &format!("\"{old}\"")))
                .collect();
            // A retyped column must hold every old value, converted (`using`, else the cast).
            let converted: Vec<(String, String)> = to
                .iter()
                .flat_map(|to| &to.columns)
                .filter_map(|c| {
                    let change = c.retyped_from.as_ref()?;
                    let expr = change
                        .using
                        .clone()
                        .unwrap_or_else(|| format!("\"{}\"", c.name));
                    Some((c.name.clone(), format!("CAST(({expr}) AS {})", c.sql_type)))
                })
                .collect();
            let converted_before: Vec<String> = converted
                .iter()
                .map(|(_, expr)| values(client, expr))
                .collect();
            let mut boundary = Boundary {
                catalog: catalog(client),
                digest: from.as_ref().map(|m| data_digest(client, m, ROWS)),
                transition_ids: Vec::new(),
            };
            for file in files {
                // A step that starts with its contract (a drop) has its old code's last row
                // written right before it.
                if let Some(from) = &from
                    && check_writes
                    && file.phase == Phase::Contract
                    && boundary.transition_ids.is_empty()
                {
                    write_row(client, from, *next_id).unwrap();
                    boundary.transition_ids.push(*next_id);
                    *next_id += 1;
                }
                db.psql(&out.path().join(format!("{}.sql", file.stem)));
                let Some(from) = &from else {
                    seed(client, to.as_ref().unwrap(), ROWS);
                    continue;
                };
                if !check_writes {
                    continue;
                }
                let Some(to) = &to else {
                    assert!(
                        write_row(client, from, *next_id).is_err(),
                        "{table} is still there after {}",
                        file.stem
                    );
                    continue;
                };
                if file.phase != Phase::Contract {
                    write_row(client, from, *next_id).unwrap_or_else(|e| {
                        panic!(
                            "{table} v{} code failed after {}: {e}",
                            from.version, file.stem
                        )
                    });
                    boundary.transition_ids.push(*next_id);
                    *next_id += 1;
                }
                if columns_exist(client, to) {
                    write_row(client, to, *next_id).unwrap_or_else(|e| {
                        panic!(
                            "{table} v{} code failed after {}: {e}",
                            to.version, file.stem
                        )
                    });
                    *next_id += 1;
                }
            }
            for ((column, expr), before) in converted.iter().zip(&converted_before) {
                assert_eq!(
                    &values(client, &format!("\"{column}\"")),
                    before,
                    "{table}: {column} does not hold every old value converted by {expr}"
                );
            }
            for ((old, new), before) in renamed.iter().zip(&before) {
                assert_eq!(
                    &values(client, &format!("\"{new}\"")),
                    before,
                    "{table}: {new} does not carry every value of {old}"
                );
            }
            boundaries.push(boundary);
        }
    };

    // Forward, with both versions writing after every file.
    apply_forward(&mut client, &mut next_id, &mut boundaries, true);
    let final_catalog = catalog(&mut client);
    // A dropped table is in the archive with every row it had, those of the transition too.
    for ((table, version, _), boundary) in steps.iter().zip(&boundaries) {
        let h = history(table);
        if h.until != Some(*version) {
            continue;
        }
        let from = h.model_at(version - 1).unwrap();
        let archived = TableModel {
            schema: "migrate_gen_archive".into(),
            name: schema_core::plan::drop_table::archive_name(&h.schema, &h.table, *version),
            ..from.clone()
        };
        assert!(!columns_exist(&mut client, &from), "{table} is still there");
        assert_eq!(
            Some(data_digest(&mut client, &archived, ROWS)),
            boundary.digest,
            "{table}: the archive does not hold every value"
        );
        let ids = boundary.transition_ids.iter().map(i64::to_string);
        let ids = ids.collect::<Vec<_>>().join(", ");
        let found: i64 = client
            .query_one(
                &format!(
                    "SELECT count(*) FROM \"{}\".\"{}\" WHERE \"{}\" IN ({ids})",
                    archived.schema, archived.name, archived.primary_key[0]
                ),
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(
            found as usize,
            boundary.transition_ids.len(),
            "{table}: rows of the transition are not in the archive"
        );
    }
    let mut latest: BTreeMap<String, TableModel> = BTreeMap::new();
    for h in &histories {
        let Some(model) = h.model_as_of(h.version) else {
            continue;
        };
        assert_matches_model(&mut client, &model);
        for col in &model.columns {
            let Some(expr) = &col.backfill else { continue };
            let pk = &model.primary_key[0];
            let wrong: i64 = client
                .query_one(
                    &format!(
                        "SELECT count(*) FROM \"{}\".\"{}\" WHERE \"{pk}\" <= {ROWS} AND \"{}\" IS DISTINCT FROM ({expr})",
                        model.schema, model.name, col.name
                    ),
                    &[],
                )
                .unwrap()
                .get(0);
            assert_eq!(
                wrong, 0,
                "{}.{}: backfilled values differ from `{expr}`",
                model.name, col.name
            );
        }
        let count: i64 = client
            .query_one(
                &format!(
                    "SELECT count(*) FROM \"{}\".\"{}\"",
                    model.schema, model.name
                ),
                &[],
            )
            .unwrap()
            .get(0);
        assert!(
            count >= ROWS,
            "{}: {count} rows, expected at least {ROWS}",
            model.name
        );
        latest.insert(format!("{}.{}", h.schema, h.table), model);
    }

    // Every rollback in reverse order, checking each step's starting point.
    for ((table, version, files), boundary) in steps.iter().zip(&boundaries).rev() {
        for file in files.iter().rev() {
            db.psql(&out.path().join(format!("{}.rollback.sql", file.stem)));
        }
        assert_eq!(
            catalog(&mut client),
            boundary.catalog,
            "catalog after rolling back {table} v{version} differs from before it"
        );
        let h = history(table);
        if let (Some(digest), Some(from)) = (&boundary.digest, h.model_at(version - 1)) {
            assert_eq!(
                &data_digest(&mut client, &from, ROWS),
                digest,
                "{table}: data changed by v{version} and its rollback"
            );
            let pk = &from.primary_key[0];
            for id in &boundary.transition_ids {
                let n: i64 = client
                    .query_one(
                        &format!(
                            "SELECT count(*) FROM \"{}\".\"{}\" WHERE \"{pk}\" = {id}",
                            from.schema, from.name
                        ),
                        &[],
                    )
                    .unwrap()
                    .get(0);
                assert_eq!(
                    n, 1,
                    "{table}: row {id} written during v{version} is gone after its rollback"
                );
            }
        }
    }
    assert_eq!(
        catalog(&mut client),
        "",
        "rolling everything back leaves an empty schema"
    );

    // Forward again.
    let mut again = Vec::new();
    apply_forward(&mut client, &mut next_id, &mut again, false);
    assert_eq!(
        catalog(&mut client),
        final_catalog,
        "forward again gives the same catalog"
    );
}

#[test]
fn example_service_round_trip() {
    round_trip(&workspace().join("examples/service"));
}

macro_rules! pattern_tests {
    ($($name:ident),*) => {$(
        #[test]
        fn $name() {
            round_trip(&fixture(stringify!($name)));
        }
    )*};
}

for_each_pattern!(pattern_tests);

/// Which version's code the background writer runs as.
const OLD_CODE: u8 = 0;
const NEW_CODE: u8 = 1;
/// The writer idles while the test reads what it wrote.
const PAUSED: u8 = 2;

/// What one version's code writes: an insert and an update of one text column (`{id}`,
/// `{value}` and `{target}` are filled in), and that column's name, under which the value is
/// tracked.
struct Writes {
    insert: &'static str,
    update: &'static str,
    column: &'static str,
}

/// Applies the version steps of `fixture` after its first `created` steps, file by file and
/// then back, while a writer keeps inserting and updating rows: as the old code until the
/// deploy (before the first contract file), as the new code after it, and as the old code
/// again once the rollback reaches the expand files (or is done). None of its statements
/// fails, and every value it wrote is there at the end: after the forward run under
/// `forward[column]` (when that column still exists), after the rollback under `back[column]`.
/// A column is one of the old code's table, or named with its table (`schema.table.column`).
fn with_background_writer(
    fixture_name: &str,
    created: usize,
    seed: &str,
    old: Writes,
    new: Writes,
    forward: &[(&str, &str)],
    back: &[(&str, &str)],
) {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
    use std::sync::{Arc, Mutex};

    let table = table_of(old.insert).to_owned();
    // Old and new code write one table (a rename, a dropped column): a row written under one
    // name is no longer expected under the other.
    let one_table = table == table_of(new.insert);
    let out = generate(&fixture(fixture_name));
    let steps = steps(out.path());
    let db = TestDb::new("writer");
    let mut client = db.client();
    for (_, _, files) in &steps[..created] {
        for f in files {
            db.psql(&out.path().join(format!("{}.sql", f.stem)));
        }
    }
    client.batch_execute(seed).unwrap();

    let role = Arc::new(AtomicU8::new(OLD_CODE));
    let acted_as = Arc::new(AtomicU8::new(OLD_CODE));
    let stop = Arc::new(AtomicBool::new(false));
    // column written -> id -> value
    let expected: Arc<Mutex<BTreeMap<&'static str, BTreeMap<i64, String>>>> = Arc::default();
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let writer = {
        let (role, acted_as, stop, expected, failures) = (
            role.clone(),
            acted_as.clone(),
            stop.clone(),
            expected.clone(),
            failures.clone(),
        );
        let mut c = db.client();
        std::thread::spawn(move || {
            let mut n: i64 = 0;
            while !stop.load(Ordering::SeqCst) {
                let now = role.load(Ordering::SeqCst);
                acted_as.store(now, Ordering::SeqCst);
                if now == PAUSED {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    continue;
                }
                let w = if now == OLD_CODE { &old } else { &new };
                n += 1;
                let (id, target) = (100_000 + n, n % 10_000 + 1);
                let fill = |tpl: &str, value: &str| {
                    tpl.replace("{id}", &id.to_string())
                        .replace("{target}", &target.to_string())
                        .replace("{value}", value)
                };
                // Numbers, so that they fit integer columns as well as text ones.
                let (inserted, updated) = (format!("{}", 2 * n), format!("{}", 2 * n + 1));
                for (sql, row, value) in [
                    (fill(w.insert, &inserted), id, inserted.clone()),
                    (fill(w.update, &updated), target, updated.clone()),
                ] {
                    match c.batch_execute(&sql) {
                        Ok(()) => {
                            let mut e = expected.lock().unwrap();
                            if one_table {
                                for other in e.values_mut() {
                                    other.remove(&row);
                                }
                            }
                            e.entry(w.column).or_default().insert(row, value);
                        }
                        Err(e) => failures.lock().unwrap().push(format!("{sql}: {e:?}")),
                    }
                }
            }
        })
    };
    let switch = |who: u8| {
        role.store(who, Ordering::SeqCst);
        while acted_as.load(Ordering::SeqCst) != who {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let missing = |client: &mut postgres::Client, read: &[(&str, &str)]| -> Vec<String> {
        let expected = expected.lock().unwrap();
        let mut wrong = Vec::new();
        for (written, column) in read {
            let (rel, column) = column.rsplit_once('.').unwrap_or((&table, column));
            let actual: BTreeMap<i64, Option<String>> = client
                .query(&format!("SELECT id, {column}::text FROM {rel}"), &[])
                .unwrap()
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            for (id, v) in expected.get(written).into_iter().flatten() {
                if actual.get(id).and_then(|a| a.as_deref()) != Some(v.as_str()) {
                    wrong.push(format!(
                        "{written} of {id}: wrote {v}, found {:?} in {column}",
                        actual.get(id)
                    ));
                }
            }
        }
        wrong.truncate(5);
        wrong
    };

    // The steps of the version after the `created` ones: its old and new code are the writer's
    // two roles.
    let version = steps[created].1;
    let files: Vec<_> = steps[created..]
        .iter()
        .take_while(|(_, v, _)| *v == version)
        .flat_map(|(_, _, f)| f.clone())
        .collect();
    // The old code writes for a while before the first file too.
    std::thread::sleep(std::time::Duration::from_millis(300));
    for f in &files {
        if f.phase == Phase::Contract && role.load(Ordering::SeqCst) == OLD_CODE {
            switch(NEW_CODE); // the deploy
        }
        db.psql(&out.path().join(format!("{}.sql", f.stem)));
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    switch(PAUSED);
    assert_eq!(
        missing(&mut client, forward),
        Vec::<String>::new(),
        "after the forward run"
    );
    switch(NEW_CODE);
    for f in files.iter().rev() {
        if f.phase != Phase::Contract && role.load(Ordering::SeqCst) == NEW_CODE {
            switch(OLD_CODE); // the deploy is rolled back before the expand files are
        }
        db.psql(&out.path().join(format!("{}.rollback.sql", f.stem)));
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // The old code is back (after rolling back contract files only, its deploy is undone now).
    switch(OLD_CODE);
    std::thread::sleep(std::time::Duration::from_millis(300));
    switch(PAUSED);
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    assert_eq!(
        failures.lock().unwrap().clone(),
        Vec::<String>::new(),
        "the writer's statements all succeeded"
    );
    assert_eq!(
        missing(&mut client, back),
        Vec::<String>::new(),
        "after the rollback"
    );
    let written: usize = expected.lock().unwrap().values().map(BTreeMap::len).sum();
    assert!(written > 200, "the writer kept writing: {written} values");
}

/// `... INSERT INTO t ...` -> `t`.
fn table_of(insert: &str) -> &str {
    insert
        .split("INSERT INTO ")
        .nth(1)
        .expect("an INSERT")
        .split_whitespace()
        .next()
        .unwrap()
}

#[test]
fn rename_with_a_background_writer_loses_nothing() {
    with_background_writer(
        "rename_column",
        2,
        "INSERT INTO teams (id, label) VALUES (1, 'core');
         INSERT INTO authors (id, name, team) SELECT i, 'a' || i, 1 FROM generate_series(1, 10000) i",
        Writes {
            insert: "INSERT INTO authors (id, name) VALUES ({id}, '{value}')",
            update: "UPDATE authors SET name = '{value}' WHERE id = {target}",
            column: "name",
        },
        Writes {
            insert: "INSERT INTO authors (id, full_name) VALUES ({id}, '{value}')",
            update: "UPDATE authors SET full_name = '{value}' WHERE id = {target}",
            column: "full_name",
        },
        &[("name", "full_name"), ("full_name", "full_name")],
        &[("name", "name"), ("full_name", "name")],
    );
}

#[test]
fn drop_with_a_background_writer_loses_nothing() {
    with_background_writer(
        "drop_column",
        2,
        "INSERT INTO clubs (id, title) VALUES (1, 'home');
         INSERT INTO players (id, name, nickname, motto) SELECT i, 'p' || i, 'n' || i, 'm' FROM generate_series(1, 10000) i",
        Writes {
            insert: "INSERT INTO players (id, name, nickname, motto) VALUES ({id}, 'p{id}', '{value}', 'm')",
            update: "UPDATE players SET nickname = '{value}' WHERE id = {target}",
            column: "nickname",
        },
        Writes {
            insert: "INSERT INTO players (id, name) VALUES ({id}, '{value}')",
            update: "UPDATE players SET name = '{value}' WHERE id = {target}",
            column: "name",
        },
        // After the contract the nickname column is gone (its values are in the archive).
        &[("name", "name")],
        &[("nickname", "nickname"), ("name", "name")],
    );
}

#[test]
fn table_rename_with_a_background_writer_loses_nothing() {
    // Old code writes `players` (the view from the expand on), new code `members`; both are
    // one table, so every row and update shows under either name.
    with_background_writer(
        "rename_table",
        3,
        "INSERT INTO clubs (id, title) VALUES (1, 'home');
         INSERT INTO players (id, email, nick, club_id) SELECT i, 'e' || i, 'n' || i, 1 FROM generate_series(1, 10000) i",
        Writes {
            insert: "INSERT INTO players (id, email, nick, club_id) VALUES ({id}, 'e{id}', '{value}', 1)",
            update: "UPDATE players SET nick = '{value}' WHERE id = {target}",
            column: "nick",
        },
        Writes {
            insert: "INSERT INTO members (id, email, nick) VALUES ({id}, 'e{id}', '{value}')",
            update: "UPDATE members SET nick = '{value}' WHERE id = {target}",
            column: "nick",
        },
        &[("nick", "members.nick")],
        &[("nick", "players.nick")],
    );
}

#[test]
fn type_change_with_a_background_writer_loses_nothing() {
    // Old code writes the integer column of the table; new code the bigint one, through the
    // view of version 2 (its search_path), until the contract resolves it to the table.
    with_background_writer(
        "change_type",
        2,
        "INSERT INTO shops (id, name) VALUES (1, 'main');
         INSERT INTO orders (id, quantity, price, shop_id, code) SELECT i, i, i, 1, 'c' || i FROM generate_series(1, 10000) i",
        Writes {
            insert: "SET search_path = public_v1, public; INSERT INTO orders (id, quantity, price, code) VALUES ({id}, {value}, 12.34, 'c{id}')",
            update: "SET search_path = public_v1, public; UPDATE orders SET quantity = {value}, price = price + 1 WHERE id = {target}",
            column: "quantity",
        },
        Writes {
            insert: "SET search_path = public_v2, public; INSERT INTO orders (id, quantity, price, code) VALUES ({id}, {value}, 1234, 'c{id}')",
            update: "SET search_path = public_v2, public; UPDATE orders SET quantity = {value}, price = price + 100 WHERE id = {target}",
            column: "quantity",
        },
        &[("quantity", "quantity")],
        &[("quantity", "quantity")],
    );
}

#[test]
fn in_place_type_change_rewrites_nothing() {
    // The varchar widened in place keeps the table's and its index's files: no rewrite.
    let out = generate(&fixture("change_type"));
    let steps = steps(out.path());
    let db = TestDb::new("inplace");
    let mut client = db.client();
    let files_of = |client: &mut Client| -> Vec<(String, i64)> {
        client
            .query(
                "SELECT relname::text, pg_relation_filenode(oid)::bigint FROM pg_class WHERE relname IN ('orders', 'orders_code_key') AND relnamespace = 'public'::regnamespace ORDER BY relname",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    };
    for (_, _, files) in &steps[..2] {
        for f in files {
            db.psql(&out.path().join(format!("{}.sql", f.stem)));
        }
    }
    client
        .batch_execute(
            "INSERT INTO shops (id, name) VALUES (1, 'main');
             INSERT INTO orders (id, quantity, price, shop_id, code) SELECT i, i, i, 1, 'c' || i FROM generate_series(1, 1000) i",
        )
        .unwrap();
    let before = files_of(&mut client);
    assert_eq!(before.len(), 2);
    let expand = &steps[2].2[0];
    assert_eq!(expand.phase, Phase::Expand);
    db.psql(&out.path().join(format!("{}.sql", expand.stem)));
    let width: String = client
        .query_one(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'public.orders'::regclass AND attname = 'code'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(width, "character varying(200)");
    assert_eq!(
        files_of(&mut client),
        before,
        "the expand rewrote the table or its index"
    );
    // A value only the wide type holds, then the rollback: it refuses, changing nothing.
    client
        .batch_execute(&format!(
            "INSERT INTO orders (id, quantity, price, code) VALUES (5000, 1, 1, '{}')",
            "x".repeat(150)
        ))
        .unwrap();
    let rollback = out.path().join(format!("{}.rollback.sql", expand.stem));
    let status = db.try_psql(&rollback);
    assert!(
        !status.status.success(),
        "the narrowing rollback accepted a value that does not fit"
    );
    assert!(
        String::from_utf8_lossy(&status.stderr)
            .contains("value too long for type character varying(80)"),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let n: i64 = client
        .query_one("SELECT count(*) FROM orders WHERE length(code) = 150", &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1, "the failed rollback kept the long value");
}

#[test]
fn table_drop_with_a_background_writer_loses_nothing() {
    with_background_writer(
        "drop_table",
        3,
        "INSERT INTO leagues (id, title) SELECT i, 'l' || i FROM generate_series(1, 10000) i;
         INSERT INTO matches (id, label, league_id) SELECT i, 'm' || i, i FROM generate_series(1, 10000) i;
         INSERT INTO tickets (id, holder, match_id) SELECT i, 't' || i, i FROM generate_series(1, 10000) i",
        Writes {
            insert: "INSERT INTO matches (id, label, league_id) VALUES ({id}, '{value}', {target})",
            update: "UPDATE matches SET label = '{value}' WHERE id = {target}",
            column: "label",
        },
        // The new code no longer knows matches; it writes the leagues those rows referenced.
        Writes {
            insert: "INSERT INTO leagues (id, title) VALUES ({id}, '{value}')",
            update: "UPDATE leagues SET title = '{value}' WHERE id = {target}",
            column: "title",
        },
        // After the contract matches is in the archive, with every value the old code wrote.
        &[
            ("label", "migrate_gen_archive.matches_v2.label"),
            ("title", "leagues.title"),
        ],
        &[("label", "label"), ("title", "leagues.title")],
    );
}

/// A NOT NULL column without a default or `down`, dropped: once the new code has inserted rows
/// without it, the rollback of the file that let it be NULL stops before changing anything, saying how many rows need
/// a value and how to give it; once they have one, it runs.
#[test]
fn a_dropped_not_null_column_without_down_refuses_its_rollback_naming_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("lib.rs");
    std::fs::write(
        &src,
        r#"#[versioned(table = "pets", version = 2)]
pub struct Pet {
    #[col(primary_key)]
    pub id: i64,
    #[col(until = 2)]
    pub sound: String,
}
"#,
    )
    .unwrap();
    let out = generate(&src);
    let db = TestDb::new("nodown");
    let manifest = migrate_gen::manifest::Manifest::load(out.path()).unwrap();
    let mut client = db.client();
    for (i, f) in manifest.files.iter().enumerate() {
        db.psql(&out.path().join(format!("{}.sql", f.stem)));
        if i == 0 {
            client
                .batch_execute("INSERT INTO pets (id, sound) VALUES (1, 'woof')")
                .unwrap();
        }
    }
    client
        .batch_execute("INSERT INTO pets (id) VALUES (2), (3)")
        .unwrap();
    let mut failed = None;
    for f in manifest.files.iter().rev() {
        let run = db.try_psql(&out.path().join(format!("{}.rollback.sql", f.stem)));
        if !run.status.success() {
            failed = Some((
                f.stem.clone(),
                String::from_utf8_lossy(&run.stderr).into_owned(),
            ));
            break;
        }
    }
    let (stem, stderr) = failed.expect("the relax file's rollback refuses");
    assert!(stem.ends_with("v2_relax_sound"), "{stem}");
    assert!(
        stderr.contains("2 rows of public.pets have no sound (written by the new code while the column was being dropped); nothing was changed"),
        "{stderr}"
    );
    let nullable: bool = client
        .query_one(
            "SELECT NOT attnotnull FROM pg_attribute WHERE attrelid = 'pets'::regclass AND attname = 'sound'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(nullable, "nothing was changed");
    client
        .batch_execute("UPDATE pets SET sound = 'purr' WHERE sound IS NULL")
        .unwrap();
    let expand = manifest.files.iter().find(|f| f.stem == stem).unwrap();
    db.psql(&out.path().join(format!("{}.rollback.sql", expand.stem)));
}

/// Columns that become NOT NULL, with NULLs in them: the old code's NULL writes are filled by
/// the trigger and the existing NULL rows in batches (`handle`, which has a backfill); the
/// column without a fill (`country`) is proven in the contract, which fails, changing nothing,
/// while a NULL is left, and runs once the rows have values.
#[test]
fn columns_that_become_not_null_fill_their_nulls_or_wait_for_values() {
    let out = generate(&fixture("required_column"));
    let db = TestDb::new("required");
    let manifest = migrate_gen::manifest::Manifest::load(out.path()).unwrap();
    let mut client = db.client();
    let mut contract_failed = None;
    for f in &manifest.files {
        if f.stem.ends_with("required_country") {
            let run = db.try_psql(&out.path().join(format!("{}.sql", f.stem)));
            contract_failed = Some(String::from_utf8_lossy(&run.stderr).into_owned());
            assert!(
                !run.status.success(),
                "the contract went on with a NULL left"
            );
            continue;
        }
        db.psql(&out.path().join(format!("{}.sql", f.stem)));
        // The old code writes NULLs before and during the expand.
        if f.stem.ends_with("create") || f.stem.ends_with("v2_expand") {
            let id = if f.stem.ends_with("create") { 1 } else { 2 };
            client
                .batch_execute(&format!(
                    "INSERT INTO accounts (id, email, handle, country) VALUES ({id}, 'u{id}@x', NULL, NULL)"
                ))
                .unwrap();
        }
    }
    let handles: Vec<(i64, String)> = client
        .query("SELECT id, handle FROM accounts ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(handles, [(1, "u1".to_owned()), (2, "u2".to_owned())]);
    let stderr = contract_failed.expect("the contract file ran");
    assert!(stderr.contains("accounts_country_not_null"), "{stderr}");
    let nullable: bool = client
        .query_one(
            "SELECT NOT attnotnull FROM pg_attribute WHERE attrelid = 'accounts'::regclass AND attname = 'country'",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(nullable, "nothing was changed");
    client
        .batch_execute("UPDATE accounts SET country = 'nl' WHERE country IS NULL")
        .unwrap();
    let contract = manifest
        .files
        .iter()
        .find(|f| f.stem.ends_with("required_country"))
        .unwrap();
    db.psql(&out.path().join(format!("{}.sql", contract.stem)));
}
