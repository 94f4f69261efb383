//! What one run of a migration did, key by key.

use serde::{Deserialize, Serialize};

/// What the listing found, key by key. `scanned` is the sum of the others.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Keys listed under the prefix.
    pub scanned: u64,
    /// New keys written by this migration.
    pub written: u64,
    /// New keys that already held exactly the value the transform gave: not written, not owned.
    pub already_present: u64,
    /// Keys the transform returned `None` for.
    pub skipped: u64,
    /// Keys deleted or expired between listing and reading.
    pub vanished: u64,
    /// Keys that failed (see the report's failures).
    pub failed: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.scanned += o.scanned;
        self.written += o.written;
        self.already_present += o.already_present;
        self.skipped += o.skipped;
        self.vanished += o.vanished;
        self.failed += o.failed;
    }
}
