//! Dates on the wire: `YYYY-MM-DDTHH:MM:SSZ`, UTC, whole seconds.
//!
//! twilio-python parses dates with exactly `%Y-%m-%dT%H:%M:%SZ` and silently hands back a raw
//! string on any other form, so this is the only format Banter ever emits. Inputs are more
//! forgiving: any RFC 3339 date-time is accepted and normalised.

use chrono::{DateTime, SecondsFormat, Utc};

/// A point in time as stored and emitted: UTC, truncated to whole seconds.
pub type Timestamp = DateTime<Utc>;

/// The current time, truncated to whole seconds so that stored and emitted values agree.
#[must_use]
pub fn now() -> Timestamp {
    truncate(Utc::now())
}

/// Drops sub-second precision.
#[must_use]
pub fn truncate(t: Timestamp) -> Timestamp {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// Formats as `2016-03-24T21:05:50Z`.
#[must_use]
pub fn format(t: &Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses an RFC 3339 date-time (any offset, optional fraction) into a UTC timestamp.
///
/// # Errors
/// Returns the chrono parse error when the text is not a date-time.
pub fn parse(s: &str) -> Result<Timestamp, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).map(|t| truncate(t.with_timezone(&Utc)))
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
    fn parse_rejects_garbage() {
        assert!(parse("yesterday").is_err());
    }
}
