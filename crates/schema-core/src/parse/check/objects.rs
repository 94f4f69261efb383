//! What the struct-level `#[index]`, `#[unique]`, `#[check]` and `#[foreign_key]` attributes
//! mean against the table: versions in range, columns that exist for the object's whole life,
//! a known access method and actions, names that fit and do not collide.

use proc_macro2::Span;

use super::{check_ident, parse_target};
use crate::history::{FieldHistory, ObjectKind, TableObject};
use crate::model::{Check, ForeignKey, Index};
use crate::names;
use crate::parse::Errors;
use crate::parse::attr::Sp;
use crate::parse::object::{RawObject, example};
use crate::parse::symbol::*;

/// The access methods an index may use (PostgreSQL's built-in ones).
pub const METHODS: &[&str] = &["btree", "hash", "gist", "spgist", "gin", "brin"];
/// The methods that can hold `INCLUDE` columns.
const INCLUDE_METHODS: &[&str] = &["btree", "gist", "spgist"];
/// The referential actions of `on_delete` / `on_update`.
pub const ACTIONS: &[&str] = &[
    "no action",
    "restrict",
    "cascade",
    "set null",
    "set default",
];

/// The table an object belongs to, as far as its rules need it.
pub(super) struct Table<'a> {
    pub name: &'a str,
    pub schema: &'a str,
    pub since: u32,
    /// The last version at which the table exists.
    pub last: u32,
    pub fields: &'a [FieldHistory],
}

/// Checks every object and gives each its history; objects with errors are left out.
pub(super) fn check_objects(
    raw: &[RawObject],
    table: &Table,
    errors: &mut Errors,
) -> Vec<TableObject> {
    let mut out: Vec<(TableObject, Option<Span>)> = Vec::new();
    for object in raw {
        if let Some(checked) = check_object(object, table, errors) {
            out.push((checked, object.name.as_ref().map(|n| n.span)));
        }
    }
    name_objects(&mut out, table, errors);
    out.into_iter().map(|(o, _)| o).collect()
}

/// `on_delete` / `on_update`: one of [`ACTIONS`], lowercased; `set null` needs a column that
/// is nullable whenever the key exists (`nullable`: whether it is).
pub(super) fn check_action(
    action: &Sp<String>,
    key: &str,
    not_null: Option<&str>,
    errors: &mut Errors,
) -> Option<String> {
    let value = action.value.trim().to_ascii_lowercase();
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if !ACTIONS.contains(&value.as_str()) {
        errors.push(
            action.span,
            format!(
                "{key} = \"{}\" is not a referential action; write one of: {}",
                action.value,
                ACTIONS.join(", ")
            ),
        );
        return None;
    }
    if value == "set null"
        && let Some(column) = not_null
    {
        errors.push(
            action.span,
            format!(
                "{key} = \"set null\" on column `{column}`, which is NOT NULL: the action would fail; make the field an Option, or use \"cascade\" or \"restrict\""
            ),
        );
        return None;
    }
    Some(value)
}

fn check_object(raw: &RawObject, table: &Table, errors: &mut Errors) -> Option<TableObject> {
    let attr = raw.attr;
    let before = errors.len();
    // The versions the object lives at: since ..= end.
    let since = raw.since.as_ref().map_or(table.since, |s| s.value);
    if let Some(s) = &raw.since
        && !(table.since..=table.last).contains(&s.value)
    {
        errors.push(
            s.span,
            format!(
                "since = {} is outside the versions of table `{}` ({} to {}); an index or constraint lives while its table does",
                s.value, table.name, table.since, table.last
            ),
        );
        return None;
    }
    let until = match &raw.until {
        Some(u) if u.value <= since => {
            errors.push(
                u.span,
                format!(
                    "until = {} must be above since = {since}; the #[{attr}] exists from `since` up to, not including, `until`",
                    u.value
                ),
            );
            return None;
        }
        Some(u) if u.value > table.last => {
            errors.push(
                u.span,
                format!(
                    "until = {} is above the last version of table `{}` ({}); raise `version` to drop the #[{attr}] at {}",
                    u.value, table.name, table.last, u.value
                ),
            );
            return None;
        }
        Some(u) => Some(u.value),
        None => None,
    };
    let end = until.map_or(table.last, |u| u - 1);

    let columns = raw
        .columns
        .as_ref()
        .map(|c| c.value.clone())
        .unwrap_or_default();
    let include = raw
        .include
        .as_ref()
        .map(|c| c.value.clone())
        .unwrap_or_default();
    let written = |key: &str| raw.mentioned.contains(&key);
    match attr {
        INDEX => match (&raw.columns, &raw.expr) {
            (Some(c), Some(_)) => errors.push(
                c.span,
                "#[index] takes `columns(...)` or `expr = \"...\"`, not both",
            ),
            (None, None) if !written(COLUMNS) && !written(EXPR) => errors.push(
                raw.span,
                format!(
                    "#[index] needs `columns(...)` or `expr = \"...\"`, as in {}",
                    example(INDEX)
                ),
            ),
            _ => {}
        },
        CHECK if raw.expr.is_none() && !written(EXPR) => errors.push(
            raw.span,
            format!("#[check] needs `expr = \"...\"`, as in {}", example(CHECK)),
        ),
        UNIQUE | FOREIGN_KEY if raw.columns.is_none() && !written(COLUMNS) => errors.push(
            raw.span,
            format!("#[{attr}] needs `columns(...)`, as in {}", example(attr)),
        ),
        _ => {}
    }
    if attr == FOREIGN_KEY && raw.references.is_none() && !written(REFERENCES) {
        errors.push(
            raw.span,
            format!(
                "#[foreign_key] needs `references = \"table(column, ...)\"`, as in {}",
                example(FOREIGN_KEY)
            ),
        );
    }
    for (i, c) in columns.iter().chain(&include).enumerate() {
        if columns
            .iter()
            .chain(&include)
            .take(i)
            .any(|o| o.value == c.value)
        {
            errors.push(c.span, format!("column `{}` is named twice", c.value));
        }
    }
    // Every column exists, under the same name and type, for the object's whole life.
    let mut not_null = None;
    for c in columns.iter().chain(&include) {
        match live_column(table, &c.value, since, end) {
            Ok(field) => {
                if (since..=end).any(|v| !field.nullable_at(v)) {
                    not_null.get_or_insert(field.column.as_str());
                }
            }
            Err(problem) => errors.push(c.span, problem),
        }
    }
    // An expression or a predicate is one SQL expression, parsed as every SQL fragment of a
    // field is (nothing that could end the generated statement), and the columns it names live
    // as long, by the same rule: PostgreSQL drops the object with a dropped column, and a
    // rollback would not rebuild it.
    for (key, sql) in [("expr", &raw.expr), ("predicate", &raw.predicate)] {
        let Some(sql) = sql.as_ref().filter(|s| !s.value.trim().is_empty()) else {
            continue;
        };
        let what = format!("{key} = \"{}\"", sql.value);
        match crate::parse::fragment::expression(&sql.value, &what) {
            Ok(refs) => {
                let mut named: Vec<&String> = Vec::new();
                for column in &refs.columns {
                    if !named.contains(&column) {
                        named.push(column);
                    }
                }
                for column in named {
                    if let Err(problem) = live_column(table, column, since, end) {
                        errors.push(sql.span, problem);
                    }
                }
            }
            Err(problem) => errors.push(sql.span, problem),
        }
    }
    let method = raw.using.as_ref().and_then(|m| {
        let value = m.value.trim().to_ascii_lowercase();
        if !METHODS.contains(&value.as_str()) {
            errors.push(
                m.span,
                format!(
                    "using = \"{}\" is not an index method; write one of: {}",
                    m.value,
                    METHODS.join(", ")
                ),
            );
            return None;
        }
        Some(value)
    });
    let method_name = method.as_deref().unwrap_or("btree");
    if let Some(u) = raw.unique
        && method_name != "btree"
    {
        errors.push(
            u,
            format!("a {method_name} index cannot be unique; only btree indexes can (remove `using` or `unique`)"),
        );
    }
    if let Some(i) = &raw.include
        && !INCLUDE_METHODS.contains(&method_name)
    {
        errors.push(
            i.span,
            format!(
                "a {method_name} index cannot include columns; only {} indexes can",
                INCLUDE_METHODS.join(", ")
            ),
        );
    }
    if let Some(name) = &raw.name {
        check_ident(&name.value, name.span, "name", errors);
    }
    let on_delete = raw
        .on_delete
        .as_ref()
        .and_then(|a| check_action(a, ON_DELETE, not_null, errors));
    let on_update = raw
        .on_update
        .as_ref()
        .and_then(|a| check_action(a, ON_UPDATE, not_null, errors));
    let names = |list: &[Sp<String>]| list.iter().map(|c| c.value.clone()).collect::<Vec<_>>();
    let kind = match attr {
        INDEX | UNIQUE => ObjectKind::Index(Index {
            name: String::new(),
            columns: names(&columns),
            unique: attr == UNIQUE,
            unique_index: raw.unique.is_some(),
            expr: raw.expr.as_ref().map(|e| e.value.clone()),
            using: method,
            predicate: raw.predicate.as_ref().map(|p| p.value.clone()),
            include: names(&include),
        }),
        CHECK => ObjectKind::Check(Check {
            name: String::new(),
            expr: raw.expr.as_ref()?.value.clone(),
        }),
        _ => {
            let target = raw.references.as_ref()?;
            let Some((schema, ref_table, ref_columns)) = parse_target(&target.value, table.schema)
            else {
                errors.push(
                    target.span,
                    format!(
                        "references = \"{}\" does not parse; write `table(column, ...)` or `schema.table(column, ...)`",
                        target.value
                    ),
                );
                return None;
            };
            if ref_columns.len() != columns.len() {
                errors.push(
                    target.span,
                    format!(
                        "references names {} column(s) but `columns(...)` has {}; name one referenced column per column",
                        ref_columns.len(),
                        columns.len()
                    ),
                );
            }
            ObjectKind::ForeignKey(ForeignKey {
                name: String::new(),
                columns: names(&columns),
                ref_schema: schema,
                ref_table,
                ref_columns,
                on_delete,
                on_update,
            })
        }
    };
    (errors.len() == before).then(|| TableObject {
        kind,
        name: raw.name.as_ref().map(|n| n.value.clone()),
        tag: None,
        since,
        until,
    })
}

/// The field whose column is `column` at every version of `since..=end`, without a rename or a
/// type change among them; else what is wrong, with the fix.
fn live_column<'a>(
    table: &Table<'a>,
    column: &str,
    since: u32,
    end: u32,
) -> Result<&'a FieldHistory, String> {
    let Some(field) = table
        .fields
        .iter()
        .find(|f| f.exists_at(since) && f.column_at(since) == column)
    else {
        let there: Vec<&str> = table
            .fields
            .iter()
            .filter(|f| f.exists_at(since))
            .map(|f| f.column_at(since))
            .collect();
        return Err(format!(
            "table `{}` has no column `{column}` at version {since} (its columns then: {}); name columns as they are called at `since`",
            table.name,
            there.join(", ")
        ));
    };
    if let Some(gone) = field.until.filter(|u| *u <= end) {
        return Err(format!(
            "column `{column}` is dropped at version {gone}, while this lives on; end it with `until = {gone}` or earlier"
        ));
    }
    // Built at its rename, it is built on the new column; at a type change, the new values
    // are in another column until the contract, so it comes a version later.
    let renamed = field
        .renamed_from
        .as_ref()
        .map(|(_, at)| *at)
        .filter(|at| *at > since && *at <= end);
    let retyped = field
        .retyped
        .as_ref()
        .map(|r| r.at)
        .filter(|at| (since..=end).contains(at));
    if let Some(at) = renamed {
        return Err(format!(
            "column `{column}` is renamed at version {at}, while this lives: end it with `until = {at}` and declare a new one from version {at} on the column's new name"
        ));
    }
    if let Some(at) = retyped {
        return Err(format!(
            "column `{column}` changes type at version {at}, while this lives: end it with `until = {at}` and declare a new one from version {}",
            at + 1
        ));
    }
    Ok(field)
}

/// Gives each object without a `name` a made name, tagged with its version where it would be the
/// same as another object's; a `name` that is another object's is an error.
fn name_objects(objects: &mut [(TableObject, Option<Span>)], table: &Table, errors: &mut Errors) {
    // The names the field annotations and the table already take.
    let mut taken: Vec<String> = vec![
        names::object_name(&[table.name], "pkey"),
        table.name.to_owned(),
    ];
    for f in table.fields {
        let col = &f.column;
        if f.unique {
            taken.push(names::object_name(&[table.name, col], "key"));
        }
        if f.index {
            taken.push(names::object_name(&[table.name, col], "idx"));
        }
        if f.references.is_some() {
            taken.push(names::object_name(&[table.name, col], "fkey"));
        }
        if f.check.is_some() {
            taken.push(names::object_name(&[table.name, col], "check"));
        }
    }
    // Names given by hand first: a made name steps aside for them.
    for (object, span) in objects.iter() {
        if let (Some(name), Some(span)) = (&object.name, span) {
            if taken.contains(name) {
                errors.push(
                    *span,
                    format!(
                        "name = \"{name}\" is already the name of another index, constraint or the table itself in `{}`; index and constraint names must differ (PostgreSQL keeps index names per schema)",
                        table.name
                    ),
                );
            }
            taken.push(name.clone());
        }
    }
    for (object, _) in objects.iter_mut().filter(|(o, _)| o.name.is_none()) {
        let mut n = 1;
        while taken.contains(&object.name_at(table.name)) {
            n += 1;
            object.tag = Some(match n {
                2 => format!("v{}", object.since),
                _ => format!("v{}_{n}", object.since),
            });
        }
        taken.push(object.name_at(table.name));
    }
}

#[cfg(test)]
mod tests {
    use crate::parse::fragment::expression;
    use crate::parse::structs_in_file;

    /// The messages of the struct's compile errors, in order.
    fn errors(file: syn::File) -> Vec<String> {
        structs_in_file(&file)
            .into_iter()
            .filter_map(Result::err)
            .flat_map(|e| e.into_iter().map(|e| e.to_string()))
            .collect()
    }

    /// The columns an expression names, as the shared fragment parser reads them: unquoted
    /// names folded to lower case, quoted ones as written, nothing from string literals or
    /// function names; a comment or a `;` is refused, as in every fragment.
    #[test]
    fn expressions_name_columns_as_the_fragment_parser_reads_them() {
        let refs = expression(
            r#"lower(Email) <> 'body' AND "Title" = E'it\'s body' AND n > 1e5 AND $$body$$ <> x::text"#,
            "expr",
        )
        .unwrap();
        assert_eq!(refs.columns, ["email", "Title", "n", "x"]);
        assert!(expression("a > 0 -- body", "expr").is_err());
        assert!(expression("a > 0); DROP TABLE t; --", "expr").is_err());
    }

    /// A struct-level expression or predicate is written into the generated statements as a
    /// field's `check` is: one that could end the statement is refused the same way.
    #[test]
    fn an_expression_that_could_end_its_statement_is_refused() {
        let messages = errors(syn::parse_quote! {
            #[versioned(table = "notes", version = 1)]
            #[index(columns(id), predicate = "id > 0; DROP TABLE notes")]
            #[check(expr = "id > 0 -- and nothing else")]
            pub struct Note {
                #[col(primary_key)]
                pub id: i64,
            }
        });
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(
            messages[0].starts_with("predicate = \"id > 0; DROP TABLE notes\" contains `;`"),
            "{messages:?}"
        );
        assert!(
            messages[1].starts_with("expr = \"id > 0 -- and nothing else\" contains a comment"),
            "{messages:?}"
        );
    }

    /// A column named in an `expr` or a `predicate` lives as long as the object, by the rule of
    /// `columns(...)` and with its words: dropped, renamed or retyped while the object lives is
    /// an error that says where to end it; a column named only in a string literal is not one.
    #[test]
    fn columns_named_in_expressions_outlive_their_object() {
        let messages = errors(syn::parse_quote! {
            #[versioned(table = "notes", version = 3)]
            #[check(expr = "length(body) < 100")]
            #[index(expr = "lower(\"heading\")")]
            #[index(columns(id), predicate = "amount > 0")]
            #[check(expr = "kind <> 'body'")]
            #[index(expr = "lower(body)", until = 3)]
            pub struct Note {
                #[col(primary_key)]
                pub id: i64,
                #[col(until = 3)]
                pub body: Option<String>,
                #[col(renamed_from = "heading", renamed_at = 2)]
                pub title: String,
                #[col(retyped_at = 2, old_type = "i32")]
                pub amount: i64,
                pub kind: String,
            }
        });
        assert_eq!(
            messages,
            [
                "column `body` is dropped at version 3, while this lives on; end it with `until = 3` or earlier",
                "column `heading` is renamed at version 2, while this lives: end it with `until = 2` and declare a new one from version 2 on the column's new name",
                "column `amount` changes type at version 2, while this lives: end it with `until = 2` and declare a new one from version 3",
            ]
        );
    }
}
