//! The Windows collector: `check_csbackup collect` runs the Skype for Business cmdlets in
//! PowerShell and writes the status files the check reads; `--live` does the same into
//! memory for a check that cannot wait for a scheduled task.
//!
//! Loading the Skype for Business module takes seconds to tens of seconds, so the usual
//! setup is one scheduled task that refreshes the files and checks that only read them.
//! One run asks about every pool (one module load), and writes one document for all
//! (`--out`) or one per pool (`--out-dir`, what the shipped snippets read).
//!
//! The flow: the documents about to be replaced are read back for the history they carry
//! (`previous`); [`ask`] runs the collector script and reads its [`Answer`];
//! [`pool_objects`] turns that answer, the [`Envelope`] and the history into the final
//! pool objects, in one place (`history` carries it forward); the objects are then
//! written, each file replaced atomically. Whatever goes wrong
//! (PowerShell missing, failing, hanging, printing something that is not an answer)
//! still ends in a status document: one carrying `Error`, which the check reports,
//! rather than a stale file that looks healthy until it is old.

mod atomic;
mod folder;
mod frame;
mod history;
// Decided and tested on every platform, read and used on Windows.
#[cfg(any(windows, test))]
mod owner;
mod powershell;
mod previous;
mod transport;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::cli::{self, CollectArgs};
use crate::guard::{self, Stage};
use crate::input::{
    self,
    answer::{failed_pool, Answer},
};
use crate::model::{clip, same_fqdn};
use previous::{Horizon, Previous};

pub use powershell::{default_program as default_powershell, EventQuery, SCRIPT};

/// The most of PowerShell's standard output the collector keeps: the check's own
/// default `--max-input`.
const MAX_STATUS_BYTES: usize = 16 * 1024 * 1024;
/// The most of a previous document read back for its history: a hundred times what a
/// collection of twenty pools writes, and little enough that reading it (a JSON tree
/// takes ten times its size and more) never costs the collector much memory. A larger
/// one gives no history.
const MAX_PREVIOUS_BYTES: u64 = 4 * 1024 * 1024;
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
        Envelope {
            collected_at: whole_seconds_now(),
            computer_name: computer_name(),
        }
    }

    fn stamp(&self, mut pool: Map<String, Value>) -> Map<String, Value> {
        pool.insert("CollectedAt".into(), self.collected_at.to_string().into());
        pool.insert("ComputerName".into(), self.computer_name.clone().into());
        pool.insert("CollectorVersion".into(), env!("CARGO_PKG_VERSION").into());
        pool
    }
}

/// Now, in whole seconds: ages and durations are checked in seconds, and the file reads
/// better.
fn whole_seconds_now() -> jiff::Timestamp {
    let now = jiff::Timestamp::now();
    jiff::Timestamp::from_second(now.as_second()).unwrap_or(now)
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
pub enum Reply {
    /// The collector script's answer, with what PowerShell printed besides it.
    Answered(Answer),
    /// PowerShell could not be run, failed, or printed no answer: the reason.
    Failed(String),
    /// PowerShell did not finish before the deadline and was stopped: the reason.
    TimedOut(String),
}

/// Runs the collector script in `program` for `pools` (and `events`, the event log to
/// read), stopping it at `deadline`.
pub fn ask(
    program: &Path,
    pools: &[String],
    events: Option<&EventQuery>,
    deadline: Instant,
    max_status: usize,
) -> Reply {
    let caps = powershell::Caps {
        stdout: max_status,
        stderr: MAX_STDERR_BYTES,
    };
    let shown = program.display();
    let ending = match powershell::run(program, pools, events, deadline, caps) {
        Ok(ending) => ending,
        Err(e) => {
            let hint = if e.kind() == std::io::ErrorKind::NotFound {
                "; install it or name it with --powershell"
            } else {
                ""
            };
            return Reply::Failed(format!(
                "PowerShell ({shown}) could not be started: {e}{hint}"
            ));
        }
    };
    match ending {
        powershell::Ending::TimedOut { stderr } => Reply::TimedOut(format!(
            "PowerShell ({shown}) did not finish in time and was stopped (loading the Skype for \
             Business module can take tens of seconds: raise -t){}",
            said(&stderr.bytes)
        )),
        powershell::Ending::Exited {
            code: Some(0),
            stdout,
            ..
        } if stdout.overflowed() => Reply::Failed(format!(
            "PowerShell ({shown}) wrote more than {max_status} bytes, more than a status document holds"
        )),
        powershell::Ending::Exited {
            code: Some(0),
            stdout,
            stderr,
        } => match read_answer(&stdout.bytes) {
            Ok(answer) => Reply::Answered(answer),
            Err(reason) => Reply::Failed(format!(
                "PowerShell's output is not the collector script's answer: {reason}; is the \
                 --powershell program the collector's PowerShell?{}",
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
            Reply::Failed(format!("PowerShell ({shown}) {how}{what}"))
        }
    }
}

/// PowerShell's standard output → the script's answer, the lines printed besides it
/// kept as warnings.
fn read_answer(stdout: &[u8]) -> Result<Answer, String> {
    let framed = frame::split(stdout)?;
    let text = framed
        .answer
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(framed.answer);
    let value: Value = serde_json::from_slice(text).map_err(|e| {
        format!("the answer is not UTF-8 JSON ({e}); the collector script writes UTF-8")
    })?;
    let mut answer = Answer::parse(value)?;
    answer.add_printed(framed.printed);
    Ok(answer)
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

/// What a scheduled collection carries forward into its pool objects.
#[derive(Debug, Clone, Copy)]
pub struct Carry<'a> {
    /// The documents it replaces, one per pool, in the order of the pools.
    pub previous: &'a [Previous],
    /// `--history-max-age`: how old the history it continues may be, in seconds.
    pub max_age: i64,
    /// The event log window it asked the script to read.
    pub events: &'a EventQuery,
}

/// The pool objects a collection ends with, one per pool asked for, in that order:
/// what the answer decides for the pool, or why there is none, stamped with the
/// envelope and, for a scheduled collection, with the history carried forward from
/// the documents it replaces. Everything a status file says is settled here.
pub fn pool_objects(
    reply: &Reply,
    pools: &[String],
    envelope: &Envelope,
    carry: Option<Carry>,
) -> Vec<Map<String, Value>> {
    pools
        .iter()
        .enumerate()
        .map(|(index, pool)| {
            let object = match reply {
                Reply::Answered(answer) => answer.pool_object(pool).unwrap_or_else(|| {
                    failed_pool(
                        pool,
                        "the collector script's answer has no entry for this pool",
                    )
                }),
                Reply::Failed(reason) | Reply::TimedOut(reason) => failed_pool(pool, reason),
            };
            let mut object = envelope.stamp(object);
            if let Some(carry) = carry {
                if let Some(previous) = carry.previous.get(index) {
                    history::carry(&mut object, previous, envelope.collected_at, carry.max_age);
                }
                // Every pool object of a scheduled collection carries the same fields,
                // failed or not, so that the check's series are the same on every run.
                if !object.contains_key("BackupServiceEvents") {
                    let why = match reply {
                        Reply::Answered(_) => "the collector script's answer has no Events",
                        _ => "the collection failed before the log was read",
                    };
                    object.insert(
                        "BackupServiceEvents".into(),
                        history::events_not_read(carry.events, why),
                    );
                }
            }
            object
        })
        .collect()
}

/// One status document for pool objects: one object for one pool, a list for several.
pub fn document(mut objects: Vec<Map<String, Value>>) -> Value {
    match objects.len() {
        1 => Value::Object(objects.remove(0)),
        _ => Value::Array(objects.into_iter().map(Value::Object).collect()),
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
    let collect = match cli::collect_command(args) {
        Ok(collect) => collect,
        Err(code) => return code,
    };
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

/// Where a collection writes.
enum Target<'a> {
    /// `--out`: one document for every pool.
    Document(&'a Path),
    /// `--out-dir`: one document per pool, `<pool>.json`.
    Folder(&'a Path),
}

impl Target<'_> {
    /// The files a collection of `pools` writes.
    fn paths(&self, pools: &[String]) -> Vec<PathBuf> {
        match self {
            Target::Document(path) => vec![path.to_path_buf()],
            Target::Folder(dir) => pools.iter().map(|pool| pool_file(dir, pool)).collect(),
        }
    }

    /// The documents to write, in the order of [`Target::paths`].
    fn documents(&self, objects: Vec<Map<String, Value>>) -> Vec<Value> {
        match self {
            Target::Document(_) => vec![document(objects)],
            Target::Folder(_) => objects.into_iter().map(Value::Object).collect(),
        }
    }

    /// The documents these files hold now, for each of `pools` in order.
    fn previous(&self, pools: &[String], horizon: Horizon) -> Vec<Previous> {
        let max = MAX_PREVIOUS_BYTES;
        match self {
            Target::Document(path) => previous::read(path, pools, horizon, max),
            Target::Folder(dir) => pools
                .iter()
                .flat_map(|pool| {
                    previous::read(
                        &pool_file(dir, pool),
                        std::slice::from_ref(pool),
                        horizon,
                        max,
                    )
                })
                .collect(),
        }
    }

    /// Where the files go, for the closing line.
    fn shown(&self) -> String {
        match self {
            Target::Document(path) => path.display().to_string(),
            Target::Folder(dir) => format!("{} (one <pool>.json each)", dir.display()),
        }
    }
}

/// `<dir>/<pool>.json`, the name the shipped Icinga 2 and NSClient++ snippets read.
fn pool_file(dir: &Path, pool: &str) -> PathBuf {
    dir.join(format!("{}.json", pool.trim_end_matches('.')))
}

/// The pools, each once: FQDNs compare as DNS does.
fn distinct(pools: &[String]) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for pool in pools {
        if !seen.iter().any(|s| same_fqdn(s, pool)) {
            seen.push(pool.clone());
        }
    }
    seen
}

/// Refuses a status file's place when it is not safe (see `folder`), before anything
/// is asked or written.
fn check_place(path: &Path) -> Result<(), String> {
    let folder = folder::of(path);
    folder::check(folder, path).map_err(|reason| refusal(path, &reason))?;
    let cannot = |why: String| Err(format!("cannot write {}: {why}", path.display()));
    match std::fs::metadata(folder) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return cannot(format!(
                "{} is a file, not a folder; --out-dir names the folder for the status files",
                folder.display()
            ))
        }
        Err(_) => {
            return cannot(format!(
                "the folder {} does not exist; create it (Register-CsBackupCollector.ps1 does) or write elsewhere",
                folder.display()
            ))
        }
    }
    if path.is_dir() {
        return cannot(
            "it is a folder; --out names the status file to write (--out-dir writes one file per pool into a folder)"
                .into(),
        );
    }
    Ok(())
}

fn refusal(path: &Path, reason: &str) -> String {
    format!("refusing to write {}: {reason}", path.display())
}

/// Writes one status file; the message says which and why not.
fn write(path: &Path, document: &Value) -> Result<(), String> {
    atomic::replace(path, &serialize(document)).map_err(|e| match e {
        atomic::WriteError::Unsafe(reason) => refusal(path, &reason),
        atomic::WriteError::Io(e) => format!(
            "cannot write {}: {e}; check that the folder exists and that the task's account may write there",
            path.display()
        ),
    })
}

/// Collects and writes the status files; the line to end with, for success or failure.
fn run(collect: &CollectArgs) -> Result<String, String> {
    let target = match (&collect.out, &collect.out_dir) {
        (Some(path), _) => Target::Document(path),
        (None, Some(dir)) => Target::Folder(dir),
        // `cli::collect_command` refuses this already.
        (None, None) => return Err("usage: give --out or --out-dir".into()),
    };
    let pools = distinct(&collect.pools);
    let paths = target.paths(&pools);
    // Before PowerShell runs: a place that is not safe will not become safe meanwhile.
    for path in &paths {
        check_place(path)?;
    }
    let horizon = Horizon {
        now: whole_seconds_now(),
        max_age: i64::try_from(collect.history_max_age).unwrap_or(i64::MAX),
    };
    let previous = target.previous(&pools, horizon);
    let events = EventQuery {
        log: collect.event_log.clone(),
        source: collect.event_source.clone(),
        since: history::events_since(&previous, horizon.now, horizon.max_age),
    };
    let program = collect
        .powershell
        .clone()
        .unwrap_or_else(default_powershell);
    let deadline = Instant::now() + Duration::from_secs(collect.timeout);
    let reply = ask(&program, &pools, Some(&events), deadline, MAX_STATUS_BYTES);
    let carry = Carry {
        previous: &previous,
        max_age: horizon.max_age,
        events: &events,
    };
    let objects = pool_objects(&reply, &pools, &Envelope::now(), Some(carry));
    let summary = Summary::of(&pools, &objects);
    let failures: Vec<String> = paths
        .iter()
        .zip(target.documents(objects))
        .filter_map(|(path, document)| write(path, &document).err())
        .collect();
    if !failures.is_empty() {
        return Err(failures.join("; "));
    }
    let shown = target.shown();
    match reply {
        Reply::Answered(_) => summary.line(&shown),
        Reply::Failed(reason) | Reply::TimedOut(reason) => Err(format!(
            "{reason}; {shown} now carries this Error for the check to report"
        )),
    }
}

/// What the pool objects of a collection amount to, for its closing line.
struct Summary {
    pools: usize,
    failed: Vec<String>,
    warned: bool,
}

impl Summary {
    fn of(pools: &[String], objects: &[Map<String, Value>]) -> Summary {
        let failed = pools
            .iter()
            .zip(objects)
            .filter(|(_, o)| o.contains_key("Error"))
            .map(|(pool, _)| pool.clone())
            .collect();
        Summary {
            pools: pools.len(),
            failed,
            warned: objects.iter().any(|o| o.contains_key("Warnings")),
        }
    }

    /// `Ok` when every pool was collected, `Err` (exit 1) when some carry an `Error`.
    fn line(&self, shown: &str) -> Result<String, String> {
        let warned = if self.warned {
            " (PowerShell warned: see Warnings in the file, or the check's -v)"
        } else {
            ""
        };
        let wrote = format!("wrote {} pool(s) to {shown}{warned}", self.pools);
        if self.failed.is_empty() {
            Ok(wrote)
        } else {
            Err(format!(
                "{wrote}; collecting {} failed: the file carries the Error, which the check reports",
                clip(&self.failed.join(", "), 300)
            ))
        }
    }
}

/// `--live`: asks PowerShell now and returns its answer as a document to check. The
/// child is stopped a little before the check's own `-t` watchdog would end the process,
/// so it is never left running; that ending is an `Err` naming the stage.
pub fn live(
    program: Option<&Path>,
    pools: &[String],
    timeout_seconds: u64,
    max_input: u64,
) -> Result<input::Bytes, String> {
    let program = program.map_or_else(default_powershell, Path::to_path_buf);
    let program = program.as_path();
    let budget = Duration::from_secs(timeout_seconds);
    let margin = (budget / 10).clamp(Duration::from_millis(500), Duration::from_secs(2));
    let deadline = Instant::now() + budget.saturating_sub(margin);
    let max_status = usize::try_from(max_input).unwrap_or(usize::MAX);
    let pools = distinct(pools);
    // A check run now has no collection before it: neither history nor events.
    let reply = ask(program, &pools, None, deadline, max_status);
    if let Reply::TimedOut(_) = reply {
        return Err(guard::timeout_reason(
            timeout_seconds,
            Stage::RunningPowerShell,
        ));
    }
    let document = document(pool_objects(&reply, &pools, &Envelope::now(), None));
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

    fn framed(answer: &Value) -> Vec<u8> {
        format!("\n{}\n{answer}\n{}\n", frame::BEGIN, frame::END).into_bytes()
    }

    fn answer() -> Value {
        json!({
            "CsBackupAnswer": 1,
            "Cms": {"Objects": [{"ActiveMasterFqdn": "a.contoso.com"}]},
            "MasterLookup": {"Name": "a.contoso.com", "GetCsPool": [{"Fqdn": "a.contoso.com"}]},
            "Pools": [
                {"Pool": "a.contoso.com", "Results": [{"PoolFqdn": "a.contoso.com",
                    "BackupModules": [], "CollectedAt": "stale"}]},
                {"Pool": "b.contoso.com", "Error": "denied"}
            ]
        })
    }

    #[test]
    fn one_object_per_pool_asked_stamped_with_the_envelope() {
        let reply = Reply::Answered(read_answer(&framed(&answer())).unwrap());
        let asked = pools(&["a.contoso.com", "b.contoso.com", "c.contoso.com"]);
        let objects = pool_objects(&reply, &asked, &envelope(), None);
        assert_eq!(objects.len(), 3);
        for (object, pool) in objects.iter().zip(&asked) {
            assert_eq!(object["PoolFqdn"], json!(pool));
            assert_eq!(object["CollectedAt"], json!("2026-11-28T01:30:00Z"));
            assert_eq!(object["ComputerName"], json!("FE01"));
            assert_eq!(object["CollectorVersion"], json!(env!("CARGO_PKG_VERSION")));
        }
        assert_eq!(objects[0]["ReportedCollectedAt"], json!("stale"));
        assert_eq!(objects[0]["ActiveMasterFqdn"], json!("a.contoso.com"));
        assert_eq!(objects[1]["Error"], json!("denied"));
        assert!(objects[2]["Error"].as_str().unwrap().contains("no entry"));
        let document = document(objects);
        assert_eq!(document.as_array().map(Vec::len), Some(3));
    }

    #[test]
    fn lines_printed_besides_the_answer_become_warnings() {
        let mut stdout =
            b"WARNING: The names of some imported commands include unapproved verbs.\r\n".to_vec();
        stdout.extend(framed(&answer()));
        let reply = Reply::Answered(read_answer(&stdout).unwrap());
        let objects = pool_objects(&reply, &pools(&["a.contoso.com"]), &envelope(), None);
        assert_eq!(
            objects[0]["Warnings"],
            json!(["WARNING: The names of some imported commands include unapproved verbs."])
        );
    }

    #[test]
    fn refuses_output_that_is_not_an_answer() {
        let text = read_answer(b"WARNING: x\r\nmore").unwrap_err();
        assert!(text.contains("it began 'WARNING: x'"), "{text}");
        let cut = read_answer(format!("{}\n{{\"CsBackupAnswer\":1,", frame::BEGIN).as_bytes());
        assert!(cut.unwrap_err().contains("cut short"));
        let broken = read_answer(&framed(&json!("x"))[..]).unwrap_err();
        assert!(broken.contains("not a JSON object"), "{broken}");
        let mut bad = framed(&answer());
        bad.retain(|&b| b != b'}');
        assert!(read_answer(&bad).unwrap_err().contains("not UTF-8 JSON"));
        assert!(read_answer(b"").is_err());
    }

    #[test]
    fn a_failure_becomes_one_error_object_per_pool() {
        let failed = Reply::Failed("PowerShell exited with code 1: boom".into());
        let one = document(pool_objects(
            &failed,
            &pools(&["a.contoso.com"]),
            &envelope(),
            None,
        ));
        assert_eq!(one["PoolFqdn"], json!("a.contoso.com"));
        assert_eq!(one["Error"], json!("PowerShell exited with code 1: boom"));
        assert_eq!(one["ComputerName"], json!("FE01"));
        let two = pool_objects(
            &failed,
            &pools(&["a.contoso.com", "b.contoso.com"]),
            &envelope(),
            None,
        );
        assert_eq!(two.len(), 2);
    }

    #[test]
    fn each_pool_once_in_a_file_of_its_own() {
        let asked = pools(&["a.contoso.com", "A.Contoso.com.", "b.contoso.com"]);
        assert_eq!(distinct(&asked), pools(&["a.contoso.com", "b.contoso.com"]));
        assert_eq!(
            pool_file(Path::new("dir"), "b.contoso.com."),
            Path::new("dir").join("b.contoso.com.json")
        );
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
