//! Hiding passwords before a connection string is printed: the one place that knows where a
//! URL or a `key=value` string keeps its password.
//!
//! - URL userinfo, any scheme: `postgres://user:PW@host`, `redis://:PW@host`,
//!   `rediss://user:PW@host` become `...:***@host` (everything up to the token's last `@`, so
//!   a password holding `@`, `/` or `:` goes whole);
//! - a URL query's password: `?password=PW`, `&PassWord=PW`, `?pass=PW` (redis), percent-encoded
//!   or not, up to the next `&`, `#` or blank;
//! - libpq `key=value` strings: `password=PW`, `password = 'P W'` (quoted, with `\'` escapes),
//!   `sslpassword=...`, up to the next blank outside quotes.
//!
//! Keys match in any case and percent-encoded (`pass%77ord`). The rest of the text stays as it
//! was, so the host, port, user and database remain readable.

/// What a password is replaced with.
pub const MASK: &str = "***";

/// `text` with every password of a URL or `key=value` connection string in it replaced by
/// [`MASK`]. Text without one comes back unchanged.
pub fn redact(text: &str) -> String {
    userinfo(&key_values(text))
}

/// A key whose value is a secret: `password`, `sslpassword`, `db_password`, `passwd`, and the
/// short `pass` / `pwd` of some URL schemes (redis+unix takes `?pass=`).
fn is_secret_key(key: &str) -> bool {
    let key = percent_decode(key).to_ascii_lowercase();
    key.ends_with("password") || key.ends_with("passwd") || key == "pass" || key == "pwd"
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '%')
}

/// `%XX` decoded (bytes that do not decode stay as they are).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |j: usize| bytes.get(j).and_then(|&b| (b as char).to_digit(16));
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (hex(i + 1), hex(i + 2))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Where the value starting at `start` ends: a URL query value ends at `&`, `#` or a blank; a
/// `key=value` value is quoted (`'...'` or `"..."`, with backslash escapes) or ends at a blank.
fn value_end(text: &str, start: usize, in_query: bool) -> usize {
    let rest = &text[start..];
    if in_query {
        return start
            + rest
                .find(|c: char| c == '&' || c == '#' || c.is_whitespace())
                .unwrap_or(rest.len());
    }
    let mut chars = rest.char_indices().peekable();
    let quote = match rest.chars().next() {
        Some(q @ ('\'' | '"')) => {
            chars.next();
            Some(q)
        }
        _ => None,
    };
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            c if Some(c) == quote => return start + i + c.len_utf8(),
            c if quote.is_none() && c.is_whitespace() => return start + i,
            _ => {}
        }
    }
    text.len()
}

/// Masks the values of secret keys: `password=...` in a `key=value` string or a URL query.
fn key_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = text[search..].find('=') {
        let eq = search + found;
        search = eq + 1;
        if eq < copied {
            continue;
        }
        // The key: the run of key characters before `=` (libpq allows blanks around `=`).
        let before = text[copied..eq].trim_end();
        let key_start = before
            .char_indices()
            .rev()
            .take_while(|&(_, c)| is_key_char(c))
            .last()
            .map_or(before.len(), |(i, _)| i);
        let key = &before[key_start..];
        if key.is_empty() || !is_secret_key(key) {
            continue;
        }
        let in_query = before[..key_start].ends_with(['?', '&']);
        let after = &text[eq + 1..];
        let start = if in_query {
            eq + 1
        } else {
            eq + 1 + (after.len() - after.trim_start().len())
        };
        let end = value_end(text, start, in_query);
        if end == start {
            continue;
        }
        let value = &text[start..end];
        let quoted = !in_query && value.len() >= 2 && value.starts_with(['\'', '"']);
        out.push_str(&text[copied..start]);
        if quoted {
            let q = &value[..1];
            out.push_str(q);
            out.push_str(MASK);
            if value.ends_with(q) {
                out.push_str(q);
            }
        } else {
            out.push_str(MASK);
        }
        copied = end;
        search = end;
    }
    out.push_str(&text[copied..]);
    out
}

/// Masks the password of every `scheme://user:password@host` in `text`: in each blank-free
/// token with `://`, what lies between the first `:` after `://` and the token's last `@`.
fn userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let token_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (token, tail) = rest.split_at(token_end);
        out.push_str(&mask_token(token));
        let blanks = tail.len() - tail.trim_start().len();
        out.push_str(&tail[..blanks]);
        rest = &tail[blanks..];
    }
    out
}

fn mask_token(token: &str) -> String {
    let (Some(scheme), Some(at)) = (token.find("://"), token.rfind('@')) else {
        return token.to_owned();
    };
    let creds_start = scheme + 3;
    if at <= creds_start {
        return token.to_owned();
    }
    match token[creds_start..at].find(':') {
        Some(colon) => {
            let pw = creds_start + colon + 1;
            format!("{}{MASK}{}", &token[..pw], &token[at..])
        }
        None => token.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn hides(input: &str, expected: &str) {
        assert_eq!(redact(input), expected, "redact({input:?})");
    }

    #[test]
    fn url_userinfo_in_any_scheme() {
        hides(
            "postgres://app:s3cret@db.example:5432/app",
            "postgres://app:***@db.example:5432/app",
        );
        hides(
            "postgresql://app:s3cret@db/app?sslmode=require",
            "postgresql://app:***@db/app?sslmode=require",
        );
        hides("redis://:s3cret@cache:6379/2", "redis://:***@cache:6379/2");
        hides(
            "rediss://default:s3cret@cache:6380",
            "rediss://default:***@cache:6380",
        );
        hides("POSTGRES://App:S3cret@Db/App", "POSTGRES://App:***@Db/App");
    }

    #[test]
    fn a_password_holding_at_colon_slash_or_percent_goes_whole() {
        hides(
            "postgres://app:p@ss:w/rd@db/app",
            "postgres://app:***@db/app",
        );
        hides(
            "postgres://app:p%40ss%3Aw@db/app",
            "postgres://app:***@db/app",
        );
        hides("postgres://app:@db/app", "postgres://app:***@db/app");
    }

    #[test]
    fn a_user_without_password_and_urls_without_userinfo_stay() {
        for same in [
            "postgres://app@db/app",
            "postgres://db:5432/app",
            "redis://127.0.0.1:6379/0",
            "file:///tmp/a@b",
            "user:bob@example.com is a key, not a URL",
            "no secret here",
            "",
        ] {
            hides(same, same);
        }
    }

    #[test]
    fn query_passwords_in_any_case_and_encoding() {
        hides(
            "postgres://app@db/app?password=s3cret",
            "postgres://app@db/app?password=***",
        );
        hides(
            "postgres://db/app?user=app&PassWord=s3%20cret&sslmode=require",
            "postgres://db/app?user=app&PassWord=***&sslmode=require",
        );
        hides(
            "postgres://db/app?pass%77ord=s3cret#frag",
            "postgres://db/app?pass%77ord=***#frag",
        );
        hides(
            "redis+unix:///run/redis.sock?db=1&pass=s3cret",
            "redis+unix:///run/redis.sock?db=1&pass=***",
        );
        hides(
            "postgres://app:one@db/app?password=two",
            "postgres://app:***@db/app?password=***",
        );
    }

    #[test]
    fn key_value_strings_plain_and_quoted() {
        hides(
            "host=db port=5432 user=app password=s3cret dbname=app",
            "host=db port=5432 user=app password=*** dbname=app",
        );
        hides(
            "host=db password='se cret' dbname=app",
            "host=db password='***' dbname=app",
        );
        hides(
            r"host=db password='it\'s a secret' dbname=app",
            "host=db password='***' dbname=app",
        );
        hides(
            "host=db PASSWORD = s3cret dbname=app",
            "host=db PASSWORD = *** dbname=app",
        );
        hides(r"password=se\ cret host=db", "password=*** host=db");
        hides(
            "host=db sslpassword=k3y password=\"s3 cret\"",
            "host=db sslpassword=*** password=\"***\"",
        );
        // An unterminated quote hides everything after it.
        hides(
            "host=db password='s3cret dbname=app",
            "host=db password='***",
        );
    }

    #[test]
    fn connection_strings_inside_messages() {
        hides(
            "cannot connect to postgres://app:s3cret@db:1/app: connection refused",
            "cannot connect to postgres://app:***@db:1/app: connection refused",
        );
        hides(
            "bad Redis URL `redis://:s3cret@cache:x`: invalid port",
            "bad Redis URL `redis://:***@cache:x`: invalid port",
        );
        hides(
            "cannot connect to host=db password=s3cret: refused",
            "cannot connect to host=db password=*** refused",
        );
    }

    #[test]
    fn other_keys_and_prose_stay() {
        for same in [
            "host=db user=app dbname=app",
            "password authentication failed for user \"app\"",
            "passwords=3 is not a password key",
            "column \"password\"='x' is prose",
        ] {
            hides(same, same);
        }
    }
}
