//! The order of all steps of all tables: by version (one timeline for the tables of a
//! crate), then each table after the tables it references, then by name. A table dropped at
//! a version comes after the tables that referenced it until then (their references go first),
//! and its drop is refused while a table still references it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::{PlanOptions, Step, drop_column, drop_table, plan_step};
use crate::diff::Refusal;
use crate::enum_type::EnumHistory;
use crate::history::TableHistory;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderError {
    Refused(Refusal),
    DuplicateTable {
        table: String,
        first: String,
        second: String,
    },
    MissingReference {
        table: String,
        version: u32,
        column: String,
        target: String,
        problem: String,
    },
    Cycle {
        version: u32,
        tables: Vec<String>,
    },
    /// A column whose type changes while another table's foreign key references it.
    ReferencedRetype {
        table: String,
        column: String,
        target: String,
        target_column: String,
        version: u32,
    },
}

impl fmt::Display for OrderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderError::Refused(r) => r.fmt(f),
            OrderError::DuplicateTable {
                table,
                first,
                second,
            } => write!(
                f,
                "table {table} is declared twice, by `{first}` and by `{second}`; keep one #[versioned] struct per table"
            ),
            OrderError::MissingReference {
                table,
                version,
                column,
                target,
                problem,
            } => write!(
                f,
                "{table} version {version}, column `{column}`: references {target}, {problem}; reference a table and column that exist at that version"
            ),
            OrderError::ReferencedRetype {
                table,
                column,
                target,
                target_column,
                version,
            } => write!(
                f,
                "{target} version {version}, column `{target_column}`: its type changes, but {table}.{column} references it; a referenced column cannot change type (keep its type, or drop the reference in an earlier version)"
            ),
            OrderError::Cycle { version, tables } => write!(
                f,
                "at version {version} the tables {} reference each other in a cycle; add one of the references in a later version",
                tables.join(", ")
            ),
        }
    }
}

impl std::error::Error for OrderError {}

/// Every step of every table, in the order the files are numbered.
pub fn plan_all(histories: &[TableHistory], opts: &PlanOptions) -> Result<Vec<Step>, OrderError> {
    plan_all_with_enums(histories, &[], opts)
}

/// Every step of every enum type and table: at each version, the enum types' steps (their
/// creation, their labels added) before the tables', which may use them.
pub fn plan_all_with_enums(
    histories: &[TableHistory],
    enums: &[EnumHistory],
    opts: &PlanOptions,
) -> Result<Vec<Step>, OrderError> {
    for (i, e) in enums.iter().enumerate() {
        // PostgreSQL gives each table a row type of its name: a type cannot share it.
        let table = histories.iter().find(|h| h.answers_to(&e.schema, &e.name));
        let other = enums[..i]
            .iter()
            .find(|o| o.schema == e.schema && o.name == e.name);
        if let Some(first) = table
            .map(|h| h.rust_name.clone())
            .or(other.map(|o| o.rust_name.clone()))
        {
            return Err(OrderError::DuplicateTable {
                table: e.sql_type(),
                first,
                second: e.rust_name.clone(),
            });
        }
    }
    for h in histories {
        for f in &h.fields {
            if let Some(e) = enums.iter().find(|e| e.sql_type() == f.sql_type)
                && f.since.max(h.since) < e.since
            {
                return Err(OrderError::Refused(Refusal {
                    table: format!("{}.{}", h.schema, h.table),
                    column: Some(f.column.clone()),
                    version: f.since.max(h.since),
                    problem: format!(
                        "its type {} is created only at version {}",
                        e.sql_type(),
                        e.since
                    ),
                    fix: format!(
                        "create the enum type at or before that version (`since` on `{}`), or add the column later",
                        e.rust_name
                    ),
                }));
            }
        }
    }
    let tables = plan_tables(histories, opts)?;
    let mut enum_steps: Vec<Step> = enums
        .iter()
        .flat_map(|e| {
            e.step_versions()
                .into_iter()
                .map(move |v| super::enum_step::enum_step(e, v, opts))
        })
        .collect();
    enum_steps.sort_by(|a, b| (a.to, &a.schema, &a.table).cmp(&(b.to, &b.schema, &b.table)));
    let mut steps = Vec::with_capacity(tables.len() + enum_steps.len());
    let mut enum_steps = enum_steps.into_iter().peekable();
    for step in tables {
        while let Some(e) = enum_steps.next_if(|e| e.to <= step.to) {
            steps.push(e);
        }
        steps.push(step);
    }
    steps.extend(enum_steps);
    Ok(steps)
}

fn plan_tables(histories: &[TableHistory], opts: &PlanOptions) -> Result<Vec<Step>, OrderError> {
    let key = |h: &TableHistory| format!("{}.{}", h.schema, h.table);
    let mut by_name: BTreeMap<String, &TableHistory> = BTreeMap::new();
    for h in histories {
        if let Some(first) = by_name.insert(key(h), h) {
            return Err(OrderError::DuplicateTable {
                table: key(h),
                first: first.rust_name.clone(),
                second: h.rust_name.clone(),
            });
        }
    }
    // A renamed table answers to its old name too (references may use either): no other table
    // may have it.
    for h in histories {
        if let Some((old, _)) = &h.renamed_from
            && let Some(other) = by_name.get(&format!("{}.{old}", h.schema))
        {
            return Err(OrderError::DuplicateTable {
                table: format!("{}.{old}", h.schema),
                first: other.rust_name.clone(),
                second: format!("{} (its old name)", h.rust_name),
            });
        }
    }
    archive_names(&by_name)?;
    index_names(histories)?;
    let versions: BTreeSet<u32> = histories
        .iter()
        .flat_map(|h| h.versions().chain(h.until))
        .collect();
    let mut steps = Vec::new();
    for v in versions {
        // The tables with a step at v, and the tables that go before each.
        let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (name, h) in &by_name {
            if h.until == Some(v) {
                deps.insert(name.clone(), referrers(name, v, &by_name)?);
                continue;
            }
            let Some(model) = h.model_at(v) else { continue };
            let mut refs = BTreeSet::new();
            for fk in &model.foreign_keys {
                let target = histories
                    .iter()
                    .find(|h| h.answers_to(&fk.ref_schema, &fk.ref_table))
                    .map_or_else(|| format!("{}.{}", fk.ref_schema, fk.ref_table), key);
                let column = fk.columns.join(", ");
                if let Some(th) = by_name.get(&target) {
                    // A table keeps its latest shape after its last version.
                    let problem = match (th.model_as_of(v), th.until) {
                        (None, Some(until)) if v >= until => {
                            Some(format!("which is dropped at version {until}"))
                        }
                        (None, _) => Some(format!("which is created only at version {}", th.since)),
                        (Some(tm), _) => fk
                            .ref_columns
                            .iter()
                            .find(|c| tm.column(c).is_none())
                            .map(|c| format!("which has no column `{c}` at version {v}"))
                            .or_else(|| unique_key_missing(&tm, &fk.ref_columns, v)),
                    };
                    let retyped = th.model_at(v).and_then(|tm| {
                        fk.ref_columns
                            .iter()
                            .find(|c| tm.column(c).is_some_and(|c| c.retyped_from.is_some()))
                            .cloned()
                    });
                    if let Some(target_column) = retyped {
                        return Err(OrderError::ReferencedRetype {
                            table: name.clone(),
                            column,
                            target,
                            target_column,
                            version: v,
                        });
                    }
                    if let Some(problem) = problem {
                        return Err(OrderError::MissingReference {
                            table: name.clone(),
                            version: v,
                            column,
                            target,
                            problem,
                        });
                    }
                    if &target != name {
                        refs.insert(target);
                    }
                } else {
                    return Err(OrderError::MissingReference {
                        table: name.clone(),
                        version: v,
                        column,
                        target,
                        problem: "which no #[versioned] struct of these sources declares (the migrations would fail at apply where it does not exist)".into(),
                    });
                }
            }
            deps.insert(name.clone(), refs);
        }
        // Kahn's algorithm, smallest name first among the ready ones.
        let mut done: BTreeSet<String> = BTreeSet::new();
        while done.len() < deps.len() {
            let ready: Vec<String> = deps
                .iter()
                .filter(|(n, refs)| {
                    !done.contains(*n)
                        && refs
                            .iter()
                            .all(|r| done.contains(r) || !deps.contains_key(r))
                })
                .map(|(n, _)| n.clone())
                .collect();
            if ready.is_empty() {
                let tables = deps
                    .keys()
                    .filter(|n| !done.contains(*n))
                    .cloned()
                    .collect();
                return Err(OrderError::Cycle { version: v, tables });
            }
            let next = ready[0].clone();
            let h = by_name[&next];
            let mut from = if v > h.since { h.model_at(v - 1) } else { None };
            let mut to = h.model_at(v);
            for model in from.iter_mut().chain(to.iter_mut()) {
                TableHistory::name_references(model, v, histories);
            }
            match to {
                Some(to) => {
                    steps.push(plan_step(from.as_ref(), &to, opts).map_err(OrderError::Refused)?)
                }
                None => steps.push(super::plan_drop(
                    &from.expect("a dropped table existed the version before"),
                    opts,
                )),
            }
            done.insert(next);
        }
    }
    Ok(steps)
}

/// The tables whose references to `dropped` go at version `v`, where it is dropped: their
/// steps come first. A table that still references it at `v` makes the drop a refusal.
fn referrers(
    dropped: &str,
    v: u32,
    by_name: &BTreeMap<String, &TableHistory>,
) -> Result<BTreeSet<String>, OrderError> {
    let references = |model: &crate::model::TableModel| {
        model
            .foreign_keys
            .iter()
            .find(|f| format!("{}.{}", f.ref_schema, f.ref_table) == dropped)
            .map(|f| f.columns.join(", "))
    };
    let mut before = BTreeSet::new();
    for (name, h) in by_name.iter().filter(|(name, _)| *name != dropped) {
        if let Some(column) = h.model_as_of(v).as_ref().and_then(references) {
            return Err(OrderError::Refused(Refusal {
                table: dropped.to_owned(),
                column: None,
                version: v,
                problem: format!(
                    "the table is dropped while {name} column `{column}` still references it at version {v}"
                ),
                fix: format!(
                    "drop that column in the same version (`until = {v}` on its #[col]) or its table (`until = {v}` on its #[versioned]), or drop {dropped} in a later version"
                ),
            }));
        }
        if v > 1 && h.model_as_of(v - 1).as_ref().and_then(references).is_some() {
            before.insert(name.clone());
        }
    }
    Ok(before)
}

/// Every archive (of a dropped column, of a dropped table) has a name of its own in the archive
/// schema: table `b_c` dropped at 3 and column `c` of table `b` dropped at 3 would share
/// `b_c_v3`, and so would column `c` of `b` in two schemas.
fn archive_names(by_name: &BTreeMap<String, &TableHistory>) -> Result<(), OrderError> {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (name, h) in by_name {
        let columns = h.fields.iter().filter_map(|f| {
            let until = f.until.filter(|u| h.versions().contains(u))?;
            let column = f.column_at(until - 1);
            Some((
                drop_column::archive_name(&h.table, column, until),
                Some(column.to_owned()),
                until,
            ))
        });
        let table = h.until.map(|until| {
            (
                drop_table::archive_name(&h.schema, &h.table, until),
                None,
                until,
            )
        });
        for (archive, column, version) in columns.chain(table) {
            let what = match &column {
                Some(c) => format!("column {name}.{c}"),
                None => format!("table {name}"),
            };
            if let Some(first) =
                seen.insert(archive.clone(), format!("{what} at version {version}"))
            {
                return Err(OrderError::Refused(Refusal {
                    table: name.clone(),
                    column,
                    version,
                    problem: format!(
                        "its archive would be {}.{archive}, the name of the archive of the {first}",
                        crate::sql::raw::ARCHIVE_SCHEMA
                    ),
                    fix: "drop one of them in another version".into(),
                }));
            }
        }
    }
    Ok(())
}

/// PostgreSQL wants a foreign key's referenced columns to be the target's primary key or a
/// unique constraint (or a plain unique index) on exactly those columns: the reason why not.
fn unique_key_missing(
    target: &crate::model::TableModel,
    columns: &[String],
    v: u32,
) -> Option<String> {
    let same = |cols: &[String]| {
        let mut a = cols.to_vec();
        let mut b = columns.to_vec();
        a.sort();
        b.sort();
        a == b
    };
    let keyed = same(&target.primary_key)
        || target.indexes.iter().any(|i| {
            (i.unique || i.unique_index)
                && i.expr.is_none()
                && i.predicate.is_none()
                && same(&i.columns)
        });
    (!keyed).then(|| {
        format!(
            "which has no primary key or unique constraint on ({}) at version {v}",
            columns.join(", ")
        )
    })
}

/// Index names are per schema (so are the names of the indexes behind primary keys and unique
/// constraints): two tables that exist at the same version cannot have an index of the same
/// name.
fn index_names(histories: &[TableHistory]) -> Result<(), OrderError> {
    let versions: BTreeSet<u32> = histories.iter().flat_map(|h| h.versions()).collect();
    for v in versions {
        let mut seen: BTreeMap<(String, String), String> = BTreeMap::new();
        for h in histories {
            let Some(model) = h.model_as_of(v) else {
                continue;
            };
            let pkey = crate::names::object_name(&[&model.name], "pkey");
            let names = model
                .indexes
                .iter()
                .map(|i| i.name.clone())
                .chain((!model.primary_key.is_empty()).then_some(pkey));
            for name in names {
                let table = model.qualified();
                if let Some(first) =
                    seen.insert((model.schema.clone(), name.clone()), table.clone())
                    && first != table
                {
                    return Err(OrderError::Refused(Refusal {
                        table,
                        column: None,
                        version: v,
                        problem: format!(
                            "its index {name} has the name of an index of {first}, and index names are per schema"
                        ),
                        fix: "give one of them another `name`".into(),
                    }));
                }
            }
        }
    }
    Ok(())
}
