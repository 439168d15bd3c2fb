//! The Windows collector: `check_csbackup collect` runs the Skype for Business cmdlets in
//! PowerShell and writes the status file the check reads; `--live` does the same into
//! memory for a check that cannot wait for a scheduled task.
//!
//! Loading the Skype for Business module takes seconds to tens of seconds, so the usual
//! setup is a scheduled task that refreshes the file and a check that only reads it.
//! Whatever goes wrong (PowerShell missing, failing, hanging, printing something that is
//! not a status document) still ends in a status document: one carrying `Error`, which
//! the check reports, rather than a stale file that looks healthy until it is old. Every
//! pool object gets `CollectedAt`, `ComputerName` and `CollectorVersion`, so the check
//! can tell the data's age and where it came from.

mod atomic;
mod folder;
mod powershell;

use std::ffi::OsString;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::cli::{self, CollectArgs};
use crate::guard::{self, Stage};
use crate::input;
use crate::model::same_fqdn;
use crate::model::{clip, Format};

pub use powershell::{default_program as default_powershell, POOLS_VARIABLE, SCRIPT};

/// The most of PowerShell's standard output the collector keeps: the check's own
/// default `--max-input`.
const MAX_STATUS_BYTES: usize = 16 * 1024 * 1024;
/// Enough of standard error for the first lines of any message.
const MAX_STDERR_BYTES: usize = 64 * 1024;
/// How many lines of PowerShell's standard error an `Error` quotes.
const STDERR_LINES: usize = 5;

/// What a collection adds to every pool object, fixed when PowerShell has answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub collected_at: jiff::Timestamp,
    pub computer_name: String,
}

impl Envelope {
    /// The envelope for a collection finishing now, on this computer.
    pub fn now() -> Envelope {
        let now = jiff::Timestamp::now();
        Envelope {
            // Whole seconds: the age is checked in seconds, and the file reads better.
            collected_at: jiff::Timestamp::from_second(now.as_second()).unwrap_or(now),
            computer_name: computer_name(),
        }
    }

    fn stamp(&self, pool: Map<String, Value>) -> Map<String, Value> {
        let mut stamped: Map<String, Value> = pool
            .into_iter()
            .filter(|(key, _)| {
                !["collectedat", "computername", "collectorversion"]
                    .contains(&key.trim().to_ascii_lowercase().as_str())
            })
            .collect();
        stamped.insert("CollectedAt".into(), self.collected_at.to_string().into());
        stamped.insert("ComputerName".into(), self.computer_name.clone().into());
        stamped.insert("CollectorVersion".into(), env!("CARGO_PKG_VERSION").into());
        stamped
    }
}

/// The name this computer goes by: `COMPUTERNAME` on Windows, the host name elsewhere.
fn computer_name() -> String {
    let from_windows = if cfg!(windows) {
        std::env::var("COMPUTERNAME").ok()
    } else {
        None
    };
    from_windows
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// What asking PowerShell gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// One object per pool, as the script wrote them (a pool may carry its own `Error`).
    Pools(Vec<Map<String, Value>>),
    /// PowerShell could not be run, failed, or printed something else: the reason.
    Failed(String),
    /// PowerShell did not finish before the deadline and was stopped: the reason.
    TimedOut(String),
}

/// Runs the collector script in `program` for `pools`, stopping it at `deadline`.
pub fn ask(program: &Path, pools: &[String], deadline: Instant, max_status: usize) -> Answer {
    let caps = powershell::Caps {
        stdout: max_status,
        stderr: MAX_STDERR_BYTES,
    };
    let shown = program.display();
    let ending = match powershell::run(program, pools, deadline, caps) {
        Ok(ending) => ending,
        Err(e) => {
            let hint = if e.kind() == std::io::ErrorKind::NotFound {
                "; install it or name it with --powershell"
            } else {
                ""
            };
            return Answer::Failed(format!(
                "PowerShell ({shown}) could not be started: {e}{hint}"
            ));
        }
    };
    match ending {
        powershell::Ending::TimedOut { stderr } => Answer::TimedOut(format!(
            "PowerShell ({shown}) did not finish in time and was stopped (loading the Skype for \
             Business module can take tens of seconds: raise -t){}",
            said(&stderr.bytes)
        )),
        powershell::Ending::Exited {
            code: Some(0),
            stdout,
            ..
        } if stdout.overflowed() => Answer::Failed(format!(
            "PowerShell ({shown}) wrote more than {max_status} bytes, more than a status document holds"
        )),
        powershell::Ending::Exited {
            code: Some(0),
            stdout,
            stderr,
        } => match read_pools(&stdout.bytes, pools) {
            Ok(objects) => Answer::Pools(objects),
            Err(reason) => Answer::Failed(format!(
                "PowerShell's output is not a status document: {reason}{}",
                said(&stderr.bytes)
            )),
        },
        powershell::Ending::Exited { code, stderr, .. } => {
            let how = match code {
                Some(code) => format!("exited with code {code}"),
                None => "was ended by a signal".into(),
            };
            let what = match first_lines(&stderr.bytes) {
                Some(lines) => format!(": {lines}"),
                None => " and wrote nothing on standard error".into(),
            };
            Answer::Failed(format!("PowerShell ({shown}) {how}{what}"))
        }
    }
}

/// `; it said: ...` with the first lines of standard error, or nothing.
fn said(stderr: &[u8]) -> String {
    first_lines(stderr)
        .map(|lines| format!("; it said: {lines}"))
        .unwrap_or_default()
}

/// The first non-empty lines of PowerShell's standard error, joined into one.
fn first_lines(stderr: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(stderr);
    let text = if text.trim_start().starts_with("#< CLIXML") {
        clixml_errors(&text)
    } else {
        text.into_owned()
    };
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(STDERR_LINES)
        .collect();
    if lines.is_empty() {
        None
    } else {
        Some(clip(&lines.join(" / "), 600))
    }
}

/// The error texts of the CLIXML that PowerShell writes on a redirected stderr when it
/// was started with an encoded command: `<S S="Error">text_x000D__x000A_</S>`.
fn clixml_errors(text: &str) -> String {
    let mut out = String::new();
    for piece in text.split(r#"<S S="Error">"#).skip(1) {
        let inner = piece.split("</S>").next().unwrap_or_default();
        let inner = inner
            .replace("_x000D__x000A_", "\n")
            .replace("_x000A_", "\n")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&");
        out.push_str(&inner);
    }
    out
}

/// PowerShell's standard output → the pool objects, checked with the check's own reader
/// so that what the collector writes is what the check can read. A pool asked for but
/// missing from the output gets an object with an `Error`.
fn read_pools(stdout: &[u8], wanted: &[String]) -> Result<Vec<Map<String, Value>>, String> {
    let source = input::Bytes {
        source: "PowerShell's output".into(),
        bytes: stdout.to_vec(),
        modified: None,
    };
    let document = input::parse(source, Some(Format::Json)).map_err(|e| {
        let start = String::from_utf8_lossy(&stdout[..stdout.len().min(200)]);
        let start = start.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        format!("{}; it began '{}'", e.reason, clip(start.trim(), 80))
    })?;
    let text = stdout.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(stdout);
    let value: Value = serde_json::from_slice(text)
        .map_err(|e| format!("not UTF-8 JSON ({e}); the collector script writes UTF-8"))?;
    let objects: Vec<Map<String, Value>> = match value {
        Value::Object(map) => vec![map],
        Value::Array(items) => items
            .into_iter()
            .filter_map(|item| match item {
                Value::Object(map) => Some(map),
                _ => None,
            })
            .collect(),
        _ => vec![],
    };
    let named = document.pools.iter().all(|p| p.fqdn.is_some());
    if objects.len() != document.pools.len() || !named {
        return Err(
            "it does not hold one object with a PoolFqdn per pool; is the --powershell program the collector's PowerShell?"
                .into(),
        );
    }
    let mut pools = objects;
    for pool in wanted {
        let present = document
            .pools
            .iter()
            .any(|p| p.fqdn.as_deref().is_some_and(|f| same_fqdn(f, pool)));
        if !present {
            pools.push(failed_pool(
                pool,
                "the collector script's output has no entry for this pool",
            ));
        }
    }
    Ok(pools)
}

fn failed_pool(pool: &str, reason: &str) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("PoolFqdn".into(), pool.into());
    map.insert("Error".into(), reason.into());
    map
}

/// The status document a collection ends with: the pools PowerShell reported, or one
/// `Error` object per pool; one object for one pool, a list for several.
pub fn document(answer: &Answer, pools: &[String], envelope: &Envelope) -> Value {
    let objects: Vec<Map<String, Value>> = match answer {
        Answer::Pools(objects) => objects.clone(),
        Answer::Failed(reason) | Answer::TimedOut(reason) => {
            pools.iter().map(|pool| failed_pool(pool, reason)).collect()
        }
    };
    let mut stamped: Vec<Value> = objects
        .into_iter()
        .map(|o| Value::Object(envelope.stamp(o)))
        .collect();
    match stamped.len() {
        1 => stamped.remove(0),
        _ => Value::Array(stamped),
    }
}

fn serialize(document: &Value) -> Vec<u8> {
    // A `Value` always serializes; the fallback only keeps the type honest.
    let mut bytes = serde_json::to_vec_pretty(document).unwrap_or_else(|_| b"{}".to_vec());
    bytes.push(b'\n');
    bytes
}

/// `check_csbackup collect ...`: returns the exit code, having printed its one line.
pub fn main(args: &[OsString]) -> i32 {
    let collect = match cli::parse_collect(args) {
        Ok(collect) => collect,
        Err((0, help)) => {
            print!("{help}");
            return 0;
        }
        Err((code, line)) => {
            eprintln!("check_csbackup collect: {line}");
            return code;
        }
    };
    if collect.print_script {
        print!("{SCRIPT}");
        return 0;
    }
    match run(&collect) {
        Ok(line) => {
            println!("check_csbackup collect: {line}");
            0
        }
        Err(line) => {
            eprintln!("check_csbackup collect: {line}");
            1
        }
    }
}

/// Collects and writes the status file; the line to end with, for success or failure.
fn run(collect: &CollectArgs) -> Result<String, String> {
    let Some(out) = &collect.out else {
        return Err("usage: --out is required; see check_csbackup collect --help".into());
    };
    let program = collect
        .powershell
        .clone()
        .unwrap_or_else(default_powershell);
    let deadline = Instant::now() + Duration::from_secs(collect.timeout);
    let answer = ask(&program, &collect.pools, deadline, MAX_STATUS_BYTES);
    let document = document(&answer, &collect.pools, &Envelope::now());
    atomic::replace(out, &serialize(&document)).map_err(|e| match e {
        atomic::WriteError::Unsafe(reason) => {
            format!("refusing to write {}: {reason}", out.display())
        }
        atomic::WriteError::Io(e) => format!(
            "cannot write {}: {e}; check that the folder exists and that the task's account may write there",
            out.display()
        ),
    })?;
    match answer {
        Answer::Pools(pools) => {
            let failed = pools.iter().filter(|p| p.contains_key("Error")).count();
            let note = match failed {
                0 => String::new(),
                n => format!(" ({n} with an Error the check will report)"),
            };
            Ok(format!(
                "wrote {} pool(s) to {}{note}",
                pools.len(),
                out.display()
            ))
        }
        Answer::Failed(reason) | Answer::TimedOut(reason) => Err(format!(
            "{reason}; {} now carries this Error for the check to report",
            out.display()
        )),
    }
}

/// `--live`: asks PowerShell now and returns its answer as a document to check. The
/// child is stopped a little before the check's own `-t` watchdog would end the process,
/// so it is never left running; that ending is an `Err` naming the stage.
pub fn live(
    program: &Path,
    pools: &[String],
    timeout_seconds: u64,
    max_input: u64,
) -> Result<input::Bytes, String> {
    let budget = Duration::from_secs(timeout_seconds);
    let margin = (budget / 10).clamp(Duration::from_millis(500), Duration::from_secs(2));
    let deadline = Instant::now() + budget.saturating_sub(margin);
    let max_status = usize::try_from(max_input).unwrap_or(usize::MAX);
    let answer = ask(program, pools, deadline, max_status);
    if let Answer::TimedOut(_) = answer {
        return Err(guard::timeout_reason(
            timeout_seconds,
            Stage::RunningPowerShell,
        ));
    }
    let document = document(&answer, pools, &Envelope::now());
    Ok(input::Bytes {
        source: format!("PowerShell's answer ({})", program.display()),
        bytes: serialize(&document),
        modified: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn envelope() -> Envelope {
        Envelope {
            collected_at: "2026-11-28T01:30:00Z".parse().unwrap(),
            computer_name: "FE01".into(),
        }
    }

    fn pools(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn stamps_every_pool_and_replaces_stale_stamps() {
        let stdout = br#"[{"PoolFqdn":"a.contoso.com","BackupModules":[],"collectedat":"x"},{"PoolFqdn":"b.contoso.com","Error":"denied"}]"#;
        let objects = read_pools(stdout, &pools(&["a.contoso.com", "B.contoso.com."])).unwrap();
        let doc = document(
            &Answer::Pools(objects),
            &pools(&["a.contoso.com"]),
            &envelope(),
        );
        let list = doc.as_array().unwrap();
        assert_eq!(list.len(), 2);
        for pool in list {
            assert_eq!(pool["CollectedAt"], json!("2026-11-28T01:30:00Z"));
            assert_eq!(pool["ComputerName"], json!("FE01"));
            assert_eq!(pool["CollectorVersion"], json!(env!("CARGO_PKG_VERSION")));
        }
        assert!(list[0].get("collectedat").is_none());
        assert_eq!(list[1]["Error"], json!("denied"));
    }

    #[test]
    fn a_pool_missing_from_the_output_gets_an_error() {
        let stdout = br#"{"PoolFqdn":"a.contoso.com","BackupModules":[]}"#;
        let objects = read_pools(stdout, &pools(&["a.contoso.com", "b.contoso.com"])).unwrap();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[1]["PoolFqdn"], json!("b.contoso.com"));
        assert!(objects[1]["Error"].as_str().unwrap().contains("no entry"));
    }

    #[test]
    fn refuses_output_that_is_not_a_pool_list() {
        let wanted = pools(&["a.contoso.com"]);
        let cut = read_pools(br#"{"PoolFqdn":"a.contoso.com","Backup"#, &wanted).unwrap_err();
        assert!(cut.contains("cut short"), "{cut}");
        let text = read_pools(b"WARNING: x\r\nmore", &wanted).unwrap_err();
        assert!(text.contains("it began 'WARNING: x'"), "{text}");
        let modules = read_pools(
            br#"[{"Identity":"A","ExportStatus":"FinalState"}]"#,
            &wanted,
        )
        .unwrap_err();
        assert!(modules.contains("PoolFqdn"), "{modules}");
        assert!(read_pools(b"", &wanted).is_err());
    }

    #[test]
    fn a_failure_becomes_one_error_object_per_pool() {
        let failed = Answer::Failed("PowerShell exited with code 1: boom".into());
        let one = document(&failed, &pools(&["a.contoso.com"]), &envelope());
        assert_eq!(one["PoolFqdn"], json!("a.contoso.com"));
        assert_eq!(one["Error"], json!("PowerShell exited with code 1: boom"));
        assert_eq!(one["ComputerName"], json!("FE01"));
        let two = document(
            &failed,
            &pools(&["a.contoso.com", "b.contoso.com"]),
            &envelope(),
        );
        assert_eq!(two.as_array().unwrap().len(), 2);
    }

    #[test]
    fn quotes_the_first_lines_of_stderr() {
        assert_eq!(first_lines(b"\r\n  \r\n"), None);
        assert_eq!(
            first_lines(b"one\r\n\r\ntwo\nthree\nfour\nfive\nsix\n").as_deref(),
            Some("one / two / three / four / five")
        );
        let clixml = br#"#< CLIXML
<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">Import-Module : not loaded_x000D__x000A_</S><S S="Error">At line:1 &lt;x&gt;_x000D__x000A_</S></Objs>"#;
        assert_eq!(
            first_lines(clixml).as_deref(),
            Some("Import-Module : not loaded / At line:1 <x>")
        );
    }

    #[test]
    fn the_computer_name_is_never_empty() {
        assert!(!computer_name().is_empty());
    }
}
