//! A stand-in for `powershell.exe` in the collector's tests (built by the tests with
//! rustc, for Linux and, in scripts/windows-check.sh, for Windows under wine).
//!
//! It insists on being called the way the collector must call PowerShell: exactly
//! `-NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand <base64>`,
//! the base64 decoding to UTF-16LE text that is the collector script as it travels
//! (compared with the file `CSBACKUP_STAND_IN_SCRIPT` names, when set, without its
//! comments: src/collect/transport.rs, included here), with no pool name anywhere in the
//! script's text and the pools in `CSBACKUP_POOLS`. Otherwise it exits 64.
//!
//! It answers as Collect-CsBackupStatus.ps1 does: the answer's JSON between the lines
//! `<<<check_csbackup answer` and `check_csbackup answer>>>`, values serialised as the
//! script writes them. `CSBACKUP_STAND_IN` picks what Windows PowerShell and the Skype
//! for Business cmdlets did:
//! - `answer` (default): one status object per pool; a pool whose name starts with
//!   `denied` failed with access denied; the CMS names the first pool as its master;
//! - `warnings`: as `answer`, but Windows PowerShell 5.1 printed `WARNING:` lines (CRLF)
//!   on the redirected stdout before the answer, and the script captured one warning;
//! - `several`: Get-CsBackupServiceStatus returned two objects for the first pool, the
//!   second holding `CentralMgmt.CMSMaster` in ErrorState;
//! - `several-disagreeing`: two objects for the first pool, naming different pools;
//! - `cms-empty`: the CMS status has an empty ActiveMasterFqdn (the CMS is unavailable);
//! - `cms-none`: Get-CsManagementStoreReplicationStatus returned nothing;
//! - `cms-no-property`: it returned an object without ActiveMasterFqdn;
//! - `server-master`: ActiveMasterFqdn names fe02.contoso.com, a server of the last
//!   pool (whose CMSMaster is NotInitialized), with what Get-CsPool and Get-CsComputer
//!   said about it;
//! - `fqdn-objects`: PoolFqdn, Identity and the names as Fqdn / XdsIdentity objects reach
//!   the collector (`{"@Text": ..., ...}`), and a property the script cut short;
//! - `fail`: module loading fails, stderr and exit 1;
//! - `hang`: sleeps for an hour;
//! - `garbage`: a warning and text that is not an answer, exit 0;
//! - `partial`: an answer cut mid-line, exit 0;
//! - `noisy`: a megabyte on stderr first, then the answer;
//! - `big`: the answer padded to `CSBACKUP_STAND_IN_BYTES` bytes, written in 4 KiB
//!   pieces `CSBACKUP_STAND_IN_DELAY_MS` apart.
//!
//! `CSBACKUP_STAND_IN_SEQUENCE` names a file that plays a sequence of collections, one
//! step a line (blank lines and `#` comments aside), one step a run, over the mode's
//! answer: the stand-in keeps its place in `<file>.step`, and complains (exit 64) when the
//! sequence has ended. A step is words: `steady` (the usual answer), `fail` (module
//! loading fails, as in `fail`), `<Identity>=<ExportStatus>` (that module of every pool
//! reports that export status; a module it does not have is added), `<Identity>+=<ExportStatus>`
//! (one more entry of that module, with that status), `error:<id>` and
//! `warning:<id>` (the Backup Service logged such an event half a minute ago),
//! `storm:<n>` (n warnings 4011, newer than the step's other events), `deny:<pool>`
//! (Get-CsBackupServiceStatus is denied for that pool),
//! `events:denied` (the log may not be read), `events:no-source` (the source is not on
//! the server), `computer:<pool>` or `computer:unknown` (what Get-CsComputer says of
//! the server; by default that it belongs to the first pool).
//!
//! Asked for events (`CSBACKUP_EVENTS_SINCE`, which must be `yyyy-MM-ddTHH:mm:ssZ`, with
//! `CSBACKUP_EVENT_LOG` and `CSBACKUP_EVENT_SOURCE`), it answers them as the script does,
//! echoing the window it was given: its errors and its warnings read apart, the newest
//! 500 of each (as `-MaxEvents 500`), and, like Get-WinEvent, with the error
//! `NoMatchingEventsFound` for a reading that finds none.
//!
//! `CSBACKUP_STAND_IN_LOAD_MS` makes it wait that long first, as loading the Skype for
//! Business module does. When `CSBACKUP_STAND_IN_LOG` names a file, it appends its
//! process id and pools there before anything else, so a test can tell it ran (or was
//! never started) and how often.

use std::io::Write;
use std::time::Duration;

#[path = "../../src/collect/transport.rs"]
mod transport;

const USUAL: [(&str, &str); 2] = [
    ("UserServices.PresenceFocus", "SteadyState"),
    ("ConfServices.DataConf", "FinalState"),
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let pools: Vec<String> = std::env::var("CSBACKUP_POOLS")
        .unwrap_or_default()
        .lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    if let Ok(log) = std::env::var("CSBACKUP_STAND_IN_LOG") {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("the stand-in's log opens");
        writeln!(file, "{} {}", std::process::id(), pools.join(",")).expect("log written");
    }
    if let Err(complaint) = check_call(&args, &pools) {
        eprintln!("stand-in PowerShell: {complaint}");
        std::process::exit(64);
    }
    std::thread::sleep(Duration::from_millis(number(
        "CSBACKUP_STAND_IN_LOAD_MS",
        0,
    )));
    let mode = std::env::var("CSBACKUP_STAND_IN").unwrap_or_else(|_| "answer".into());
    let step = match std::env::var("CSBACKUP_STAND_IN_SEQUENCE") {
        Ok(file) => next_step(&file).unwrap_or_else(|complaint| {
            eprintln!("stand-in PowerShell: {complaint}");
            std::process::exit(64);
        }),
        Err(_) => Step::default(),
    };
    let mode = if step.fail { "fail".to_owned() } else { mode };
    let mut answer = Answer::usual(&pools, &step);
    if let Ok(since) = std::env::var("CSBACKUP_EVENTS_SINCE") {
        answer.events = Some(step.events(&since, &pools).unwrap_or_else(|complaint| {
            eprintln!("stand-in PowerShell: {complaint}");
            std::process::exit(64);
        }));
    }
    let (first, last) = (&pools[0], &pools[pools.len() - 1]);
    match mode.as_str() {
        "answer" => {}
        "warnings" => {
            print!("WARNING: The names of some imported commands from the module 'SkypeForBusiness' include unapproved verbs that might make them less discoverable.\r\n");
            print!("WARNING: Get-CsBackupServiceStatus: the Backup Service on {last} has not replicated for 4 minutes.\r\n");
            answer.warnings.push(format!("The pool {first} has a newer topology than this server; run Get-CsManagementStoreReplicationStatus."));
        }
        "several" => {
            answer.entries[0] = entry(
                first,
                &[
                    result(first, &USUAL, ""),
                    result(first, &[("CentralMgmt.CMSMaster", "ErrorState")], ""),
                ],
            );
        }
        "several-disagreeing" => {
            answer.entries[0] = entry(
                first,
                &[
                    result(first, &USUAL, ""),
                    result("other.contoso.com", &USUAL, ""),
                ],
            );
        }
        "cms-empty" => answer.cms = cms(&[r#""ActiveMasterFqdn":"""#]),
        "cms-none" => answer.cms = cms(&[]),
        "cms-no-property" => {
            answer.cms = cms(&[r#""ActiveReplicatorAgents":["fe01.contoso.com"]"#])
        }
        "server-master" => {
            answer.cms = cms(&[r#""ActiveMasterFqdn":{"@Text":"fe02.contoso.com"}"#]);
            answer.lookup = format!(
                r#"{{"Name":"fe02.contoso.com","GetCsPoolError":"Cannot find a pool with the identity \"fe02.contoso.com\".","GetCsComputer":[{{"@Text":"fe02.contoso.com","Identity":{{"@Text":"fe02.contoso.com"}},"Pool":{{"@Text":"{last}"}},"Fqdn":{{"@Text":"fe02.contoso.com"}}}}]}}"#
            );
        }
        "fqdn-objects" => {
            let text = |s: &str| format!(r#"{{"@Text":"{s}"}}"#);
            answer.entries = pools.iter().enumerate().map(|(index, pool)| {
                let modules: Vec<String> = usual_modules(index).iter().map(|(id, export)| {
                    format!(
                        r#"{{"Identity":{{"@Text":"{id}","InstanceId":"00000000-0000-0000-0000-00000000000{index}","ScopeClass":"Global"}},"ExportStatus":"{export}","ImportStatus":"NormalState"}}"#
                    )
                }).collect();
                format!(
                    r#"{{"Pool":"{pool}","Results":[{{"PoolFqdn":{},"BackupModules":[{}],"Details":{{"Site":"site:Redmond","@LeftOut":"more than 50 properties"}}}}],"Warnings":[]}}"#,
                    text(pool),
                    modules.join(",")
                )
            }).collect();
            answer.cms = cms(&[&format!(r#""ActiveMasterFqdn":{}"#, text(first))]);
            answer.lookup = format!(
                r#"{{"Name":"{first}","GetCsPool":[{{"Identity":{},"Fqdn":{},"Computers":[{}]}}],"GetCsComputerError":"Cannot find a computer."}}"#,
                text(first),
                text(first),
                text("fe01.contoso.com")
            );
        }
        "fail" => {
            eprint!("Collect-CsBackupStatus: neither the SkypeForBusiness nor the Lync module loads (The specified module 'SkypeForBusiness' was not loaded because no valid module file was found in any module directory.)\r\n");
            std::process::exit(1);
        }
        "hang" => std::thread::sleep(Duration::from_secs(3600)),
        "garbage" => {
            print!("WARNING: The names of some imported commands include unapproved verbs.\r\nthis is not JSON\r\n");
            return;
        }
        "partial" => {
            let whole = frame(&answer.json());
            print!("{}", &whole[..whole.len() / 2]);
            return;
        }
        "noisy" => {
            let line = "VERBOSE: Loading module from path 'C:\\Program Files\\Common Files\\Skype for Business Server 2019\\Modules\\SkypeForBusiness\\SkypeForBusiness.psd1'.\r\n";
            let mut stderr = std::io::stderr().lock();
            for _ in 0..(1 << 20) / line.len() {
                stderr.write_all(line.as_bytes()).expect("stderr written");
            }
        }
        "big" => {
            answer.entries[0] = entry(
                first,
                &[result(
                    first,
                    &USUAL,
                    &"x".repeat(number("CSBACKUP_STAND_IN_BYTES", 1 << 20) as usize),
                )],
            );
            let delay = Duration::from_millis(number("CSBACKUP_STAND_IN_DELAY_MS", 0));
            let text = frame(&answer.json());
            let mut stdout = std::io::stdout().lock();
            for piece in text.as_bytes().chunks(4096) {
                if stdout
                    .write_all(piece)
                    .and_then(|()| stdout.flush())
                    .is_err()
                {
                    std::process::exit(0); // the collector went away
                }
                std::thread::sleep(delay);
            }
            return;
        }
        other => {
            eprintln!("stand-in PowerShell: unknown CSBACKUP_STAND_IN mode '{other}'");
            std::process::exit(64);
        }
    }
    print!("{}", frame(&answer.json()));
}

/// The parts of the script's answer, each as JSON text.
struct Answer {
    warnings: Vec<String>,
    cms: String,
    lookup: String,
    entries: Vec<String>,
    events: Option<String>,
}

impl Answer {
    /// What the script answers when everything works: the first pool hosts the CMS; the
    /// step of a sequence sets export statuses.
    fn usual(pools: &[String], step: &Step) -> Answer {
        let first = &pools[0];
        Answer {
            warnings: vec![],
            cms: cms(&[&format!(r#""ActiveMasterFqdn":"{first}""#)]),
            lookup: format!(
                r#"{{"Name":"{first}","GetCsPool":[{{"Identity":"{first}","Fqdn":"{first}","Computers":["fe01.contoso.com"]}}],"GetCsComputerError":"Cannot find a computer with the identity \"{first}\"."}}"#
            ),
            entries: pools
                .iter()
                .enumerate()
                .map(|(index, pool)| {
                    if pool.starts_with("denied") || step.denied.contains(pool) {
                        format!(r#"{{"Pool":"{pool}","Error":"Get-CsBackupServiceStatus -PoolFqdn {pool}: Access is denied.","Warnings":[]}}"#)
                    } else {
                        entry(pool, &[result(pool, &step.modules(index), "")])
                    }
                })
                .collect(),
            events: None,
        }
    }

    fn json(&self) -> String {
        let warnings: Vec<String> = self.warnings.iter().map(|w| format!("{w:?}")).collect();
        let events = match &self.events {
            Some(events) => format!(r#","Events":{events}"#),
            None => String::new(),
        };
        format!(
            r#"{{"CsBackupAnswer":1,"Warnings":[{}],"Cms":{},"MasterLookup":{},"Pools":[{}]{events}}}"#,
            warnings.join(","),
            self.cms,
            self.lookup,
            self.entries.join(",")
        )
    }
}

/// One step of a sequence of collections (see the module's text).
#[derive(Default)]
struct Step {
    fail: bool,
    /// (Identity, ExportStatus, one more entry) for every pool.
    exports: Vec<(String, String, bool)>,
    /// (event id, level: 2 Error, 3 Warning), newest first.
    events: Vec<(u32, u8)>,
    /// `events:denied` or `events:no-source`.
    log: Option<String>,
    /// `computer:<pool>`: the pool Get-CsComputer names; `unknown` for an error.
    computer: Option<String>,
    /// `deny:<pool>`: pools Get-CsBackupServiceStatus is denied for.
    denied: Vec<String>,
}

impl Step {
    fn read(line: &str) -> Result<Step, String> {
        let mut step = Step::default();
        for word in line.split_whitespace() {
            match (word.split_once('='), word.split_once(':')) {
                _ if word == "steady" => {}
                _ if word == "fail" => step.fail = true,
                (Some((module, status)), _) => match module.strip_suffix('+') {
                    Some(module) => step.exports.push((module.into(), status.into(), true)),
                    None => step.exports.push((module.into(), status.into(), false)),
                },
                (None, Some(("error", id))) => step.events.push((number_of(id)?, 2)),
                (None, Some(("warning", id))) => step.events.push((number_of(id)?, 3)),
                (None, Some(("storm", n))) => {
                    let storm = vec![(4011, 3); number_of(n)? as usize];
                    step.events.splice(0..0, storm);
                }
                (None, Some(("events", how))) => step.log = Some(how.into()),
                (None, Some(("computer", pool))) => step.computer = Some(pool.into()),
                (None, Some(("deny", pool))) => step.denied.push(pool.into()),
                _ => return Err(format!("a step word it does not know: {word}")),
            }
        }
        Ok(step)
    }

    /// The script's `Events`, for a window from `since` to now.
    fn events(&self, since: &str, pools: &[String]) -> Result<String, String> {
        let well_formed = since.len() == 20
            && since.ends_with('Z')
            && since.as_bytes()[10] == b'T'
            && since[..4].bytes().all(|b| b.is_ascii_digit());
        if !well_formed {
            return Err(format!("CSBACKUP_EVENTS_SINCE is not yyyy-MM-ddTHH:mm:ssZ: {since:?}"));
        }
        let log = std::env::var("CSBACKUP_EVENT_LOG").map_err(|_| "no CSBACKUP_EVENT_LOG")?;
        let source =
            std::env::var("CSBACKUP_EVENT_SOURCE").map_err(|_| "no CSBACKUP_EVENT_SOURCE")?;
        let now = seconds_now();
        let lookup = match self.computer.as_deref() {
            Some("unknown") => r#""GetCsComputerError":"Access is denied.""#.to_owned(),
            Some(pool) => computer(pool),
            None => computer(&pools[0]),
        };
        let failure = |id: &str, message: &str| {
            format!(
                r#"{{"Failure":{{"Id":"{id},Microsoft.PowerShell.Commands.GetWinEventCommand","Message":"{message}"}}}}"#
            )
        };
        // What one Get-WinEvent query for `levels` returns: the newest 500, like
        // -MaxEvents 500, or the error it stops with.
        let reading = |levels: &[u8]| -> Result<String, String> {
            Ok(match self.log.as_deref() {
                Some("denied") => failure(
                    "System.UnauthorizedAccessException",
                    "Attempted to perform an unauthorized operation.",
                ),
                Some("no-source") => failure(
                    "NoMatchingProvidersFound",
                    &format!(
                        "There is not an event provider on the localhost computer that matches \\\"{source}\\\"."
                    ),
                ),
                Some(other) => return Err(format!("events:{other} is not a way a log reads")),
                None => {
                    let records: Vec<String> = self
                        .events
                        .iter()
                        .enumerate()
                        .filter(|(_, (_, level))| levels.contains(level))
                        .take(500)
                        .map(|(age, (id, level))| {
                            format!(
                                r#"{{"Id":{id},"Level":{level},"TimeCreated":"{}","Message":"Event {id} of the Backup Service.\r\nDetails of event {id}."}}"#,
                                iso(now - 30 - age as u64, ".1234567")
                            )
                        })
                        .collect();
                    if records.is_empty() {
                        failure(
                            "NoMatchingEventsFound",
                            "No events were found that match the specified selection criteria.",
                        )
                    } else {
                        format!(r#"{{"Records":[{}]}}"#, records.join(","))
                    }
                }
            })
        };
        Ok(format!(
            r#"{{"LogName":"{log}","Source":"{source}","Since":"{since}","Until":"{}","Computer":"fe01.contoso.com",{lookup},"Errors":{},"Warnings":{}}}"#,
            iso(now, ""),
            reading(&[1, 2])?,
            reading(&[3])?
        ))
    }

    /// The modules of the pool at `index`, the step's statuses applied.
    fn modules(&self, index: usize) -> Vec<(String, String)> {
        let mut modules: Vec<(String, String)> = usual_modules(index)
            .into_iter()
            .map(|(id, export)| (id.to_owned(), export.to_owned()))
            .collect();
        for (module, status, another) in &self.exports {
            match modules.iter_mut().find(|(id, _)| id == module) {
                Some(found) if !another => found.1 = status.clone(),
                _ => modules.push((module.clone(), status.clone())),
            }
        }
        modules
    }
}

fn number_of(id: &str) -> Result<u32, String> {
    id.parse().map_err(|_| format!("an event id that is no number: {id}"))
}

/// What Get-CsComputer says of fe01, a server of `pool`.
fn computer(pool: &str) -> String {
    format!(
        r#""GetCsComputer":[{{"@Text":"fe01.contoso.com","Identity":"fe01.contoso.com","Pool":{{"@Text":"{pool}"}}}}]"#
    )
}

fn seconds_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// A Unix time as UTC ISO 8601, `fraction` after the seconds.
fn iso(seconds: u64, fraction: &str) -> String {
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    // Days to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{fraction}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The next step of the sequence in `file`, its place kept in `<file>.step`.
fn next_step(file: &str) -> Result<Step, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let steps: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let place = format!("{file}.step");
    let at: usize = std::fs::read_to_string(&place)
        .ok()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    let line = steps
        .get(at)
        .ok_or_else(|| format!("the sequence {file} has ended after {} steps", steps.len()))?;
    std::fs::write(&place, (at + 1).to_string()).map_err(|e| format!("{place}: {e}"))?;
    Step::read(line)
}

/// The modules of the pool at `index`: the first pool exports the CMS, the others do not.
fn usual_modules(index: usize) -> Vec<(&'static str, &'static str)> {
    let cms = if index == 0 {
        "SteadyState"
    } else {
        "NotInitialized"
    };
    let mut modules = USUAL.to_vec();
    modules.push(("CentralMgmt.CMSMaster", cms));
    modules
}

/// One object as Get-CsBackupServiceStatus returns it, `padding` in a property of its own.
fn result<S: AsRef<str>>(pool: &str, modules: &[(S, S)], padding: &str) -> String {
    let modules: Vec<String> = modules
        .iter()
        .map(|(id, export)| {
            let (id, export) = (id.as_ref(), export.as_ref());
            format!(
                r#"{{"Identity":"{id}","ExportStatus":"{export}","ImportStatus":"NormalState"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"PoolFqdn":"{pool}","BackupModules":[{}],"OverallExportStatus":"SteadyState","OverallImportStatus":"NormalState","Padding":"{padding}"}}"#,
        modules.join(",")
    )
}

fn entry(pool: &str, results: &[String]) -> String {
    format!(
        r#"{{"Pool":"{pool}","Results":[{}],"Warnings":[]}}"#,
        results.join(",")
    )
}

/// What Get-CsManagementStoreReplicationStatus returned: one object per set of properties.
fn cms(objects: &[&str]) -> String {
    let objects: Vec<String> = objects.iter().map(|o| format!("{{{o}}}")).collect();
    format!(r#"{{"Objects":[{}]}}"#, objects.join(","))
}

fn frame(json: &str) -> String {
    format!("\n<<<check_csbackup answer\n{json}\ncheck_csbackup answer>>>\n")
}

fn number(variable: &str, default: u64) -> u64 {
    std::env::var(variable)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn check_call(args: &[String], pools: &[String]) -> Result<(), String> {
    let expected = [
        "-NoLogo",
        "-NoProfile",
        "-NonInteractive",
        "-ExecutionPolicy",
        "Bypass",
        "-EncodedCommand",
    ];
    if args.len() != expected.len() + 1 || args[..expected.len()] != expected {
        return Err(format!("unexpected arguments {args:?}"));
    }
    let script = decode_command(&args[expected.len()])?;
    if let Ok(path) = std::env::var("CSBACKUP_STAND_IN_SCRIPT") {
        let wanted = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        if script != transport::compact(&wanted) {
            return Err(format!("the encoded script is not {path}"));
        }
    } else if !script.contains("Get-CsBackupServiceStatus") {
        return Err("the encoded script does not run Get-CsBackupServiceStatus".into());
    }
    if pools.is_empty() {
        return Err("CSBACKUP_POOLS names no pool".into());
    }
    if let Some(pool) = pools.iter().find(|p| script.contains(p.as_str())) {
        return Err(format!("the pool {pool} is spliced into the script"));
    }
    Ok(())
}

fn decode_command(encoded: &str) -> Result<String, String> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut bytes = Vec::new();
    for c in encoded.trim_end_matches('=').bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => {
                return Err(format!(
                    "-EncodedCommand is not base64 (the character {c:#x})"
                ))
            }
        };
        bits = bits << 6 | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
        }
    }
    if bytes.len() % 2 != 0 {
        return Err("-EncodedCommand is not UTF-16 (an odd byte count)".into());
    }
    let units = bytes.chunks(2).map(|p| u16::from_le_bytes([p[0], p[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| "-EncodedCommand is not UTF-16LE".into())
}
