//! The file layouts, above the planner: migration files as text (header, timeouts, pinned
//! path, transaction, statements, verification), plain ([`forward`], [`rollback`]) or
//! [`sqlx`].

pub mod sqlx;

use crate::sql::raw;

use crate::plan::{PlanOptions, PlannedFile, Sql, Step};

/// Who and when, for the header.
#[derive(Debug, Clone)]
pub struct Meta<'a> {
    pub date: &'a str,
    pub author: &'a str,
}

/// The file name stem for `file` of `step` numbered `number`: `002_users_v2_expand`.
pub fn file_stem(number: u32, step: &Step, file: &PlannedFile) -> String {
    let table = if step.schema == "public" {
        step.table.clone()
    } else {
        format!("{}_{}", step.schema, step.table)
    };
    if step.from.is_none() && file.slug == "create" {
        format!("{number:03}_{table}_create")
    } else {
        format!("{number:03}_{table}_v{}_{}", step.to, file.slug)
    }
}

fn statements(out: &mut String, stmts: &[Sql]) {
    for stmt in stmts {
        out.push('\n');
        if !stmt.squawk_ignore.is_empty() {
            let mut reasons: Vec<&str> = stmt.squawk_ignore.iter().map(|(_, r)| *r).collect();
            reasons.dedup();
            let rules: Vec<&str> = stmt.squawk_ignore.iter().map(|(r, _)| *r).collect();
            for reason in reasons {
                out.push_str(&format!("-- {reason}\n"));
            }
            out.push_str(&format!("-- squawk-ignore {}\n", rules.join(", ")));
        }
        out.push_str(&stmt.text);
        out.push_str(";\n");
    }
}

fn body(
    out: &mut String,
    transactional: bool,
    timeout: Option<&str>,
    opts: &PlanOptions,
    stmts: &[Sql],
    verify: &[raw::Verify],
) {
    out.push_str(&format!(
        "SET lock_timeout = {};\n",
        raw::lit(&opts.lock_timeout)
    ));
    match timeout {
        Some(t) => out.push_str(&format!("SET statement_timeout = {};\n", raw::lit(t))),
        None => out.push_str(
            "-- One statement here runs as long as the table is large, under a lock that lets reads\n\
             -- and writes through: no time limit.\n\
             SET statement_timeout = 0;\n",
        ),
    }
    out.push_str(&format!("{};\n", raw::pin_search_path()));
    if transactional {
        out.push_str("BEGIN;\n");
    }
    statements(out, stmts);
    if !verify.is_empty() {
        out.push('\n');
        out.push_str(&raw::verify_block(verify));
        out.push_str(";\n");
    }
    if transactional {
        out.push_str("COMMIT;\n");
    }
}

/// The lines every file starts with: the no-transaction marker, what, when, who, phase, table.
fn header(
    out: &mut String,
    transactional: bool,
    title: &str,
    meta: &Meta,
    step: &Step,
    file: &PlannedFile,
) {
    if !transactional {
        out.push_str("-- no-transaction\n");
    }
    out.push_str(&format!(
        "-- {title}\n-- Date: {}\n-- Author: {}\n-- Phase: {}\n-- Table: {}, {}\n",
        meta.date,
        meta.author,
        file.phase,
        step.qualified(),
        step_words(step)
    ));
}

/// The forward file.
pub fn forward(
    step: &Step,
    file: &PlannedFile,
    stem: &str,
    meta: &Meta,
    opts: &PlanOptions,
) -> String {
    let mut out = String::new();
    let title = format!("Migration: {}", file.title);
    header(&mut out, file.transactional, &title, meta, step, file);
    out.push_str(&format!("-- Lock: {}\n", file.impact.lock));
    out.push_str(&format!("-- Rollback: {stem}.rollback.sql\n"));
    if !file.transactional && file.impact.lock == crate::plan::Lock::RawSql {
        out.push_str(
            "-- Runs outside a transaction: statements written by hand, safe to run again after a failure only as they are written.\n",
        );
    } else if !file.transactional {
        out.push_str("-- Runs outside a transaction; safe to run again after a failure.\n");
    }
    let timeout = file.statement_timeout.as_deref();
    body(
        &mut out,
        file.transactional,
        timeout,
        opts,
        &file.forward,
        &file.verify,
    );
    out
}

/// The rollback file.
pub fn rollback(
    step: &Step,
    file: &PlannedFile,
    stem: &str,
    meta: &Meta,
    opts: &PlanOptions,
) -> String {
    let mut out = String::new();
    let title = format!("Rollback of {stem}.sql: {}", file.title);
    header(
        &mut out,
        file.rollback_transactional,
        &title,
        meta,
        step,
        file,
    );
    match &file.rollback_note {
        Some(note) => out.push_str(&format!("-- Data: {note}\n")),
        None => out.push_str(
            "-- Data: every value of the columns that existed before the migration is kept.\n",
        ),
    }
    if file.rollback.is_empty() {
        out.push_str("-- Nothing to undo in the catalog.\n");
    }
    // A rollback outside a transaction may rebuild an index or refill a column: no limit.
    let timeout = file
        .rollback_transactional
        .then_some(opts.statement_timeout.as_str());
    body(
        &mut out,
        file.rollback_transactional,
        timeout,
        opts,
        &file.rollback,
        &file.rollback_verify,
    );
    out
}

fn step_words(step: &Step) -> String {
    match step.from {
        Some(from) => format!("version {from} -> {}", step.to),
        None => format!("created at version {}", step.to),
    }
}
