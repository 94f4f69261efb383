//! A raw SQL step (`#[raw_sql]`): the user's statements as written, in a file of their own at
//! its version, before the deploy (`expand`) or after it (`contract`), with the rollback written
//! beside them; an `irreversible` step's rollback refuses, changing nothing.

use super::ChangeKind;
use crate::plan::{Ctx, Impact, Lock, Phase, Piece, PlannedFile, Risk, Sql};
use crate::raw_sql::RawStep;
use crate::sql::raw;

/// `RawSql(step)`.
pub(super) struct RawSql<'a>(pub &'a RawStep);

impl RawSql<'_> {
    fn file(&self, ctx: &Ctx) -> PlannedFile {
        let step = self.0;
        let transactional = !step.no_transaction;
        let mut forward = Sql::new(step.up.clone());
        let rollback = match &step.down {
            Some(down) => Sql::new(down.clone()),
            None => Sql::new(raw::refuse_irreversible(&format!(
                "{}.{} version {}: {} is irreversible: its rollback cannot undo it, and nothing was changed; go forward with a new version instead",
                ctx.to.schema,
                ctx.to.name,
                step.at,
                step.label()
            ))),
        };
        let mut rollback = rollback;
        let mut parts = Vec::new();
        if step.no_transaction {
            // For layouts that run a migration as one message: the statements as one piece,
            // outside a transaction.
            forward = forward.run_alone();
            rollback = rollback.run_alone();
            parts.push(Piece::new(
                std::slice::from_ref(&forward),
                std::slice::from_ref(&rollback),
            ));
        }
        PlannedFile {
            slug: format!("raw_{}", step.ordinal),
            title: format!("{}: {}", ctx.step_label(), step.label()),
            phase: if step.contract {
                Phase::Contract
            } else {
                Phase::Expand
            },
            transactional,
            rollback_transactional: transactional,
            // Outside a transaction, a statement such as `CREATE INDEX CONCURRENTLY` takes as
            // long as the table is large: no limit.
            statement_timeout: Some(if transactional {
                ctx.opts.statement_timeout.clone()
            } else {
                "0".to_owned()
            }),
            forward: vec![forward],
            verify: Vec::new(),
            rollback: vec![rollback],
            rollback_verify: Vec::new(),
            rollback_note: Some(match step.down {
                None => "the step is irreversible: this rollback refuses, changing nothing".into(),
                Some(_) => "statements written by hand: they keep what they are written to keep".into(),
            }),
            impact: Impact {
                lock: Lock::RawSql,
                rewrites: false,
                scans: false,
                risk: Risk::Medium,
                why: "statements written by hand: the planner does not know what they lock, scan or rewrite; read them and squawk's findings".into(),
            },
            parts,
        }
    }
}

impl ChangeKind for RawSql<'_> {
    fn describe(&self) -> String {
        let phase = if self.0.contract {
            "contract"
        } else {
            "expand"
        };
        format!("{} ({phase})", self.0.label())
    }

    fn build(&self, ctx: &Ctx) -> Vec<PlannedFile> {
        if self.0.contract {
            return Vec::new();
        }
        vec![self.file(ctx)]
    }

    fn contract_files(&self, ctx: &Ctx) -> Vec<PlannedFile> {
        if !self.0.contract {
            return Vec::new();
        }
        vec![self.file(ctx)]
    }
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use crate::plan::test_utils::plan_source;

    /// Raw steps at one version, in the order of their attributes: an expand step with its
    /// rollback after the version's generated files, a no-transaction one, and an
    /// irreversible contract step whose rollback refuses.
    #[test]
    fn raw_steps_at_one_version() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "users", version = 2)]
            #[raw_sql(at = 2, up = "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;", down = "DROP EXTENSION IF EXISTS pg_trgm")]
            #[raw_sql(at = 2, no_transaction,
                      up = "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_name_trgm ON public.users USING gin (name public.gin_trgm_ops)",
                      down = "DROP INDEX CONCURRENTLY IF EXISTS public.users_name_trgm")]
            #[raw_sql(at = 2, phase = "contract", up = "COMMENT ON TABLE public.users IS 'accounts'", irreversible)]
            pub struct User {
                #[col(primary_key)]
                pub id: i64,
                #[col(since = 2, index)]
                pub name: Option<String>,
            }
            "#
        ));
    }

    /// A raw step at the table's first version runs after its creation.
    #[test]
    fn a_raw_step_at_the_creation() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "users", version = 1)]
            #[raw_sql(at = 1, up = "CREATE VIEW public.user_ids AS SELECT id FROM public.users", down = "DROP VIEW public.user_ids")]
            pub struct User {
                #[col(primary_key)]
                pub id: i64,
            }
            "#
        ));
    }
}
