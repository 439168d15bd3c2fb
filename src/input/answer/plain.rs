//! The script's plain values → document values.
//!
//! `Collect-CsBackupStatus.ps1` writes an object whose type has a string form of its own
//! as its properties plus that form under `@Text` (a `Fqdn`, an `XdsIdentity`), and
//! where its bounded conversion stopped it leaves `@LeftOut` saying what it left out.
//! Here a name (`PoolFqdn`, `Identity`, ...) becomes its string form, as the check
//! compares names; an object with nothing but a string form becomes the string; the
//! marks of left-out data become notes; and Windows PowerShell 5.1's list wrapping
//! (`{"value":[...],"Count":N}`) is undone wherever it appears.

use serde_json::{Map, Value};

/// Where the script puts an object's string form.
pub const TEXT: &str = "@Text";
/// Where the script says what its bounded conversion left out.
pub const LEFT_OUT: &str = "@LeftOut";

/// Properties whose value is a name: written by their string form whatever they were.
const NAMES: [&str; 8] = [
    "poolfqdn",
    "identity",
    "modulename",
    "name",
    "activemasterfqdn",
    "fqdn",
    "pool",
    "computers",
];

/// `value`, found under the property `key`, as the document should hold it; what the
/// script left out is added to `notes`.
pub fn normalize(value: Value, key: Option<&str>, notes: &mut Vec<String>) -> Value {
    match value {
        Value::Array(items) => Value::Array(list(items, key, notes)),
        Value::Object(map) => object(map, key, notes),
        scalar => scalar,
    }
}

fn list(items: Vec<Value>, key: Option<&str>, notes: &mut Vec<String>) -> Vec<Value> {
    let mut kept = Vec::with_capacity(items.len());
    for item in items {
        match left_out_mark(&item) {
            Some(what) => notes.push(format!("{}: {what}", key.unwrap_or("a list"))),
            None => kept.push(normalize(item, key, notes)),
        }
    }
    kept
}

fn object(mut map: Map<String, Value>, key: Option<&str>, notes: &mut Vec<String>) -> Value {
    if let Some(items) = wrapped_list(&mut map) {
        return Value::Array(list(items, key, notes));
    }
    let text = take(&mut map, TEXT);
    if let Some(what) = take(&mut map, LEFT_OUT) {
        notes.push(format!(
            "{}: {}",
            key.unwrap_or("an object"),
            as_text(&what)
        ));
    }
    let is_name = key.is_some_and(|k| NAMES.iter().any(|n| k.trim().eq_ignore_ascii_case(n)));
    match text {
        Some(text) if is_name || map.is_empty() => return text,
        _ => {}
    }
    Value::Object(
        map.into_iter()
            .map(|(k, v)| {
                let v = normalize(v, Some(&k), notes);
                (k, v)
            })
            .collect(),
    )
}

/// `{"@LeftOut": "..."}` standing alone as a list's last element.
fn left_out_mark(item: &Value) -> Option<String> {
    match item {
        Value::Object(map) if map.len() == 1 => map.get(LEFT_OUT).map(as_text),
        _ => None,
    }
}

/// The list inside `{"value":[...],"Count":N}` (or `{"value":[...]}`).
pub(super) fn wrapped_list(map: &mut Map<String, Value>) -> Option<Vec<Value>> {
    let is_count = |k: &String| k.trim().eq_ignore_ascii_case("count");
    let is_value = |k: &String| k.trim().eq_ignore_ascii_case("value");
    let shape = match map.len() {
        1 => map.keys().all(is_value),
        2 => map.keys().any(is_value) && map.keys().any(is_count),
        _ => false,
    };
    if !shape {
        return None;
    }
    let key = map.keys().find(|k| is_value(k))?.clone();
    match map.get(&key) {
        Some(Value::Array(_)) => match map.remove(&key) {
            Some(Value::Array(items)) => Some(items),
            _ => None,
        },
        _ => None,
    }
}

fn take(map: &mut Map<String, Value>, key: &str) -> Option<Value> {
    map.shift_remove(key)
}

/// A value as one line of text: a string as it is, anything else as compact JSON.
pub fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(value: Value) -> (Value, Vec<String>) {
        let mut notes = Vec::new();
        let value = normalize(value, None, &mut notes);
        (value, notes)
    }

    #[test]
    fn names_become_their_string_form() {
        let (value, notes) = run(json!({
            "PoolFqdn": {"@Text": "pool01.contoso.com", "IsEmpty": false},
            "BackupModules": [
                {"Identity": {"@Text": "CentralMgmt.CMSMaster", "Scope": "Global"},
                 "ExportStatus": "SteadyState"}
            ],
            "Site": {"@Text": "site:Redmond", "SiteId": 1},
            "Endpoint": {"@Text": "fe01.contoso.com"}
        }));
        assert_eq!(
            value,
            json!({
                "PoolFqdn": "pool01.contoso.com",
                "BackupModules": [{"Identity": "CentralMgmt.CMSMaster", "ExportStatus": "SteadyState"}],
                "Site": {"SiteId": 1},
                "Endpoint": "fe01.contoso.com"
            })
        );
        assert!(notes.is_empty());
    }

    #[test]
    fn unwraps_lists_and_notes_what_was_left_out() {
        let (value, notes) = run(json!({
            "Computers": {"value": [{"@Text": "fe01"}, "fe02"], "Count": 2},
            "Replicas": ["a", "b", {"@LeftOut": "more than 100 items"}],
            "Details": {"A": 1, "@LeftOut": "more than 50 properties"}
        }));
        assert_eq!(
            value,
            json!({"Computers": ["fe01", "fe02"], "Replicas": ["a", "b"], "Details": {"A": 1}})
        );
        assert_eq!(
            notes,
            vec![
                "Replicas: more than 100 items",
                "Details: more than 50 properties"
            ]
        );
    }
}
