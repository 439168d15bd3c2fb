//! One status of one module → a level and the reason for it.
//!
//! The seed's table of Backup Service statuses lives here, once: [`export_meaning`] and
//! [`import_meaning`] give each documented value its meaning and default level;
//! `NotInitialized` depends on the pool's CMS role, and `--map` overrides any of them.
//! Where the collector's history says how long a status has lasted, `backlog` and
//! `initialisation` judge `NonSteadyState` and `NotInitialized` by it.

use std::borrow::Cow;

use super::cms::CmsRole;
use super::lasted::{History, Lasted};
use super::{backlog, initialisation};
use super::{Finding, Level, ModuleVerdict, Note, Settings, StatusVerdict, Subject};
use crate::model::{clip, Direction, ExportStatus, ImportStatus, Module, Reported, Stamp};

/// The meaning and default level of each documented `ExportStatus`: the seed's table.
pub fn export_meaning(status: &ExportStatus) -> (&'static str, Level) {
    match status {
        ExportStatus::FinalState => (
            "nothing left to back up, all imported by the backup pool",
            Level::Ok,
        ),
        ExportStatus::SteadyState => ("all changes fit in one batch, no backlog", Level::Ok),
        ExportStatus::NonSteadyState => (
            "changes exceed the Backup Service's capacity, a backlog is building",
            Level::Warning,
        ),
        // OK only where the pool is known not to host the CMS: see `not_initialized`.
        ExportStatus::NotInitialized => ("no export has started yet", Level::Warning),
        ExportStatus::ErrorState => ("failed to back up new changes", Level::Critical),
    }
}

/// The meaning and default level of each documented `ImportStatus`: the seed's table.
pub fn import_meaning(status: &ImportStatus) -> (&'static str, Level) {
    match status {
        ImportStatus::NormalState => ("import working", Level::Ok),
        ImportStatus::ErrorState => ("failed to import new changes", Level::Critical),
    }
}

/// Both statuses of a module, each with how long it has lasted.
pub(super) fn evaluate_module(
    module: Module,
    role: &CmsRole,
    settings: &Settings,
    history: &History,
    notes: &mut Vec<Note>,
) -> ModuleVerdict {
    let name = module.name;
    let mut lasted = |since: Option<&Stamp>, property: &str| {
        history.lasted(since, || format!("{name} {property}"), notes)
    };
    let export_lasted = lasted(module.export_since.as_ref(), "ExportStatusSince");
    let import_lasted = lasted(module.import_since.as_ref(), "ImportStatusSince");
    let of_module = Some(name.as_str());
    ModuleVerdict {
        export: evaluate_status(
            Direction::Export,
            &module.export,
            role,
            settings,
            (of_module, export_lasted),
        ),
        import: evaluate_status(
            Direction::Import,
            &module.import,
            role,
            settings,
            (of_module, import_lasted),
        ),
        name,
        other: module.other,
    }
}

/// One status → its verdict: the seed's level (or UNKNOWN for what cannot be read),
/// then `--map`, which overrides everything, else what its duration says. `of` is the
/// module (`None` for an overall status) and how long the status has lasted.
pub(super) fn evaluate_status(
    direction: Direction,
    reported: &Reported,
    role: &CmsRole,
    settings: &Settings,
    (module, lasted): (Option<&str>, Option<Lasted>),
) -> StatusVerdict {
    let (shown, reason, level) = match seed(direction, reported, role) {
        Ok(seeded) => seeded,
        Err((shown, reason)) => {
            return StatusVerdict {
                shown: shown.into(),
                level: Level::Unknown,
                reason: reason.into(),
                lasted,
            }
        }
    };
    if let Some(m) = settings.mapping(direction, &shown) {
        return StatusVerdict {
            shown: shown.into(),
            level: m.level,
            reason: format!("{reason}, level set by --map").into(),
            lasted,
        };
    }
    let (level, reason) = match (direction, ExportStatus::from_name(&shown)) {
        (Direction::Export, Some(ExportStatus::NonSteadyState)) => {
            backlog::judge(level, reason, lasted, settings)
        }
        (Direction::Export, Some(ExportStatus::NotInitialized))
            if module.is_some_and(initialisation::applies_to) =>
        {
            initialisation::judge(level, reason, lasted, settings)
        }
        _ => (level, reason),
    };
    StatusVerdict {
        shown: shown.into(),
        level,
        reason: reason.into(),
        lasted,
    }
}

/// The seed's reading of a status: its name (as documented, or as given), the meaning
/// and the level; or, for what is no status name at all, what to show and why it is
/// UNKNOWN, which no `--map` changes.
#[allow(clippy::type_complexity)]
fn seed(
    direction: Direction,
    reported: &Reported,
    role: &CmsRole,
) -> Result<(Cow<'static, str>, Cow<'static, str>, Level), (Cow<'static, str>, Cow<'static, str>)> {
    let name = match reported {
        Reported::Name(name) => name,
        Reported::Number(n) => {
            return Err((
                clip(n, SHOWN).into(),
                "a number: status numbers are not published, so a number is never read as a status name \
                 (Windows PowerShell 5.1's ConvertTo-Json writes enums as numbers), \
                 collect with check_csbackup collect or Export-Clixml to get names"
                    .into(),
            ))
        }
        Reported::Missing => {
            return Err((
                "missing".into(),
                format!("the module reports no {direction} status").into(),
            ))
        }
        Reported::Malformed(what) => {
            return Err((
                "unreadable".into(),
                format!("{what}, not a status name").into(),
            ))
        }
        Reported::Truncated(text) => {
            return Err((
                clip(text, SHOWN).into(),
                "cut short by the console view, use Format-Table -AutoSize, Export-Clixml or ConvertTo-Json".into(),
            ))
        }
    };
    // An undocumented name is UNKNOWN, and `--map` may still give it a level.
    let not_documented = || {
        Ok((
            clip(name, SHOWN).into(),
            undocumented(direction).into(),
            Level::Unknown,
        ))
    };
    match direction {
        Direction::Export => match ExportStatus::from_name(name) {
            Some(ExportStatus::NotInitialized) => {
                let (reason, level) = not_initialized(role);
                Ok((
                    ExportStatus::NotInitialized.as_str().into(),
                    reason.into(),
                    level,
                ))
            }
            Some(status) => {
                let (meaning, level) = export_meaning(&status);
                Ok((status.as_str().into(), meaning.into(), level))
            }
            None => not_documented(),
        },
        Direction::Import => match ImportStatus::from_name(name) {
            Some(status) => {
                let (meaning, level) = import_meaning(&status);
                Ok((status.as_str().into(), meaning.into(), level))
            }
            None => not_documented(),
        },
    }
}

/// The most characters of a value the plugin cannot interpret that it repeats: enough
/// to recognise it, short enough that a finding's headline stays a headline.
const SHOWN: usize = 64;

fn undocumented(direction: Direction) -> String {
    let known: Vec<&str> = match direction {
        Direction::Export => ExportStatus::ALL.iter().map(|s| s.as_str()).collect(),
        Direction::Import => ImportStatus::ALL.iter().map(|s| s.as_str()).collect(),
    };
    format!(
        "not a documented {direction} status ({}), --map can give it a level",
        known.join(", ")
    )
}

/// `NotInitialized` is expected only where the pool does not host the CMS.
fn not_initialized(role: &CmsRole) -> (String, Level) {
    let (meaning, warning) = export_meaning(&ExportStatus::NotInitialized);
    match role {
        CmsRole::NotMaster(_) => (
            format!("{meaning}, expected: the pool does not host the active CMS"),
            Level::Ok,
        ),
        CmsRole::Master(_) => (
            format!("{meaning}, though the pool hosts the active CMS"),
            warning,
        ),
        CmsRole::Unknown { hint, .. } => (
            format!(
                "{meaning}, expected only if the pool does not host the active CMS, which is unknown: {hint}"
            ),
            warning,
        ),
    }
}

/// What `OverallExportStatus` / `OverallImportStatus` findings name as their subject.
pub(super) const OVERALL: &str = "overall";

/// The finding for one status that is not OK: a module's (`Subject::Status`, named by
/// the module) or the pool's overall one (`Subject::Overall`, named [`OVERALL`]).
pub(super) fn status_finding(
    subject: Subject,
    name: &str,
    direction: Direction,
    status: &StatusVerdict,
) -> Finding {
    let headline = match status.lasted {
        Some(lasted) => format!("{name} {direction} {} {lasted}", status.shown),
        None => format!("{name} {direction} {}", status.shown),
    };
    Finding::explained(
        status.level,
        subject,
        headline,
        &format!(" ({})", status.reason),
    )
}
