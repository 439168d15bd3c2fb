//! The status document as plain data: pools, their backup modules and the statuses the
//! Backup Service reported, plus what a collector added around them.
//!
//! Every reader in `input/` produces these types and nothing downstream knows which
//! format the data came from. Values stay as the document gave them (a status that is a
//! number stays a number) so that `policy` can say precisely what it could not interpret.

use std::borrow::Cow;
use std::fmt;

/// One direction of replication that a backup module reports on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// This pool → its backup pool (`ExportStatus`).
    Export,
    /// The backup pool → this pool (`ImportStatus`).
    Import,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Export => "export",
            Direction::Import => "import",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The values `Get-CsBackupServiceStatus` documents for `ExportStatus`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportStatus {
    FinalState,
    SteadyState,
    NonSteadyState,
    NotInitialized,
    ErrorState,
}

/// The values `Get-CsBackupServiceStatus` documents for `ImportStatus`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportStatus {
    NormalState,
    ErrorState,
}

impl ExportStatus {
    pub const ALL: [ExportStatus; 5] = [
        ExportStatus::FinalState,
        ExportStatus::SteadyState,
        ExportStatus::NonSteadyState,
        ExportStatus::NotInitialized,
        ExportStatus::ErrorState,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            ExportStatus::FinalState => "FinalState",
            ExportStatus::SteadyState => "SteadyState",
            ExportStatus::NonSteadyState => "NonSteadyState",
            ExportStatus::NotInitialized => "NotInitialized",
            ExportStatus::ErrorState => "ErrorState",
        }
    }

    /// The documented value whose name this is, compared case-insensitively.
    pub fn from_name(name: &str) -> Option<ExportStatus> {
        named(Self::ALL, Self::as_str, name)
    }
}

impl ImportStatus {
    pub const ALL: [ImportStatus; 2] = [ImportStatus::NormalState, ImportStatus::ErrorState];

    pub fn as_str(&self) -> &'static str {
        match self {
            ImportStatus::NormalState => "NormalState",
            ImportStatus::ErrorState => "ErrorState",
        }
    }

    /// The documented value whose name this is, compared case-insensitively.
    pub fn from_name(name: &str) -> Option<ImportStatus> {
        named(Self::ALL, Self::as_str, name)
    }
}

/// The value of `all` whose name is `name`, compared case-insensitively and without the
/// spaces around it. The table's own spelling is tried first: nearly every document
/// writes it so, and a document of many modules asks for every status of every module.
fn named<T, const N: usize>(all: [T; N], as_str: fn(&T) -> &'static str, name: &str) -> Option<T> {
    let trimmed = name.trim();
    let index = all.iter().position(|s| as_str(s) == name).or_else(|| {
        all.iter()
            .position(|s| as_str(s).eq_ignore_ascii_case(trimmed))
    })?;
    all.into_iter().nth(index)
}

/// A status as the document gave it, before any interpretation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Reported {
    /// A name, trimmed (`"SteadyState"`, or a value nobody documented). A documented
    /// value spelled as documented is the table's own word, not a copy: a document of
    /// many modules holds two per module.
    Name(Cow<'static, str>),
    /// A number: Windows PowerShell 5.1 writes enums this way in `ConvertTo-Json`,
    /// and their numeric values are not published, so it is never guessed into a name.
    Number(String),
    /// The property is absent or null.
    #[default]
    Missing,
    /// Present with a type a status cannot have (an object, a list, a boolean); the text
    /// says what it was.
    Malformed(String),
    /// Present but cut short by the text view (`NonSteadySt...`).
    Truncated(String),
}

impl Reported {
    /// A status the document gives as text: a whole number is a number whichever way it
    /// came (a JSON string `"2"`, a CLIXML enum without a name, a table cell), since
    /// nothing tells which status a number stands for; anything else is a name.
    pub fn from_text(text: &str, max: usize) -> Reported {
        let text = text.trim();
        if is_whole_number(text) {
            Reported::Number(clip(text, max))
        } else {
            Reported::name(text, max)
        }
    }

    /// The status named `text` (trimmed already): the documented word itself when `text`
    /// spells a documented value exactly, else a copy of at most `max` characters.
    pub fn name(text: &str, max: usize) -> Reported {
        let documented = ExportStatus::ALL
            .iter()
            .map(ExportStatus::as_str)
            .chain(ImportStatus::ALL.iter().map(ImportStatus::as_str))
            .find(|word| *word == text);
        Reported::Name(match documented {
            Some(word) => Cow::Borrowed(word),
            None => Cow::Owned(clip(text, max)),
        })
    }
}

/// Digits, with an optional sign: how an enum's number is written.
pub fn is_whole_number(text: &str) -> bool {
    let digits = text.trim();
    let digits = digits.strip_prefix(['-', '+']).unwrap_or(digits);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// One backup module of a pool (`$status.BackupModules`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Module {
    /// `Identity` (else `ModuleName`, else `Name`), e.g. `ConfServices.DataConf`.
    pub name: String,
    pub export: Reported,
    pub import: Reported,
    /// `ExportStatusSince`: when the collector first saw the current export status.
    pub export_since: Option<Stamp>,
    /// `ImportStatusSince`: the same for the import status.
    pub import_since: Option<Stamp>,
    /// Every other property, name and compact value, for `-vvv`.
    pub other: Vec<(String, String)>,
}

/// A time the collector wrote to carry history forward (`HistorySince`,
/// `ExportStatusSince`, ...): always UTC ISO 8601 from the collector, but a document can
/// come from anywhere, so what is not an instant is kept to be named, never guessed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stamp {
    At(jiff::Timestamp),
    /// Present but not a time with an offset: the raw text, clipped.
    Unreadable(String),
}

/// The most Backup Service events of one level (errors, warnings) the collector reads in
/// one window (`$MaxEvents` in Collect-CsBackupStatus.ps1): a count of that many means at
/// least that many, and no document's count is taken as more, so that what the output
/// says and the room it takes do not depend on a number a document may inflate.
pub const EVENTS_READ_AT_MOST: u64 = 500;

/// What the collector found in the Backup Service's event log (`BackupServiceEvents`):
/// its Error and Warning events between the previous collection and this one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceEvents {
    /// `LogName`: where the events were looked for.
    pub log_name: Option<String>,
    /// `Computer`: the server whose log it is.
    pub computer: Option<String>,
    /// `Since`: the start of the window the log was read over.
    pub since: Option<Stamp>,
    pub reading: EventReading,
}

/// Whether the log was read, and what it held.
#[derive(Debug, Clone, PartialEq)]
pub enum EventReading {
    Read {
        /// `Errors` (Critical and Error events) and `Warnings`.
        errors: u64,
        warnings: u64,
        /// `Latest`: the newest events, newest first.
        latest: Vec<ServiceEvent>,
        /// `Note`: why there were none to read (the source is not on that server).
        note: Option<String>,
    },
    /// `Error`: the log could not be read (access denied...), or the document's events
    /// could not be understood: the reason.
    NotRead(String),
    /// `Elsewhere`: the log read was another pool's server's; this pool's events are in
    /// the logs of its own front ends: why, as the collector says it.
    Elsewhere(String),
}

impl Default for EventReading {
    fn default() -> Self {
        EventReading::NotRead("the document's BackupServiceEvents says nothing".into())
    }
}

/// One event of the Backup Service, as the collector kept it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceEvent {
    /// The event id, e.g. `4069`.
    pub id: String,
    /// `Error`, `Warning` (or `Critical`).
    pub level: String,
    pub time: Option<Stamp>,
    /// The first line of its message, clipped.
    pub message: String,
}

/// A `BackupModules` element that is not a module object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DamagedModule {
    /// A string where an object belongs: `ConvertTo-Json` cut the depth and wrote the
    /// type name instead of the module.
    DepthCut(String),
    /// Anything else (a number, a list, null); the text says what it was.
    NotAnObject(String),
}

/// What the document says about the `BackupModules` of a pool.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Modules {
    /// No `BackupModules` property, or `null`.
    #[default]
    Absent,
    /// The modules, and the elements that could not be read as modules.
    Listed {
        modules: Vec<Module>,
        damaged: Vec<DamagedModule>,
    },
    /// A string instead of a list: `ConvertTo-Json` cut the depth above the modules.
    DepthCut(String),
}

/// When the data was collected, as the document gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CollectedAt {
    /// An instant: a time with a UTC offset, `\/Date(ms)\/`, or a Unix time.
    At(jiff::Timestamp),
    /// A date and time without a UTC offset (a `DateTime` of unspecified kind, as
    /// PowerShell 7 writes it, or `Get-Date -Format s`): the zone it was written in, and
    /// so the instant, is unknown. The raw text.
    Zoneless(String),
    /// Present but not a time (null, empty, or text no reader knows): the raw text.
    Unreadable(String),
}

/// One `Get-CsBackupServiceStatus` result, with whatever a collector added to it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pool {
    /// `PoolFqdn` when the document names it.
    pub fqdn: Option<String>,
    pub modules: Modules,
    pub overall_export: Option<Reported>,
    pub overall_import: Option<Reported>,
    /// `ActiveMasterFqdn`, the pool hosting the active CMS: `Some("")` means the
    /// collector found the CMS unavailable.
    pub active_master_fqdn: Option<String>,
    /// `ActiveMasterServerFqdn`: the server the CMS status named, which the collector
    /// resolved to its pool (`active_master_fqdn`). Shown, never compared with a pool.
    pub active_master_server_fqdn: Option<String>,
    /// `ActiveMasterFqdnError`: why the collector could not tell the active CMS master.
    pub active_master_error: Option<String>,
    pub collected_at: Option<CollectedAt>,
    pub computer_name: Option<String>,
    pub collector_version: Option<String>,
    /// The collector's `Error`: collection failed, modules may be absent.
    pub error: Option<String>,
    /// `Warnings`: what PowerShell warned while collecting. Shown at `-v`; a warning is
    /// not a failure, so it never changes the state.
    pub warnings: Vec<String>,
    /// `OverallExportStatusSince` / `OverallImportStatusSince`: when the collector first
    /// saw the overall statuses.
    pub overall_export_since: Option<Stamp>,
    pub overall_import_since: Option<Stamp>,
    /// `HistorySince`: when the collector's unbroken chain of documents for this pool
    /// began. A status first seen at or before it may have begun earlier.
    pub history_since: Option<Stamp>,
    /// `HistoryRestart`: why that chain began again at this collection.
    pub history_restart: Option<String>,
    /// `BackupServiceEvents`: the Backup Service's own events since the last collection.
    pub events: Option<ServiceEvents>,
    /// Every other top-level property, for `-vvv`.
    pub other: Vec<(String, String)>,
}

/// The format a document was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Clixml,
    Text,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::Clixml => "CLIXML",
            Format::Text => "PowerShell text",
        }
    }
}

/// A whole status document: one or more pools, and how it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub pools: Vec<Pool>,
    pub format: Format,
    /// The text encoding found, e.g. `UTF-16LE with BOM`.
    pub encoding: String,
    /// Where the data came from, for messages: a path, or `standard input`.
    pub source: String,
    /// The file's modification time: the data's age when no `CollectedAt` says better.
    pub modified: Option<jiff::Timestamp>,
}

/// Compares two module names (`ConfServices.DataConf`) as the operator means them: letter
/// case and the spaces around do not matter.
pub fn same_module(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Compares two FQDNs the way DNS does: letter case and a trailing dot do not matter.
pub fn same_fqdn(a: &str, b: &str) -> bool {
    a.trim()
        .trim_end_matches('.')
        .eq_ignore_ascii_case(b.trim().trim_end_matches('.'))
}

/// An FQDN in the one spelling [`same_fqdn`] treats all its spellings as.
pub fn fqdn_key(fqdn: &str) -> String {
    fqdn.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// At most `max` characters of `text`, with `...` where it was cut.
pub fn clip(text: &str, max: usize) -> String {
    // No more bytes than `max` means no more characters: nothing to count.
    if text.len() <= max {
        return text.to_owned();
    }
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((cut, _)) => format!("{}...", &text[..cut]),
    }
}

/// A duration the way an operator reads it: `42 s`, `12 min`, `3 h 5 min`, `2 d 4 h`.
pub fn duration(seconds: i64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s => format!("{} d {} h", s / 86400, s % 86400 / 3600),
    }
}

/// The first line of `text` that holds more than white space, trimmed, clipped to `max`
/// characters: what a message says first, for one line of output.
pub fn first_line(text: &str, max: usize) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    clip(line, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(42), "42 s");
        assert_eq!(duration(720), "12 min");
        assert_eq!(duration(3 * 3600 + 300), "3 h 5 min");
        assert_eq!(duration(2 * 86400 + 4 * 3600), "2 d 4 h");
    }

    #[test]
    fn the_first_line_that_says_something() {
        assert_eq!(
            first_line("\r\n  Cannot update.\r\nDetails", 40),
            "Cannot update."
        );
        assert_eq!(first_line("abcdef", 3), "abc...");
        assert_eq!(first_line(" \n ", 3), "");
    }

    #[test]
    fn clips_on_character_boundaries() {
        assert_eq!(clip("äöü", 2), "äö...");
        assert_eq!(clip("abc", 3), "abc");
    }

    #[test]
    fn whole_numbers_are_numbers_wherever_they_come_from() {
        assert_eq!(
            Reported::from_text(" 2 ", 512),
            Reported::Number("2".into())
        );
        assert_eq!(
            Reported::from_text("-1", 512),
            Reported::Number("-1".into())
        );
        assert_eq!(
            Reported::from_text("SteadyState", 512),
            Reported::Name("SteadyState".into())
        );
        assert_eq!(Reported::from_text("2a", 512), Reported::Name("2a".into()));
        assert!(!is_whole_number("-") && !is_whole_number(""));
    }

    #[test]
    fn documented_status_names_are_shared_and_others_copied_and_clipped() {
        for word in ["SteadyState", "NonSteadyState", "NormalState", "ErrorState"] {
            assert!(matches!(
                Reported::name(word, 512),
                Reported::Name(Cow::Borrowed(w)) if w == word
            ));
        }
        // Another spelling is what the document said: kept as it was, compared later.
        assert!(matches!(
            Reported::name("steadystate", 512),
            Reported::Name(Cow::Owned(s)) if s == "steadystate"
        ));
        assert_eq!(
            Reported::name(&"x".repeat(600), 512),
            Reported::Name(format!("{}...", "x".repeat(512)).into())
        );
    }

    #[test]
    fn fqdns_compare_like_dns() {
        assert!(same_fqdn("Pool01.Contoso.com.", "pool01.contoso.com"));
        assert!(!same_fqdn("pool01.contoso.com", "pool01.contoso.co"));
        assert_eq!(
            fqdn_key(" Pool01.Contoso.com. "),
            fqdn_key("pool01.contoso.com")
        );
    }
}
