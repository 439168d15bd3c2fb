//! What a collection carries forward from the document it replaces (`previous`): when
//! each status was first seen, and where the event log was last read.
//!
//! Per module and direction the collector writes `ExportStatusSince` /
//! `ImportStatusSince` (and `OverallExportStatusSince` / `OverallImportStatusSince` for
//! the pool's overall statuses): the previous document's time while the status is
//! unchanged, this collection's time when it changed. Per pool it writes `HistorySince`,
//! when the unbroken chain of documents began: a status first seen at or before it may
//! have begun earlier, and the check calls its duration a lower bound.
//!
//! Only what can be trusted is carried; no history is better than wrong history:
//! - The chain begins again (`HistorySince` now, `HistoryRestart` saying why) when the
//!   previous document gives no history, when its history cannot be read, or when a time
//!   it wrote for a status this collection still sees is none, or later than its
//!   collection. Such a status keeps the previous collection's time (it was seen then),
//!   which the new `HistorySince` makes a lower bound; so do the others.
//! - A status the previous document did not list (a module new to the pool) begins the
//!   chain again too, seen now, and the statuses it did list keep their times, which are
//!   then lower bounds.
//! - A module reported more than once is matched by its status: an entry whose status
//!   the module had once before and has once now continues that entry. When the same
//!   status appears twice now, which entry continues which cannot be told: those entries
//!   get no time at all, and the check gives them the seed's level.
//! - A collection that failed (no module list) lists no statuses, yet breaks nothing: its
//!   document keeps `HistorySince` and, in `LastCollected`, the statuses and times of the
//!   last collection that listed them, which the next collection continues, as long as
//!   that one is at most `--history-max-age` old.
//!
//! A previous document of an older collector, without any of this, is history that
//! began when it was collected.

use jiff::Timestamp;
use serde_json::{json, Map, Value};

use super::powershell::EventQuery;
use super::previous::{Previous, PreviousPool};
use crate::input::parse_timestamp;
use crate::model::clip;
use crate::model::duration;

/// The statuses a pool object reports, each as (where it is, which property).
const DIRECTIONS: [(&str, &str); 2] = [
    ("ExportStatus", "ExportStatusSince"),
    ("ImportStatus", "ImportStatusSince"),
];
const OVERALL: [(&str, &str); 2] = [
    ("OverallExportStatus", "OverallExportStatusSince"),
    ("OverallImportStatus", "OverallImportStatusSince"),
];
/// The properties that name a module, in the order the check reads them.
const MODULE_NAMES: [&str; 3] = ["Identity", "ModuleName", "Name"];
/// Where a failed collection keeps the history of the last one that listed modules.
const LAST_COLLECTED: &str = "LastCollected";

/// Writes the history of `object`, collected at `now`, from `previous`, whose history
/// is trusted while at most `max_age` seconds old.
pub fn carry(object: &mut Map<String, Value>, previous: &Previous, now: Timestamp, max_age: i64) {
    let seen = previous
        .as_ref()
        .map_err(String::clone)
        .and_then(|previous| Seen::of(previous, now, max_age));
    if !lists_modules(object) {
        carry_through_failure(object, seen, now);
        return;
    }
    let mut stamper = Stamper {
        seen: seen.as_ref().ok(),
        now,
        bound: None,
    };
    if let Some(Value::Array(modules)) = object.get_mut("BackupModules") {
        stamper.modules(modules);
    }
    stamper.overall(object);
    let bound = stamper.bound;
    let (history_since, restart) = match seen {
        Ok(seen) if bound.is_none() => (seen.history_since, None),
        Ok(_) => (now, bound),
        Err(reason) => (now, Some(reason)),
    };
    object.insert("HistorySince".into(), history_since.to_string().into());
    if let Some(reason) = restart {
        object.insert("HistoryRestart".into(), reason.into());
    }
}

/// Writes beside each status of a pool object the time this collection gives it, and
/// keeps the first reason one of them gives to begin the chain again.
struct Stamper<'a> {
    /// What the previous document saw, when it can be continued.
    seen: Option<&'a Seen<'a>>,
    now: Timestamp,
    bound: Option<String>,
}

impl Stamper<'_> {
    /// The modules' statuses: each entry is told apart from the module's other entries
    /// by its status.
    fn modules(&mut self, modules: &mut [Value]) {
        let listed: Vec<Listed> = modules.iter().map(Listed::of).collect();
        for (index, module) in modules.iter_mut().enumerate() {
            let (Some(module), Some(key)) = (module.as_object_mut(), &listed[index].key) else {
                continue;
            };
            for (direction, (status, since_key)) in DIRECTIONS.into_iter().enumerate() {
                let Some(current) = module.get(status).filter(|v| !v.is_null()) else {
                    continue;
                };
                let twice_now = listed
                    .iter()
                    .filter(|other| other.is(key, direction, current))
                    .count()
                    > 1;
                let since = match self.seen {
                    Some(seen) => seen.since(Some(key), status, current, twice_now, self.now),
                    None if twice_now => Since::Unknown,
                    None => Since::At(self.now),
                };
                self.write(module, since_key, since);
            }
        }
    }

    /// The pool's overall statuses.
    fn overall(&mut self, object: &mut Map<String, Value>) {
        for (status, since_key) in OVERALL {
            let Some(current) = object.get(status).filter(|v| !v.is_null()) else {
                continue;
            };
            let since = match self.seen {
                Some(seen) => seen.since(None, status, current, false, self.now),
                None => Since::At(self.now),
            };
            self.write(object, since_key, since);
        }
    }

    fn write(&mut self, target: &mut Map<String, Value>, since_key: &str, since: Since) {
        let at = match since {
            Since::At(at) => at,
            Since::Bound(at, why) => {
                self.bound.get_or_insert(why);
                at
            }
            Since::Unknown => {
                target.remove(since_key);
                return;
            }
        };
        target.insert(since_key.into(), at.to_string().into());
    }
}

/// A collection that failed lists no statuses, and breaks no chain: its document keeps
/// the chain's beginning and the last listed statuses with their times, for the next
/// collection to continue; or, when there is no chain to keep, begins one.
fn carry_through_failure(
    object: &mut Map<String, Value>,
    seen: Result<Seen, String>,
    now: Timestamp,
) {
    match seen {
        Ok(seen) => {
            object.insert("HistorySince".into(), seen.history_since.to_string().into());
            object.insert(LAST_COLLECTED.into(), seen.last_collected());
        }
        Err(reason) => {
            object.insert("HistorySince".into(), now.to_string().into());
            object.insert("HistoryRestart".into(), reason.into());
        }
    }
}

fn lists_modules(object: &Map<String, Value>) -> bool {
    matches!(object.get("BackupModules"), Some(Value::Array(_)))
}

/// What this collection writes beside one status.
#[derive(Debug, Clone, PartialEq)]
enum Since {
    /// This time: carried while the status is unchanged, now when it changed.
    At(Timestamp),
    /// This time, and the chain begins again (for the reason), which makes it a lower
    /// bound.
    Bound(Timestamp, String),
    /// No time: which of the module's entries continues which cannot be told.
    Unknown,
}

/// One entry of this collection's module list: its name and statuses, compared with the
/// other entries.
struct Listed {
    key: Option<String>,
    statuses: [Option<Value>; 2],
}

impl Listed {
    fn of(module: &Value) -> Listed {
        let object = module.as_object();
        Listed {
            key: object.and_then(module_key),
            statuses: DIRECTIONS.map(|(status, _)| object.and_then(|o| o.get(status)).cloned()),
        }
    }

    /// Whether this entry is of the module `key` with `current` as its status in
    /// `direction`.
    fn is(&self, key: &str, direction: usize, current: &Value) -> bool {
        self.key
            .as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case(key))
            && self.statuses[direction]
                .as_ref()
                .is_some_and(|status| same_status(status, current))
    }
}

/// What the previous document saw: its statuses and since when.
struct Seen<'a> {
    /// The pool object that listed them: the previous document's, or, when that
    /// collection failed, its `LastCollected`.
    object: &'a Map<String, Value>,
    /// When that object was collected.
    collected_at: Timestamp,
    /// When its chain began.
    history_since: Timestamp,
    /// Whether the previous document carries history (`HistorySince`): if so, a time it
    /// did not write beside a status is a gap, not the chain's beginning.
    has_history: bool,
}

impl<'a> Seen<'a> {
    /// The previous pool object's history, or why it cannot continue.
    fn of(previous: &'a PreviousPool, now: Timestamp, max_age: i64) -> Result<Seen<'a>, String> {
        let (object, collected_at) = if lists_modules(&previous.object) {
            (&previous.object, previous.collected_at)
        } else {
            last_collected(previous, now, max_age)?
        };
        let has_history = previous.object.contains_key("HistorySince");
        let history_since = match previous.object.get("HistorySince") {
            None => collected_at,
            Some(value) => time(value, collected_at).ok_or(
                "the previous document's HistorySince is not a time before its CollectedAt",
            )?,
        };
        Ok(Seen {
            object,
            collected_at,
            history_since,
            has_history,
        })
    }

    /// What to write beside the status `current` under `status` of `module` (or of the
    /// pool), given what the previous document saw; `twice_now` when another entry of
    /// the module has that status too.
    fn since(
        &self,
        module: Option<&str>,
        status: &str,
        current: &Value,
        twice_now: bool,
        now: Timestamp,
    ) -> Since {
        let (before, what) = match module {
            Some(key) => (self.modules(key), format!("the module {key}")),
            None => (vec![self.object], format!("the pool's {status}")),
        };
        let reported: Vec<&Map<String, Value>> = before
            .into_iter()
            .filter(|m| m.get(status).is_some_and(|v| !v.is_null()))
            .collect();
        if reported.is_empty() {
            return Since::Bound(now, format!("the previous document did not report {what}"));
        }
        let same: Vec<&Map<String, Value>> = reported
            .into_iter()
            .filter(|m| {
                m.get(status)
                    .is_some_and(|before| same_status(before, current))
            })
            .collect();
        match same.as_slice() {
            [] => Since::At(now),
            _ if twice_now => Since::Unknown,
            [one] => self.carried(one, status, &what),
            several => {
                // Whichever of them this one continues, it began by the latest of their
                // times.
                let latest = several
                    .iter()
                    .map(|m| self.trusted(m, status).unwrap_or(self.collected_at))
                    .max()
                    .unwrap_or(self.collected_at);
                Since::Bound(
                    latest,
                    format!("the previous document reported {what} more than once"),
                )
            }
        }
    }

    /// The time the previous entry `before` gives its unchanged status.
    fn carried(&self, before: &Map<String, Value>, status: &str, what: &str) -> Since {
        let key = format!("{status}Since");
        match (before.get(&key), self.trusted(before, status)) {
            (None, _) if !self.has_history => Since::At(self.history_since),
            (_, Some(at)) => Since::At(at),
            (None, None) => Since::Bound(
                self.collected_at,
                format!("the previous document wrote no {key} for {what}"),
            ),
            (Some(_), None) => Since::Bound(
                self.collected_at,
                format!(
                    "the previous document's {key} of {what} is not a time before its CollectedAt"
                ),
            ),
        }
    }

    /// The `<status>Since` of `before`, if it is a time not after that collection.
    fn trusted(&self, before: &Map<String, Value>, status: &str) -> Option<Timestamp> {
        time(before.get(&format!("{status}Since"))?, self.collected_at)
    }

    /// The previous document's entries of the module `key`.
    fn modules(&self, key: &str) -> Vec<&'a Map<String, Value>> {
        let Some(Value::Array(modules)) = self.object.get("BackupModules") else {
            return vec![];
        };
        modules
            .iter()
            .filter_map(Value::as_object)
            .filter(|m| module_key(m).is_some_and(|k| k.eq_ignore_ascii_case(key)))
            .collect()
    }

    /// The statuses and times a failed collection keeps for the next one: the names,
    /// statuses and times of the object that listed them, and when it was collected.
    fn last_collected(&self) -> Value {
        let keep = |from: &Map<String, Value>, keys: &mut dyn Iterator<Item = &str>| {
            keys.filter_map(|key| Some((key.to_owned(), from.get(key)?.clone())))
                .collect::<Map<String, Value>>()
        };
        let statuses = |pairs: [(&'static str, &'static str); 2]| {
            pairs
                .into_iter()
                .flat_map(|(status, since)| [status, since])
        };
        let modules: Vec<Value> = match self.object.get("BackupModules") {
            Some(Value::Array(modules)) => modules
                .iter()
                .filter_map(Value::as_object)
                .map(|m| {
                    Value::Object(keep(
                        m,
                        &mut MODULE_NAMES.into_iter().chain(statuses(DIRECTIONS)),
                    ))
                })
                .collect(),
            _ => vec![],
        };
        let mut last = Map::new();
        last.insert("CollectedAt".into(), self.collected_at.to_string().into());
        last.extend(keep(self.object, &mut statuses(OVERALL)));
        last.insert("BackupModules".into(), Value::Array(modules));
        Value::Object(last)
    }
}

/// The object of the last collection that listed modules, kept by a previous document
/// whose own collection failed, and when it was collected; `Err` says why it cannot
/// continue the chain.
fn last_collected(
    previous: &PreviousPool,
    now: Timestamp,
    max_age: i64,
) -> Result<(&Map<String, Value>, Timestamp), String> {
    let failed = match previous.object.get("Error").and_then(Value::as_str) {
        Some(error) => format!(
            "the previous collection reported no backup modules: {}",
            clip(error, 200)
        ),
        None => "the previous collection reported no backup modules".into(),
    };
    let Some(last) = previous
        .object
        .get(LAST_COLLECTED)
        .and_then(Value::as_object)
        .filter(|last| lists_modules(last))
    else {
        return Err(failed);
    };
    let Some(at) = last
        .get("CollectedAt")
        .and_then(|value| time(value, previous.collected_at))
    else {
        return Err(format!(
            "{failed}, and its {LAST_COLLECTED} has no CollectedAt before its own"
        ));
    };
    let age = now.as_second() - at.as_second();
    if age > max_age {
        return Err(format!(
            "{failed}, and the last collection that did ({LAST_COLLECTED}) is {} old, more \
             than --history-max-age {max_age} s",
            duration(age)
        ));
    }
    Ok((last, at))
}

/// A module's name, as the check reads it: `Identity`, else `ModuleName`, else `Name`.
fn module_key(module: &Map<String, Value>) -> Option<String> {
    MODULE_NAMES
        .iter()
        .find_map(|key| module.get(*key)?.as_str())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
}

/// Statuses compare as the check compares them: as text, trimmed, in any letter case.
fn same_status(a: &Value, b: &Value) -> bool {
    let text = |v: &Value| match v {
        Value::String(s) => s.trim().to_ascii_lowercase(),
        other => other.to_string(),
    };
    text(a) == text(b)
}

/// A time written by the collector, if it is one and not after `latest`.
fn time(value: &Value, latest: Timestamp) -> Option<Timestamp> {
    value
        .as_str()
        .and_then(parse_timestamp)
        .filter(|at| *at <= latest)
}

/// Where this collection reads the event log from: where the previous one stopped, so
/// that each event is reported once. That is the `Until` of a previous window that was
/// read, and the `Since` of one that was not (the log was denied, the collection failed:
/// those events are still to be read), the earliest of the previous documents; never
/// longer ago than `max_age` seconds, which is also the window of a first collection.
pub fn events_since<'a>(
    previous: impl IntoIterator<Item = &'a Previous>,
    now: Timestamp,
    max_age: i64,
) -> Timestamp {
    let earliest = Timestamp::from_second(now.as_second() - max_age).unwrap_or(now);
    previous
        .into_iter()
        .filter_map(|p| p.as_ref().ok())
        .filter_map(|p| {
            let events = p.object.get("BackupServiceEvents")?.as_object()?;
            let read = events.get("Error").is_none_or(Value::is_null);
            time(events.get(if read { "Until" } else { "Since" })?, now)
        })
        .min()
        .map_or(earliest, |stopped| stopped.max(earliest))
}

/// `BackupServiceEvents` for a pool whose events this collection did not read, saying
/// why: the window it was to read, so that the next collection reads it.
pub fn events_not_read(query: &EventQuery, why: &str) -> Value {
    json!({
        "LogName": query.log,
        "Source": query.source,
        "Since": query.since.to_string(),
        "Error": why,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BEFORE: &str = "2026-11-29T03:55:00Z";
    const NOW: &str = "2026-11-29T04:00:00Z";
    const CHAIN: &str = "2026-11-29T01:00:00Z";

    fn now() -> Timestamp {
        NOW.parse().unwrap()
    }

    fn module(identity: &str, export: &str) -> Value {
        json!({"Identity": identity, "ExportStatus": export, "ImportStatus": "NormalState"})
    }

    /// A module as the collector wrote it: both statuses with their times.
    fn timed(identity: &str, export: &str, since: &str) -> Value {
        let mut module = module(identity, export);
        module["ExportStatusSince"] = json!(since);
        module["ImportStatusSince"] = json!(CHAIN);
        module
    }

    fn object(modules: Vec<Value>) -> Map<String, Value> {
        let mut object = Map::new();
        object.insert("PoolFqdn".into(), "p".into());
        object.insert("BackupModules".into(), Value::Array(modules));
        object
    }

    fn collected(object: Map<String, Value>) -> Previous {
        Ok(PreviousPool {
            object,
            collected_at: BEFORE.parse().unwrap(),
        })
    }

    /// A previous document collected at BEFORE, from `modules` carried at `history`.
    fn previous(modules: Vec<Value>, history: Option<&str>) -> Previous {
        let mut object = object(modules);
        object.insert("CollectedAt".into(), BEFORE.into());
        if let Some(history) = history {
            object.insert("HistorySince".into(), history.into());
        }
        collected(object)
    }

    fn carried(current: Vec<Value>, previous: &Previous) -> Map<String, Value> {
        let mut current = object(current);
        carry(&mut current, previous, now(), 900);
        current
    }

    fn since(object: &Map<String, Value>, index: usize, key: &str) -> String {
        object["BackupModules"][index][key]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn an_unchanged_status_keeps_its_time_a_changed_one_gets_now() {
        let previous = previous(
            vec![
                timed("A", "NonSteadyState", "2026-11-29T03:10:00Z"),
                timed("B", "SteadyState", CHAIN),
            ],
            Some(CHAIN),
        );
        let now = carried(
            vec![
                module("a", " nonsteadystate "),
                module("B", "NonSteadyState"),
            ],
            &previous,
        );
        assert_eq!(since(&now, 0, "ExportStatusSince"), "2026-11-29T03:10:00Z");
        assert_eq!(since(&now, 0, "ImportStatusSince"), CHAIN);
        assert_eq!(since(&now, 1, "ExportStatusSince"), NOW);
        assert_eq!(since(&now, 1, "ImportStatusSince"), CHAIN);
        assert_eq!(now["HistorySince"], json!(CHAIN));
        assert!(now.get("HistoryRestart").is_none());
    }

    #[test]
    fn an_older_collectors_document_is_history_that_began_when_it_was_collected() {
        let now = carried(
            vec![module("A", "NonSteadyState")],
            &previous(vec![module("A", "NonSteadyState")], None),
        );
        assert_eq!(since(&now, 0, "ExportStatusSince"), BEFORE);
        assert_eq!(now["HistorySince"], json!(BEFORE));
        assert!(now.get("HistoryRestart").is_none());
    }

    #[test]
    fn no_usable_previous_document_starts_history_now_and_says_why() {
        let now = carried(
            vec![module("A", "NonSteadyState")],
            &Err("there is no previous document".into()),
        );
        assert_eq!(since(&now, 0, "ExportStatusSince"), NOW);
        assert_eq!(now["HistorySince"], json!(NOW));
        assert_eq!(
            now["HistoryRestart"],
            json!("there is no previous document")
        );
        let mut failed = object(vec![]);
        failed.remove("BackupModules");
        failed.insert("Error".into(), "Access is denied.".into());
        let now = carried(vec![module("A", "SteadyState")], &collected(failed));
        assert_eq!(
            now["HistoryRestart"],
            json!("the previous collection reported no backup modules: Access is denied.")
        );
    }

    #[test]
    fn a_new_status_restarts_the_chain_and_the_others_become_lower_bounds() {
        let previous = previous(vec![timed("A", "SteadyState", CHAIN)], Some(CHAIN));
        let now = carried(
            vec![module("A", "SteadyState"), module("RGS", "NotInitialized")],
            &previous,
        );
        assert_eq!(now["HistorySince"], json!(NOW));
        assert_eq!(
            now["HistoryRestart"],
            json!("the previous document did not report the module RGS")
        );
        assert_eq!(since(&now, 0, "ExportStatusSince"), CHAIN);
        assert_eq!(since(&now, 1, "ExportStatusSince"), NOW);
    }

    #[test]
    fn an_untrusted_time_restarts_the_chain_from_the_previous_collection() {
        // A time after that collection, a time that is none, no time at all: the status
        // was seen at the previous collection, so it has lasted at least since then.
        for (written, why) in [
            (Some("2026-11-29T03:58:00Z"), "the previous document's ExportStatusSince of the module A is not a time before its CollectedAt"),
            (Some("2026-11-29 03:00:00"), "the previous document's ExportStatusSince of the module A is not a time before its CollectedAt"),
            (None, "the previous document wrote no ExportStatusSince for the module A"),
        ] {
            let mut odd = timed("A", "NonSteadyState", CHAIN);
            match written {
                Some(text) => odd["ExportStatusSince"] = json!(text),
                None => {
                    odd.as_object_mut().unwrap().remove("ExportStatusSince");
                }
            }
            let previous = previous(vec![odd], Some(CHAIN));
            let now = carried(vec![module("A", "NonSteadyState")], &previous);
            assert_eq!(since(&now, 0, "ExportStatusSince"), BEFORE, "{written:?}");
            assert_eq!(since(&now, 0, "ImportStatusSince"), CHAIN);
            assert_eq!(now["HistorySince"], json!(NOW), "{written:?}");
            assert_eq!(now["HistoryRestart"], json!(why));
        }
        // An untrusted time of a status that changed since does not matter.
        let mut odd = timed("A", "SteadyState", CHAIN);
        odd["ExportStatusSince"] = json!("yesterday");
        let now = carried(
            vec![module("A", "NonSteadyState")],
            &previous(vec![odd], Some(CHAIN)),
        );
        assert_eq!(since(&now, 0, "ExportStatusSince"), NOW);
        assert!(now.get("HistoryRestart").is_none());
        let broken = previous(
            vec![module("A", "SteadyState")],
            Some("2026-12-01T00:00:00Z"),
        );
        let now = carried(vec![module("A", "SteadyState")], &broken);
        assert!(now["HistoryRestart"]
            .as_str()
            .unwrap()
            .contains("HistorySince"));
    }

    #[test]
    fn a_module_reported_twice_is_matched_by_its_status() {
        // [SteadyState, NonSteadyState] twice: each entry continues the one with its status.
        let previous = previous(
            vec![
                timed("A", "SteadyState", CHAIN),
                timed("A", "NonSteadyState", "2026-11-29T03:15:00Z"),
            ],
            Some(CHAIN),
        );
        let now = carried(
            vec![module("A", "NonSteadyState"), module("A", "SteadyState")],
            &previous,
        );
        assert_eq!(since(&now, 0, "ExportStatusSince"), "2026-11-29T03:15:00Z");
        assert_eq!(since(&now, 1, "ExportStatusSince"), CHAIN);
        assert!(now.get("HistoryRestart").is_none());
        // The same status twice now: which continues which cannot be told, no time.
        let now = carried(
            vec![module("A", "NonSteadyState"), module("A", "NonSteadyState")],
            &previous,
        );
        for index in 0..2 {
            assert!(now["BackupModules"][index]
                .get("ExportStatusSince")
                .is_none());
            assert!(now["BackupModules"][index]
                .get("ImportStatusSince")
                .is_none());
        }
        assert!(now.get("HistoryRestart").is_none());
        // Twice before, once now: a lower bound, the latest of their times.
        let twice = self::previous(
            vec![
                timed("A", "NonSteadyState", "2026-11-29T03:00:00Z"),
                timed("A", "NonSteadyState", "2026-11-29T03:20:00Z"),
            ],
            Some(CHAIN),
        );
        let now = carried(vec![module("A", "NonSteadyState")], &twice);
        assert_eq!(since(&now, 0, "ExportStatusSince"), "2026-11-29T03:20:00Z");
        assert_eq!(now["HistorySince"], json!(NOW));
        assert_eq!(
            now["HistoryRestart"],
            json!("the previous document reported the module A more than once")
        );
        // Twice now, not before: new since the previous collection, both now.
        let now = carried(
            vec![module("A", "ErrorState"), module("A", "ErrorState")],
            &twice,
        );
        assert_eq!(since(&now, 1, "ExportStatusSince"), NOW);
    }

    #[test]
    fn overall_statuses_are_carried_like_the_modules() {
        let mut before = object(vec![]);
        before.insert("OverallExportStatus".into(), "NonSteadyState".into());
        before.insert(
            "OverallExportStatusSince".into(),
            "2026-11-29T03:30:00Z".into(),
        );
        before.insert("CollectedAt".into(), BEFORE.into());
        let mut current = object(vec![]);
        current.insert("OverallExportStatus".into(), "NonSteadyState".into());
        carry(&mut current, &collected(before), now(), 900);
        assert_eq!(
            current["OverallExportStatusSince"],
            json!("2026-11-29T03:30:00Z")
        );
    }

    fn failed(error: &str) -> Map<String, Value> {
        let mut failed = Map::new();
        failed.insert("PoolFqdn".into(), "p".into());
        failed.insert("Error".into(), error.into());
        failed
    }

    #[test]
    fn a_failed_collection_keeps_the_history_for_the_next() {
        let mut before = timed("A", "NonSteadyState", "2026-11-29T03:10:00Z");
        before["Details"] = json!("not kept");
        let good = previous(vec![before], Some(CHAIN));
        let mut current = failed("boom");
        carry(&mut current, &good, now(), 900);
        assert_eq!(current["HistorySince"], json!(CHAIN));
        assert!(current.get("HistoryRestart").is_none());
        assert_eq!(
            current[LAST_COLLECTED],
            json!({"CollectedAt": BEFORE, "BackupModules": [{"Identity": "A",
                "ExportStatus": "NonSteadyState", "ExportStatusSince": "2026-11-29T03:10:00Z",
                "ImportStatus": "NormalState", "ImportStatusSince": CHAIN}]})
        );
        // Five minutes later the next collection continues from it.
        let mut failed_doc = current.clone();
        failed_doc.insert("CollectedAt".into(), NOW.into());
        let failed_previous = Ok(PreviousPool {
            object: failed_doc,
            collected_at: now(),
        });
        let later: Timestamp = "2026-11-29T04:05:00Z".parse().unwrap();
        let mut next = object(vec![module("A", "NonSteadyState")]);
        carry(&mut next, &failed_previous, later, 900);
        assert_eq!(since(&next, 0, "ExportStatusSince"), "2026-11-29T03:10:00Z");
        assert_eq!(next["HistorySince"], json!(CHAIN));
        assert!(next.get("HistoryRestart").is_none());
        // A second failure keeps it again; beyond --history-max-age of the last
        // collection that listed modules, the chain begins again.
        let mut again = failed("boom");
        carry(&mut again, &failed_previous, later, 900);
        assert_eq!(again[LAST_COLLECTED], current[LAST_COLLECTED]);
        let mut next = object(vec![module("A", "NonSteadyState")]);
        carry(&mut next, &failed_previous, later, 540);
        assert_eq!(next["HistorySince"], json!("2026-11-29T04:05:00Z"));
        assert_eq!(
            next["HistoryRestart"],
            json!(
                "the previous collection reported no backup modules: boom, and the last \
                   collection that did (LastCollected) is 10 min old, more than \
                   --history-max-age 540 s"
            )
        );
        // A failure after no history begins the chain, with nothing to keep.
        let mut first = failed("boom");
        carry(
            &mut first,
            &Err("there is no previous document".into()),
            now(),
            900,
        );
        assert_eq!(first["HistorySince"], json!(NOW));
        assert!(first.get(LAST_COLLECTED).is_none());
    }

    #[test]
    fn the_event_log_is_read_from_where_the_last_collection_stopped() {
        let with_events = |events: Value| -> Previous {
            let mut object = object(vec![]);
            object.insert("BackupServiceEvents".into(), events);
            Ok(PreviousPool {
                object,
                collected_at: BEFORE.parse().unwrap(),
            })
        };
        let read = with_events(json!({"Until": "2026-11-29T03:55:01Z", "Errors": 0}));
        let at = |previous: &[Previous]| events_since(previous, now(), 900).to_string();
        assert_eq!(at(std::slice::from_ref(&read)), "2026-11-29T03:55:01Z");
        // A window that was not read is read again, from where it began.
        let denied = with_events(json!({"Since": "2026-11-29T03:50:00Z",
            "Until": "2026-11-29T03:55:00Z", "Error": "denied"}));
        assert_eq!(at(&[read.clone(), denied]), "2026-11-29T03:50:00Z");
        let query = EventQuery {
            log: "Lync Server".into(),
            source: "LS Backup Service".into(),
            since: "2026-11-29T03:52:00Z".parse().unwrap(),
        };
        let failed = with_events(events_not_read(&query, "the collection failed"));
        assert_eq!(at(&[failed, read.clone()]), "2026-11-29T03:52:00Z");
        assert_eq!(at(&[Err("none".into())]), "2026-11-29T03:45:00Z");
        let old = with_events(json!({"Until": "2026-11-29T01:00:00Z"}));
        assert_eq!(at(&[old]), "2026-11-29T03:45:00Z");
        let future = with_events(json!({"Until": "2026-11-29T05:00:00Z"}));
        assert_eq!(at(&[future]), "2026-11-29T03:45:00Z");
    }
}
