//! What the script found in the event log (`Events`) → the `BackupServiceEvents` of the
//! pool whose Backup Service wrote them.
//!
//! The script asks `Get-WinEvent` for the Backup Service's events between `Since` and
//! `Until` twice: its Critical and Error events (`Errors`), and apart from them its
//! Warning events (`Warnings`), at most [`EVENTS_READ_AT_MOST`] of each, the newest
//! first, so that a storm of warnings cannot push an error out of what is read. It asks
//! `Get-CsComputer` about this server, and writes what came back, or for each reading
//! the error that stopped `Get-WinEvent` (its `FullyQualifiedErrorId`, which does not
//! depend on the language of Windows). Decided here:
//! - the counts and the latest few events of each level, each with the first line of
//!   its message, clipped; a reading that reached the cap counts "at least" that many;
//! - `NoMatchingEventsFound` is no event, not a failure; `NoMatchingProvidersFound` and
//!   `NoMatchingLogsFound` (no such source or log on this server) are none either, with
//!   a `Note` saying so; any other error (access denied) is the document's `Error`;
//! - which pool they concern: the events of this server's log are its Backup Service's,
//!   which serves the server's own pool, so they go to that pool's object only. When
//!   `Get-CsComputer` cannot tell the pool, every pool gets them, with `ComputerPoolError`
//!   saying why: reported twice rather than not at all.

use serde_json::{Map, Value};

use super::{get, items, plain::as_text};
use crate::model::{clip, first_line, same_fqdn, EVENTS_READ_AT_MOST};

/// The most events of each level `Latest` holds.
const LATEST: usize = 5;
/// The most characters of an event's message kept: its first line.
const LONGEST_MESSAGE: usize = 300;

/// The events the script found, decided, and the pool they concern.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Events {
    /// `BackupServiceEvents`, as the pool object carries it.
    object: Map<String, Value>,
    /// The pool of the server whose log it is, or why that is not known.
    pool: Result<String, String>,
}

/// The properties that say which window of which log was read, with or without events.
const WINDOW: [&str; 5] = ["LogName", "Source", "Computer", "Since", "Until"];

impl Events {
    /// The events of the script's `Events`; `None` when it did not read the log.
    pub(super) fn decide(value: Option<&Value>) -> Option<Events> {
        let answer = value?.as_object()?;
        let text = |key: &str| get(answer, key).map(as_text).unwrap_or_default();
        let computer = text("Computer");
        let mut object = Map::new();
        for key in WINDOW {
            object.insert(key.into(), text(key).into());
        }
        read(answer, &mut object);
        let pool = pool_of(answer, &computer);
        if let Err(why) = &pool {
            object.insert("ComputerPoolError".into(), why.clone().into());
        }
        Some(Events { object, pool })
    }

    /// `BackupServiceEvents` for `pool`: the events, when they concern it; otherwise the
    /// window and whose log it was, with `Elsewhere` saying so. Every pool object of a
    /// collection carries the same fields, so the check's series are the same whichever
    /// pool the server serves and whether `Get-CsComputer` could tell.
    pub(super) fn of_pool(&self, pool: &str) -> Value {
        match &self.pool {
            Ok(own) if !same_fqdn(own, pool) => {
                let mut elsewhere: Map<String, Value> = WINDOW
                    .iter()
                    .filter_map(|key| Some((key.to_string(), self.object.get(*key)?.clone())))
                    .collect();
                let computer = self.object.get("Computer").map(as_text).unwrap_or_default();
                elsewhere.insert(
                    "Elsewhere".into(),
                    format!(
                        "the log read is that of {computer}, a server of {own}: this pool's \
                         Backup Service writes to the logs of its own front ends"
                    )
                    .into(),
                );
                Value::Object(elsewhere)
            }
            _ => Value::Object(self.object.clone()),
        }
    }
}

/// The counts and latest events, or why there are none, into `object`.
fn read(answer: &Map<String, Value>, object: &mut Map<String, Value>) {
    let readings = [
        Reading::of(get(answer, "Errors"), "Errors"),
        Reading::of(get(answer, "Warnings"), "Warnings"),
    ];
    if let Some(error) = readings.iter().find_map(|r| r.error.clone()) {
        object.insert("Error".into(), error.into());
        return;
    }
    if let Some(note) = readings.iter().find_map(|r| r.note.clone()) {
        object.insert("Note".into(), note.into());
    }
    let [errors, warnings] = readings;
    let mut latest: Vec<&Map<String, Value>> = errors
        .newest(LATEST)
        .chain(warnings.newest(LATEST))
        .collect();
    // Newest first, as Get-WinEvent gives them, errors and warnings together.
    latest.sort_by_key(|r| std::cmp::Reverse(time_created(r)));
    object.insert("Errors".into(), errors.count().into());
    object.insert("Warnings".into(), warnings.count().into());
    object.insert(
        "Latest".into(),
        Value::Array(latest.into_iter().map(event).collect()),
    );
}

/// What one of the script's readings (`Errors`, `Warnings`) holds.
struct Reading<'a> {
    records: Vec<&'a Map<String, Value>>,
    /// Why there were none: no such source or log.
    note: Option<String>,
    /// Why the log could not be read.
    error: Option<String>,
}

impl<'a> Reading<'a> {
    fn of(value: Option<&'a Value>, what: &str) -> Reading<'a> {
        let mut reading = Reading {
            records: vec![],
            note: None,
            error: None,
        };
        let Some(answer) = value.and_then(Value::as_object) else {
            reading.error = Some(format!(
                "the collector script's answer has no {what} reading"
            ));
            return reading;
        };
        if let Some(failure) = get(answer, "Failure").and_then(Value::as_object) {
            let id = get(failure, "Id").map(as_text).unwrap_or_default();
            let message = first_line(
                &get(failure, "Message").map(as_text).unwrap_or_default(),
                LONGEST_MESSAGE,
            );
            match id.split(',').next().unwrap_or_default().trim() {
                "NoMatchingEventsFound" => {}
                "NoMatchingProvidersFound" | "NoMatchingLogsFound" => {
                    reading.note =
                        Some(format!("no such log or source on this server ({message})"));
                }
                kind => reading.error = Some(format!("{message} ({})", clip(kind, 80))),
            }
            return reading;
        }
        reading.records = items(get(answer, "Records"))
            .into_iter()
            .filter_map(Value::as_object)
            .collect();
        reading
    }

    /// How many were read: at most what the script reads, which then means at least.
    fn count(&self) -> u64 {
        u64::try_from(self.records.len())
            .map_or(EVENTS_READ_AT_MOST, |n| n.min(EVENTS_READ_AT_MOST))
    }

    fn newest(&self, most: usize) -> impl Iterator<Item = &'a Map<String, Value>> + '_ {
        let mut records = self.records.clone();
        records.sort_by_key(|r| std::cmp::Reverse(time_created(r)));
        records.into_iter().take(most)
    }
}

fn time_created(record: &Map<String, Value>) -> Option<jiff::Timestamp> {
    get(record, "TimeCreated")
        .and_then(Value::as_str)
        .and_then(crate::input::parse_timestamp)
}

/// One event as `Latest` holds it.
fn event(record: &Map<String, Value>) -> Value {
    let level = match get(record, "Level").and_then(Value::as_u64) {
        Some(1) => "Critical",
        Some(2) => "Error",
        _ => "Warning",
    };
    let mut event = Map::new();
    event.insert(
        "Id".into(),
        get(record, "Id").cloned().unwrap_or(Value::Null),
    );
    event.insert("Level".into(), level.into());
    let time = time_created(record);
    event.insert(
        "TimeCreated".into(),
        time.map_or(Value::Null, |t| t.to_string().into()),
    );
    let message = get(record, "Message").map(as_text).unwrap_or_default();
    event.insert(
        "Message".into(),
        first_line(&message, LONGEST_MESSAGE).into(),
    );
    Value::Object(event)
}

/// The pool `Get-CsComputer` gave for this server.
fn pool_of(answer: &Map<String, Value>, computer: &str) -> Result<String, String> {
    if let Some(error) = get(answer, "GetCsComputerError") {
        return Err(format!(
            "Get-CsComputer -Identity {computer}: {}",
            clip(&as_text(error), 200)
        ));
    }
    items(get(answer, "GetCsComputer"))
        .first()
        .copied()
        .and_then(Value::as_object)
        .and_then(|c| get(c, "Pool"))
        .and_then(Value::as_str)
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .ok_or_else(|| format!("Get-CsComputer -Identity {computer} named no pool"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(reading: Value) -> Value {
        let mut answer = json!({"LogName": "Lync Server", "Source": "LS Backup Service",
            "Since": "2026-11-29T03:55:00Z", "Until": "2026-11-29T04:00:01Z",
            "Computer": "fe01.contoso.com",
            "GetCsComputer": [{"Identity": "fe01.contoso.com", "Pool": "pool01.contoso.com"}]});
        answer
            .as_object_mut()
            .unwrap()
            .extend(reading.as_object().unwrap().clone());
        answer
    }

    fn decided(reading: Value) -> Events {
        Events::decide(Some(&answer(reading))).unwrap()
    }

    fn record(id: u32, level: u8, time: &str, message: &str) -> Value {
        json!({"Id": id, "Level": level, "TimeCreated": time, "Message": message})
    }

    fn none() -> Value {
        json!({"Failure": {"Id": "NoMatchingEventsFound,Microsoft.PowerShell.Commands.GetWinEventCommand",
            "Message": "No events were found that match the specified selection criteria."}})
    }

    #[test]
    fn counts_and_keeps_the_latest_of_each_level_with_their_first_lines() {
        let mut errors: Vec<Value> = (0..8)
            .map(|i| record(4000 + i, 2, &format!("2026-11-29T03:5{i}:00.1234567Z"), "x"))
            .collect();
        errors.push(record(
            4069,
            1,
            "2026-11-29T03:59:30Z",
            "\r\nCannot update.\r\nmore",
        ));
        let warnings = vec![record(4011, 3, "2026-11-29T03:59:40Z", "Slow")];
        let events =
            decided(json!({"Errors": {"Records": errors}, "Warnings": {"Records": warnings}}));
        let object = events.of_pool("POOL01.contoso.com.");
        assert_eq!(object["Errors"], json!(9));
        assert_eq!(object["Warnings"], json!(1));
        let latest = object["Latest"].as_array().unwrap();
        assert_eq!(latest.len(), 6);
        assert_eq!(
            latest[0],
            json!({"Id": 4011, "Level": "Warning", "TimeCreated": "2026-11-29T03:59:40Z", "Message": "Slow"})
        );
        assert_eq!(latest[1]["Message"], json!("Cannot update."));
        assert_eq!(latest[1]["Level"], json!("Critical"));
        assert_eq!(
            latest[2]["TimeCreated"],
            json!("2026-11-29T03:57:00.1234567Z")
        );
        assert_eq!(object["Computer"], json!("fe01.contoso.com"));
        let other = events.of_pool("pool02.contoso.com");
        assert_eq!(
            other,
            json!({"LogName": "Lync Server", "Source": "LS Backup Service",
                "Computer": "fe01.contoso.com", "Since": "2026-11-29T03:55:00Z",
                "Until": "2026-11-29T04:00:01Z",
                "Elsewhere": "the log read is that of fe01.contoso.com, a server of \
                    pool01.contoso.com: this pool's Backup Service writes to the logs of its \
                    own front ends"})
        );
    }

    #[test]
    fn a_storm_of_warnings_hides_no_error() {
        // What Get-WinEvent -MaxEvents 500 gives in a warning storm: the newest 500
        // warnings; the errors are read apart.
        let warnings: Vec<Value> = (0..500)
            .map(|i| record(4011, 3, &format!("2026-11-29T03:59:{:02}Z", i % 60), "Slow"))
            .collect();
        let errors = vec![record(4069, 2, "2026-11-29T03:56:00Z", "Cannot update.")];
        let object =
            decided(json!({"Errors": {"Records": errors}, "Warnings": {"Records": warnings}}))
                .of_pool("pool01.contoso.com");
        assert_eq!(
            (&object["Errors"], &object["Warnings"]),
            (&json!(1), &json!(500))
        );
        let latest = object["Latest"].as_array().unwrap();
        assert_eq!(latest.len(), 6);
        assert_eq!(latest[5]["Id"], json!(4069));
        // A reading that reached the cap counts what the check reads as "at least".
        let many: Vec<Value> = (0..600)
            .map(|_| record(4069, 2, "2026-11-29T03:56:00Z", "x"))
            .collect();
        let object = decided(json!({"Errors": {"Records": many}, "Warnings": none()}))
            .of_pool("pool01.contoso.com");
        assert_eq!(object["Errors"], json!(EVENTS_READ_AT_MOST));
    }

    #[test]
    fn no_events_no_source_and_no_access_are_told_apart_by_the_error_id() {
        let failure = |id: &str, message: &str| {
            let failed = json!({"Failure": {"Id": id, "Message": message}});
            decided(json!({"Errors": failed, "Warnings": none()})).of_pool("pool01.contoso.com")
        };
        let none = failure(
            "NoMatchingEventsFound,Microsoft.PowerShell.Commands.GetWinEventCommand",
            "No events were found that match the specified selection criteria.",
        );
        assert_eq!((&none["Errors"], &none["Latest"]), (&json!(0), &json!([])));
        assert!(none.get("Note").is_none() && none.get("Error").is_none());
        let missing = failure(
            "NoMatchingProvidersFound,Microsoft.PowerShell.Commands.GetWinEventCommand",
            "There is not an event provider on the localhost computer that matches \"LS Backup Service\".",
        );
        assert_eq!(missing["Errors"], json!(0));
        assert!(missing["Note"]
            .as_str()
            .unwrap()
            .starts_with("no such log or source"));
        let denied = failure(
            "System.UnauthorizedAccessException,Microsoft.PowerShell.Commands.GetWinEventCommand",
            "Attempted to perform an unauthorized operation.",
        );
        assert_eq!(
            denied["Error"],
            json!("Attempted to perform an unauthorized operation. (System.UnauthorizedAccessException)")
        );
        assert!(denied.get("Errors").is_none());
    }

    #[test]
    fn a_server_of_unknown_pool_gives_its_events_to_every_pool() {
        let mut unknown = answer(json!({"Errors": {"Records": []}, "Warnings": {"Records": []}}));
        let map = unknown.as_object_mut().unwrap();
        map.remove("GetCsComputer");
        map.insert("GetCsComputerError".into(), json!("Access is denied."));
        let events = Events::decide(Some(&unknown)).unwrap();
        for pool in ["pool01.contoso.com", "pool02.contoso.com"] {
            let object = events.of_pool(pool);
            assert_eq!(
                object["ComputerPoolError"],
                json!("Get-CsComputer -Identity fe01.contoso.com: Access is denied.")
            );
        }
        assert!(Events::decide(None).is_none());
        assert!(Events::decide(Some(&Value::Null)).is_none());
    }
}
