//! `BackupServiceEvents` → [`ServiceEvents`]: what the collector found in the Backup
//! Service's event log. The collector writes it whole and well-formed; a document from
//! elsewhere may not, and then the events count as not read, saying why, rather than as
//! zero: a count the plugin cannot trust must not read as "no errors".

use super::{compact, describe, key_is, stamp, string, unwrap_list, Node, Object};
use crate::model::{
    clip, first_line, EventReading, ServiceEvent, ServiceEvents, EVENTS_READ_AT_MOST,
};

/// The most events of `Latest` kept: the collector writes five.
const MOST_LATEST: usize = 10;
/// The most characters of an event's message kept: its first line, clipped.
const LONGEST_MESSAGE: usize = 300;

/// The events a `BackupServiceEvents` value holds; null is none.
pub(super) fn read(value: &Node) -> Option<ServiceEvents> {
    let properties = match value {
        Node::Null => return None,
        Node::Object(properties) => properties,
        other => {
            return Some(ServiceEvents {
                reading: EventReading::NotRead(format!(
                    "BackupServiceEvents is {}, not an object",
                    describe(other)
                )),
                ..ServiceEvents::default()
            })
        }
    };
    let text = |key: &str| {
        get(properties, key)
            .and_then(string)
            .filter(|t| !t.is_empty())
    };
    Some(ServiceEvents {
        log_name: text("LogName"),
        computer: text("Computer"),
        since: get(properties, "Since").and_then(stamp),
        reading: reading(properties),
    })
}

fn reading(properties: &Object) -> EventReading {
    if let Some(error) = get(properties, "Error").filter(|e| !e.is_null()) {
        return EventReading::NotRead(string(error).unwrap_or_else(|| compact(error)));
    }
    if let Some(elsewhere) = get(properties, "Elsewhere").filter(|e| !e.is_null()) {
        let why = string(elsewhere).unwrap_or_else(|| compact(elsewhere));
        return EventReading::Elsewhere(clip(&why, LONGEST_MESSAGE));
    }
    // Clipped to what the collector reads at most: a larger count says no more than
    // "at least" that, and takes no more room in the output.
    let count = |key: &str| match get(properties, key) {
        Some(Node::Number(n)) => n
            .as_u64()
            .map(|n| n.min(EVENTS_READ_AT_MOST))
            .ok_or_else(|| format!("BackupServiceEvents' {key} is {n}, not a count of events")),
        Some(other) => Err(format!(
            "BackupServiceEvents' {key} is {}, not a count of events",
            describe(other)
        )),
        None => Err(format!("BackupServiceEvents has no {key} count")),
    };
    let (errors, warnings) = match (count("Errors"), count("Warnings")) {
        (Ok(errors), Ok(warnings)) => (errors, warnings),
        (Err(why), _) | (_, Err(why)) => return EventReading::NotRead(why),
    };
    let latest = match get(properties, "Latest").map(|l| unwrap_list(l.clone())) {
        Some(Node::Array(items)) => items.iter().filter_map(event).take(MOST_LATEST).collect(),
        Some(single @ Node::Object(_)) => event(&single).into_iter().collect(),
        _ => vec![],
    };
    EventReading::Read {
        errors,
        warnings,
        latest,
        note: get(properties, "Note")
            .and_then(string)
            .filter(|n| !n.is_empty()),
    }
}

/// One element of `Latest`; what is not an object is left out.
fn event(value: &Node) -> Option<ServiceEvent> {
    let Node::Object(properties) = value else {
        return None;
    };
    let id = match get(properties, "Id") {
        Some(Node::Number(n)) => n.to_string(),
        Some(other) => string(other).unwrap_or_else(|| compact(other)),
        None => "without an id".into(),
    };
    let message = get(properties, "Message")
        .and_then(string)
        .unwrap_or_default();
    Some(ServiceEvent {
        id: clip(&id, 20),
        level: get(properties, "Level")
            .and_then(string)
            .map(|l| clip(&l, 20))
            .unwrap_or_else(|| "Error".into()),
        time: get(properties, "TimeCreated").and_then(stamp),
        message: first_line(&message, LONGEST_MESSAGE),
    })
}

/// A property by name, any letter case; the first of several wins.
fn get<'n, 'a>(properties: &'n Object<'a>, key: &str) -> Option<&'n Node<'a>> {
    properties
        .iter()
        .find(|(k, _)| key_is(k, key))
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::json::tree;
    use crate::model::Stamp;

    fn events(text: &str) -> Option<ServiceEvents> {
        read(&tree::parse(text).unwrap())
    }

    #[test]
    fn reads_what_the_collector_writes() {
        let read = events(
            r#"{"LogName":"Lync Server","Source":"LS Backup Service","Computer":"fe01.contoso.com",
                "Since":"2026-11-29T03:05:00Z","Until":"2026-11-29T03:10:02Z","Errors":2,"Warnings":1,
                "Latest":[{"Id":4069,"Level":"Error","TimeCreated":"2026-11-29T03:09:00Z",
                           "Message":"\r\n  Cannot update the batch table.\r\nDetails follow"}, 7]}"#,
        )
        .unwrap();
        assert_eq!(read.log_name.as_deref(), Some("Lync Server"));
        assert_eq!(read.computer.as_deref(), Some("fe01.contoso.com"));
        assert_eq!(
            read.since,
            Some(Stamp::At("2026-11-29T03:05:00Z".parse().unwrap()))
        );
        let EventReading::Read {
            errors,
            warnings,
            latest,
            note,
        } = read.reading
        else {
            panic!("read: {:?}", read.reading)
        };
        assert_eq!((errors, warnings, note), (2, 1, None));
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0].id, "4069");
        assert_eq!(latest[0].message, "Cannot update the batch table.");
    }

    #[test]
    fn what_cannot_be_trusted_is_not_read_never_zero() {
        let not_read = |text: &str| match events(text).unwrap().reading {
            EventReading::NotRead(why) => why,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(
            not_read(r#"{"Error":"Attempted to perform an unauthorized operation."}"#),
            "Attempted to perform an unauthorized operation."
        );
        assert!(not_read(r#"{"Errors":-1,"Warnings":0}"#).contains("not a count"));
        let huge = events(r#"{"Errors":18446744073709551615,"Warnings":501}"#).unwrap();
        let EventReading::Read {
            errors, warnings, ..
        } = huge.reading
        else {
            panic!("{:?}", huge.reading)
        };
        assert_eq!(
            (errors, warnings),
            (EVENTS_READ_AT_MOST, EVENTS_READ_AT_MOST)
        );
        assert!(not_read(r#"{"Errors":"2","Warnings":0}"#).contains("not a count"));
        assert!(not_read(r#"{"Warnings":0}"#).contains("no Errors count"));
        assert!(not_read(r#"[1]"#).contains("not an object"));
        assert_eq!(events("null"), None);
        let elsewhere = events(r#"{"Elsewhere":"the log read is that of fe01","Until":"x"}"#);
        assert_eq!(
            elsewhere.unwrap().reading,
            EventReading::Elsewhere("the log read is that of fe01".into())
        );
    }
}
