//! Durations on the command line and in messages: `7d`, `36h`, `1d12h`, `90s`, `0s`.

use std::time::Duration;

const UNITS: [(char, u64); 5] = [
    ('w', 7 * 86_400),
    ('d', 86_400),
    ('h', 3_600),
    ('m', 60),
    ('s', 1),
];

/// Parses one or more `<number><unit>` groups, unit one of `w d h m s`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "`{text}` is not a duration; write a number and a unit (w, d, h, m, s), e.g. `7d`, `36h` or `1d12h`"
        )
    };
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut groups = 0;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let (_, secs) = UNITS.iter().find(|(u, _)| *u == c).ok_or_else(bad)?;
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(*secs)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(bad)?;
        digits.clear();
        groups += 1;
    }
    if groups == 0 || !digits.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// The shortest text that [`parse_duration`] reads back as `d` (whole seconds).
pub fn format_duration(d: Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    // Days rather than weeks: "7d" reads more plainly than "1w".
    for (unit, size) in UNITS.into_iter().skip(1) {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for (text, secs) in [
            ("7d", 604_800),
            ("36h", 129_600),
            ("1d12h", 129_600),
            ("0s", 0),
            ("90s", 90),
            ("2w", 1_209_600),
        ] {
            assert_eq!(parse_duration(text).unwrap().as_secs(), secs, "{text}");
        }
        assert_eq!(format_duration(Duration::from_secs(129_600)), "1d12h");
        assert_eq!(format_duration(Duration::from_secs(604_800)), "7d");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for bad in [
            "",
            "7",
            "d",
            "7x",
            "7d3",
            "-1d",
            "1.5h",
            "99999999999999999999w",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
