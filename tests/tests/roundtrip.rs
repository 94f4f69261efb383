//! Every pattern and the example crate on the real PostgreSQL, through the proof that
//! `migrate-gen verify` makes (`migrate_gen::verify`), with `psql -f` running the files: rows in
//! the tables, every forward file in order, both versions' writes after every file, the
//! catalog and data checked, every rollback in reverse order back to an empty database with
//! the catalog and data of each older version checked on the way, then forward again.

#[macro_use]
mod common;

use std::path::Path;

use common::*;
use migrate_gen::verify::Writes;
use postgres::Client;
use schema_core::plan::Phase;

const ROWS: i64 = 10_000;

/// The connection settings of a test database.
fn config(db: &TestDb) -> postgres::Config {
    format!("host=127.0.0.1 user=postgres dbname={}", db.name)
        .parse()
        .unwrap()
}

/// Runs a file the way the README says users run them: `psql -v ON_ERROR_STOP=1 -f`; a file
/// that gives up on a lock (`lock_timeout`, behind the background writer on a loaded machine) is
/// run again, as its header says it may be and as the runner does, up to 5 times.
fn psql(db: &TestDb) -> impl FnMut(&Path) -> Result<(), String> + '_ {
    |file: &Path| {
        let mut attempt = 1;
        loop {
            let out = db.try_psql(file);
            if out.status.success() {
                return Ok(());
            }
            let stderr = String::from_utf8_lossy(&out.stderr);
            if attempt < 5 && stderr.contains("canceling statement due to lock timeout") {
                attempt += 1;
                continue;
            }
            return Err(format!("psql -f {} failed:\n{stderr}", file.display()));
        }
    }
}

/// The library's round trip (`migrate_gen::verify::round_trip`, what `migrate-gen verify`
/// runs), with `psql -f` running the files: rows in the tables, every forward file in order
/// with the old and new version's writes after every file and a background writer switching
/// at the deploy, the catalog and data checked, every rollback in reverse order back to an
/// empty database with the catalog and data of each older version checked on the way, then
/// forward again.
fn round_trip(src: &Path) {
    let out = generate(src);
    let db = TestDb::new("rt");
    let opts = migrate_gen::verify::Options {
        rows: ROWS,
        background_writer: true,
    };
    migrate_gen::verify::round_trip(
        &config(&db),
        out.path(),
        &histories(src),
        &mut psql(&db),
        &opts,
        &mut |_| {},
    )
    .unwrap_or_else(|e| panic!("{e}"));
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

/// Applies the version steps of `fixture` after its first `created` steps, file by file and
/// then back, under the library's background writer (`migrate_gen::verify::with_background_writer`):
/// none of its statements fails and every value it wrote is there at the end.
fn with_background_writer(
    fixture_name: &str,
    created: usize,
    seed: &str,
    old: Writes,
    new: Writes,
    forward: &[(&str, &str)],
    back: &[(&str, &str)],
) {
    let out = generate(&fixture(fixture_name));
    let db = TestDb::new("writer");
    migrate_gen::verify::with_background_writer(
        &config(&db),
        out.path(),
        created,
        seed,
        old,
        new,
        forward,
        back,
        &mut psql(&db),
    )
    .unwrap_or_else(|e| panic!("{e}"));
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

/// An added enum label cannot be dropped (PostgreSQL has no `DROP VALUE`): its rollback refuses,
/// changing nothing, while a row holds it, naming the column and the count; once the rows have
/// another label it runs, the label stays unused, and applying the file again finds it.
#[test]
fn an_added_label_in_use_refuses_its_rollback_naming_the_rows() {
    let out = generate(&fixture("enum_type"));
    let db = TestDb::new("label");
    let manifest = migrate_gen::manifest::Manifest::load(out.path()).unwrap();
    for f in &manifest.files {
        db.psql(&out.path().join(format!("{}.sql", f.stem)));
    }
    let mut client = db.client();
    client
        .batch_execute(
            "INSERT INTO public.orders (id, status, previous) VALUES (1, 'in_transit', 'paid'), (2, 'in_transit', NULL), (3, 'pending', NULL)",
        )
        .unwrap();
    let label = manifest
        .files
        .iter()
        .find(|f| f.stem.ends_with("order_status_v3_label_in_transit"))
        .unwrap();
    for f in manifest
        .files
        .iter()
        .rev()
        .take_while(|f| f.number > label.number)
    {
        db.psql(&out.path().join(format!("{}.rollback.sql", f.stem)));
    }
    let rollback = out.path().join(format!("{}.rollback.sql", label.stem));
    let run = db.try_psql(&rollback);
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(
            "the label in_transit of public.order_status is in use: public.orders.status (2 rows); nothing was changed"
        ),
        "{stderr}"
    );
    client
        .batch_execute("UPDATE public.orders SET status = 'paid' WHERE status = 'in_transit'")
        .unwrap();
    db.psql(&rollback);
    // The label stays, unused; the file runs again.
    db.psql(&out.path().join(format!("{}.sql", label.stem)));
    let labels: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_enum WHERE enumtypid = 'public.order_status'::regtype",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(labels, 4);
}

/// An `irreversible` raw step: its rollback refuses with that word, changing nothing.
#[test]
fn an_irreversible_raw_step_refuses_its_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("lib.rs");
    std::fs::write(
        &src,
        r#"#[versioned(table = "notes", version = 2)]
#[raw_sql(at = 2, up = "COMMENT ON TABLE public.notes IS 'kept'", irreversible)]
pub struct Note {
    #[col(primary_key)]
    pub id: i64,
}
"#,
    )
    .unwrap();
    let out = generate(&src);
    let db = TestDb::new("irrev");
    let manifest = migrate_gen::manifest::Manifest::load(out.path()).unwrap();
    for f in &manifest.files {
        db.psql(&out.path().join(format!("{}.sql", f.stem)));
    }
    let raw = manifest.files.last().unwrap();
    assert!(raw.stem.ends_with("notes_v2_raw_1"), "{}", raw.stem);
    let run = db.try_psql(&out.path().join(format!("{}.rollback.sql", raw.stem)));
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("public.notes version 2: raw SQL step 1 is irreversible"),
        "{stderr}"
    );
    let comment: Option<String> = db
        .client()
        .query_one("SELECT obj_description('public.notes'::regclass)", &[])
        .unwrap()
        .get(0);
    assert_eq!(comment.as_deref(), Some("kept"), "nothing was changed");
}

/// Struct-level indexes and constraints ended at version 2 (a unique constraint, a unique
/// expression index, a check and a foreign key): once rows that break them are written after the
/// drops, each rollback stops before changing anything, saying how many rows break what and how
/// to find them; the catalog is as the drops left it (no invalid index, no NOT VALID
/// constraint); once the rows are fixed, every rollback runs and the definitions are back.
#[test]
fn rollbacks_of_dropped_indexes_and_constraints_refuse_rows_that_break_them() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("lib.rs");
    std::fs::write(
        &src,
        r#"#[versioned(table = "teams", version = 1)]
pub struct Team {
    #[col(primary_key)]
    pub id: i64,
}

#[versioned(table = "players", version = 2)]
#[unique(columns(team_id, number), until = 2)]
#[index(expr = "lower(nick)", unique, until = 2)]
#[check(expr = "number > 0", until = 2)]
#[foreign_key(columns(team_id), references = "teams(id)", on_delete = "cascade", until = 2)]
pub struct Player {
    #[col(primary_key)]
    pub id: i64,
    pub team_id: i64,
    pub number: i32,
    pub nick: String,
}
"#,
    )
    .unwrap();
    let out = generate(&src);
    let db = TestDb::new("objdrop");
    let manifest = migrate_gen::manifest::Manifest::load(out.path()).unwrap();
    let mut client = db.client();
    for (i, f) in manifest.files.iter().enumerate() {
        db.psql(&out.path().join(format!("{}.sql", f.stem)));
        if i == 1 {
            client
                .batch_execute(
                    "INSERT INTO teams SELECT g FROM generate_series(1, 100) g;
                     INSERT INTO players SELECT g, g % 100 + 1, g, 'p' || g FROM generate_series(1, 10000) g;",
                )
                .unwrap();
        }
    }
    let catalog = |client: &mut postgres::Client| -> String {
        client
            .query_one(
                "SELECT coalesce(string_agg(d, E'\n' ORDER BY d), '') FROM (
                   SELECT pg_get_indexdef(indexrelid) || ' valid=' || indisvalid AS d FROM pg_index WHERE indrelid = 'players'::regclass
                   UNION ALL
                   SELECT conname || ' ' || pg_get_constraintdef(oid) || ' validated=' || convalidated FROM pg_constraint WHERE conrelid = 'players'::regclass) x",
                &[],
            )
            .unwrap()
            .get(0)
    };
    let dropped = catalog(&mut client);
    assert!(!dropped.contains("lower"), "{dropped}");
    // Rows the constraints would have refused, written after the drops.
    client
        .batch_execute(
            "INSERT INTO players VALUES (10001, 1, 2, 'P2'), (10002, 1, 2, 'x'), (10003, 500, 0, 'y')",
        )
        .unwrap();
    let rollback = |stem: &str| out.path().join(format!("{stem}.rollback.sql"));
    let drops: Vec<_> = manifest
        .files
        .iter()
        .rev()
        .filter(|f| f.stem.contains("_v2_drop_"))
        .map(|f| f.stem.clone())
        .collect();
    assert_eq!(drops.len(), 4, "{drops:?}");
    let expected = [
        (
            "players_team_id_fkey",
            "1 rows of public.players reference no row of public.teams (foreign key players_team_id_fkey), written while it was dropped; nothing was changed",
        ),
        (
            "players_number_0_check",
            "1 rows of public.players break the check players_number_0_check (number > 0), written while it was dropped; nothing was changed",
        ),
        (
            "lower_nick",
            "1 keys of public.players are held by more than one row, against the unique index players_lower_nick_idx (lower(nick))",
        ),
        (
            "team_id_number",
            "1 keys of public.players are held by more than one row, against the unique index players_team_id_number_key (team_id, number)",
        ),
    ];
    for stem in &drops {
        let run = db.try_psql(&rollback(stem));
        assert!(!run.status.success(), "{stem}: the rollback refuses");
        let stderr = String::from_utf8_lossy(&run.stderr);
        let (_, message) = expected
            .iter()
            .find(|(part, _)| stem.contains(part))
            .unwrap_or_else(|| panic!("{stem} is one of the four drops"));
        assert!(stderr.contains(message), "{stem}: {stderr}");
        assert_eq!(catalog(&mut client), dropped, "{stem}: nothing was changed");
    }
    client
        .batch_execute(
            "DELETE FROM players WHERE id IN (10002, 10003); UPDATE players SET nick = 'q' WHERE id = 10001",
        )
        .unwrap();
    for stem in &drops {
        db.psql(&rollback(stem));
    }
    let back = catalog(&mut client);
    for part in [
        "CREATE UNIQUE INDEX players_lower_nick_idx ON public.players USING btree (lower(nick)) valid=true",
        "players_team_id_number_key UNIQUE (team_id, number) validated=true",
        "players_number_0_check CHECK ((number > 0)) validated=true",
        "players_team_id_fkey FOREIGN KEY (team_id) REFERENCES teams(id) ON DELETE CASCADE validated=true",
    ] {
        assert!(back.contains(part), "{part} in\n{back}");
    }
}
