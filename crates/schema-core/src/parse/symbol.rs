//! Attribute names and keys, in one place.

pub const VERSIONED: &str = "versioned";
pub const COL: &str = "col";

pub const TABLE: &str = "table";
pub const VERSION: &str = "version";
pub const SINCE: &str = "since";
pub const SCHEMA: &str = "schema";

pub const STRUCT_KEYS: &[&str] = &[
    TABLE,
    VERSION,
    SINCE,
    UNTIL,
    SCHEMA,
    RENAMED_FROM,
    RENAMED_AT,
];

pub const PRIMARY_KEY: &str = "primary_key";
pub const UNIQUE: &str = "unique";
pub const INDEX: &str = "index";
pub const UNTIL: &str = "until";
pub const RENAMED_FROM: &str = "renamed_from";
pub const RENAMED_AT: &str = "renamed_at";
pub const DEFAULT: &str = "default";
pub const BACKFILL: &str = "backfill";
pub const SQL_TYPE: &str = "sql_type";
pub const REFERENCES: &str = "references";
pub const CHECK: &str = "check";
pub const UPGRADE_WITH: &str = "upgrade_with";
pub const DOWNGRADE_WITH: &str = "downgrade_with";
pub const OLD_NAME_UNTIL: &str = "old_name_until";
pub const SUNSET: &str = "sunset";
pub const RETYPED_AT: &str = "retyped_at";
pub const OLD_TYPE: &str = "old_type";
pub const OLD_SQL_TYPE: &str = "old_sql_type";
pub const USING: &str = "using";
pub const REVERSE: &str = "reverse";
pub const DEFAULT_AT: &str = "default_at";
pub const OLD_DEFAULT: &str = "old_default";
pub const DOWN: &str = "down";
pub const OPTIONAL_AT: &str = "optional_at";
pub const REQUIRED_AT: &str = "required_at";
pub const IDENTITY: &str = "identity";
pub const ON_DELETE: &str = "on_delete";
pub const ON_UPDATE: &str = "on_update";

/// The struct-level index and constraint attributes, and their keys.
pub const FOREIGN_KEY: &str = "foreign_key";
pub const OBJECT_ATTRS: &[&str] = &[INDEX, UNIQUE, CHECK, FOREIGN_KEY];
pub const COLUMNS: &str = "columns";
pub const INCLUDE: &str = "include";
pub const EXPR: &str = "expr";
pub const PREDICATE: &str = "predicate";
pub const NAME: &str = "name";
pub const INDEX_KEYS: &[&str] = &[
    COLUMNS, EXPR, UNIQUE, USING, PREDICATE, INCLUDE, NAME, SINCE, UNTIL,
];
pub const UNIQUE_KEYS: &[&str] = &[COLUMNS, NAME, SINCE, UNTIL];
pub const CHECK_KEYS: &[&str] = &[EXPR, NAME, SINCE, UNTIL];
pub const FOREIGN_KEY_KEYS: &[&str] = &[
    COLUMNS, REFERENCES, ON_DELETE, ON_UPDATE, NAME, SINCE, UNTIL,
];

pub const FIELD_KEYS: &[&str] = &[
    PRIMARY_KEY,
    UNIQUE,
    INDEX,
    SINCE,
    UNTIL,
    RENAMED_FROM,
    RENAMED_AT,
    DEFAULT,
    BACKFILL,
    SQL_TYPE,
    REFERENCES,
    CHECK,
    UPGRADE_WITH,
    DOWNGRADE_WITH,
    OLD_NAME_UNTIL,
    SUNSET,
    RETYPED_AT,
    OLD_TYPE,
    OLD_SQL_TYPE,
    USING,
    REVERSE,
    DEFAULT_AT,
    OLD_DEFAULT,
    DOWN,
    OPTIONAL_AT,
    REQUIRED_AT,
    IDENTITY,
    ON_DELETE,
    ON_UPDATE,
];

/// The valid key closest to `key`, for "did you mean" hints.
pub fn closest(key: &str, valid: &[&'static str]) -> Option<&'static str> {
    valid
        .iter()
        .map(|v| (strsim::damerau_levenshtein(key, v), *v))
        .filter(|(d, v)| *d <= 3.max(v.len() / 2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

/// `#[raw_sql(...)]` beside `#[versioned]`: a step of statements written by hand.
pub const RAW_SQL: &str = "raw_sql";
pub const AT: &str = "at";
pub const PHASE: &str = "phase";
pub const UP: &str = "up";
pub const UP_FILE: &str = "up_file";
pub const DOWN_FILE: &str = "down_file";
pub const NO_TRANSACTION: &str = "no_transaction";
pub const IRREVERSIBLE: &str = "irreversible";

pub const RAW_SQL_KEYS: &[&str] = &[
    AT,
    PHASE,
    UP,
    UP_FILE,
    DOWN,
    DOWN_FILE,
    NO_TRANSACTION,
    IRREVERSIBLE,
];

/// `#[versioned(enum_type = "...")]` on a Rust enum, and `#[variant(...)]` on its variants.
pub const ENUM_TYPE: &str = "enum_type";
pub const VARIANT: &str = "variant";
pub const LABEL: &str = "label";

pub const ENUM_KEYS: &[&str] = &[ENUM_TYPE, VERSION, SINCE, SCHEMA];

/// `until` and `renamed_from` are known only to be refused with the fix.
pub const VARIANT_KEYS: &[&str] = &[SINCE, LABEL, UNTIL, RENAMED_FROM];
