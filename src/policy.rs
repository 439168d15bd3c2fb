//! Evaluation: a [`Document`] and the operator's settings → findings with levels and
//! reasons. Pure: the clock comes in as `now`, nothing here reads files or prints.
//!
//! The seed's table of Backup Service statuses lives here, once: [`export_meaning`] and
//! [`import_meaning`] give each documented value its meaning and default level.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use nagios_range::NagiosRange;

use crate::model::{
    clip, CollectedAt, DamagedModule, Direction, Document, ExportStatus, ImportStatus, Module,
    Modules, Pool, Reported,
};

/// A monitoring state. Ordered best to worst: OK < UNKNOWN < WARNING < CRITICAL.
pub type Level = nagiosplugin::ServiceState;

/// A threshold on the data's age: the Nagios range and the text it was given as.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    range: NagiosRange,
    text: String,
}

impl Threshold {
    /// True when `value` lies where the range says to alert.
    pub fn alerts(&self, value: f64) -> bool {
        self.range.check(value)
    }

    /// The range as given, for perfdata and messages.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for Threshold {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let bad = |why: &str| {
            format!("'{text}' is not a Nagios range ({why}), examples: 900, 600:, @10:20, ~:3600")
        };
        // The range crate accepts what Rust's float parser does ('inf', 'NaN'); a
        // monitoring range takes plain decimal numbers only.
        let plain = text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | ':' | '~' | '@'));
        if !plain {
            return Err(bad(
                "only digits, '.', '-', ':', '~' and a leading '@' are allowed",
            ));
        }
        let range = NagiosRange::from(text).map_err(|e| bad(&e.to_string()))?;
        Ok(Threshold {
            range,
            text: text.to_owned(),
        })
    }
}

/// An operator's override of one status mapping (`--map [export:|import:]STATUS=LEVEL`).
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    pub direction: Option<Direction>,
    pub status: String,
    pub level: Level,
}

impl FromStr for Mapping {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = |why: String| {
            format!("'{text}' is not a mapping ({why}), expected [export:|import:]STATUS=LEVEL, e.g. export:NonSteadyState=critical")
        };
        let (lhs, level) = text.split_once('=').ok_or_else(|| bad("no '='".into()))?;
        let level = parse_level(level).map_err(&bad)?;
        let (direction, status) = match lhs.split_once(':') {
            Some((d, s)) if d.trim().eq_ignore_ascii_case("export") => (Some(Direction::Export), s),
            Some((d, s)) if d.trim().eq_ignore_ascii_case("import") => (Some(Direction::Import), s),
            Some((d, _)) => return Err(bad(format!("'{d}' is neither export nor import"))),
            None => (None, lhs),
        };
        let status = status.trim();
        if status.is_empty()
            || !status
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(bad(format!("'{status}' is not a status name")));
        }
        Ok(Mapping {
            direction,
            status: status.to_owned(),
            level,
        })
    }
}

/// `ok`, `warning`, `critical` or `unknown`, in any letter case.
pub fn parse_level(text: &str) -> Result<Level, String> {
    text.trim().parse::<Level>().map_err(|_| {
        format!(
            "'{}' is not a level: use ok, warning, critical or unknown",
            text.trim()
        )
    })
}

/// What the operator asked for on the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `--pool`: evaluate only these; names the pool when the document does not.
    pub pools: Vec<String>,
    pub cms_master_pool: Option<String>,
    pub required_modules: Vec<String>,
    pub ignored_modules: Vec<String>,
    pub mappings: Vec<Mapping>,
    pub on_error: Level,
    pub warning: Threshold,
    pub critical: Threshold,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            pools: vec![],
            cms_master_pool: None,
            required_modules: vec![],
            ignored_modules: vec![],
            mappings: vec![],
            on_error: Level::Critical,
            warning: "900".parse().expect("a valid default range"),
            critical: "3600".parse().expect("a valid default range"),
        }
    }
}

/// What a finding is about: the perfdata and the long output group them by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// One status of one module.
    Status,
    /// `OverallExportStatus` or `OverallImportStatus`.
    Overall,
    /// The age of the data.
    Age,
    /// Anything else: the collection, the CMS, the document's shape.
    Pool,
}

/// One conclusion with its level and the sentence that explains it.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub level: Level,
    pub subject: Subject,
    pub text: String,
}

impl Finding {
    fn new(level: Level, subject: Subject, text: impl Into<String>) -> Self {
        Finding {
            level,
            subject,
            text: text.into(),
        }
    }
}

/// One status of one module, interpreted. The texts borrow the table's words where they
/// can: a document of 100,000 modules should not copy "import working" 100,000 times.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusVerdict {
    /// The value as the document gave it, e.g. `SteadyState` or `2`.
    pub shown: Cow<'static, str>,
    pub level: Level,
    /// Why that level: the status's meaning, or what could not be interpreted.
    pub reason: Cow<'static, str>,
}

/// One module, both directions interpreted.
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleVerdict {
    pub name: String,
    pub export: StatusVerdict,
    pub import: StatusVerdict,
    pub other: Vec<(String, String)>,
}

impl ModuleVerdict {
    pub fn level(&self) -> Level {
        self.export.level.max(self.import.level)
    }
}

/// The data's age and its thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct Age {
    pub seconds: i64,
    pub warning: String,
    pub critical: String,
}

/// Module counts for perfdata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub modules: usize,
    pub ok: usize,
    pub warning: usize,
    pub critical: usize,
    pub unknown: usize,
    pub export_nonsteady: usize,
    pub export_error: usize,
    pub import_error: usize,
}

/// One pool, evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolVerdict {
    pub name: String,
    pub modules: Vec<ModuleVerdict>,
    /// Every finding: the non-OK statuses, and the pool's other conclusions (OK ones too).
    pub findings: Vec<Finding>,
    pub counts: Counts,
    pub age: Option<Age>,
    /// Where each decision came from, for `-vv`.
    pub notes: Vec<String>,
    pub other: Vec<(String, String)>,
}

/// The whole evaluation: what the report presents.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub pools: Vec<PoolVerdict>,
    /// Findings about the document as a whole (a selected pool missing, say).
    pub findings: Vec<Finding>,
    /// Where the document came from, for `-vv`.
    pub notes: Vec<String>,
}

impl Evaluation {
    /// The worst level of every finding: the plugin's state.
    pub fn level(&self) -> Level {
        self.all_findings()
            .map(|(_, f)| f.level)
            .max()
            .unwrap_or(Level::Ok)
    }

    /// Every finding with the pool it belongs to, pools first, in document order.
    pub fn all_findings(&self) -> impl Iterator<Item = (Option<&str>, &Finding)> {
        self.pools
            .iter()
            .flat_map(|p| p.findings.iter().map(move |f| (Some(p.name.as_str()), f)))
            .chain(self.findings.iter().map(|f| (None, f)))
    }
}

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

/// Whether a pool hosts the active Central Management Store, and how we know.
#[derive(Debug, Clone, PartialEq)]
enum CmsRole {
    Master(&'static str),
    NotMaster(&'static str),
    Unknown(&'static str),
}

/// Compares two FQDNs the way DNS does: letter case and a trailing dot do not matter.
pub fn same_fqdn(a: &str, b: &str) -> bool {
    a.trim()
        .trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim().trim_end_matches('.'))
}

/// Evaluates a document at time `now`.
///
/// The document is consumed: its module names and properties move into the evaluation,
/// so a large document is not held twice.
pub fn evaluate(document: Document, settings: &Settings, now: Timestamp) -> Evaluation {
    let mut findings = Vec::new();
    let notes = vec![format!(
        "read {} as {}, {}",
        document.source,
        document.format.as_str(),
        document.encoding
    )];
    let document_master = document
        .pools
        .iter()
        .filter_map(|p| p.active_master_fqdn.as_deref())
        .find(|m| !m.is_empty())
        .map(str::to_owned);
    if document
        .pools
        .iter()
        .any(|p| p.active_master_fqdn.as_deref() == Some(""))
    {
        findings.push(Finding::new(
            Level::Warning,
            Subject::Pool,
            "the Central Management Store is unavailable: the collector found no ActiveMasterFqdn \
             (check Get-CsManagementStoreReplicationStatus -CentralManagementStoreStatus)",
        ));
    }
    let selected = select_pools(&document, settings, &mut findings);
    let Document {
        mut pools,
        modified,
        ..
    } = document;
    let pools = selected
        .into_iter()
        .map(|(name, index)| {
            let pool = std::mem::take(&mut pools[index]);
            let role = cms_role(&name, &pool, settings, document_master.as_deref());
            evaluate_pool(name, pool, &role, modified, settings, now)
        })
        .collect();
    Evaluation {
        pools,
        findings,
        notes,
    }
}

/// The pools to evaluate, each with the name to show, per `--pool`.
/// Pools are given by their index in the document, each at most once.
fn select_pools(
    document: &Document,
    settings: &Settings,
    findings: &mut Vec<Finding>,
) -> Vec<(String, usize)> {
    if document.pools.is_empty() {
        findings.push(Finding::new(
            Level::Unknown,
            Subject::Pool,
            "the document holds no pool",
        ));
        return vec![];
    }
    let unnamed: Vec<&Pool> = document.pools.iter().filter(|p| p.fqdn.is_none()).collect();
    if settings.pools.is_empty() {
        let several = unnamed.len() > 1;
        let mut index = 0;
        return document
            .pools
            .iter()
            .enumerate()
            .map(|(at, p)| match &p.fqdn {
                Some(f) => (f.clone(), at),
                None => {
                    index += 1;
                    let name = if several {
                        format!("unnamed pool {index}")
                    } else {
                        "unnamed pool".into()
                    };
                    (name, at)
                }
            })
            .collect();
    }
    if unnamed.len() == document.pools.len() {
        if document.pools.len() == 1 && settings.pools.len() == 1 {
            return vec![(settings.pools[0].clone(), 0)];
        }
        findings.push(Finding::new(
            Level::Unknown,
            Subject::Pool,
            format!(
                "the document names no pool (no PoolFqdn), so --pool cannot select among {} pools, \
                 give one --pool per document, or collect with check_csbackup collect",
                document.pools.len().max(settings.pools.len())
            ),
        ));
        return vec![];
    }
    let mut selected = Vec::new();
    for wanted in &settings.pools {
        match document
            .pools
            .iter()
            .position(|p| p.fqdn.as_deref().is_some_and(|f| same_fqdn(f, wanted)))
        {
            Some(at) if selected.iter().any(|(_, s)| *s == at) => {}
            Some(at) => selected.push((document.pools[at].fqdn.clone().unwrap_or_default(), at)),
            None => {
                let present: Vec<&str> = document
                    .pools
                    .iter()
                    .filter_map(|p| p.fqdn.as_deref())
                    .collect();
                findings.push(Finding::new(
                    Level::Critical,
                    Subject::Pool,
                    format!(
                        "pool {wanted} is not in the document (it holds {}): is the collector asked for it?",
                        present.join(", ")
                    ),
                ));
            }
        }
    }
    selected
}

fn cms_role(
    name: &str,
    pool: &Pool,
    settings: &Settings,
    document_master: Option<&str>,
) -> CmsRole {
    let (master, source) = match (
        &settings.cms_master_pool,
        pool.active_master_fqdn.as_deref(),
    ) {
        (Some(m), _) => (m.as_str(), "--cms-master-pool"),
        (None, Some(m)) if !m.is_empty() => (m, "the document's ActiveMasterFqdn"),
        _ => match document_master {
            Some(m) => (m, "the document's ActiveMasterFqdn"),
            None => {
                return CmsRole::Unknown(
                    "neither --cms-master-pool nor the document's ActiveMasterFqdn names it",
                )
            }
        },
    };
    if pool.fqdn.is_none() && name.starts_with("unnamed pool") {
        return CmsRole::Unknown("the document names no pool: give --pool");
    }
    if same_fqdn(name, master) {
        CmsRole::Master(source)
    } else {
        CmsRole::NotMaster(source)
    }
}

fn evaluate_pool(
    name: String,
    pool: Pool,
    role: &CmsRole,
    modified: Option<Timestamp>,
    settings: &Settings,
    now: Timestamp,
) -> PoolVerdict {
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    notes.push(match role {
        CmsRole::Master(src) => format!("hosts the active CMS (from {src})"),
        CmsRole::NotMaster(src) => format!("does not host the active CMS (from {src})"),
        CmsRole::Unknown(why) => format!("CMS role unknown: {why}"),
    });
    if let Some(computer) = &pool.computer_name {
        let version = pool
            .collector_version
            .as_deref()
            .unwrap_or("unknown version");
        notes.push(format!("collected on {computer} by collector {version}"));
    }
    if let Some(error) = &pool.error {
        let on = pool
            .computer_name
            .as_ref()
            .map(|c| format!(" on {c}"))
            .unwrap_or_default();
        findings.push(Finding::new(
            settings.on_error,
            Subject::Pool,
            format!("collection failed{on}: {error}"),
        ));
    }

    let mut modules = Vec::new();
    let failed = pool.error.is_some();
    match pool.modules {
        Modules::Absent if failed => {}
        Modules::Absent => findings.push(no_modules("the document has no BackupModules")),
        Modules::DepthCut(text) => findings.push(Finding::new(
            Level::Unknown,
            Subject::Pool,
            format!(
                "BackupModules is the text '{}', not a list: {DEPTH_HINT}",
                clip(&text, 60)
            ),
        )),
        Modules::Listed {
            modules: listed,
            damaged,
        } => {
            findings.extend(damage_findings(&damaged));
            findings.extend(missing_modules(&listed, settings));
            let ignored = |m: &Module| {
                settings
                    .ignored_modules
                    .iter()
                    .any(|i| i.trim().eq_ignore_ascii_case(&m.name))
            };
            let kept = listed.iter().filter(|m| !ignored(m)).count();
            modules.reserve_exact(kept);
            if kept == 0 && damaged.is_empty() {
                findings.push(no_modules(if listed.is_empty() {
                    "BackupModules is empty"
                } else {
                    "every module is left out by --ignore-module"
                }));
            }
            for module in listed.into_iter().filter(|m| !ignored(m)) {
                let verdict = evaluate_module(module, role, settings);
                for (direction, status) in [
                    (Direction::Export, &verdict.export),
                    (Direction::Import, &verdict.import),
                ] {
                    if status.level != Level::Ok {
                        findings.push(status_finding(&verdict.name, direction, status));
                    }
                }
                modules.push(verdict);
            }
        }
    }
    for (direction, reported) in [
        (Direction::Export, &pool.overall_export),
        (Direction::Import, &pool.overall_import),
    ] {
        if let Some(reported) = reported {
            let verdict = evaluate_status(direction, reported, role, settings);
            if verdict.level != Level::Ok {
                findings.push(status_finding(OVERALL, direction, &verdict));
            }
        }
    }

    let age = evaluate_age(
        pool.collected_at.as_ref(),
        modified,
        settings,
        now,
        &mut findings,
        &mut notes,
    );
    let counts = count(&modules);
    PoolVerdict {
        name,
        modules,
        findings,
        counts,
        age,
        notes,
        other: pool.other,
    }
}

/// A `--module` the document does not report is CRITICAL.
fn missing_modules(listed: &[Module], settings: &Settings) -> Vec<Finding> {
    let present: Vec<&str> = listed.iter().map(|m| m.name.as_str()).collect();
    settings
        .required_modules
        .iter()
        .filter(|required| {
            !present
                .iter()
                .any(|m| m.eq_ignore_ascii_case(required.trim()))
        })
        .map(|required| {
            Finding::new(
                Level::Critical,
                Subject::Pool,
                format!(
                    "required module {} is missing (present: {})",
                    required.trim(),
                    if present.is_empty() {
                        "none".into()
                    } else {
                        present.join(", ")
                    }
                ),
            )
        })
        .collect()
}

/// One finding per kind of damaged `BackupModules` element, however many there are: a
/// million broken elements are one problem, not a million lines of output.
fn damage_findings(damaged: &[DamagedModule]) -> Vec<Finding> {
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
        findings.push(Finding::new(
            Level::Unknown,
            Subject::Pool,
            format!(
                "{} the text '{}', not an object: {DEPTH_HINT}",
                how_many(depth_cuts.len()),
                clip(first, 60)
            ),
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

const OVERALL: &str = "overall";
const DEPTH_HINT: &str = "ConvertTo-Json cut the depth, export with ConvertTo-Json -Depth 5";

fn no_modules(why: &str) -> Finding {
    Finding::new(
        Level::Unknown,
        Subject::Pool,
        format!("no backup modules reported ({why}): is the pool paired? see Get-CsPoolBackupRelationship"),
    )
}

fn status_finding(subject: &str, direction: Direction, status: &StatusVerdict) -> Finding {
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

fn evaluate_module(module: Module, role: &CmsRole, settings: &Settings) -> ModuleVerdict {
    ModuleVerdict {
        name: module.name,
        export: evaluate_status(Direction::Export, &module.export, role, settings),
        import: evaluate_status(Direction::Import, &module.import, role, settings),
        other: module.other,
    }
}

fn evaluate_status(
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
            None => (
                name.clone().into(),
                undocumented(direction).into(),
                Level::Unknown,
            ),
        },
        Direction::Import => match ImportStatus::from_name(name) {
            Some(status) => {
                let (meaning, level) = import_meaning(&status);
                (status.as_str().into(), meaning.into(), level)
            }
            None => (
                name.clone().into(),
                undocumented(direction).into(),
                Level::Unknown,
            ),
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

fn evaluate_age(
    collected_at: Option<&CollectedAt>,
    modified: Option<Timestamp>,
    settings: &Settings,
    now: Timestamp,
    findings: &mut Vec<Finding>,
    notes: &mut Vec<String>,
) -> Option<Age> {
    let (at, source) = match (collected_at, modified) {
        (Some(CollectedAt::At(t)), _) => (*t, "CollectedAt"),
        (Some(CollectedAt::Unreadable(raw)), _) => {
            findings.push(Finding::new(
                Level::Unknown,
                Subject::Age,
                format!("CollectedAt '{raw}' is not a time: expected ISO 8601 with an offset or \\/Date(ms)\\/"),
            ));
            return None;
        }
        (None, Some(modified)) => (modified, "the file's modification time"),
        (None, None) => {
            notes.push(
                "no age check: no CollectedAt, and standard input has no modification time".into(),
            );
            return None;
        }
    };
    let seconds = now.as_second() - at.as_second();
    notes.push(format!("age from {source}: {at}"));
    if seconds < -SKEW_SECONDS {
        findings.push(Finding::new(
            Level::Warning,
            Subject::Age,
            format!(
                "data collected {} in the future ({at}): check the clocks of the collector and of this host",
                duration(-seconds)
            ),
        ));
        return None;
    }
    let seconds = seconds.max(0);
    let (level, beyond) = if settings.critical.alerts(seconds as f64) {
        (
            Level::Critical,
            format!(
                ", outside the critical range {}",
                settings.critical.as_str()
            ),
        )
    } else if settings.warning.alerts(seconds as f64) {
        (
            Level::Warning,
            format!(", outside the warning range {}", settings.warning.as_str()),
        )
    } else {
        (Level::Ok, String::new())
    };
    let hint = if level == Level::Ok {
        ""
    } else {
        ": is the collector's scheduled task running?"
    };
    findings.push(Finding::new(
        level,
        Subject::Age,
        format!("data is {} old{beyond}{hint}", duration(seconds)),
    ));
    Some(Age {
        seconds,
        warning: settings.warning.as_str().to_owned(),
        critical: settings.critical.as_str().to_owned(),
    })
}

/// Clock skew tolerated before a future `CollectedAt` is a problem.
const SKEW_SECONDS: i64 = 300;

/// A duration the way an operator reads it: `42 s`, `12 min`, `3 h 5 min`, `2 d 4 h`.
pub fn duration(seconds: i64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s => format!("{} d {} h", s / 86400, s % 86400 / 3600),
    }
}

fn count(modules: &[ModuleVerdict]) -> Counts {
    let mut counts = Counts {
        modules: modules.len(),
        ..Counts::default()
    };
    for m in modules {
        match m.level() {
            Level::Ok => counts.ok += 1,
            Level::Warning => counts.warning += 1,
            Level::Critical => counts.critical += 1,
            Level::Unknown => counts.unknown += 1,
        }
        if ExportStatus::from_name(&m.export.shown) == Some(ExportStatus::NonSteadyState) {
            counts.export_nonsteady += 1;
        }
        if ExportStatus::from_name(&m.export.shown) == Some(ExportStatus::ErrorState) {
            counts.export_error += 1;
        }
        if ImportStatus::from_name(&m.import.shown) == Some(ImportStatus::ErrorState) {
            counts.import_error += 1;
        }
    }
    counts
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.level, self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Format;

    fn now() -> Timestamp {
        "2026-11-28T12:00:00Z".parse().unwrap()
    }

    fn module(name: &str, export: &str, import: &str) -> Module {
        Module {
            name: name.into(),
            export: Reported::Name(export.into()),
            import: Reported::Name(import.into()),
            other: vec![],
        }
    }

    fn document(pools: Vec<Pool>) -> Document {
        Document {
            pools,
            format: Format::Json,
            encoding: "UTF-8".into(),
            source: "test".into(),
            modified: None,
        }
    }

    fn pool(fqdn: &str, modules: Vec<Module>) -> Pool {
        Pool {
            fqdn: Some(fqdn.into()),
            modules: Modules::Listed {
                modules,
                damaged: vec![],
            },
            ..Pool::default()
        }
    }

    fn level_of(export: &str, import: &str, settings: &Settings) -> Level {
        let doc = document(vec![pool("p", vec![module("M", export, import)])]);
        evaluate(doc.clone(), settings, now()).level()
    }

    #[test]
    fn the_seed_table_gives_the_default_levels() {
        let not_master = Settings {
            cms_master_pool: Some("other".into()),
            ..Settings::default()
        };
        let cases = [
            ("FinalState", "NormalState", Level::Ok),
            ("SteadyState", "NormalState", Level::Ok),
            ("NonSteadyState", "NormalState", Level::Warning),
            ("NotInitialized", "NormalState", Level::Ok),
            ("ErrorState", "NormalState", Level::Critical),
            ("SteadyState", "ErrorState", Level::Critical),
            ("Bogus", "NormalState", Level::Unknown),
            ("SteadyState", "Bogus", Level::Unknown),
        ];
        for (export, import, level) in cases {
            assert_eq!(
                level_of(export, import, &not_master),
                level,
                "{export}/{import}"
            );
        }
    }

    #[test]
    fn not_initialized_is_ok_only_off_the_cms_master() {
        let with = |master: Option<&str>| Settings {
            cms_master_pool: master.map(String::from),
            ..Settings::default()
        };
        assert_eq!(
            level_of("NotInitialized", "NormalState", &with(Some("P."))),
            Level::Warning
        );
        assert_eq!(
            level_of("NotInitialized", "NormalState", &with(None)),
            Level::Warning
        );
        assert_eq!(
            level_of("NotInitialized", "NormalState", &with(Some("q"))),
            Level::Ok
        );
    }

    #[test]
    fn unreadable_statuses_are_unknown() {
        for reported in [
            Reported::Number("2".into()),
            Reported::Missing,
            Reported::Malformed("a list".into()),
            Reported::Truncated("NonSteadySt...".into()),
        ] {
            let mut m = module("M", "SteadyState", "NormalState");
            m.export = reported.clone();
            let doc = document(vec![pool("p", vec![m])]);
            assert_eq!(
                evaluate(doc.clone(), &Settings::default(), now()).level(),
                Level::Unknown,
                "{reported:?}"
            );
        }
    }

    #[test]
    fn mappings_override_and_the_last_wins() {
        let settings = Settings {
            mappings: vec![
                "export:ErrorState=warning".parse().unwrap(),
                "import:ErrorState=ok".parse().unwrap(),
            ],
            ..Settings::default()
        };
        assert_eq!(
            level_of("ErrorState", "NormalState", &settings),
            Level::Warning
        );
        assert_eq!(level_of("SteadyState", "ErrorState", &settings), Level::Ok);
        assert!("=ok".parse::<Mapping>().is_err());
        assert!("A=ok=1".parse::<Mapping>().is_err());
    }

    #[test]
    fn age_uses_collected_at_then_the_file_time() {
        let mut p = pool("p", vec![module("M", "SteadyState", "NormalState")]);
        p.collected_at = Some(CollectedAt::At("2026-11-28T11:00:00Z".parse().unwrap()));
        let mut doc = document(vec![p]);
        let eval = evaluate(doc.clone(), &Settings::default(), now());
        assert_eq!(eval.pools[0].age.as_ref().map(|a| a.seconds), Some(3600));
        assert_eq!(
            eval.level(),
            Level::Warning,
            "3600 s is inside 0:3600 but outside 0:900"
        );
        doc.pools[0].collected_at = None;
        doc.modified = Some("2026-11-28T11:59:00Z".parse().unwrap());
        let eval = evaluate(doc.clone(), &Settings::default(), now());
        assert_eq!(eval.pools[0].age.as_ref().map(|a| a.seconds), Some(60));
        assert_eq!(eval.level(), Level::Ok);
        doc.modified = None;
        assert_eq!(
            evaluate(doc.clone(), &Settings::default(), now()).pools[0].age,
            None
        );
    }

    #[test]
    fn thresholds_take_nagios_ranges_only() {
        for good in ["900", "10:", "~:10", "@10:20", "0:0", "1.5:2.5"] {
            assert!(good.parse::<Threshold>().is_ok(), "{good}");
        }
        for bad in ["", "abc", "inf", "NaN", "20:10", "1e3"] {
            assert!(bad.parse::<Threshold>().is_err(), "{bad}");
        }
        let inside: Threshold = "@10:20".parse().unwrap();
        assert!(inside.alerts(15.0) && !inside.alerts(25.0));
    }

    #[test]
    fn fqdns_compare_like_dns() {
        assert!(same_fqdn("Pool01.Contoso.com.", "pool01.contoso.com"));
        assert!(!same_fqdn("pool01.contoso.com", "pool01.contoso.co"));
    }

    #[test]
    fn counts_group_modules_by_their_worst_status() {
        let doc = document(vec![pool(
            "p",
            vec![
                module("A", "NonSteadyState", "ErrorState"),
                module("B", "ErrorState", "NormalState"),
                module("C", "SteadyState", "NormalState"),
            ],
        )]);
        let counts = evaluate(doc.clone(), &Settings::default(), now()).pools[0].counts;
        assert_eq!(
            counts,
            Counts {
                modules: 3,
                ok: 1,
                warning: 0,
                critical: 2,
                unknown: 0,
                export_nonsteady: 1,
                export_error: 1,
                import_error: 1,
            }
        );
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(42), "42 s");
        assert_eq!(duration(720), "12 min");
        assert_eq!(duration(3 * 3600 + 300), "3 h 5 min");
        assert_eq!(duration(2 * 86400 + 4 * 3600), "2 d 4 h");
    }
}
