//! JSON → pools: `ConvertTo-Json` output of `Get-CsBackupServiceStatus`, raw or with the
//! collector's fields, in every shape Windows PowerShell 5.1 is known to write.
//!
//! Shapes: one status object; a list of them (several pools); a bare module list
//! (`$s.BackupModules | ConvertTo-Json`); a single module unrolled into an object; any
//! list wrapped as `{"value":[...],"Count":N}`. Property names compare case-insensitively.

mod events;
mod tree;

pub(super) use tree::{Node, Object};

use super::{answer, scalar};
use crate::model::{clip, CollectedAt, DamagedModule, Module, Modules, Pool, Reported, Stamp};

/// Reads a JSON status document into its pools.
pub fn read(source: &str) -> Result<Vec<Pool>, String> {
    if answer::is_answer(source) {
        return read_answer(source);
    }
    let value = tree::parse(source).map_err(|e| {
        let hint = if e.is_eof() {
            "the document ends too early: was it cut short while being written?"
        } else {
            "is this the output of Get-CsBackupServiceStatus piped to ConvertTo-Json -Depth 5?"
        };
        format!("not valid JSON ({e}), {hint}")
    })?;
    match unwrap_list(value) {
        Node::Array(items) => read_list(items),
        Node::Object(map) if is_status_object(&map) => Ok(vec![read_pool(map)]),
        Node::Object(map) if is_module_object(&map) => {
            Ok(vec![bare_modules(vec![Node::Object(map)])])
        }
        Node::Object(map) => Err(format!(
            "a JSON object that is not a Backup Service status (properties: {}), expected \
             the output of Get-CsBackupServiceStatus piped to ConvertTo-Json -Depth 5",
            property_list(&map)
        )),
        other => Err(format!(
            "{}, not a Backup Service status object, expected the output of \
             Get-CsBackupServiceStatus piped to ConvertTo-Json -Depth 5",
            describe(&other)
        )),
    }
}

/// The collector script's own file (written stand-alone, where the binary does not run):
/// decided as `check_csbackup collect` decides, then read as its pool objects.
fn read_answer(source: &str) -> Result<Vec<Pool>, String> {
    let value: serde_json::Value = serde_json::from_str(source.trim_start_matches('\u{feff}'))
        .map_err(|e| format!("a collector answer that is not valid JSON ({e})"))?;
    let objects = answer::Answer::parse(value)?.pool_objects();
    if objects.is_empty() {
        return Err("a collector answer that holds no pool".into());
    }
    Ok(objects
        .into_iter()
        .filter_map(
            |object| match Node::from(serde_json::Value::Object(object)) {
                Node::Object(map) => Some(read_pool(map)),
                _ => None,
            },
        )
        .collect())
}

fn read_list(items: Vec<Node>) -> Result<Vec<Pool>, String> {
    if items.is_empty() {
        return Err("an empty JSON list: it holds no pool and no module (did Get-CsBackupServiceStatus return nothing?)".into());
    }
    let statuses = items
        .iter()
        .filter(|v| matches!(v, Node::Object(m) if is_status_object(m)))
        .count();
    if statuses == 0 {
        return Ok(vec![bare_modules(items)]);
    }
    if statuses != items.len() {
        return Err(format!(
            "a JSON list mixing {statuses} status objects with {} other elements, expected a list of Get-CsBackupServiceStatus results",
            items.len() - statuses
        ));
    }
    // Allocated at its size: growing a list of 100,000 pools by doubling copies it.
    let mut pools = Vec::with_capacity(items.len());
    for item in items {
        if let Node::Object(map) = item {
            pools.push(read_pool(map));
        }
    }
    Ok(pools)
}

/// PowerShell 5.1 sometimes writes a list as `{"value":[...],"Count":N}`.
fn unwrap_list(value: Node) -> Node {
    match value {
        Node::Object(mut map)
            if (map.len() == 2 && has(&map, "count") || map.len() == 1) && has(&map, "value") =>
        {
            match map
                .iter()
                .position(|(k, v)| key_is(k, "value") && matches!(v, Node::Array(_)))
            {
                Some(at) => map.swap_remove(at).1,
                None => Node::Object(map),
            }
        }
        other => other,
    }
}

fn key_is(key: &str, lower: &str) -> bool {
    key.trim().eq_ignore_ascii_case(lower)
}

fn has(map: &Object, lower: &str) -> bool {
    map.iter().any(|(k, _)| key_is(k, lower))
}

/// The field a property name stands for, compared trimmed and case-insensitively
/// (without allocating a lowercase copy of every name).
fn field(key: &str, fields: &[&'static str]) -> &'static str {
    let key = key.trim();
    fields
        .iter()
        .copied()
        .find(|f| key.eq_ignore_ascii_case(f))
        .unwrap_or("")
}

const POOL_FIELDS: [&str; 17] = [
    "backupmodules",
    "poolfqdn",
    "overallexportstatus",
    "overallimportstatus",
    "overallexportstatussince",
    "overallimportstatussince",
    "historysince",
    "historyrestart",
    "backupserviceevents",
    "activemasterfqdn",
    "activemasterserverfqdn",
    "activemasterfqdnerror",
    "collectedat",
    "computername",
    "collectorversion",
    "error",
    "warnings",
];

const STATUS_KEYS: [&str; 7] = [
    "backupmodules",
    "poolfqdn",
    "overallexportstatus",
    "overallimportstatus",
    "error",
    "collectedat",
    "activemasterfqdn",
];
const MODULE_FIELDS: [&str; 7] = [
    "identity",
    "exportstatus",
    "importstatus",
    "exportstatussince",
    "importstatussince",
    "modulename",
    "name",
];
/// What makes an object a module: `ModuleName` and `Name` alone say nothing.
const MODULE_KEYS: [&str; 3] = ["identity", "exportstatus", "importstatus"];

pub(super) fn is_status_object(map: &Object) -> bool {
    map.iter().any(|(k, _)| !field(k, &STATUS_KEYS).is_empty())
}

pub(super) fn is_module_object(map: &Object) -> bool {
    map.iter().any(|(k, _)| !field(k, &MODULE_KEYS).is_empty())
}

fn property_list(map: &Object) -> String {
    if map.is_empty() {
        return "none".into();
    }
    let names: Vec<&str> = map.iter().take(6).map(|(k, _)| k.as_ref()).collect();
    let more = if map.len() > 6 { ", ..." } else { "" };
    clip(&format!("{}{more}", names.join(", ")), 60)
}

fn bare_modules(items: Vec<Node>) -> Pool {
    Pool {
        modules: read_modules(Node::Array(items)),
        ..Pool::default()
    }
}

pub(super) fn read_pool(map: Object) -> Pool {
    let mut pool = Pool::default();
    for (key, value) in map {
        // The first of several case variants wins; the others are kept for `-vvv`.
        match field(&key, &POOL_FIELDS) {
            "backupmodules" if pool.modules == Modules::Absent => {
                pool.modules = read_modules(value)
            }
            "poolfqdn" if pool.fqdn.is_none() => {
                pool.fqdn = string(&value).filter(|f| !f.is_empty())
            }
            "overallexportstatus" if pool.overall_export.is_none() => {
                pool.overall_export = Some(status(&value))
            }
            "overallimportstatus" if pool.overall_import.is_none() => {
                pool.overall_import = Some(status(&value))
            }
            "overallexportstatussince" if pool.overall_export_since.is_none() => {
                pool.overall_export_since = stamp(&value)
            }
            "overallimportstatussince" if pool.overall_import_since.is_none() => {
                pool.overall_import_since = stamp(&value)
            }
            "historysince" if pool.history_since.is_none() => pool.history_since = stamp(&value),
            "historyrestart" if pool.history_restart.is_none() => {
                pool.history_restart = string(&value).filter(|r| !r.is_empty())
            }
            "backupserviceevents" if pool.events.is_none() => pool.events = events::read(&value),
            "activemasterfqdn" if pool.active_master_fqdn.is_none() => {
                pool.active_master_fqdn = match &value {
                    Node::Null => Some(String::new()),
                    v => string(v),
                }
            }
            "activemasterserverfqdn" if pool.active_master_server_fqdn.is_none() => {
                pool.active_master_server_fqdn = string(&value).filter(|f| !f.is_empty())
            }
            "activemasterfqdnerror" if pool.active_master_error.is_none() => {
                pool.active_master_error = match &value {
                    Node::Null => None,
                    v => Some(string(v).unwrap_or_else(|| compact(v))),
                }
            }
            "warnings" if pool.warnings.is_empty() => pool.warnings = warnings(value),
            "collectedat" if pool.collected_at.is_none() => {
                pool.collected_at = Some(collected_at(&value))
            }
            "computername" if pool.computer_name.is_none() => pool.computer_name = string(&value),
            "collectorversion" if pool.collector_version.is_none() => {
                pool.collector_version = string(&value)
            }
            "error" if pool.error.is_none() && !value.is_null() => {
                pool.error = Some(string(&value).unwrap_or_else(|| compact(&value)))
            }
            _ => pool.other.push((key.into_owned(), compact(&value))),
        }
    }
    pool
}

pub(super) fn read_modules(value: Node) -> Modules {
    let items = match unwrap_list(value) {
        // Read while parsing: see `tree::ModulesSeed`.
        Node::Modules(read) => return *read,
        Node::Null => return Modules::Absent,
        Node::String(s) => return Modules::DepthCut(clip(&s, LONGEST)),
        Node::Array(items) => items,
        single @ Node::Object(_) => vec![single],
        other => {
            return Modules::Listed {
                modules: vec![],
                damaged: vec![DamagedModule::NotAnObject(describe(&other))],
            }
        }
    };
    let mut list = ModuleList::default();
    list.modules.reserve_exact(items.len());
    for item in items {
        list.push(item);
    }
    list.finish()
}

/// A `BackupModules` list being read one element at a time, so that the parser can hand
/// over each module as soon as it has read it.
#[derive(Default)]
struct ModuleList {
    modules: Vec<Module>,
    damaged: Vec<DamagedModule>,
    index: usize,
}

impl ModuleList {
    fn push(&mut self, item: Node) {
        match item {
            Node::Object(map) => self.modules.push(read_module(map, self.index)),
            Node::String(s) => self
                .damaged
                .push(DamagedModule::DepthCut(clip(&s, LONGEST))),
            other => self
                .damaged
                .push(DamagedModule::NotAnObject(describe(&other))),
        }
        self.index += 1;
    }

    fn finish(mut self) -> Modules {
        self.modules.shrink_to_fit();
        Modules::Listed {
            modules: self.modules,
            damaged: self.damaged,
        }
    }
}

fn read_module(map: Object, index: usize) -> Module {
    let mut module = Module::default();
    let (mut identity, mut module_name, mut name) = (None, None, None);
    let mut export = None;
    let mut import = None;
    for (key, value) in map {
        match field(&key, &MODULE_FIELDS) {
            "identity" if identity.is_none() => identity = Some(name_of(&value)),
            "modulename" if module_name.is_none() => module_name = Some(name_of(&value)),
            "name" if name.is_none() => name = Some(name_of(&value)),
            "exportstatus" if export.is_none() => export = Some(status(&value)),
            "importstatus" if import.is_none() => import = Some(status(&value)),
            "exportstatussince" if module.export_since.is_none() => {
                module.export_since = stamp(&value)
            }
            "importstatussince" if module.import_since.is_none() => {
                module.import_since = stamp(&value)
            }
            _ => module.other.push((key.into_owned(), compact(&value))),
        }
    }
    module.name = [identity, module_name, name]
        .into_iter()
        .flatten()
        .find(|n| !n.is_empty())
        .unwrap_or_else(|| format!("unnamed module #{}", index + 1));
    module.export = export.unwrap_or(Reported::Missing);
    module.import = import.unwrap_or(Reported::Missing);
    module
}

/// A module's name: a string, or the compact text of whatever `Identity` was.
fn name_of(value: &Node) -> String {
    string(value).unwrap_or_else(|| match value {
        Node::Null => String::new(),
        v => compact(v),
    })
}

fn status(value: &Node) -> Reported {
    match value {
        Node::Null => Reported::Missing,
        Node::String(s) if s.trim().is_empty() => Reported::Missing,
        Node::String(s) => Reported::from_text(s, LONGEST),
        Node::Number(n) => Reported::Number(n.to_string()),
        other => Reported::Malformed(describe(other)),
    }
}

/// A time the collector wrote (`HistorySince`, `ExportStatusSince`, ...); null is absent.
/// Read as `CollectedAt` is: with an offset, `\/Date(ms)\/` (also in `Get-Date`'s
/// object), or a Unix time; a time without an offset is no instant.
fn stamp(value: &Node) -> Option<Stamp> {
    if matches!(value, Node::Null) {
        return None;
    }
    Some(match collected_at(value) {
        CollectedAt::At(at) => Stamp::At(at),
        CollectedAt::Zoneless(raw) | CollectedAt::Unreadable(raw) => {
            Stamp::Unreadable(clip(raw.trim(), 80))
        }
    })
}

/// The most warnings kept of a pool: the collector keeps ten, a longer list is not one
/// it wrote, and the long output must stay readable.
const MOST_WARNINGS: usize = 20;

/// `Warnings`: a list of texts (or one text), each clipped, at most [`MOST_WARNINGS`].
fn warnings(value: Node) -> Vec<String> {
    let items = match unwrap_list(value) {
        Node::Array(items) => items,
        Node::Null => vec![],
        other => vec![other],
    };
    let total = items.len();
    let mut kept: Vec<String> = items
        .iter()
        .take(MOST_WARNINGS)
        .map(|item| string(item).unwrap_or_else(|| compact(item)))
        .filter(|text| !text.is_empty())
        .collect();
    if total > MOST_WARNINGS {
        kept.push(format!("... and {} more", total - MOST_WARNINGS));
    }
    kept
}

fn collected_at(value: &Node) -> CollectedAt {
    match value {
        Node::String(s) => scalar::collected_at_text(s),
        Node::Number(n) => n
            .as_f64()
            .and_then(scalar::unix_time)
            .map(CollectedAt::At)
            .unwrap_or_else(|| CollectedAt::Unreadable(clip(&n.to_string(), 80))),
        // `Get-Date | ConvertTo-Json` in 5.1: {"value":"\/Date(..)\/","DisplayHint":2,...}
        Node::Object(map) => match map.iter().find(|(k, _)| key_is(k, "value")) {
            Some((_, inner)) => collected_at(inner),
            None => CollectedAt::Unreadable(clip(&compact(value), 80)),
        },
        other => CollectedAt::Unreadable(clip(&compact(other), 80)),
    }
}

/// The most characters kept of any text the document gives: an FQDN has at most 253,
/// an error message rarely more; a megabyte-long "name" must not become the output.
const LONGEST: usize = 512;

fn string(value: &Node) -> Option<String> {
    match value {
        Node::String(s) => Some(clip(s.trim(), LONGEST)),
        _ => None,
    }
}

fn compact(value: &Node) -> String {
    match value {
        Node::String(s) => clip(s, 200),
        Node::Modules(_) => format!("({})", describe(value)),
        other => clip(&other.to_string(), 200),
    }
}

fn describe(value: &Node) -> String {
    match value {
        Node::Null => "null".into(),
        Node::Bool(b) => format!("the boolean {b}"),
        Node::Number(n) => format!("the number {n}"),
        Node::String(s) => format!("the text '{}'", clip(s, 60)),
        Node::Array(a) => format!("a list of {} elements", a.len()),
        Node::Object(_) => "an object".into(),
        Node::Modules(read) => format!("a list of {} backup modules", tree::count(read)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modules(pool: &Pool) -> &[Module] {
        match &pool.modules {
            Modules::Listed { modules, .. } => modules,
            other => panic!("expected modules, got {other:?}"),
        }
    }

    #[test]
    fn the_collectors_times_are_read_in_every_form_collected_at_is() {
        let pools = read(
            r#"{"PoolFqdn":"p","HistorySince":1764385800,"BackupModules":[
                {"Identity":"A","ExportStatus":"SteadyState","ImportStatus":"NormalState",
                 "ExportStatusSince":{"value":"\/Date(1764385800000)\/","DisplayHint":2},
                 "ImportStatusSince":"2025-11-29T03:10:00"}]}"#,
        )
        .unwrap();
        let at = jiff::Timestamp::from_second(1_764_385_800).unwrap();
        assert_eq!(pools[0].history_since, Some(Stamp::At(at)));
        let m = &modules(&pools[0])[0];
        // `Get-Date | ConvertTo-Json`'s object, as for CollectedAt.
        assert_eq!(m.export_since, Some(Stamp::At(at)));
        // Without an offset the instant is unknown: never taken for one.
        assert_eq!(
            m.import_since,
            Some(Stamp::Unreadable("2025-11-29T03:10:00".into()))
        );
    }

    #[test]
    fn reads_a_status_object_in_any_letter_case() {
        let pools = read(
            r#"{"poolfqdn":" pool01.contoso.com ","BACKUPMODULES":[
                {"IDENTITY":"ConfServices.DataConf","exportstatus":" steadystate ","ImportStatus":"NormalState","Extra":1}],
                "Unknown":{"a":1}}"#,
        )
        .unwrap();
        assert_eq!(pools.len(), 1);
        assert_eq!(pools[0].fqdn.as_deref(), Some("pool01.contoso.com"));
        let m = &modules(&pools[0])[0];
        assert_eq!(m.name, "ConfServices.DataConf");
        assert_eq!(m.export, Reported::Name("steadystate".into()));
        assert_eq!(m.other, vec![("Extra".to_string(), "1".to_string())]);
        assert_eq!(
            pools[0].other,
            vec![("Unknown".to_string(), r#"{"a":1}"#.to_string())]
        );
    }

    #[test]
    fn reads_the_powershell_list_quirks() {
        let wrapped = read(r#"{"PoolFqdn":"p","BackupModules":{"value":[{"Identity":"A"},{"Identity":"B"}],"Count":2}}"#).unwrap();
        assert_eq!(modules(&wrapped[0]).len(), 2);
        let unrolled = read(
            r#"{"PoolFqdn":"p","BackupModules":{"Identity":"A","ExportStatus":"FinalState"}}"#,
        )
        .unwrap();
        assert_eq!(modules(&unrolled[0])[0].name, "A");
        let bare = read(r#"[{"Identity":"A","ExportStatus":2,"ImportStatus":null}]"#).unwrap();
        assert_eq!(bare[0].fqdn, None);
        assert_eq!(modules(&bare[0])[0].export, Reported::Number("2".into()));
        assert_eq!(modules(&bare[0])[0].import, Reported::Missing);
        let single = read(r#"{"ModuleName":"A","ExportStatus":"x"}"#).unwrap();
        assert_eq!(modules(&single[0])[0].name, "A");
        let two = read(r#"{"value":[{"PoolFqdn":"a"},{"PoolFqdn":"b"}],"Count":2}"#).unwrap();
        assert_eq!(two.len(), 2);
    }

    #[test]
    fn reads_module_lists_while_parsing_and_the_first_wins() {
        let pools = read(
            r#"{"PoolFqdn":"p","BackupModules":[{"Identity":"A","BackupModules":[1,2]},"Cut",7],
                "backupmodules":[{"Identity":"B"}]}"#,
        )
        .unwrap();
        let Modules::Listed { modules, damaged } = &pools[0].modules else {
            panic!("expected modules, got {:?}", pools[0].modules)
        };
        assert_eq!(modules.len(), 1);
        assert_eq!(modules[0].name, "A");
        assert_eq!(
            modules[0].other,
            vec![(
                "BackupModules".to_string(),
                "(a list of 2 backup modules)".to_string()
            )]
        );
        assert_eq!(damaged.len(), 2);
        assert_eq!(
            pools[0].other,
            vec![(
                "backupmodules".to_string(),
                "(a list of 1 backup modules)".to_string()
            )]
        );
    }

    #[test]
    fn keeps_depth_cuts_as_damage() {
        let cut =
            read(r#"{"PoolFqdn":"p","BackupModules":"Microsoft.Rtc.Management.BackupModule[]"}"#)
                .unwrap();
        assert!(matches!(cut[0].modules, Modules::DepthCut(_)));
        let elems =
            read(r#"{"PoolFqdn":"p","BackupModules":["Microsoft.Rtc.BackupModule"]}"#).unwrap();
        assert!(matches!(&elems[0].modules, Modules::Listed { damaged, .. } if damaged.len() == 1));
    }

    #[test]
    fn reads_collector_fields() {
        let pools = read(
            r#"{"PoolFqdn":"p","CollectedAt":{"value":"\/Date(1732755600000)\/","DisplayHint":2},
                "ActiveMasterFqdn":null,"Error":"Access denied","ComputerName":"FE01"}"#,
        )
        .unwrap();
        let p = &pools[0];
        assert_eq!(
            p.collected_at,
            Some(CollectedAt::At(
                jiff::Timestamp::from_millisecond(1732755600000).unwrap()
            ))
        );
        assert_eq!(p.active_master_fqdn.as_deref(), Some(""));
        assert_eq!(p.error.as_deref(), Some("Access denied"));
        assert_eq!(p.modules, Modules::Absent);
    }

    #[test]
    fn reads_the_cms_master_fields_and_warnings() {
        let pools = read(
            r#"{"PoolFqdn":"p","ActiveMasterFqdn":"pool01.contoso.com",
                "ActiveMasterServerFqdn":"fe01.contoso.com","ActiveMasterFqdnError":null,
                "Warnings":["WARNING: slow","",{"Message":"odd"}]}"#,
        )
        .unwrap();
        let p = &pools[0];
        assert_eq!(p.active_master_fqdn.as_deref(), Some("pool01.contoso.com"));
        assert_eq!(
            p.active_master_server_fqdn.as_deref(),
            Some("fe01.contoso.com")
        );
        assert_eq!(p.active_master_error, None);
        assert_eq!(p.warnings, vec!["WARNING: slow", r#"{"Message":"odd"}"#]);
        assert!(p.other.is_empty(), "{:?}", p.other);
        let failed =
            read(r#"{"PoolFqdn":"p","ActiveMasterFqdnError":"denied","Warnings":"one"}"#).unwrap();
        assert_eq!(failed[0].active_master_error.as_deref(), Some("denied"));
        assert_eq!(failed[0].warnings, vec!["one"]);
        let many: Vec<String> = (0..30).map(|i| format!("\"w{i}\"")).collect();
        let many = read(&format!(
            r#"{{"PoolFqdn":"p","Warnings":[{}]}}"#,
            many.join(",")
        ))
        .unwrap();
        assert_eq!(many[0].warnings.len(), MOST_WARNINGS + 1);
        assert_eq!(many[0].warnings.last().unwrap(), "... and 10 more");
    }

    #[test]
    fn refuses_other_shapes() {
        assert!(read("42").unwrap_err().contains("the number 42"));
        assert!(read(r#"{"foo":1}"#)
            .unwrap_err()
            .contains("properties: foo"));
        assert!(read("[]").unwrap_err().contains("empty JSON list"));
        assert!(read(r#"{"PoolFqdn":"a""#)
            .unwrap_err()
            .contains("cut short"));
        assert!(read(r#"[{"PoolFqdn":"a"},3]"#)
            .unwrap_err()
            .contains("mixing"));
    }
}
