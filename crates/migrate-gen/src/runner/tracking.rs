//! The tracking table `migrate_gen.applied`: a file is recorded as started before it runs and as
//! finished in its own transaction (or right after it); its owner is checked before it decides
//! anything; and the files on disk are compared with what was generated or applied.

use std::fs;

use postgres::Client;

use super::{Target, db};
use crate::Error;
use crate::manifest::{self, Manifest};

const SETUP: &str = "CREATE SCHEMA IF NOT EXISTS migrate_gen;
CREATE TABLE IF NOT EXISTS migrate_gen.applied (
  number integer PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  phase text NOT NULL,
  release integer NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  duration_ms bigint
)";

pub(crate) struct Record {
    pub(crate) number: u32,
    pub(crate) name: String,
    pub(crate) checksum: String,
    pub(crate) phase: String,
    pub(crate) finished: bool,
    pub(crate) started_at: String,
    pub(crate) duration_ms: Option<i64>,
}

/// Creates the tracking table if needed; called with the migration lock held.
pub(crate) fn setup(client: &mut Client) -> Result<(), Error> {
    if !tracking_exists(client)? {
        client.batch_execute(SETUP).map_err(db)?;
    }
    check_tracking_owner(client)
}

/// The tracking schema and table decide which files run: another role that created them first
/// could mark a migration as applied so that it never runs, or edit the records. They must
/// belong to the migrating role or to a role it is a member of (a superuser counts as a member
/// of no role here).
fn check_tracking_owner(client: &mut Client) -> Result<(), Error> {
    let rows = client
        .query(
            "WITH RECURSIVE mine AS (
               SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user
               UNION SELECT m.roleid FROM pg_catalog.pg_auth_members m JOIN mine ON m.member = mine.oid
             )
             SELECT what, pg_catalog.pg_get_userbyid(owner)::text, current_user::text FROM (
               SELECT 'schema migrate_gen' AS what, nspowner AS owner FROM pg_catalog.pg_namespace WHERE nspname = 'migrate_gen'
               UNION ALL
               SELECT 'table migrate_gen.applied', relowner FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass('migrate_gen.applied')
             ) o WHERE owner NOT IN (SELECT oid FROM mine)",
            &[],
        )
        .map_err(db)?;
    match rows.first() {
        None => Ok(()),
        Some(row) => {
            let (what, owner, me): (String, String, String) = (row.get(0), row.get(1), row.get(2));
            Err(Error::msg(format!(
                "the tracking {what} belongs to {owner}, not to the migrating role {me} or a role it is a member of: another role may have created it to mark migrations as applied; check its records, then drop it or give it to the migrating role (ALTER SCHEMA migrate_gen OWNER TO {me}; ALTER TABLE migrate_gen.applied OWNER TO {me}); nothing was run"
            )))
        }
    }
}

fn tracking_exists(client: &mut Client) -> Result<bool, Error> {
    let row = client
        .query_one("SELECT to_regclass('migrate_gen.applied') IS NOT NULL", &[])
        .map_err(db)?;
    Ok(row.get(0))
}

pub(crate) fn records(client: &mut Client) -> Result<Vec<Record>, Error> {
    if !tracking_exists(client)? {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT number, name, checksum, phase, finished_at IS NOT NULL, started_at::text, duration_ms
             FROM migrate_gen.applied ORDER BY number",
            &[],
        )
        .map_err(db)?;
    Ok(rows
        .iter()
        .map(|r| Record {
            number: r.get::<_, i32>(0) as u32,
            name: r.get(1),
            checksum: r.get(2),
            phase: r.get(3),
            finished: r.get(4),
            started_at: r.get(5),
            duration_ms: r.get(6),
        })
        .collect())
}

/// Files on disk that differ from what was generated, or from what was applied.
pub(crate) fn edited(
    target: &Target,
    manifest: &Manifest,
    records: &[Record],
) -> Result<Vec<String>, Error> {
    let mut problems = Vec::new();
    for f in &manifest.files {
        let name = format!("{}.sql", f.stem);
        let Ok(text) = fs::read_to_string(target.dir.join(&name)) else {
            problems.push(format!("{name} is missing"));
            continue;
        };
        let sum = manifest::checksum(&text);
        match records.iter().find(|r| r.number == f.number) {
            Some(r) if r.checksum != sum => problems.push(format!(
                "{name} was edited after it was applied (checksum differs)"
            )),
            None if f.checksum != sum => problems.push(format!(
                "{name} was edited after it was generated (checksum differs from {})",
                manifest::FILE_NAME
            )),
            _ => {}
        }
    }
    Ok(problems)
}
