//! Writing the report to stdout when it may be a pipe that closes early (`... | head -1`):
//! a closed pipe ends the output quietly instead of panicking.

use std::io::{ErrorKind, Write};

use crate::Error;

/// Prints `text` and a newline on stdout. A reader that went away (a broken pipe) is not an
/// error: there is no one left to read the rest.
pub fn print(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() != ErrorKind::BrokenPipe => {
            Err(Error::msg(format!("cannot write to stdout: {e}")))
        }
        _ => Ok(()),
    }
}
