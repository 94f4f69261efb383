//! `plan`: the pending steps, each file with its phase, lock, rewrite/scan and risk.

use std::fmt::Write as _;

use schema_core::plan::{Lock, Phase, PlanOptions, PlannedFile, Step};
use schema_core::render::{self, Meta};

use crate::generate::step_label;

pub fn plan_text(steps: &[&Step], covered: usize) -> String {
    let mut out = String::new();
    if steps.is_empty() {
        let _ = writeln!(
            out,
            "nothing pending: {covered} emitted migrations cover every version"
        );
        return out;
    }
    let _ = writeln!(out, "{} pending steps:", steps.len());
    for step in steps {
        let _ = writeln!(out, "\n{}", step_label(step));
        if !step.changes.is_empty() {
            let _ = writeln!(out, "  changes: {}", step.changes.join("; "));
        }
        if step.files.is_empty() {
            let _ = writeln!(out, "  (no schema change)");
        }
        for file in &step.files {
            let i = &file.impact;
            let yn = |b: bool| if b { "yes" } else { "no" };
            let _ = writeln!(
                out,
                "  {:<9} {:<20} {}\n            lock: {}\n            rewrites table: {}; scans table: {}; transaction: {}\n            risk: {} ({})",
                file.phase.as_str(),
                file.slug,
                file.title,
                i.lock,
                yn(i.rewrites),
                yn(i.scans),
                if file.transactional {
                    "one"
                } else {
                    "none (-- no-transaction)"
                },
                i.risk,
                i.why
            );
            if i.lock == Lock::RawSql {
                for line in squawk(step, file) {
                    let _ = writeln!(out, "            squawk: {line}");
                }
            }
        }
        if let Some(view) = &step.view_schema {
            let _ = writeln!(
                out,
                "  new code: version {v} reads {t} through the view {view}.{table} until the contract; set `search_path = {view}, {schema}` on its connections",
                v = step.to,
                t = step.qualified(),
                table = step.table,
                schema = step.schema
            );
        }
    }
    // The deploy, by phase.
    let (before, after): (Vec<String>, Vec<String>) = {
        let label = |step: &Step, slug: &str| format!("{} {slug}", step_label(step));
        let mut before = Vec::new();
        let mut after = Vec::new();
        for step in steps {
            for file in &step.files {
                match file.phase {
                    Phase::Contract => after.push(label(step, &file.slug)),
                    Phase::Expand | Phase::Backfill => before.push(label(step, &file.slug)),
                }
            }
        }
        (before, after)
    };
    let _ = writeln!(
        out,
        "\nBefore deploying the new code (`apply --phase expand`):"
    );
    for line in &before {
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(
        out,
        "After the old code is gone (`apply --phase contract`):"
    );
    if after.is_empty() {
        let _ = writeln!(out, "  nothing");
    }
    for line in &after {
        let _ = writeln!(out, "  {line}");
    }
    out
}

/// What squawk's rules find in a raw SQL step's file and its rollback, every finding: the
/// statements are the user's, so nothing in them is silenced.
fn squawk(step: &Step, file: &PlannedFile) -> Vec<String> {
    let meta = Meta {
        date: "",
        author: "",
    };
    let opts = PlanOptions::default();
    let stem = render::file_stem(0, step, file);
    let texts = [
        (
            format!("{stem}.sql"),
            render::forward(step, file, &stem, &meta, &opts),
        ),
        (
            format!("{stem}.rollback.sql"),
            render::rollback(step, file, &stem, &meta, &opts),
        ),
    ];
    let mut out = Vec::new();
    for (name, text) in &texts {
        for f in crate::lint::lint_text(std::path::Path::new(name), text) {
            let side = if name.ends_with(".rollback.sql") {
                "rollback"
            } else {
                "forward"
            };
            out.push(format!("{side} line {}: {}: {}", f.line, f.rule, f.message));
        }
    }
    if out.is_empty() {
        out.push("no findings".into());
    }
    out
}
