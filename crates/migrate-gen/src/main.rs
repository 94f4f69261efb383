//! `migrate-gen`: parses the command line, runs it, prints `error: ...` and exits non-zero.

use clap::Parser;

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
            eprintln!("error: {first} (see `migrate-gen --help`)");
            std::process::exit(2);
        }
    };
    match migrate_gen::run(cli) {
        Ok(text) => println!("{text}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
