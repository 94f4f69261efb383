//! The command line's mapping: a key pattern rewrite such as `user:{id}:{rest}` to
//! `users/{id}/{rest}`. The value is kept as it is.
//!
//! A pattern is text with `{name}` placeholders (letters, digits, `_`); `{{` and `}}` are literal
//! braces. A placeholder matches one or more characters: the shortest run after which the rest of
//! the pattern still matches, so in `user:{id}:{rest}` the id stops at the first `:` and the
//! rest takes everything after it.

use std::collections::BTreeMap;
use std::fmt;

use crate::migrate::Transform;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Hole(String),
}

/// A parsed key pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPattern {
    text: String,
    parts: Vec<Part>,
}

/// Why a pattern or a pair of patterns is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PatternError {}

impl KeyPattern {
    pub fn parse(text: &str) -> Result<KeyPattern, PatternError> {
        let err = |col: usize, what: String| {
            PatternError(format!("pattern `{text}`, column {}: {what}", col + 1))
        };
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().is_some_and(|&(_, n)| n == '{') => {
                    chars.next();
                    lit.push('{');
                }
                '}' if chars.peek().is_some_and(|&(_, n)| n == '}') => {
                    chars.next();
                    lit.push('}');
                }
                '}' => {
                    return Err(err(
                        i,
                        "`}` without an opening `{` (write `}}` for a literal brace)".into(),
                    ));
                }
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for (_, n) in chars.by_ref() {
                        if n == '}' {
                            closed = true;
                            break;
                        }
                        name.push(n);
                    }
                    if !closed {
                        return Err(err(
                            i,
                            "`{` is never closed (write `{{` for a literal brace)".into(),
                        ));
                    }
                    if name.is_empty() {
                        return Err(err(
                            i,
                            "empty placeholder `{}`; name it, e.g. `{id}`".into(),
                        ));
                    }
                    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                        return Err(err(
                            i,
                            format!("placeholder `{{{name}}}`: a name is letters, digits and `_`"),
                        ));
                    }
                    if parts.iter().any(|p| *p == Part::Hole(name.clone())) {
                        return Err(err(i, format!("placeholder `{{{name}}}` appears twice")));
                    }
                    if lit.is_empty() && matches!(parts.last(), Some(Part::Hole(_))) {
                        return Err(err(
                            i,
                            format!(
                                "placeholder `{{{name}}}` follows another with no text between them, so where one ends is unknown; put a separator between them"
                            ),
                        ));
                    }
                    if !lit.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut lit)));
                    }
                    parts.push(Part::Hole(name));
                }
                c => lit.push(c),
            }
        }
        if !lit.is_empty() {
            parts.push(Part::Text(lit));
        }
        if parts.is_empty() {
            return Err(PatternError("the pattern is empty".into()));
        }
        Ok(KeyPattern {
            text: text.to_owned(),
            parts,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The text before the first placeholder: every matching key starts with it.
    pub fn prefix(&self) -> &str {
        match self.parts.first() {
            Some(Part::Text(t)) => t,
            _ => "",
        }
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Hole(n) => Some(n.as_str()),
            Part::Text(_) => None,
        })
    }

    /// The placeholders' values when `key` matches.
    pub fn captures<'p, 'k>(&'p self, key: &'k str) -> Option<BTreeMap<&'p str, &'k str>> {
        let mut out = BTreeMap::new();
        self.match_from(0, key, 0, &mut out).then_some(out)
    }

    fn match_from<'p, 'k>(
        &'p self,
        i: usize,
        key: &'k str,
        pos: usize,
        out: &mut BTreeMap<&'p str, &'k str>,
    ) -> bool {
        match self.parts.get(i) {
            None => pos == key.len(),
            Some(Part::Text(t)) => {
                key[pos..].starts_with(t.as_str())
                    && self.match_from(i + 1, key, pos + t.len(), out)
            }
            Some(Part::Hole(name)) => {
                // Shortest first: each end after at least one character.
                let rest = &key[pos..];
                for (off, c) in rest.char_indices() {
                    let end = pos + off + c.len_utf8();
                    if self.match_from(i + 1, key, end, out) {
                        out.insert(name.as_str(), &key[pos..end]);
                        return true;
                    }
                }
                false
            }
        }
    }

    fn render(&self, values: &BTreeMap<&str, &str>) -> String {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Hole(n) => out.push_str(values[n.as_str()]),
            }
        }
        out
    }
}

/// `from` keys rewritten to `to` keys, value unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    pub from: KeyPattern,
    pub to: KeyPattern,
}

impl Rewrite {
    /// Parses both patterns and checks that they fit: every placeholder of `to` comes from
    /// `from`, and every placeholder of `from` is used (else two old keys could become one).
    pub fn new(from: &str, to: &str) -> Result<Rewrite, PatternError> {
        let from_p = KeyPattern::parse(from)?;
        let to_p = KeyPattern::parse(to)?;
        if from_p.parts == to_p.parts {
            return Err(PatternError(format!(
                "the old and new patterns are the same (`{from}`)"
            )));
        }
        let from_names: Vec<&str> = from_p.names().collect();
        let to_names: Vec<&str> = to_p.names().collect();
        if let Some(n) = to_names.iter().find(|n| !from_names.contains(n)) {
            return Err(PatternError(format!(
                "`{{{n}}}` in the new pattern `{to}` is not a placeholder of the old pattern `{from}`"
            )));
        }
        if let Some(n) = from_names.iter().find(|n| !to_names.contains(n)) {
            return Err(PatternError(format!(
                "`{{{n}}}` of the old pattern `{from}` is not used in the new pattern `{to}`: two old keys could become one new key"
            )));
        }
        Ok(Rewrite {
            from: from_p,
            to: to_p,
        })
    }

    /// The new key of `key`, or `None` when it does not match the old pattern.
    pub fn apply(&self, key: &str) -> Option<String> {
        self.from.captures(key).map(|c| self.to.render(&c))
    }
}

impl fmt::Display for Rewrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.from.as_str(), self.to.as_str())
    }
}

impl Transform for Rewrite {
    fn apply(&self, key: &str, value: &[u8]) -> Result<Option<(String, Vec<u8>)>, String> {
        Ok(Rewrite::apply(self, key).map(|k| (k, value.to_vec())))
    }

    fn describe(&self) -> Option<String> {
        Some(self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(from: &str, to: &str) -> Rewrite {
        Rewrite::new(from, to).unwrap()
    }

    #[test]
    fn rewrites_the_issue_example() {
        let r = rw("user:{id}:{rest}", "users/{id}/{rest}");
        assert_eq!(
            r.apply("user:42:profile").as_deref(),
            Some("users/42/profile")
        );
        assert_eq!(
            r.apply("user:42:settings:theme").as_deref(),
            Some("users/42/settings:theme")
        );
        assert_eq!(r.apply("user:42"), None);
        assert_eq!(r.apply("user::profile"), None, "an empty id does not match");
        assert_eq!(r.apply("users:42:profile"), None);
        assert_eq!(r.from.prefix(), "user:");
    }

    #[test]
    fn placeholders_take_the_shortest_match_that_fits() {
        let r = rw("{a}-{b}.json", "{b}/{a}");
        assert_eq!(r.apply("x-y-z.json").as_deref(), Some("y-z/x"));
        assert_eq!(r.apply("x-.json"), None, "placeholders are never empty");
        let r = rw("s:{id}", "t:{id}");
        assert_eq!(r.apply("s:é☃").as_deref(), Some("t:é☃"));
    }

    #[test]
    fn literal_braces() {
        let r = rw("{{tag}}:{id}", "tag/{id}");
        assert_eq!(r.apply("{tag}:7").as_deref(), Some("tag/7"));
        assert_eq!(r.from.prefix(), "{tag}:");
    }

    #[test]
    fn malformed_patterns_say_what_and_where() {
        let cases = [
            ("user:{id", "column 6: `{` is never closed"),
            ("user:id}", "column 8: `}` without an opening `{`"),
            ("user:{}", "empty placeholder"),
            ("user:{a b}", "a name is letters, digits and `_`"),
            ("{a}:{a}", "appears twice"),
            ("{a}{b}", "no text between them"),
            ("", "empty"),
        ];
        for (p, want) in cases {
            let e = KeyPattern::parse(p).unwrap_err().to_string();
            assert!(e.contains(want), "{p:?}: {e}");
        }
    }

    #[test]
    fn pairs_must_fit() {
        let e = Rewrite::new("user:{id}", "users/{uid}").unwrap_err().0;
        assert!(e.contains("`{uid}` in the new pattern"), "{e}");
        let e = Rewrite::new("user:{id}:{rest}", "users/{id}")
            .unwrap_err()
            .0;
        assert!(e.contains("`{rest}` of the old pattern"), "{e}");
        let e = Rewrite::new("a:{x}", "a:{x}").unwrap_err().0;
        assert!(e.contains("the same"), "{e}");
    }
}
