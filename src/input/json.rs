//! JSON → pools: `ConvertTo-Json` output of `Get-CsBackupServiceStatus`, raw or with the
//! collector's fields, in every shape Windows PowerShell 5.1 is known to write.
//!
//! Shapes: one status object; a list of them (several pools); a bare module list
//! (`$s.BackupModules | ConvertTo-Json`); a single module unrolled into an object; any
//! list wrapped as `{"value":[...],"Count":N}`. Property names compare case-insensitively.

use serde_json::{Map, Value};

use super::scalar;
use crate::model::{clip, CollectedAt, DamagedModule, Module, Modules, Pool, Reported};

/// Reads a JSON status document into its pools.
pub fn read(source: &str) -> Result<Vec<Pool>, String> {
    let value: Value = serde_json::from_str(source).map_err(|e| {
        let hint = if e.is_eof() {
            "the document ends too early: was it cut short while being written?"
        } else {
            "is this the output of Get-CsBackupServiceStatus piped to ConvertTo-Json -Depth 5?"
        };
        format!("not valid JSON ({e}), {hint}")
    })?;
    match unwrap_list(value) {
        Value::Array(items) => read_list(items),
        Value::Object(map) if is_status_object(&map) => Ok(vec![read_pool(map)]),
        Value::Object(map) if is_module_object(&map) => {
            Ok(vec![bare_modules(vec![Value::Object(map)])])
        }
        Value::Object(map) => Err(format!(
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

fn read_list(items: Vec<Value>) -> Result<Vec<Pool>, String> {
    if items.is_empty() {
        return Err("an empty JSON list: it holds no pool and no module (did Get-CsBackupServiceStatus return nothing?)".into());
    }
    let statuses = items
        .iter()
        .filter(|v| matches!(v, Value::Object(m) if is_status_object(m)))
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
    Ok(items
        .into_iter()
        .filter_map(|v| match v {
            Value::Object(map) => Some(read_pool(map)),
            _ => None,
        })
        .collect())
}

/// PowerShell 5.1 sometimes writes a list as `{"value":[...],"Count":N}`.
fn unwrap_list(value: Value) -> Value {
    match value {
        Value::Object(mut map)
            if (map.len() == 2 && has(&map, "count") || map.len() == 1) && has(&map, "value") =>
        {
            let key = map
                .keys()
                .find(|k| key_is(k, "value"))
                .cloned()
                .unwrap_or_default();
            match map.remove(&key) {
                Some(inner @ Value::Array(_)) => inner,
                Some(inner) => {
                    map.insert(key, inner);
                    Value::Object(map)
                }
                None => Value::Object(map),
            }
        }
        other => other,
    }
}

fn key_is(key: &str, lower: &str) -> bool {
    key.trim().eq_ignore_ascii_case(lower)
}

fn has(map: &Map<String, Value>, lower: &str) -> bool {
    map.keys().any(|k| key_is(k, lower))
}

const STATUS_KEYS: [&str; 7] = [
    "backupmodules",
    "poolfqdn",
    "overallexportstatus",
    "overallimportstatus",
    "error",
    "collectedat",
    "activemasterfqdn",
];
// `ModuleName` and `Name` name a module only beside a status: alone they say nothing.
const MODULE_KEYS: [&str; 3] = ["identity", "exportstatus", "importstatus"];

pub(super) fn is_status_object(map: &Map<String, Value>) -> bool {
    STATUS_KEYS.iter().any(|k| has(map, k))
}

pub(super) fn is_module_object(map: &Map<String, Value>) -> bool {
    MODULE_KEYS.iter().any(|k| has(map, k))
}

fn property_list(map: &Map<String, Value>) -> String {
    if map.is_empty() {
        return "none".into();
    }
    let names: Vec<&str> = map.keys().take(6).map(String::as_str).collect();
    let more = if map.len() > 6 { ", ..." } else { "" };
    clip(&format!("{}{more}", names.join(", ")), 200)
}

fn bare_modules(items: Vec<Value>) -> Pool {
    Pool {
        modules: read_modules(Value::Array(items)),
        ..Pool::default()
    }
}

pub(super) fn read_pool(map: Map<String, Value>) -> Pool {
    let mut pool = Pool::default();
    for (key, value) in map {
        // The first of several case variants wins; the others are kept for `-vvv`.
        match key.trim().to_ascii_lowercase().as_str() {
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
            "activemasterfqdn" if pool.active_master_fqdn.is_none() => {
                pool.active_master_fqdn = match &value {
                    Value::Null => Some(String::new()),
                    v => string(v),
                }
            }
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
            _ => pool.other.push((key, compact(&value))),
        }
    }
    pool
}

pub(super) fn read_modules(value: Value) -> Modules {
    let items = match unwrap_list(value) {
        Value::Null => return Modules::Absent,
        Value::String(s) => return Modules::DepthCut(s),
        Value::Array(items) => items,
        single @ Value::Object(_) => vec![single],
        other => {
            return Modules::Listed {
                modules: vec![],
                damaged: vec![DamagedModule::NotAnObject(describe(&other))],
            }
        }
    };
    let mut modules = Vec::new();
    let mut damaged = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match item {
            Value::Object(map) => modules.push(read_module(map, index)),
            Value::String(s) => damaged.push(DamagedModule::DepthCut(s)),
            other => damaged.push(DamagedModule::NotAnObject(describe(&other))),
        }
    }
    Modules::Listed { modules, damaged }
}

fn read_module(map: Map<String, Value>, index: usize) -> Module {
    let mut module = Module::default();
    let (mut identity, mut module_name, mut name) = (None, None, None);
    let mut export = None;
    let mut import = None;
    for (key, value) in map {
        match key.trim().to_ascii_lowercase().as_str() {
            "identity" if identity.is_none() => identity = Some(name_of(&value)),
            "modulename" if module_name.is_none() => module_name = Some(name_of(&value)),
            "name" if name.is_none() => name = Some(name_of(&value)),
            "exportstatus" if export.is_none() => export = Some(status(&value)),
            "importstatus" if import.is_none() => import = Some(status(&value)),
            _ => module.other.push((key, compact(&value))),
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
fn name_of(value: &Value) -> String {
    string(value).unwrap_or_else(|| match value {
        Value::Null => String::new(),
        v => compact(v),
    })
}

fn status(value: &Value) -> Reported {
    match value {
        Value::Null => Reported::Missing,
        Value::String(s) if s.trim().is_empty() => Reported::Missing,
        Value::String(s) => Reported::Name(s.trim().to_owned()),
        Value::Number(n) => Reported::Number(n.to_string()),
        other => Reported::Malformed(describe(other)),
    }
}

fn collected_at(value: &Value) -> CollectedAt {
    match value {
        Value::String(s) => scalar::parse_timestamp(s)
            .map(CollectedAt::At)
            .unwrap_or_else(|| CollectedAt::Unreadable(clip(s, 80))),
        // `Get-Date | ConvertTo-Json` in 5.1: {"value":"\/Date(..)\/","DisplayHint":2,...}
        Value::Object(map) => match map.iter().find(|(k, _)| key_is(k, "value")) {
            Some((_, inner)) => collected_at(inner),
            None => CollectedAt::Unreadable(clip(&compact(value), 80)),
        },
        other => CollectedAt::Unreadable(clip(&compact(other), 80)),
    }
}

fn string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_owned()),
        _ => None,
    }
}

fn compact(value: &Value) -> String {
    match value {
        Value::String(s) => clip(s, 200),
        other => clip(&other.to_string(), 200),
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the text '{}'", clip(s, 60)),
        Value::Array(a) => format!("a list of {} elements", a.len()),
        Value::Object(_) => "an object".into(),
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
