//! The collector script's answer → the pool objects of a status document.
//!
//! `Collect-CsBackupStatus.ps1` gathers and this module decides, so that each decision
//! is made once, in Rust, where the tests reach it. The answer (version 1):
//!
//! ```text
//! { "CsBackupAnswer": 1,
//!   "Warnings": ["..."],                       what loading the module and the CMS calls warned
//!   "Cms": {"Objects": [...]} | {"Error": "..."},   Get-CsManagementStoreReplicationStatus
//!   "MasterLookup": {"Name": "...",            Get-CsPool / Get-CsComputer about that name
//!       "GetCsPool": [...] | "GetCsPoolError": "...",
//!       "GetCsComputer": [...] | "GetCsComputerError": "..."},
//!   "Pools": [{"Pool": "...", "Results": [...] | "Error": "...", "Warnings": [...]}],
//!   "Events": {"LogName", "Source", "Since", "Until", "Computer",   the event log, when asked
//!       "GetCsComputer": [...] | "GetCsComputerError": "...",
//!       "Errors": <reading>, "Warnings": <reading>},   Critical and Error apart from Warning
//!       where <reading> is {"Records": [{"Id", "Level", "TimeCreated", "Message"}]}
//!                       | {"Failure": {"Id", "Message"}}
//!   "CollectedAt", "ComputerName", "CollectorVersion"   only in a file the script wrote itself
//! }
//! ```
//!
//! Per pool that becomes one status object: its results' properties and modules
//! (`results`), the active CMS master (`master`), the Backup Service's events for the
//! pool they concern (`events`), and the warnings, clipped. Two callers:
//! `check_csbackup collect`, which stamps and writes the objects, and the JSON reader,
//! for the file the script writes by itself where the binary does not run.

mod events;
mod master;
mod plain;
mod results;

use serde_json::{Map, Value};

use crate::model::{clip, same_fqdn};
use events::Events;
pub use results::failed as failed_pool;

/// The property that makes a JSON object an answer, holding its version.
pub const VERSION_KEY: &str = "CsBackupAnswer";
/// The answer's version this binary reads.
pub const VERSION: u64 = 1;
/// The most warnings a pool object carries; more are counted in a last line.
const MOST_WARNINGS: usize = 10;
/// The most characters of one warning.
const LONGEST_WARNING: usize = 300;
/// What a file the script wrote by itself adds; `collect` stamps its own instead.
const ENVELOPE: [&str; 3] = ["CollectedAt", "ComputerName", "CollectorVersion"];

/// A collector script's answer, read and checked for shape; decided per pool.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// Warnings that concern every pool, and lines PowerShell printed besides the answer.
    warnings: Vec<String>,
    /// `ActiveMasterFqdn` and its companions, the same for every pool.
    master: Map<String, Value>,
    /// What the event log held, when the script was asked to read it (boxed: an answer
    /// is moved around whole, and most have none).
    events: Option<Box<Events>>,
    pools: Vec<PoolEntry>,
    envelope: Map<String, Value>,
}

/// What the script gathered for one pool.
#[derive(Debug, Clone, PartialEq)]
struct PoolEntry {
    pool: String,
    /// Every object `Get-CsBackupServiceStatus` returned, or why it failed.
    results: Result<Vec<Value>, String>,
    /// Its warnings, and what the script left out of its results.
    warnings: Vec<String>,
}

/// Whether a JSON document is a collector answer rather than a status document: an
/// object whose first property is [`VERSION_KEY`], as the script writes it.
pub fn is_answer(text: &str) -> bool {
    let rest = text.trim_start_matches('\u{feff}').trim_start();
    rest.strip_prefix('{')
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix('"'))
        .is_some_and(|r| r.starts_with(VERSION_KEY) && r[VERSION_KEY.len()..].starts_with('"'))
}

impl Answer {
    /// Reads an answer; `Err` says what is wrong with its shape.
    pub fn parse(value: Value) -> Result<Answer, String> {
        let Value::Object(top) = value else {
            return Err("the collector's answer is not a JSON object".into());
        };
        let mut warnings = Vec::new();
        let mut top: Map<String, Value> = top
            .into_iter()
            .map(|(key, value)| {
                let value = if key.eq_ignore_ascii_case("Pools") {
                    value
                } else {
                    plain::normalize(value, Some(&key), &mut warnings)
                };
                (key, value)
            })
            .collect();
        match get(&top, VERSION_KEY).and_then(Value::as_u64) {
            Some(VERSION) => {}
            other => {
                return Err(format!(
                    "the collector's answer has version {}, this check_csbackup reads version \
                     {VERSION}: use the collector script of the same release as the binary",
                    other.map_or("none".into(), |v| v.to_string())
                ))
            }
        }
        warnings.splice(0..0, texts(get(&top, "Warnings")));
        let master = master::decide(get(&top, "Cms"), get(&top, "MasterLookup"));
        let events = Events::decide(get(&top, "Events")).map(Box::new);
        let pools = match take(&mut top, "Pools") {
            Some(Value::Array(entries)) => entries,
            Some(Value::Object(mut map)) => {
                plain::wrapped_list(&mut map).unwrap_or_else(|| vec![Value::Object(map)])
            }
            _ => return Err("the collector's answer has no Pools list".into()),
        };
        let pools = pools
            .into_iter()
            .map(PoolEntry::read)
            .collect::<Result<_, _>>()?;
        let envelope = ENVELOPE
            .iter()
            .filter_map(|key| Some((key.to_string(), get(&top, key)?.clone())))
            .collect();
        Ok(Answer {
            warnings,
            master,
            events,
            pools,
            envelope,
        })
    }

    /// Lines PowerShell printed on standard output besides the answer (a `WARNING:`
    /// from loading the module): kept as warnings of every pool.
    pub fn add_printed(&mut self, lines: Vec<String>) {
        self.warnings.extend(lines);
    }

    /// The status object for `pool`, if the answer has it: its results, the CMS master
    /// and the warnings, with `PoolFqdn` the pool as asked.
    pub fn pool_object(&self, pool: &str) -> Option<Map<String, Value>> {
        let entry = self.pools.iter().find(|e| same_fqdn(&e.pool, pool))?;
        Some(self.object_of(entry, pool))
    }

    /// The status object of one entry, named `pool`.
    fn object_of(&self, entry: &PoolEntry, pool: &str) -> Map<String, Value> {
        let mut object = match &entry.results {
            Ok(results) => results::pool_object(pool, results),
            Err(error) => results::failed(pool, error),
        };
        object.extend(self.master.clone());
        if let Some(events) = &self.events {
            object.insert("BackupServiceEvents".into(), events.of_pool(pool));
        }
        let warnings = clip_warnings(self.warnings.iter().chain(&entry.warnings));
        if !warnings.is_empty() {
            object.insert("Warnings".into(), warnings.into());
        }
        object
    }

    /// Every pool's status object, with the envelope of a file the script wrote itself.
    pub fn pool_objects(&self) -> Vec<Map<String, Value>> {
        self.pools
            .iter()
            .map(|entry| {
                let mut object = self.object_of(entry, &entry.pool);
                object.extend(self.envelope.clone());
                object
            })
            .collect()
    }
}

impl PoolEntry {
    fn read(value: Value) -> Result<PoolEntry, String> {
        let mut warnings = Vec::new();
        let Value::Object(entry) = plain::normalize(value, None, &mut warnings) else {
            return Err("an entry of the collector's Pools list is not an object".into());
        };
        let Some(pool) = get(&entry, "Pool").and_then(Value::as_str) else {
            return Err("an entry of the collector's Pools list names no Pool".into());
        };
        let results = match (get(&entry, "Error"), get(&entry, "Results")) {
            (Some(error), _) if !error.is_null() => Err(plain::as_text(error)),
            (_, results) => Ok(items(results).into_iter().cloned().collect()),
        };
        warnings.splice(0..0, texts(get(&entry, "Warnings")));
        Ok(PoolEntry {
            pool: pool.trim().to_owned(),
            results,
            warnings,
        })
    }
}

/// A property by name, any letter case.
fn get<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn take(map: &mut Map<String, Value>, key: &str) -> Option<Value> {
    let found = map
        .keys()
        .find(|k| k.trim().eq_ignore_ascii_case(key))?
        .clone();
    map.shift_remove(&found)
}

/// A list of texts (or one text), as strings.
fn texts(value: Option<&Value>) -> Vec<String> {
    items(value).into_iter().map(plain::as_text).collect()
}

/// What PowerShell may write as a list, one item or nothing, as a list.
fn items(value: Option<&Value>) -> Vec<&Value> {
    match value {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
    }
}

/// Warnings as a pool object carries them: trimmed, each once, clipped in length and
/// in number, the rest counted.
fn clip_warnings<'a>(all: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    let mut more = 0;
    for warning in all.map(|w| w.trim()).filter(|w| !w.is_empty()) {
        let warning = clip(warning, LONGEST_WARNING);
        if kept.contains(&warning) {
            continue;
        }
        if kept.len() < MOST_WARNINGS {
            kept.push(warning);
        } else {
            more += 1;
        }
    }
    if more > 0 {
        kept.push(format!("... and {more} more"));
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(pools: Value) -> Value {
        json!({
            "CsBackupAnswer": 1,
            "Warnings": ["WARNING one"],
            "Cms": {"Objects": [{"ActiveMasterFqdn": "pool01.contoso.com"}]},
            "MasterLookup": {"Name": "pool01.contoso.com",
                "GetCsPool": [{"Identity": "pool01.contoso.com", "Fqdn": "pool01.contoso.com"}],
                "GetCsComputerError": "not a computer"},
            "Pools": pools
        })
    }

    #[test]
    fn recognises_an_answer_by_its_first_property() {
        assert!(is_answer("\u{feff} {\r\n \"CsBackupAnswer\":1}"));
        assert!(!is_answer(r#"{"PoolFqdn":"p","CsBackupAnswer":1}"#));
        assert!(!is_answer(r#"{"CsBackupAnswers":1}"#));
        assert!(!is_answer("[]"));
    }

    #[test]
    fn one_object_per_pool_with_the_master_and_the_warnings() {
        let mut read = Answer::parse(answer(json!([
            {"Pool": "pool01.contoso.com", "Results": [{"PoolFqdn": "POOL01.contoso.com",
                "BackupModules": [{"Identity": "A", "ExportStatus": "SteadyState"}]}],
             "Warnings": ["pool one warned", "WARNING one"]},
            {"Pool": "denied.contoso.com", "Error": "Access is denied.", "Warnings": []}
        ])))
        .unwrap();
        read.add_printed(vec!["WARNING: printed".into()]);
        let one = read.pool_object("Pool01.contoso.com.").unwrap();
        assert_eq!(
            Value::Object(one),
            json!({
                "PoolFqdn": "Pool01.contoso.com.",
                "ReportedPoolFqdn": "POOL01.contoso.com",
                "BackupModules": [{"Identity": "A", "ExportStatus": "SteadyState"}],
                "ActiveMasterFqdn": "pool01.contoso.com",
                "Warnings": ["WARNING one", "WARNING: printed", "pool one warned"]
            })
        );
        let denied = read.pool_object("denied.contoso.com").unwrap();
        assert_eq!(denied["Error"], json!("Access is denied."));
        assert_eq!(denied["ActiveMasterFqdn"], json!("pool01.contoso.com"));
        assert!(read.pool_object("other.contoso.com").is_none());
    }

    #[test]
    fn every_entry_of_a_written_answer_is_its_own_object() {
        // The same pool twice, as a hand-run script given both spellings may write it:
        // each entry's own results, never the first one's twice.
        let read = Answer::parse(answer(json!([
            {"Pool": "a.contoso.com", "Results": [{"BackupModules": [{"Identity": "A"}]}]},
            {"Pool": "A.contoso.com.", "Error": "Access is denied."}
        ])))
        .unwrap();
        let objects = read.pool_objects();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0]["BackupModules"], json!([{"Identity": "A"}]));
        assert_eq!(objects[1]["Error"], "Access is denied.");
        assert_eq!(objects[1]["PoolFqdn"], "A.contoso.com.");
    }

    #[test]
    fn warnings_are_clipped_and_counted() {
        let many: Vec<String> = (0..14).map(|i| format!("w{i}")).collect();
        let long = "x".repeat(1000);
        let all: Vec<String> = many.iter().cloned().chain([long, "w0".into()]).collect();
        let clipped = clip_warnings(all.iter());
        assert_eq!(clipped.len(), MOST_WARNINGS + 1);
        assert_eq!(clipped.last().unwrap(), "... and 5 more");
        let one = clip_warnings([&"x".repeat(1000)].into_iter());
        assert_eq!(one[0].chars().count(), LONGEST_WARNING + 3);
    }

    #[test]
    fn what_the_script_left_out_is_a_warning_of_that_pool() {
        let read = Answer::parse(answer(json!([
            {"Pool": "a.contoso.com", "Results": [{"BackupModules": [
                {"Identity": "A"}, {"@LeftOut": "more than 100 items"}]}]},
            {"Pool": "b.contoso.com", "Results": [{"BackupModules": []}]}
        ])))
        .unwrap();
        let a = read.pool_object("a.contoso.com").unwrap();
        assert_eq!(
            a["Warnings"],
            json!(["WARNING one", "BackupModules: more than 100 items"])
        );
        assert_eq!(a["BackupModules"], json!([{"Identity": "A"}]));
        let b = read.pool_object("b.contoso.com").unwrap();
        assert_eq!(b["Warnings"], json!(["WARNING one"]));
        // The same, Pools written as PowerShell 5.1 writes a list in an object: each
        // pool's entry is read once, so what was left out is still said.
        let wrapped = Answer::parse(answer(json!({"value": [
            {"Pool": "a.contoso.com", "Results": [{"BackupModules": [
                {"Identity": "A"}, {"@LeftOut": "more than 100 items"}]}]}
        ], "Count": 1})))
        .unwrap();
        let a = wrapped.pool_object("a.contoso.com").unwrap();
        assert_eq!(
            a["Warnings"],
            json!(["WARNING one", "BackupModules: more than 100 items"])
        );
        assert_eq!(a["BackupModules"], json!([{"Identity": "A"}]));
    }

    #[test]
    fn refuses_what_is_not_an_answer_of_this_version() {
        let refused = |v: Value| Answer::parse(v).unwrap_err();
        assert!(refused(json!([])).contains("not a JSON object"));
        assert!(refused(json!({"CsBackupAnswer": 2, "Pools": []})).contains("version 2"));
        assert!(refused(json!({"CsBackupAnswer": 1})).contains("no Pools list"));
        assert!(
            refused(json!({"CsBackupAnswer": 1, "Pools": [{"Results": []}]}))
                .contains("names no Pool")
        );
    }

    #[test]
    fn a_file_the_script_wrote_keeps_its_envelope() {
        let mut value = answer(json!([{"Pool": "a.contoso.com", "Results": []}]));
        value["CollectedAt"] = json!("2026-11-28T01:30:00Z");
        value["ComputerName"] = json!("FE01");
        let objects = Answer::parse(value).unwrap().pool_objects();
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0]["CollectedAt"], json!("2026-11-28T01:30:00Z"));
        assert_eq!(objects[0]["ComputerName"], json!("FE01"));
        assert!(objects[0]["Error"]
            .as_str()
            .unwrap()
            .contains("returned nothing"));
    }
}
