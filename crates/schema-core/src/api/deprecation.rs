//! Deprecations a client and an operator can see, independent of any web framework.
//!
//! - [`Lifecycle`]: which API versions are deprecated, since when and until when (their
//!   sunset), and the documentation link; with [`RenamedField`]s it gives the `Deprecation`
//!   (RFC 9745), `Sunset` (RFC 8594) and `Link` headers of a response ([`Lifecycle::headers`])
//!   and says which versions are past their sunset ([`Lifecycle::retired`]).
//! - [`Usage`]: who still uses what. A counter per (type, API version) of the responses
//!   served, and per deprecated field of the requests that sent its old name and of the
//!   responses that carried the old name for its sake only, each with the client identity
//!   the application chooses. With the `metrics` feature each is also a counter of the
//!   `metrics` facade (any exporter); with the `tracing` feature, each deprecated use is a
//!   `tracing` event. [`Usage::report`] is the snapshot an admin endpoint serves.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::runtime::RenamedField;

/// A calendar day, `YYYY-MM-DD` (UTC); the instant it names is its midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

/// Why a text is not a `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateError(String);

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DateError {}

fn days_in_month(year: i32, month: u8) -> u8 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl Date {
    /// The day, checked.
    pub fn new(year: i32, month: u8, day: u8) -> Result<Date, DateError> {
        if !(1970..=9999).contains(&year) {
            return Err(DateError(format!("year {year} is not 1970 to 9999")));
        }
        if !(1..=12).contains(&month) {
            return Err(DateError(format!("month {month} is not 1 to 12")));
        }
        let last = days_in_month(year, month);
        if !(1..=last).contains(&day) {
            return Err(DateError(format!(
                "day {day} is not 1 to {last} ({} {year} has {last} days)",
                MONTHS[usize::from(month - 1)]
            )));
        }
        Ok(Date { year, month, day })
    }

    /// Days since 1970-01-01 (the civil-from-days inverse of H. Hinnant's algorithm).
    fn days(self) -> i64 {
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Seconds since the Unix epoch at the day's midnight UTC.
    pub fn unix_seconds(self) -> u64 {
        u64::try_from(self.days() * 86_400).expect("dates start in 1970")
    }

    /// The day's midnight.
    pub fn instant(self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.unix_seconds())
    }

    /// The `Deprecation` header value (RFC 9745, a structured-field date): `@1814313600`.
    pub fn structured(self) -> String {
        format!("@{}", self.unix_seconds())
    }

    /// The `Sunset` header value (RFC 8594, an HTTP-date): `Wed, 30 Jun 2027 00:00:00 GMT`.
    pub fn http_date(self) -> String {
        const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        let weekday = WEEKDAYS[usize::try_from(self.days().rem_euclid(7)).expect("0 to 6")];
        format!(
            "{weekday}, {:02} {} {} 00:00:00 GMT",
            self.day,
            MONTHS[usize::from(self.month - 1)],
            self.year
        )
    }
}

impl FromStr for Date {
    type Err = DateError;

    /// `YYYY-MM-DD`, exactly.
    fn from_str(text: &str) -> Result<Date, DateError> {
        let b = text.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' || !digits(0..4) {
            return Err(DateError(
                "expected YYYY-MM-DD, as in \"2027-06-30\"".into(),
            ));
        }
        if !digits(5..7) || !digits(8..10) {
            return Err(DateError(
                "expected YYYY-MM-DD, as in \"2027-06-30\"".into(),
            ));
        }
        let number = |r: std::ops::Range<usize>| text[r].parse().expect("checked digits");
        Date::new(
            number(0..4),
            u8::try_from(number(5..7)).expect("two digits"),
            u8::try_from(number(8..10)).expect("two digits"),
        )
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Seconds since the Unix epoch.
fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A deprecated API version: since when, and the day it stops being served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionStatus {
    pub deprecated: Date,
    pub sunset: Option<Date>,
}

/// The deprecation policy of the API: deprecated versions, their sunsets, the day each
/// version was released (the `Deprecation` date of the old names it renamed), and the
/// documentation link.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    versions: BTreeMap<u32, VersionStatus>,
    released: BTreeMap<u32, Date>,
    link: Option<String>,
    /// The `Deprecation` date of an old name whose renaming version has no release date:
    /// when the policy was built (the server started).
    built: u64,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle::new()
    }
}

/// The dates of [`Lifecycle::headers`], before they are text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Dates {
    deprecation: Option<u64>,
    sunset: Option<Date>,
}

impl Lifecycle {
    /// No version deprecated, no link.
    pub fn new() -> Self {
        Lifecycle {
            versions: BTreeMap::new(),
            released: BTreeMap::new(),
            link: None,
            built: unix(SystemTime::now()),
        }
    }

    /// `version` is deprecated since `since`; from `sunset` on, it is no longer served.
    pub fn deprecate(mut self, version: u32, since: Date, sunset: Option<Date>) -> Self {
        self.versions.insert(
            version,
            VersionStatus {
                deprecated: since,
                sunset,
            },
        );
        self
    }

    /// `version` was released on `day`: the old names it renamed are deprecated since then.
    pub fn released(mut self, version: u32, day: Date) -> Self {
        self.released.insert(version, day);
        self
    }

    /// The documentation of the deprecations, sent as `Link: <url>; rel="deprecation"`.
    pub fn link(mut self, url: impl Into<String>) -> Self {
        self.link = Some(url.into());
        self
    }

    /// The status of `version`, when it is deprecated.
    pub fn status(&self, version: u32) -> Option<VersionStatus> {
        self.versions.get(&version).copied()
    }

    /// The sunset of `version`, when it is past at `now`: the version is no longer served.
    pub fn retired(&self, version: u32, now: SystemTime) -> Option<Date> {
        self.status(version)?
            .sunset
            .filter(|sunset| sunset.instant() <= now)
    }

    /// The versions of `supported` still served at `now`.
    pub fn served(&self, supported: std::ops::RangeInclusive<u32>, now: SystemTime) -> Vec<u32> {
        supported
            .filter(|v| self.retired(*v, now).is_none())
            .collect()
    }

    /// The deprecation headers of a response of API version `api` whose body is type
    /// version `type_version` of a struct with `renamed` fields: `Deprecation` (RFC 9745)
    /// when the version is deprecated or the body carries an old name inside its window,
    /// `Sunset` (RFC 8594) with the earliest sunset of those, and `Link` to the
    /// documentation when one is set. Empty when nothing is deprecated.
    pub fn headers(
        &self,
        api: u32,
        type_version: Option<u32>,
        renamed: &[RenamedField],
    ) -> Vec<(&'static str, String)> {
        let mut dates = match self.status(api) {
            Some(status) => Dates {
                deprecation: Some(status.deprecated.unix_seconds()),
                sunset: status.sunset,
            },
            None => Dates {
                deprecation: None,
                sunset: None,
            },
        };
        let in_window = renamed
            .iter()
            .filter(|r| type_version.is_some_and(|v| r.in_window_at(v)));
        for field in in_window {
            let since = self
                .released
                .get(&field.renamed_at)
                .map_or(self.built, |d| d.unix_seconds());
            dates.deprecation = Some(dates.deprecation.map_or(since, |d| d.min(since)));
            let sunset = field.sunset.and_then(|s| s.parse::<Date>().ok());
            dates.sunset = match (dates.sunset, sunset) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        let Some(deprecation) = dates.deprecation else {
            return Vec::new();
        };
        let mut out = vec![("deprecation", format!("@{deprecation}"))];
        if let Some(sunset) = dates.sunset {
            out.push(("sunset", sunset.http_date()));
        }
        if let Some(link) = &self.link {
            out.push((
                "link",
                format!("<{link}>; rel=\"deprecation\"; type=\"text/html\""),
            ));
        }
        out
    }
}

/// How a deprecated field was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FieldUse {
    /// A request sent the old name.
    Sent,
    /// A response carried the old name for its sake only (inside its window).
    Served,
}

impl FieldUse {
    fn label(self) -> &'static str {
        match self {
            FieldUse::Sent => "sent",
            FieldUse::Served => "served",
        }
    }
}

/// The clients seen under one key.
#[derive(Debug, Default)]
struct Seen {
    requests: u64,
    clients: HashMap<String, (u64, u64)>,
}

impl Seen {
    fn record(&mut self, client: &str, now: u64) {
        self.requests += 1;
        if let Some((count, last)) = self.clients.get_mut(client) {
            *count += 1;
            *last = now;
        } else if self.clients.len() < MAX_CLIENTS {
            self.clients.insert(client.to_owned(), (1, now));
        }
    }

    /// The clients seen since `from`, most recent first.
    fn clients_since(&self, from: u64) -> Vec<ClientReport> {
        let mut out: Vec<ClientReport> = self
            .clients
            .iter()
            .filter(|(_, (_, last))| *last >= from)
            .map(|(client, (requests, last))| ClientReport {
                client: client.clone(),
                requests: *requests,
                last_seen: *last,
            })
            .collect();
        out.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(a.client.cmp(&b.client)));
        out
    }

    fn forget_before(&mut self, from: u64) {
        self.clients.retain(|_, (_, last)| *last >= from);
    }
}

/// The most clients remembered per key: a bound on memory whatever the identities are.
pub const MAX_CLIENTS: usize = 10_000;

/// A deprecated field's key: `(table, api version, old name, new name, use)`.
type FieldKey = (&'static str, u32, &'static str, &'static str, FieldUse);

#[derive(Debug, Default)]
struct UsageState {
    /// Per API version, over all types.
    versions: BTreeMap<u32, Seen>,
    /// Per (API version, table).
    types: BTreeMap<(u32, &'static str), u64>,
    fields: BTreeMap<FieldKey, Seen>,
}

/// Who still uses which API version and which deprecated field.
///
/// Each client's count is since the server started; a client not seen within the
/// window (24 hours unless set) leaves the report. At most [`MAX_CLIENTS`] clients are
/// remembered per version and per field; requests beyond are counted, not named.
#[derive(Debug)]
pub struct Usage {
    window: Duration,
    state: Mutex<UsageState>,
}

impl Default for Usage {
    fn default() -> Self {
        Usage::new(Duration::from_secs(24 * 60 * 60))
    }
}

impl Usage {
    /// A report over the last `window`.
    pub fn new(window: Duration) -> Self {
        Usage {
            window,
            state: Mutex::new(UsageState::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, UsageState> {
        // Counters stay meaningful after a panic elsewhere: take them as they are.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A response of `table` served to `client` as API version `api`, a `deprecated` one
    /// or not.
    pub fn record_request(
        &self,
        table: &'static str,
        api: u32,
        client: &str,
        deprecated: bool,
        now: SystemTime,
    ) {
        let mut state = self.state();
        state
            .versions
            .entry(api)
            .or_default()
            .record(client, unix(now));
        *state.types.entry((api, table)).or_default() += 1;
        drop(state);
        #[cfg(feature = "metrics")]
        metrics::counter!(
            "api_requests_total",
            "type" => table,
            "version" => api.to_string(),
            "client" => client.to_owned()
        )
        .increment(1);
        #[cfg(feature = "tracing")]
        if deprecated {
            tracing::info!(
                target: "schema_core::api::deprecation",
                r#type = table,
                version = api,
                client,
                "deprecated API version {api} requested"
            );
        }
        #[cfg(not(feature = "tracing"))]
        let _ = deprecated;
    }

    /// `field` of `table` used by `client` at API version `api`.
    pub fn record_field(
        &self,
        table: &'static str,
        api: u32,
        field: &RenamedField,
        used: FieldUse,
        client: &str,
        now: SystemTime,
    ) {
        let key = (table, api, field.old_name, field.name, used);
        self.state()
            .fields
            .entry(key)
            .or_default()
            .record(client, unix(now));
        #[cfg(feature = "metrics")]
        metrics::counter!(
            "api_deprecated_field_total",
            "type" => table,
            "version" => api.to_string(),
            "field" => field.old_name,
            "use" => used.label(),
            "client" => client.to_owned()
        )
        .increment(1);
        #[cfg(feature = "tracing")]
        tracing::info!(
            target: "schema_core::api::deprecation",
            r#type = table,
            version = api,
            field = field.old_name,
            replaced_by = field.name,
            r#use = used.label(),
            client,
            "deprecated field `{}` {} (renamed to `{}`)",
            field.old_name,
            used.label(),
            field.name
        );
        #[cfg(not(any(feature = "metrics", feature = "tracing")))]
        let _ = used.label();
    }

    /// What was used within the window before `now`, with the status of each version in
    /// `lifecycle`; forgets the clients seen before the window.
    pub fn report(&self, lifecycle: &Lifecycle, now: SystemTime) -> DeprecationReport {
        let from = unix(now).saturating_sub(self.window.as_secs());
        let mut guard = self.state();
        let state = &mut *guard;
        let mut versions: BTreeMap<u32, VersionReport> = BTreeMap::new();
        for (&version, seen) in state.versions.iter_mut() {
            seen.forget_before(from);
            let types = state
                .types
                .range((version, "")..)
                .take_while(|((v, _), _)| *v == version)
                .map(|((_, t), n)| ((*t).to_owned(), *n))
                .collect();
            versions.insert(
                version,
                VersionReport {
                    version,
                    deprecated_since: None,
                    sunset: None,
                    requests: seen.requests,
                    types,
                    clients: seen.clients_since(from),
                },
            );
        }
        for (&version, status) in &lifecycle.versions {
            let entry = versions.entry(version).or_insert_with(|| VersionReport {
                version,
                deprecated_since: None,
                sunset: None,
                requests: 0,
                types: BTreeMap::new(),
                clients: Vec::new(),
            });
            entry.deprecated_since = Some(status.deprecated.to_string());
            entry.sunset = status.sunset.map(|d| d.to_string());
        }
        let mut fields: BTreeMap<(&str, u32, &str, &str), FieldReport> = BTreeMap::new();
        for (&(table, version, old, new, used), seen) in state.fields.iter_mut() {
            seen.forget_before(from);
            let entry = fields
                .entry((table, version, old, new))
                .or_insert_with(|| FieldReport {
                    table: table.to_owned(),
                    version,
                    field: old.to_owned(),
                    replaced_by: new.to_owned(),
                    sent: 0,
                    sent_by: Vec::new(),
                    served: 0,
                    served_to: Vec::new(),
                });
            match used {
                FieldUse::Sent => {
                    (entry.sent, entry.sent_by) = (seen.requests, seen.clients_since(from))
                }
                FieldUse::Served => {
                    (entry.served, entry.served_to) = (seen.requests, seen.clients_since(from))
                }
            }
        }
        DeprecationReport {
            window_seconds: self.window.as_secs(),
            versions: versions.into_values().collect(),
            fields: fields.into_values().collect(),
        }
    }
}

/// What [`Usage::report`] returns: per API version and per deprecated field, the clients
/// seen within the window. With the `serde` feature it serializes as JSON for an admin
/// endpoint; `Display` is a text summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeprecationReport {
    pub window_seconds: u64,
    /// Every version with requests or a deprecation, oldest first.
    pub versions: Vec<VersionReport>,
    /// Every deprecated field used, by table, version and name.
    pub fields: Vec<FieldReport>,
}

/// One API version in a [`DeprecationReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionReport {
    pub version: u32,
    /// `YYYY-MM-DD`, when the version is deprecated.
    pub deprecated_since: Option<String>,
    pub sunset: Option<String>,
    /// Responses served since the server started, over all types.
    pub requests: u64,
    /// The responses per type (table).
    pub types: BTreeMap<String, u64>,
    /// The clients seen within the window, most recent first.
    pub clients: Vec<ClientReport>,
}

/// One deprecated field in a [`DeprecationReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldReport {
    pub table: String,
    pub version: u32,
    /// The old name.
    pub field: String,
    pub replaced_by: String,
    /// Requests that sent the old name, and their clients within the window.
    pub sent: u64,
    pub sent_by: Vec<ClientReport>,
    /// Responses that carried the old name for its sake only, and their clients.
    pub served: u64,
    pub served_to: Vec<ClientReport>,
}

/// A client in a [`DeprecationReport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientReport {
    pub client: String,
    pub requests: u64,
    /// Seconds since the Unix epoch.
    pub last_seen: u64,
}

/// `Serialize` for a report struct, field by field (without serde's derive, which would
/// compile syn for every runtime user).
#[cfg(feature = "serde")]
macro_rules! serialize_fields {
    ($($ty:ident { $($field:ident),* })*) => {$(
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeStruct;
                let fields = [$(stringify!($field)),*];
                let mut out = serializer.serialize_struct(stringify!($ty), fields.len())?;
                $(out.serialize_field(stringify!($field), &self.$field)?;)*
                out.end()
            }
        }
    )*};
}

#[cfg(feature = "serde")]
serialize_fields! {
    DeprecationReport { window_seconds, versions, fields }
    VersionReport { version, deprecated_since, sunset, requests, types, clients }
    FieldReport { table, version, field, replaced_by, sent, sent_by, served, served_to }
    ClientReport { client, requests, last_seen }
}

impl fmt::Display for DeprecationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hours = self.window_seconds / 3600;
        let clients = |list: &[ClientReport]| {
            let n = list.len();
            format!("{n} client{}", if n == 1 { "" } else { "s" })
        };
        for v in &self.versions {
            write!(
                f,
                "version {}: {} in the last {hours} h, {} requests",
                v.version,
                clients(&v.clients),
                v.requests
            )?;
            if let Some(last) = v.clients.first() {
                write!(f, ", last seen at {} ({})", last.last_seen, last.client)?;
            }
            if let Some(since) = &v.deprecated_since {
                write!(f, "; deprecated since {since}")?;
            }
            if let Some(sunset) = &v.sunset {
                write!(f, ", sunset {sunset}")?;
            }
            writeln!(f)?;
        }
        for field in &self.fields {
            writeln!(
                f,
                "`{}` of {} (now `{}`) at version {}: sent by {} ({} requests), served to {} ({} responses)",
                field.field,
                field.table,
                field.replaced_by,
                field.version,
                clients(&field.sent_by),
                field.sent,
                clients(&field.served_to),
                field.served
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        s.parse().unwrap()
    }

    const NAME: RenamedField = RenamedField {
        name: "name",
        old_name: "display_name",
        renamed_at: 4,
        old_name_until: Some(5),
        sunset: Some("2027-06-30"),
    };

    #[test]
    fn dates_parse_strictly_and_format_as_the_rfcs_say() {
        assert_eq!(date("1970-01-01").unix_seconds(), 0);
        assert_eq!(date("2027-06-30").unix_seconds(), 1_814_313_600);
        assert_eq!(
            date("2027-06-30").http_date(),
            "Wed, 30 Jun 2027 00:00:00 GMT"
        );
        assert_eq!(
            date("2000-02-29").http_date(),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );
        assert_eq!(date("2027-06-30").structured(), "@1814313600");
        assert_eq!(date("2027-06-30").to_string(), "2027-06-30");
        for (bad, why) in [
            ("2027-6-30", "expected YYYY-MM-DD"),
            ("2027-06-31", "day 31 is not 1 to 30 (Jun 2027 has 30 days)"),
            ("2027-02-29", "day 29 is not 1 to 28"),
            ("2027-13-01", "month 13 is not 1 to 12"),
            ("1969-12-31", "year 1969 is not 1970 to 9999"),
            ("2027-06-3x", "expected YYYY-MM-DD"),
            ("２０27-06-30", "expected YYYY-MM-DD"),
        ] {
            let e = bad.parse::<Date>().unwrap_err().to_string();
            assert!(e.starts_with(why), "{bad}: {e}");
        }
    }

    #[test]
    fn headers_for_a_deprecated_version_and_for_a_field_in_its_window() {
        let policy = Lifecycle::new()
            .deprecate(1, date("2026-01-01"), Some(date("2026-12-31")))
            .released(4, date("2026-03-01"))
            .link("https://example.com/deprecations");
        assert_eq!(policy.headers(3, Some(3), &[NAME]), []);
        assert_eq!(policy.headers(5, Some(5), &[NAME]), []);
        assert_eq!(
            policy.headers(1, Some(1), &[NAME]),
            [
                ("deprecation", date("2026-01-01").structured()),
                ("sunset", "Thu, 31 Dec 2026 00:00:00 GMT".to_owned()),
                (
                    "link",
                    "<https://example.com/deprecations>; rel=\"deprecation\"; type=\"text/html\""
                        .to_owned()
                ),
            ]
        );
        let headers = policy.headers(4, Some(4), &[NAME]);
        assert_eq!(headers[0], ("deprecation", date("2026-03-01").structured()));
        assert_eq!(
            headers[1],
            ("sunset", "Wed, 30 Jun 2027 00:00:00 GMT".into())
        );
        // Without a release date, the old name is deprecated since the policy was built.
        let bare = Lifecycle::new();
        let headers = bare.headers(4, Some(4), &[NAME]);
        assert_eq!(headers.len(), 2, "{headers:?}");
        assert_eq!(headers[0].1, format!("@{}", bare.built));
    }

    #[test]
    fn versions_past_their_sunset_are_retired() {
        let policy = Lifecycle::new()
            .deprecate(1, date("2026-01-01"), Some(date("2026-06-01")))
            .deprecate(2, date("2026-01-01"), None);
        let before = date("2026-05-31").instant();
        let after = date("2026-06-01").instant();
        assert_eq!(policy.retired(1, before), None);
        assert_eq!(policy.retired(1, after), Some(date("2026-06-01")));
        assert_eq!(policy.retired(2, after), None);
        assert_eq!(policy.served(1..=3, after), [2, 3]);
        assert_eq!(policy.served(1..=3, before), [1, 2, 3]);
    }

    #[test]
    fn usage_counts_versions_and_fields_per_client_within_the_window() {
        let usage = Usage::new(Duration::from_secs(3600));
        let t0 = date("2026-05-01").instant();
        let later = |s| t0 + Duration::from_secs(s);
        usage.record_request("users", 1, "a", false, t0);
        usage.record_request("users", 1, "b", false, later(10));
        usage.record_request("orgs", 1, "a", false, later(20));
        usage.record_request("users", 4, "c", false, later(30));
        usage.record_field("users", 4, &NAME, FieldUse::Served, "c", later(30));
        usage.record_field("users", 4, &NAME, FieldUse::Sent, "c", later(40));
        let policy = Lifecycle::new().deprecate(2, date("2026-01-01"), None);
        let report = usage.report(&policy, later(100));
        let v: Vec<(u32, u64, usize)> = report
            .versions
            .iter()
            .map(|v| (v.version, v.requests, v.clients.len()))
            .collect();
        assert_eq!(v, [(1, 3, 2), (2, 0, 0), (4, 1, 1)]);
        assert_eq!(report.versions[0].clients[0].client, "a");
        assert_eq!(report.versions[0].clients[0].requests, 2);
        assert_eq!(report.versions[0].types["users"], 2);
        assert_eq!(
            report.versions[1].deprecated_since.as_deref(),
            Some("2026-01-01")
        );
        let field = &report.fields[0];
        assert_eq!(
            (field.field.as_str(), field.sent, field.served),
            ("display_name", 1, 1)
        );
        assert_eq!(field.sent_by[0].client, "c");
        let text = report.to_string();
        assert!(
            text.contains("version 1: 2 clients in the last 1 h, 3 requests"),
            "{text}"
        );
        assert!(
            text.contains("`display_name` of users (now `name`) at version 4: sent by 1 client"),
            "{text}"
        );
        // An hour after its last request, a client leaves the report; the counts stay.
        let report = usage.report(&policy, later(3600 + 15));
        assert_eq!(report.versions[0].clients.len(), 1);
        assert_eq!(report.versions[0].requests, 3);
    }
}
