use std::fmt;

use crate::counts::Counts;
use crate::store::StoreError;

/// Why a migration, cleanup or rollback did not run or did not finish. Every message is one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A store failed (connection, I/O). The checkpoint is intact: run again to resume.
    Store(StoreError),
    /// The options or the saved state do not fit this run.
    Invalid(String),
    /// A cleanup or rollback that would lose data, or come too early, was refused.
    Refused(String),
    /// `OnError::Stop`: a key failed. Nothing of its page was written; the checkpoint is before it.
    Stopped {
        key: String,
        error: String,
        /// What earlier pages did.
        counts: Counts,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Store(e) => write!(f, "{e}"),
            Error::Invalid(m) | Error::Refused(m) => f.write_str(m),
            Error::Stopped { key, error, counts } => write!(
                f,
                "stopped at `{key}`: {error}; nothing of its page was written and the checkpoint is before it ({} keys written before); fix the cause and run again to resume",
                counts.written
            ),
        }
    }
}

impl std::error::Error for Error {}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        Error::Store(e)
    }
}
