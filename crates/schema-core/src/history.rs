//! The parsed history of one table: everything the annotations say, without spans.
//!
//! The macro and the generator both build this from source through [`crate::parse`];
//! [`TableHistory::model_at`] turns it into the table as it is at one version.

use crate::model::{Check, Column, ForeignKey, Index, TableModel, TypeChange};
use crate::names;

/// A `references = "table(column)"` target.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    pub schema: String,
    pub table: String,
    pub column: String,
    /// `on_delete`: the `ON DELETE` action (`cascade`, `set null`, ...).
    pub on_delete: Option<String>,
    /// `on_update`: the `ON UPDATE` action.
    pub on_update: Option<String>,
}

/// An index or constraint declared beside `#[versioned]` (`#[index]`, `#[unique]`, `#[check]`,
/// `#[foreign_key]`), with a life of its own: from `since` to the version before `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableObject {
    pub kind: ObjectKind,
    /// `name = "..."`; without it the name is made from the table's name at each version (so
    /// it follows a table rename), the keys, and `tag`.
    pub name: Option<String>,
    /// What tells a made name from another object's that would be the same (`v3`, the version
    /// it comes at).
    pub tag: Option<String>,
    pub since: u32,
    pub until: Option<u32>,
}

/// What a [`TableObject`] is. Its own name inside is left empty: [`TableObject::name_at`] gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectKind {
    /// An index (`#[index]`), or a unique constraint backed by one (`#[unique]`, `unique` set).
    Index(Index),
    Check(Check),
    ForeignKey(ForeignKey),
}

impl TableObject {
    /// Whether the object exists at `version`.
    pub fn exists_at(&self, version: u32) -> bool {
        version >= self.since && self.until.is_none_or(|until| version < until)
    }

    /// The attribute that declares it, for messages.
    pub fn attribute(&self) -> &'static str {
        match &self.kind {
            ObjectKind::Index(i) if i.unique => "unique",
            ObjectKind::Index(_) => "index",
            ObjectKind::Check(_) => "check",
            ObjectKind::ForeignKey(_) => "foreign_key",
        }
    }

    /// The name it takes when the table is called `table`: its own, or one made from the table
    /// and its keys (`orders_customer_id_created_at_idx`), at most 63 bytes.
    pub fn name_at(&self, table: &str) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        let (keys, suffix): (Vec<String>, &str) = match &self.kind {
            ObjectKind::Index(i) => (
                match &i.expr {
                    Some(expr) => vec![names::words(expr)],
                    None => i.columns.clone(),
                },
                if i.unique { "key" } else { "idx" },
            ),
            ObjectKind::Check(c) => (vec![names::words(&c.expr)], "check"),
            ObjectKind::ForeignKey(f) => (f.columns.clone(), "fkey"),
        };
        let mut parts: Vec<&str> = vec![table];
        parts.extend(keys.iter().map(String::as_str));
        parts.extend(self.tag.as_deref());
        names::object_name(&parts, suffix)
    }

    /// Adds the object, named for `table`, to `model`.
    fn add_to(&self, model: &mut TableModel) {
        let name = self.name_at(&model.name);
        match &self.kind {
            ObjectKind::Index(i) => model.indexes.push(Index { name, ..i.clone() }),
            ObjectKind::Check(c) => model.checks.push(Check { name, ..c.clone() }),
            ObjectKind::ForeignKey(f) => model.foreign_keys.push(ForeignKey { name, ..f.clone() }),
        }
    }
}

/// A type change (`retyped_at`, `old_type` / `old_sql_type`, `using`, `reverse`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Retype {
    /// The first version with the field's own type.
    pub at: u32,
    /// The PostgreSQL type before `at`.
    pub old_sql_type: String,
    /// SQL expression over the old column (by its name) that gives the new value; `None`:
    /// PostgreSQL's implicit or assignment cast.
    pub using: Option<String>,
    /// SQL expression over the new column (by its name) that gives the old value, for rows
    /// that new code writes during the transition and for rollbacks; `None`: the cast.
    pub reverse: Option<String>,
}

/// One annotated field across all versions of its table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldHistory {
    /// The Rust field name in the latest version that has the field.
    pub rust_name: String,
    /// The column name from `renamed_at` on (or always, without a rename).
    pub column: String,
    /// The PostgreSQL type (`sql_type`, or mapped from the Rust type).
    pub sql_type: String,
    /// Nullable in the latest versions (from `nullable_change` on, when given).
    pub nullable: bool,
    /// `optional_at = K`: the column is NOT NULL below K.
    pub nullable_change: Option<u32>,
    pub primary_key: bool,
    pub unique: bool,
    pub index: bool,
    /// First version that has the column.
    pub since: u32,
    /// First version that no longer has the column.
    pub until: Option<u32>,
    /// `(old_name, renamed_at)`.
    pub renamed_from: Option<(String, u32)>,
    /// The type the column had before `retyped_at`.
    pub retyped: Option<Retype>,
    /// The default from `default_change`'s version on (or always, without one).
    pub default: Option<String>,
    /// `default_at = K` with `old_default`: the version whose default is `default`, and the
    /// default of the versions before it (`None`: none).
    pub default_change: Option<(u32, Option<String>)>,
    pub backfill: Option<String>,
    /// `down`: what a rollback gives to rows left without a value (see [`Column::down`]).
    pub down: Option<String>,
    /// `identity`: the column is an identity column (from the table's creation).
    pub identity: Option<crate::model::Identity>,
    pub references: Option<Reference>,
    pub check: Option<String>,
}

impl FieldHistory {
    /// A plain column from version `since` on, without keys; set the other fields as needed.
    pub fn new(column: &str, sql_type: &str, nullable: bool, since: u32) -> FieldHistory {
        FieldHistory {
            rust_name: column.into(),
            column: column.into(),
            sql_type: sql_type.into(),
            nullable,
            nullable_change: None,
            primary_key: false,
            unique: false,
            index: false,
            since,
            until: None,
            renamed_from: None,
            retyped: None,
            default: None,
            default_change: None,
            backfill: None,
            down: None,
            identity: None,
            references: None,
            check: None,
        }
    }

    /// Whether the column exists at `version`.
    pub fn exists_at(&self, version: u32) -> bool {
        version >= self.since && self.until.is_none_or(|until| version < until)
    }

    /// The PostgreSQL type at `version`.
    pub fn sql_type_at(&self, version: u32) -> &str {
        match &self.retyped {
            Some(r) if version < r.at => &r.old_sql_type,
            _ => &self.sql_type,
        }
    }

    /// Whether the column is nullable at `version`.
    pub fn nullable_at(&self, version: u32) -> bool {
        match self.nullable_change {
            Some(at) if version < at => !self.nullable,
            _ => self.nullable,
        }
    }

    /// The default at `version`.
    pub fn default_at(&self, version: u32) -> Option<&str> {
        match &self.default_change {
            Some((at, old)) if version < *at => old.as_deref(),
            _ => self.default.as_deref(),
        }
    }

    /// The column name at `version`.
    pub fn column_at(&self, version: u32) -> &str {
        match &self.renamed_from {
            Some((old, at)) if version < *at => old,
            _ => &self.column,
        }
    }
}

/// One `#[versioned]` struct: a table across its versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableHistory {
    /// The Rust struct name.
    pub rust_name: String,
    pub schema: String,
    pub table: String,
    /// Version at which the table is created.
    pub since: u32,
    /// Latest version of the struct (`version` of `#[versioned]`).
    pub version: u32,
    /// Version at which the table is dropped (`until` of `#[versioned]`): it exists in the
    /// versions below.
    pub until: Option<u32>,
    /// `(old_name, renamed_at)` of `renamed_from`/`renamed_at` on `#[versioned]`: the table
    /// is called `old_name` below `renamed_at`.
    pub renamed_from: Option<(String, u32)>,
    pub fields: Vec<FieldHistory>,
    /// The indexes and constraints declared beside `#[versioned]`, in the order written.
    pub objects: Vec<TableObject>,
    /// `#[raw_sql]` steps, in the attributes' order.
    pub raw_sql: Vec<crate::raw_sql::RawStep>,
}

impl TableHistory {
    /// Names each table that `model` references as it is called at `version` among `all` (the
    /// crate's tables): a table renamed at or before `version` by its new name, before that by
    /// its old one, whichever of its names the reference uses. So the two models of a step
    /// name a renamed table alike, and statements name the table that exists when they run.
    pub fn name_references(model: &mut TableModel, version: u32, all: &[TableHistory]) {
        for fk in &mut model.foreign_keys {
            if let Some(h) = all
                .iter()
                .find(|h| h.answers_to(&fk.ref_schema, &fk.ref_table))
            {
                fk.ref_table = h.table_at(version).to_owned();
            }
        }
    }

    /// Whether `schema.table` names this table: by its name, or by its old one when renamed.
    pub fn answers_to(&self, schema: &str, table: &str) -> bool {
        self.schema == schema
            && (self.table == table
                || self
                    .renamed_from
                    .as_ref()
                    .is_some_and(|(old, _)| old == table))
    }

    /// The table's name at `version`: its old name before a rename.
    pub fn table_at(&self, version: u32) -> &str {
        match &self.renamed_from {
            Some((old, at)) if version < *at => old,
            _ => &self.table,
        }
    }

    /// The versions at which the table exists, oldest first.
    pub fn versions(&self) -> std::ops::RangeInclusive<u32> {
        self.since..=self.last_version()
    }

    /// The last version at which the table exists: `version`, or the one before `until`.
    pub fn last_version(&self) -> u32 {
        self.until.map_or(self.version, |until| until - 1)
    }

    /// The table at `version`, or at its last version when `version` is later (a table keeps
    /// its latest shape at later versions of other tables); `None` before it is created and
    /// from the version that drops it on.
    pub fn model_as_of(&self, version: u32) -> Option<TableModel> {
        self.model_at(version.min(self.last_version()))
            .filter(|_| self.until.is_none_or(|until| version < until))
    }

    /// The table as it is at `version`, or `None` outside its versions.
    pub fn model_at(&self, version: u32) -> Option<TableModel> {
        if !self.versions().contains(&version) {
            return None;
        }
        let table = self.table_at(version);
        let mut model = TableModel {
            schema: self.schema.clone(),
            name: table.to_owned(),
            version,
            columns: Vec::new(),
            primary_key: Vec::new(),
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            raw_sql: self
                .raw_sql
                .iter()
                .filter(|r| r.at == version)
                .cloned()
                .collect(),
        };
        for field in self.fields.iter().filter(|f| f.exists_at(version)) {
            let col = field.column_at(version).to_owned();
            model.columns.push(Column {
                name: col.clone(),
                sql_type: field.sql_type_at(version).to_owned(),
                nullable: field.nullable_at(version),
                default: field.default_at(version).map(str::to_owned),
                backfill: field.backfill.clone(),
                down: field.down.clone(),
                identity: field.identity,
                renamed_from: field
                    .renamed_from
                    .as_ref()
                    .filter(|(_, at)| *at == version)
                    .map(|(old, _)| old.clone()),
                retyped_from: field.retyped.as_ref().filter(|r| r.at == version).map(|r| {
                    TypeChange {
                        from: r.old_sql_type.clone(),
                        using: r.using.clone(),
                        reverse: r.reverse.clone(),
                    }
                }),
            });
            if field.primary_key {
                model.primary_key.push(col.clone());
            }
            if field.unique || field.index {
                let suffix = if field.unique { "key" } else { "idx" };
                model.indexes.push(Index::on(
                    names::object_name(&[table, &col], suffix),
                    vec![col.clone()],
                    field.unique,
                ));
            }
            if let Some(reference) = &field.references {
                model.foreign_keys.push(ForeignKey {
                    name: names::object_name(&[table, &col], "fkey"),
                    columns: vec![col.clone()],
                    ref_schema: reference.schema.clone(),
                    ref_table: reference.table.clone(),
                    ref_columns: vec![reference.column.clone()],
                    on_delete: reference.on_delete.clone(),
                    on_update: reference.on_update.clone(),
                });
            }
            if let Some(expr) = &field.check {
                model.checks.push(Check {
                    name: names::object_name(&[table, &col], "check"),
                    expr: expr.clone(),
                });
            }
        }
        for object in self.objects.iter().filter(|o| o.exists_at(version)) {
            object.add_to(&mut model);
        }
        Some(model)
    }
}
