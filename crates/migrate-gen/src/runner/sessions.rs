//! The sessions connected now that are tagged with a schema version
//! (`Versioned::application_name`, `billing-api (schema v3)`): what the contract gate checks,
//! and what `status` shows.

use std::fmt::Write as _;

use postgres::Client;

use super::db;
use crate::Error;

/// One tagged session of the current database (the runner's own is left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub pid: i32,
    /// The whole `application_name`.
    pub application: String,
    /// The schema version of its tag.
    pub version: u32,
    /// The client address, or `local` for a Unix socket.
    pub from: String,
    /// When it connected.
    pub since: String,
}

/// The tagged sessions connected to the current database now, oldest first. Untagged sessions
/// are not seen.
pub fn sessions(client: &mut Client) -> Result<Vec<Session>, Error> {
    let rows = client
        .query(
            "SELECT pid, application_name, coalesce(host(client_addr), 'local'), backend_start::text
             FROM pg_catalog.pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_catalog.pg_backend_pid() AND application_name LIKE '% (schema v%)'
             ORDER BY backend_start",
            &[],
        )
        .map_err(db)?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let application: String = r.get(1);
            let version = schema_core::runtime::application_version(&application)?;
            Some(Session {
                pid: r.get(0),
                application,
                version,
                from: r.get(2),
                since: r.get(3),
            })
        })
        .collect())
}

/// `sessions:` and one line per application tag, newest version first: how many sessions, from
/// where, connected since when; those below `contract_version` (the version of the first
/// pending contract file) are marked as what `apply --phase contract` waits for.
pub fn describe(sessions: &[Session], contract_version: Option<u32>) -> String {
    let mut out = String::new();
    if sessions.is_empty() {
        out.push_str("sessions: none tagged with a schema version");
        return out;
    }
    let mut tags: Vec<(&str, u32)> = sessions
        .iter()
        .map(|s| (s.application.as_str(), s.version))
        .collect();
    tags.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    tags.dedup();
    let _ = write!(out, "sessions (schema versions connected now):");
    for (tag, version) in tags {
        let mine: Vec<&Session> = sessions.iter().filter(|s| s.application == tag).collect();
        let mut from: Vec<&str> = mine.iter().map(|s| s.from.as_str()).collect();
        from.sort_unstable();
        from.dedup();
        let _ = write!(
            out,
            "\n  v{version}: {} session{} `{tag}` from {}, oldest since {}",
            mine.len(),
            if mine.len() == 1 { "" } else { "s" },
            from.join(", "),
            mine[0].since
        );
        if let Some(k) = contract_version.filter(|&k| version < k) {
            let _ = write!(
                out,
                " (older than the pending contract of version {k}: `apply --phase contract` waits for it)"
            );
        }
    }
    out
}
