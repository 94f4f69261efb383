//! A column whose type changes (`#[col(retyped_at = K, old_type = "...")]`).
//!
//! **In place** when PostgreSQL changes the type in the catalog alone (a wider `varchar`,
//! `varchar` to `text`, a wider `numeric` of the same scale): one `ALTER COLUMN ... TYPE` in
//! the expand transaction. Old code keeps working: every value it writes fits the wider type.
//! The rollback narrows the type back, which rewrites the table and fails, changing nothing,
//! if a longer value was written since.
//!
//! **Expand/contract** otherwise. Old and new code use the same column name with different
//! types, so they cannot both see one table as it is:
//!
//! - expand: a shadow column `<col>__v<K>` of the new type, a trigger that converts every write
//!   of either side to the other (`using` forward, `reverse` back, or PostgreSQL's cast), and a
//!   view `<schema>_v<K>.<table>` that shows version K's columns, the shadow under the
//!   column's name. Old code keeps using the table; new code sets
//!   `search_path = <schema>_v<K>, <schema>` and uses the view (simple views take inserts,
//!   updates and deletes, and the table's defaults apply);
//! - backfill: existing rows converted in batches; the column's NOT NULL, indexes, unique
//!   constraints and foreign keys rebuilt on the shadow (concurrently, validated);
//! - contract (after the deploy, one transaction): the view, the trigger and the old column go,
//!   the shadow takes the column's name and its objects their model names. New code's
//!   statements now resolve to the table itself, whose column has the new type.
//!
//! The contract's rollback puts the shadow back under its own name with the view and trigger
//! in one atomic statement, then refills the old column in batches (converted back) and
//! rebuilds its objects while new code keeps writing.

use std::collections::BTreeMap;

use super::ChangeKind;
use super::add_column::not_null;
use super::add_foreign_key::AddForeignKey;
use super::add_index::plan_index;
use super::add_unique::plan_unique;
use crate::model::{Column, ForeignKey, Index};
use crate::names;
use crate::plan::rebuild;
use crate::plan::{Ctx, Fill, Fragment, Impact, Lock, Phase, PlannedFile, Risk, Sql};
use crate::sql::raw::{self, Verify};
use crate::sql::statements;

/// A type change through a shadow column, for the step's view and contract.
#[derive(Debug, Clone)]
pub struct Shadowed {
    old: Column,
    new: Column,
    shadow: String,
    sync: String,
    /// `(shadow's object, the model's name for it, is an index)`.
    objects: Vec<(String, String, bool)>,
}

/// `ChangeType { old, new, in_place }`.
pub(super) struct ChangeType<'a> {
    pub old: &'a Column,
    pub new: &'a Column,
    pub in_place: bool,
    /// Planned once, for every stage that asks (the step's context is one).
    pub through: std::cell::OnceCell<ThroughShadow>,
}

/// What a type change through a shadow column adds to the stages before the deploy; the
/// step's view and contract come from every [`Shadowed`] of the step ([`finish`]).
#[derive(Default)]
pub(super) struct ThroughShadow {
    expand: Vec<Fragment>,
    fills: Vec<Fill>,
    builds: Vec<PlannedFile>,
    validate: Vec<Fragment>,
    shadowed: Option<Shadowed>,
}

impl ChangeType<'_> {
    fn through_shadow(&self, ctx: &Ctx) -> &ThroughShadow {
        self.through.get_or_init(|| {
            if self.in_place {
                ThroughShadow::default()
            } else {
                expand(ctx, self.old, self.new)
            }
        })
    }
}

impl ChangeKind for ChangeType<'_> {
    fn describe(&self) -> String {
        format!(
            "change the type of {} from {} to {}",
            self.new.name, self.old.sql_type, self.new.sql_type
        )
    }

    fn expand(&self, ctx: &Ctx) -> Vec<Fragment> {
        if self.in_place {
            return vec![in_place_fragment(ctx, self.old, self.new)];
        }
        self.through_shadow(ctx).expand.clone()
    }

    fn fill(&self, ctx: &Ctx) -> Vec<Fill> {
        self.through_shadow(ctx).fills.clone()
    }

    fn build(&self, ctx: &Ctx) -> Vec<PlannedFile> {
        self.through_shadow(ctx).builds.clone()
    }

    fn validate(&self, ctx: &Ctx) -> Vec<Fragment> {
        self.through_shadow(ctx).validate.clone()
    }

    fn shadow(&self, ctx: &Ctx) -> Option<Shadowed> {
        self.through_shadow(ctx).shadowed.clone()
    }
}

fn in_place_fragment(ctx: &Ctx, old: &Column, new: &Column) -> Fragment {
    let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
    let checks = |col: &Column| {
        let mut v = vec![Verify::column(schema, table, col, !col.nullable)];
        v.extend(Verify::typmod(schema, table, col));
        v
    };
    Fragment {
        summary: format!(
            "change {} from {} to {} in place (no rewrite, no scan)",
            new.name, old.sql_type, new.sql_type
        ),
        forward: vec![
            Sql::ignoring(
                raw::alter_column_type(schema, table, &new.name, &new.sql_type),
                "changing-column-type",
                "PostgreSQL makes this change in the catalog alone: no rewrite, no scan, and every value old code writes still fits.",
            )
            .declaring([new.sql_type.as_str()]),
        ],
        verify: checks(new),
        rollback: vec![
            Sql::ignoring(
                raw::alter_column_type(schema, table, &new.name, &old.sql_type),
                "changing-column-type",
                "Rollback: narrowing the type rewrites the table under ACCESS EXCLUSIVE, and fails, changing nothing, if a value written since does not fit.",
            )
            .declaring([old.sql_type.as_str()]),
        ],
        rollback_verify: checks(old),
    }
}

fn expand(ctx: &Ctx, old: &Column, new: &Column) -> ThroughShadow {
    let mut stages = ThroughShadow::default();
    let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
    let version = ctx.to.version;
    let change = new
        .retyped_from
        .as_ref()
        .expect("a type change carries its conversions");
    let shadow = names::shadow_column(&new.name, version);
    let sync = names::object_name(&[table, &new.name], &format!("retype_v{version}"));
    let shadow_col = Column {
        name: shadow.clone(),
        nullable: true,
        default: None,
        backfill: None,
        renamed_from: None,
        retyped_from: None,
        ..new.clone()
    };
    let trigger = |exists| Verify::Trigger {
        schema: schema.into(),
        table: table.into(),
        name: sync.clone(),
        exists,
    };
    stages.expand.push(Fragment {
        summary: format!(
            "add {shadow} ({}) beside {} ({}), converted both ways by a trigger",
            new.sql_type, old.name, old.sql_type
        ),
        forward: vec![
            Sql::new(statements::add_column(schema, table, &shadow_col, false, false))
                .declaring([new.sql_type.as_str()]),
            Sql::new(sync_function(schema, &sync, &old.name, &shadow, change)),
            Sql::new(raw::create_row_trigger(schema, table, &sync, &sync)),
        ],
        verify: vec![Verify::column(schema, table, &shadow_col, false), trigger(true)],
        rollback: vec![
            Sql::new(raw::drop_trigger_if_exists(schema, table, &sync)),
            Sql::ignoring(
                raw::drop_function_if_exists(schema, &sync),
                "ban-drop-function",
                DROP_SYNC,
            ),
            Sql::ignoring(
                statements::drop_column_if_exists(schema, table, &shadow),
                "ban-drop-column",
                "Rollback: drops only the shadow of the column; the column itself holds every value.",
            ),
        ],
        rollback_verify: vec![
            Verify::ColumnAbsent {
                schema: schema.into(),
                table: table.into(),
                column: shadow.clone(),
            },
            trigger(false),
        ],
    });
    stages.fills.push(Fill {
        column: shadow.clone(),
        expr: change
            .using
            .clone()
            .unwrap_or_else(|| raw::ident(&old.name)),
        not_null: !new.nullable,
    });
    if !new.nullable {
        let not_null_shadow = Column {
            nullable: false,
            ..shadow_col.clone()
        };
        stages
            .validate
            .push(not_null(schema, table, &not_null_shadow));
    }

    // The column's indexes, unique constraints and foreign keys, rebuilt on the shadow under
    // names of its own; the contract gives them the model's names.
    let on_column = |cols: &[String]| cols.contains(&new.name);
    let swap = |cols: &[String]| -> Vec<String> {
        cols.iter()
            .map(|c| {
                if *c == new.name {
                    shadow.clone()
                } else {
                    c.clone()
                }
            })
            .collect()
    };
    let mut objects = Vec::new();
    for idx in ctx.to.indexes.iter().filter(|i| on_column(&i.columns)) {
        let suffix = if idx.unique { "key" } else { "idx" };
        let shadow_idx = Index {
            name: names::object_name(&[table, &shadow], suffix),
            columns: swap(&idx.columns),
            ..idx.clone()
        };
        stages.builds.push(if idx.unique {
            plan_unique(ctx, &shadow_idx)
        } else {
            plan_index(ctx, &shadow_idx)
        });
        objects.push((shadow_idx.name, idx.name.clone(), true));
    }
    for fk in ctx.to.foreign_keys.iter().filter(|f| on_column(&f.columns)) {
        let shadow_fk = ForeignKey {
            name: names::object_name(&[table, &shadow], "fkey"),
            columns: swap(&fk.columns),
            ..fk.clone()
        };
        let kind = AddForeignKey(&shadow_fk);
        stages.expand.extend(kind.expand(ctx));
        stages.validate.extend(kind.validate(ctx));
        objects.push((shadow_fk.name, fk.name.clone(), false));
    }
    stages.shadowed = Some(Shadowed {
        old: old.clone(),
        new: new.clone(),
        shadow,
        sync,
        objects,
    });
    stages
}

const DROP_SYNC: &str = "Drops the conversion function of a type change; only its trigger used it.";

fn sync_function(
    schema: &str,
    function: &str,
    column: &str,
    shadow: &str,
    change: &crate::model::TypeChange,
) -> String {
    raw::sync_function(
        schema,
        function,
        column,
        shadow,
        change.using.as_deref(),
        change.reverse.as_deref(),
    )
}

/// The physical columns behind version `ctx.to`'s names: the shadows under their columns'.
fn view_columns(ctx: &Ctx, shadowed: &[Shadowed]) -> Vec<(String, String)> {
    let shadows: BTreeMap<&str, &str> = shadowed
        .iter()
        .map(|s| (s.new.name.as_str(), s.shadow.as_str()))
        .collect();
    ctx.to
        .columns
        .iter()
        .map(|c| {
            let physical = shadows.get(c.name.as_str()).copied().unwrap_or(&c.name);
            (physical.to_owned(), c.name.clone())
        })
        .collect()
}

/// Once every change of the step is planned: the new version's view (last in the expand
/// transaction, when all its columns exist) and the one contract file of the step's type
/// changes.
/// Returns the view's schema.
pub(crate) fn finish(
    ctx: &Ctx,
    shadowed: Vec<Shadowed>,
    expand: &mut Vec<Fragment>,
    contract_files: &mut Vec<PlannedFile>,
) -> Option<String> {
    if shadowed.is_empty() {
        return None;
    }
    let (schema, table) = (ctx.to.schema.as_str(), ctx.to.name.as_str());
    let view_schema = names::view_schema(schema, ctx.to.version);
    let view = |exists| Verify::View {
        schema: view_schema.clone(),
        name: table.into(),
        exists,
    };
    let columns = view_columns(ctx, &shadowed);
    let create_view = [
        raw::create_schema_if_not_exists(&view_schema),
        raw::create_version_view(&view_schema, schema, table, &columns),
    ];
    let drop_view = [
        Sql::ignoring(
            raw::drop_view_if_exists(&view_schema, table),
            "ban-drop-view",
            "Only the new code reads this view, and only until the contract; from then on its statements resolve to the table.",
        ),
        Sql::new(raw::drop_schema_if_empty(&view_schema)),
    ];
    expand.push(Fragment {
        summary: format!(
            "view {view_schema}.{table}: version {}'s columns for the new code",
            ctx.to.version
        ),
        forward: create_view.iter().map(Sql::new).collect(),
        verify: vec![view(true)],
        rollback: drop_view.to_vec(),
        rollback_verify: vec![view(false)],
    });

    let from = ctx.from.expect("a type change has a previous version");
    let mut forward: Vec<Sql> = drop_view.to_vec();
    let mut verify = vec![view(false)];
    let mut rollback_swap = Vec::new();
    let mut refills = Vec::new();
    let mut rollback_after = Vec::new();
    let mut rollback_verify = vec![view(true)];
    for s in &shadowed {
        let c = s.new.name.as_str();
        forward.push(Sql::new(raw::drop_trigger_if_exists(
            schema, table, &s.sync,
        )));
        forward.push(Sql::ignoring(
            raw::drop_function_if_exists(schema, &s.sync),
            "ban-drop-function",
            DROP_SYNC,
        ));
        forward.push(Sql::ignoring(
            statements::drop_column_if_exists(schema, table, c),
            "ban-drop-column",
            "Contract of a type change: the shadow holds every value, converted, and the rollback rebuilds the old column from it.",
        ));
        forward.push(Sql::ignoring(
            raw::rename_column(schema, table, &s.shadow, c),
            "renaming-column",
            "The new code sees this column through its version's view, dropped in this same transaction; from here on its statements resolve to the table, where the column now has the new type.",
        ));
        rollback_swap.push(raw::rename_column(schema, table, c, &s.shadow));
        for (shadow_name, name, is_index) in &s.objects {
            forward.push(Sql::ignoring(
                if *is_index {
                    raw::rename_index(schema, shadow_name, name, false)
                } else {
                    raw::rename_constraint(schema, table, shadow_name, name)
                },
                "renaming-object",
                "The shadow's index or constraint takes the name the model gives it; no client names it.",
            ));
            rollback_swap.push(if *is_index {
                raw::rename_index(schema, name, shadow_name, false)
            } else {
                raw::rename_constraint(schema, table, name, shadow_name)
            });
            verify.push(if *is_index {
                Verify::Index {
                    schema: schema.into(),
                    name: name.clone(),
                    exists: true,
                }
            } else {
                Verify::Constraint {
                    schema: schema.into(),
                    table: table.into(),
                    name: name.clone(),
                    validated: true,
                }
            });
        }
        if let Some(d) = &s.new.default {
            forward.push(Sql::new(raw::set_default(schema, table, c, d)));
            rollback_swap.push(raw::drop_default(schema, table, &s.shadow));
        }
        verify.push(Verify::column(schema, table, &s.new, !s.new.nullable));
        verify.push(Verify::ColumnAbsent {
            schema: schema.into(),
            table: table.into(),
            column: s.shadow.clone(),
        });
        verify.push(Verify::Trigger {
            schema: schema.into(),
            table: table.into(),
            name: s.sync.clone(),
            exists: false,
        });

        // The rollback: the old column comes back empty beside the shadow, then is refilled
        // from it and gets its default, objects and NOT NULL.
        let old_bare = Column {
            nullable: true,
            default: None,
            ..s.old.clone()
        };
        rollback_swap.push(statements::add_column(
            schema, table, &old_bare, false, false,
        ));
        // Its default at once (existing rows stay NULL until the refill): new code that
        // leaves the column out gets the old default, which the trigger converts.
        if let Some(d) = &s.old.default {
            rollback_swap.push(raw::set_default(schema, table, c, d));
        }
        let change = s.new.retyped_from.as_ref().expect("a type change");
        rollback_swap.push(sync_function(schema, &s.sync, c, &s.shadow, change));
        rollback_swap.push(raw::create_row_trigger(schema, table, &s.sync, &s.sync));
        let back = match &change.reverse {
            Some(e) => raw::over_row(
                e,
                &format!("{} AS {}", raw::ident(&s.shadow), raw::ident(c)),
            ),
            None => raw::ident(&s.shadow),
        };
        refills.push(Fill {
            column: c.to_owned(),
            expr: back,
            not_null: false,
        });
        rollback_verify.push(Verify::column(schema, table, &s.old, !s.old.nullable));
        rollback_verify.push(Verify::column(
            schema,
            table,
            &Column {
                name: s.shadow.clone(),
                ..s.new.clone()
            },
            !s.new.nullable,
        ));
        rollback_verify.push(Verify::Trigger {
            schema: schema.into(),
            table: table.into(),
            name: s.sync.clone(),
            exists: true,
        });
        rebuild::column_objects(
            from,
            c,
            !s.old.nullable,
            &mut rollback_after,
            &mut rollback_verify,
        );
    }
    rollback_swap.push(raw::create_schema_if_not_exists(&view_schema));
    rollback_swap.push(raw::create_version_view(
        &view_schema,
        schema,
        table,
        &columns,
    ));
    let first = &shadowed[0];
    let mut rollback = vec![Sql::new(raw::unless_column(
        schema,
        table,
        &first.shadow,
        &rollback_swap,
    ))];
    rollback.push(
        Sql::new(raw::backfill(
            schema,
            table,
            &ctx.to.primary_key,
            &refills,
            &ctx.opts.pacing,
        ))
        .run_alone(),
    );
    rollback.append(&mut rollback_after);

    let names: Vec<&str> = shadowed.iter().map(|s| s.new.name.as_str()).collect();
    let changes: Vec<String> = shadowed
        .iter()
        .map(|s| format!("{} {} -> {}", s.new.name, s.old.sql_type, s.new.sql_type))
        .collect();
    contract_files.push(PlannedFile {
        slug: "contract_types".into(),
        title: format!(
            "{}: {} take the new types; drop the old columns, their triggers and the view {view_schema}.{table}",
            ctx.step_label(),
            changes.join(", ")
        ),
        phase: Phase::Contract,
        transactional: true,
        rollback_transactional: false,
        statement_timeout: Some(ctx.opts.statement_timeout.clone()),
        forward,
        verify,
        rollback,
        rollback_verify,
        rollback_note: Some(format!(
            "puts back the view {view_schema}.{table} and the shadow columns in one statement, then refills {} in batches, converted back, with their defaults, indexes, constraints and NOT NULL",
            names.join(", ")
        )),
        parts: Vec::new(),
        impact: Impact {
            lock: Lock::CatalogOnly,
            rewrites: false,
            scans: false,
            risk: Risk::Medium,
            why: format!(
                "old code that still reads {} as {} fails from here on: run it only once the old code is gone",
                names.join(", "),
                shadowed
                    .iter()
                    .map(|s| s.old.sql_type.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    });
    Some(view_schema)
}

#[cfg(all(test, feature = "parser"))]
mod tests {
    use crate::plan::test_utils::plan_source;

    /// A varchar widened in place; an integer to bigint through a shadow column, its view and its contract.
    #[test]
    fn in_place_and_shadowed_type_changes() {
        insta::assert_snapshot!(plan_source(
            r#"
            #[versioned(table = "orders", version = 2)]
            pub struct Order {
                #[col(primary_key)]
                pub id: i64,
                #[col(sql_type = "varchar(200)", retyped_at = 2, old_sql_type = "varchar(80)")]
                pub code: String,
                #[col(retyped_at = 2, old_type = "i32")]
                pub quantity: i64,
            }
            "#
        ));
    }
}
