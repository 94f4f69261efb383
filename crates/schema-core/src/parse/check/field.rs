//! The keys of one field that shape its column: primary key, NOT NULL additions, renames,
//! references, identity.

#[allow(
    clippy::wildcard_imports,
    reason = "a part of `check`, over its imports and helpers"
)]
use super::*;

pub(super) fn check_field(
    ident: &syn::Ident,
    field: &syn::Field,
    f: &RawField,
    table: &str,
    schema: &str,
    table_since: &Sp<u32>,
    version: &Sp<u32>,
    table_until: Option<u32>,
    errors: &mut Errors,
) -> Option<FieldHistory> {
    let name = ident.to_string();
    let column = name.strip_prefix("r#").unwrap_or(&name).to_owned();
    check_ident(&column, ident.span(), "column name", errors);
    let (nullable, inner) = unwrap_option(&field.ty);
    let sql_type = match (&f.sql_type, mapped_type(inner)) {
        (Some(t), _) => t.value.clone(),
        (None, Some(t)) => t,
        (None, None) => {
            let ty = quote::ToTokens::to_token_stream(inner)
                .to_string()
                .replace(' ', "");
            // A versioned enum: the generator knows the enums of the sources; the macro asks
            // the enum's expansion through a trait (an error there when it is none).
            let last = last_segment(inner)
                .map(|(name, _)| name)
                .unwrap_or_default();
            match crate::parse::enum_type::resolve(&last) {
                Some(Ok(sql_type)) => sql_type,
                None => crate::parse::enum_type::deferred(&ty),
                Some(Err(())) => {
                    errors.push(
                        inner.span(),
                        format!(
                            "no PostgreSQL type is known for `{ty}`; add #[col(sql_type = \"...\")], or make it a #[versioned(enum_type = \"...\")] enum (mapped types: {})",
                            types::MAPPED_RUST_TYPES
                        ),
                    );
                    String::new()
                }
            }
        }
    };

    let since = f.since.clone().unwrap_or(Sp {
        value: table_since.value,
        span: ident.span(),
    });
    // Without its own `since`, the field follows the table's, which is checked on its own.
    if f.since.is_some() && since.value > version.value {
        errors.push(
            since.span,
            format!(
                "since = {} is above the table's version = {}",
                since.value, version.value
            ),
        );
    }
    if f.since.is_some() && since.value <= version.value {
        after_drop(symbol::SINCE, &since, table_until, errors);
    }
    if since.value < table_since.value {
        errors.push(
            since.span,
            format!(
                "since = {} is before the table exists (it is created at version {})",
                since.value, table_since.value
            ),
        );
    }
    if let Some(until) = &f.until {
        if until.value <= since.value {
            errors.push(
                until.span,
                format!(
                    "until = {} must be above since = {}",
                    until.value, since.value
                ),
            );
        } else if let Some(t) = table_until
            && until.value >= t
        {
            errors.push(
                until.span,
                format!(
                    "until = {} is not below the table's until = {t}; the column goes with its table, remove `until`",
                    until.value
                ),
            );
        } else if until.value > version.value {
            errors.push(
                until.span,
                format!(
                    "until = {} is above the table's version = {}; raise `version` to remove the column",
                    until.value, version.value
                ),
            );
        }
    }
    let added_later = since.value > table_since.value;
    if let Some(pk) = f.primary_key {
        if nullable {
            errors.push(
                field.ty.span(),
                "a primary key column cannot be NULL; remove the Option",
            );
        }
        if added_later || f.until.is_some() || f.renamed_from.is_some() {
            errors.push(pk, crate::rules::primary_key_changed().to_string());
        }
        if let Some(u) = f.unique {
            errors.push(u, "a primary key is already unique; remove `unique`");
        }
    }
    if let (Some(_), Some(index)) = (f.unique, f.index) {
        errors.push(index, "`unique` already creates an index; remove `index`");
    }
    if let Some(backfill) = &f.backfill {
        if !added_later && f.required_at.is_none() {
            errors.push(
                backfill.span,
                format!(
                    "`backfill` on column `{column}`, which is created with its table: there are no rows to fill; remove it"
                ),
            );
        }
    }
    // The default the column is added with: `old_default` when its default changes later.
    let default_at_since = match &f.default_at {
        Some(at) if at.value > since.value => f.old_default.is_some(),
        _ => f.default.is_some(),
    };
    // A column that becomes nullable later is NOT NULL when it is added.
    let nullable_at_since = (nullable && f.optional_at.is_none())
        || f.required_at
            .as_ref()
            .is_some_and(|k| k.value > since.value);
    if added_later
        && let Err(rule) = crate::rules::added_not_null(
            &column,
            since.value,
            nullable_at_since,
            default_at_since,
            f.backfill.is_some(),
        )
    {
        errors.push(since.span, rule.to_string());
    }
    let renamed_from = rename_pair(
        f.renamed_from.as_ref(),
        f.renamed_at.as_ref(),
        &column,
        "column",
        &since,
        version,
        table_until,
        errors,
    )
    .and_then(|(from, at)| {
        if !is_field_name(&from.value) {
            errors.push(
                from.span,
                format!(
                    "renamed_from = \"{}\" is not a Rust identifier; the types of the versions before the rename name their field after it",
                    from.value
                ),
            );
            return None;
        }
        Some((from.value.clone(), at.value))
    });
    let references = f.references.as_ref().and_then(|r| {
        let parsed = parse_reference(&r.value, schema);
        if parsed.is_none() {
            errors.push(
                r.span,
                format!(
                    "references = \"{}\" does not parse; write `table(column)` or `schema.table(column)`",
                    r.value
                ),
            );
        }
        parsed
    });
    // NOT NULL at some version: `set null` would fail there.
    let ever_not_null = (!nullable || f.optional_at.is_some() || f.required_at.is_some())
        .then_some(column.as_str());
    let mut actions = [(symbol::ON_DELETE, &f.on_delete), (symbol::ON_UPDATE, &f.on_update)].map(|(key, action)| {
        let action = action.as_ref()?;
        if f.references.is_none() {
            errors.push(
                action.span,
                format!("`{key}` is the action of a foreign key: it needs `references = \"table(column)\"` on the field"),
            );
            return None;
        }
        super::objects::check_action(action, key, ever_not_null, errors)
    });
    let references = references.map(|r| Reference {
        on_delete: actions[0].take(),
        on_update: actions[1].take(),
        ..r
    });
    let retyped = check_retype(
        f,
        &column,
        nullable,
        &sql_type,
        &since,
        version,
        table_until,
        errors,
    );
    let default_change = check_default_change(f, &since, version, table_until, errors);
    if let Some(down) = &f.down
        && f.until.is_none()
        && f.optional_at.is_none()
    {
        errors.push(
            down.span,
            "`down` is the value a rollback gives to rows left without one (while the column was being dropped, or nullable): it needs `until = K` or `optional_at = K` on the field",
        );
    }
    let nullable_change = match (&f.optional_at, &f.required_at) {
        (Some(_), Some(required)) => {
            errors.push(
                required.span,
                "a field cannot have both `optional_at` and `required_at`; change its nullability once",
            );
            None
        }
        (_, Some(_)) => check_nullability_change(
            f,
            symbol::REQUIRED_AT,
            nullable,
            &since,
            version,
            table_until,
            errors,
        ),
        _ => check_nullability_change(
            f,
            symbol::OPTIONAL_AT,
            nullable,
            &since,
            version,
            table_until,
            errors,
        ),
    };
    let identity = check_identity(f, nullable, &sql_type, added_later, errors);
    let _ = table;
    Some(FieldHistory {
        rust_name: column.clone(),
        column,
        sql_type,
        nullable,
        nullable_change,
        primary_key: f.primary_key.is_some(),
        unique: f.unique.is_some(),
        index: f.index.is_some(),
        since: since.value,
        until: f.until.as_ref().map(|u| u.value),
        renamed_from,
        retyped,
        default: f.default.as_ref().map(|d| d.value.clone()),
        default_change,
        down: f.down.as_ref().map(|d| d.value.clone()),
        identity,
        backfill: f.backfill.as_ref().map(|b| b.value.clone()),
        references,
        check: f.check.as_ref().map(|c| c.value.clone()),
    })
}

/// `identity` / `identity = "always"`: an integer column, NOT NULL, without a default, that
/// exists from its table's creation (added to a table that holds rows, it would rewrite it).
pub(super) fn check_identity(
    f: &RawField,
    nullable: bool,
    sql_type: &str,
    added_later: bool,
    errors: &mut Errors,
) -> Option<crate::model::Identity> {
    let identity = f.identity.as_ref()?;
    let kind = match identity.value.as_str() {
        "by default" => crate::model::Identity::ByDefault,
        "always" => crate::model::Identity::Always,
        other => {
            errors.push(
                identity.span,
                format!("identity = \"{other}\": write `identity` (by default) or `identity = \"always\"`"),
            );
            return None;
        }
    };
    let stored = crate::types::stored_type(sql_type).to_ascii_lowercase();
    let problem = if !matches!(
        stored.as_str(),
        "smallint" | "integer" | "bigint" | "int2" | "int4" | "int8"
    ) {
        Some(format!(
            "an identity column is an integer (i16, i32 or i64), not {sql_type}"
        ))
    } else if sql_type.to_ascii_lowercase().contains("serial") {
        Some("a serial column has its own sequence; use `identity` or `sql_type = \"serial\"`, not both".into())
    } else if nullable {
        Some("an identity column is NOT NULL; remove the Option".into())
    } else if f.default.is_some() {
        Some("an identity column takes its values from its sequence; remove `default`".into())
    } else if added_later {
        Some("`identity` on a column added after the table's creation would rewrite the table to number its rows; add it with the table, or add a plain column with `default`".into())
    } else {
        None
    };
    if let Some(problem) = problem {
        errors.push(identity.span, problem);
        return None;
    }
    Some(kind)
}
