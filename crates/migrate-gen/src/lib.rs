//! `migrate-gen`: zero-downtime PostgreSQL migrations from `#[versioned]` structs.
//!
//! The binary parses the command line ([`cli`]) and calls [`run`]; tests call the library.

pub mod catalog;
pub mod cli;
pub mod config;
pub mod drift;
pub mod generate;
pub mod import;
pub mod kv;
pub mod lint;
pub mod manifest;
pub mod output;
pub mod preflight;
pub mod report;
pub mod runner;
pub mod source;
pub mod verify;

use std::fmt;
use std::path::Path;

pub use cli::{Cli, Command, run};
pub use generate::{GenerateArgs, Outcome, generate};
pub use manifest::Layout;

/// An error for the user: one readable line, no backtrace. The kinds a caller may act on are
/// their own variants (a fleet run tells an unreachable database from a failed file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A refusal or a failure, said in one line.
    Message(String),
    /// A file or folder that could not be read or written.
    Io { path: String, message: String },
    /// The database could not be reached (the connection string in it is redacted).
    Connect(String),
    /// A statement the database refused, with its SQLSTATE.
    Database(String),
    /// Another run holds the migration lock and `--no-wait` was given.
    Locked(String),
}

impl Error {
    pub fn msg(m: impl Into<String>) -> Error {
        Error::Message(m.into())
    }

    pub fn io(path: &Path, e: std::io::Error) -> Error {
        Error::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, message } => write!(f, "{path}: {message}"),
            Error::Message(m) | Error::Connect(m) | Error::Database(m) | Error::Locked(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for Error {}
