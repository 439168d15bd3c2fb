//! What the operator asked for: thresholds, status mappings, levels, and the settings
//! that carry them into the evaluation. Parsed from the command line, checked here.

use std::str::FromStr;

use nagios_range::NagiosRange;

use super::Level;
use crate::model::{clip, is_whole_number, Direction};

/// A threshold in seconds (the data's age, how long a backlog has lasted): the Nagios
/// range and the text it was given as.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    range: NagiosRange,
    text: String,
}

impl Threshold {
    /// True when `value` lies where the range says to alert.
    pub fn alerts(&self, value: f64) -> bool {
        self.range.check(value)
    }

    /// The range as given, for perfdata and messages.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Where a value that alerts lies, for a message: `outside the <name> range 900`, or
    /// `inside` for an `@` range.
    pub fn beyond(&self, name: &str) -> String {
        let side = if self.text.starts_with('@') {
            "inside"
        } else {
            "outside"
        };
        format!("{side} the {name} range {}", self.text)
    }
}

/// The level a value in seconds takes from a pair of thresholds, with the name of the
/// one it lies beyond (`warning`, `critical`) and that threshold; none when neither alerts.
pub(super) fn graded<'a>(
    seconds: i64,
    warning: &'a Threshold,
    critical: &'a Threshold,
) -> Option<(Level, &'static str, &'a Threshold)> {
    if critical.alerts(seconds as f64) {
        Some((Level::Critical, "critical", critical))
    } else if warning.alerts(seconds as f64) {
        Some((Level::Warning, "warning", warning))
    } else {
        None
    }
}

impl FromStr for Threshold {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bad = |why: &str| {
            format!(
                "'{}' is not a Nagios range ({why}), examples: 900, 600:, @10:20, ~:3600",
                clip(text, 40)
            )
        };
        // The range crate accepts what Rust's float parser does ('inf', 'NaN'); a
        // monitoring range takes plain decimal numbers only.
        let plain = text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | ':' | '~' | '@'));
        if !plain {
            return Err(bad(
                "only digits, '.', '-', ':', '~' and a leading '@' are allowed",
            ));
        }
        // It is printed in every pool's perfdata: a range of thousands of digits would
        // be thousands of bytes of output, and no age needs it.
        if text.len() > LONGEST_RANGE {
            return Err(bad(&format!(
                "{} characters, more than the {LONGEST_RANGE} any range of seconds needs",
                text.len()
            )));
        }
        let range = NagiosRange::from(text).map_err(|e| bad(&e.to_string()))?;
        Ok(Threshold {
            range,
            text: text.to_owned(),
        })
    }
}

/// The longest `-w` / `-c` range taken: two numbers of seconds with decimals and more.
const LONGEST_RANGE: usize = 40;

/// An operator's override of one status mapping (`--map [export:|import:]STATUS=LEVEL`).
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    pub direction: Option<Direction>,
    pub status: String,
    pub level: Level,
}

impl FromStr for Mapping {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = |why: String| {
            format!(
                "'{}' is not a mapping ({why}), expected [export:|import:]STATUS=LEVEL, e.g. export:NonSteadyState=critical",
                clip(text, 40)
            )
        };
        let (lhs, level) = text.split_once('=').ok_or_else(|| bad("no '='".into()))?;
        let level = parse_level(level).map_err(&bad)?;
        let (direction, status) = match lhs.split_once(':') {
            Some((d, s)) if d.trim().eq_ignore_ascii_case("export") => (Some(Direction::Export), s),
            Some((d, s)) if d.trim().eq_ignore_ascii_case("import") => (Some(Direction::Import), s),
            Some((d, _)) => {
                return Err(bad(format!(
                    "'{}' is neither export nor import",
                    clip(d, 40)
                )))
            }
            None => (None, lhs),
        };
        let status = status.trim();
        if is_whole_number(status) {
            return Err(format!(
                "'{}': a number is never mapped: the statuses' numbers are not published, so \
                 the plugin never guesses which status a number stands for, export names instead \
                 (check_csbackup collect or Export-Clixml, see docs/status-document.md)",
                clip(text, 60)
            ));
        }
        if status.is_empty()
            || !status
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(bad(format!("'{}' is not a status name", clip(status, 40))));
        }
        Ok(Mapping {
            direction,
            status: status.to_owned(),
            level,
        })
    }
}

/// `ok`, `warning`, `critical` or `unknown`, in any letter case.
pub fn parse_level(text: &str) -> Result<Level, String> {
    text.trim().parse::<Level>().map_err(|_| {
        format!(
            "'{}' is not a level: use ok, warning, critical or unknown",
            clip(text.trim(), 40)
        )
    })
}

/// What the operator asked for on the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `--pool`: evaluate only these; names the pool when the document does not.
    pub pools: Vec<String>,
    pub cms_master_pool: Option<String>,
    pub required_modules: Vec<String>,
    pub ignored_modules: Vec<String>,
    pub mappings: Vec<Mapping>,
    pub on_error: Level,
    pub warning: Threshold,
    pub critical: Threshold,
    /// `--backlog-warning` / `--backlog-critical`: how long a `NonSteadyState` may last.
    pub backlog_warning: Threshold,
    pub backlog_critical: Threshold,
    /// `--not-initialized-warning`: how long a module other than the CMS's may stay
    /// `NotInitialized` before it is a WARNING wherever the CMS is.
    pub not_initialized_warning: Threshold,
    /// `--on-event-error`: the level of the Backup Service's Error events.
    pub on_event_error: Level,
}

/// The defaults of `-w` and `-c`, the data's age: a collection or two missed (at the
/// default 5-minute interval), and an hour.
pub const AGE_WARNING: &str = "900";
pub const AGE_CRITICAL: &str = "3600";

/// The defaults of the duration thresholds, as the command line gives them (docs/decisions.md
/// says why these values). A duration is measured between two collections, so at the
/// default 5-minute interval it comes in steps of 300 s, give or take the difference
/// between the module's load times at the two: each default lies halfway between two
/// steps, where no load time can move a duration across it. WARNING from the fourth
/// collection that sees a backlog (900 s), CRITICAL from the eighth (2100 s); a stuck
/// `NotInitialized` from the fourteenth (3900 s).
pub const BACKLOG_WARNING: &str = "750";
pub const BACKLOG_CRITICAL: &str = "1950";
pub const NOT_INITIALIZED_WARNING: &str = "3750";

impl Settings {
    /// The `--map` that sets the level of `status` in `direction`, if any: the last
    /// that matches wins.
    pub fn mapping(&self, direction: Direction, status: &str) -> Option<&Mapping> {
        self.mappings.iter().rev().find(|m| {
            m.direction.is_none_or(|d| d == direction) && m.status.eq_ignore_ascii_case(status)
        })
    }

    /// Whether a `--map` sets the level of `status` in `direction`.
    pub fn maps(&self, direction: Direction, status: &str) -> bool {
        self.mapping(direction, status).is_some()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            pools: vec![],
            cms_master_pool: None,
            required_modules: vec![],
            ignored_modules: vec![],
            mappings: vec![],
            on_error: Level::Critical,
            warning: AGE_WARNING.parse().expect("a valid default range"),
            critical: AGE_CRITICAL.parse().expect("a valid default range"),
            backlog_warning: BACKLOG_WARNING.parse().expect("a valid default range"),
            backlog_critical: BACKLOG_CRITICAL.parse().expect("a valid default range"),
            not_initialized_warning: NOT_INITIALIZED_WARNING
                .parse()
                .expect("a valid default range"),
            on_event_error: Level::Warning,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_take_nagios_ranges_only() {
        for good in ["900", "10:", "~:10", "@10:20", "0:0", "1.5:2.5"] {
            assert!(good.parse::<Threshold>().is_ok(), "{good}");
        }
        let huge = "9".repeat(41);
        for bad in ["", "abc", "inf", "NaN", "20:10", "1e3", huge.as_str()] {
            assert!(bad.parse::<Threshold>().is_err(), "{bad}");
        }
        let inside: Threshold = "@10:20".parse().unwrap();
        assert!(inside.alerts(15.0) && !inside.alerts(25.0));
        assert_eq!(
            inside.beyond("critical"),
            "inside the critical range @10:20"
        );
        let outside: Threshold = "~:10".parse().unwrap();
        assert_eq!(outside.beyond("-w"), "outside the -w range ~:10");
        // The critical range first; neither alerting is no level.
        let warning: Threshold = "5".parse().unwrap();
        let critical: Threshold = "8".parse().unwrap();
        let named =
            |seconds| graded(seconds, &warning, &critical).map(|(l, n, t)| (l, n, t.as_str()));
        assert_eq!(named(4), None);
        assert_eq!(named(6), Some((Level::Warning, "warning", "5")));
        assert_eq!(named(9), Some((Level::Critical, "critical", "8")));
    }
}
