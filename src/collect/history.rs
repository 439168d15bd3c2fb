//! What a collection carries forward from the document it replaces (`previous`): when
//! each status was first seen, and where the event log was last read.
//!
//! Per module and direction the collector writes `ExportStatusSince` /
//! `ImportStatusSince` (and `OverallExportStatusSince` / `OverallImportStatusSince` for
//! the pool's overall statuses): the previous document's time while the status is
//! unchanged, this collection's time when it changed. Per pool it writes `HistorySince`,
//! when the unbroken chain of documents began: a status first seen at or before it may
//! have begun earlier, and the check calls its duration a lower bound. The chain begins
//! again (`HistorySince` now, `HistoryRestart` saying why) when the previous document
//! gives no history, when the previous collection listed no modules (it failed), when
//! its history cannot be read, or when it did not list a status this one has. In the
//! last case the statuses it did list keep their times, which are then lower bounds.
//!
//! A previous document of an older collector, without any of this, is history that
//! began when it was collected.

use jiff::Timestamp;
use serde_json::{Map, Value};

use super::previous::{Previous, PreviousPool};
use crate::input::parse_timestamp;
use crate::model::clip;

/// The statuses a pool object reports, each as (where it is, which property).
const DIRECTIONS: [(&str, &str); 2] = [
    ("ExportStatus", "ExportStatusSince"),
    ("ImportStatus", "ImportStatusSince"),
];
const OVERALL: [(&str, &str); 2] = [
    ("OverallExportStatus", "OverallExportStatusSince"),
    ("OverallImportStatus", "OverallImportStatusSince"),
];

/// Writes the history of `object`, collected at `now`, from `previous`. An object
/// without a module list (its collection failed) has no statuses and gets none.
pub fn carry(object: &mut Map<String, Value>, previous: &Previous, now: Timestamp) {
    if !matches!(object.get("BackupModules"), Some(Value::Array(_))) {
        return;
    }
    let seen = previous.as_ref().map_err(String::clone).and_then(Seen::of);
    let (mut history_since, mut restart) = match &seen {
        Ok(seen) => (seen.history_since, None),
        Err(reason) => (now, Some(reason.clone())),
    };
    let seen = seen.ok();
    let mut unlisted: Option<String> = None;
    // Writes `since` beside `status` of `target` (the module named, or the pool).
    let mut stamp = |target: &mut Map<String, Value>, module: Option<&str>, status, since| {
        let Some(current) = target.get(status).filter(|v| !v.is_null()) else {
            return;
        };
        let at = match seen
            .as_ref()
            .map(|seen| seen.since(module, status, current))
        {
            Some(Ok(Some(at))) => at,
            Some(Ok(None)) | None => now,
            Some(Err(Unreported)) => {
                unlisted.get_or_insert_with(|| match module {
                    Some(module) => format!("the module {module}"),
                    None => format!("the pool's {status}"),
                });
                now
            }
        };
        target.insert(String::from(since), at.to_string().into());
    };
    if let Some(Value::Array(modules)) = object.get_mut("BackupModules") {
        for module in modules.iter_mut().filter_map(Value::as_object_mut) {
            let Some(key) = module_key(module) else {
                continue;
            };
            for (status, since) in DIRECTIONS {
                stamp(module, Some(&key), status, since);
            }
        }
    }
    for (status, since) in OVERALL {
        stamp(object, None, status, since);
    }
    if let (None, Some(what)) = (&restart, unlisted) {
        history_since = now;
        restart = Some(format!("the previous document did not report {what}"));
    }
    object.insert("HistorySince".into(), history_since.to_string().into());
    if let Some(reason) = restart {
        object.insert("HistoryRestart".into(), reason.into());
    }
}

/// The previous document did not report a status this collection has.
struct Unreported;

/// What the previous document saw: its statuses and since when, by module.
struct Seen<'a> {
    previous: &'a PreviousPool,
    history_since: Timestamp,
}

impl<'a> Seen<'a> {
    /// The previous pool object's history, or why it cannot continue.
    fn of(previous: &'a PreviousPool) -> Result<Seen<'a>, String> {
        if !matches!(previous.object.get("BackupModules"), Some(Value::Array(_))) {
            let why = match previous.object.get("Error").and_then(Value::as_str) {
                Some(error) => format!(": {}", clip(error, 200)),
                None => String::new(),
            };
            return Err(format!(
                "the previous collection reported no backup modules{why}"
            ));
        }
        let history_since = match previous.object.get("HistorySince") {
            None => previous.collected_at,
            Some(value) => time(value, previous.collected_at).ok_or(
                "the previous document's HistorySince is not a time before its CollectedAt",
            )?,
        };
        Ok(Seen {
            previous,
            history_since,
        })
    }

    /// Since when the status `current` under `status` of `module` (or of the pool) has
    /// been seen: `Ok(Some)` the previous time, `Ok(None)` it changed now.
    fn since(
        &self,
        module: Option<&str>,
        status: &str,
        current: &Value,
    ) -> Result<Option<Timestamp>, Unreported> {
        let object = match module {
            Some(module) => self.module(module).ok_or(Unreported)?,
            None => &self.previous.object,
        };
        let before = object
            .get(status)
            .filter(|v| !v.is_null())
            .ok_or(Unreported)?;
        if !same_status(before, current) {
            return Ok(None);
        }
        // A time the previous collector did not write: the chain's beginning. One that is
        // no time, or later than that collection, is not trusted: seen now.
        match object.get(&format!("{status}Since")) {
            None => Ok(Some(self.history_since)),
            Some(value) => Ok(time(value, self.previous.collected_at)),
        }
    }

    fn module(&self, key: &str) -> Option<&Map<String, Value>> {
        let Some(Value::Array(modules)) = self.previous.object.get("BackupModules") else {
            return None;
        };
        modules
            .iter()
            .filter_map(Value::as_object)
            .find(|m| module_key(m).is_some_and(|k| k.eq_ignore_ascii_case(key)))
    }
}

/// A module's name, as the check reads it: `Identity`, else `ModuleName`, else `Name`.
fn module_key(module: &Map<String, Value>) -> Option<String> {
    ["Identity", "ModuleName", "Name"]
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

/// Where this collection reads the event log from: where the previous one stopped
/// (`BackupServiceEvents.Until` of the previous documents that read it, the earliest),
/// never longer ago than `max_age` seconds, which is also the window of a first
/// collection.
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
            if events.get("Error").is_some_and(|e| !e.is_null()) {
                return None;
            }
            time(events.get("Until")?, now)
        })
        .min()
        .map_or(earliest, |until| until.max(earliest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BEFORE: &str = "2026-11-29T03:55:00Z";
    const NOW: &str = "2026-11-29T04:00:00Z";

    fn now() -> Timestamp {
        NOW.parse().unwrap()
    }

    fn module(identity: &str, export: &str) -> Value {
        json!({"Identity": identity, "ExportStatus": export, "ImportStatus": "NormalState"})
    }

    fn object(modules: Vec<Value>) -> Map<String, Value> {
        let mut object = Map::new();
        object.insert("PoolFqdn".into(), "p".into());
        object.insert("BackupModules".into(), Value::Array(modules));
        object
    }

    /// A previous document collected at BEFORE, from `modules` carried at `history`.
    fn previous(modules: Vec<Value>, history: Option<&str>) -> Previous {
        let mut object = object(modules);
        object.insert("CollectedAt".into(), BEFORE.into());
        if let Some(history) = history {
            object.insert("HistorySince".into(), history.into());
        }
        Ok(PreviousPool {
            object,
            collected_at: BEFORE.parse().unwrap(),
        })
    }

    fn carried(current: Vec<Value>, previous: &Previous) -> Map<String, Value> {
        let mut current = object(current);
        carry(&mut current, previous, now());
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
        let mut before = module("A", "NonSteadyState");
        before["ExportStatusSince"] = json!("2026-11-29T03:10:00Z");
        before["ImportStatusSince"] = json!("2026-11-29T01:00:00Z");
        let previous = previous(
            vec![before, module("B", "SteadyState")],
            Some("2026-11-29T01:00:00Z"),
        );
        let now = carried(
            vec![
                module("a", " nonsteadystate "),
                module("B", "NonSteadyState"),
            ],
            &previous,
        );
        assert_eq!(since(&now, 0, "ExportStatusSince"), "2026-11-29T03:10:00Z");
        assert_eq!(since(&now, 0, "ImportStatusSince"), "2026-11-29T01:00:00Z");
        assert_eq!(since(&now, 1, "ExportStatusSince"), NOW);
        // B's import was carried by a document that wrote no time: the chain's start.
        assert_eq!(since(&now, 1, "ImportStatusSince"), "2026-11-29T01:00:00Z");
        assert_eq!(now["HistorySince"], json!("2026-11-29T01:00:00Z"));
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
        let failed = Ok(PreviousPool {
            object: failed,
            collected_at: BEFORE.parse().unwrap(),
        });
        let now = carried(vec![module("A", "SteadyState")], &failed);
        assert_eq!(
            now["HistoryRestart"],
            json!("the previous collection reported no backup modules: Access is denied.")
        );
    }

    #[test]
    fn a_new_status_restarts_the_chain_and_the_others_become_lower_bounds() {
        let previous = previous(
            vec![module("A", "SteadyState")],
            Some("2026-11-29T01:00:00Z"),
        );
        let now = carried(
            vec![module("A", "SteadyState"), module("RGS", "NotInitialized")],
            &previous,
        );
        assert_eq!(now["HistorySince"], json!(NOW));
        assert_eq!(
            now["HistoryRestart"],
            json!("the previous document did not report the module RGS")
        );
        assert_eq!(since(&now, 0, "ExportStatusSince"), "2026-11-29T01:00:00Z");
        assert_eq!(since(&now, 1, "ExportStatusSince"), NOW);
    }

    #[test]
    fn untrusted_times_are_not_carried() {
        let mut odd = module("A", "SteadyState");
        odd["ExportStatusSince"] = json!("2026-11-29T03:58:00Z"); // after BEFORE
        odd["ImportStatusSince"] = json!("yesterday");
        let previous = previous(vec![odd], None);
        let now = carried(vec![module("A", "SteadyState")], &previous);
        assert_eq!(since(&now, 0, "ExportStatusSince"), NOW);
        assert_eq!(since(&now, 0, "ImportStatusSince"), NOW);
        let broken = self::previous(
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
    fn overall_statuses_and_failed_collections() {
        let mut before = object(vec![]);
        before.insert("OverallExportStatus".into(), "NonSteadyState".into());
        before.insert(
            "OverallExportStatusSince".into(),
            "2026-11-29T03:30:00Z".into(),
        );
        before.insert("CollectedAt".into(), BEFORE.into());
        let previous = Ok(PreviousPool {
            object: before,
            collected_at: BEFORE.parse().unwrap(),
        });
        let mut current = object(vec![]);
        current.insert("OverallExportStatus".into(), "NonSteadyState".into());
        carry(&mut current, &previous, now());
        assert_eq!(
            current["OverallExportStatusSince"],
            json!("2026-11-29T03:30:00Z")
        );
        let mut failed = Map::new();
        failed.insert("Error".into(), "boom".into());
        carry(&mut failed, &previous, now());
        assert!(failed.get("HistorySince").is_none());
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
        let denied = with_events(json!({"Until": "2026-11-29T03:50:00Z", "Error": "denied"}));
        let at = |previous: &[Previous]| events_since(previous, now(), 900).to_string();
        assert_eq!(at(&[read.clone(), denied]), "2026-11-29T03:55:01Z");
        assert_eq!(at(&[Err("none".into())]), "2026-11-29T03:45:00Z");
        let old = with_events(json!({"Until": "2026-11-29T01:00:00Z"}));
        assert_eq!(at(&[old]), "2026-11-29T03:45:00Z");
        let future = with_events(json!({"Until": "2026-11-29T05:00:00Z"}));
        assert_eq!(at(&[future]), "2026-11-29T03:45:00Z");
    }
}
