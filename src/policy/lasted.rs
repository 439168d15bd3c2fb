//! How long a status has lasted, from the history the collector carries in the document:
//! from when it first saw the status (`ExportStatusSince`, ...) to when the data was
//! collected, and whether that is only a lower bound.
//!
//! Measured up to the collection (`CollectedAt`), never up to now: the document says
//! nothing about the time since, which the age check judges. Without a readable
//! `CollectedAt` there is no duration at all (neither the file's time nor now is when the
//! collector saw the statuses), and `-v` says so. A status first seen at or before
//! `HistorySince`, when the collector's unbroken chain of documents for the pool began,
//! may have begun earlier, so its duration is a lower bound; without `HistorySince` every
//! duration is one. A time that is none, or one after the collection, gives no duration,
//! and `-v` says why: no history is better than wrong history.

use std::fmt;

use jiff::Timestamp;

use super::Note;
use crate::model::duration;
use crate::model::{CollectedAt, Modules, Pool, Stamp};

/// How long a status has lasted when the data was collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lasted {
    pub seconds: i64,
    /// The status may have begun before the collector's history did: it has lasted at
    /// least this long.
    pub lower_bound: bool,
}

/// `for 42 min`, or `for at least 42 min`.
impl fmt::Display for Lasted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at_least = if self.lower_bound { "at least " } else { "" };
        write!(f, "for {at_least}{}", duration(self.seconds))
    }
}

/// What a pool's durations are measured against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct History {
    /// When the data was collected: `CollectedAt`, when it names an instant.
    observed: Option<Timestamp>,
    /// `HistorySince`, when it is a time not after the collection.
    began: Option<Timestamp>,
    /// Whether the document carries the collector's history (`HistorySince`), which
    /// then gives every status its time.
    carried: bool,
}

impl History {
    /// The history a pool's document carries; what cannot be used is noted.
    pub(super) fn of(pool: &Pool, notes: &mut Vec<Note>) -> History {
        let carried = pool.history_since.is_some();
        let observed = match &pool.collected_at {
            Some(CollectedAt::At(at)) => Some(*at),
            _ => {
                if carried || carries_times(pool) {
                    notes.push(Note::notice(
                        "no readable CollectedAt: how long each status has lasted is not \
                         measured (a duration is measured to the collection, never to now)",
                    ));
                }
                None
            }
        };
        if let Some(reason) = &pool.history_restart {
            notes.push(Note::notice(format!(
                "the collector's history began again at this collection ({reason}): how long \
                 a status it saw then has lasted is a lower bound"
            )));
        }
        let began = match (&pool.history_since, observed) {
            (None, _) | (_, None) => None,
            (Some(Stamp::At(at)), Some(observed)) if *at <= observed => {
                notes.push(Note::source(format!("history since {at}")));
                Some(*at)
            }
            (Some(Stamp::At(at)), Some(observed)) => {
                notes.push(Note::notice(format!(
                    "HistorySince {at} is after the collection ({observed}): every duration \
                     is taken as a lower bound"
                )));
                None
            }
            (Some(Stamp::Unreadable(raw)), _) => {
                notes.push(Note::notice(format!(
                    "HistorySince '{raw}' is not a time with an offset: every duration is taken \
                     as a lower bound"
                )));
                None
            }
        };
        History {
            observed,
            began,
            carried,
        }
    }

    /// How long the status first seen at `since` has lasted; `what` names the property
    /// for a note when it cannot tell.
    pub(super) fn lasted(
        &self,
        since: Option<&Stamp>,
        what: impl FnOnce() -> String,
        notes: &mut Vec<Note>,
    ) -> Option<Lasted> {
        let at = match since {
            // The collector writes a time beside every status it can tell apart: not
            // beside the entries of a module it sees more than once with one status.
            None if self.carried && self.observed.is_some() => {
                notes.push(Note::notice(format!(
                    "{} is missing: how long that status has lasted is unknown",
                    what()
                )));
                return None;
            }
            None => return None,
            Some(Stamp::Unreadable(raw)) => {
                notes.push(Note::notice(format!(
                    "{} '{raw}' is not a time with an offset: how long that status has lasted \
                     is unknown",
                    what()
                )));
                return None;
            }
            Some(Stamp::At(at)) => *at,
        };
        // Without the collection's time, the pool's note says why nothing is measured.
        let observed = self.observed?;
        if at > observed {
            notes.push(Note::notice(format!(
                "{} {at} is after the collection ({observed}): how long that status has \
                 lasted is unknown",
                what()
            )));
            return None;
        }
        Some(Lasted {
            seconds: observed.as_second() - at.as_second(),
            lower_bound: self.began.is_none_or(|began| at <= began),
        })
    }
}

/// Whether any status of the pool carries the time it was first seen.
fn carries_times(pool: &Pool) -> bool {
    let modules = match &pool.modules {
        Modules::Listed { modules, .. } => modules.as_slice(),
        _ => &[],
    };
    pool.overall_export_since.is_some()
        || pool.overall_import_since.is_some()
        || modules
            .iter()
            .any(|m| m.export_since.is_some() || m.import_since.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn pool(history_since: Option<&str>) -> Pool {
        Pool {
            collected_at: Some(CollectedAt::At(at("2026-11-29T04:00:00Z"))),
            history_since: history_since.map(|t| Stamp::At(at(t))),
            ..Pool::default()
        }
    }

    fn lasted(pool: &Pool, since: &str) -> (Option<Lasted>, Vec<Note>) {
        let mut notes = Vec::new();
        let history = History::of(pool, &mut notes);
        let since = Some(Stamp::At(at(since)));
        let lasted = history.lasted(since.as_ref(), || "ExportStatusSince".into(), &mut notes);
        (lasted, notes)
    }

    #[test]
    fn measures_to_the_collection_and_knows_a_lower_bound() {
        let chained = pool(Some("2026-11-29T01:00:00Z"));
        let exact = lasted(&chained, "2026-11-29T03:18:00Z").0.unwrap();
        assert_eq!(exact.seconds, 42 * 60);
        assert_eq!(exact.to_string(), "for 42 min");
        let bound = lasted(&chained, "2026-11-29T01:00:00Z").0.unwrap();
        assert!(bound.lower_bound);
        assert_eq!(bound.to_string(), "for at least 3 h 0 min");
        // Without HistorySince nothing says when history began: every duration is a bound.
        assert!(
            lasted(&pool(None), "2026-11-29T03:18:00Z")
                .0
                .unwrap()
                .lower_bound
        );
    }

    #[test]
    fn without_collected_at_nothing_is_measured() {
        let mut unknown = pool(Some("2026-11-29T01:00:00Z"));
        unknown.collected_at = None;
        let (none, notes) = lasted(&unknown, "2026-11-29T03:18:00Z");
        assert_eq!(none, None);
        assert!(notes.iter().any(|n| n
            .text
            .starts_with("no readable CollectedAt: how long each status")));
    }

    #[test]
    fn a_time_after_the_collection_gives_no_duration() {
        let (none, notes) = lasted(&pool(Some("2026-11-29T01:00:00Z")), "2026-11-29T05:00:00Z");
        assert_eq!(none, None);
        assert!(notes
            .iter()
            .any(|n| n.text.contains("is after the collection")));
        let mut notes = Vec::new();
        let history = History::of(&pool(Some("2026-11-29T01:00:00Z")), &mut notes);
        let unreadable = Stamp::Unreadable("yesterday".into());
        assert_eq!(
            history.lasted(Some(&unreadable), || "X".into(), &mut notes),
            None
        );
        assert!(notes
            .iter()
            .any(|n| n.text.contains("'yesterday' is not a time")));
        // A HistorySince after the collection is no history.
        let (future, notes) = lasted(&pool(Some("2026-11-29T05:00:00Z")), "2026-11-29T03:18:00Z");
        assert!(future.unwrap().lower_bound);
        assert!(notes.iter().any(|n| n.text.contains("HistorySince")));
    }
}
