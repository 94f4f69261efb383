//! The round trip: every file forward with both versions' code writing after each one and a
//! background writer switching versions at the deploy, every rollback back to an empty
//! database with the catalog and data before each step checked, then forward again.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use postgres::{Client, NoTls};
use schema_core::plan::Phase;
use schema_core::{TableHistory, TableModel};

use super::rows::{column_digests, count_ids, data_digest, one_line, qualified, seed, write_row};
use super::snapshot::{catalog, diff};
use super::writer::{Role, Writer};
use crate::manifest::{FileEntry, Manifest};

/// Runs one migration file (its path) on the scratch database; the error says what failed.
pub type RunFile<'a> = dyn FnMut(&Path) -> Result<(), String> + 'a;

#[derive(Debug, Clone)]
pub struct Options {
    /// Rows generated in each table when it is created.
    pub rows: i64,
    /// A writer on a connection of its own, switching versions at the deploy.
    pub background_writer: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            rows: 10_000,
            background_writer: true,
        }
    }
}

/// What a round trip went through.
#[derive(Debug, Default)]
pub struct Summary {
    pub files: usize,
    /// One line per file run, in order.
    pub lines: Vec<String>,
}

/// Whether the backfill of `column` has a subquery, which may read another table: checked when
/// its step has run, since a later contract may drop what it read.
fn reads_other_rows(model: &TableModel, column: &str) -> bool {
    model
        .column(column)
        .and_then(|c| c.backfill.as_deref())
        .is_some_and(|expr| {
            expr.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .any(|word| word.eq_ignore_ascii_case("select"))
        })
}

/// Every seeded row (keys up to `rows`) holds the value of its column's `backfill`, for the
/// columns `which` names.
fn backfills_hold(
    client: &mut Client,
    model: &TableModel,
    rows: i64,
    which: impl Fn(&str) -> bool,
) -> Result<(), String> {
    for col in &model.columns {
        let Some(expr) = &col.backfill else { continue };
        if !which(&col.name) {
            continue;
        }
        let pk = &model.primary_key[0];
        let wrong: i64 = sql(
            client.query_one(
                &format!(
                    "SELECT count(*) FROM \"{}\".\"{}\" WHERE \"{pk}\" <= {rows} AND \"{}\" IS DISTINCT FROM ({expr})",
                    model.schema, model.name, col.name
                ),
                &[],
            ),
            "checking a backfill",
        )?
        .get(0);
        if wrong != 0 {
            return Err(format!(
                "{}.{}: backfilled values differ from `{expr}`",
                model.name, col.name
            ));
        }
    }
    Ok(())
}

fn sql<T>(r: Result<T, postgres::Error>, what: &str) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {}", one_line(&e)))
}

pub fn columns_exist(client: &mut Client, model: &TableModel) -> Result<bool, String> {
    for c in &model.columns {
        let n: i64 = sql(
            client.query_one(
                "SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped",
                &[&qualified(model), &c.name],
            ),
            "reading the catalog",
        )?
        .get(0);
        if n != 1 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `(name, NOT NULL, type with its modifier)` of every column of `rel`, sorted.
fn columns_of(client: &mut Client, rel: &str) -> Result<Vec<(String, bool, String)>, String> {
    let rows = sql(
        client.query(
            "SELECT attname::text, attnotnull, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attname",
            &[&rel],
        ),
        "reading the catalog",
    )?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

/// The table in the database has exactly the model's columns, types (with their modifiers:
/// `varchar(200)` is not `varchar(80)`) and nullability.
pub fn matches_model(client: &mut Client, model: &TableModel) -> Result<(), String> {
    let rel = qualified(model);
    let actual = columns_of(client, &rel)?;
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
    sql(
        client.batch_execute(&format!(
            "CREATE TEMP TABLE mg_expected ({})",
            decl.join(", ")
        )),
        "declaring the model's columns",
    )?;
    let expected = columns_of(client, "pg_temp.mg_expected");
    sql(
        client.batch_execute("DROP TABLE pg_temp.mg_expected"),
        "dropping the model's columns",
    )?;
    let expected = expected?;
    if actual != expected {
        return Err(format!(
            "table {rel} does not match version {}: {actual:?} != {expected:?}",
            model.version
        ));
    }
    Ok(())
}

/// The files of the manifest grouped by version step, in order.
pub fn steps(manifest: &Manifest) -> Vec<(String, u32, Vec<FileEntry>)> {
    let mut steps: Vec<(String, u32, Vec<FileEntry>)> = Vec::new();
    for f in &manifest.files {
        match steps.last_mut() {
            Some((t, v, files)) if *t == f.table && *v == f.version => files.push(f.clone()),
            _ => steps.push((f.table.clone(), f.version, vec![f.clone()])),
        }
    }
    steps
}

fn say(summary: &mut Summary, log: &mut dyn FnMut(&str), line: String) {
    log(&line);
    summary.lines.push(line);
}

/// The old version's columns that exist at a point, and a digest of each one's values.
type Values = (TableModel, Vec<(String, String)>);

struct Boundary {
    catalog: String,
    /// Digest of the old version's columns of the seeded rows.
    digest: Option<String>,
    /// Rows written by the old version's code while the step's files ran.
    transition_ids: Vec<i64>,
    /// The catalog and the digests of the old version's columns that exist, before each file.
    before_file: Vec<(String, Option<Values>)>,
}

/// `model` with only the columns that exist now, and their digests.
fn present_digest(
    client: &mut Client,
    model: &TableModel,
    rows: i64,
) -> Result<Option<Values>, String> {
    let mut present = model.clone();
    let mut kept = Vec::new();
    for c in &model.columns {
        let one = TableModel {
            columns: vec![c.clone()],
            ..model.clone()
        };
        if columns_exist(client, &one)? {
            kept.push(c.clone());
        }
    }
    if !present
        .primary_key
        .iter()
        .all(|k| kept.iter().any(|c| &c.name == k))
    {
        return Ok(None);
    }
    present.columns = kept;
    let digests = column_digests(client, &present, rows)?;
    Ok(Some((present, digests)))
}

/// The model-based background writer of one step: as `old` until the deploy, as `new` after
/// it (nothing when the step drops the table). It records the ids it inserted.
struct StepWriter {
    writer: Writer,
    ids: Arc<Mutex<Vec<i64>>>,
    /// The file running now, named in the writer's failures.
    current: Arc<Mutex<String>>,
}

impl StepWriter {
    fn start(
        config: &postgres::Config,
        old: &TableModel,
        new: Option<&TableModel>,
        counter: &Arc<AtomicI64>,
        role: Role,
    ) -> Result<StepWriter, String> {
        let client = sql(config.connect(NoTls), "connecting the background writer")?;
        let ids: Arc<Mutex<Vec<i64>>> = Arc::default();
        let current: Arc<Mutex<String>> = Arc::default();
        let (old, new) = (old.clone(), new.cloned());
        let writer = {
            let (ids, current, counter) = (ids.clone(), current.clone(), counter.clone());
            Writer::start(client, role, move |c, role, _| {
                let model = match role {
                    Role::Old => &old,
                    _ => match &new {
                        Some(new) => new,
                        None => {
                            std::thread::sleep(std::time::Duration::from_millis(5));
                            return Ok(());
                        }
                    },
                };
                let id = counter.fetch_add(1, Ordering::SeqCst);
                write_row(c, model, id).map_err(|e| {
                    format!(
                        "background writer during {}: {} v{} code: {e}",
                        current.lock().unwrap(),
                        model.qualified(),
                        model.version
                    )
                })?;
                ids.lock().unwrap().push(id);
                std::thread::sleep(std::time::Duration::from_millis(2));
                Ok(())
            })
        };
        Ok(StepWriter {
            writer,
            ids,
            current,
        })
    }

    fn running(&self, file: &str) {
        *self.current.lock().unwrap() = file.to_owned();
    }

    /// Pauses and stops the writer: its first failure, if any, or the ids it inserted.
    fn stop(self) -> Result<Vec<i64>, String> {
        self.writer.switch(Role::Paused);
        let failures = self.writer.finish();
        if let Some(first) = failures.first() {
            return Err(first.clone());
        }
        Ok(self.ids.lock().unwrap().clone())
    }
}

/// Proves the migrations of `dir` against the histories of their structs on the (empty)
/// database of `config`, running each file with `run_file`. The first failure is returned,
/// naming the file, the version and the statement.
pub fn round_trip(
    config: &postgres::Config,
    dir: &Path,
    histories: &[TableHistory],
    run_file: &mut RunFile,
    opts: &Options,
    log: &mut dyn FnMut(&str),
) -> Result<Summary, String> {
    let rows = opts.rows;
    let manifest = Manifest::load(dir).map_err(|e| e.to_string())?;
    let history = |table: &str| {
        histories
            .iter()
            // A renamed table's steps before the rename carry its old name.
            .find(|h| {
                table
                    .strip_prefix(&format!("{}.", h.schema))
                    .is_some_and(|name| h.answers_to(&h.schema, name))
            })
            .ok_or_else(|| format!("no struct describes the table {table} of the migrations"))
    };
    // Each version's code names the tables it references as they are called at that version.
    // Its code also writes values that the foreign keys of its other versions accept: a key
    // added to a column that holds rows is enforced on the old code's writes from the expand
    // on, and real old code writes real references.
    let model_at = |h: &TableHistory, version: u32| {
        h.model_at(version).map(|mut m| {
            for fk in h
                .versions()
                .filter_map(|v| h.model_at(v))
                .flat_map(|other| other.foreign_keys)
            {
                let known = m.foreign_keys.iter().any(|f| f.columns == fk.columns);
                if !known && fk.columns.iter().all(|c| m.column(c).is_some()) {
                    m.foreign_keys.push(fk);
                }
            }
            TableHistory::name_references(&mut m, version, histories);
            m
        })
    };
    let steps = steps(&manifest);
    let mut client = sql(config.connect(NoTls), "connecting to the scratch database")?;
    let mut next_id = 1_000_000 + rows;
    let counter = Arc::new(AtomicI64::new(500_000_000 + rows));
    let mut boundaries = Vec::new();
    let mut summary = Summary::default();

    let forward_name = |f: &FileEntry| manifest.names(f).0;
    let rollback_name = |f: &FileEntry| manifest.names(f).1;

    let apply_forward = |client: &mut Client,
                         next_id: &mut i64,
                         boundaries: &mut Vec<Boundary>,
                         summary: &mut Summary,
                         check_writes: bool,
                         run_file: &mut RunFile,
                         log: &mut dyn FnMut(&str)|
     -> Result<(), String> {
        // Every other table, at the version its last step left it: its code must keep
        // working whatever file of another table runs.
        // Keyed by the table's latest name: a renamed table is one table under both names.
        let mut current: BTreeMap<String, TableModel> = BTreeMap::new();
        let others = |client: &mut Client,
                      current: &BTreeMap<String, TableModel>,
                      table: &str,
                      version: u32,
                      next_id: &mut i64,
                      name: &str|
         -> Result<usize, String> {
            let mut n = 0;
            for model in current
                .iter()
                .filter(|(t, _)| t.as_str() != table)
                .map(|(_, m)| m)
            {
                // The values it writes that reference another table read that table under
                // the name it has now.
                let mut model = model.clone();
                TableHistory::name_references(&mut model, version, histories);
                let model = &model;
                write_row(client, model, *next_id).map_err(|e| {
                    format!(
                        "{}.{} v{} code failed after {name}: {e}",
                        model.schema, model.name, model.version
                    )
                })?;
                *next_id += 1;
                n += 1;
            }
            Ok(n)
        };
        for (table, version, files) in &steps {
            let Ok(h) = history(table) else {
                // An enum type's step: its files run, and the tables' checks cover the columns
                // that use it (its rollback is checked like every other).
                let boundary = Boundary {
                    catalog: catalog(client)?,
                    digest: None,
                    transition_ids: Vec::new(),
                    before_file: Vec::new(),
                };
                for file in files {
                    let name = forward_name(file);
                    run_file(&dir.join(&name)).map_err(|e| format!("{name} failed: {e}"))?;
                    say(summary, log, format!("ok  {name}: type {table}"));
                }
                boundaries.push(boundary);
                continue;
            };
            let key = format!("{}.{}", h.schema, h.table);
            let from = if *version > h.since {
                model_at(h, version - 1)
            } else {
                None
            };
            // `None`: the table is dropped at this version.
            let to = model_at(h, *version);
            // A renamed column must carry every value of the old one.
            let renamed: Vec<(String, String)> = to
                .iter()
                .flat_map(|to| &to.columns)
                .filter_map(|c| c.renamed_from.clone().map(|old| (old, c.name.clone())))
                .collect();
            let values = |client: &mut Client, column: &str| -> Result<String, String> {
                let to = to.as_ref().expect("a renamed column's table exists");
                let pk = &to.primary_key[0];
                sql(
                    client.query_one(
                        &format!(
                            "SELECT coalesce(md5(string_agg(coalesce(({column})::text, '<null>'), ',' ORDER BY \"{pk}\")), '') FROM \"{}\".\"{}\" WHERE \"{pk}\" <= {rows}",
                            to.schema, to.name
                        ),
                        &[],
                    ),
                    &format!("reading {column} of {table}"),
                )
                .map(|r| r.get(0))
            };
            let before = renamed
                .iter()
                .map(|(old, _)| values(client, &format!("\"{old}\"")))
                .collect::<Result<Vec<String>, String>>()?;
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
            let converted_before = converted
                .iter()
                .map(|(_, expr)| values(client, expr))
                .collect::<Result<Vec<String>, String>>()?;
            let mut boundary = Boundary {
                catalog: catalog(client)?,
                digest: match &from {
                    Some(m) => Some(data_digest(client, m, rows)?),
                    None => None,
                },
                transition_ids: Vec::new(),
                before_file: Vec::new(),
            };
            let writer =
                match &from {
                    Some(from) if check_writes && opts.background_writer => Some(
                        StepWriter::start(config, from, to.as_ref(), &counter, Role::Old)?,
                    ),
                    _ => None,
                };
            for file in files {
                let name = forward_name(file);
                // A step that starts with its contract (a drop) has its old code's last row
                // written right before it.
                if let Some(from) = &from
                    && check_writes
                    && file.phase == Phase::Contract
                    && boundary.transition_ids.is_empty()
                {
                    write_row(client, from, *next_id).map_err(|e| {
                        format!("before {name}: {table} v{} code failed: {e}", from.version)
                    })?;
                    boundary.transition_ids.push(*next_id);
                    *next_id += 1;
                }
                if let Some(w) = &writer {
                    if file.phase == Phase::Contract && w.writer.role() == Role::Old {
                        w.writer.switch(Role::New); // the deploy
                    }
                    w.running(&name);
                }
                if check_writes {
                    let digest = match &from {
                        Some(from) => present_digest(client, from, rows)?,
                        None => None,
                    };
                    boundary.before_file.push((catalog(client)?, digest));
                }
                run_file(&dir.join(&name)).map_err(|e| format!("{name} failed: {e}"))?;
                if let Some(w) = &writer
                    && let Some(first) = w.writer.failures().first()
                {
                    return Err(first.clone());
                }
                let Some(from) = &from else {
                    seed(client, to.as_ref().unwrap(), rows)
                        .map_err(|e| format!("after {name}: {e}"))?;
                    say(
                        summary,
                        log,
                        format!("ok  {name}: {rows} rows of {table} v{version}"),
                    );
                    continue;
                };
                if !check_writes {
                    say(summary, log, format!("ok  {name} (again)"));
                    continue;
                }
                let Some(to) = &to else {
                    if write_row(client, from, *next_id).is_ok() {
                        return Err(format!("{table} is still there after {name}"));
                    }
                    let n = others(client, &current, &key, *version, next_id, &name)?;
                    say(
                        summary,
                        log,
                        format!("ok  {name}: {table} is gone; the code of {n} other tables ok"),
                    );
                    continue;
                };
                let mut ran = Vec::new();
                if file.phase != Phase::Contract {
                    write_row(client, from, *next_id).map_err(|e| {
                        format!("{table} v{} code failed after {name}: {e}", from.version)
                    })?;
                    boundary.transition_ids.push(*next_id);
                    *next_id += 1;
                    ran.push(format!("v{}", from.version));
                }
                if columns_exist(client, to)? {
                    write_row(client, to, *next_id).map_err(|e| {
                        format!("{table} v{} code failed after {name}: {e}", to.version)
                    })?;
                    *next_id += 1;
                    ran.push(format!("v{}", to.version));
                }
                let n = others(client, &current, &key, *version, next_id, &name)?;
                say(
                    summary,
                    log,
                    format!(
                        "ok  {name}: {table} {} code insert, select, update; the code of {n} other tables ok",
                        ran.join(" and ")
                    ),
                );
            }
            if let Some(w) = writer {
                // The deploy, when the step has no contract file: the new code writes a while.
                if w.writer.role() == Role::Old && to.is_some() {
                    w.writer.switch(Role::New);
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                let last = forward_name(files.last().unwrap());
                let ids = w.stop()?;
                let (rel, pk) = match &to {
                    Some(to) => (qualified(to), to.primary_key[0].clone()),
                    None => {
                        let from = from.as_ref().unwrap();
                        (
                            format!(
                                "\"migrate_gen_archive\".\"{}\"",
                                schema_core::plan::drop_table::archive_name(
                                    &h.schema, &h.table, *version
                                )
                            ),
                            from.primary_key[0].clone(),
                        )
                    }
                };
                let found = count_ids(client, &rel, &pk, &ids)?;
                if found != ids.len() {
                    return Err(format!(
                        "after {last}: {} of the {} rows the background writer inserted into {table} are not in {rel}",
                        ids.len() - found,
                        ids.len()
                    ));
                }
            }
            for ((column, expr), before) in converted.iter().zip(&converted_before) {
                if &values(client, &format!("\"{column}\""))? != before {
                    return Err(format!(
                        "{table}: {column} does not hold every old value converted by {expr} after {}",
                        forward_name(files.last().unwrap())
                    ));
                }
            }
            for ((old, new), before) in renamed.iter().zip(&before) {
                if &values(client, &format!("\"{new}\""))? != before {
                    return Err(format!(
                        "{table}: {new} does not carry every value of {old} after {}",
                        forward_name(files.last().unwrap())
                    ));
                }
            }
            // A backfill that reads another table is checked once its step has run: a later
            // contract may drop what it read (`users.email` for `profiles.email`, say).
            if let Some(to) = &to
                && files.iter().any(|f| f.phase == Phase::Backfill)
            {
                backfills_hold(client, to, rows, |col| reads_other_rows(to, col))?;
            }
            match &to {
                Some(to) => current.insert(key, to.clone()),
                None => current.remove(&key),
            };
            boundaries.push(boundary);
        }
        Ok(())
    };

    // Forward, with both versions writing after every file.
    apply_forward(
        &mut client,
        &mut next_id,
        &mut boundaries,
        &mut summary,
        true,
        run_file,
        log,
    )?;
    let final_catalog = catalog(&mut client)?;
    // A dropped table is in the archive with every row it had, those of the transition too.
    for ((table, version, _), boundary) in steps.iter().zip(&boundaries) {
        let Ok(h) = history(table) else { continue };
        if h.until != Some(*version) {
            continue;
        }
        let from = h.model_at(version - 1).unwrap();
        let archived = TableModel {
            schema: "migrate_gen_archive".into(),
            name: schema_core::plan::drop_table::archive_name(&h.schema, &h.table, *version),
            ..from.clone()
        };
        if columns_exist(&mut client, &from)? {
            return Err(format!("{table} is still there"));
        }
        if Some(data_digest(&mut client, &archived, rows)?) != boundary.digest {
            return Err(format!("{table}: the archive does not hold every value"));
        }
        let found = count_ids(
            &mut client,
            &qualified(&archived),
            &archived.primary_key[0],
            &boundary.transition_ids,
        )?;
        if found != boundary.transition_ids.len() {
            return Err(format!(
                "{table}: rows of the transition are not in the archive"
            ));
        }
    }
    let mut latest: BTreeMap<String, TableModel> = BTreeMap::new();
    for h in histories {
        let Some(model) = h.model_as_of(h.version) else {
            continue;
        };
        matches_model(&mut client, &model)?;
        backfills_hold(&mut client, &model, rows, |col| {
            !reads_other_rows(&model, col)
        })?;
        let count: i64 = sql(
            client.query_one(&format!("SELECT count(*) FROM {}", qualified(&model)), &[]),
            "counting rows",
        )?
        .get(0);
        if count < rows {
            return Err(format!(
                "{}: {count} rows, expected at least {rows}",
                model.name
            ));
        }
        latest.insert(format!("{}.{}", h.schema, h.table), model);
    }

    // Every rollback in reverse order, checking each step's starting point.
    for ((table, version, files), boundary) in steps.iter().zip(&boundaries).rev() {
        let Ok(h) = history(table) else {
            for file in files.iter().rev() {
                let name = rollback_name(file);
                run_file(&dir.join(&name)).map_err(|e| format!("{name} failed: {e}"))?;
                say(&mut summary, log, format!("ok  {name}: type {table}"));
            }
            let now = catalog(&mut client)?;
            if now != boundary.catalog {
                return Err(format!(
                    "catalog after rolling back type {table} v{version} differs from before it: {}",
                    diff(&boundary.catalog, &now)
                ));
            }
            continue;
        };
        let from = model_at(h, version - 1).filter(|_| *version > h.since);
        let to = model_at(h, *version);
        let has_contract = files.iter().any(|f| f.phase == Phase::Contract);
        let writer = match &from {
            Some(from) if opts.background_writer => Some(StepWriter::start(
                &config.clone(),
                from,
                to.as_ref(),
                &counter,
                if has_contract { Role::New } else { Role::Old },
            )?),
            _ => None,
        };
        for file in files.iter().rev() {
            let name = rollback_name(file);
            if let Some(w) = &writer {
                if file.phase != Phase::Contract && w.writer.role() == Role::New {
                    // The deploy is rolled back before the expand files are.
                    w.writer.switch(Role::Old);
                }
                w.running(&name);
            }
            run_file(&dir.join(&name)).map_err(|e| format!("{name} failed: {e}"))?;
            if let Some(w) = &writer
                && let Some(first) = w.writer.failures().first()
            {
                return Err(first.clone());
            }
            // Each rollback undoes exactly its own file: the catalog and the old version's
            // values are as they were before it.
            let i = files.iter().position(|f| f.number == file.number).unwrap();
            if let Some((before, digest)) = boundary.before_file.get(i) {
                let now = catalog(&mut client)?;
                if &now != before {
                    return Err(format!(
                        "after {name}: the catalog differs from before {}: {}",
                        forward_name(file),
                        diff(before, &now)
                    ));
                }
                if let Some((model, digests)) = digest {
                    let now = column_digests(&mut client, model, rows)?;
                    let changed: Vec<&str> = digests
                        .iter()
                        .filter(|d| !now.contains(d))
                        .map(|(c, _)| c.as_str())
                        .collect();
                    if !changed.is_empty() {
                        return Err(format!(
                            "after {name}: {table}: data changed by {} and its rollback (the values of the v{} column{} {} in rows 1..={rows} differ from before it)",
                            forward_name(file),
                            model.version,
                            if changed.len() == 1 { "" } else { "s" },
                            changed.join(", ")
                        ));
                    }
                }
            }
            say(
                &mut summary,
                log,
                format!(
                    "ok  {name}: catalog and data as before {}",
                    forward_name(file)
                ),
            );
        }
        let first = rollback_name(&files[0]);
        let now = catalog(&mut client)?;
        if now != boundary.catalog {
            return Err(format!(
                "after {first}: catalog after rolling back {table} v{version} differs from before it: {}",
                diff(&boundary.catalog, &now)
            ));
        }
        if let Some(w) = writer {
            w.writer.switch(Role::Old);
            std::thread::sleep(std::time::Duration::from_millis(50));
            let ids = w.stop()?;
            let from = from.as_ref().unwrap();
            let found = count_ids(&mut client, &qualified(from), &from.primary_key[0], &ids)?;
            if found != ids.len() {
                return Err(format!(
                    "after {first}: {} of the {} rows the background writer inserted into {table} are gone after its rollback",
                    ids.len() - found,
                    ids.len()
                ));
            }
        }
        if let (Some(digest), Some(from)) = (&boundary.digest, &from) {
            if &data_digest(&mut client, from, rows)? != digest {
                return Err(format!(
                    "after {first}: {table}: data changed by v{version} and its rollback (the values of v{} columns of rows 1..={rows} differ from before {})",
                    from.version,
                    forward_name(&files[0])
                ));
            }
            let ids = &boundary.transition_ids;
            let found = count_ids(&mut client, &qualified(from), &from.primary_key[0], ids)?;
            if found != ids.len() {
                return Err(format!(
                    "after {first}: {table}: {} rows written during v{version} are gone after its rollback",
                    ids.len() - found
                ));
            }
        }
    }
    let left = catalog(&mut client)?;
    if !left.is_empty() {
        return Err(format!(
            "rolling everything back leaves an empty schema, but: {}",
            diff("", &left)
        ));
    }

    // Forward again.
    let mut again = Vec::new();
    apply_forward(
        &mut client,
        &mut next_id,
        &mut again,
        &mut summary,
        false,
        run_file,
        log,
    )?;
    let now = catalog(&mut client)?;
    if now != final_catalog {
        return Err(format!(
            "forward again gives the same catalog, but: {}",
            diff(&final_catalog, &now)
        ));
    }
    summary.files = manifest.files.len();
    Ok(summary)
}
