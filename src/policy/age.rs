//! The age of the data: from `CollectedAt`, else the file's modification time, checked
//! against the `-w` / `-c` Nagios ranges; and how durations are written for operators.

use jiff::Timestamp;

use super::settings::graded;
use super::{Finding, Level, Note, Settings, Subject, Timed};
use crate::model::{duration, CollectedAt};

pub(super) fn evaluate_age(
    collected_at: Option<&CollectedAt>,
    modified: Option<Timestamp>,
    settings: &Settings,
    now: Timestamp,
    findings: &mut Vec<Finding>,
    notes: &mut Vec<Note>,
) -> Option<Timed> {
    // A CollectedAt that names no instant is set aside, never guessed into one (a time
    // without an offset could be any zone's); the file's time is exact for a file the
    // collector wrote, and without one the age is not checked. Either way -v says why.
    let set_aside = match collected_at {
        Some(CollectedAt::At(at)) => {
            return judge(*at, "CollectedAt", settings, now, findings, notes)
        }
        Some(CollectedAt::Zoneless(raw)) => Some(format!(
            "CollectedAt '{raw}' has no UTC offset, so the zone it was written in is unknown \
             (the collector writes one, as does Get-Date -Format o)"
        )),
        Some(CollectedAt::Unreadable(raw)) if matches!(raw.trim(), "" | "null") => {
            Some("CollectedAt is empty".to_owned())
        }
        Some(CollectedAt::Unreadable(raw)) => Some(format!(
            "CollectedAt '{raw}' is not a time (ISO 8601 with an offset, \\/Date(ms)\\/ or a Unix time)"
        )),
        None => None,
    };
    let Some(modified) = modified else {
        notes.push(Note::notice(match set_aside {
            Some(why) => {
                format!(
                    "{why}, and standard input has no modification time, so the age is not checked"
                )
            }
            None => "the age is not checked: the document has no CollectedAt and standard input \
                     has no modification time"
                .to_owned(),
        }));
        return None;
    };
    if let Some(why) = set_aside {
        notes.push(Note::notice(format!(
            "{why}: the age comes from the file's modification time"
        )));
    }
    let source = "the file's modification time";
    judge(modified, source, settings, now, findings, notes)
}

/// The age of data collected `at`, against `-w` and `-c`.
fn judge(
    at: Timestamp,
    source: &str,
    settings: &Settings,
    now: Timestamp,
    findings: &mut Vec<Finding>,
    notes: &mut Vec<Note>,
) -> Option<Timed> {
    let seconds = now.as_second() - at.as_second();
    notes.push(Note::source(format!("age from {source}: {at}")));
    if seconds < -SKEW_SECONDS {
        findings.push(Finding::explained(
            Level::Warning,
            Subject::Age,
            format!("data collected {} in the future", duration(-seconds)),
            &format!(" ({at}): check the clocks of the collector and of this host"),
        ));
        return None;
    }
    let seconds = seconds.max(0);
    let (level, beyond) = match graded(seconds, &settings.warning, &settings.critical) {
        Some((level, which, range)) => (level, format!(", {}", range.beyond(which))),
        None => (Level::Ok, String::new()),
    };
    let hint = if level == Level::Ok {
        ""
    } else {
        ": is the collector's scheduled task running?"
    };
    findings.push(Finding::explained(
        level,
        Subject::Age,
        format!("data is {} old", duration(seconds)),
        &format!("{beyond}{hint}"),
    ));
    Some(Timed {
        seconds,
        warning: settings.warning.as_str().to_owned(),
        critical: settings.critical.as_str().to_owned(),
    })
}

/// Clock skew tolerated before a future `CollectedAt` is a problem.
const SKEW_SECONDS: i64 = 300;
