//! One pool → its verdict: the collection, each module's statuses and how long they
//! have lasted, the overall statuses, the Backup Service's events and the data's age,
//! each decided in the file for its kind of finding.

use jiff::Timestamp;

use super::age::evaluate_age;
use super::backlog;
use super::cms::CmsRole;
use super::events::evaluate_events;
use super::lasted::History;
use super::modules::{
    damage_findings, missing_modules, modules_unknown_after_failure, no_modules, DEPTH_HINT,
};
use super::status::{evaluate_module, evaluate_status, status_finding, OVERALL};
use super::{
    Counts, Finding, Level, ModuleVerdict, Note, PoolVerdict, Settings, StatusVerdict, Subject,
    Timed,
};
use crate::model::{clip, same_module, Direction, Module, Modules, Pool};

pub(super) fn evaluate_pool(
    name: String,
    pool: Pool,
    role: &CmsRole,
    modified: Option<Timestamp>,
    settings: &Settings,
    now: Timestamp,
) -> PoolVerdict {
    let mut findings = Vec::new();
    let mut notes = collection_notes(&pool, role);
    findings.extend(collection_finding(&pool, settings));
    let failed = pool.error.is_some();
    let history = History::of(&pool, &mut notes);
    let judged = Judged {
        role,
        settings,
        history: &history,
    };
    let overall = overall_verdicts(&pool, &judged, &mut notes);
    let (modules, counts) =
        evaluate_modules(pool.modules, failed, &judged, &mut findings, &mut notes);
    findings.extend(
        overall
            .iter()
            .filter(|(_, verdict)| verdict.level != Level::Ok)
            .map(|(direction, verdict)| {
                status_finding(Subject::Overall, OVERALL, *direction, verdict)
            }),
    );
    let backlog = pool.history_since.as_ref().map(|_| {
        let exports = modules.iter().map(|m| &m.export).chain(
            overall
                .iter()
                .filter(|(direction, _)| *direction == Direction::Export)
                .map(|(_, verdict)| verdict),
        );
        backlog_perf(backlog::longest(exports), settings)
    });
    let events = evaluate_events(pool.events.as_ref(), settings, &mut findings, &mut notes);
    let age = evaluate_age(
        pool.collected_at.as_ref(),
        modified,
        settings,
        now,
        &mut findings,
        &mut notes,
    );
    PoolVerdict {
        name,
        modules,
        findings,
        counts,
        age,
        backlog,
        events,
        notes,
        other: pool.other,
    }
}

/// What every status of a pool is judged by: its CMS role, the settings, its history.
struct Judged<'a> {
    role: &'a CmsRole,
    settings: &'a Settings,
    history: &'a History,
}

/// `OverallExportStatus` / `OverallImportStatus`, where the pool reports them.
fn overall_verdicts(
    pool: &Pool,
    judged: &Judged,
    notes: &mut Vec<Note>,
) -> Vec<(Direction, StatusVerdict)> {
    let mut verdicts = Vec::new();
    for (direction, reported, since) in [
        (
            Direction::Export,
            &pool.overall_export,
            &pool.overall_export_since,
        ),
        (
            Direction::Import,
            &pool.overall_import,
            &pool.overall_import_since,
        ),
    ] {
        let Some(reported) = reported else { continue };
        let property = || format!("Overall{}StatusSince", capitalized(direction));
        let lasted = judged.history.lasted(since.as_ref(), property, notes);
        let verdict = evaluate_status(
            direction,
            reported,
            judged.role,
            judged.settings,
            (None, lasted),
        );
        verdicts.push((direction, verdict));
    }
    verdicts
}

/// `backlog_age` and its thresholds; none when a `--map` sets the level of
/// `NonSteadyState`, since the ranges then decide nothing.
fn backlog_perf(seconds: i64, settings: &Settings) -> Timed {
    let ranged = !settings.maps(Direction::Export, "NonSteadyState");
    let range = |threshold: &super::Threshold| {
        if ranged {
            threshold.as_str().to_owned()
        } else {
            String::new()
        }
    };
    Timed {
        seconds,
        warning: range(&settings.backlog_warning),
        critical: range(&settings.backlog_critical),
    }
}

fn capitalized(direction: Direction) -> &'static str {
    match direction {
        Direction::Export => "Export",
        Direction::Import => "Import",
    }
}

/// Where the pool's data came from (`-vv`), and what PowerShell warned while collecting
/// it: worth reading, never a failure, so a note at `-v` whatever it says.
fn collection_notes(pool: &Pool, role: &CmsRole) -> Vec<Note> {
    let mut notes = vec![Note::source(role_note(role))];
    if let Some(server) = &pool.active_master_server_fqdn {
        notes.push(Note::source(format!(
            "the active CMS master is the server {server}"
        )));
    }
    if let Some(computer) = &pool.computer_name {
        let version = pool
            .collector_version
            .as_deref()
            .unwrap_or("unknown version");
        notes.push(Note::source(format!(
            "collected on {computer} by collector {version}"
        )));
    }
    notes.extend(
        pool.warnings
            .iter()
            .map(|warning| Note::notice(format!("PowerShell warned while collecting: {warning}"))),
    );
    notes
}

fn role_note(role: &CmsRole) -> String {
    match role {
        CmsRole::Master(src) => format!("hosts the active CMS (from {src})"),
        CmsRole::NotMaster(src) => format!("does not host the active CMS (from {src})"),
        CmsRole::Unknown { why, .. } => format!("CMS role unknown: {why}"),
    }
}

/// The collector's `Error`, at the level `--on-error` gives it.
fn collection_finding(pool: &Pool, settings: &Settings) -> Option<Finding> {
    let error = pool.error.as_ref()?;
    let on = pool
        .computer_name
        .as_ref()
        .map(|c| format!(" on {c}"))
        .unwrap_or_default();
    Some(Finding::explained(
        settings.on_error,
        Subject::Pool,
        format!("collection failed{on}"),
        &format!(": {error}"),
    ))
}

/// Every module the operator did not leave out, evaluated, and their counts; the
/// findings about the list and about each status that is not OK go to `findings`.
fn evaluate_modules(
    modules: Modules,
    failed: bool,
    judged: &Judged,
    findings: &mut Vec<Finding>,
    notes: &mut Vec<Note>,
) -> (Vec<ModuleVerdict>, Counts) {
    let settings = judged.settings;
    let (listed, damaged) = match modules {
        // `--on-error` sets the level of the error alone: what is not known about the
        // modules is still a finding of its own, and so is a required module not reported.
        Modules::Absent => {
            findings.push(if failed {
                modules_unknown_after_failure()
            } else {
                no_modules("the document has no BackupModules")
            });
            findings.extend(missing_modules(&[], settings));
            return (vec![], Counts::default());
        }
        Modules::DepthCut(text) => {
            findings.push(Finding::explained(
                Level::Unknown,
                Subject::Pool,
                format!(
                    "BackupModules is the text '{}', not a list",
                    clip(&text, 60)
                ),
                &format!(": {DEPTH_HINT}"),
            ));
            return (vec![], Counts::default());
        }
        Modules::Listed { modules, damaged } => (modules, damaged),
    };
    findings.extend(damage_findings(&damaged));
    findings.extend(missing_modules(&listed, settings));
    let ignored = |m: &Module| {
        settings
            .ignored_modules
            .iter()
            .any(|i| same_module(i, &m.name))
    };
    if damaged.is_empty() && listed.iter().all(ignored) {
        findings.push(no_modules(if listed.is_empty() {
            "BackupModules is empty"
        } else {
            "every module is left out by --ignore-module"
        }));
    }
    // Each verdict takes its module's place: collecting a list's own iterator into a
    // list of a type no larger reuses its memory (`ModuleVerdict` is checked to be), so
    // the modules and their verdicts are never held side by side.
    let mut counts = Counts::default();
    let verdicts = listed
        .into_iter()
        .filter(|m| !ignored(m))
        .map(|module| {
            let verdict = evaluate_module(module, judged.role, settings, judged.history, notes);
            findings.extend(status_findings(&verdict));
            counts.add(&verdict);
            verdict
        })
        .collect();
    (verdicts, counts)
}

/// The findings for a module's statuses that are not OK.
fn status_findings(verdict: &ModuleVerdict) -> impl Iterator<Item = Finding> + '_ {
    [
        (Direction::Export, &verdict.export),
        (Direction::Import, &verdict.import),
    ]
    .into_iter()
    .filter(|(_, status)| status.level != Level::Ok)
    .map(|(direction, status)| status_finding(Subject::Status, &verdict.name, direction, status))
}
