//! One status of one module → a level and the reason for it.
//!
//! The seed's table of Backup Service statuses lives here, once: [`export_meaning`] and
//! [`import_meaning`] give each documented value its meaning and default level;
//! `NotInitialized` depends on the pool's CMS role, and `--map` overrides any of them.

use std::borrow::Cow;

use super::cms::CmsRole;
use super::{Finding, Level, ModuleVerdict, Settings, StatusVerdict, Subject};
use crate::model::{Direction, ExportStatus, ImportStatus, Module, Reported};

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

pub(super) fn evaluate_module(
    module: Module,
    role: &CmsRole,
    settings: &Settings,
) -> ModuleVerdict {
    ModuleVerdict {
        name: module.name,
        export: evaluate_status(Direction::Export, &module.export, role, settings),
        import: evaluate_status(Direction::Import, &module.import, role, settings),
        other: module.other,
    }
}

pub(super) fn evaluate_status(
    direction: Direction,
    reported: &Reported,
    role: &CmsRole,
    settings: &Settings,
) -> StatusVerdict {
    let unknown = |shown: Cow<'static, str>, reason: Cow<'static, str>| StatusVerdict {
        shown,
        level: Level::Unknown,
        reason,
    };
    let name = match reported {
        Reported::Name(name) => name,
        Reported::Number(n) => {
            return unknown(
                n.clone().into(),
                "a number: Windows PowerShell 5.1 wrote the enum as a number, whose name is not published, \
                 collect with check_csbackup collect or Export-Clixml to get names"
                    .into(),
            )
        }
        Reported::Missing => {
            return unknown(
                "missing".into(),
                format!("the module reports no {direction} status").into(),
            )
        }
        Reported::Malformed(what) => {
            return unknown(
                "unreadable".into(),
                format!("{what}, not a status name").into(),
            )
        }
        Reported::Truncated(text) => {
            return unknown(
                text.clone().into(),
                "cut short by the console view, use Format-Table -AutoSize, Export-Clixml or ConvertTo-Json".into(),
            )
        }
    };
    let (canonical, reason, level): (Cow<'static, str>, Cow<'static, str>, Level) = match direction
    {
        Direction::Export => match ExportStatus::from_name(name) {
            Some(ExportStatus::NotInitialized) => {
                let (reason, level) = not_initialized(role);
                (
                    ExportStatus::NotInitialized.as_str().into(),
                    reason.into(),
                    level,
                )
            }
            Some(status) => {
                let (meaning, level) = export_meaning(&status);
                (status.as_str().into(), meaning.into(), level)
            }
            None => (name.clone(), undocumented(direction).into(), Level::Unknown),
        },
        Direction::Import => match ImportStatus::from_name(name) {
            Some(status) => {
                let (meaning, level) = import_meaning(&status);
                (status.as_str().into(), meaning.into(), level)
            }
            None => (name.clone(), undocumented(direction).into(), Level::Unknown),
        },
    };
    let mapped = settings.mappings.iter().rev().find(|m| {
        m.direction.is_none_or(|d| d == direction) && m.status.eq_ignore_ascii_case(&canonical)
    });
    match mapped {
        Some(m) => StatusVerdict {
            shown: canonical,
            level: m.level,
            reason: format!("{reason}, level set by --map").into(),
        },
        None => StatusVerdict {
            shown: canonical,
            level,
            reason,
        },
    }
}

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
        CmsRole::Unknown(_) => (
            format!(
                "{meaning}, expected only if the pool does not host the active CMS, which is unknown: \
                 give --cms-master-pool"
            ),
            warning,
        ),
    }
}

/// What `OverallExportStatus` / `OverallImportStatus` findings name as their subject.
pub(super) const OVERALL: &str = "overall";

/// The finding for one status that is not OK.
pub(super) fn status_finding(
    subject: &str,
    direction: Direction,
    status: &StatusVerdict,
) -> Finding {
    Finding::new(
        status.level,
        if subject == OVERALL {
            Subject::Overall
        } else {
            Subject::Status
        },
        format!("{subject} {direction} {} ({})", status.shown, status.reason),
    )
}
