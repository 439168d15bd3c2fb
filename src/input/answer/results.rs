//! What `Get-CsBackupServiceStatus -PoolFqdn <pool>` returned → the pool's status object.
//!
//! One object is the usual answer: its properties as they are, `PoolFqdn` the pool asked
//! for. Several objects are not documented, and keeping the first alone would hide the
//! others' modules, so every module of every object is kept; where the objects disagree
//! on anything else (the pool they name, an overall status) the pool object gets an
//! `Error` saying so, which the check reports. Nothing at all, or something that is not
//! a status object, is an `Error` naming what came back.
//!
//! A property of the cmdlet's that has the name of one the collector writes (`PoolFqdn`,
//! `Error`, ...) is kept as `Reported<Name>`, so that it never poses as the collector's.

use serde_json::{Map, Value};

use super::get;
use crate::model::clip;

/// The properties the collector writes itself, compared in any letter case.
const COLLECTOR_FIELDS: [&str; 14] = [
    "PoolFqdn",
    "Error",
    "Warnings",
    "BackupServiceEvents",
    "HistorySince",
    "HistoryRestart",
    "OverallExportStatusSince",
    "OverallImportStatusSince",
    "ActiveMasterFqdn",
    "ActiveMasterServerFqdn",
    "ActiveMasterFqdnError",
    "CollectedAt",
    "ComputerName",
    "CollectorVersion",
];

/// The status object of `pool` from every object the cmdlet returned for it.
pub(super) fn pool_object(pool: &str, results: &[Value]) -> Map<String, Value> {
    let asked = format!("Get-CsBackupServiceStatus -PoolFqdn {pool}");
    if results.is_empty() {
        return failed(pool, &format!("{asked} returned nothing"));
    }
    let count = results.len();
    if let Some((index, other)) = results.iter().enumerate().find(|(_, r)| !r.is_object()) {
        return failed(
            pool,
            &format!(
                "{asked} returned {count} result(s), #{} of them {}, not a status object",
                index + 1,
                describe(other)
            ),
        );
    }
    let objects: Vec<&Map<String, Value>> = results.iter().filter_map(Value::as_object).collect();
    let mut object = named(pool);
    match objects.as_slice() {
        [one] => {
            for (key, value) in one.iter() {
                object.insert(own_name(key), value.clone());
            }
        }
        several => merge(&asked, several, &mut object),
    }
    object
}

/// A pool object carrying only why collecting it failed.
pub fn failed(pool: &str, error: &str) -> Map<String, Value> {
    let mut object = named(pool);
    object.insert("Error".into(), error.into());
    object
}

fn named(pool: &str) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("PoolFqdn".into(), pool.into());
    object
}

/// `key`, or `Reported<key>` when the collector writes a property of that name.
fn own_name(key: &str) -> String {
    if COLLECTOR_FIELDS
        .iter()
        .any(|f| key.trim().eq_ignore_ascii_case(f))
    {
        format!("Reported{}", key.trim())
    } else {
        key.to_owned()
    }
}

/// Several objects into one: all their modules, the rest where they agree.
fn merge(asked: &str, results: &[&Map<String, Value>], object: &mut Map<String, Value>) {
    let count = results.len();
    if let Some(index) = results
        .iter()
        .position(|r| get(r, "BackupModules").is_none())
    {
        object.insert(
            "Error".into(),
            format!(
                "{asked} returned {count} objects, #{} without BackupModules (properties: {}): \
                 the collector cannot tell which one is the pool's status",
                index + 1,
                property_list(results[index])
            )
            .into(),
        );
        return;
    }
    let mut disagreements = Vec::new();
    for key in property_names(results) {
        let values: Vec<Option<&Value>> = results.iter().map(|r| get(r, &key)).collect();
        if key.trim().eq_ignore_ascii_case("BackupModules") {
            object.insert(key, Value::Array(all_modules(&values)));
            continue;
        }
        if values.iter().any(|v| *v != values[0]) {
            let shown: Vec<String> = values.iter().map(|v| show(*v)).collect();
            disagreements.push(format!("{} ({})", key.trim(), shown.join(" / ")));
        }
        if let Some(first) = values.iter().flatten().next() {
            object.insert(own_name(&key), (*first).clone());
        }
    }
    object.insert("ResultObjects".into(), count.into());
    if !disagreements.is_empty() {
        object.insert(
            "Error".into(),
            format!(
                "{asked} returned {count} objects that disagree on {}: the collector kept the \
                 modules of all of them and the first one's other properties",
                disagreements.join(", ")
            )
            .into(),
        );
    }
}

/// Every property name of the objects, each once (any letter case), in order of
/// first appearance.
fn property_names(results: &[&Map<String, Value>]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for key in results.iter().flat_map(|r| r.keys()) {
        if !names
            .iter()
            .any(|n| n.trim().eq_ignore_ascii_case(key.trim()))
        {
            names.push(key.clone());
        }
    }
    names
}

/// The modules of every object, in order; a module list that is not a list (one module
/// unrolled, a depth cut) is kept as an element for the check to judge.
fn all_modules(lists: &[Option<&Value>]) -> Vec<Value> {
    lists
        .iter()
        .flat_map(|list| super::items(*list))
        .cloned()
        .collect()
}

fn show(value: Option<&Value>) -> String {
    match value {
        None => "absent".into(),
        Some(Value::String(s)) => clip(s, 60),
        Some(other) => clip(&other.to_string(), 60),
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::String(s) => format!("the text '{}'", clip(s, 60)),
        Value::Array(items) => format!("a list of {}", items.len()),
        other => format!("the value {}", clip(&other.to_string(), 60)),
    }
}

fn property_list(map: &Map<String, Value>) -> String {
    if map.is_empty() {
        return "none".into();
    }
    let names: Vec<&str> = map.keys().take(6).map(String::as_str).collect();
    let more = if map.len() > 6 { ", ..." } else { "" };
    format!("{}{more}", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn modules(names: &[&str], export: &str) -> Value {
        Value::Array(
            names
                .iter()
                .map(|n| json!({"Identity": n, "ExportStatus": export, "ImportStatus": "NormalState"}))
                .collect(),
        )
    }

    #[test]
    fn one_object_keeps_its_properties_under_their_own_names() {
        let result = json!({"PoolFqdn": "POOL01.contoso.com", "error": "its own",
            "BackupModules": modules(&["A"], "SteadyState"), "OverallExportStatus": "SteadyState"});
        let object = pool_object("pool01.contoso.com", &[result]);
        assert_eq!(
            Value::Object(object),
            json!({"PoolFqdn": "pool01.contoso.com", "ReportedPoolFqdn": "POOL01.contoso.com",
                "Reportederror": "its own", "BackupModules": modules(&["A"], "SteadyState"),
                "OverallExportStatus": "SteadyState"})
        );
    }

    #[test]
    fn several_objects_keep_every_module() {
        let first = json!({"PoolFqdn": "p", "BackupModules": modules(&["A", "B"], "SteadyState"),
            "OverallImportStatus": "NormalState"});
        let second = json!({"poolfqdn": "p", "BackupModules": modules(&["C"], "ErrorState"),
            "OverallImportStatus": "NormalState"});
        let object = pool_object("p", &[first, second]);
        let names: Vec<&str> = object["BackupModules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Identity"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["A", "B", "C"]);
        assert_eq!(object["ResultObjects"], json!(2));
        assert_eq!(object["OverallImportStatus"], json!("NormalState"));
        assert!(object.get("Error").is_none(), "{object:?}");
    }

    #[test]
    fn several_objects_that_disagree_are_an_error_that_says_on_what() {
        let first = json!({"PoolFqdn": "pool01.contoso.com", "BackupModules": modules(&["A"], "SteadyState"),
            "OverallExportStatus": "SteadyState"});
        let second = json!({"PoolFqdn": "pool02.contoso.com", "BackupModules": modules(&["A"], "ErrorState")});
        let object = pool_object("pool01.contoso.com", &[first, second]);
        let error = object["Error"].as_str().unwrap();
        assert!(
            error.starts_with(
                "Get-CsBackupServiceStatus -PoolFqdn pool01.contoso.com returned 2 objects that \
                 disagree on PoolFqdn (pool01.contoso.com / pool02.contoso.com), \
                 OverallExportStatus (SteadyState / absent)"
            ),
            "{error}"
        );
        assert_eq!(object["BackupModules"].as_array().unwrap().len(), 2);
        assert_eq!(object["ReportedPoolFqdn"], json!("pool01.contoso.com"));
    }

    #[test]
    fn nothing_or_no_status_object_is_an_error_naming_what_came_back() {
        let nothing = pool_object("p", &[]);
        assert_eq!(
            nothing["Error"],
            json!("Get-CsBackupServiceStatus -PoolFqdn p returned nothing")
        );
        assert!(nothing.get("BackupModules").is_none());
        let text = pool_object(
            "p",
            &[json!({"BackupModules": []}), json!("Microsoft.Rtc.X")],
        );
        assert!(text["Error"]
            .as_str()
            .unwrap()
            .contains("#2 of them the text 'Microsoft.Rtc.X'"));
        let bare = pool_object(
            "p",
            &[json!({"BackupModules": []}), json!({"Identity": "A"})],
        );
        assert!(bare["Error"]
            .as_str()
            .unwrap()
            .contains("#2 without BackupModules (properties: Identity)"));
    }
}
