//! A dropped column (`#[col(until = K)]`), through expand/contract.
//!
//! - expand: a NOT NULL column without a default becomes nullable, so that new code, which no
//!   longer writes it, can insert rows while old code still reads it;
//! - contract (after the deploy): every value is copied aside, in batches, to an archive table
//!   in the `migrate_gen_archive` schema, recorded in its registry with a retention period
//!   (`keep_until`), then the column is dropped. `migrate-gen archive cleanup` removes archives
//!   whose retention has passed.
//! - the contract's rollback adds the column back and refills it from the archive, in batches,
//!   with its default, indexes and constraints; the `relax_<column>` file's rollback makes it
//!   NOT NULL again, outside a transaction.
//!   Rows that new code wrote without the column take `down` (an expression over the row, on
//!   the field), else the default; with neither, the rollback stops before changing anything
//!   and names the rows to fix.

use super::ChangeKind;
use super::drop_not_null::{Relax, relax_file};
use crate::model::{Column, TableModel};
use crate::names;
use crate::plan::rebuild::{self, RERUNNABLE};
use crate::plan::{Ctx, Fill, Impact, Lock, Phase, PlannedFile, Risk, Sql};
use crate::sql::raw::{self, Verify};
use crate::sql::statements;

/// The archive table of `column` of `table` dropped at `version`.
pub fn archive_name(table: &str, column: &str, version: u32) -> String {
    names::object_name(&[table, column], &format!("v{version}"))
}

/// `DropColumn(column)` (`until` on the field).
pub struct DropColumn<'a>(pub &'a Column);

/// A NOT NULL column without a default must let the new code leave it out before the deploy.
fn must_relax(col: &Column) -> bool {
    !col.nullable && col.default.is_none()
}

impl ChangeKind for DropColumn<'_> {
    fn describe(&self) -> String {
        format!("drop column {}", self.0.name)
    }

    /// A file of its own: its rollback gives values in batches and validates the NOT NULL
    /// proof apart from adding it, which one transaction cannot do without blocking reads.
    fn build(&self, ctx: &Ctx) -> Vec<PlannedFile> {
        let col = self.0;
        if !must_relax(col) {
            return Vec::new();
        }
        vec![relax_file(
            ctx,
            col,
            Relax {
                slug: format!("relax_{}", col.name),
                title: format!(
                    "{}: let new code leave {} out (drop NOT NULL; the column goes at contract)",
                    ctx.step_label(),
                    col.name
                ),
                phase: Phase::Expand,
                reason: "The new code no longer writes this column, which is dropped in the contract phase.",
                why: "catalog only; the new code may leave the column out from here on".into(),
            },
        )]
    }

    fn contract_files(&self, ctx: &Ctx) -> Vec<PlannedFile> {
        vec![archive_then_drop(ctx, self.0)]
    }
}

/// The contract file: the values copied to the archive in batches, then the column dropped.
fn archive_then_drop(ctx: &Ctx, col: &Column) -> PlannedFile {
    let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
    let from = ctx.from.expect("a dropped column has a previous version");
    let must_relax = must_relax(col);

    let archive = archive_name(table, &col.name, ctx.to.version);
    let archive_model = TableModel {
        schema: raw::ARCHIVE_SCHEMA.into(),
        name: archive.clone(),
        version: ctx.to.version,
        columns: from
            .primary_key
            .iter()
            .filter_map(|k| from.column(k).cloned())
            .chain(std::iter::once(Column {
                nullable: true,
                default: None,
                backfill: None,
                renamed_from: None,
                retyped_from: None,
                ..col.clone()
            }))
            .collect(),
        primary_key: from.primary_key.clone(),
        indexes: Vec::new(),
        foreign_keys: Vec::new(),
        checks: Vec::new(),
        raw_sql: Vec::new(),
    };
    let source = format!("{schema}.{table}.{}", col.name);
    let forward = vec![
        Sql::new(raw::create_archive_schema()),
        Sql::new(raw::archive_registry()),
        Sql::new(raw::archive_registry_grants()),
        Sql::new(statements::create_table(&archive_model)).declaring([col.sql_type.as_str()]),
        Sql::new(raw::guard_archive(&["registry", &archive])),
        Sql::new(raw::archive_copy(
            schema,
            table,
            &from.primary_key,
            &col.name,
            &archive,
            &ctx.opts.pacing,
        )),
        Sql::new(raw::archive_register(
            &archive,
            &source,
            ctx.to.version,
            &ctx.opts.archive_retention,
        )),
        Sql::ignoring(
            statements::drop_column_if_exists(schema, table, &col.name),
            "ban-drop-column",
            "Contract: every value was copied to the archive above first; the rollback restores it from there.",
        ),
    ];

    // The rollback: the column back, refilled from the archive, with what belonged to it.
    let key_match = from
        .primary_key
        .iter()
        .map(|k| format!("a.{c} = {}.{c}", raw::ident(table), c = raw::ident(k)))
        .collect::<Vec<_>>()
        .join(" AND ");
    let mut restore = format!(
        "(SELECT a.{} FROM {} a WHERE {key_match})",
        raw::ident(&col.name),
        raw::qualified(raw::ARCHIVE_SCHEMA, &archive)
    );
    // Rows inserted after the drop have no archived value: a NOT NULL column takes `down`, else
    // its default.
    if !col.nullable
        && let Some(d) = col.down.as_ref().or(col.default.as_ref())
    {
        restore = format!("COALESCE({restore}, ({d}))");
    }
    let relaxed = Column {
        nullable: true,
        default: None,
        ..col.clone()
    };
    let mut rollback = vec![
        Sql::new(statements::add_column_if_not_exists(
            schema, table, &relaxed,
        ))
        .declaring([col.sql_type.as_str()]),
    ];
    // The default first: rows that new code inserts while the values come back get it.
    if let Some(d) = &col.default {
        rollback.push(Sql::ignoring(
            raw::set_default(schema, table, &col.name, d),
            "prefer-robust-stmts",
            RERUNNABLE,
        ));
    }
    rollback.push(
        Sql::new(raw::backfill(
            schema,
            table,
            &from.primary_key,
            &[Fill {
                column: col.name.clone(),
                expr: restore,
                not_null: false,
            }],
            &ctx.opts.pacing,
        ))
        .run_alone(),
    );
    let mut rollback_verify = vec![Verify::column(
        schema,
        table,
        col,
        !col.nullable && !must_relax,
    )];
    // NOT NULL with a default stayed NOT NULL until the contract.
    rebuild::column_objects(
        from,
        &col.name,
        !col.nullable && !must_relax,
        &mut rollback,
        &mut rollback_verify,
    );
    PlannedFile {
        slug: format!("drop_{}", col.name),
        title: format!(
            "{}: archive {} to {}.{} (kept {}), then drop it",
            ctx.step_label(),
            col.name,
            raw::ARCHIVE_SCHEMA,
            archive,
            ctx.opts.archive_retention
        ),
        phase: Phase::Contract,
        transactional: false,
        rollback_transactional: false,
        statement_timeout: None,
        forward,
        verify: vec![
            Verify::ColumnAbsent {
                schema: schema.into(),
                table: table.into(),
                column: col.name.clone(),
            },
            Verify::Table {
                schema: raw::ARCHIVE_SCHEMA.into(),
                table: archive.clone(),
                exists: true,
            },
        ],
        rollback,
        rollback_verify,
        rollback_note: Some(format!(
            "adds {} back and refills every value from {}.{}, with its default, indexes and constraints",
            col.name,
            raw::ARCHIVE_SCHEMA,
            archive
        )),
        parts: Vec::new(),
        impact: Impact {
            lock: Lock::CopyThenDrop,
            rewrites: false,
            scans: true,
            risk: Risk::Medium,
            why: format!(
                "old code that still reads {} fails from here on: run it only once the old code is gone",
                col.name
            ),
        },
    }
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use crate::plan::test_utils::plan_source;

    /// A NOT NULL column without a default becomes nullable in the expand; the contract copies it to the archive (checked and sealed) before dropping it; the rollback refills it.
    #[test]
    fn a_not_null_column_dropped_after_archiving() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "users", version = 2)]
            pub struct User {
                #[col(primary_key)]
                pub id: i64,
                #[col(until = 2)]
                pub fax: String,
            }
            "#
        ));
    }
}
