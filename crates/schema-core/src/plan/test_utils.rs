//! For the tests beside each change kind: plan structs written inline and show every file of
//! every step as data (phase, transaction, lock, statements with their squawk exceptions,
//! verification, rollback), for a reviewed snapshot. The file layouts are tested elsewhere.

use std::fmt::Write as _;

use super::{PlanOptions, Sql, Step, order};
use crate::parse::structs_in_file;

/// Why the `#[versioned]` structs of `source` (valid annotations) do not plan.
pub fn plan_error(source: &str) -> String {
    let file: syn::File = syn::parse_str(source).expect("the test's source parses");
    let histories: Vec<_> = structs_in_file(&file)
        .into_iter()
        .map(|s| s.expect("the test's annotations are valid").history)
        .collect();
    order::plan_all(&histories, &PlanOptions::default())
        .expect_err("the steps are refused")
        .to_string()
}

/// The steps of the `#[versioned]` structs and enums in `source`, planned with the default
/// options, as data.
pub fn plan_steps(source: &str) -> Vec<Step> {
    let file: syn::File = syn::parse_str(source).expect("the test's source parses");
    // The versioned enums first, as the generator reads them: a field of one maps to its type.
    let enums: Vec<_> = crate::parse::enum_type::enums_in_file(&file)
        .into_iter()
        .map(|e| e.expect("the test's enums are valid").history)
        .collect();
    let histories: Vec<_> = crate::parse::enum_type::with_known_enums(&enums, || {
        structs_in_file(&file)
            .into_iter()
            .map(|s| s.expect("the test's annotations are valid").history)
            .collect()
    });
    order::plan_all_with_enums(&histories, &enums, &PlanOptions::default()).expect("the steps plan")
}

/// The steps of the `#[versioned]` structs and enums in `source`, planned with the default
/// options: the version steps, or the creations when there is nothing else.
pub fn plan_source(source: &str) -> String {
    let steps = plan_steps(source);
    let changes = steps.iter().any(|s| s.from.is_some());
    let mut out = String::new();
    for step in steps.iter().filter(|s| s.from.is_some() || !changes) {
        let from = step
            .from
            .map_or("created".to_owned(), |f| format!("v{f} ->"));
        let _ = writeln!(out, "## {} {from} v{}", step.qualified(), step.to);
        for file in &step.files {
            let _ = writeln!(
                out,
                "\n### {} ({}, {}; rollback {})\n# {}\n# lock: {}",
                file.slug,
                file.phase,
                if file.transactional {
                    "one transaction"
                } else {
                    "no transaction"
                },
                if file.rollback_transactional {
                    "one transaction"
                } else {
                    "no transaction"
                },
                file.title,
                file.impact.lock,
            );
            statements(&mut out, "forward", &file.forward);
            for v in &file.verify {
                let _ = writeln!(out, "verify: {v:?}");
            }
            statements(&mut out, "rollback", &file.rollback);
            for v in &file.rollback_verify {
                let _ = writeln!(out, "rollback verify: {v:?}");
            }
        }
        out.push('\n');
    }
    out
}

fn statements(out: &mut String, what: &str, stmts: &[Sql]) {
    for s in stmts {
        let _ = writeln!(out, "{what}: {}", s.text);
        for (rule, reason) in &s.squawk_ignore {
            let _ = writeln!(out, "  squawk-ignore {rule}: {reason}");
        }
    }
}
