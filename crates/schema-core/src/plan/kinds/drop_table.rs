//! A dropped table (`until = K` on `#[versioned]`): one contract file, after the deploy.
//!
//! The table is not copied: it is moved, whole, into the `migrate_gen_archive` schema, which
//! only changes the catalog (no row is read or written) and keeps every row, index and
//! constraint. In one transaction, under `lock_timeout`:
//!
//! 1. the table's foreign keys to other tables are dropped, so that archived rows never block
//!    a delete in the tables they referenced;
//! 2. its indexes (and the primary key and unique constraints they back) are renamed after the
//!    archive, since index names are unique per schema and another table of the same name (from
//!    another schema) may be archived too;
//! 3. it moves to `migrate_gen_archive` under its own name, then is renamed there to its archive
//!    name `<table>_v<K>` (`<schema>_<table>_v<K>` outside `public`), so that it never meets
//!    another table's name in its own schema;
//! 4. the archive is recorded in the registry with its `keep_until`; `migrate-gen archive
//!    cleanup` drops it once its retention has passed.
//!
//! The rollback moves it back, renames it and its indexes back, removes the registry entry and
//! re-adds the foreign keys `NOT VALID`, then validates them, each in a transaction of its own:
//! the validation scans the table while the referenced tables stay writable. So a table with
//! foreign keys has a rollback that runs statement by statement, each one safe to run again,
//! and the sqlx layout runs it as two migrations.

use super::ChangeKind;
use crate::model::TableModel;
use crate::names;
use crate::plan::{Ctx, Impact, Lock, Phase, Piece, PlannedFile, Risk, Sql, rebuild};
use crate::sql::raw::{self, ARCHIVE_SCHEMA, Verify};
use crate::sql::statements;

/// The archive of table `schema.table` dropped at `version`.
pub fn archive_name(schema: &str, table: &str, version: u32) -> String {
    let suffix = format!("v{version}");
    if schema == "public" {
        names::object_name(&[table], &suffix)
    } else {
        names::object_name(&[schema, table], &suffix)
    }
}

/// The name of index `index` of `table` once the table is archived as `archive`:
/// `users_email_key` becomes `users_v3_email_key`.
fn archived_index(table: &str, archive: &str, index: &str) -> String {
    let rest = index
        .strip_prefix(table)
        .and_then(|r| r.strip_prefix('_'))
        .unwrap_or(index);
    names::shorten(&format!("{archive}_{rest}"))
}

/// `DropTable(model)`: the table, here at its last version, goes at the next one.
pub(super) struct DropTable<'a>(pub &'a TableModel);

impl ChangeKind for DropTable<'_> {
    fn describe(&self) -> String {
        format!("drop table {}", self.0.qualified())
    }

    fn contract_files(&self, ctx: &Ctx) -> Vec<PlannedFile> {
        vec![move_to_archive(ctx, self.0)]
    }
}

/// The contract file that moves `from` (the table at its last version) to the archive.
fn move_to_archive(ctx: &Ctx, from: &TableModel) -> PlannedFile {
    let opts = ctx.opts;
    let (schema, table) = (from.schema.as_str(), from.name.as_str());
    let version = from.version + 1;
    let archive = archive_name(schema, table, version);
    let outgoing: Vec<_> = from
        .foreign_keys
        .iter()
        .filter(|f| !(f.ref_schema == schema && f.ref_table == table))
        .collect();
    // The primary key's index, then the unique and plain ones.
    let indexes: Vec<(String, String)> = (!from.primary_key.is_empty())
        .then(|| names::object_name(&[table], "pkey"))
        .into_iter()
        .chain(from.indexes.iter().map(|i| i.name.clone()))
        .map(|name| {
            let new = archived_index(table, &archive, &name);
            (name, new)
        })
        .collect();

    let mut forward = vec![
        Sql::new(raw::create_archive_schema()),
        Sql::new(raw::archive_registry()),
        Sql::new(raw::archive_registry_grants()),
        Sql::new(raw::guard_archive(&["registry"])),
    ];
    let mut verify = Vec::new();
    for fk in &outgoing {
        forward.push(Sql::ignoring(
            raw::drop_constraint_if_exists(schema, table, &fk.name),
            "ban-drop-constraint",
            "The archived rows must not hold back deletes in the referenced table; the rollback adds the foreign key back and validates it.",
        ));
        verify.push(Verify::ConstraintAbsent {
            schema: ARCHIVE_SCHEMA.into(),
            table: archive.clone(),
            name: fk.name.clone(),
        });
    }
    for (name, new) in &indexes {
        forward.push(Sql::ignoring(
            raw::rename_index(schema, name, new, false),
            "renaming-object",
            "Index names are unique per schema: the table's indexes take names after its archive, which no other archived table has.",
        ));
        verify.push(Verify::Index {
            schema: ARCHIVE_SCHEMA.into(),
            name: new.clone(),
            exists: true,
        });
    }
    forward.push(Sql::ignoring(
        raw::set_schema(schema, table, ARCHIVE_SCHEMA, false),
        "ban-set-schema",
        "Contract: only the old code, which is gone, used the table; it moves whole, without a rewrite, to the archive schema.",
    ));
    forward.push(Sql::ignoring(
        raw::rename_table(ARCHIVE_SCHEMA, table, &archive, false),
        "renaming-table",
        "The table is in the archive schema, where no code uses it: it takes its archive name there.",
    ));
    forward.push(Sql::new(raw::archive_register(
        &archive,
        &from.qualified(),
        version,
        &opts.archive_retention,
    )));
    forward.push(Sql::new(raw::seal_archived_table(&archive)));
    verify.splice(
        0..0,
        [
            Verify::Table {
                schema: schema.into(),
                table: table.into(),
                exists: false,
            },
            Verify::Table {
                schema: ARCHIVE_SCHEMA.into(),
                table: archive.clone(),
                exists: true,
            },
        ],
    );

    // The rollback: back under its name, in its schema, then its foreign keys, validated apart.
    // Without foreign keys to re-add, the rollback is one transaction; else it runs statement
    // by statement, and each one can run again.
    let in_one = outgoing.is_empty();
    let rerunnable = |sql: Sql| {
        if in_one {
            sql
        } else {
            sql.also_ignoring("prefer-robust-stmts", rebuild::RERUNNABLE)
        }
    };
    const BACK: &str =
        "The rollback moves the table back where the old code looks for it, under its own name.";
    let mut rollback = vec![
        rerunnable(Sql::ignoring(
            raw::rename_table(ARCHIVE_SCHEMA, &archive, table, true),
            "renaming-table",
            BACK,
        )),
        rerunnable(Sql::ignoring(
            raw::set_schema(ARCHIVE_SCHEMA, table, schema, true),
            "ban-set-schema",
            BACK,
        )),
    ];
    let mut rollback_verify = vec![
        Verify::Table {
            schema: schema.into(),
            table: table.into(),
            exists: true,
        },
        Verify::Table {
            schema: ARCHIVE_SCHEMA.into(),
            table: archive.clone(),
            exists: false,
        },
    ];
    for (name, new) in &indexes {
        rollback.push(Sql::ignoring(
            raw::rename_index(schema, new, name, true),
            "renaming-object",
            "The indexes take their names back with their table.",
        ));
        rollback_verify.push(Verify::Index {
            schema: schema.into(),
            name: name.clone(),
            exists: true,
        });
    }
    rollback.push(Sql::new(raw::unseal_table(schema, table, &archive)));
    rollback.push(Sql::new(raw::archive_unregister(&archive)));
    let restored = 0..rollback.len();
    let mut validates = Vec::new();
    for fk in &outgoing {
        let add = raw::not_valid(&statements::add_foreign_key(schema, table, fk));
        let [add, validate] =
            rebuild::constraint(schema, table, &fk.name, &add, &mut rollback_verify);
        rollback.push(add);
        validates.push(validate);
    }
    let added = restored.end..rollback.len();
    rollback.extend(validates);
    // For sqlx, which runs each migration as one transaction: the forward file with the
    // validations as its down, then the verification with the move back and the `NOT VALID`
    // foreign keys as its down (downs run newest first).
    let parts = if in_one {
        Vec::new()
    } else {
        vec![
            Piece::new(&forward, &rollback[added.end..]),
            Piece::new(&[], &rollback[..added.end]),
        ]
    };

    let qualified_archive = format!("{ARCHIVE_SCHEMA}.{archive}");
    let fk_note = if in_one {
        String::new()
    } else {
        format!(
            ", re-adds its foreign keys ({}) NOT VALID and then validates them, each statement in its own transaction (the validation fails if a referenced row was deleted after the drop: restore or remove the rows that point to it, then run this again)",
            outgoing
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    PlannedFile {
        slug: "drop".into(),
        title: format!(
            "{table} v{} -> v{version}: drop {table}: move it, with every row and index, to {qualified_archive} (kept {}); the rollback moves it back",
            from.version, opts.archive_retention
        ),
        phase: Phase::Contract,
        transactional: true,
        rollback_transactional: in_one,
        statement_timeout: Some(opts.statement_timeout.clone()),
        forward,
        verify,
        rollback,
        rollback_verify,
        rollback_note: Some(format!(
            "moves {qualified_archive} back to {} with every row it holds, renames its indexes back{fk_note}, and removes it from the archive registry",
            from.qualified()
        )),
        impact: Impact {
            lock: if in_one {
                Lock::MoveTable
            } else {
                Lock::MoveTableWithReferences
            },
            rewrites: false,
            scans: false,
            risk: Risk::Medium,
            why: format!(
                "old code that still uses {table} fails from here on: run it only once the old code is gone"
            ),
        },
        parts,
    }
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use crate::plan::test_utils::plan_source;

    /// The table moves to the archive schema, sealed; the rollback moves it back with its grants.
    #[test]
    fn a_table_moved_whole_to_the_archive() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "sessions", version = 2, until = 2)]
            pub struct Session {
                #[col(primary_key)]
                pub id: i64,
                pub token: String,
            }
            "#
        ));
    }
}
