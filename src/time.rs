//! Dates on the wire: `YYYY-MM-DDTHH:MM:SSZ`, UTC, whole seconds.
//!
//! twilio-python parses dates with exactly `%Y-%m-%dT%H:%M:%SZ` and silently hands back a raw
//! string on any other form, so this is the only format Banter ever emits. Inputs are more
//! forgiving: any RFC 3339 date-time is accepted and normalised.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

/// A point in time as stored and emitted: UTC, truncated to whole seconds.
pub type Timestamp = DateTime<Utc>;

/// The current time, truncated to whole seconds so that stored and emitted values agree.
#[must_use]
pub fn now() -> Timestamp {
    truncate(Utc::now())
}

/// The current time in milliseconds since the Unix epoch (the unit of stored timer instants).
#[must_use]
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// The timestamp of `ms` milliseconds since the Unix epoch, truncated to whole seconds as
/// every emitted date is; `None` out of range.
#[must_use]
pub fn from_ms(ms: i64) -> Option<Timestamp> {
    DateTime::from_timestamp(ms.div_euclid(1000), 0)
}

/// Drops sub-second precision.
#[must_use]
pub fn truncate(t: Timestamp) -> Timestamp {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// Formats as `2016-03-24T21:05:50Z` (every list item carries two dates, so this is written
/// digit by digit rather than through a format string).
#[must_use]
pub fn format(t: &Timestamp) -> String {
    let n = t.naive_utc();
    let year = n.year();
    if !(0..=9999).contains(&year) {
        return t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    }
    let mut out = [0u8; 20];
    let mut put = |at: usize, value: u32, digits: usize| {
        let mut v = value;
        for i in (0..digits).rev() {
            out[at + i] = b'0' + u8::try_from(v % 10).unwrap_or(0);
            v /= 10;
        }
    };
    put(0, year.unsigned_abs(), 4);
    put(5, n.month(), 2);
    put(8, n.day(), 2);
    put(11, n.hour(), 2);
    put(14, n.minute(), 2);
    put(17, n.second(), 2);
    for (at, sep) in [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':'), (19, b'Z')] {
        out[at] = sep;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses an RFC 3339 date-time (any offset, optional fraction) into a UTC timestamp.
///
/// # Errors
/// Returns the chrono parse error when the text is not a date-time.
pub fn parse(s: &str) -> Result<Timestamp, chrono::ParseError> {
    if let Some(t) = parse_stored(s) {
        return Ok(t);
    }
    DateTime::parse_from_rfc3339(s).map(|t| truncate(t.with_timezone(&Utc)))
}

/// The fast path for the form Banter itself writes, `YYYY-MM-DDTHH:MM:SSZ`.
fn parse_stored(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(num(0, 4)?).ok()?, num(5, 7)?, num(8, 10)?)?;
    let time = date.and_hms_opt(num(11, 13)?, num(14, 16)?, num(17, 19)?)?;
    Some(time.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_is_whole_seconds_with_z() {
        let t = parse("2024-05-06T07:08:09.750+02:00").unwrap();
        assert_eq!(format(&t), "2024-05-06T05:08:09Z");
    }

    #[test]
    fn stored_form_round_trips_through_the_fast_paths() {
        for text in ["2016-03-24T21:05:50Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"] {
            let t = parse(text).unwrap();
            assert_eq!(format(&t), text);
            assert_eq!(t, DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc));
        }
        assert!(parse("2016-02-30T00:00:00Z").is_err(), "no February 30th");
        assert!(parse("2016-03-24T25:05:50Z").is_err());
    }

    #[test]
    fn parse_rejects_garbage() {
        assert!(parse("yesterday").is_err());
    }
}
