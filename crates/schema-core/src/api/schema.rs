//! A JSON Schema per API version, and OpenAPI components from them (feature `schemars`).
//!
//! A struct that derives `schemars::JsonSchema` beside `#[versioned]` gets
//! [`VersionSchema`] on its `UserAny`: `UserAny::json_schema(4)` is the schema of the type
//! that serves API version 4, with the old name of a renamed field beside the new one in the
//! versions that read it (either is then required, not both; the old one is marked
//! `deprecated`). [`openapi`] puts such schemas in an OpenAPI 3.1 document.

use serde_json::{Map, Value, json};

use crate::runtime::{AnyVersion, NotInVersion, RenamedField};

#[doc(hidden)]
pub use schemars as __schemars;
pub use schemars::Schema;

/// The JSON Schema of each API version: implemented by the generated `UserAny` when the
/// struct derives `JsonSchema`.
pub trait VersionSchema: AnyVersion {
    /// The schema of the type that serves API version `api` (see
    /// [`AnyVersion::type_version`]).
    fn json_schema(api: u32) -> Result<Schema, NotInVersion>;
}

/// The root schema of `T`, JSON Schema 2020-12.
pub fn root_schema<T: schemars::JsonSchema>() -> Schema {
    schemars::SchemaGenerator::default().into_root_schema_for::<T>()
}

/// `schema` of type version `version` with, for each field of `renamed` whose old name that
/// version reads, the old name as a property too (marked `deprecated`); a required field
/// becomes "the new name or the old one".
pub fn with_renames(mut schema: Schema, renamed: &[RenamedField], version: u32) -> Schema {
    let Some(root) = schema.as_object_mut() else {
        return schema;
    };
    for field in renamed.iter().filter(|r| r.old_name_read_at(version)) {
        let Some(properties) = root.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        let Some(mut old) = properties.get(field.name).cloned() else {
            continue;
        };
        if let Some(old) = old.as_object_mut() {
            old.insert("deprecated".into(), true.into());
            let replaced = format!("Deprecated: renamed to `{}`.", field.name);
            old.insert("description".into(), replaced.into());
        }
        properties.insert(field.old_name.to_owned(), old);
        let Some(required) = root.get_mut("required").and_then(Value::as_array_mut) else {
            continue;
        };
        let before = required.len();
        required.retain(|name| name != field.name);
        if required.len() != before {
            let either = json!({"anyOf": [
                {"required": [field.name]},
                {"required": [field.old_name]},
            ]});
            match root.entry("allOf").or_insert_with(|| json!([])) {
                Value::Array(all) => all.push(either),
                other => *other = json!([other.clone(), either]),
            }
        }
    }
    schema
}

/// An OpenAPI 3.1 document of API version `version` whose components are `schemas` (a
/// name and a root schema each, as [`VersionSchema::json_schema`] gives them). Their
/// `$defs` become components too, and their references follow.
pub fn openapi(title: &str, version: u32, schemas: Vec<(String, Schema)>) -> Value {
    let mut components = Map::new();
    for (name, schema) in schemas {
        let mut value = schema.to_value();
        if let Some(object) = value.as_object_mut() {
            object.remove("$schema");
            if let Some(Value::Object(defs)) = object.remove("$defs") {
                for (def, mut def_schema) in defs {
                    rewrite_refs(&mut def_schema);
                    components.insert(def, def_schema);
                }
            }
        }
        rewrite_refs(&mut value);
        components.insert(name, value);
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": title, "version": version.to_string()},
        "paths": {},
        "components": {"schemas": components},
    })
}

/// `#/$defs/X` to `#/components/schemas/X`, everywhere in `value`.
fn rewrite_refs(value: &mut Value) {
    match value {
        Value::Object(object) => {
            for (key, item) in object.iter_mut() {
                match item {
                    Value::String(target) if key == "$ref" => {
                        if let Some(name) = target.strip_prefix("#/$defs/") {
                            *target = format!("#/components/schemas/{name}");
                        }
                    }
                    _ => rewrite_refs(item),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RENAMED: RenamedField = RenamedField {
        name: "name",
        old_name: "display_name",
        renamed_at: 2,
        old_name_until: Some(3),
        sunset: None,
    };

    fn schema(value: Value) -> Schema {
        Schema::try_from(value).unwrap()
    }

    #[test]
    fn the_old_name_is_a_deprecated_alternative_where_it_is_read() {
        let base = json!({
            "type": "object",
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
            "required": ["id", "name"],
        });
        let outside = with_renames(schema(base.clone()), &[RENAMED], 3);
        assert_eq!(outside.to_value(), base);
        let inside = with_renames(schema(base), &[RENAMED], 2).to_value();
        assert_eq!(inside["required"], json!(["id"]));
        assert_eq!(inside["properties"]["display_name"]["deprecated"], true);
        assert_eq!(
            inside["allOf"],
            json!([{"anyOf": [{"required": ["name"]}, {"required": ["display_name"]}]}])
        );
    }

    #[test]
    fn openapi_hoists_defs_into_components() {
        let user = schema(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {"plan": {"$ref": "#/$defs/Plan"}},
            "$defs": {"Plan": {"enum": ["free", "team"]}},
        }));
        let doc = openapi("Example", 4, vec![("User".into(), user)]);
        let schemas = &doc["components"]["schemas"];
        assert_eq!(doc["info"]["version"], "4");
        assert_eq!(
            schemas["User"]["properties"]["plan"]["$ref"],
            "#/components/schemas/Plan"
        );
        assert_eq!(schemas["Plan"]["enum"], json!(["free", "team"]));
        assert!(schemas["User"].get("$schema").is_none());
    }
}
