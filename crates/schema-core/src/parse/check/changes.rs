//! The keys that change a column or the table at a version: renames (of a column, of the
//! table), nullability, defaults and types, each in range and apart from the others.

#[allow(
    clippy::wildcard_imports,
    reason = "a part of `check`, over its imports and helpers"
)]
use super::*;

/// The versions at which a column changes, each with the key that says so.
pub(super) fn field_changes(f: &FieldHistory) -> Vec<(&'static str, u32)> {
    let mut out = vec![(symbol::SINCE, f.since)];
    out.extend(f.until.map(|v| (symbol::UNTIL, v)));
    out.extend(
        f.renamed_from
            .as_ref()
            .map(|(_, v)| (symbol::RENAMED_AT, *v)),
    );
    out.extend(f.retyped.as_ref().map(|r| (symbol::RETYPED_AT, r.at)));
    out.extend(f.nullable_change.map(|v| {
        let key = if f.nullable {
            symbol::OPTIONAL_AT
        } else {
            symbol::REQUIRED_AT
        };
        (key, v)
    }));
    out.extend(
        f.default_change
            .as_ref()
            .map(|(v, _)| (symbol::DEFAULT_AT, *v)),
    );
    out
}

/// `renamed_from`/`renamed_at` on `#[versioned]`: the table's old name and the version that
/// uses the new one, which changes nothing else of the table.
pub(super) fn check_table_rename(
    raw: &RawStruct,
    table: &str,
    since: &Sp<u32>,
    version: &Sp<u32>,
    until: Option<u32>,
    fields: &[FieldHistory],
    errors: &mut Errors,
) -> Option<(String, u32)> {
    let (from, at) = rename_pair(
        raw.renamed_from.as_ref(),
        raw.renamed_at.as_ref(),
        table,
        "table",
        since,
        version,
        until,
        errors,
    )?;
    check_ident(&from.value, from.span, "table name", errors);
    let other = fields.iter().find_map(|f| {
        field_changes(f)
            .into_iter()
            .find(|(_, v)| *v == at.value)
            .map(|(key, _)| (f, key))
    });
    if let Some((f, key)) = other {
        errors.push(
            at.span,
            format!(
                "the table is renamed at version {}, where column `{}` changes too ({key} = {}); a rename takes a version of its own: move one of them to another version",
                at.value, f.column, at.value
            ),
        );
        return None;
    }
    Some((from.value.clone(), at.value))
}

/// `renamed_from` and `renamed_at` of a column or a table (`what`, whose own name is `own`):
/// both or neither, the rename after `since`, at most at `version` and before `until`, and a
/// name other than its own. The pair when they hold.
pub(super) fn rename_pair<'a>(
    from: Option<&'a Sp<String>>,
    at: Option<&'a Sp<u32>>,
    own: &str,
    what: &str,
    since: &Sp<u32>,
    version: &Sp<u32>,
    until: Option<u32>,
    errors: &mut Errors,
) -> Option<(&'a Sp<String>, &'a Sp<u32>)> {
    match (from, at) {
        (Some(from), Some(at)) => {
            let mut ok = true;
            if at.value <= since.value || at.value > version.value {
                errors.push(
                    at.span,
                    format!(
                        "renamed_at = {} must be above since = {} and at most version = {}",
                        at.value, since.value, version.value
                    ),
                );
                ok = false;
            } else if until.is_some_and(|u| at.value >= u) {
                after_drop(symbol::RENAMED_AT, at, until, errors);
                ok = false;
            }
            if from.value == own {
                let whose = if what == "column" { "field" } else { what };
                errors.push(
                    from.span,
                    format!(
                        "renamed_from = \"{}\" is the {whose}'s own name",
                        from.value
                    ),
                );
                ok = false;
            }
            ok.then_some((from, at))
        }
        (Some(from), None) => {
            errors.push(
                from.span,
                "`renamed_from` needs `renamed_at = N`, the version that uses the new name",
            );
            None
        }
        (None, Some(at)) => {
            errors.push(
                at.span,
                format!("`renamed_at` needs `renamed_from = \"...\"`, the {what}'s old name"),
            );
            None
        }
        (None, None) => None,
    }
}

/// `optional_at = K` (an `Option` field whose column is NOT NULL below K) or `required_at = K`
/// (a field whose column is nullable below K), in a version of its own among the column's
/// changes.
pub(super) fn check_nullability_change(
    f: &RawField,
    key: &'static str,
    nullable: bool,
    since: &Sp<u32>,
    version: &Sp<u32>,
    table_until: Option<u32>,
    errors: &mut Errors,
) -> Option<u32> {
    let optional = key == symbol::OPTIONAL_AT;
    let at = if optional {
        f.optional_at.as_ref()?
    } else {
        f.required_at.as_ref()?
    };
    if nullable != optional {
        errors.push(
            at.span,
            if optional {
                format!(
                    "optional_at = {} needs an Option field: the field is `Option<T>` from version {} on and `T` before it",
                    at.value, at.value
                )
            } else {
                format!(
                    "required_at = {} needs a field that is not an Option: the field is `T` from version {} on and `Option<T>` before it",
                    at.value, at.value
                )
            },
        );
        return None;
    }
    if change_in_range(f, key, at, since, version, table_until, errors) {
        return None;
    }
    if f.retyped_at.is_some() {
        errors.push(
            at.span,
            format!("a field cannot both change its type (`retyped_at`) and its nullability (`{key}`); use a new field for one of them"),
        );
    }
    same_version(
        at,
        key,
        &[
            (symbol::RENAMED_AT, &f.renamed_at),
            (symbol::DEFAULT_AT, &f.default_at),
        ],
        "its nullability",
        errors,
    );
    Some(at.value)
}

/// A column change `key = at` (`default_at`, `optional_at`, `required_at`): above the column's
/// first version, at most the struct's, before the table's and the column's `until`. `true`
/// when `at` is out of range (nothing more to check).
pub(super) fn change_in_range(
    f: &RawField,
    key: &str,
    at: &Sp<u32>,
    since: &Sp<u32>,
    version: &Sp<u32>,
    table_until: Option<u32>,
    errors: &mut Errors,
) -> bool {
    if at.value <= since.value || at.value > version.value {
        errors.push(
            at.span,
            format!(
                "{key} = {} must be above since = {} and at most version = {}",
                at.value, since.value, version.value
            ),
        );
        return true;
    }
    after_drop(key, at, table_until, errors);
    if let Some(until) = &f.until
        && at.value >= until.value
    {
        errors.push(
            at.span,
            format!(
                "{key} = {} is not below the column's until = {}; the column is gone by then",
                at.value, until.value
            ),
        );
    }
    false
}

/// `key = at` falls on the version of another change of the column: one change per version.
pub(super) fn same_version(
    at: &Sp<u32>,
    key: &str,
    others: &[(&str, &Option<Sp<u32>>)],
    what: &str,
    errors: &mut Errors,
) {
    for (other_key, other) in others {
        if other.as_ref().is_some_and(|o| o.value == at.value) {
            errors.push(
                at.span,
                format!(
                    "{key} = {} is also the column's {other_key}; change {what} in another version",
                    at.value
                ),
            );
        }
    }
}

/// `default_at = K` and `old_default`: the default changes at K, inside the column's life, in
/// a version of its own among the column's changes.
pub(super) fn check_default_change(
    f: &RawField,
    since: &Sp<u32>,
    version: &Sp<u32>,
    table_until: Option<u32>,
    errors: &mut Errors,
) -> Option<(u32, Option<String>)> {
    let Some(at) = &f.default_at else {
        if let Some(old) = &f.old_default {
            errors.push(
                old.span,
                "`old_default` needs `default_at = K`, the first version with `default`",
            );
        }
        return None;
    };
    if change_in_range(
        f,
        symbol::DEFAULT_AT,
        at,
        since,
        version,
        table_until,
        errors,
    ) {
        return None;
    }
    same_version(
        at,
        symbol::DEFAULT_AT,
        &[
            (symbol::RENAMED_AT, &f.renamed_at),
            (symbol::RETYPED_AT, &f.retyped_at),
        ],
        "the default",
        errors,
    );
    if f.default.is_none() && f.old_default.is_none() {
        errors.push(
            at.span,
            format!(
                "default_at = {} changes nothing: give `default` (the default from version {}; without it the default is dropped) and/or `old_default` (the default before it)",
                at.value, at.value
            ),
        );
    }
    Some((at.value, f.old_default.as_ref().map(|o| o.value.clone())))
}

/// A column change `key = version` at or after the version that drops the table.
pub(super) fn after_drop(
    key: &str,
    version: &Sp<u32>,
    table_until: Option<u32>,
    errors: &mut Errors,
) {
    if let Some(t) = table_until
        && version.value >= t
    {
        errors.push(
            version.span,
            format!(
                "{key} = {} is not below the table's until = {t}; the table is dropped at version {t}",
                version.value
            ),
        );
    }
}

/// `retyped_at`, `old_type` / `old_sql_type`, `using` and `reverse`.
pub(super) fn check_retype(
    f: &RawField,
    column: &str,
    nullable: bool,
    sql_type: &str,
    since: &Sp<u32>,
    version: &Sp<u32>,
    table_until: Option<u32>,
    errors: &mut Errors,
) -> Option<Retype> {
    let Some(at) = &f.retyped_at else {
        let keys = [
            (symbol::OLD_TYPE, f.old_type.as_ref().map(|l| l.span())),
            (
                symbol::OLD_SQL_TYPE,
                f.old_sql_type.as_ref().map(|s| s.span),
            ),
            (symbol::USING, f.using.as_ref().map(|s| s.span)),
            (symbol::REVERSE, f.reverse.as_ref().map(|s| s.span)),
        ];
        for (key, span) in keys {
            if let Some(span) = span {
                errors.push(
                    span,
                    format!("`{key}` describes a type change and needs `retyped_at = N`, the first version with the field's own type"),
                );
            }
        }
        return None;
    };
    if at.value <= since.value || at.value > version.value {
        errors.push(
            at.span,
            format!(
                "retyped_at = {} must be above since = {} and at most version = {}",
                at.value, since.value, version.value
            ),
        );
    }
    if let Some(until) = &f.until
        && at.value >= until.value
    {
        errors.push(
            at.span,
            format!(
                "retyped_at = {} must be below until = {}, the version that removes the column",
                at.value, until.value
            ),
        );
    } else if at.value <= version.value {
        after_drop(symbol::RETYPED_AT, at, table_until, errors);
    }
    if f.primary_key.is_some() {
        errors.push(
            at.span,
            crate::rules::primary_key_retyped(column).to_string(),
        );
    }
    if let Some(renamed) = &f.renamed_at
        && renamed.value == at.value
    {
        errors.push(
            at.span,
            format!(
                "the column is renamed and retyped at the same version {}; rename in one version and change the type in a later one",
                at.value
            ),
        );
    }
    if let Some(check) = &f.check {
        errors.push(
            check.span,
            format!(
                "a `check` on field `{column}`, whose type changes: its expression names the column and cannot follow it to the new type; remove the check"
            ),
        );
    }
    let old_rust = f.old_type.as_ref().and_then(|lit| {
        let parsed = lit.parse::<syn::Type>();
        if let Err(e) = &parsed {
            errors.push(
                lit.span(),
                format!("old_type = \"{}\" is not a Rust type: {e}", lit.value()),
            );
        }
        parsed.ok().map(|ty| (ty, lit.span()))
    });
    if let Some((ty, span)) = &old_rust {
        let (old_nullable, _) = unwrap_option(ty);
        if old_nullable != nullable {
            let what = |n: bool| if n { "an Option" } else { "not an Option" };
            errors.push(
                *span,
                format!(
                    "old_type is {} but the field is {}; a type change keeps the column's nullability",
                    what(old_nullable),
                    what(nullable)
                ),
            );
        }
    }
    let old_sql_type = match (&f.old_sql_type, &old_rust) {
        (Some(t), _) => t.value.clone(),
        (None, Some((ty, span))) => match mapped_type(unwrap_option(ty).1) {
            Some(t) => t,
            None => {
                errors.push(
                    *span,
                    format!(
                        "no PostgreSQL type is known for old_type = \"{}\"; add old_sql_type = \"...\" (mapped types: {})",
                        quote::ToTokens::to_token_stream(ty).to_string().replace(' ', ""),
                        types::MAPPED_RUST_TYPES
                    ),
                );
                return None;
            }
        },
        (None, None) if f.old_type.is_some() => return None,
        (None, None) => {
            errors.push(
                at.span,
                "`retyped_at` needs the type before it: `old_type = \"...\"` (its Rust type) or `old_sql_type = \"...\"`",
            );
            return None;
        }
    };
    if sql_type.is_empty() {
        return None;
    }
    if types::SqlType::parse(&old_sql_type) == types::SqlType::parse(sql_type) {
        errors.push(
            at.span,
            format!(
                "the column's type is {sql_type} both before and from retyped_at = {}; remove the type change, or give the new type with `sql_type`",
                at.value
            ),
        );
        return None;
    }
    if f.using.is_none() && !types::assignment_cast(&old_sql_type, sql_type) {
        errors.push(
            at.span,
            format!(
                "PostgreSQL has no implicit or assignment cast from {old_sql_type} to {sql_type}; add using = \"...\", an SQL expression over `{column}` that gives the new value"
            ),
        );
    }
    if f.reverse.is_none() && !types::assignment_cast(sql_type, &old_sql_type) {
        errors.push(
            at.span,
            format!(
                "PostgreSQL has no implicit or assignment cast from {sql_type} back to {old_sql_type}; add reverse = \"...\", an SQL expression over `{column}` that gives the old value (for rows that new code writes before the contract, and for rollbacks)"
            ),
        );
    }
    Some(Retype {
        at: at.value,
        old_sql_type,
        using: f.using.as_ref().map(|u| u.value.clone()),
        reverse: f.reverse.as_ref().map(|r| r.value.clone()),
    })
}
