//! Black-box tests of `check_csbackup collect` and `--live`, with a stand-in PowerShell
//! (tests/stand_in/powershell.rs, built here with rustc) that answers like the collector
//! script — with warnings printed before the answer, several result objects, an empty or
//! a missing CMS master, a server as the CMS master, cmdlet objects as values, a slow
//! module load — or fails, hangs, prints garbage or a partial line, or answers slowly;
//! and the file system around the status files: links, other accounts' folders and files.
#![cfg(unix)]

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::stand_in::{collect_command, read_json, scratch, script_file, stand_in, POOL1, POOL2};
use common::{run_limited, BIN};

struct Ran {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn code(&self) -> Option<i32> {
        self.status.code()
    }
}

/// Runs a command to its end; a run that takes over a minute is a hang and fails.
fn run(command: &mut Command) -> Ran {
    let ran = run_limited(command, None, Duration::from_secs(60));
    Ran {
        status: ran.status.expect("still running after 60 s: a hang"),
        stdout: ran.stdout,
        stderr: ran.stderr,
    }
}

/// `check_csbackup collect` for `pools` into `out`, the stand-in answering in `mode`.
fn collector(dir: &Path, mode: &str, pools: &[&str], out: &Path) -> Command {
    let mut command = asking(dir, mode, pools);
    command.arg("--out").arg(out);
    command
}

/// `check_csbackup collect` for `pools`, one file each into `out_dir`.
fn collector_per_pool(dir: &Path, mode: &str, pools: &[&str], out_dir: &Path) -> Command {
    let mut command = asking(dir, mode, pools);
    command.arg("--out-dir").arg(out_dir);
    command
}

/// `check_csbackup collect` for `pools` with the stand-in answering in `mode`, and
/// logging its starts in `dir`; where to write is for the caller to add.
fn asking(dir: &Path, mode: &str, pools: &[&str]) -> Command {
    let mut command = collect_command(pools);
    command
        .env("CSBACKUP_STAND_IN", mode)
        .env("CSBACKUP_STAND_IN_LOG", dir.join("stand-in.log"));
    command
}

fn check(file: &Path) -> Ran {
    check_with(file, &[])
}

fn check_with(file: &Path, args: &[&str]) -> Ran {
    run(Command::new(BIN).arg("-f").arg(file).args(args))
}

/// The process ids the stand-in logged, one per start.
fn stand_in_pids(dir: &Path) -> Vec<u32> {
    std::fs::read_to_string(dir.join("stand-in.log"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split(' ').next()?.parse().ok())
        .collect()
}

fn is_running(pid: u32) -> bool {
    // A zombie has ended; only a live process counts.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

fn assert_one_line(text: &str) {
    assert_eq!(text.trim_end().lines().count(), 1, "one line: {text:?}");
}

#[test]
fn writes_what_the_script_answers_with_the_collectors_fields() {
    let dir = scratch("answer");
    let out = dir.join("status.json");
    let ran = run(&mut collector(&dir, "answer", &[POOL1, POOL2], &out));
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr);
    assert!(ran.stdout.contains("wrote 2 pool(s)"), "{}", ran.stdout);
    assert_eq!(stand_in_pids(&dir).len(), 1);
    let log = std::fs::read_to_string(dir.join("stand-in.log")).unwrap();
    assert!(
        log.trim_end().ends_with(&format!(" {POOL1},{POOL2}")),
        "{log}"
    );

    let doc = read_json(&out);
    let pools = doc.as_array().expect("a list for two pools");
    assert_eq!(pools.len(), 2);
    for (pool, name) in pools.iter().zip([POOL1, POOL2]) {
        assert_eq!(pool["PoolFqdn"], name);
        assert_eq!(pool["ActiveMasterFqdn"], POOL1);
        assert_eq!(pool["CollectorVersion"], env!("CARGO_PKG_VERSION"));
        assert!(!pool["ComputerName"].as_str().unwrap().is_empty());
        let at: jiff::Timestamp = pool["CollectedAt"].as_str().unwrap().parse().unwrap();
        let age = jiff::Timestamp::now().as_second() - at.as_second();
        assert!((0..600).contains(&age), "CollectedAt is now: {at}");
        assert_eq!(pool["BackupModules"].as_array().unwrap().len(), 3);
        // Properties the binary knows nothing about are kept.
        assert!(pool.get("OverallExportStatus").is_some() && pool.get("Padding").is_some());
    }

    let checked = check(&out);
    assert_eq!(checked.code(), Some(0), "{}", checked.stdout);
    assert!(
        checked.stdout.starts_with("CSBACKUP OK"),
        "{}",
        checked.stdout
    );
}

#[test]
fn one_pool_is_one_object_and_a_denied_pool_keeps_its_error() {
    let dir = scratch("denied");
    let out = dir.join("status.json");
    let ran = run(&mut collector(
        &dir,
        "answer",
        &[POOL1, "denied.contoso.com"],
        &out,
    ));
    // The task's last result says that collecting failed somewhere.
    assert_eq!(ran.code(), Some(1), "{}", ran.stderr);
    assert_one_line(&ran.stderr);
    assert!(
        ran.stderr.contains("wrote 2 pool(s)")
            && ran.stderr.contains("collecting denied.contoso.com failed"),
        "{}",
        ran.stderr
    );
    let checked = check(&out);
    assert_eq!(checked.code(), Some(2), "{}", checked.stdout);
    assert!(
        checked.stdout.contains("Access is denied"),
        "{}",
        checked.stdout
    );

    let single = dir.join("single.json");
    let ran = run(&mut collector(&dir, "answer", &[POOL1], &single));
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr);
    assert_eq!(read_json(&single)["PoolFqdn"], POOL1);
}

/// Runs a failing collection over an existing healthy file and returns what it said.
fn failed_collection(name: &str, mode: &str, extra: &[&str]) -> (Ran, Value, Ran) {
    let dir = scratch(name);
    let out = dir.join("status.json");
    let ran = run(&mut collector(&dir, "answer", &[POOL1], &out));
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr);
    let ran = run(collector(&dir, mode, &[POOL1], &out).args(extra));
    assert_eq!(ran.code(), Some(1), "{mode}: {}", ran.stderr);
    assert_eq!(ran.stdout, "");
    assert_one_line(&ran.stderr);
    assert!(
        ran.stderr.starts_with("check_csbackup collect: "),
        "{}",
        ran.stderr
    );
    let doc = read_json(&out);
    assert_eq!(doc["PoolFqdn"], POOL1);
    assert!(doc.get("CollectedAt").is_some() && doc.get("ComputerName").is_some());
    assert_eq!(doc["CollectorVersion"], env!("CARGO_PKG_VERSION"));
    assert!(doc.get("BackupModules").is_none(), "the old data is gone");
    let checked = check(&out);
    assert_eq!(checked.code(), Some(2), "{}", checked.stdout);
    assert!(checked.stdout.starts_with("CSBACKUP CRITICAL"));
    for pid in stand_in_pids(&dir) {
        assert!(!is_running(pid), "the stand-in {pid} was left running");
    }
    (ran, doc, checked)
}

#[test]
fn a_failing_powershell_leaves_its_error_for_the_check() {
    let (ran, doc, checked) = failed_collection("fail", "fail", &[]);
    let error = doc["Error"].as_str().unwrap();
    assert!(error.contains("exited with code 1"), "{error}");
    assert!(
        error.contains("The specified module 'SkypeForBusiness' was not loaded"),
        "{error}"
    );
    assert!(ran.stderr.contains("exited with code 1"), "{}", ran.stderr);
    assert!(
        checked.stdout.contains("SkypeForBusiness"),
        "{}",
        checked.stdout
    );
}

#[test]
fn a_hanging_powershell_is_stopped_at_the_timeout() {
    let (ran, doc, _) = failed_collection("hang", "hang", &["-t", "1"]);
    let error = doc["Error"].as_str().unwrap();
    assert!(error.contains("did not finish in time"), "{error}");
    assert!(ran.stderr.contains("raise -t"), "{}", ran.stderr);
}

#[test]
fn garbage_on_stdout_is_an_error() {
    let (_, doc, _) = failed_collection("garbage", "garbage", &[]);
    let error = doc["Error"].as_str().unwrap();
    assert!(
        error.contains("not the collector script's answer"),
        "{error}"
    );
    assert!(error.contains("it began 'WARNING: The names"), "{error}");
}

#[test]
fn a_partial_line_is_an_error() {
    let (_, doc, _) = failed_collection("partial", "partial", &[]);
    let error = doc["Error"].as_str().unwrap();
    assert!(error.contains("cut short"), "{error}");
}

#[test]
fn an_output_larger_than_any_status_document_is_an_error() {
    let dir = scratch("too-big");
    let out = dir.join("status.json");
    let ran =
        run(collector(&dir, "big", &[POOL1], &out).env("CSBACKUP_STAND_IN_BYTES", "17000000"));
    assert_eq!(ran.code(), Some(1), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("wrote more than 16777216 bytes"),
        "{}",
        ran.stderr
    );
    assert!(std::fs::metadata(&out).unwrap().len() < 4096);
}

#[test]
fn a_megabyte_on_stderr_does_not_stall_the_collector() {
    let dir = scratch("noisy");
    let out = dir.join("status.json");
    let ran = run(&mut collector(&dir, "noisy", &[POOL1], &out));
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr);
    assert_eq!(read_json(&out)["PoolFqdn"], POOL1);
}

#[test]
fn a_missing_powershell_is_an_error_in_the_file() {
    let dir = scratch("missing");
    let out = dir.join("status.json");
    let ran = run(Command::new(BIN).args([
        "collect",
        "--pool",
        POOL1,
        "--powershell",
        dir.join("no-such-powershell").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]));
    assert_eq!(ran.code(), Some(1));
    assert_one_line(&ran.stderr);
    let error = read_json(&out)["Error"].as_str().unwrap().to_owned();
    assert!(error.contains("could not be started"), "{error}");
    assert!(error.contains("--powershell"), "{error}");
}

#[test]
fn an_unwritable_out_path_fails_with_one_line() {
    let dir = scratch("unwritable");
    let out = dir.join("no-such-folder").join("status.json");
    refused_before_powershell(
        &dir,
        &mut collector(&dir, "answer", &[POOL1], &out),
        &["cannot write", "does not exist"],
    );
}

/// The collector, run with `command`, failed with one line saying each of `why`, before
/// it started PowerShell.
fn refused_before_powershell(dir: &Path, command: &mut Command, why: &[&str]) {
    let ran = run(command);
    assert_eq!(ran.code(), Some(1));
    assert_one_line(&ran.stderr);
    for words in why {
        assert!(ran.stderr.contains(words), "{}", ran.stderr);
    }
    assert!(
        stand_in_pids(dir).is_empty(),
        "refused before PowerShell runs"
    );
}

#[test]
fn a_file_for_a_folder_or_a_folder_for_a_file_is_refused_before_powershell_runs() {
    let dir = scratch("file-for-folder");
    let file = dir.join("s1.json");
    std::fs::write(&file, "{}").unwrap();
    refused_before_powershell(
        &dir,
        &mut collector_per_pool(&dir, "answer", &[POOL1], &file),
        &["s1.json is a file, not a folder; --out-dir names the folder"],
    );
    let folder = dir.join("adir");
    std::fs::create_dir(&folder).unwrap();
    refused_before_powershell(
        &dir,
        &mut collector(&dir, "answer", &[POOL1], &folder),
        &["adir: it is a folder; --out names the status file"],
    );
}

/// Whether the tests run as root, who alone may give a file to another account.
fn is_root(dir: &Path) -> bool {
    let probe = dir.join("probe");
    std::fs::write(&probe, "").expect("probe written");
    let uid = std::fs::metadata(&probe).expect("probe").uid();
    std::fs::remove_file(&probe).expect("probe removed");
    uid == 0
}

#[test]
fn refuses_a_folder_or_a_status_file_another_account_owns() {
    let dir = scratch("foreign");
    if !is_root(&dir) {
        eprintln!("skipped: giving a file to another account takes root");
        return;
    }
    let nobody = Some(65534);
    let (out, _) = healthy_file(&dir);
    // A status file someone else put there, before a run or between two.
    std::fs::write(&out, "{\"PoolFqdn\":\"forged\"}").unwrap();
    std::os::unix::fs::chown(&out, nobody, None).unwrap();
    let ran = run(&mut collector(&dir, "answer", &[POOL1], &out));
    assert_eq!(ran.code(), Some(1), "{}", ran.stderr);
    assert_one_line(&ran.stderr);
    let said = &ran.stderr;
    assert!(
        said.contains(&format!("refusing to write {}", out.display())),
        "{said}"
    );
    assert!(
        said.contains("belongs to another account (user id 65534"),
        "{said}"
    );
    assert!(said.contains("remove it"), "{said}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "{\"PoolFqdn\":\"forged\"}"
    );

    std::fs::remove_file(&out).unwrap();
    std::os::unix::fs::chown(&dir, nobody, None).unwrap();
    let ran = run(&mut collector(&dir, "answer", &[POOL1], &out));
    assert_eq!(ran.code(), Some(1), "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains(&format!("the folder {}", dir.display())),
        "{}",
        ran.stderr
    );
    assert!(!out.exists());
}

#[test]
fn refuses_a_folder_others_may_write_or_that_is_a_link() {
    let dir = scratch("open-folder");
    let open = dir.join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let ran = run(&mut collector(
        &dir,
        "answer",
        &[POOL1],
        &open.join("status.json"),
    ));
    assert_eq!(ran.code(), Some(1), "{}", ran.stderr);
    assert_one_line(&ran.stderr);
    assert!(ran.stderr.contains("mode 0777"), "{}", ran.stderr);
    let link = dir.join("link");
    std::os::unix::fs::symlink(&open, &link).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
    let ran = run(&mut collector(
        &dir,
        "answer",
        &[POOL1],
        &link.join("status.json"),
    ));
    assert_eq!(ran.code(), Some(1), "{}", ran.stderr);
    assert!(ran.stderr.contains("is a symbolic link"), "{}", ran.stderr);
    assert_eq!(std::fs::read_dir(&open).unwrap().count(), 0);
}

#[test]
fn injection_attempts_are_refused_before_anything_runs() {
    let dir = scratch("injection");
    let out = dir.join("status.json");
    let attempts = [
        r"x;Remove-Item C:\",
        "$(Remove-Item C:\\)",
        "pool01.contoso.com'; Stop-Computer; '",
        "pool01.contoso.com\"",
        "pool01 contoso.com",
        "pool01.contoso.com\nStop-Computer",
        "`whoami`",
        "-pool.contoso.com",
        "",
    ];
    for attempt in attempts {
        let ran = run(&mut collector(&dir, "answer", &[POOL1, attempt], &out));
        assert_eq!(ran.code(), Some(2), "{attempt:?}: {}", ran.stderr);
        assert_eq!(ran.stdout, "");
        assert_one_line(&ran.stderr);
        assert!(
            ran.stderr.starts_with("check_csbackup collect: usage: "),
            "{}",
            ran.stderr
        );
        // A leading '-' reads as an option, which is refused as well.
        let refused = [
            "not a host name",
            "unexpected argument",
            "a value is required",
        ];
        assert!(
            refused.iter().any(|r| ran.stderr.contains(r)),
            "{attempt:?}: {}",
            ran.stderr
        );
    }
    assert!(
        !dir.join("stand-in.log").exists(),
        "PowerShell was started for a refused pool"
    );
    assert!(!out.exists());
}

#[test]
fn usage_errors_and_help() {
    let ran = run(Command::new(BIN).args(["collect", "--pool", POOL1]));
    assert_eq!(ran.code(), Some(2));
    assert!(ran.stderr.contains("--out"), "{}", ran.stderr);
    assert_one_line(&ran.stderr);
    let ran = run(Command::new(BIN).args(["collect", "--help"]));
    assert_eq!(ran.code(), Some(0));
    assert!(ran.stdout.contains("--print-script"), "{}", ran.stdout);
    let ran = run(Command::new(BIN).args(["collect", "-t", "0", "--pool", POOL1, "--out", "x"]));
    assert_eq!(ran.code(), Some(2));
}

#[test]
fn prints_the_script_it_runs() {
    let ran = run(Command::new(BIN).args(["collect", "--print-script"]));
    assert_eq!(ran.code(), Some(0));
    assert_eq!(ran.stdout, std::fs::read_to_string(script_file()).unwrap());
}

/// A valid status file, written by a successful collection, and its bytes.
fn healthy_file(dir: &Path) -> (PathBuf, Vec<u8>) {
    let out = dir.join("status.json");
    let ran = run(&mut collector(dir, "answer", &[POOL1], &out));
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr);
    let bytes = std::fs::read(&out).unwrap();
    (out, bytes)
}

#[test]
fn killed_while_writing_the_old_file_stays_whole() {
    let dir = scratch("killed-writing");
    let (out, before) = healthy_file(&dir);
    // A file size limit makes the kernel kill the collector (SIGXFSZ) in the middle of
    // writing a document larger than the limit: a kill at exactly the worst moment.
    let command = collector(&dir, "big", &[POOL1], &out);
    let args: Vec<_> = std::iter::once(command.get_program().to_owned())
        .chain(command.get_args().map(|a| a.to_owned()))
        .collect();
    let mut limited = Command::new("bash");
    limited
        .args(["-c", "ulimit -f 16 && exec \"$@\"", "bash"])
        .args(&args)
        .envs(command.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env("CSBACKUP_STAND_IN_BYTES", "1000000");
    let ran = run(&mut limited);
    assert_eq!(
        ran.status.signal(),
        Some(25),
        "SIGXFSZ: {:?} {}",
        ran.status,
        ran.stderr
    );

    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert_eq!(leftovers.len(), 1, "the torn temporary file");
    let torn = leftovers[0].metadata().unwrap().len();
    assert!(torn > 0 && torn < 1_000_000, "cut mid-write: {torn} bytes");

    assert_eq!(
        std::fs::read(&out).unwrap(),
        before,
        "the old file is whole"
    );
    let checked = check(&out);
    assert_eq!(checked.code(), Some(0), "{}", checked.stdout);

    // The next run replaces the file; the leftover is never read.
    let ran = run(collector(&dir, "big", &[POOL1], &out).env("CSBACKUP_STAND_IN_BYTES", "100000"));
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr);
    assert!(std::fs::metadata(&out).unwrap().len() > 100_000);
    assert_eq!(check(&out).code(), Some(0));
}

#[test]
fn killed_while_reading_powershell_the_old_file_stays_whole() {
    let dir = scratch("killed-reading");
    let (out, before) = healthy_file(&dir);
    let child = collector(&dir, "big", &[POOL1], &out)
        .env("CSBACKUP_STAND_IN_BYTES", "4000000")
        .env("CSBACKUP_STAND_IN_DELAY_MS", "5")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while stand_in_pids(&dir).len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the stand-in started"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(300));
    let mut child = child;
    child.kill().unwrap();
    let ended = child.wait_with_output().unwrap();
    assert_eq!(ended.status.signal(), Some(9));
    assert_eq!(
        std::fs::read(&out).unwrap(),
        before,
        "the old file is whole"
    );
    assert_eq!(check(&out).code(), Some(0));
}

fn live(dir: &Path, mode: &str, extra: &[&str]) -> Ran {
    run(Command::new(BIN)
        .args(["--live", "--pool", POOL1, "--pool", POOL2, "--powershell"])
        .arg(stand_in())
        .args(extra)
        .env("CSBACKUP_STAND_IN", mode)
        .env("CSBACKUP_STAND_IN_SCRIPT", script_file())
        .env("CSBACKUP_STAND_IN_LOG", dir.join("stand-in.log")))
}

#[test]
fn live_checks_what_powershell_answers() {
    let dir = scratch("live");
    let ran = live(&dir, "answer", &["-v"]);
    assert_eq!(ran.code(), Some(0), "{}", ran.stdout);
    assert!(ran.stdout.starts_with("CSBACKUP OK - "), "{}", ran.stdout);
    assert!(ran.stdout.contains(POOL2), "{}", ran.stdout);
    // No collection before it: neither history nor events, whatever the environment says.
    let ran = run(Command::new(BIN)
        .args(["--live", "--pool", POOL1, "-v", "--powershell"])
        .arg(stand_in())
        .env("CSBACKUP_STAND_IN_SCRIPT", script_file())
        .env("CSBACKUP_EVENTS_SINCE", "2026-11-29T03:00:00Z"));
    assert_eq!(ran.code(), Some(0), "{}", ran.stdout);
    assert!(
        !ran.stdout.contains("Backup Service") && !ran.stdout.contains(" for "),
        "{}",
        ran.stdout
    );
    assert!(!ran.stdout.contains("backlog_age"), "{}", ran.stdout);
    let ran = live(&dir, "fail", &[]);
    assert_eq!(ran.code(), Some(2), "{}", ran.stdout);
    assert!(ran.stdout.contains("SkypeForBusiness"), "{}", ran.stdout);
    let ran = live(&dir, "partial", &[]);
    assert_eq!(ran.code(), Some(2), "{}", ran.stdout);
    assert!(ran.stdout.contains("cut short"), "{}", ran.stdout);
}

#[test]
fn live_stops_powershell_within_the_plugin_timeout() {
    let dir = scratch("live-hang");
    let ran = live(&dir, "hang", &["-t", "1"]);
    assert_eq!(ran.code(), Some(3), "{}", ran.stdout);
    assert_one_line(&ran.stdout);
    assert!(
        ran.stdout
            .starts_with("CSBACKUP UNKNOWN - timed out after 1 s while waiting for PowerShell"),
        "{}",
        ran.stdout
    );
    let pids = stand_in_pids(&dir);
    assert_eq!(pids.len(), 1);
    assert!(!is_running(pids[0]), "the stand-in was left running");
}

#[test]
fn live_usage_errors_are_unknown() {
    for args in [
        &["--live"][..],
        &["--live", "--pool", POOL1, "-f", "x.json"],
        &["--powershell", "pwsh", "-f", "x.json"],
        &["--live", "--pool", "x;y"],
    ] {
        let ran = run(Command::new(BIN).args(args));
        assert_eq!(ran.code(), Some(3), "{args:?}");
        assert!(
            ran.stdout.starts_with("CSBACKUP UNKNOWN - usage: "),
            "{}",
            ran.stdout
        );
    }
}

/// Collects `pools` with the stand-in in `mode` into one file; the file's pool objects
/// (one or several) and what the collector said.
fn collected(name: &str, mode: &str, pools: &[&str]) -> (PathBuf, Vec<Value>, Ran) {
    let dir = scratch(name);
    let out = dir.join("status.json");
    let ran = run(&mut collector(&dir, mode, pools, &out));
    let objects = match read_json(&out) {
        Value::Array(items) => items,
        one => vec![one],
    };
    (out, objects, ran)
}

#[test]
fn warnings_printed_before_the_answer_are_kept_not_fatal() {
    let (out, pools, ran) = collected("warnings", "warnings", &[POOL1, POOL2]);
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr);
    assert!(ran.stdout.contains("PowerShell warned"), "{}", ran.stdout);
    for pool in &pools {
        assert!(pool.get("Error").is_none(), "{pool}");
        let warnings: Vec<&str> = pool["Warnings"]
            .as_array()
            .expect("a Warnings list")
            .iter()
            .map(|w| w.as_str().unwrap())
            .collect();
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings[0].starts_with("The pool pool01.contoso.com has a newer topology"));
        assert!(warnings[1].starts_with("WARNING: The names of some imported commands"));
        assert!(warnings[2].starts_with("WARNING: Get-CsBackupServiceStatus: the Backup"));
    }
    let quiet = check(&out);
    assert_eq!(quiet.code(), Some(0), "{}", quiet.stdout);
    assert!(!quiet.stdout.contains("warned"), "{}", quiet.stdout);
    let verbose = check_with(&out, &["-v"]);
    assert_eq!(verbose.code(), Some(0), "{}", verbose.stdout);
    assert!(
        verbose.stdout.contains(
            "[NOTE] pool01.contoso.com: PowerShell warned while collecting: WARNING: The names of some imported commands"
        ),
        "{}",
        verbose.stdout
    );
}

#[test]
fn several_result_objects_keep_all_their_modules() {
    let (out, pools, ran) = collected("several", "several", &[POOL1, POOL2]);
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr);
    let modules: Vec<&str> = pools[0]["BackupModules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Identity"].as_str().unwrap())
        .collect();
    assert_eq!(
        modules,
        [
            "UserServices.PresenceFocus",
            "ConfServices.DataConf",
            "CentralMgmt.CMSMaster"
        ]
    );
    assert_eq!(pools[0]["ResultObjects"], 2);
    // The second object's module was the one in trouble: the check sees it.
    let checked = check(&out);
    assert_eq!(checked.code(), Some(2), "{}", checked.stdout);
    assert!(
        checked
            .stdout
            .contains("pool01.contoso.com: CentralMgmt.CMSMaster export ErrorState"),
        "{}",
        checked.stdout
    );

    let (out, pools, ran) = collected("disagreeing", "several-disagreeing", &[POOL1]);
    assert_eq!(ran.code(), Some(1), "{}", ran.stderr);
    let error = pools[0]["Error"].as_str().unwrap();
    assert!(
        error.contains(
            "returned 2 objects that disagree on PoolFqdn (pool01.contoso.com / other.contoso.com)"
        ),
        "{error}"
    );
    let checked = check(&out);
    assert_eq!(checked.code(), Some(2), "{}", checked.stdout);
    assert!(
        checked.stdout.contains("disagree on PoolFqdn"),
        "{}",
        checked.stdout
    );
}

#[test]
fn an_empty_active_master_is_not_a_missing_one() {
    // Empty: the CMS reports no master, it is unavailable: a WARNING of its own.
    let (out, pools, ran) = collected("cms-empty", "cms-empty", &[POOL1]);
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr);
    assert_eq!(pools[0]["ActiveMasterFqdn"], "");
    let checked = check(&out);
    assert_eq!(checked.code(), Some(1), "{}", checked.stdout);
    assert!(checked.stdout.contains("unavailable"), "{}", checked.stdout);

    // Nothing came back, or no such property: the collector cannot tell, and says so.
    for (mode, why) in [
        ("cms-none", "returned nothing"),
        (
            "cms-no-property",
            "returned 1 object(s) without an ActiveMasterFqdn property",
        ),
    ] {
        let (out, pools, ran) = collected(mode, mode, &[POOL1, POOL2]);
        assert_eq!(ran.code(), Some(0), "{mode}: {}", ran.stderr);
        for pool in &pools {
            assert!(pool.get("ActiveMasterFqdn").is_none(), "{mode}: {pool}");
            let error = pool["ActiveMasterFqdnError"].as_str().unwrap();
            assert!(error.contains(why), "{mode}: {error}");
        }
        // pool02's CMSMaster is NotInitialized: unknown role, not "CMS unavailable".
        let checked = check_with(&out, &["-vv"]);
        assert_eq!(checked.code(), Some(1), "{mode}: {}", checked.stdout);
        assert!(
            checked.stdout.contains("which is unknown"),
            "{}",
            checked.stdout
        );
        assert!(checked.stdout.contains(why), "{}", checked.stdout);
        assert!(
            !checked.stdout.contains("unavailable"),
            "{}",
            checked.stdout
        );
    }
}

#[test]
fn a_server_named_as_the_cms_master_is_resolved_to_its_pool() {
    // The CMS names fe02, a server of pool02, whose CentralMgmt.CMSMaster is
    // NotInitialized: on the master that is a WARNING, not the OK of a partner pool.
    let (out, pools, ran) = collected("server-master", "server-master", &[POOL1, POOL2]);
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr);
    for pool in &pools {
        assert_eq!(pool["ActiveMasterFqdn"], POOL2, "{pool}");
        assert_eq!(pool["ActiveMasterServerFqdn"], "fe02.contoso.com", "{pool}");
    }
    // The first collection into this file: its history begins now, a lower bound.
    let checked = check_with(&out, &["-vv"]);
    assert_eq!(checked.code(), Some(1), "{}", checked.stdout);
    assert!(
        common::contains_aged(
            &checked.stdout,
            "pool02.contoso.com: CentralMgmt.CMSMaster export NotInitialized for at least 0 s (no export has started yet, though the pool hosts the active CMS)"
        ),
        "{}",
        checked.stdout
    );
    assert!(
        checked
            .stdout
            .contains("the active CMS master is the server fe02.contoso.com"),
        "{}",
        checked.stdout
    );
}

#[test]
fn cmdlet_objects_are_written_by_their_string_form() {
    let (out, pools, ran) = collected("fqdn-objects", "fqdn-objects", &[POOL1, POOL2]);
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr);
    for (pool, name) in pools.iter().zip([POOL1, POOL2]) {
        assert_eq!(pool["PoolFqdn"], name);
        assert_eq!(pool["ReportedPoolFqdn"], name);
        assert_eq!(pool["ActiveMasterFqdn"], POOL1);
        for module in pool["BackupModules"].as_array().unwrap() {
            assert!(module["Identity"].is_string(), "{module}");
        }
        assert_eq!(pool["Details"], serde_json::json!({"Site": "site:Redmond"}));
        assert_eq!(
            pool["Warnings"],
            serde_json::json!(["Details: more than 50 properties"])
        );
    }
    let checked = check_with(&out, &["-v"]);
    assert_eq!(checked.code(), Some(0), "{}", checked.stdout);
    assert!(
        checked
            .stdout
            .contains("[OK] pool01.contoso.com: CentralMgmt.CMSMaster export SteadyState"),
        "{}",
        checked.stdout
    );
}

#[test]
fn one_run_writes_one_file_per_pool() {
    let dir = scratch("out-dir");
    let out = dir.join("data");
    std::fs::create_dir(&out).unwrap();
    let pools = [POOL1, POOL2, "pool03.contoso.com", "POOL01.contoso.com."];
    // Loading the module is slow; it happens once, whatever the number of pools.
    let ran =
        run(collector_per_pool(&dir, "answer", &pools, &out)
            .env("CSBACKUP_STAND_IN_LOAD_MS", "300"));
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr);
    assert!(ran.stdout.contains("wrote 3 pool(s)"), "{}", ran.stdout);
    let log = std::fs::read_to_string(dir.join("stand-in.log")).unwrap();
    assert_eq!(log.lines().count(), 1, "one PowerShell run: {log}");
    assert!(
        log.trim_end()
            .ends_with(" pool01.contoso.com,pool02.contoso.com,pool03.contoso.com"),
        "{log}"
    );
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "pool01.contoso.com.json",
            "pool02.contoso.com.json",
            "pool03.contoso.com.json"
        ]
    );
    for name in &names {
        let file = out.join(name);
        let doc = read_json(&file);
        assert_eq!(
            doc["PoolFqdn"],
            name.trim_end_matches(".json"),
            "one object per file"
        );
        let checked = check(&file);
        assert_eq!(checked.code(), Some(0), "{name}: {}", checked.stdout);
    }
}
