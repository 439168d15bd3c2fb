//! A module stuck in `NotInitialized`: before the first export that status is normal,
//! and on a pool that does not host the CMS the seed calls it OK for good, since
//! `CentralMgmt.CMSMaster` never exports there. For any other module it means that
//! replication never began, so once the collector's history shows it lasting beyond
//! `--not-initialized-warning` it is a WARNING wherever the CMS is. A lower bound beyond
//! the range is as good as an exact duration: the module has been waiting at least that
//! long. `CentralMgmt.CMSMaster` keeps the seed's rule; an explicit `--map` for the
//! status overrides all of this (see `status`).

use std::borrow::Cow;

use super::status::export_meaning;
use super::{Lasted, Level, Settings};
use crate::model::{same_module, ExportStatus};

/// The module whose `NotInitialized` depends on the CMS role alone.
const CMS_MODULE: &str = "CentralMgmt.CMSMaster";

/// Whether `module` is one whose `NotInitialized` can be stuck.
pub(super) fn applies_to(module: &str) -> bool {
    !same_module(module, CMS_MODULE)
}

/// The level and reason of a `NotInitialized` that has lasted `lasted`, from the seed's.
pub(super) fn judge(
    seed: Level,
    reason: Cow<'static, str>,
    lasted: Option<Lasted>,
    settings: &Settings,
) -> (Level, Cow<'static, str>) {
    let range = &settings.not_initialized_warning;
    match lasted {
        Some(lasted) if range.alerts(lasted.seconds as f64) => (
            seed.max(Level::Warning),
            format!(
                "{}, {} s {}: its replication never \
                 began (only {CMS_MODULE} may wait for good, on a pool without the active CMS), \
                 check Get-CsPoolBackupRelationship and that the Backup Service runs",
                export_meaning(&ExportStatus::NotInitialized).0,
                lasted.seconds,
                range.beyond("--not-initialized-warning")
            )
            .into(),
        ),
        _ => (seed, reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_long_wait_is_a_warning() {
        let settings = Settings::default();
        let wait = |seconds, lower_bound| {
            judge(
                Level::Ok,
                "expected".into(),
                Some(Lasted {
                    seconds,
                    lower_bound,
                }),
                &settings,
            )
            .0
        };
        assert_eq!(wait(3750, false), Level::Ok);
        assert_eq!(wait(3751, false), Level::Warning);
        // Halfway between the 12th and 13th interval after the first that saw it.
        let interval = 300; // the collector's default interval
        for skew in [-140, 0, 140] {
            assert_eq!(wait(12 * interval + skew, false), Level::Ok);
            assert_eq!(wait(13 * interval + skew, false), Level::Warning);
        }
        assert_eq!(wait(7200, true), Level::Warning);
        assert_eq!(judge(Level::Ok, "x".into(), None, &settings).0, Level::Ok);
        assert!(!applies_to(" centralmgmt.cmsmaster"));
        assert!(applies_to("ConfServices.DataConf"));
    }
}
