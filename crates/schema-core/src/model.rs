//! A table as it is at one version: what the diff compares and the verification checks.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub sql_type: String,
    pub nullable: bool,
    /// `DEFAULT` expression.
    pub default: Option<String>,
    /// Expression over the row's other columns that fills the column when it is added.
    pub backfill: Option<String>,
    /// The name the column had in the previous version, when this version renames it.
    pub renamed_from: Option<String>,
    /// The type the column had in the previous version, when this version changes it.
    pub retyped_from: Option<TypeChange>,
    /// `down`: the value a rollback gives to rows that have none (written while the column was
    /// being dropped), over the row's other columns. Only rollbacks use it; it is not part of
    /// the fingerprint.
    pub down: Option<String>,
}

/// How a column's values change type at one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeChange {
    /// The previous PostgreSQL type.
    pub from: String,
    /// Expression over the old column (by its name) giving the new value; `None`: a cast.
    pub using: Option<String>,
    /// Expression over the new column (by its name) giving the old value; `None`: a cast.
    pub reverse: Option<String>,
}

/// An index; `unique` ones are unique constraints backed by the index of the same name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub columns: Vec<String>,
    pub unique: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<String>,
    pub ref_schema: String,
    pub ref_table: String,
    pub ref_columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub expr: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableModel {
    pub schema: String,
    pub name: String,
    pub version: u32,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    pub indexes: Vec<Index>,
    pub foreign_keys: Vec<ForeignKey>,
    pub checks: Vec<Check>,
}

impl TableModel {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// `schema.table`, unquoted, for messages.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }

    /// A stable digest of everything that shapes the generated SQL, used by the manifest
    /// to notice that the history of an already emitted version was edited.
    pub fn fingerprint(&self) -> String {
        let mut text = String::new();
        let _ = write!(
            text,
            "{}.{}|pk={:?}",
            self.schema, self.name, self.primary_key
        );
        for c in &self.columns {
            let _ = write!(
                text,
                "|col {} {} null={} default={:?} backfill={:?}",
                c.name, c.sql_type, c.nullable, c.default, c.backfill
            );
            if let Some(old) = &c.renamed_from {
                let _ = write!(text, " renamed_from={old}");
            }
            if let Some(t) = &c.retyped_from {
                let _ = write!(
                    text,
                    " retyped_from={} using={:?} reverse={:?}",
                    t.from, t.using, t.reverse
                );
            }
        }
        for i in &self.indexes {
            let _ = write!(
                text,
                "|index {} {:?} unique={}",
                i.name, i.columns, i.unique
            );
        }
        for f in &self.foreign_keys {
            let _ = write!(
                text,
                "|fk {} {:?} {}.{} {:?}",
                f.name, f.columns, f.ref_schema, f.ref_table, f.ref_columns
            );
        }
        for c in &self.checks {
            let _ = write!(text, "|check {} {}", c.name, c.expr);
        }
        hex(&Sha256::digest(text.as_bytes()))[..16].to_owned()
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
