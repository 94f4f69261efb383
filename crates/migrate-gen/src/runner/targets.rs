//! `--targets FILE`: the databases of a fleet, one connection string a line, or TOML waves.

use std::collections::BTreeMap;
use std::path::Path;

use kv_migrate::redact;

use crate::Error;

/// A group of databases run together; the next wave starts once this one is finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wave {
    pub name: String,
    /// Databases run at once.
    pub parallel: usize,
    pub urls: Vec<String>,
}

const WAVE_KEYS: &[&str] = &["name", "parallel", "targets"];

/// Reads `--targets FILE`: one connection string a line (blank lines and `#` comments
/// skipped), one wave run `parallel` at a time; or a TOML file of `[[wave]]` tables (`name`,
/// `parallel`, `targets = [...]`), run in order. Connection strings are never echoed.
pub fn read_targets(path: &Path, parallel: usize) -> Result<Vec<Wave>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let file = path.display();
    let is_toml = path.extension().is_some_and(|e| e == "toml")
        || text.lines().any(|l| l.trim_start().starts_with("[[wave]]"));
    let mut waves = if is_toml {
        toml_waves(&text, &file.to_string(), parallel)?
    } else {
        let mut urls = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            check_url(line, &format!("{file} line {}", i + 1))?;
            urls.push(line.to_owned());
        }
        vec![Wave {
            name: "all".into(),
            parallel,
            urls,
        }]
    };
    waves.retain(|w| !w.urls.is_empty());
    if waves.is_empty() {
        return Err(Error::msg(format!("--targets {file} lists no database")));
    }
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for wave in &waves {
        for url in &wave.urls {
            if let Some(first) = seen.insert(url, &wave.name) {
                return Err(Error::msg(format!(
                    "--targets {file}: {} is listed twice (waves `{first}` and `{}`); a database is run once",
                    redact(url),
                    wave.name
                )));
            }
        }
    }
    Ok(waves)
}

fn toml_waves(text: &str, file: &str, parallel: usize) -> Result<Vec<Wave>, Error> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        // The message only: toml's own rendering quotes the line, which may hold a password.
        let line = e.span().map_or(0, |s| {
            text[..s.start.min(text.len())].lines().count().max(1)
        });
        Error::msg(format!(
            "--targets {file} line {line}: not valid TOML: {}",
            e.message().trim_end()
        ))
    })?;
    if let Some(key) = table.keys().find(|k| *k != "wave") {
        return Err(Error::msg(format!(
            "--targets {file}: unknown key `{key}`; expected [[wave]] tables with {}",
            WAVE_KEYS.join(", ")
        )));
    }
    let Some(toml::Value::Array(list)) = table.get("wave") else {
        return Err(Error::msg(format!(
            "--targets {file}: no [[wave]] table; each has `targets = [\"postgres://...\", ...]`"
        )));
    };
    let mut waves = Vec::new();
    for (i, wave) in list.iter().enumerate() {
        let at = format!("--targets {file}: wave {}", i + 1);
        let toml::Value::Table(wave) = wave else {
            return Err(Error::msg(format!("{at} is not a table")));
        };
        if let Some(key) = wave.keys().find(|k| !WAVE_KEYS.contains(&k.as_str())) {
            return Err(Error::msg(format!(
                "{at}: unknown key `{key}` (expected {})",
                WAVE_KEYS.join(", ")
            )));
        }
        let name = match wave.get("name") {
            None => format!("wave {}", i + 1),
            Some(toml::Value::String(s)) => s.clone(),
            Some(_) => return Err(Error::msg(format!("{at}: `name` is not a string"))),
        };
        let parallel = match wave.get("parallel") {
            None => parallel,
            Some(toml::Value::Integer(n)) if (1..=1000).contains(n) => *n as usize,
            Some(_) => {
                return Err(Error::msg(format!(
                    "{at}: `parallel` is not a number from 1 to 1000"
                )));
            }
        };
        let Some(toml::Value::Array(targets)) = wave.get("targets") else {
            return Err(Error::msg(format!(
                "{at}: no `targets = [\"postgres://...\", ...]`"
            )));
        };
        let mut urls = Vec::new();
        for (j, url) in targets.iter().enumerate() {
            let toml::Value::String(url) = url else {
                return Err(Error::msg(format!(
                    "{at}: target {} is not a string",
                    j + 1
                )));
            };
            check_url(url, &format!("{at}, target {}", j + 1))?;
            urls.push(url.clone());
        }
        waves.push(Wave {
            name,
            parallel,
            urls,
        });
    }
    Ok(waves)
}

/// A connection string that does not parse is refused, naming where it is, not what it is.
fn check_url(url: &str, at: &str) -> Result<(), Error> {
    url.parse::<postgres::Config>().map(|_| ()).map_err(|_| {
        Error::msg(format!(
            "{at}: not a connection string (a postgres:// URL or key=value pairs)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str, text: &str) -> Result<Vec<Wave>, Error> {
        let dir = std::env::temp_dir().join(format!("mg-targets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let waves = read_targets(&path, 3);
        std::fs::remove_file(&path).unwrap();
        waves
    }

    #[test]
    fn one_url_a_line_is_one_wave() {
        let waves = read(
            "t.txt",
            "# shards\npostgres://a@h/one\n\n  host=h dbname=two  \n",
        )
        .unwrap();
        assert_eq!(
            waves,
            vec![Wave {
                name: "all".into(),
                parallel: 3,
                urls: vec!["postgres://a@h/one".into(), "host=h dbname=two".into()],
            }]
        );
    }

    #[test]
    fn toml_waves_keep_their_order_and_parallelism() {
        let waves = read(
            "t.toml",
            "[[wave]]\nname = \"canary\"\nparallel = 1\ntargets = [\"postgres://a@h/one\"]\n\n[[wave]]\ntargets = [\"postgres://a@h/two\", \"postgres://a@h/three\"]\n",
        )
        .unwrap();
        assert_eq!(waves.len(), 2);
        assert_eq!((waves[0].name.as_str(), waves[0].parallel), ("canary", 1));
        assert_eq!((waves[1].name.as_str(), waves[1].parallel), ("wave 2", 3));
        assert_eq!(waves[1].urls.len(), 2);
    }

    #[test]
    fn bad_files_say_where_without_echoing_the_line() {
        let e = read(
            "bad.txt",
            "postgres://a@h/one\nnot a url password=hunter2'\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.ends_with(
                "bad.txt line 2: not a connection string (a postgres:// URL or key=value pairs)"
            ),
            "{e}"
        );
        let e = read(
            "bad.toml",
            "[[wave]]\ntargets = [\"postgres://a:hunter2@h/x\"\nx = 1\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("not valid TOML") && !e.contains("hunter2"),
            "{e}"
        );
        let e = read(
            "p.toml",
            "[[wave]]\nparallel = 0\ntargets = [\"postgres://a@h/x\"]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("wave 1: `parallel` is not a number from 1 to 1000"),
            "{e}"
        );
    }
}
