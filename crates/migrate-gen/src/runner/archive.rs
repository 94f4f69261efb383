//! `archive list` / `archive cleanup`.

use std::fmt::Write as _;

use super::progress::Progress;
use super::{connect, db};
use crate::Error;

/// `archive list` / `archive cleanup`: the archives of dropped columns and tables, and
/// removing those whose retention has passed (with `dry_run`, only saying which).
pub fn archives(database_url: &str, cleanup: bool, dry_run: bool) -> Result<String, Error> {
    let mut client = connect(database_url, &Progress::default())?;
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('migrate_gen_archive.registry') IS NOT NULL",
            &[],
        )
        .map_err(db)?
        .get(0);
    if !exists {
        return Ok("no archives".into());
    }
    let rows = client
        .query(
            "SELECT archive, source, version, archived_at::text, keep_until::text, keep_until < now()
             FROM migrate_gen_archive.registry ORDER BY archived_at, archive",
            &[],
        )
        .map_err(db)?;
    let mut out = String::new();
    let mut removed = 0;
    for r in &rows {
        let (archive, source, version): (String, String, i64) = (r.get(0), r.get(1), r.get(2));
        let (archived_at, keep_until, expired): (String, String, bool) =
            (r.get(3), r.get(4), r.get(5));
        let state = if expired { "retention passed" } else { "kept" };
        let _ = writeln!(
            out,
            "{archive}: {source} dropped at version {version}, archived {archived_at}, kept until {keep_until} ({state})"
        );
        if cleanup && expired {
            if dry_run {
                let _ = writeln!(
                    out,
                    "  would remove migrate_gen_archive.{archive} (--dry-run)"
                );
                continue;
            }
            let mut tx = client.transaction().map_err(db)?;
            tx.batch_execute(&format!(
                "DROP TABLE IF EXISTS {}",
                schema_core::sql::raw::qualified("migrate_gen_archive", &archive)
            ))
            .map_err(db)?;
            tx.execute(
                "DELETE FROM migrate_gen_archive.registry WHERE archive = $1",
                &[&archive],
            )
            .map_err(db)?;
            tx.commit().map_err(db)?;
            removed += 1;
            let _ = writeln!(out, "  removed migrate_gen_archive.{archive}");
        }
    }
    if rows.is_empty() {
        out.push_str("no archives\n");
    }
    if cleanup && !dry_run {
        let _ = writeln!(
            out,
            "removed {removed} archives; the others are within their retention"
        );
    }
    Ok(out.trim_end().to_owned())
}
