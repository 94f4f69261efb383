//! A raw SQL step (`#[raw_sql(...)]` beside `#[versioned]`): statements written by hand, run
//! as a file of their own at one version of the table's timeline, with the rollback written
//! beside them.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// One `#[raw_sql]` attribute, its files read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawStep {
    /// The version of the table's timeline at which the step runs.
    pub at: u32,
    /// Its place among the table's steps at `at`, from 1, in the order of the attributes.
    pub ordinal: u32,
    /// `phase = "contract"`: after the deploy; otherwise before it (`expand`).
    pub contract: bool,
    /// The statements (`up`, or the text of `up_file`).
    pub up: String,
    /// `up_file`, as written (relative to the crate), for the file's title.
    pub up_file: Option<String>,
    /// The rollback's statements (`down`, or the text of `down_file`); `None`: `irreversible`.
    pub down: Option<String>,
    /// `down_file`, as written.
    pub down_file: Option<String>,
    /// `no_transaction`: the statements run outside a transaction block.
    pub no_transaction: bool,
}

impl RawStep {
    /// What the file's title and `plan` call it.
    pub fn label(&self) -> String {
        match &self.up_file {
            Some(file) => format!("raw SQL step {} ({file})", self.ordinal),
            None => format!("raw SQL step {}", self.ordinal),
        }
    }

    /// Its part of the model's fingerprint: a changed statement, or a changed file after it
    /// was emitted, is an edit of history.
    pub fn fingerprint(&self) -> String {
        let digest =
            |text: &str| crate::names::hex(&Sha256::digest(text.as_bytes()))[..16].to_owned();
        let mut out = String::new();
        let _ = write!(
            out,
            "|raw {} {} contract={} no_transaction={} up={} down={}",
            self.at,
            self.ordinal,
            self.contract,
            self.no_transaction,
            digest(&self.up),
            self.down.as_deref().map_or("irreversible".into(), digest)
        );
        out
    }
}
