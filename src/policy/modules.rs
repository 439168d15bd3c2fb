//! Findings about a pool's module list as a whole: required modules missing, elements
//! that are not modules, no modules at all; and the module counts for perfdata.

use super::{name_list, Counts, Finding, Level, ModuleVerdict, Settings, Subject};
use crate::model::{clip, same_module, DamagedModule, ExportStatus, ImportStatus, Module};

/// A `--module` the document does not report is CRITICAL.
pub(super) fn missing_modules(listed: &[Module], settings: &Settings) -> Vec<Finding> {
    let present = || listed.iter().map(|m| m.name.as_str());
    settings
        .required_modules
        .iter()
        .filter(|required| !present().any(|m| same_module(m, required)))
        .map(|required| {
            Finding::explained(
                Level::Critical,
                Subject::Pool,
                format!("required module {} is missing", required.trim()),
                &format!(" (present: {})", name_list(present())),
            )
        })
        .collect()
}

/// One finding per kind of damaged `BackupModules` element, however many there are: a
/// million broken elements are one problem, not a million lines of output.
pub(super) fn damage_findings(damaged: &[DamagedModule]) -> Vec<Finding> {
    let depth_cuts: Vec<&String> = damaged
        .iter()
        .filter_map(|d| match d {
            DamagedModule::DepthCut(text) => Some(text),
            DamagedModule::NotAnObject(_) => None,
        })
        .collect();
    let others: Vec<&String> = damaged
        .iter()
        .filter_map(|d| match d {
            DamagedModule::NotAnObject(what) => Some(what),
            DamagedModule::DepthCut(_) => None,
        })
        .collect();
    let how_many = |n: usize| match n {
        1 => "a backup module is".to_owned(),
        n => format!("{n} backup modules are"),
    };
    let mut findings = Vec::new();
    if let Some(first) = depth_cuts.first() {
        findings.push(Finding::explained(
            Level::Unknown,
            Subject::Pool,
            format!(
                "{} the text '{}', not an object",
                how_many(depth_cuts.len()),
                clip(first, 60)
            ),
            &format!(": {DEPTH_HINT}"),
        ));
    }
    if let Some(first) = others.first() {
        let like = if others.len() > 1 { " (the first)" } else { "" };
        findings.push(Finding::new(
            Level::Unknown,
            Subject::Pool,
            format!("{} {first}{like}, not an object", how_many(others.len())),
        ));
    }
    findings
}

pub(super) const DEPTH_HINT: &str =
    "ConvertTo-Json cut the depth, export with ConvertTo-Json -Depth 5";

pub(super) fn no_modules(why: &str) -> Finding {
    Finding::explained(
        Level::Unknown,
        Subject::Pool,
        "no backup modules reported",
        &format!(" ({why}): is the pool paired? see Get-CsPoolBackupRelationship"),
    )
}

/// A failed collection reports no modules: their state is unknown, whatever level
/// `--on-error` gives the failure itself.
pub(super) fn modules_unknown_after_failure() -> Finding {
    Finding::explained(
        Level::Unknown,
        Subject::Pool,
        "no backup modules reported",
        " (the collection failed): their state is unknown until the collector succeeds",
    )
}

impl Counts {
    /// Counts one more module: while its verdict is made, not in a pass of its own over
    /// a list that for a large document no longer fits in the cache.
    pub(super) fn add(&mut self, module: &ModuleVerdict) {
        self.modules += 1;
        match module.level() {
            Level::Ok => self.ok += 1,
            Level::Warning => self.warning += 1,
            Level::Critical => self.critical += 1,
            Level::Unknown => self.unknown += 1,
        }
        match ExportStatus::from_name(&module.export.shown) {
            Some(ExportStatus::NonSteadyState) => self.export_nonsteady += 1,
            Some(ExportStatus::ErrorState) => self.export_error += 1,
            _ => {}
        }
        if ImportStatus::from_name(&module.import.shown) == Some(ImportStatus::ErrorState) {
            self.import_error += 1;
        }
    }
}
