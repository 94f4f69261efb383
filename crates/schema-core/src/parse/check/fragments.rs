//! The user's SQL fragments of every field, each naming only columns its row has.

#[allow(
    clippy::wildcard_imports,
    reason = "a part of `check`, over its imports and helpers"
)]
use super::*;

/// An expression of a field: its key, its text, and the versions whose columns it may name
/// (`None`: none at all, as in a `default`).
pub(super) type Fragment<'a> = (&'static str, &'a Sp<String>, Option<Vec<u32>>);

/// Every SQL fragment of every field: one expression (or type) each, naming only columns that
/// the row has where it is evaluated ([`super::fragment`]).
pub(super) fn check_fragments(
    table: &str,
    raw: &[RawField],
    fields: &[FieldHistory],
    errors: &mut Errors,
) {
    let columns_at = |version: u32| -> Vec<&str> {
        fields
            .iter()
            .filter(|f| f.exists_at(version))
            .map(|f| f.column_at(version))
            .collect()
    };
    for (f, h) in raw.iter().zip(fields) {
        let since = h.since;
        let retyped = h.retyped.as_ref().map(|r| r.at);
        let mut expressions: Vec<Fragment> = Vec::new();
        if let Some(d) = &f.default {
            expressions.push((symbol::DEFAULT, d, None));
        }
        if let Some(d) = &f.old_default {
            expressions.push((symbol::OLD_DEFAULT, d, None));
        }
        if let (Some(d), Some(until)) = (&f.down, h.until.or(h.nullable_change)) {
            expressions.push((symbol::DOWN, d, Some(vec![until - 1, until])));
        }
        if let Some(c) = &f.check {
            expressions.push((symbol::CHECK, c, Some(vec![since])));
        }
        if let Some(b) = &f.backfill {
            // Evaluated where the column is added, and where it becomes NOT NULL.
            let mut versions = vec![since.saturating_sub(1), since];
            if let (Some(at), false) = (h.nullable_change, h.nullable) {
                versions.extend([at - 1, at]);
            }
            expressions.push((symbol::BACKFILL, b, Some(versions)));
        }
        if let (Some(u), Some(at)) = (&f.using, retyped) {
            expressions.push((symbol::USING, u, Some(vec![at.saturating_sub(1)])));
        }
        if let (Some(r), Some(at)) = (&f.reverse, retyped) {
            expressions.push((symbol::REVERSE, r, Some(vec![at])));
        }
        for (key, fragment, versions) in expressions {
            let what = format!("{key} = \"{}\"", fragment.value);
            let refs = match crate::parse::fragment::expression(&fragment.value, &what) {
                Ok(refs) => refs,
                Err(e) => {
                    errors.push(fragment.span, e);
                    continue;
                }
            };
            let Some(versions) = versions else {
                if let Some(c) = refs.columns.first() {
                    errors.push(
                        fragment.span,
                        format!("{what} names `{c}`: a default cannot read the row (PostgreSQL refuses columns in DEFAULT); fill existing rows with `backfill`, or quote a string: '{c}'"),
                    );
                }
                continue;
            };
            let known: Vec<&str> = versions.iter().flat_map(|v| columns_at(*v)).collect();
            for c in &refs.columns {
                if !known.contains(&c.as_str()) {
                    let near = known
                        .iter()
                        .filter(|k| strsim::jaro_winkler(k, c) > 0.8)
                        .max_by(|a, b| {
                            strsim::jaro_winkler(a, c).total_cmp(&strsim::jaro_winkler(b, c))
                        })
                        .map_or(String::new(), |k| format!("; did you mean `{k}`?"));
                    let mut listed: Vec<&str> = known.clone();
                    listed.sort();
                    listed.dedup();
                    errors.push(
                        fragment.span,
                        format!(
                            "{what} names `{c}`, which is not a column of {table} at version {} (columns: {}){near}",
                            versions.iter().max().copied().unwrap_or(since),
                            listed.join(", ")
                        ),
                    );
                }
            }
        }
        for (key, ty) in [
            (symbol::SQL_TYPE, &f.sql_type),
            (symbol::OLD_SQL_TYPE, &f.old_sql_type),
        ] {
            if let Some(ty) = ty
                && let Err(e) = crate::parse::fragment::sql_type(
                    &ty.value,
                    &format!("{key} = \"{}\"", ty.value),
                )
            {
                errors.push(ty.span, e);
            }
        }
    }
}
