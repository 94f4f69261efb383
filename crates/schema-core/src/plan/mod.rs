//! From a typed change list to phased migration files, each with its rollback, lock level
//! and risk.
//!
//! Every change kind lives in its own module and contributes [`Fragment`]s to the stages of a
//! version step:
//!
//! 1. `expand` (one transaction): catalog-only changes (columns, fill triggers, `NOT VALID`
//!    constraints);
//! 2. `backfill` (no transaction): existing rows filled in batches, one commit per batch;
//! 3. `index_*` / `unique_*` (no transaction, one file each): concurrent index builds;
//! 4. `validate` (one transaction): `VALIDATE CONSTRAINT`, `SET NOT NULL`;
//! 5. `contract` (one transaction, after the deploy): helpers the old code needed are dropped;
//!    renames, type changes and drops have contract files of their own.
//!
//! Each change kind is one file of [`kinds`], implementing [`kinds::ChangeKind`] with a method
//! per stage. A table dropped at a version (`until` on the struct) is a step of its own
//! ([`plan_drop`]), whose one change is [`Change::DropTable`]: there is no model at that
//! version to diff against.

mod backfill;
pub mod enum_step;
pub mod kinds;
mod not_valid;
pub mod order;
mod rebuild;
#[cfg(all(test, feature = "parser"))]
pub(crate) mod test_utils;

use std::fmt;

pub use kinds::{drop_column, drop_table};

use crate::diff::{self, Change, Refusal};
use crate::model::TableModel;
use crate::sql::raw::{self, Verify};

/// When a file runs relative to the deploy of the new code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Before the new code ships; the old code keeps working.
    Expand,
    /// Before the new code ships: fills existing rows in batches.
    Backfill,
    /// After the old code is gone.
    Contract,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Expand => "expand",
            Phase::Backfill => "backfill",
            Phase::Contract => "contract",
        }
    }

    pub fn parse(s: &str) -> Option<Phase> {
        [Phase::Expand, Phase::Backfill, Phase::Contract]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Risk {
    Low,
    Medium,
    High,
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
        })
    }
}

/// One SQL statement with its properties: the squawk rules it deliberately breaks and why,
/// and whether it must run alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sql {
    pub text: String,
    /// `(rule, reason)` pairs.
    pub squawk_ignore: Vec<(&'static str, &'static str)>,
    /// It cannot run in a transaction block, nor beside another statement in one message:
    /// `CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, a batched walk that commits per
    /// batch. Layouts that run a migration as one message (sqlx) give it a migration of its own.
    pub alone: bool,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            squawk_ignore: Vec::new(),
            alone: false,
        }
    }

    /// A statement that breaks squawk's `rule` on purpose, for `reason`.
    pub fn ignoring(text: impl Into<String>, rule: &'static str, reason: &'static str) -> Sql {
        Sql {
            text: text.into(),
            squawk_ignore: vec![(rule, reason)],
            alone: false,
        }
    }

    /// The statement must run alone ([`Sql::alone`]).
    pub fn run_alone(mut self) -> Sql {
        self.alone = true;
        self
    }

    /// The statement breaks squawk's `rule` too, for `reason`.
    pub fn also_ignoring(mut self, rule: &'static str, reason: &'static str) -> Sql {
        self.squawk_ignore.push((rule, reason));
        self
    }

    /// Declares columns of these types: squawk's rules about type choices are the user's
    /// call (their Rust type or `sql_type`), not the migration's.
    pub fn declaring<'a>(mut self, types: impl IntoIterator<Item = &'a str>) -> Sql {
        const REASON: &str =
            "The column types are the struct's own choice (its Rust type or sql_type).";
        for ty in types {
            let ty = ty.trim_end_matches("[]").to_ascii_lowercase();
            let rules: &[&str] = match ty.as_str() {
                "integer" | "int" | "int4" => &["prefer-bigint-over-int"],
                "serial" | "serial4" => &["prefer-bigint-over-int", "prefer-identity"],
                "smallint" | "int2" => &["prefer-bigint-over-smallint"],
                "smallserial" | "serial2" => &["prefer-bigint-over-smallint", "prefer-identity"],
                "bigserial" | "serial8" => &["prefer-identity"],
                "timestamp" | "timestamp without time zone" => &["prefer-timestamptz"],
                t if t.starts_with("varchar") || t.starts_with("character varying") => {
                    &["prefer-text-field"]
                }
                t if t.starts_with("char") || t.starts_with("character") => &["ban-char-field"],
                _ => continue,
            };
            for rule in rules {
                if !self.squawk_ignore.iter().any(|(r, _)| r == rule) {
                    self.squawk_ignore.push((rule, REASON));
                }
            }
        }
        self
    }
}

/// What one change contributes to one file.
#[derive(Debug, Clone, Default)]
pub struct Fragment {
    /// For the file's title, e.g. "add display_name (backfilled)".
    pub summary: String,
    pub forward: Vec<Sql>,
    pub verify: Vec<Verify>,
    /// Undoes `forward`, in the order to run.
    pub rollback: Vec<Sql>,
    pub rollback_verify: Vec<Verify>,
}

/// PostgreSQL's table lock modes that migrations take, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LockMode {
    /// Nothing on tables that exist (a new table).
    None,
    AccessShare,
    RowExclusive,
    ShareUpdateExclusive,
    ShareRowExclusive,
    AccessExclusive,
}

/// The locks one file takes, as a kind of file: what `plan` and each file's header say, and
/// the strongest mode it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// A new table without foreign keys.
    NewTable,
    /// A new table with foreign keys: a brief lock on the tables they reference.
    NewTableWithReferences,
    /// Catalog-only changes in one transaction.
    CatalogOnly,
    /// A batched fill: row locks one batch at a time.
    RowBatches,
    /// `CREATE INDEX CONCURRENTLY`.
    ConcurrentBuild,
    /// `DROP INDEX CONCURRENTLY`.
    ConcurrentDrop,
    /// A unique index built concurrently, then attached as the constraint.
    ConcurrentBuildThenAttach,
    /// `VALIDATE CONSTRAINT`, then `SET NOT NULL` with no scan.
    Validate,
    /// `VALIDATE CONSTRAINT` alone, nothing set NOT NULL; `references` when a foreign key is
    /// among the constraints (its check takes ROW SHARE on the referenced table).
    ValidateOnly { references: bool },
    /// A helper check added, validated, then `SET NOT NULL` with no scan.
    AddValidateSetNotNull,
    /// A dropped column's values copied in batches, then the column dropped.
    CopyThenDrop,
    /// A table moved to the archive schema.
    MoveTable,
    /// A table moved to the archive schema, its foreign keys dropped first.
    MoveTableWithReferences,
    /// Statements written by hand (`#[raw_sql]`): whatever they take, which the planner does
    /// not know.
    RawSql,
}

impl Lock {
    /// The strongest mode the file holds, however briefly.
    pub fn strongest(self) -> LockMode {
        match self {
            Lock::NewTable => LockMode::None,
            Lock::NewTableWithReferences => LockMode::ShareRowExclusive,
            Lock::RowBatches => LockMode::RowExclusive,
            Lock::ConcurrentBuild | Lock::ConcurrentDrop | Lock::ValidateOnly { .. } => {
                LockMode::ShareUpdateExclusive
            }
            Lock::CatalogOnly
            | Lock::ConcurrentBuildThenAttach
            | Lock::Validate
            | Lock::AddValidateSetNotNull
            | Lock::CopyThenDrop
            | Lock::MoveTable
            | Lock::MoveTableWithReferences
            | Lock::RawSql => LockMode::AccessExclusive,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Lock::NewTable => "none on existing tables",
            Lock::NewTableWithReferences => "SHARE ROW EXCLUSIVE, brief, on the referenced tables",
            Lock::CatalogOnly => {
                "ACCESS EXCLUSIVE, brief (catalog only, waits at most lock_timeout)"
            }
            Lock::RowBatches => "ROW EXCLUSIVE; row locks one batch at a time",
            Lock::ConcurrentBuild => "SHARE UPDATE EXCLUSIVE (reads and writes continue)",
            Lock::ConcurrentDrop => {
                "SHARE UPDATE EXCLUSIVE (reads and writes continue; waits for the transactions using the index)"
            }
            Lock::ConcurrentBuildThenAttach => {
                "SHARE UPDATE EXCLUSIVE while building (reads and writes continue); ACCESS EXCLUSIVE, brief, to attach"
            }
            Lock::Validate => {
                "SHARE UPDATE EXCLUSIVE while validating (reads and writes continue); ACCESS EXCLUSIVE, brief, for SET NOT NULL"
            }
            Lock::ValidateOnly { references: false } => {
                "SHARE UPDATE EXCLUSIVE while validating (reads and writes continue)"
            }
            Lock::ValidateOnly { references: true } => {
                "SHARE UPDATE EXCLUSIVE while validating (reads and writes continue); ROW SHARE on the referenced tables"
            }
            Lock::AddValidateSetNotNull => {
                "SHARE UPDATE EXCLUSIVE while validating (reads and writes continue); ACCESS EXCLUSIVE, brief, to add the check and to set NOT NULL"
            }
            Lock::CopyThenDrop => {
                "ACCESS SHARE while copying in batches (reads and writes continue); ACCESS EXCLUSIVE, brief, to drop"
            }
            Lock::MoveTable => {
                "ACCESS EXCLUSIVE, brief, on the table (catalog only, waits at most lock_timeout)"
            }
            Lock::MoveTableWithReferences => {
                "ACCESS EXCLUSIVE, brief, on the table; a brief lock on the tables it references, to drop its foreign keys (catalog only, waits at most lock_timeout)"
            }
            Lock::RawSql => {
                "whatever the statements written by hand take (not known to the planner; each waits at most lock_timeout)"
            }
        }
    }
}

impl fmt::Display for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// How a file treats the table, for `plan`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Impact {
    pub lock: Lock,
    pub rewrites: bool,
    pub scans: bool,
    pub risk: Risk,
    pub why: String,
}

/// One migration file and its rollback.
#[derive(Debug, Clone)]
pub struct PlannedFile {
    /// The file name after `NNN_table_vK_`: `create`, `expand`, `backfill`, `index_email`, ...
    pub slug: String,
    pub title: String,
    pub phase: Phase,
    pub transactional: bool,
    pub rollback_transactional: bool,
    /// `None` for files whose single statement runs as long as the table is large, under a
    /// lock that lets reads and writes through.
    pub statement_timeout: Option<String>,
    pub forward: Vec<Sql>,
    pub verify: Vec<Verify>,
    pub rollback: Vec<Sql>,
    pub rollback_verify: Vec<Verify>,
    /// Said in the rollback's header (for example, that data cannot be restored).
    pub rollback_note: Option<String>,
    pub impact: Impact,
    /// How a no-transaction file splits into pieces for layouts that run each migration as
    /// one message (sqlx): empty when the file is one transaction.
    pub parts: Vec<Piece>,
}

/// A piece of a no-transaction file, for layouts that run each migration as one message: its
/// statements, and the statements that undo them. A piece whose statement runs alone
/// ([`Sql::alone`]) is that one statement; the others share one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub forward: Vec<Sql>,
    pub rollback: Vec<Sql>,
}

impl Piece {
    pub fn new(forward: &[Sql], rollback: &[Sql]) -> Piece {
        debug_assert!(
            [forward, rollback]
                .iter()
                .all(|side| side.len() == 1 || side.iter().all(|s| !s.alone)),
            "a statement that runs alone is a piece's only statement"
        );
        Piece {
            forward: forward.to_vec(),
            rollback: rollback.to_vec(),
        }
    }

    /// Its forward statement runs alone, outside a transaction.
    pub fn alone(&self) -> bool {
        self.forward.iter().any(|s| s.alone)
    }

    /// Its rollback statement runs alone, outside a transaction.
    pub fn rollback_alone(&self) -> bool {
        self.rollback.iter().any(|s| s.alone)
    }
}

/// The files of one table's version step.
#[derive(Debug, Clone)]
pub struct Step {
    pub schema: String,
    pub table: String,
    /// `None` when the step creates the table.
    pub from: Option<u32>,
    pub to: u32,
    /// Digest of the two models, so that an edited history is noticed.
    pub fingerprint: String,
    pub files: Vec<PlannedFile>,
    /// The schema of the view through which the new version's code sees the table, when a
    /// type change needs one until its contract.
    pub view_schema: Option<String>,
    /// What changes, a few words per change ([`kinds::ChangeKind::describe`]).
    pub changes: Vec<String>,
}

impl Step {
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.table)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOptions {
    /// How batched writes pace themselves: the most rows per batch (one commit each), the
    /// target time per batch, and the bounds on standbys' replay lag and slots' retained WAL.
    pub pacing: crate::sql::raw::Pacing,
    /// How long any statement may wait for a lock before it gives up.
    pub lock_timeout: String,
    /// Limit for statements of catalog-only files.
    pub statement_timeout: String,
    /// How long the values of a dropped column, or a dropped table, are kept in the archive (a
    /// PostgreSQL interval).
    pub archive_retention: String,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            pacing: crate::sql::raw::Pacing::default(),
            lock_timeout: "1s".into(),
            statement_timeout: "30s".into(),
            archive_retention: "7 days".into(),
        }
    }
}

/// Context shared by the change kinds of one step.
pub struct Ctx<'a> {
    pub from: Option<&'a TableModel>,
    pub to: &'a TableModel,
    pub opts: &'a PlanOptions,
}

impl Ctx<'_> {
    /// `users v1 -> v2`, for titles.
    pub fn step_label(&self) -> String {
        match self.from {
            Some(from) => format!("{} v{} -> v{}", self.to.name, from.version, self.to.version),
            None => format!("{} v{}", self.to.name, self.to.version),
        }
    }
}

/// A column filled for existing rows by the backfill file (defined with the batched walk, in
/// the SQL layer below the planner).
pub use crate::sql::raw::Fill;

/// Plans the step that turns `from` into `to`.
pub fn plan_step(
    from: Option<&TableModel>,
    to: &TableModel,
    opts: &PlanOptions,
) -> Result<Step, Refusal> {
    let mut changes = diff::diff(from, to)?;
    changes.extend(diff::raw_sql(to));
    let ctx = Ctx { from, to, opts };
    let (files, view_schema) = assemble(&ctx, &changes);
    Ok(Step {
        changes: describe(&changes),
        schema: to.schema.clone(),
        table: to.name.clone(),
        from: from.map(|f| f.version),
        to: to.version,
        fingerprint: fingerprint(from, to),
        files,
        view_schema,
    })
}

/// The step that drops `from` (the table at its last version) at the next version.
pub fn plan_drop(from: &TableModel, opts: &PlanOptions) -> Step {
    let ctx = Ctx {
        from: Some(from),
        to: from,
        opts,
    };
    let changes = [Change::DropTable(from.clone())];
    let (files, _) = assemble(&ctx, &changes);
    Step {
        changes: describe(&changes),
        schema: from.schema.clone(),
        table: from.name.clone(),
        from: Some(from.version),
        to: from.version + 1,
        fingerprint: format!("{}-dropped", from.fingerprint()),
        files,
        view_schema: None,
    }
}

fn describe(changes: &[Change]) -> Vec<String> {
    changes.iter().map(|c| kinds::of(c).describe()).collect()
}

/// The files of a step: each stage asks every change in turn, and the stages that share a
/// transaction become one file each. Also the schema of the step's view, when it has one.
fn assemble(ctx: &Ctx, changes: &[Change]) -> (Vec<PlannedFile>, Option<String>) {
    let kinds: Vec<_> = changes.iter().map(kinds::of).collect();
    let collect = |stage: &dyn Fn(&dyn kinds::ChangeKind) -> Vec<Fragment>| -> Vec<Fragment> {
        kinds.iter().flat_map(|k| stage(k.as_ref())).collect()
    };
    let mut expand = collect(&|k| k.expand(ctx));
    let fills: Vec<Fill> = kinds.iter().flat_map(|k| k.fill(ctx)).collect();
    let mut builds: Vec<PlannedFile> = kinds.iter().flat_map(|k| k.build(ctx)).collect();
    let validate = collect(&|k| k.validate(ctx));
    let contract = collect(&|k| k.contract(ctx));
    let mut contract_files: Vec<PlannedFile> =
        kinds.iter().flat_map(|k| k.contract_files(ctx)).collect();
    let shadowed: Vec<kinds::Shadowed> = kinds.iter().filter_map(|k| k.shadow(ctx)).collect();
    let view_schema = kinds::finish_shadowed(ctx, shadowed, &mut expand, &mut contract_files);

    let label = ctx.step_label();
    let opts = ctx.opts;
    let mut files = Vec::new();
    if !expand.is_empty() {
        files.push(merge(
            "expand",
            &label,
            Phase::Expand,
            Some(opts.statement_timeout.clone()),
            expand,
            Impact {
                lock: Lock::CatalogOnly,
                rewrites: false,
                scans: false,
                risk: Risk::Low,
                why: "catalog-only changes; no row is read or written".into(),
            },
        ));
    }
    if !fills.is_empty() {
        files.push(backfill::plan(ctx, &fills));
    }
    files.append(&mut builds);
    if !validate.is_empty() {
        let lock = validate_lock(&validate);
        files.push(merge(
            "validate",
            &label,
            Phase::Expand,
            None,
            validate,
            Impact {
                lock,
                rewrites: false,
                scans: true,
                risk: Risk::Medium,
                why: "scans the table; fails, changing nothing, if a row breaks the constraint"
                    .into(),
            },
        ));
    }
    if !contract.is_empty() {
        files.push(merge(
            "contract",
            &label,
            Phase::Contract,
            Some(opts.statement_timeout.clone()),
            contract,
            Impact {
                lock: Lock::CatalogOnly,
                rewrites: false,
                scans: false,
                risk: Risk::Low,
                why: "drops helpers that only the old code needed".into(),
            },
        ));
    }
    files.append(&mut contract_files);
    if let Some(from) = ctx.from {
        let before = (from.schema.as_str(), from.name.as_str());
        let after = (ctx.to.schema.as_str(), ctx.to.name.as_str());
        for file in &mut files {
            take_lock_first(file, before, after);
        }
    }
    (files, view_schema)
}

/// A transaction that changes an existing table's catalog under a brief `ACCESS EXCLUSIVE`
/// lock starts by taking that lock without making the application queue behind it
/// ([`raw::take_table_lock`]); so does the rollback of an expand file (which drops what the
/// expand added). Files that scan under a weaker lock first (a validation before `SET NOT
/// NULL`, a rollback that validates a constraint again) do not: taking the strong lock up
/// front would hold it for the scan.
fn take_lock_first(file: &mut PlannedFile, before: (&str, &str), after: (&str, &str)) {
    let brief = matches!(
        file.impact.lock,
        Lock::CatalogOnly | Lock::MoveTable | Lock::MoveTableWithReferences
    );
    if !brief {
        return;
    }
    if file.transactional && !file.forward.is_empty() {
        file.forward
            .insert(0, Sql::new(raw::take_table_lock(&[before, after])));
    }
    if file.slug == "expand" && file.rollback_transactional && !file.rollback.is_empty() {
        file.rollback
            .insert(0, Sql::new(raw::take_table_lock(&[after, before])));
    }
}

/// The locks of the `validate` file: `SET NOT NULL` needs ACCESS EXCLUSIVE, briefly; a file
/// that only validates holds SHARE UPDATE EXCLUSIVE (and ROW SHARE on the tables its foreign
/// keys reference). A fragment that sets a column NOT NULL is one that proves it NOT NULL.
fn validate_lock(fragments: &[Fragment]) -> Lock {
    let verifies = || fragments.iter().flat_map(|f| &f.verify);
    let sets_not_null = verifies().any(|v| matches!(v, Verify::Column { not_null: true, .. }));
    let references = verifies().any(|v| matches!(v, Verify::ForeignKeyDef { .. }));
    if sets_not_null {
        Lock::Validate
    } else {
        Lock::ValidateOnly { references }
    }
}

/// The step's identity for the manifest: both models' digests.
pub fn fingerprint(from: Option<&TableModel>, to: &TableModel) -> String {
    match from {
        Some(from) => format!("{}-{}", from.fingerprint(), to.fingerprint()),
        None => to.fingerprint(),
    }
}

/// One transactional file from the fragments of several changes.
fn merge(
    slug: &str,
    label: &str,
    phase: Phase,
    statement_timeout: Option<String>,
    fragments: Vec<Fragment>,
    impact: Impact,
) -> PlannedFile {
    let summaries: Vec<&str> = fragments.iter().map(|f| f.summary.as_str()).collect();
    let title = format!("{label}: {}", summaries.join("; "));
    let mut file = PlannedFile {
        slug: slug.into(),
        title,
        phase,
        transactional: true,
        rollback_transactional: true,
        statement_timeout,
        forward: Vec::new(),
        verify: Vec::new(),
        rollback: Vec::new(),
        rollback_verify: Vec::new(),
        rollback_note: None,
        impact,
        parts: Vec::new(),
    };
    for fragment in &fragments {
        file.forward.extend(fragment.forward.iter().cloned());
        file.verify.extend(fragment.verify.iter().cloned());
    }
    for fragment in fragments.iter().rev() {
        file.rollback.extend(fragment.rollback.iter().cloned());
        file.rollback_verify
            .extend(fragment.rollback_verify.iter().cloned());
    }
    file
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{FieldHistory, Reference, TableHistory};

    fn field(name: &str, ty: &str, nullable: bool, since: u32) -> FieldHistory {
        let mut f = FieldHistory::new(name, ty, nullable, since);
        f.primary_key = name == "id";
        f
    }

    fn table(name: &str, since: u32, version: u32, fields: Vec<FieldHistory>) -> TableHistory {
        TableHistory {
            rust_name: name.into(),
            schema: "public".into(),
            table: name.into(),
            since,
            version,
            until: None,
            renamed_from: None,
            fields,
            objects: Vec::new(),
            raw_sql: Vec::new(),
        }
    }

    fn slugs(step: &Step) -> Vec<(String, Phase, bool)> {
        step.files
            .iter()
            .map(|f| (f.slug.clone(), f.phase, f.transactional))
            .collect()
    }

    #[test]
    fn backfilled_not_null_column_goes_through_every_stage() {
        let mut name = field("name", "text", false, 2);
        name.backfill = Some("'x'".into());
        name.index = true;
        let h = table("t", 1, 2, vec![field("id", "bigint", false, 1), name]);
        let step = plan_step(
            h.model_at(1).as_ref(),
            &h.model_at(2).unwrap(),
            &PlanOptions::default(),
        )
        .unwrap();
        assert_eq!(
            slugs(&step),
            [
                ("expand".into(), Phase::Expand, true),
                ("backfill".into(), Phase::Backfill, false),
                ("index_name".into(), Phase::Expand, false),
                ("validate".into(), Phase::Expand, true),
                ("contract".into(), Phase::Contract, true),
            ]
        );
        // The locks are data: the strongest mode of each file, weakest first.
        let strongest: Vec<LockMode> = step
            .files
            .iter()
            .map(|f| f.impact.lock.strongest())
            .collect();
        assert_eq!(
            strongest,
            [
                LockMode::AccessExclusive,
                LockMode::RowExclusive,
                LockMode::ShareUpdateExclusive,
                LockMode::AccessExclusive,
                LockMode::AccessExclusive,
            ]
        );
        assert!(LockMode::RowExclusive < LockMode::ShareUpdateExclusive);
        let validate = &step.files[3];
        assert!(
            validate
                .forward
                .iter()
                .any(|s| s.text.contains("SET NOT NULL"))
        );
        assert!(
            validate
                .rollback
                .iter()
                .any(|s| s.text.contains("DROP NOT NULL"))
        );
        assert!(
            step.files[4]
                .forward
                .iter()
                .any(|s| s.text.starts_with("DROP TRIGGER"))
        );
    }

    #[test]
    fn constant_default_is_in_place_and_volatile_default_is_backfilled() {
        let mut constant = field("n", "bigint", false, 2);
        constant.default = Some("0".into());
        let h = table("t", 1, 2, vec![field("id", "bigint", false, 1), constant]);
        let step = plan_step(
            h.model_at(1).as_ref(),
            &h.model_at(2).unwrap(),
            &PlanOptions::default(),
        )
        .unwrap();
        assert_eq!(slugs(&step), [("expand".into(), Phase::Expand, true)]);
        assert!(!step.files[0].impact.rewrites);

        let mut volatile = field("u", "uuid", false, 2);
        volatile.default = Some("gen_random_uuid()".into());
        let h = table("t", 1, 2, vec![field("id", "bigint", false, 1), volatile]);
        let step = plan_step(
            h.model_at(1).as_ref(),
            &h.model_at(2).unwrap(),
            &PlanOptions::default(),
        )
        .unwrap();
        let kinds: Vec<String> = step.files.iter().map(|f| f.slug.clone()).collect();
        assert_eq!(
            kinds,
            ["expand", "backfill", "validate"],
            "a default fills new rows: no trigger, no contract"
        );
        assert!(
            step.files[0]
                .forward
                .iter()
                .any(|s| s.text.contains("SET DEFAULT gen_random_uuid()"))
        );
    }

    #[test]
    fn tables_follow_the_tables_they_reference_within_a_version() {
        let mut org = field("org_id", "bigint", true, 1);
        org.references = Some(Reference {
            schema: "public".into(),
            table: "b_orgs".into(),
            column: "id".into(),
            on_delete: None,
            on_update: None,
        });
        let users = table("a_users", 1, 1, vec![field("id", "bigint", false, 1), org]);
        let orgs = table("b_orgs", 1, 1, vec![field("id", "bigint", false, 1)]);
        let steps = order::plan_all(&[users, orgs], &PlanOptions::default()).unwrap();
        let names: Vec<&str> = steps.iter().map(|s| s.table.as_str()).collect();
        assert_eq!(names, ["b_orgs", "a_users"]);
    }

    fn reference(column: &str, target: &str, since: u32) -> FieldHistory {
        let mut f = field(column, "bigint", true, since);
        f.references = Some(Reference {
            schema: "public".into(),
            table: target.into(),
            column: "id".into(),
            on_delete: None,
            on_update: None,
        });
        f
    }

    #[test]
    fn a_dropped_table_goes_after_the_references_that_go_with_it() {
        let mut dropped = table("a_dropped", 1, 2, vec![field("id", "bigint", false, 1)]);
        dropped.until = Some(2);
        let mut gone = reference("a_id", "a_dropped", 1);
        gone.until = Some(2);
        let users = table("b_users", 1, 2, vec![field("id", "bigint", false, 1), gone]);
        let steps = order::plan_all(&[dropped, users], &PlanOptions::default()).unwrap();
        let order: Vec<(&str, u32)> = steps.iter().map(|s| (s.table.as_str(), s.to)).collect();
        assert_eq!(
            order,
            [
                ("a_dropped", 1),
                ("b_users", 1),
                ("b_users", 2),
                ("a_dropped", 2)
            ]
        );
        let drop = &steps[3];
        assert_eq!(drop.from, Some(1));
        assert_eq!(slugs(drop), [("drop".into(), Phase::Contract, true)]);
        assert!(
            drop.files[0].rollback_transactional,
            "no foreign key to validate apart: one transaction"
        );
        assert!(
            drop.files[0]
                .forward
                .iter()
                .any(|s| s.text.contains("SET SCHEMA \"migrate_gen_archive\""))
        );
    }

    #[test]
    fn a_drop_is_refused_while_another_table_references_it() {
        let mut dropped = table("orgs", 1, 2, vec![field("id", "bigint", false, 1)]);
        dropped.until = Some(2);
        // A table dropped with it may reference it: its drop, which drops its reference, goes
        // first.
        let mut items = table(
            "items",
            1,
            2,
            vec![
                field("id", "bigint", false, 1),
                reference("org_id", "orgs", 1),
            ],
        );
        items.until = Some(2);
        let steps = order::plan_all(&[dropped.clone(), items], &PlanOptions::default()).unwrap();
        let order: Vec<(&str, u32)> = steps.iter().map(|s| (s.table.as_str(), s.to)).collect();
        assert_eq!(
            order,
            [("orgs", 1), ("items", 1), ("items", 2), ("orgs", 2)]
        );
        // `users` keeps its reference: its last version is 1, and it keeps that shape at 2.
        let users = table(
            "users",
            1,
            1,
            vec![
                field("id", "bigint", false, 1),
                reference("org_id", "orgs", 1),
            ],
        );
        let err = order::plan_all(&[dropped.clone(), users], &PlanOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "public.orgs version 2: the table is dropped while public.users column `org_id` still references it at version 2; drop that column in the same version (`until = 2` on its #[col]) or its table (`until = 2` on its #[versioned]), or drop public.orgs in a later version"
        );

        // A table created after the drop cannot reference it either.
        let later = table(
            "teams",
            3,
            3,
            vec![
                field("id", "bigint", false, 3),
                reference("org_id", "orgs", 3),
            ],
        );
        let err = order::plan_all(&[dropped, later], &PlanOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("which is dropped at version 2"), "{err}");
    }

    #[test]
    fn two_archives_of_one_name_are_refused() {
        let mut table_drop = table("a_b", 1, 3, vec![field("id", "bigint", false, 1)]);
        table_drop.until = Some(3);
        let mut column = field("b", "text", true, 1);
        column.until = Some(3);
        let column_drop = table("a", 1, 3, vec![field("id", "bigint", false, 1), column]);
        let err = order::plan_all(&[table_drop, column_drop], &PlanOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "public.a_b version 3: its archive would be migrate_gen_archive.a_b_v3, the name of the archive of the column public.a.b at version 3; drop one of them in another version"
        );
    }

    #[test]
    fn reference_cycles_and_future_tables_are_refused() {
        let refs = |table: &str| {
            let mut f = field("other_id", "bigint", true, 1);
            f.references = Some(Reference {
                schema: "public".into(),
                table: table.into(),
                column: "id".into(),
                on_delete: None,
                on_update: None,
            });
            f
        };
        let a = table("a", 1, 1, vec![field("id", "bigint", false, 1), refs("b")]);
        let b = table("b", 1, 1, vec![field("id", "bigint", false, 1), refs("a")]);
        let err = order::plan_all(&[a.clone(), b], &PlanOptions::default()).unwrap_err();
        assert!(err.to_string().contains("cycle"), "{err}");

        let later = table("b", 2, 2, vec![field("id", "bigint", false, 2)]);
        let err = order::plan_all(&[a, later], &PlanOptions::default()).unwrap_err();
        assert!(
            err.to_string().contains("created only at version 2"),
            "{err}"
        );
    }
}
