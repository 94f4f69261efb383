//! API versions: which version a request speaks, independent of any web framework.
//!
//! [`negotiate`] reads the version from the request path (`/v2/...` is 2; `/v1/...` and
//! the legacy `/api/...` are 1), else from the `X-API-Version` header, else it is 1; and
//! returns the rest of the path. An unknown or malformed version is a [`VersionError`],
//! which a server answers with HTTP 400 and the supported versions.
//!
//! [`deprecation`] says which versions and renamed fields are deprecated (the `Deprecation`,
//! `Sunset` and `Link` headers) and counts who still uses them.
//!
//! With the `serde` feature (on by default), [`serde`] holds what the generated types use
//! for versioned (de)serialization and rename phases; with the `axum` feature, [`axum`]
//! serves every version from one router.

use std::fmt;
use std::ops::RangeInclusive;

#[cfg(feature = "axum")]
pub mod axum;
pub mod deprecation;
#[cfg(feature = "schemars")]
pub mod schema;
#[cfg(feature = "serde")]
pub mod serde;

/// The header that names the version when the path does not: `X-API-Version: 2`.
pub const VERSION_HEADER: &str = "x-api-version";

/// The path prefix of clients from before versioning, served as version 1.
pub const LEGACY_PREFIX: &str = "/api";

/// Where a request's version came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `/v{N}/...`.
    Path,
    /// `/api/...`: version 1.
    Legacy,
    /// The `X-API-Version` header.
    Header,
    /// Nothing said: version 1.
    Default,
}

/// The outcome of [`negotiate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated<'p> {
    pub version: u32,
    /// The path without its version prefix (`/users/7` for `/v2/users/7`), `/` at least.
    pub rest: &'p str,
    pub source: Source,
}

/// What was wrong with a request's version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionProblem {
    /// A well-formed version that this server does not serve.
    Unsupported(u32),
    /// A value that is not a version number.
    Malformed(String),
}

/// An unknown or malformed version; a server answers it with HTTP 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionError {
    pub problem: VersionProblem,
    pub source: Source,
    /// The versions this server serves.
    pub supported: RangeInclusive<u32>,
}

impl VersionError {
    /// The HTTP status a server answers with: 400.
    pub const STATUS: u16 = 400;

    /// The supported versions, oldest first.
    pub fn supported_list(&self) -> Vec<u32> {
        self.supported.clone().collect()
    }
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place = match self.source {
            Source::Header => " in the X-API-Version header",
            _ => " in the path",
        };
        match &self.problem {
            VersionProblem::Unsupported(v) => write!(f, "unsupported API version {v}")?,
            VersionProblem::Malformed(text) => write!(f, "malformed API version {text:?}{place}")?,
        }
        let list: Vec<String> = self.supported.clone().map(|v| v.to_string()).collect();
        write!(f, "; supported versions: {}", list.join(", "))
    }
}

impl std::error::Error for VersionError {}

/// The version of a request and the rest of its path.
///
/// `path` is the request path without its query string; `headers` are the request's
/// headers as `(name, value)`, of which only `X-API-Version` (any case) is read. The path
/// wins over the header: a `/v2/...` request is version 2 whatever the header says. A path
/// whose first segment is `v` and digits (`/v7`, `/v12/...`) names a version; `/videos`
/// does not. A header value is decimal digits, with surrounding spaces allowed; several
/// `X-API-Version` headers must agree.
pub fn negotiate<'p, 'h>(
    path: &'p str,
    headers: impl IntoIterator<Item = (&'h str, &'h [u8])>,
    supported: RangeInclusive<u32>,
) -> Result<Negotiated<'p>, VersionError> {
    let error = |problem, source| VersionError {
        problem,
        source,
        supported: supported.clone(),
    };
    let check = |version: u32, rest: &'p str, source| {
        if supported.contains(&version) {
            Ok(Negotiated {
                version,
                rest,
                source,
            })
        } else {
            Err(error(VersionProblem::Unsupported(version), source))
        }
    };
    let (first, rest) = first_segment(path);
    if let Some(digits) = first.strip_prefix('v')
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
    {
        return match digits.parse::<u32>() {
            Ok(version) => check(version, rest, Source::Path),
            Err(_) => Err(error(
                VersionProblem::Malformed(first.to_owned()),
                Source::Path,
            )),
        };
    }
    if first == &LEGACY_PREFIX[1..] {
        return check(1, rest, Source::Legacy);
    }
    let mut found: Option<u32> = None;
    for (name, value) in headers {
        if !name.eq_ignore_ascii_case(VERSION_HEADER) {
            continue;
        }
        let text = String::from_utf8_lossy(value);
        let trimmed = text.trim();
        let version = match trimmed.parse::<u32>() {
            Ok(v) if trimmed.bytes().all(|b| b.is_ascii_digit()) => v,
            _ => {
                return Err(error(
                    VersionProblem::Malformed(text.into_owned()),
                    Source::Header,
                ));
            }
        };
        match found {
            Some(other) if other != version => {
                return Err(error(
                    VersionProblem::Malformed(format!("{other}, {version}")),
                    Source::Header,
                ));
            }
            _ => found = Some(version),
        }
    }
    match found {
        Some(version) => check(version, path, Source::Header),
        None => check(1, path, Source::Default),
    }
}

/// `("v2", "/users/7")` for `/v2/users/7`; `("v2", "/")` for `/v2`.
fn first_segment(path: &str) -> (&str, &str) {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    match trimmed.find('/') {
        Some(i) => (&trimmed[..i], &trimmed[i..]),
        None => (trimmed, "/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: [(&str, &[u8]); 0] = [];

    fn ok(path: &str, headers: &[(&str, &[u8])]) -> (u32, String, Source) {
        let n = negotiate(path, headers.iter().copied(), 1..=3).unwrap();
        (n.version, n.rest.to_owned(), n.source)
    }

    fn err(path: &str, headers: &[(&str, &[u8])]) -> VersionError {
        negotiate(path, headers.iter().copied(), 1..=3).unwrap_err()
    }

    #[test]
    fn the_path_prefix_names_the_version() {
        assert_eq!(ok("/v2/users/7", &[]), (2, "/users/7".into(), Source::Path));
        assert_eq!(ok("/v1/users/7", &[]), (1, "/users/7".into(), Source::Path));
        assert_eq!(ok("/v3", &[]), (3, "/".into(), Source::Path));
        assert_eq!(ok("/v3/", &[]), (3, "/".into(), Source::Path));
    }

    #[test]
    fn the_legacy_prefix_is_version_1() {
        assert_eq!(
            ok("/api/users/7", &[]),
            (1, "/users/7".into(), Source::Legacy)
        );
        assert_eq!(ok("/api", &[]), (1, "/".into(), Source::Legacy));
        // Not a prefix match on the segment.
        assert_eq!(ok("/apis/x", &[]).2, Source::Default);
    }

    #[test]
    fn the_header_names_the_version_when_the_path_does_not() {
        assert_eq!(
            ok("/users/7", &[("X-API-Version", b"2")]),
            (2, "/users/7".into(), Source::Header)
        );
        assert_eq!(ok("/users/7", &[("x-api-version", b" 3 ")]).0, 3);
        assert_eq!(
            ok("/users/7", &[("accept", b"*/*")]),
            (1, "/users/7".into(), Source::Default)
        );
        let n = negotiate("/users", NONE, 1..=3).unwrap();
        assert_eq!((n.version, n.source), (1, Source::Default));
        // Agreeing duplicates are fine.
        assert_eq!(
            ok("/u", &[("X-API-Version", b"2"), ("X-Api-Version", b"2")]).0,
            2
        );
    }

    #[test]
    fn the_path_wins_over_the_header() {
        assert_eq!(ok("/v1/users", &[("X-API-Version", b"3")]).0, 1);
        assert_eq!(ok("/api/users", &[("X-API-Version", b"3")]).0, 1);
        // Even a malformed header is not read when the path says.
        assert_eq!(ok("/v2/users", &[("X-API-Version", b"x")]).0, 2);
    }

    #[test]
    fn segments_that_only_start_with_v_are_paths() {
        assert_eq!(ok("/videos/1", &[]).2, Source::Default);
        assert_eq!(ok("/v/1", &[]).2, Source::Default);
        assert_eq!(ok("/v2x/1", &[]).1, "/v2x/1");
        assert_eq!(ok("/", &[]), (1, "/".into(), Source::Default));
        assert_eq!(ok("", &[]), (1, "".into(), Source::Default));
    }

    #[test]
    fn unknown_versions_are_errors_that_list_the_supported_ones() {
        let e = err("/v7/users", &[]);
        assert_eq!(e.problem, VersionProblem::Unsupported(7));
        assert_eq!(e.source, Source::Path);
        assert_eq!(e.supported_list(), [1, 2, 3]);
        assert_eq!(
            e.to_string(),
            "unsupported API version 7; supported versions: 1, 2, 3"
        );
        assert_eq!(
            err("/v0/users", &[]).problem,
            VersionProblem::Unsupported(0)
        );
        let e = err("/users", &[("X-API-Version", b"9")]);
        assert_eq!(
            (e.problem, e.source),
            (VersionProblem::Unsupported(9), Source::Header)
        );
    }

    #[test]
    fn malformed_versions_are_errors() {
        let e = err("/users", &[("X-API-Version", b"two")]);
        assert_eq!(e.problem, VersionProblem::Malformed("two".into()));
        assert_eq!(
            e.to_string(),
            "malformed API version \"two\" in the X-API-Version header; supported versions: 1, 2, 3"
        );
        for bad in [&b""[..], b"v2", b"-1", b"+2", b"2.0", b"99999999999"] {
            let e = err("/users", &[("X-API-Version", bad)]);
            assert!(
                matches!(e.problem, VersionProblem::Malformed(_)),
                "{bad:?}: {e}"
            );
        }
        let e = err(
            "/users",
            &[("X-API-Version", b"1"), ("X-API-Version", b"2")],
        );
        assert_eq!(e.problem, VersionProblem::Malformed("1, 2".into()));
        let e = err("/v99999999999/users", &[]);
        assert_eq!(
            (e.problem, e.source),
            (
                VersionProblem::Malformed("v99999999999".into()),
                Source::Path
            )
        );
    }
}
