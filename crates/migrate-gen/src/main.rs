//! `migrate-gen`: parses the command line, runs it, prints `error: ...` and exits non-zero.
//! Every error line passes through `redact`: a connection string never shows its password.

use clap::Parser;
use kv_migrate::redact;

fn main() {
    let cli = match migrate_gen::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            // One readable line, not a usage page.
            let text = e.render().to_string();
            let mut lines = text.lines();
            let first = lines.next().unwrap_or("invalid command line");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            // clap lists what is missing on the indented lines after "...not provided:".
            let listed: Vec<&str> = lines
                .take_while(|l| l.starts_with(char::is_whitespace) && !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let first = if listed.is_empty() {
                first.to_owned()
            } else {
                format!("{first} {}", listed.join(", "))
            };
            // clap may quote an argument, and an argument may be a connection string.
            eprintln!("error: {} (see `migrate-gen --help`)", redact(&first));
            std::process::exit(2);
        }
    };
    if let Err(e) = cli.check() {
        eprintln!("error: {e} (see `migrate-gen --help`)");
        std::process::exit(2);
    }
    if let Err(e) = migrate_gen::run(cli).and_then(|text| migrate_gen::output::print(&text)) {
        eprintln!("error: {}", redact(&e.to_string()));
        std::process::exit(1);
    }
}
