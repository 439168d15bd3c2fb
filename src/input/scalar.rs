//! Scalar values as PowerShell writes them: dates in its two JSON forms, and the other
//! forms a `CollectedAt` from another tool may take.

use jiff::Timestamp;

use crate::model::{clip, CollectedAt};

/// A `CollectedAt` given as text: an instant when the text names one; a date and time
/// without an offset is kept apart, since no zone can be assumed for it.
pub fn collected_at_text(raw: &str) -> CollectedAt {
    let trimmed = raw.trim();
    if let Some(at) = parse_timestamp(trimmed) {
        return CollectedAt::At(at);
    }
    if let Some(at) = trimmed.parse::<f64>().ok().and_then(unix_time) {
        return CollectedAt::At(at);
    }
    if trimmed.parse::<jiff::civil::DateTime>().is_ok() {
        return CollectedAt::Zoneless(clip(trimmed, 80));
    }
    CollectedAt::Unreadable(clip(raw, 80))
}

/// A Unix time: seconds, or milliseconds when the number is too large for seconds of
/// any date before the year 5138 (every millisecond count after March 1973 is).
pub fn unix_time(value: f64) -> Option<Timestamp> {
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    let millis = if value >= 1e11 { value } else { value * 1000.0 };
    if millis > i64::MAX as f64 {
        return None;
    }
    Timestamp::from_millisecond(millis.round() as i64).ok()
}

/// Reads `\/Date(1732755600000)\/` (Windows PowerShell 5.1, optionally with `+0100`) or
/// an ISO 8601 / RFC 3339 time with an offset (PowerShell 7, the collector).
pub fn parse_timestamp(raw: &str) -> Option<Timestamp> {
    let raw = raw.trim();
    if let Some(inner) = raw
        .strip_prefix("/Date(")
        .or_else(|| raw.strip_prefix("\\/Date("))
        .and_then(|r| r.strip_suffix(")/").or_else(|| r.strip_suffix(")\\/")))
    {
        // The milliseconds are UTC; a trailing offset only says where it was written.
        let end = inner
            .char_indices()
            .skip(1)
            .find(|(_, c)| *c == '+' || *c == '-')
            .map_or(inner.len(), |(i, _)| i);
        let millis: i64 = inner[..end].parse().ok()?;
        return Timestamp::from_millisecond(millis).ok();
    }
    raw.parse::<Timestamp>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_date_forms() {
        let ms = Timestamp::from_millisecond(1732755600000).unwrap();
        assert_eq!(parse_timestamp("/Date(1732755600000)/"), Some(ms));
        assert_eq!(parse_timestamp("\\/Date(1732755600000)\\/"), Some(ms));
        assert_eq!(parse_timestamp("/Date(1732755600000+0100)/"), Some(ms));
        assert_eq!(parse_timestamp(" 2024-11-28T01:00:00Z "), Some(ms));
        assert_eq!(
            parse_timestamp("2024-11-28T02:00:00.0000000+01:00"),
            Some(ms)
        );
        assert_eq!(
            parse_timestamp("/Date(-1)/").map(|t| t.as_millisecond()),
            Some(-1)
        );
        assert_eq!(parse_timestamp("2024-11-28 01:00"), None);
        assert_eq!(parse_timestamp("/Date(abc)/"), None);
        assert_eq!(parse_timestamp("yesterday"), None);
    }

    #[test]
    fn tells_instants_from_zoneless_times() {
        let at = Timestamp::from_second(1732755600).unwrap();
        assert_eq!(collected_at_text("1732755600"), CollectedAt::At(at));
        assert_eq!(collected_at_text("1732755600000"), CollectedAt::At(at));
        assert_eq!(
            collected_at_text("2024-11-28T01:00:00.1234567"),
            CollectedAt::Zoneless("2024-11-28T01:00:00.1234567".into())
        );
        assert_eq!(
            collected_at_text("2024-11-28 01:00"),
            CollectedAt::Zoneless("2024-11-28 01:00".into())
        );
        assert_eq!(
            collected_at_text("11/28/2024 01:00:00"),
            CollectedAt::Unreadable("11/28/2024 01:00:00".into())
        );
        assert_eq!(unix_time(-1.0), None);
        assert_eq!(unix_time(f64::NAN), None);
        assert_eq!(unix_time(1e30), None);
    }
}
