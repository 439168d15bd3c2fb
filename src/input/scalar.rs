//! Scalar values as PowerShell writes them: dates in its two JSON forms.

use jiff::Timestamp;

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
}
