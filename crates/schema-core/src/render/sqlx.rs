//! The sqlx layout: `<version>_<name>.up.sql` / `.down.sql` pairs for `sqlx migrate run` and
//! `sqlx::migrate!`.
//!
//! sqlx runs each migration as one message, in a transaction unless the file starts with
//! `-- no-transaction`, and PostgreSQL refuses `CREATE INDEX CONCURRENTLY` (or a `DO` block
//! that commits) in any message of more than one statement. So a transactional file is one
//! migration (sqlx supplies `BEGIN`/`COMMIT`), and a no-transaction file is one migration per
//! [`Part`](crate::plan::Part): the statements that must run alone are alone, each with the
//! `.down.sql` that undoes just that part. Version `N * 10 + part` keeps them in order.
//! Settings are made with `set_config(..., false)`, which lasts for the session: sqlx runs
//! every migration of a run on one connection, so a concurrent build inherits the timeouts
//! set by the migration before it. The `search_path` is pinned for the transaction only (in
//! each transactional migration, and at the top of each `DO` block of a no-transaction one),
//! because `sqlx::migrate!` hands its connection back to the application's pool afterwards.

use super::{Meta, file_stem};
use crate::plan::{Piece, PlanOptions, PlannedFile, Sql, Step};
use crate::sql::raw::{self, Verify};

/// One sqlx migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlxMigration {
    pub version: u32,
    /// `0081_users_v2_index_org_id_2`: the files are `<stem>.up.sql` and `<stem>.down.sql`.
    pub stem: String,
    pub up: String,
    pub down: String,
    /// Whether the up migration runs in sqlx's transaction.
    pub transactional: bool,
}

/// The timeouts for the session, and the pinned `search_path` for the current transaction
/// only ([`raw::pin_search_path_local`]), the path it replaces kept aside for [`RESTORE`].
fn settings(opts: &PlanOptions, statement_timeout: &str) -> String {
    format!(
        "SELECT pg_catalog.set_config('lock_timeout', {}, false), pg_catalog.set_config('statement_timeout', {}, false), pg_catalog.set_config('migrate_gen.search_path', pg_catalog.current_setting('search_path'), true), {}",
        raw::lit(&opts.lock_timeout),
        raw::lit(statement_timeout),
        raw::pin_search_path_local()
    )
}

/// The last statement of a transactional migration: sqlx records the migration in
/// `_sqlx_migrations`, unqualified, in the same transaction, with the path it had.
const RESTORE: &str = "SELECT pg_catalog.set_config('search_path', pg_catalog.current_setting('migrate_gen.search_path'), true)";

/// `stmt` with the settings made inside it when it is a `DO` block (it runs alone).
fn with_settings(stmt: &str, opts: &PlanOptions, statement_timeout: &str) -> String {
    match stmt.find("\nBEGIN\n") {
        Some(at) if stmt.starts_with("DO $") => format!(
            "{}\nBEGIN\n  PERFORM {};{}",
            &stmt[..at],
            settings(opts, statement_timeout).trim_start_matches("SELECT "),
            &stmt[at + "\nBEGIN".len()..]
        ),
        _ => stmt.to_owned(),
    }
}

fn text(
    header: &str,
    no_tx: bool,
    prelude: Option<String>,
    stmts: &[Sql],
    verify: &[Verify],
) -> String {
    let mut out = String::new();
    if no_tx {
        out.push_str("-- no-transaction\n");
    }
    out.push_str(header);
    let restore = prelude.is_some();
    if let Some(p) = prelude {
        out.push_str(&format!("{p};\n"));
    }
    for stmt in stmts {
        out.push('\n');
        out.push_str(&stmt.text);
        out.push_str(";\n");
    }
    if !verify.is_empty() {
        out.push('\n');
        out.push_str(&raw::verify_block(verify));
        out.push_str(";\n");
    }
    if stmts.is_empty() && verify.is_empty() {
        out.push_str("-- Nothing to undo for this part.\nSELECT 1;\n");
    }
    if restore {
        out.push_str(&format!("\n{RESTORE};\n"));
    }
    out
}

/// The sqlx migrations of `file`, numbered from `number`; an error when sqlx cannot run the
/// file or its rollback: a no-transaction file not cut into parts, such as a rename's contract,
/// whose rollback rebuilds an index concurrently and refills a column in batches, while a
/// `.down.sql` is one message.
pub fn migrations(
    number: u32,
    step: &Step,
    file: &PlannedFile,
    meta: &Meta,
    opts: &PlanOptions,
) -> Result<Vec<SqlxMigration>, String> {
    if file.parts.is_empty() && (!file.transactional || !file.rollback_transactional) {
        return Err(format!(
            "{} version {}: the sqlx layout cannot express `{}` ({}): its {} must run statement by statement outside a transaction, and sqlx runs each migration as one message; use the plain layout (`apply` or psql) for this change",
            step.qualified(),
            step.to,
            file.slug,
            file.title,
            if file.transactional {
                "rollback"
            } else {
                "forward file"
            },
        ));
    }
    let base = file_stem(number, step, file);
    let base = base
        .split_once('_')
        .map_or(base.clone(), |(_, rest)| rest.to_owned());
    let timeout = file
        .statement_timeout
        .clone()
        .unwrap_or_else(|| "0".to_owned());
    // A file in one transaction each way is one piece.
    let whole;
    let parts: &[Piece] = if file.parts.is_empty() {
        whole = [Piece::new(&file.forward, &file.rollback)];
        &whole
    } else {
        &file.parts
    };
    // The verification joins the last part that runs in a transaction, or follows alone.
    let verify_own_part = parts.last().is_some_and(Piece::alone);
    let count = parts.len() + usize::from(verify_own_part);
    let mut out = Vec::new();
    for i in 0..count {
        let version = number * 10 + i as u32;
        let stem = if count == 1 {
            format!("{version:04}_{base}")
        } else {
            format!("{version:04}_{base}_{}", i + 1)
        };
        let of = if count == 1 {
            String::new()
        } else {
            format!(" (part {} of {count})", i + 1)
        };
        let header = |what: &str, extra: &str| {
            format!(
                "-- {what}{of}\n-- Date: {}\n-- Author: {}\n-- Phase: {}\n-- Table: {}, version {}\n{extra}",
                meta.date,
                meta.author,
                file.phase,
                step.qualified(),
                step.to
            )
        };
        let up_header = header(
            &format!("Migration: {}", file.title),
            &format!("-- Lock: {}\n", file.impact.lock),
        );
        let down_note = match &file.rollback_note {
            Some(note) if parts.len() == 1 => format!("-- Data: {note}\n"),
            _ => String::new(),
        };
        let down_header = header(
            &format!("Rollback of {stem}.up.sql: {}", file.title),
            &down_note,
        );
        let (up, down, transactional) = match parts.get(i) {
            Some(part) => {
                let (forward, rollback) = (&part.forward, &part.rollback);
                let last = i + 1 == parts.len() && !verify_own_part;
                let verify: &[Verify] = if last { &file.verify } else { &[] };
                let rollback_verify: &[Verify] = if parts.len() == 1 {
                    &file.rollback_verify
                } else {
                    &[]
                };
                let up = if part.alone() {
                    let stmts: Vec<Sql> = forward
                        .iter()
                        .map(|s| Sql::new(with_settings(&s.text, opts, &timeout)))
                        .collect();
                    text(&up_header, true, None, &stmts, &[])
                } else {
                    text(
                        &up_header,
                        false,
                        Some(settings(opts, &timeout)),
                        forward,
                        verify,
                    )
                };
                let down = if part.rollback_alone() {
                    let stmts: Vec<Sql> = rollback
                        .iter()
                        .map(|s| Sql::new(with_settings(&s.text, opts, "0")))
                        .collect();
                    text(&down_header, true, None, &stmts, &[])
                } else {
                    let prelude =
                        (!rollback.is_empty()).then(|| settings(opts, &opts.statement_timeout));
                    text(&down_header, false, prelude, rollback, rollback_verify)
                };
                (up, down, !part.alone())
            }
            None => (
                text(
                    &up_header,
                    false,
                    Some(settings(opts, &timeout)),
                    &[],
                    &file.verify,
                ),
                text(&down_header, false, None, &[], &[]),
                true,
            ),
        };
        out.push(SqlxMigration {
            version,
            stem,
            up,
            down,
            transactional,
        });
    }
    Ok(out)
}
