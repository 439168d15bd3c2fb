//! `NonSteadyState` over time: a backlog the next syncs clear is normal batching, one
//! that lasts means the backup pool falls behind. With the collector's history its level
//! comes from `--backlog-warning` / `--backlog-critical` on how long it has lasted;
//! without history it keeps the seed's WARNING. A duration that is only a lower bound
//! can raise the level, never lower it: the backlog may be older than it looks.
//! An explicit `--map` for the status overrides all of this (see `status`).

use std::borrow::Cow;

use super::settings::graded;
use super::{Lasted, Level, Settings, StatusVerdict};
use crate::model::ExportStatus;

/// The level and reason of a `NonSteadyState` that has lasted `lasted`, from the seed's.
pub(super) fn judge(
    seed: Level,
    meaning: Cow<'static, str>,
    lasted: Option<Lasted>,
    settings: &Settings,
) -> (Level, Cow<'static, str>) {
    let Some(lasted) = lasted else {
        return (seed, meaning);
    };
    let beyond = graded(
        lasted.seconds,
        &settings.backlog_warning,
        &settings.backlog_critical,
    );
    // The seconds, as the range compares them: "for 12 min" may be 751 s or 779 s.
    let seconds = lasted.seconds;
    match (beyond, lasted.lower_bound) {
        (Some((level, which, range)), bound) => {
            let level = if bound { level.max(seed) } else { level };
            (
                level,
                format!(
                    "{meaning}, {seconds} s {}: a failover now would lose the changes not yet \
                     backed up",
                    range.beyond(&format!("--backlog-{which}"))
                )
                .into(),
            )
        }
        (None, false) => (
            Level::Ok,
            format!(
                "{meaning}, {seconds} s within the --backlog-warning range {}",
                settings.backlog_warning.as_str()
            )
            .into(),
        ),
        (None, true) => (
            seed,
            format!(
                "{meaning}, and it may be older than the collector's history, so how long it \
                 has lasted is unknown"
            )
            .into(),
        ),
    }
}

/// How long the longest current backlog has lasted, of the modules' exports and the
/// pool's `OverallExportStatus` (0 without one, or when how long is not known), for
/// perfdata: a lower bound counts as what it is known to be.
pub(super) fn longest<'a>(exports: impl Iterator<Item = &'a StatusVerdict>) -> i64 {
    exports
        .filter(|s| ExportStatus::from_name(&s.shown) == Some(ExportStatus::NonSteadyState))
        .filter_map(|s| s.lasted)
        .map(|lasted| lasted.seconds)
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(seconds: i64, lower_bound: bool) -> Level {
        let lasted = Lasted {
            seconds,
            lower_bound,
        };
        judge(
            Level::Warning,
            "x".into(),
            Some(lasted),
            &Settings::default(),
        )
        .0
    }

    #[test]
    fn the_default_ranges_grade_a_backlog_by_its_duration() {
        assert_eq!(level(0, false), Level::Ok);
        assert_eq!(level(750, false), Level::Ok);
        assert_eq!(level(751, false), Level::Warning);
        assert_eq!(level(1950, false), Level::Warning);
        assert_eq!(level(1951, false), Level::Critical);
    }

    #[test]
    fn the_defaults_fall_between_collections() {
        // At the n-th collection after the first that saw it, a backlog has lasted
        // n intervals, give or take the module's load times: the same level either way.
        let interval = 300; // the collector's default interval
        let expected = [0, 0, 0, 1, 1, 1, 1, 2, 2];
        for (n, grade) in expected.into_iter().enumerate() {
            let grade = [Level::Ok, Level::Warning, Level::Critical][grade];
            for skew in [-140, -60, 0, 60, 140] {
                let seconds = (n as i64 * interval + skew).max(0);
                assert_eq!(level(seconds, false), grade, "{n} intervals {skew:+} s");
            }
        }
    }

    #[test]
    fn a_lower_bound_raises_never_lowers() {
        assert_eq!(level(0, true), Level::Warning);
        assert_eq!(level(900, true), Level::Warning);
        assert_eq!(level(2400, true), Level::Critical);
        let (seed, reason) = judge(Level::Warning, "x".into(), None, &Settings::default());
        assert_eq!((seed, reason.as_ref()), (Level::Warning, "x"));
    }
}
