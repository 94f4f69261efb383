//! `migrate-gen verify`'s command line.

use std::path::PathBuf;

use clap::Args;

use crate::Error;

#[derive(Args, Debug)]
pub struct VerifyCmd {
    /// A PostgreSQL server where a scratch database may be created (CREATEDB); the database
    /// of the URL is only connected to. Never a production server.
    #[arg(long)]
    pub database_url: String,
    /// The migrations folder [default: every folder of [workspace.metadata.migrate-gen], or
    /// SRC/sql with --src].
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The crate directory or .rs file of the structs [default: the crate that
    /// [workspace.metadata.migrate-gen] maps to --dir].
    #[arg(long)]
    pub src: Option<PathBuf>,
    /// Rows generated in each table when it is created.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(i64).range(1..=10_000_000))]
    pub rows: i64,
}

pub fn run(cmd: VerifyCmd) -> Result<String, Error> {
    let targets = match (cmd.dir, cmd.src) {
        (Some(dir), src) => {
            let src = crate::drift::source_for(&dir, src)?;
            vec![(src, dir)]
        }
        (None, Some(src)) => {
            let dir = if src.is_file() {
                src.parent()
                    .unwrap_or(std::path::Path::new("."))
                    .join("sql")
            } else {
                src.join("sql")
            };
            vec![(src, dir)]
        }
        (None, None) => {
            let cwd = std::env::current_dir().map_err(|e| Error::msg(e.to_string()))?;
            crate::config::find(&cwd)?
                .into_iter()
                .map(|t| (t.src, t.out))
                .collect()
        }
    };
    let args = super::VerifyArgs {
        database_url: cmd.database_url,
        targets,
        rows: cmd.rows,
    };
    // One line per file as it is done; the verdict is the command's output.
    super::verify(&args, &mut |line| eprintln!("{line}"))
}
