//! The rules that both the annotation checks (`parse::check`, compile errors with a span) and
//! the planner's refusals (`diff`, for histories built without the parser) enforce: each is
//! written once, here, and the two callers only say where.

use std::fmt;

/// A broken rule: what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub problem: String,
    pub fix: String,
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; {}", self.problem, self.fix)
    }
}

fn broken(problem: impl Into<String>, fix: impl Into<String>) -> Broken {
    Broken {
        problem: problem.into(),
        fix: fix.into(),
    }
}

/// A column added to a table that already has rows: those rows need a value when it is NOT
/// NULL, from a default or a backfill.
pub fn added_not_null(
    column: &str,
    version: u32,
    nullable: bool,
    has_default: bool,
    has_backfill: bool,
) -> Result<(), Broken> {
    if nullable || has_default || has_backfill {
        return Ok(());
    }
    Err(broken(
        format!(
            "NOT NULL column `{column}` is added at version {version} to a table that already has rows"
        ),
        "add `default = \"...\"` or `backfill = \"...\"`, or make the field an Option",
    ))
}

/// A primary key column keeps its type: every row and every foreign key that references it
/// would be rewritten.
pub fn primary_key_retyped(column: &str) -> Broken {
    broken(
        format!(
            "the type of primary key column `{column}` cannot change: every row and every foreign key that references it would be rewritten"
        ),
        "keep its type",
    )
}

/// The primary key is the table's first version's: its columns are never added later,
/// renamed or removed.
pub fn primary_key_changed() -> Broken {
    broken(
        "primary key columns exist from the table's first version and are never added later, renamed or removed",
        "changing a primary key is not supported; keep the primary key of the table's first version",
    )
}
