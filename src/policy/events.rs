//! The Backup Service's own events, which the collector reads from the server's event
//! log between one collection and the next: Error (and Critical) events are a finding at
//! `--on-event-error` (WARNING by default), naming the latest and its first line; Warning
//! events are counted and listed, never a problem. A log that could not be read is said
//! at every verbosity, as a note and in an OK summary, but changes no state: it is a
//! gap in what the plugin sees, not a fault of the Backup Service. The events of a pool
//! whose log another pool's server's collector read are elsewhere, not missing: a note
//! at `-vv`, and 0 in the series, which every collector document carries.

use super::{EventCounts, Finding, Level, Note, Settings, Subject};
use crate::model::{EventReading, ServiceEvent, ServiceEvents, Stamp, EVENTS_READ_AT_MOST};

/// The findings and notes about a pool's events, and their counts for perfdata; `None`
/// when the document carries none.
pub(super) fn evaluate_events(
    events: Option<&ServiceEvents>,
    settings: &Settings,
    findings: &mut Vec<Finding>,
    notes: &mut Vec<Note>,
) -> Option<EventCounts> {
    let events = events?;
    let (errors, warnings, latest, note) = match &events.reading {
        EventReading::NotRead(reason) => {
            notes.push(Note::always(format!(
                "Backup Service events not read ({}): {reason}",
                place(events)
            )));
            return Some(EventCounts {
                errors: 0,
                warnings: 0,
                missing: true,
            });
        }
        // Expected, not a gap: where this pool's events are is said at -vv.
        EventReading::Elsewhere(why) => {
            notes.push(Note::source(format!(
                "Backup Service events not in this document: {why}"
            )));
            return Some(EventCounts {
                errors: 0,
                warnings: 0,
                missing: false,
            });
        }
        EventReading::Read {
            errors,
            warnings,
            latest,
            note,
        } => (*errors, *warnings, latest, note),
    };
    findings.push(finding(events, errors, warnings, latest, settings));
    notes.extend(
        note.iter()
            .map(|n| Note::notice(format!("Backup Service events: {n}"))),
    );
    notes.extend(latest.iter().map(|event| {
        let at = match &event.time {
            Some(Stamp::At(at)) => format!(" at {at}"),
            _ => String::new(),
        };
        Note::notice(format!(
            "Backup Service event {} ({}){at}: {}",
            event.id, event.level, event.message
        ))
    }));
    Some(EventCounts {
        errors,
        warnings,
        missing: false,
    })
}

/// The one finding: the errors at `--on-event-error`, or that there were none.
fn finding(
    events: &ServiceEvents,
    errors: u64,
    warnings: u64,
    latest: &[ServiceEvent],
    settings: &Settings,
) -> Finding {
    let window = match &events.since {
        Some(Stamp::At(since)) => format!(" since {since}"),
        _ => String::new(),
    };
    let place = place(events);
    if errors == 0 {
        return Finding::explained(
            Level::Ok,
            Subject::Pool,
            format!("no Backup Service errors{window}"),
            &format!(" ({} in {place})", count(warnings, "warning")),
        );
    }
    let newest = latest.iter().find(|e| is_error(&e.level));
    let (named, message) = match newest {
        Some(event) if !event.message.is_empty() => (
            format!(", the latest {}", event.id),
            format!(": {}", event.message),
        ),
        Some(event) => (format!(", the latest {}", event.id), String::new()),
        None => (String::new(), String::new()),
    };
    Finding::explained(
        settings.on_event_error,
        Subject::Pool,
        format!("Backup Service logged {}{named}", count(errors, "error")),
        &format!("{message} (in {place}{window})"),
    )
}

/// `the 'Lync Server' log of fe01.contoso.com`, with what the document says of it.
fn place(events: &ServiceEvents) -> String {
    let log = match &events.log_name {
        Some(log) => format!("the '{log}' log"),
        None => "the Backup Service's log".into(),
    };
    match &events.computer {
        Some(computer) => format!("{log} of {computer}"),
        None => log,
    }
}

/// Critical events count as errors: both are in the count the collector writes.
fn is_error(level: &str) -> bool {
    ["Error", "Critical"]
        .iter()
        .any(|l| level.trim().eq_ignore_ascii_case(l))
}

/// `1 error`, `3 errors`, `at least 500 errors`: the collector reads at most
/// [`EVENTS_READ_AT_MOST`] of each level, so that many may stand for more.
fn count(n: u64, what: &str) -> String {
    match n {
        1 => format!("1 {what}"),
        n if n >= EVENTS_READ_AT_MOST => format!("at least {n} {what}s"),
        n => format!("{n} {what}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(reading: EventReading) -> ServiceEvents {
        ServiceEvents {
            log_name: Some("Lync Server".into()),
            computer: Some("fe01.contoso.com".into()),
            since: Some(Stamp::At("2026-11-29T03:05:00Z".parse().unwrap())),
            reading,
        }
    }

    fn event(id: &str, level: &str, message: &str) -> ServiceEvent {
        ServiceEvent {
            id: id.into(),
            level: level.into(),
            time: None,
            message: message.into(),
        }
    }

    fn evaluated(
        reading: EventReading,
        settings: &Settings,
    ) -> (Vec<Finding>, Vec<Note>, EventCounts) {
        let (mut findings, mut notes) = (vec![], vec![]);
        let counts =
            evaluate_events(Some(&events(reading)), settings, &mut findings, &mut notes).unwrap();
        (findings, notes, counts)
    }

    #[test]
    fn errors_name_the_latest_and_its_first_line() {
        let latest = vec![
            event("4011", "Warning", "slow"),
            event("4069", "Error", "Cannot update the batch table."),
            event("4070", "Error", "older"),
        ];
        let reading = EventReading::Read {
            errors: 2,
            warnings: 1,
            latest,
            note: None,
        };
        let (findings, notes, counts) = evaluated(reading.clone(), &Settings::default());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].level, Level::Warning);
        assert_eq!(
            findings[0].headline(),
            "Backup Service logged 2 errors, the latest 4069"
        );
        assert_eq!(
            findings[0].detail(),
            ": Cannot update the batch table. (in the 'Lync Server' log of fe01.contoso.com \
             since 2026-11-29T03:05:00Z)"
        );
        assert_eq!(notes.len(), 3);
        assert_eq!(
            counts,
            EventCounts {
                errors: 2,
                warnings: 1,
                missing: false
            }
        );
        let quiet = Settings {
            on_event_error: Level::Ok,
            ..Settings::default()
        };
        assert_eq!(evaluated(reading, &quiet).0[0].level, Level::Ok);
    }

    #[test]
    fn none_is_ok_and_not_read_is_a_note() {
        let reading = EventReading::Read {
            errors: 0,
            warnings: 0,
            latest: vec![],
            note: Some("no source 'LS Backup Service'".into()),
        };
        let (findings, notes, _) = evaluated(reading, &Settings::default());
        assert_eq!(findings[0].level, Level::Ok);
        assert_eq!(
            findings[0].text,
            "no Backup Service errors since 2026-11-29T03:05:00Z (0 warnings in the 'Lync \
             Server' log of fe01.contoso.com)"
        );
        assert_eq!(notes[0].verbosity, 1);
        let (findings, notes, counts) = evaluated(
            EventReading::NotRead("Attempted to perform an unauthorized operation.".into()),
            &Settings::default(),
        );
        assert!(findings.is_empty());
        assert_eq!(notes[0].verbosity, 0);
        assert_eq!(
            notes[0].text,
            "Backup Service events not read (the 'Lync Server' log of fe01.contoso.com): \
             Attempted to perform an unauthorized operation."
        );
        assert!(counts.missing);
        let (findings, notes, counts) = evaluated(
            EventReading::Elsewhere("the log read is that of fe01".into()),
            &Settings::default(),
        );
        assert!(findings.is_empty());
        assert_eq!(notes[0].verbosity, 2);
        assert!(!counts.missing);
        assert_eq!((counts.errors, counts.warnings), (0, 0));
    }
}
