//! A small service schema kept as `#[versioned]` structs: organisations, their users and
//! their projects. `cargo run -p migrate-gen` keeps `sql/` in step with these structs.
//!
//! Version numbers are one timeline for the whole crate: version 2 added projects and gave
//! users a display name and an organisation; version 3 added usernames and project owners.

use chrono::{DateTime, Utc};
use schema_macros::versioned;
use serde::{Deserialize, Serialize};

/// Organisations: the tenants of the service.
#[versioned(table = "orgs", version = 2)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Org {
    #[col(primary_key)]
    pub id: i64,
    /// URL-safe handle, unique across the service.
    #[col(unique, check = "slug ~ '^[a-z0-9-]+$'")]
    pub slug: String,
    pub name: String,
    /// The billing plan; every existing organisation starts on the free plan.
    #[col(
        since = 2,
        default = "'free'",
        check = "plan IN ('free', 'team', 'enterprise')"
    )]
    pub plan: String,
}

/// Accounts that log in to the service.
#[versioned(table = "users", version = 3)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(unique)]
    pub email: String,
    /// Shown in the UI; existing users get the local part of their email.
    #[col(since = 2, backfill = "split_part(email, '@', 1)")]
    pub display_name: String,
    #[col(since = 2, default = "now()")]
    pub created_at: DateTime<Utc>,
    #[col(since = 2, references = "orgs(id)", index)]
    pub org_id: Option<i64>,
    /// Chosen by the user; unique when set.
    #[col(since = 3, unique)]
    pub username: Option<String>,
    #[col(since = 3, default = "0")]
    pub login_count: i32,
}

/// Projects belong to an organisation and, from version 3, to an owner.
#[versioned(table = "projects", version = 3, since = 2)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    #[col(primary_key)]
    pub id: i64,
    #[col(references = "orgs(id)", index)]
    pub org_id: i64,
    #[col(check = "length(name) BETWEEN 1 AND 200")]
    pub name: String,
    #[col(default = "now()")]
    pub created_at: DateTime<Utc>,
    #[col(since = 3, references = "users(id)", index)]
    pub owner_id: Option<i64>,
    #[col(since = 3, default = "false")]
    pub archived: bool,
}
