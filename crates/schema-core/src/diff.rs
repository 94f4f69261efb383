//! The typed list of changes between two consecutive versions of a table.
//!
//! Only additive changes are planned so far; anything else is refused with a message that
//! names the table, the column, the version and the fix.

use std::fmt;

use crate::model::{Check, Column, ForeignKey, Index, TableModel};
use crate::rules;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The table is created at this version.
    CreateTable(TableModel),
    AddColumn(Column),
    /// The column is removed: archived and dropped in the contract phase.
    DropColumn(Column),
    /// `old` is renamed to `new` (same type): expand/contract with a two-way sync trigger.
    RenameColumn {
        old: Column,
        new: Column,
    },
    /// The column's type changes. `in_place`: PostgreSQL changes it in the catalog alone
    /// (a wider `varchar`, say); otherwise expand/contract through a shadow column, a
    /// converting trigger and a view for the new code.
    ChangeType {
        old: Column,
        new: Column,
        in_place: bool,
    },
    /// A non-unique index.
    AddIndex(Index),
    /// A unique constraint, backed by an index built concurrently.
    AddUnique(Index),
    AddForeignKey(ForeignKey),
    AddCheck(Check),
    /// `optional_at`: the column becomes nullable, once the old code (which cannot read NULL)
    /// is gone.
    DropNotNull(Column),
    /// `required_at`: the column becomes NOT NULL, its NULL rows filled first (`backfill`, else
    /// the default) when it has a fill.
    SetNotNull(Column),
    /// `default_at`: the column's default becomes `column.default` (none: dropped); `old` is
    /// the one before.
    ChangeDefault {
        column: Column,
        old: Option<String>,
    },
    /// `until` on the struct: the table (here at its last version) is moved whole to the
    /// archive once the old code is gone.
    DropTable(TableModel),
    /// `renamed_from`/`renamed_at` on the struct: the table `from` takes the name of `to`, in
    /// a version that changes nothing else of it.
    RenameTable {
        from: TableModel,
        to: TableModel,
    },
    /// `until` on a struct-level `#[index]` or `#[unique]`: the index (or the unique constraint
    /// and its index) is dropped once the old code is gone.
    DropIndex(Index),
    /// `until` on a struct-level `#[foreign_key]`.
    DropForeignKey(ForeignKey),
    /// `until` on a struct-level `#[check]`.
    DropCheck(Check),
    /// `#[raw_sql]` at this version: statements written by hand, in a file of their own.
    RawSql(crate::raw_sql::RawStep),
}

/// A change the planner cannot make safely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `schema.table`.
    pub table: String,
    pub column: Option<String>,
    pub version: u32,
    pub problem: String,
    pub fix: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} version {}", self.table, self.version)?;
        if let Some(c) = &self.column {
            write!(f, ", column `{c}`")?;
        }
        write!(f, ": {}; {}", self.problem, self.fix)
    }
}

impl std::error::Error for Refusal {}

/// Whether `from` and `to` are the same table but for its name and the names of its objects,
/// which follow the table's.
fn same_shape(from: &TableModel, to: &TableModel) -> bool {
    let pairs = |a: usize, b: usize| a == b;
    from.schema == to.schema
        && from.columns == to.columns
        && from.primary_key == to.primary_key
        && pairs(from.indexes.len(), to.indexes.len())
        && from
            .indexes
            .iter()
            .zip(&to.indexes)
            .all(|(a, b)| a.same_definition(b))
        && pairs(from.foreign_keys.len(), to.foreign_keys.len())
        && from
            .foreign_keys
            .iter()
            .zip(&to.foreign_keys)
            .all(|(a, b)| {
                a.columns == b.columns
                    && a.ref_schema == b.ref_schema
                    && a.on_delete == b.on_delete
                    && a.on_update == b.on_update
                    && a.ref_columns == b.ref_columns
                    && (a.ref_table == b.ref_table
                        || (a.ref_table == from.name && b.ref_table == to.name))
            })
        && pairs(from.checks.len(), to.checks.len())
        && from
            .checks
            .iter()
            .zip(&to.checks)
            .all(|(a, b)| a.expr == b.expr)
}

/// The changes that turn `from` (absent: the table does not exist yet) into `to`.
pub fn diff(from: Option<&TableModel>, to: &TableModel) -> Result<Vec<Change>, Refusal> {
    let Some(from) = from else {
        return Ok(vec![Change::CreateTable(to.clone())]);
    };
    let refuse = |column: Option<&str>, problem: String, fix: &str| Refusal {
        table: to.qualified(),
        column: column.map(str::to_owned),
        version: to.version,
        problem,
        fix: fix.to_owned(),
    };
    let broke = |column: Option<&str>, rule: rules::Broken| refuse(column, rule.problem, &rule.fix);
    let not_yet = "annotate the type change (`retyped_at`, `old_type`), or add the new column under a new name in a new version";

    if from.name != to.name {
        if !same_shape(from, to) {
            return Err(refuse(
                None,
                format!(
                    "the table is renamed from {} and changes otherwise too",
                    from.name
                ),
                "rename the table in a version of its own",
            ));
        }
        return Ok(vec![Change::RenameTable {
            from: from.clone(),
            to: to.clone(),
        }]);
    }

    if from.primary_key != to.primary_key {
        return Err(broke(
            to.primary_key.first().map(String::as_str),
            rules::primary_key_changed(),
        ));
    }
    let mut changes = Vec::new();
    let mut renamed_away: Vec<&str> = Vec::new();
    for old in &from.columns {
        let Some(new) = to.column(&old.name) else {
            let Some(new) = to
                .columns
                .iter()
                .find(|c| c.renamed_from.as_deref() == Some(&old.name))
            else {
                if from.primary_key.contains(&old.name) {
                    return Err(broke(Some(&old.name), rules::primary_key_changed()));
                }
                renamed_away.push(&old.name);
                changes.push(Change::DropColumn(old.clone()));
                continue;
            };
            if old.sql_type != new.sql_type
                || old.nullable != new.nullable
                || old.default != new.default
            {
                return Err(refuse(
                    Some(&new.name),
                    format!(
                        "the rename from `{}` also changes the type, nullability or default",
                        old.name
                    ),
                    "rename in one version and change the column in a later one",
                ));
            }
            if to
                .checks
                .iter()
                .any(|c| c.name == crate::names::object_name(&[&to.name, &new.name], "check"))
            {
                return Err(refuse(
                    Some(&new.name),
                    "a renamed column has a `check`, whose expression names the column".into(),
                    "remove the check from the renamed field (a check on a renamed column is not supported)",
                ));
            }
            renamed_away.push(&old.name);
            changes.push(Change::RenameColumn {
                old: old.clone(),
                new: new.clone(),
            });
            continue;
        };
        if old.sql_type != new.sql_type
            && let Some(change) = &new.retyped_from
        {
            if from.primary_key.contains(&old.name) {
                return Err(broke(
                    Some(&old.name),
                    rules::primary_key_retyped(&old.name),
                ));
            }
            if old.nullable != new.nullable {
                return Err(refuse(
                    Some(&old.name),
                    "the type change also changes the column's nullability".into(),
                    "change the type in one version and the nullability in another",
                ));
            }
            let in_place = change.using.is_none()
                && crate::types::changes_in_place(&old.sql_type, &new.sql_type);
            changes.push(Change::ChangeType {
                old: old.clone(),
                new: new.clone(),
                in_place,
            });
            continue;
        }
        if old.sql_type != new.sql_type {
            return Err(refuse(
                Some(&old.name),
                format!("the type changes from {} to {}", old.sql_type, new.sql_type),
                not_yet,
            ));
        }
        if !old.nullable && new.nullable {
            changes.push(Change::DropNotNull(new.clone()));
        } else if old.nullable && !new.nullable {
            changes.push(Change::SetNotNull(new.clone()));
        }
        if old.default != new.default {
            changes.push(Change::ChangeDefault {
                column: new.clone(),
                old: old.default.clone(),
            });
        }
    }
    for col in to
        .columns
        .iter()
        .filter(|c| from.column(&c.name).is_none() && c.renamed_from.is_none())
    {
        rules::added_not_null(
            &col.name,
            to.version,
            col.nullable,
            col.default.is_some(),
            col.backfill.is_some(),
        )
        .map_err(|rule| broke(Some(&col.name), rule))?;
        changes.push(Change::AddColumn(col.clone()));
    }
    // What belongs to a renamed or dropped column goes with it; a rename rebuilds it on the new one.
    let on_renamed = |cols: &[String]| cols.iter().any(|c| renamed_away.contains(&c.as_str()));
    // What a struct-level attribute ends (`until`): dropped once the old code is gone. A
    // changed one is a drop plus a new one under another name, built first.
    for index in from
        .indexes
        .iter()
        .filter(|i| !to.indexes.contains(i) && !on_renamed(&i.columns))
    {
        changes.push(Change::DropIndex(index.clone()));
    }
    for fk in from
        .foreign_keys
        .iter()
        .filter(|f| !to.foreign_keys.contains(f) && !on_renamed(&f.columns))
    {
        changes.push(Change::DropForeignKey(fk.clone()));
    }
    for check in from.checks.iter().filter(|c| {
        !to.checks.contains(c)
            && !renamed_away
                .iter()
                .any(|r| c.name == crate::names::object_name(&[&from.name, r], "check"))
    }) {
        changes.push(Change::DropCheck(check.clone()));
    }
    for index in to.indexes.iter().filter(|i| !from.indexes.contains(i)) {
        changes.push(if index.unique {
            Change::AddUnique(index.clone())
        } else {
            Change::AddIndex(index.clone())
        });
    }
    for fk in to
        .foreign_keys
        .iter()
        .filter(|f| !from.foreign_keys.contains(f))
    {
        changes.push(Change::AddForeignKey(fk.clone()));
    }
    for check in to.checks.iter().filter(|c| !from.checks.contains(c)) {
        changes.push(Change::AddCheck(check.clone()));
    }
    Ok(changes)
}

/// The raw SQL steps of `to`'s version, after its other changes, in the attributes' order.
pub fn raw_sql(to: &TableModel) -> impl Iterator<Item = Change> + '_ {
    to.raw_sql.iter().cloned().map(Change::RawSql)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{FieldHistory, TableHistory};

    fn field(name: &str, ty: &str, nullable: bool, since: u32) -> FieldHistory {
        FieldHistory::new(name, ty, nullable, since)
    }

    fn users() -> TableHistory {
        let mut id = field("id", "bigint", false, 1);
        id.primary_key = true;
        let mut email = field("email", "text", false, 1);
        email.unique = true;
        let mut name = field("display_name", "text", false, 2);
        name.backfill = Some("split_part(email, '@', 1)".into());
        let mut org = field("org_id", "bigint", true, 2);
        org.index = true;
        org.references = Some(crate::Reference {
            schema: "public".into(),
            table: "orgs".into(),
            column: "id".into(),
            on_delete: None,
            on_update: None,
        });
        TableHistory {
            rust_name: "User".into(),
            schema: "public".into(),
            table: "users".into(),
            since: 1,
            version: 2,
            until: None,
            renamed_from: None,
            fields: vec![id, email, name, org],
            objects: Vec::new(),
            raw_sql: Vec::new(),
        }
    }

    #[test]
    fn a_renamed_table_is_one_change_and_a_rename_with_other_changes_is_refused() {
        // Renamed at 3, where nothing else changes: one change, objects paired by position.
        let mut h = users();
        h.version = 3;
        h.table = "accounts".into();
        h.renamed_from = Some(("users".into(), 3));
        let (v2, v3) = (h.model_at(2).unwrap(), h.model_at(3).unwrap());
        assert_eq!((v2.name.as_str(), v3.name.as_str()), ("users", "accounts"));
        assert_eq!(
            diff(Some(&v2), &v3).unwrap(),
            vec![Change::RenameTable {
                from: v2.clone(),
                to: v3.clone()
            }]
        );
        // Renamed at 2, where columns are added too (a history built without the parser,
        // which refuses this at compile time).
        h.renamed_from = Some(("users".into(), 2));
        let err = diff(h.model_at(1).as_ref(), &h.model_at(2).unwrap())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "public.accounts version 2: the table is renamed from users and changes otherwise too; rename the table in a version of its own"
        );
    }

    #[test]
    fn references_name_a_renamed_table_as_it_is_called_at_each_version() {
        let mut orgs = users();
        orgs.table = "orgs_new".into();
        orgs.renamed_from = Some(("orgs".into(), 2));
        // `users` references `orgs`, its old name; at 1 that is its name, from 2 the new one.
        let all = [users(), orgs];
        let at = |v: u32| {
            let mut m = all[0].model_at(v.min(2)).unwrap();
            TableHistory::name_references(&mut m, v, &all);
            m.foreign_keys
                .iter()
                .map(|f| f.ref_table.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(at(1), Vec::<String>::new(), "no reference at 1");
        assert_eq!(at(2), ["orgs_new"]);
        let mut m = all[0].model_at(2).unwrap();
        TableHistory::name_references(&mut m, 1, &all);
        assert_eq!(
            m.foreign_keys[0].ref_table, "orgs",
            "before the rename, the old name"
        );
    }

    #[test]
    fn first_version_is_a_create() {
        let h = users();
        let v1 = h.model_at(1).unwrap();
        assert_eq!(
            diff(None, &v1).unwrap(),
            vec![Change::CreateTable(v1.clone())]
        );
    }

    #[test]
    fn added_columns_bring_their_index_and_foreign_key() {
        let h = users();
        let changes = diff(h.model_at(1).as_ref(), &h.model_at(2).unwrap()).unwrap();
        let kinds: Vec<String> = changes
            .iter()
            .map(|c| match c {
                Change::AddColumn(c) => format!("column {}", c.name),
                Change::AddIndex(i) => format!("index {}", i.name),
                Change::AddForeignKey(f) => format!("fk {}", f.name),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "column display_name",
                "column org_id",
                "index users_org_id_idx",
                "fk users_org_id_fkey"
            ]
        );
    }

    #[test]
    fn type_change_is_refused_with_table_column_version_and_fix() {
        let h = users();
        let v1 = h.model_at(1).unwrap();
        let mut v2 = h.model_at(2).unwrap();
        v2.columns[1].sql_type = "varchar(100)".into();
        let err = diff(Some(&v1), &v2).unwrap_err();
        assert_eq!(err.table, "public.users");
        assert_eq!(err.column.as_deref(), Some("email"));
        assert_eq!(err.version, 2);
        assert!(
            err.to_string()
                .contains("the type changes from text to varchar(100)"),
            "{err}"
        );
        assert!(err.to_string().contains("retyped_at"), "{err}");
    }

    #[test]
    fn an_annotated_type_change_is_in_place_only_where_postgres_rewrites_nothing() {
        let h = |old: &str, new: &str, using: Option<&str>| {
            let mut code = field("code", new, false, 1);
            code.retyped = Some(crate::Retype {
                at: 2,
                old_sql_type: old.into(),
                using: using.map(str::to_owned),
                reverse: None,
            });
            let mut id = field("id", "bigint", false, 1);
            id.primary_key = true;
            let t = TableHistory {
                rust_name: "T".into(),
                schema: "public".into(),
                table: "t".into(),
                since: 1,
                version: 2,
                until: None,
                renamed_from: None,
                fields: vec![id, code],
                objects: Vec::new(),
                raw_sql: Vec::new(),
            };
            diff(t.model_at(1).as_ref(), &t.model_at(2).unwrap()).unwrap()
        };
        let in_place = |changes: Vec<Change>| match changes.as_slice() {
            [Change::ChangeType { in_place, old, new }] => {
                assert_ne!(old.sql_type, new.sql_type);
                *in_place
            }
            other => panic!("{other:?}"),
        };
        assert!(in_place(h("varchar(80)", "varchar(200)", None)));
        assert!(in_place(h("varchar(80)", "text", None)));
        assert!(!in_place(h("integer", "bigint", None)));
        assert!(!in_place(h("varchar(200)", "varchar(80)", None)));
        // A `using` is a conversion: never in place.
        assert!(!in_place(h("varchar(80)", "text", Some("upper(code)"))));
    }

    #[test]
    fn not_null_without_fill_is_refused() {
        let h = users();
        let v1 = h.model_at(1).unwrap();
        let mut v2 = h.model_at(2).unwrap();
        v2.columns[2].backfill = None;
        let err = diff(Some(&v1), &v2).unwrap_err();
        assert_eq!(err.column.as_deref(), Some("display_name"));
        assert!(err.fix.contains("backfill"));
    }

    #[test]
    fn primary_key_change_and_removal_are_refused() {
        let h = users();
        let v1 = h.model_at(1).unwrap();
        let mut v2 = v1.clone();
        v2.version = 2;
        v2.primary_key = vec!["email".into()];
        assert!(
            diff(Some(&v1), &v2)
                .unwrap_err()
                .problem
                .contains("primary key")
        );
        // Removing a column is a drop; removing a primary key column is refused.
        let mut v2 = v1.clone();
        v2.version = 2;
        v2.columns.remove(1);
        v2.indexes.clear();
        assert!(matches!(
            diff(Some(&v1), &v2).unwrap().as_slice(),
            [Change::DropColumn(c)] if c.name == "email"
        ));
        let mut v2 = v1.clone();
        v2.version = 2;
        v2.columns.remove(0);
        v2.primary_key.clear();
        let err = diff(Some(&v1), &v2).unwrap_err();
        assert!(err.problem.contains("primary key"), "{err}");
    }
}
