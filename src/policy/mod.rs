//! Evaluation: a [`Document`] and the operator's settings → findings with levels and
//! reasons. Pure: the clock comes in as `now`, nothing here reads files or prints.
//!
//! One file per kind of finding, so a new dimension is a new file:
//! - `settings`: what the operator asked for (thresholds, mappings, levels);
//! - `select`: which pools to evaluate and by what name;
//! - `cms`: whether a pool hosts the active Central Management Store;
//! - `pool`: one pool, putting the kinds below together;
//! - `status`: one status of one module, with the seed's table of statuses, once;
//! - `lasted`: how long a status has lasted, from the collector's history;
//! - `backlog`: `NonSteadyState` by how long it has lasted;
//! - `initialisation`: a module stuck in `NotInitialized`;
//! - `modules`: the module list as a whole (missing, damaged, empty) and the counts;
//! - `events`: the Backup Service's own Error and Warning events;
//! - `age`: how old the data is;
//!
//! and `text`, the texts of a status verdict, kept small for documents of many modules.

mod age;
mod backlog;
mod cms;
mod events;
mod initialisation;
mod lasted;
mod modules;
mod pool;
mod select;
mod settings;
mod status;
mod text;

use std::fmt;

use jiff::Timestamp;

use crate::model::{Document, Module};

pub use lasted::Lasted;
pub use settings::{
    parse_level, Mapping, Settings, Threshold, AGE_CRITICAL, AGE_WARNING, BACKLOG_CRITICAL,
    BACKLOG_WARNING, NOT_INITIALIZED_WARNING,
};
pub use status::{export_meaning, import_meaning};
pub use text::VerdictText;

/// A monitoring state. Ordered best to worst: OK < UNKNOWN < WARNING < CRITICAL.
pub type Level = nagiosplugin::ServiceState;

/// What a finding is about. The long output lists a module's status findings on the
/// module's own line (`Status`), every other finding on a line of its own.
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
///
/// The sentence opens with its headline, what the problem is in the fewest words (for a
/// status: `ConfServices.DataConf export ErrorState`); the rest explains and advises.
/// When the output must be short the explanation goes, the headline never.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub level: Level,
    pub subject: Subject,
    pub text: String,
    /// How many bytes of `text` are the headline.
    pub headline_len: usize,
}

impl Finding {
    /// A finding whose whole text is its headline.
    pub fn new(level: Level, subject: Subject, text: impl Into<String>) -> Self {
        let text = text.into();
        Finding {
            level,
            subject,
            headline_len: text.len(),
            text,
        }
    }

    /// A finding with a headline and, after it, the explanation (which brings its own
    /// separator: `" (why)"`, `": what to do"`).
    pub fn explained(
        level: Level,
        subject: Subject,
        headline: impl Into<String>,
        detail: &str,
    ) -> Self {
        let mut text = headline.into();
        let headline_len = text.len();
        text.push_str(detail);
        Finding {
            level,
            subject,
            text,
            headline_len,
        }
    }

    /// What the problem is, in the fewest words.
    pub fn headline(&self) -> &str {
        self.text.get(..self.headline_len).unwrap_or(&self.text)
    }

    /// Why, and what to do: what follows the headline.
    pub fn detail(&self) -> &str {
        self.text.get(self.headline_len..).unwrap_or_default()
    }
}

/// A list of names for a sentence: the first few, and how many more, so that a document
/// of 100,000 pools or modules does not become a sentence of 100,000 names.
fn name_list<'a>(names: impl ExactSizeIterator<Item = &'a str>) -> String {
    const SHOWN: usize = 5;
    let total = names.len();
    let mut list: Vec<&str> = names.take(SHOWN).collect();
    let more = format!("{} more", total.saturating_sub(SHOWN));
    if total > SHOWN {
        list.push(&more);
    }
    if list.is_empty() {
        "none".into()
    } else {
        list.join(", ")
    }
}

/// One status of one module, interpreted. The texts share the table's words where they
/// can: a document of 100,000 modules should not copy "import working" 100,000 times.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusVerdict {
    /// The value as the document gave it, e.g. `SteadyState` or `2`; a documented status
    /// always in the table's spelling.
    pub shown: VerdictText,
    pub level: Level,
    /// Why that level: the status's meaning, or what could not be interpreted.
    pub reason: VerdictText,
    /// How long it has lasted, when the collector's history tells.
    pub lasted: Option<Lasted>,
}

/// One module, both directions interpreted.
///
/// No larger than the [`Module`] it is made of (checked below): a pool's verdicts are
/// written over its module list as each module is evaluated, so that a document of many
/// modules is never held twice (`pool::evaluate_modules`).
#[derive(Debug, Clone, PartialEq)]
pub struct ModuleVerdict {
    pub name: String,
    pub export: StatusVerdict,
    pub import: StatusVerdict,
    pub other: Vec<(String, String)>,
}

// Where a verdict outgrows its module, the verdicts take a list of their own beside the
// modules': for 150,000 modules, 29 MB more at the peak and a tenth more time.
const _: () = assert!(
    std::mem::size_of::<ModuleVerdict>() <= std::mem::size_of::<Module>()
        && std::mem::align_of::<ModuleVerdict>() == std::mem::align_of::<Module>()
);

impl ModuleVerdict {
    pub fn level(&self) -> Level {
        self.export.level.max(self.import.level)
    }
}

/// A line that explains and judges nothing: what could not be checked, where a decision
/// came from. The report shows it from `verbosity` on, tagged as a note, never as a state.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// 0: what the operator should see at once (events that could not be read);
    /// 1: what the operator should know (an age not checked, a time set aside);
    /// 2: where each decision came from.
    pub verbosity: u8,
    pub text: String,
}

impl Note {
    /// What the operator should see without asking: shown at every verbosity, never a
    /// state (events that could not be read).
    pub fn always(text: impl Into<String>) -> Note {
        Note {
            verbosity: 0,
            text: text.into(),
        }
    }

    /// What the operator should know when looking closer (`-v`).
    pub fn notice(text: impl Into<String>) -> Note {
        Note {
            verbosity: 1,
            text: text.into(),
        }
    }

    /// Where a decision came from (`-vv`).
    pub fn source(text: impl Into<String>) -> Note {
        Note {
            verbosity: 2,
            text: text.into(),
        }
    }
}

/// A duration in seconds and the ranges it is judged by, for perfdata: the data's age,
/// how long the longest current backlog has lasted.
#[derive(Debug, Clone, PartialEq)]
pub struct Timed {
    pub seconds: i64,
    pub warning: String,
    pub critical: String,
}

/// The Backup Service's events as counted, for perfdata and the summary: present when
/// the document carries `BackupServiceEvents`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventCounts {
    pub errors: u64,
    pub warnings: u64,
    /// Whether the log was to be read and could not be: the counts are then 0 and say
    /// nothing. (The events of a pool whose log the collector does not read, another
    /// pool's server's, are not missing: they are elsewhere, and 0 here.)
    pub missing: bool,
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
    pub age: Option<Timed>,
    pub backlog: Option<Timed>,
    pub events: Option<EventCounts>,
    /// What could not be checked (`-v`) and where each decision came from (`-vv`).
    pub notes: Vec<Note>,
    pub other: Vec<(String, String)>,
}

/// The whole evaluation: what the report presents.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub pools: Vec<PoolVerdict>,
    /// Findings about the document as a whole (a selected pool missing, say).
    pub findings: Vec<Finding>,
    /// Where the document came from (`-vv`), pools it holds twice.
    pub notes: Vec<Note>,
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

/// Evaluates a document at time `now`.
///
/// The document is consumed: its module names and properties move into the evaluation,
/// so a large document is not held twice.
pub fn evaluate(document: Document, settings: &Settings, now: Timestamp) -> Evaluation {
    let mut findings = Vec::new();
    let mut notes = vec![Note::source(format!(
        "read {} as {}, {}",
        document.source,
        document.format.as_str(),
        document.encoding
    ))];
    notes.extend(
        select::repeated_pools(&document)
            .into_iter()
            .map(Note::source),
    );
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
        findings.push(Finding::explained(
            Level::Warning,
            Subject::Pool,
            "the Central Management Store is unavailable",
            ": the collector found no ActiveMasterFqdn \
             (check Get-CsManagementStoreReplicationStatus -CentralManagementStoreStatus)",
        ));
    }
    let selected = select::select_pools(&document, settings, &mut findings);
    let Document {
        mut pools,
        modified,
        ..
    } = document;
    let pools = selected
        .into_iter()
        .map(|(name, index)| {
            let pool = std::mem::take(&mut pools[index]);
            let role = cms::cms_role(&name, &pool, settings, document_master.as_deref());
            pool::evaluate_pool(name, pool, &role, modified, settings, now)
        })
        .collect();
    Evaluation {
        pools,
        findings,
        notes,
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.level, self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CollectedAt, Format, Module, Modules, Pool, Reported};

    fn now() -> Timestamp {
        "2026-11-28T12:00:00Z".parse().unwrap()
    }

    fn module(name: &str, export: &str, import: &str) -> Module {
        Module {
            name: name.into(),
            export: Reported::Name(export.to_owned().into()),
            import: Reported::Name(import.to_owned().into()),
            ..Module::default()
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
}
