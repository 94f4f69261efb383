//! `drift` and `baseline`: the live catalog against the model.
//!
//! `drift` takes each table at the version its applied files reach (from
//! `migrate_gen.applied`) and lists every difference. `baseline` checks the catalog against
//! version 1 and then records version 1's files as applied without running them.
//!
//! Types, defaults and checks are compared as PostgreSQL prints them: the model's table is
//! created as a temporary table in a transaction that is rolled back, and read back with the
//! same catalog queries as the live one.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use postgres::Client;
use postgres::types::Oid;
use schema_core::sql::objects::action_code;
use schema_core::sql::raw::{ident, qualified};
use schema_core::{TableHistory, TableModel};

use crate::Error;
use crate::catalog::{self, LiveTable};
use crate::manifest::{self, Manifest};
use crate::runner::{self, db, progress::Progress};

/// The crate whose structs describe `dir`: `src`, or the workspace's crate writing to `dir`.
pub(crate) fn source_for(dir: &Path, src: Option<PathBuf>) -> Result<PathBuf, Error> {
    if let Some(src) = src {
        return Ok(src);
    }
    let cwd = std::env::current_dir().map_err(|e| Error::msg(e.to_string()))?;
    let wanted = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
    let targets = crate::config::find(&cwd).unwrap_or_default();
    targets
        .into_iter()
        .find(|t| t.out.canonicalize().is_ok_and(|o| o == wanted))
        .map(|t| t.src)
        .ok_or_else(|| {
            Error::msg(format!(
                "no crate of [workspace.metadata.migrate-gen] writes to {}: pass --src CRATE_DIR_OR_RS_FILE",
                dir.display()
            ))
        })
}

/// The probe's name: a temporary table that never outlives its transaction.
const PROBE: &str = "migrate_gen_drift_probe";

/// The model's table as PostgreSQL prints it (types, defaults, checks), or why it does not
/// evaluate in this database.
fn probe(client: &mut Client, model: &TableModel) -> Result<Result<LiveTable, String>, Error> {
    let mut parts: Vec<String> = model
        .columns
        .iter()
        .map(|c| {
            let mut s = format!("{} {}", ident(&c.name), c.sql_type);
            if !c.nullable {
                s.push_str(" NOT NULL");
            }
            if let Some(d) = &c.default {
                let _ = write!(s, " DEFAULT {d}");
            }
            if let Some(identity) = c.identity {
                let _ = write!(s, " {}", identity.sql());
            }
            s
        })
        .collect();
    for k in &model.checks {
        parts.push(format!("CONSTRAINT {} CHECK ({})", ident(&k.name), k.expr));
    }
    client.batch_execute("BEGIN").map_err(db)?;
    let created = client
        .batch_execute(&format!(
            "CREATE TEMP TABLE {} ({})",
            qualified("pg_temp", PROBE),
            parts.join(", ")
        ))
        .map_err(|e| runner::one_line(&e));
    let result = match created {
        Ok(()) => {
            let oid: Oid = client
                .query_one(&format!("SELECT to_regclass('pg_temp.{PROBE}')::oid"), &[])
                .map_err(db)?
                .get(0);
            Ok(catalog::table(client, oid)?)
        }
        Err(e) => Err(e),
    };
    client.batch_execute("ROLLBACK").map_err(db)?;
    Ok(result)
}

/// A column's type, nullability and default, as a difference message shows them.
fn shape(sql_type: &str, nullable: bool, default: Option<&str>) -> String {
    let null = if nullable { "NULL" } else { "NOT NULL" };
    match default {
        Some(d) => format!("{sql_type} {null} DEFAULT {d}"),
        None => format!("{sql_type} {null}"),
    }
}

/// Every difference between the live table and the model's, one line each.
fn compare_table(
    client: &mut Client,
    model: &TableModel,
    live: &LiveTable,
) -> Result<Vec<String>, Error> {
    let t = model.qualified();
    let v = model.version;
    let mut out = Vec::new();
    let expected = match probe(client, model)? {
        Ok(p) => p,
        Err(e) => {
            out.push(format!(
                "{t}: the model's table at version {v} cannot be created here to compare it: {e}"
            ));
            return Ok(out);
        }
    };
    for c in &expected.columns {
        let Some(l) = live.column(&c.name) else {
            out.push(format!(
                "{t}: column {} is missing (the model has {} at version {v})",
                c.name,
                shape(&c.sql_type, c.nullable, c.default.as_deref())
            ));
            continue;
        };
        if l.sql_type != c.sql_type {
            out.push(format!(
                "{t}: column {} is {}, the model has {}",
                c.name, l.sql_type, c.sql_type
            ));
        }
        if l.nullable != c.nullable {
            let n = |b: bool| if b { "NULL" } else { "NOT NULL" };
            out.push(format!(
                "{t}: column {} is {}, the model has {}",
                c.name,
                n(l.nullable),
                n(c.nullable)
            ));
        }
        if l.identity != c.identity {
            let i = |i: &Option<String>| {
                i.as_ref().map_or("not an identity".into(), |i| {
                    format!("GENERATED {i} AS IDENTITY")
                })
            };
            out.push(format!(
                "{t}: column {} is {}, the model has {}",
                c.name,
                i(&l.identity),
                i(&c.identity)
            ));
        }
        // A serial column's default names its own sequence, whose schema differs in the probe.
        let serial = |col: &crate::catalog::LiveColumn| {
            col.owned_sequence.is_some()
                && col
                    .default
                    .as_deref()
                    .is_some_and(|d| d.starts_with("nextval("))
        };
        if l.default != c.default && !(serial(l) && serial(c)) {
            let d = |d: &Option<String>| d.clone().unwrap_or_else(|| "none".into());
            out.push(format!(
                "{t}: column {} has default {}, the model has {}",
                c.name,
                d(&l.default),
                d(&c.default)
            ));
        }
    }
    for l in &live.columns {
        if expected.column(&l.name).is_none() {
            out.push(format!(
                "{t}: extra column {} ({}), not in the model at version {v}",
                l.name,
                shape(&l.sql_type, l.nullable, l.default.as_deref())
            ));
        }
    }
    let pk_name = schema_core::names::object_name(&[&model.name], "pkey");
    match &live.primary_key {
        Some((name, cols)) if cols == &model.primary_key && name == &pk_name => {}
        Some((name, cols)) => out.push(format!(
            "{t}: primary key {name} ({}), the model has {pk_name} ({})",
            cols.join(", "),
            model.primary_key.join(", ")
        )),
        None => out.push(format!(
            "{t}: primary key {pk_name} ({}) is missing",
            model.primary_key.join(", ")
        )),
    }
    compare_indexes(model, live, &mut out);
    compare_constraints(model, live, &expected, &mut out);
    Ok(out)
}

fn compare_indexes(model: &TableModel, live: &LiveTable, out: &mut Vec<String>) {
    let t = model.qualified();
    for i in &model.indexes {
        let what = if i.unique {
            "unique constraint"
        } else {
            "index"
        };
        let cols = i.columns.join(", ");
        // The shape the catalog shows (an expression key or a predicate is not compared as
        // text: PostgreSQL rewrites it).
        let same = |l: &&catalog::LiveIndex| {
            l.columns == i.columns
                && l.expression == i.expr.is_some()
                && l.partial == i.predicate.is_some()
                && l.include == i.include
                && l.method == i.using.as_deref().unwrap_or("btree")
                && if i.unique {
                    l.constraint.as_deref() == Some("u")
                } else {
                    l.constraint.is_none() && l.unique == i.unique_index
                }
        };
        match live.indexes.iter().find(|l| l.name == i.name) {
            Some(l) if !same(&l) => out.push(format!(
                "{t}: {what} {} on ({cols}) differs: {}",
                i.name, l.definition
            )),
            Some(l) if !l.valid => out.push(format!(
                "{t}: index {} is invalid (an interrupted concurrent build): drop it and build it again",
                i.name
            )),
            Some(_) => {}
            None => match live.indexes.iter().find(same) {
                Some(l) => out.push(format!(
                    "{t}: {what} on ({cols}) is named {}, the model names it {}",
                    l.name, i.name
                )),
                None => out.push(format!("{t}: missing {what} {} on ({cols})", i.name)),
            },
        }
    }
    for l in &live.indexes {
        if l.constraint.as_deref() == Some("p") || model.indexes.iter().any(|i| i.name == l.name) {
            continue;
        }
        let renamed = model.indexes.iter().any(|i| {
            i.columns == l.columns
                && i.unique == l.unique
                && l.plain
                && !live.indexes.iter().any(|x| x.name == i.name)
        });
        if renamed {
            continue;
        }
        let invalid = if l.valid { "" } else { "invalid " };
        out.push(format!(
            "{t}: extra {invalid}index {}, not in the model: {}",
            l.name, l.definition
        ));
    }
}

fn compare_constraints(
    model: &TableModel,
    live: &LiveTable,
    expected: &LiveTable,
    out: &mut Vec<String>,
) {
    let t = model.qualified();
    for f in &model.foreign_keys {
        let target = format!(
            "{}.{}({})",
            f.ref_schema,
            f.ref_table,
            f.ref_columns.join(", ")
        );
        let Some(l) = live.foreign_keys.iter().find(|l| l.name == f.name) else {
            out.push(format!(
                "{t}: missing foreign key {} ({}) REFERENCES {target}",
                f.name,
                f.columns.join(", ")
            ));
            continue;
        };
        let same = l.columns == f.columns
            && l.ref_schema == f.ref_schema
            && l.ref_table == f.ref_table
            && l.ref_columns == f.ref_columns
            && l.simple
            && l.on_delete == action_code(f.on_delete.as_deref())
            && l.on_update == action_code(f.on_update.as_deref());
        if !same {
            out.push(format!(
                "{t}: foreign key {} is {}, the model has ({}) REFERENCES {target}",
                l.name,
                l.definition,
                f.columns.join(", ")
            ));
        } else if !l.validated {
            out.push(format!(
                "{t}: foreign key {} is NOT VALID (left behind by an unfinished migration): validate it",
                l.name
            ));
        }
    }
    for k in &expected.checks {
        let Some(l) = live.checks.iter().find(|l| l.name == k.name) else {
            out.push(format!(
                "{t}: missing check constraint {} CHECK ({})",
                k.name, k.expr
            ));
            continue;
        };
        if l.expr != k.expr {
            out.push(format!(
                "{t}: check constraint {} is CHECK ({}), the model has CHECK ({})",
                k.name, l.expr, k.expr
            ));
        } else if !l.validated {
            out.push(format!(
                "{t}: check constraint {} is NOT VALID (left behind by an unfinished migration): validate it",
                k.name
            ));
        }
    }
    for l in &live.foreign_keys {
        if !model.foreign_keys.iter().any(|f| f.name == l.name) {
            out.push(format!(
                "{t}: extra foreign key {}, not in the model: {}",
                l.name, l.definition
            ));
        }
    }
    for l in &live.checks {
        if !expected.checks.iter().any(|k| k.name == l.name) {
            let valid = if l.validated { "" } else { " NOT VALID" };
            out.push(format!(
                "{t}: extra check constraint {}, not in the model: CHECK ({}){valid}",
                l.name, l.expr
            ));
        }
    }
    for (name, def) in &live.other_constraints {
        out.push(format!(
            "{t}: extra constraint {name}, not in the model: {def}"
        ));
    }
}

/// Differences between the live tables of the model's schemas and each table's model at
/// `versions[table]` (`None`: the table must not exist).
fn differences(
    client: &mut Client,
    expected: &BTreeMap<String, Option<TableModel>>,
    schemas: &[String],
) -> Result<Vec<String>, Error> {
    let live: BTreeMap<String, LiveTable> = catalog::tables(client, schemas)?
        .into_iter()
        .map(|t| (t.qualified(), t))
        .collect();
    let mut out = Vec::new();
    for (name, model) in expected {
        match (model, live.get(name)) {
            (Some(m), Some(l)) => out.extend(compare_table(client, m, l)?),
            (Some(m), None) => out.push(format!(
                "{name}: table is missing (the model has it at version {})",
                m.version
            )),
            (None, Some(_)) => out.push(format!(
                "{name}: table exists, but no applied migration creates it"
            )),
            (None, None) => {}
        }
    }
    for name in live.keys() {
        if !expected.contains_key(name) {
            out.push(format!("{name}: extra table, no struct describes it"));
        }
    }
    Ok(out)
}

fn schemas(histories: &[TableHistory]) -> Vec<String> {
    let mut s: Vec<String> = histories.iter().map(|h| h.schema.clone()).collect();
    s.sort();
    s.dedup();
    s
}

fn open(
    url: &str,
    dir: &Path,
    src: Option<PathBuf>,
) -> Result<(Manifest, Vec<TableHistory>, Client), Error> {
    let manifest = runner::load(dir)?;
    let histories = crate::source::load(&source_for(dir, src)?)?;
    let client = runner::connect(url, &Progress::default())?;
    Ok((manifest, histories, client))
}

/// `drift`: the report and the differences, one line each.
pub fn drift(url: &str, dir: &Path, src: Option<PathBuf>) -> Result<String, Error> {
    let (manifest, histories, mut client) = open(url, dir, src)?;
    let records = runner::records(&mut client)?;
    let applied = |n: u32| records.iter().any(|r| r.number == n && r.finished);
    let mut expected = BTreeMap::new();
    let mut notes = Vec::new();
    for h in &histories {
        let name = format!("{}.{}", h.schema, h.table);
        let files: Vec<&manifest::FileEntry> =
            manifest.files.iter().filter(|f| f.table == name).collect();
        let mut versions: Vec<u32> = files.iter().map(|f| f.version).collect();
        versions.sort();
        versions.dedup();
        let mut at = None;
        let mut between = None;
        for v in versions {
            let of_v: Vec<bool> = files
                .iter()
                .filter(|f| f.version == v)
                .map(|f| applied(f.number))
                .collect();
            match (of_v.iter().all(|a| *a), of_v.iter().any(|a| *a)) {
                (true, _) if between.is_none() => at = Some(v),
                (false, false) => {}
                _ => between = Some(v),
            }
        }
        if let Some(v) = between {
            notes.push(format!(
                "{name}: skipped, between versions (files of version {v} are partly applied); run `drift` again once `apply` has finished"
            ));
            continue;
        }
        expected.insert(name, at.and_then(|v| h.model_as_of(v)));
    }
    let diffs = differences(&mut client, &expected, &schemas(&histories))?;
    let mut text = notes.join("\n");
    if diffs.is_empty() {
        if !text.is_empty() {
            text.push('\n');
        }
        let _ = write!(
            text,
            "no drift: {} tables match the model at their applied versions",
            expected.len()
        );
        return Ok(text);
    }
    for d in &diffs {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(d);
    }
    crate::output::print(&text)?;
    Err(Error::msg(format!(
        "{} differences between the live catalog and the model (listed above)",
        diffs.len()
    )))
}

/// `baseline`: records version 1's files as applied without running them, once the live
/// catalog matches the model at version 1; refuses (changing nothing) otherwise.
pub fn baseline(url: &str, dir: &Path, src: Option<PathBuf>) -> Result<String, Error> {
    let (manifest, histories, mut client) = open(url, dir, src)?;
    let problems = manifest.verify_files(dir)?;
    if !problems.is_empty() {
        return Err(Error::msg(format!(
            "{}; nothing was recorded",
            problems.join("; ")
        )));
    }
    let files: Vec<&manifest::FileEntry> =
        manifest.files.iter().filter(|f| f.version == 1).collect();
    if files.is_empty() {
        return Err(Error::msg(format!(
            "{}: no migration of version 1 to record",
            dir.display()
        )));
    }
    runner::lock(&mut client, false)?;
    let result = baseline_locked(&mut client, dir, &histories, &files);
    runner::unlock(&mut client);
    result
}

fn baseline_locked(
    client: &mut Client,
    dir: &Path,
    histories: &[TableHistory],
    files: &[&manifest::FileEntry],
) -> Result<String, Error> {
    if let Some(r) = runner::records(client)?.first() {
        return Err(Error::msg(format!(
            "the database already records applied migrations ({} and maybe more): baseline is for a database that never ran migrate-gen; nothing was recorded",
            r.name
        )));
    }
    let expected: BTreeMap<String, Option<TableModel>> = histories
        .iter()
        .map(|h| (format!("{}.{}", h.schema, h.table), h.model_as_of(1)))
        .collect();
    let diffs = differences(client, &expected, &schemas(histories))?;
    if !diffs.is_empty() {
        crate::output::print(&diffs.join("\n"))?;
        return Err(Error::msg(format!(
            "the live catalog differs from the model at version 1 in {} ways (listed above); nothing was recorded",
            diffs.len()
        )));
    }
    runner::setup(client)?;
    let mut tx = client.transaction().map_err(db)?;
    for f in files {
        let name = format!("{}.sql", f.stem);
        let path = dir.join(&name);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        tx.execute(
            "INSERT INTO migrate_gen.applied (number, name, checksum, phase, release, started_at, finished_at, duration_ms)
             VALUES ($1, $2, $3, $4, $5, clock_timestamp(), clock_timestamp(), 0)",
            &[&(f.number as i32), &name, &manifest::checksum(&text), &f.phase.as_str(), &(f.release as i32)],
        )
        .map_err(db)?;
    }
    tx.commit().map_err(db)?;
    Ok(format!(
        "the live catalog matches the model at version 1: recorded {} files as applied without running them; `apply` runs the later ones",
        files.len()
    ))
}
