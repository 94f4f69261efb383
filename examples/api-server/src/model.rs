//! The rows the API serves.
//!
//! Organisations and projects are the example crate's types as they are. Users are the
//! example crate's `User` with two more versions, to show a field rename in the API:
//!
//! - versions 1 to 3 are `example_service::User` column for column (a test checks it), so
//!   they run on the tables that `examples/service/sql` creates;
//! - version 4 renames `display_name` to `name`; version-4 responses still carry
//!   `display_name` beside `name` and version-4 requests may send either
//!   (`old_name_until = 5`), and carry `Deprecation` and `Sunset` headers (`sunset`);
//! - version 5 speaks only `name`.
//!
//! The database is the example crate's (`examples/service/sql`), at version 3 of `users`, so
//! the server reads and writes rows as [`UserRow`] and converts: the API side of the rename
//! does not wait for its migrations (`migrate-gen plan --src` on this file lists them).

use chrono::{DateTime, Utc};
use schema_macros::versioned;
use serde::{Deserialize, Serialize};

pub use example_service::{Org, OrgAny, Project, ProjectAny};

/// Accounts that log in to the service.
#[versioned(table = "users", version = 5)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct User {
    #[col(primary_key)]
    pub id: i64,
    #[col(unique)]
    pub email: String,
    /// Shown in the UI. A version-1 client does not send it: it is the local part of the
    /// email, as the migration's backfill does for existing rows.
    #[col(
        since = 2,
        backfill = "split_part(email, '@', 1)",
        upgrade_with = "name_from_email",
        renamed_from = "display_name",
        renamed_at = 4,
        old_name_until = 5,
        sunset = "2027-06-30"
    )]
    pub name: String,
    /// A version-1 client does not send it: now, as the column's default says.
    #[col(since = 2, default = "now()", upgrade_with = "created_now")]
    pub created_at: DateTime<Utc>,
    #[col(since = 2, references = "orgs(id)", index)]
    pub org_id: Option<i64>,
    /// Chosen by the user; unique when set.
    #[col(since = 3, unique)]
    pub username: Option<String>,
    /// Counted by the server: clients may leave it out.
    #[col(since = 3, default = "0")]
    #[serde(default)]
    pub login_count: i32,
}

/// The version of `users` that the database has; `UserV4` once the rename's expand files
/// have run.
pub type UserRow = UserV3;

fn name_from_email(v1: &UserV1) -> String {
    v1.email.split('@').next().unwrap_or_default().to_owned()
}

fn created_now(_: &UserV1) -> DateTime<Utc> {
    Utc::now()
}

#[cfg(test)]
mod tests {
    use schema_core::Versioned;

    use super::*;

    /// Versions 1 to 3 run on the tables of `examples/service/sql`: they must be the example
    /// crate's `User`, column for column.
    #[test]
    fn versions_1_to_3_are_the_example_crates_users() {
        let ours = User::history();
        let theirs = example_service::User::history();
        for v in 1..=3 {
            assert_eq!(ours.model_at(v), theirs.model_at(v), "version {v}");
        }
        assert_eq!(UserRow::VERSION, example_service::User::LATEST);
    }
}
