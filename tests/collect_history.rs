//! Black-box: the collector carries history forward across collections, and the check
//! reads it. The real `check_csbackup collect` runs against the stand-in PowerShell
//! playing a sequence of collections (`CSBACKUP_STAND_IN_SEQUENCE`, one step a run), and
//! the check runs on every document it writes.
//!
//! The clock: the collector always takes the real time, and nothing in it can be told
//! otherwise (a hidden option or variable that moves "now" would be a way to forge
//! history in production). Instead, between two runs, a test moves every time in the
//! document the collector is about to replace back (or forward) by the interval it
//! wants: to the collector, that document was then written that long ago, which is
//! exactly the situation it must handle. A gap of a day, a document from the future and
//! a changed pool list are made the same way.
#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::stand_in::{collect_command, read_json as read, scratch, POOL1, POOL2};
use common::{contains_aged, run, Run};
use serde_json::Value;

const NOT_MASTER: [&str; 2] = ["--cms-master-pool", POOL2];

/// A sequence of collections for the stand-in to play, one step a line.
struct Sequence {
    dir: PathBuf,
    file: PathBuf,
}

impl Sequence {
    fn new(name: &str, steps: &[&str]) -> Sequence {
        let dir = scratch(name);
        let file = dir.join("sequence.txt");
        std::fs::write(&file, steps.join("\n")).expect("sequence written");
        Sequence { dir, file }
    }

    /// One collection of `pools` into `out` (`--out`), with `extra` options.
    fn collect(&self, pools: &[&str], out: &Path, extra: &[&str]) -> Output {
        self.collect_into(pools, "--out", out, extra)
    }

    /// One collection of `pools` into `path`, given as `target` (`--out`, `--out-dir`).
    fn collect_into(&self, pools: &[&str], target: &str, path: &Path, extra: &[&str]) -> Output {
        collect_command(pools)
            .arg(target)
            .arg(path)
            .args(extra)
            .env("CSBACKUP_STAND_IN_SEQUENCE", &self.file)
            .output()
            .expect("the collector runs")
    }

    /// The next collection of pool01 into `status.json`, which must succeed; its path.
    fn next(&self) -> PathBuf {
        let out = self.dir.join("status.json");
        let ran = self.collect(&[POOL1], &out, &[]);
        assert!(
            ran.status.success(),
            "{}",
            String::from_utf8_lossy(&ran.stderr)
        );
        out
    }
}

/// Moves every time in the document at `path` `seconds` into the past (a negative
/// number: into the future), as if it had been written that much earlier.
fn age(path: &Path, seconds: i64) {
    fn shift(value: &mut Value, seconds: i64) {
        match value {
            Value::String(text) => {
                if let Ok(at) = text.parse::<jiff::Timestamp>() {
                    let moved = jiff::Timestamp::from_second(at.as_second() - seconds).unwrap();
                    *text = moved.to_string();
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| shift(v, seconds)),
            Value::Object(map) => map.values_mut().for_each(|v| shift(v, seconds)),
            _ => {}
        }
    }
    let mut document = read(path);
    shift(&mut document, seconds);
    std::fs::write(path, serde_json::to_vec_pretty(&document).unwrap()).expect("rewritten");
}

/// What the check says about a status file.
fn check(file: &Path, args: &[&str]) -> Run {
    let file = file.to_str().expect("a UTF-8 path");
    run(&[&["-f", file][..], args].concat(), None)
}

/// The module's `<direction>StatusSince` and the pool's `HistorySince`, as times.
fn times(document: &Value, module: &str, property: &str) -> (i64, i64) {
    let at = |v: &Value| {
        v.as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_second()
    };
    let found = document["BackupModules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Identity"] == module)
        .expect("the module");
    (at(&found[property]), at(&document["HistorySince"]))
}

const DATACONF: &str = "ConfServices.DataConf";
const BACKLOG: &str = "ConfServices.DataConf=NonSteadyState";
/// The collector's default interval, in seconds.
const INTERVAL: i64 = 300;

/// `step` `n` times.
fn repeated(step: &str, n: usize) -> Vec<&str> {
    vec![step; n]
}

impl Sequence {
    /// The next collection of pool01, one interval after the one before.
    fn later(&self) -> PathBuf {
        age(&self.dir.join("status.json"), INTERVAL);
        self.next()
    }

    /// `n` collections of pool01, one interval apart; the status file's path.
    fn collections(&self, n: usize) -> PathBuf {
        let out = self.next();
        for _ in 1..n {
            self.later();
        }
        out
    }
}

#[test]
fn a_backlog_is_timed_across_collections() {
    // Steady, then a backlog over eight collections five minutes apart, then steady.
    let mut steps = vec!["steady"];
    steps.extend(repeated(BACKLOG, 9));
    steps.push("steady");
    let sequence = Sequence::new("backlog", &steps);
    // The first collection: history begins, and says why.
    let out = sequence.next();
    let first = read(&out);
    assert_eq!(first["HistoryRestart"], "there is no previous document");
    assert_eq!(first["HistorySince"], first["CollectedAt"]);
    let checked = check(&out, &NOT_MASTER);
    checked.assert(0, "OK - pool01.contoso.com: all 3 backup modules OK");
    assert_eq!(checked.perf_number("backlog_age"), Some(0));

    // A backlog appears: first seen after the history began, so its duration is exact,
    // and short: OK.
    sequence.later();
    let second = read(&out);
    assert!(second.get("HistoryRestart").is_none(), "{second}");
    let (since, history) = times(&second, DATACONF, "ExportStatusSince");
    assert!(since > history, "exact: first seen after the history began");
    let checked = check(&out, &["-v", NOT_MASTER[0], NOT_MASTER[1]]);
    checked.assert(0, "OK - ");
    checked.assert(
        0,
        "ConfServices.DataConf export NonSteadyState for 0 s (OK)",
    );
    sequence.later();
    check(&out, &NOT_MASTER).assert(0, "OK - ");

    // Fifteen minutes: WARNING.
    sequence.later();
    sequence.later();
    let checked = check(&out, &NOT_MASTER);
    checked.assert(
        1,
        "WARNING - pool01.contoso.com: ConfServices.DataConf export NonSteadyState for 15 min (",
    );
    assert!((900..960).contains(&checked.perf_number("backlog_age").unwrap()));

    // Thirty-five minutes: CRITICAL.
    for _ in 0..4 {
        sequence.later();
    }
    let checked = check(&out, &NOT_MASTER);
    checked.assert(
        2,
        "CRITICAL - pool01.contoso.com: ConfServices.DataConf export NonSteadyState for 35 min (",
    );
    assert!((2100..2160).contains(&checked.perf_number("backlog_age").unwrap()));

    // It clears: OK again; the import has been NormalState since the history began.
    sequence.later();
    sequence.later();
    let last = read(&out);
    let checked = check(&out, &["-v", NOT_MASTER[0], NOT_MASTER[1]]);
    checked.assert(0, "OK - ");
    checked.assert(
        0,
        "ConfServices.DataConf export FinalState for 0 s (OK), import NormalState for at least 50 min (OK)",
    );
    assert_eq!(checked.perf_number("backlog_age"), Some(0));
    let (_, history) = times(&last, DATACONF, "ImportStatusSince");
    assert_eq!(
        history,
        times(&first, DATACONF, "ImportStatusSince").1 - 10 * INTERVAL
    );
}

#[test]
fn the_default_thresholds_fall_between_collections() {
    // The collection that first saw the backlog loaded the module 40 s faster, or
    // slower, than the ones after it: each later duration is that much longer, or
    // shorter, than whole intervals. The verdicts are the same either way.
    let expected = [0, 0, 0, 1, 1, 1, 1, 2];
    let mut verdicts = vec![];
    for skew in [-40, 40] {
        let mut steps = vec!["steady"];
        steps.extend(repeated(BACKLOG, 8));
        let sequence = Sequence::new(&format!("skew{skew}"), &steps);
        let out = sequence.next();
        sequence.later();
        let mut codes = vec![check(&out, &NOT_MASTER).code];
        age(&out, INTERVAL + skew);
        sequence.next();
        codes.push(check(&out, &NOT_MASTER).code);
        for _ in 0..6 {
            sequence.later();
            codes.push(check(&out, &NOT_MASTER).code);
        }
        verdicts.push(codes);
    }
    assert_eq!(verdicts[0], expected, "40 s shorter");
    assert_eq!(verdicts[1], expected, "40 s longer");
}

#[test]
fn a_backlog_older_than_the_history_is_a_lower_bound() {
    let sequence = Sequence::new("lower-bound", &repeated(BACKLOG, 9));
    let out = sequence.next();
    check(&out, &NOT_MASTER).assert(
        1,
        "WARNING - pool01.contoso.com: ConfServices.DataConf export NonSteadyState for at least 0 s (",
    );
    for _ in 0..8 {
        sequence.later();
    }
    let checked = check(&out, &NOT_MASTER);
    checked.assert(
        2,
        "CRITICAL - pool01.contoso.com: ConfServices.DataConf export NonSteadyState for at least 40 min (",
    );
    assert!((2400..2460).contains(&checked.perf_number("backlog_age").unwrap()));
}

#[test]
fn a_module_stuck_in_not_initialized_becomes_a_warning() {
    let sequence = Sequence::new(
        "stuck",
        &repeated("ConfServices.DataConf=NotInitialized", 14),
    );
    let out = sequence.next();
    check(&out, &NOT_MASTER).assert(0, "OK - ");
    for _ in 0..11 {
        sequence.later();
    }
    check(&out, &NOT_MASTER).assert(0, "OK - ");
    sequence.later();
    sequence.later();
    check(&out, &NOT_MASTER).assert(
        1,
        "WARNING - pool01.contoso.com: ConfServices.DataConf export NotInitialized for at least 65 min (no export has started yet, 390",
    )
    .assert(1, " s outside the --not-initialized-warning range 3750");
}

/// Two collections of a backlog with `between` applied to the first document; the
/// second document and what the check says of it.
fn backlog_twice(name: &str, between: impl FnOnce(&Path)) -> (Value, Run) {
    let sequence = Sequence::new(name, &[BACKLOG, BACKLOG]);
    let out = sequence.next();
    between(&out);
    sequence.next();
    (read(&out), check(&out, &NOT_MASTER))
}

#[test]
fn a_previous_document_from_the_future_gives_no_history() {
    let (document, checked) = backlog_twice("future", |out| age(out, -3600));
    let restart = document["HistoryRestart"].as_str().unwrap();
    assert!(
        restart.contains("is later than now") && restart.contains("was the clock set back?"),
        "{restart}"
    );
    assert_eq!(document["HistorySince"], document["CollectedAt"]);
    checked.assert(1, "NonSteadyState for at least 0 s (");
}

#[test]
fn a_gap_of_a_day_gives_no_history_unless_allowed() {
    let (document, checked) = backlog_twice("gap", |out| age(out, 86_400));
    assert_eq!(
        document["HistoryRestart"],
        "the previous document is 24 h 0 min old, more than --history-max-age 1050 s"
    );
    checked.assert(1, "NonSteadyState for at least 0 s (");

    // An operator who collects daily says so, and the chain spans the day.
    let sequence = Sequence::new("daily", &[BACKLOG, BACKLOG]);
    let out = sequence.dir.join("status.json");
    let daily = ["--history-max-age", "90000"];
    assert!(sequence.collect(&[POOL1], &out, &daily).status.success());
    age(&out, 86_400);
    assert!(sequence.collect(&[POOL1], &out, &daily).status.success());
    check(&out, &NOT_MASTER).assert(2, "NonSteadyState for at least 24 h 0 min (");
}

#[test]
fn a_changed_pool_list_keeps_each_pools_history() {
    let sequence = Sequence::new("pools", &[BACKLOG, BACKLOG]);
    let out = sequence.dir.join("status.json");
    assert!(sequence.collect(&[POOL1], &out, &[]).status.success());
    age(&out, INTERVAL);
    assert!(sequence
        .collect(&[POOL1, POOL2], &out, &[])
        .status
        .success());
    let both = read(&out);
    let pools = both.as_array().expect("two pools");
    assert!(pools[0].get("HistoryRestart").is_none(), "{}", pools[0]);
    assert_eq!(
        pools[1]["HistoryRestart"],
        "the previous document holds another pool (pool01.contoso.com)"
    );
    let checked = check(&out, &NOT_MASTER);
    checked.assert(
        1,
        "pool01.contoso.com: ConfServices.DataConf export NonSteadyState for at least 5 min (",
    );
    // From two pools to another two: pool02 is found in the list, pool03 is not.
    std::fs::write(&sequence.file, [BACKLOG; 3].join("\n")).unwrap();
    age(&out, INTERVAL);
    assert!(sequence
        .collect(&[POOL2, "pool03.contoso.com"], &out, &[])
        .status
        .success());
    let next = read(&out);
    assert!(next[0].get("HistoryRestart").is_none(), "{}", next[0]);
    assert_eq!(
        next[1]["HistoryRestart"],
        "the previous document has no entry for this pool"
    );
    assert!(
        contains_aged(
            &checked.stdout,
            "[WARNING] pool02.contoso.com: ConfServices.DataConf export NonSteadyState for at least 0 s ("
        ),
        "{}",
        checked.stdout
    );
}

#[test]
fn another_pools_file_unreadable_files_and_failed_collections_give_no_history() {
    // --out-dir: pool02's file holds pool01's document.
    let sequence = Sequence::new("out-dir", &[BACKLOG, BACKLOG]);
    let folder = sequence.dir.join("data");
    std::fs::create_dir(&folder).unwrap();
    let run = |pools: &[&str]| {
        let ran = sequence.collect_into(pools, "--out-dir", &folder, &[]);
        assert!(
            ran.status.success(),
            "{}",
            String::from_utf8_lossy(&ran.stderr)
        );
    };
    run(&[POOL1, POOL2]);
    let (one, two) = (
        folder.join("pool01.contoso.com.json"),
        folder.join("pool02.contoso.com.json"),
    );
    std::fs::copy(&one, &two).unwrap();
    run(&[POOL1, POOL2]);
    assert!(read(&one)["HistoryRestart"].is_null());
    assert_eq!(
        read(&two)["HistoryRestart"],
        "the previous document holds another pool (pool01.contoso.com)"
    );

    // A file far larger than any the collector writes is not read: its JSON tree would
    // cost the collector ten times its size in memory.
    let (document, _) = backlog_twice("huge", |out| {
        let mut huge = read(out);
        huge["Padding"] = "x".repeat(5 << 20).into();
        std::fs::write(out, serde_json::to_vec(&huge).unwrap()).unwrap();
    });
    let restart = document["HistoryRestart"].as_str().unwrap();
    assert!(
        restart.starts_with("the previous document is unreadable: ")
            && restart.ends_with(" bytes, more than the 4194304 its history is read from"),
        "{restart}"
    );

    // A torn file.
    let (document, _) = backlog_twice("torn", |out| std::fs::write(out, "{\"PoolFqdn\":").unwrap());
    assert!(document["HistoryRestart"]
        .as_str()
        .unwrap()
        .starts_with("the previous document is unreadable: not the JSON the collector writes"));
}

#[test]
fn a_failed_collection_keeps_what_was_known_for_the_next() {
    // Nine collections of a backlog, one that fails, then the backlog again: the failed
    // document keeps the history, and the next collection continues it.
    let mut steps = repeated(BACKLOG, 9);
    steps.extend(["fail", BACKLOG]);
    let sequence = Sequence::new("failed", &steps);
    let out = sequence.collections(9);
    check(&out, &NOT_MASTER).assert(2, "NonSteadyState for at least 40 min (");
    age(&out, INTERVAL);
    let failed = sequence.collect(&[POOL1], &out, &[]);
    assert_eq!(failed.status.code(), Some(1));
    let document = read(&out);
    assert!(document.get("HistoryRestart").is_none(), "{document}");
    assert!(document.get("HistorySince").is_some(), "{document}");
    assert_eq!(
        document["LastCollected"]["BackupModules"][1]["ExportStatus"],
        "NonSteadyState"
    );
    check(&out, &NOT_MASTER).assert(2, "CRITICAL - pool01.contoso.com: collection failed");
    sequence.later();
    let document = read(&out);
    assert!(document.get("HistoryRestart").is_none(), "{document}");
    assert!(document.get("LastCollected").is_none(), "{document}");
    let checked = check(&out, &NOT_MASTER);
    checked.assert(
        2,
        "CRITICAL - pool01.contoso.com: ConfServices.DataConf export NonSteadyState for at least 50 min (",
    );
    assert!((3000..3060).contains(&checked.perf_number("backlog_age").unwrap()));
}

/// Sets `property` of the module `module` in the document at `path` to `value`.
fn rewrite(path: &Path, module: &str, property: &str, value: &str) {
    let mut document = read(path);
    let entry = document["BackupModules"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|m| m["Identity"] == module)
        .expect("the module");
    entry[property] = value.into();
    std::fs::write(path, serde_json::to_vec_pretty(&document).unwrap()).expect("rewritten");
}

#[test]
fn an_untrusted_time_before_never_makes_a_long_backlog_new() {
    for (name, odd) in [
        ("unreadable", "2026-11-29 05:00:00"),
        ("future", "2999-01-01T00:00:00Z"),
    ] {
        let sequence = Sequence::new(name, &repeated(BACKLOG, 10));
        let out = sequence.collections(9);
        check(&out, &NOT_MASTER).assert(2, "NonSteadyState for at least 40 min (");
        rewrite(&out, DATACONF, "ExportStatusSince", odd);
        sequence.later();
        let document = read(&out);
        assert_eq!(
            document["HistoryRestart"],
            "the previous document's ExportStatusSince of the module ConfServices.DataConf is \
             not a time before its CollectedAt",
            "{name}"
        );
        // Seen at the previous collection: at least that long, never a fresh 0 s.
        let checked = check(&out, &NOT_MASTER);
        checked.assert(
            1,
            "WARNING - pool01.contoso.com: ConfServices.DataConf export NonSteadyState for at least 5 min (",
        );
        assert!((300..360).contains(&checked.perf_number("backlog_age").unwrap()));
    }
}

#[test]
fn a_module_reported_twice_never_hides_a_long_backlog() {
    // One entry SteadyState, the other NonSteadyState, at every collection.
    let twice = "ConfServices.DataConf=SteadyState ConfServices.DataConf+=NonSteadyState";
    let sequence = Sequence::new("twice", &repeated(twice, 9));
    let out = sequence.collections(9);
    let checked = check(&out, &["-v", NOT_MASTER[0], NOT_MASTER[1]]);
    checked.assert(
        2,
        "CRITICAL - pool01.contoso.com: ConfServices.DataConf export NonSteadyState for at least 40 min (",
    );
    checked.assert(
        2,
        "ConfServices.DataConf export SteadyState for at least 40 min (OK)",
    );
    assert!((2400..2460).contains(&checked.perf_number("backlog_age").unwrap()));

    // Both entries NonSteadyState: which continues which cannot be told, so no duration,
    // and the seed's WARNING, never OK.
    let both = "ConfServices.DataConf=NonSteadyState ConfServices.DataConf+=NonSteadyState";
    let sequence = Sequence::new("twice-same", &repeated(both, 4));
    let out = sequence.next();
    for _ in 0..3 {
        sequence.later();
    }
    let document = read(&out);
    assert!(document.get("HistoryRestart").is_none(), "{document}");
    let checked = check(&out, &["-v", NOT_MASTER[0], NOT_MASTER[1]]);
    checked.assert(
        1,
        "WARNING - pool01.contoso.com: ConfServices.DataConf export NonSteadyState (changes exceed",
    );
    checked.assert(
        1,
        "[NOTE] pool01.contoso.com: ConfServices.DataConf ExportStatusSince is missing: how long that status has lasted is unknown",
    );
}

/// The time `key` of the document's `BackupServiceEvents`, in seconds.
fn event_time(document: &Value, key: &str) -> i64 {
    document["BackupServiceEvents"][key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key}: {document}"))
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_second()
}

fn collected_at(document: &Value) -> i64 {
    let at: jiff::Timestamp = document["CollectedAt"].as_str().unwrap().parse().unwrap();
    at.as_second()
}

#[test]
fn backup_service_events_are_read_from_one_collection_to_the_next() {
    let sequence = Sequence::new(
        "events",
        &[
            "steady",
            "error:4069 warning:4011",
            "steady",
            "events:denied",
            "events:no-source",
        ],
    );
    // The first collection looks back --history-max-age.
    let out = sequence.next();
    let first = read(&out);
    let events = &first["BackupServiceEvents"];
    assert_eq!(events["LogName"], "Lync Server");
    assert_eq!(events["Source"], "LS Backup Service");
    assert_eq!(
        (&events["Errors"], &events["Warnings"]),
        (&0.into(), &0.into())
    );
    let window = collected_at(&first) - event_time(&first, "Since");
    assert!((1050..1055).contains(&window), "{window}");
    let checked = check(&out, &NOT_MASTER);
    checked.assert(
        0,
        "OK - pool01.contoso.com: all 3 backup modules OK, data 0 s old |",
    );
    assert_eq!(checked.perf_number("events_error"), Some(0));

    // The Backup Service logs an error: read from where the last collection stopped.
    let until = event_time(&first, "Until");
    let second = {
        sequence.later();
        read(&out)
    };
    assert_eq!(event_time(&second, "Since"), until - INTERVAL);
    let checked = check(&out, &NOT_MASTER);
    checked.assert(
        1,
        "WARNING - pool01.contoso.com: Backup Service logged 1 error, the latest 4069: Event 4069 of the Backup Service. (in the 'Lync Server' log of fe01.contoso.com since ",
    );
    assert_eq!(checked.perf_number("events_error"), Some(1));
    assert_eq!(checked.perf_number("events_warning"), Some(1));
    let listed = check(
        &out,
        &["-v", "--on-event-error", "ok", NOT_MASTER[0], NOT_MASTER[1]],
    );
    listed.assert(
        0,
        "[NOTE] pool01.contoso.com: Backup Service event 4011 (Warning) at ",
    );
    listed.assert(0, ": Event 4011 of the Backup Service.\n");

    // Nothing new at the next collection: OK again.
    sequence.later();
    let checked = check(&out, &NOT_MASTER);
    checked.assert(0, "OK - ");
    assert_eq!(checked.perf_number("events_error"), Some(0));

    // The log may not be read: said, never paged.
    sequence.later();
    let denied = read(&out);
    assert_eq!(
        denied["BackupServiceEvents"]["Error"],
        "Attempted to perform an unauthorized operation. (System.UnauthorizedAccessException)"
    );
    let checked = check(&out, &NOT_MASTER);
    checked.assert(
        0,
        "OK - pool01.contoso.com: all 3 backup modules OK, data 0 s old, Backup Service events not read |",
    );
    checked.assert(0, "\n[NOTE] pool01.contoso.com: Backup Service events not read (the 'Lync Server' log of fe01.contoso.com): Attempted to perform an unauthorized operation.");
    assert_eq!(checked.perf_number("events_error"), Some(0));

    // After a window that was not read, the next reads it: from where it began, so
    // that no event is missed and none is reported twice; a source that is not on the
    // server is no event, with a note.
    let denied_since = event_time(&denied, "Since");
    sequence.later();
    let missing = read(&out);
    assert_eq!(event_time(&missing, "Since"), denied_since - INTERVAL);
    let checked = check(&out, &["-v", NOT_MASTER[0], NOT_MASTER[1]]);
    checked.assert(
        0,
        "OK - pool01.contoso.com: all 3 backup modules OK, data 0 s old |",
    );
    checked.assert(0, "[NOTE] pool01.contoso.com: Backup Service events: no such log or source on this server (There is not an event provider on the localhost computer that matches \"LS Backup Service\".)");
}

#[test]
fn a_storm_of_warnings_hides_no_error() {
    // 600 warnings newer than the error: Get-WinEvent -MaxEvents 500 for every level
    // would read warnings alone.
    let sequence = Sequence::new("storm", &["error:4069 storm:600", "storm:600"]);
    let out = sequence.next();
    let checked = check(&out, &NOT_MASTER);
    checked.assert(
        1,
        "WARNING - pool01.contoso.com: Backup Service logged 1 error, the latest 4069: ",
    );
    assert_eq!(checked.perf_number("events_error"), Some(1));
    assert_eq!(checked.perf_number("events_warning"), Some(500));
    // Warnings alone: as many as were read, and said to be a lower bound.
    sequence.later();
    let checked = check(&out, &["-v", NOT_MASTER[0], NOT_MASTER[1]]);
    checked.assert(0, "OK - ");
    checked.assert(0, "no Backup Service errors since ");
    checked.assert(
        0,
        " (at least 500 warnings in the 'Lync Server' log of fe01.contoso.com)",
    );
}

#[test]
fn a_failed_collection_leaves_its_window_to_the_next() {
    let sequence = Sequence::new("events-failed", &["error:4069", "steady", "fail", "steady"]);
    let out = sequence.next();
    sequence.later();
    let read_until = event_time(&read(&out), "Until");
    // The collection fails: its document says the window was not read, and where it began.
    age(&out, INTERVAL);
    assert_eq!(sequence.collect(&[POOL1], &out, &[]).status.code(), Some(1));
    let failed = read(&out);
    assert_eq!(event_time(&failed, "Since"), read_until - INTERVAL);
    assert_eq!(
        failed["BackupServiceEvents"]["Error"],
        "the collection failed before the log was read"
    );
    // The next reads from there: the error of the first window is not read again, and
    // nothing logged while the collection failed is missed.
    sequence.later();
    let next = read(&out);
    assert_eq!(event_time(&next, "Since"), read_until - 2 * INTERVAL);
    assert!(collected_at(&next) - event_time(&next, "Since") < 900);
}

#[test]
fn the_events_go_to_the_pool_of_the_server_whose_log_it_is() {
    let sequence = Sequence::new(
        "events-pool",
        &[
            "error:4069 computer:pool02.contoso.com",
            "error:4069 computer:unknown",
        ],
    );
    let out = sequence.dir.join("status.json");
    let options = [
        "--event-log",
        "Lync Server",
        "--event-source",
        "LS Backup Service",
    ];
    assert!(sequence
        .collect(&[POOL1, POOL2], &out, &options)
        .status
        .success());
    let pools = read(&out);
    // pool01 gets the window and whose log it was, not the events.
    let elsewhere = &pools[0]["BackupServiceEvents"];
    assert!(elsewhere.get("Errors").is_none(), "{elsewhere}");
    assert_eq!(
        elsewhere["Elsewhere"],
        "the log read is that of fe01.contoso.com, a server of pool02.contoso.com: this \
         pool's Backup Service writes to the logs of its own front ends"
    );
    assert_eq!(pools[1]["BackupServiceEvents"]["Errors"], 1);
    let checked = check(&out, &["-vv", NOT_MASTER[0], NOT_MASTER[1]]);
    checked.assert(
        1,
        "pool02.contoso.com: Backup Service logged 1 error, the latest 4069",
    );
    checked.assert(1, "[NOTE] pool01.contoso.com: Backup Service events not in this document: the log read is that of fe01.contoso.com");
    assert!(
        !checked.stdout.contains("events not read"),
        "{}",
        checked.stdout
    );
    assert_eq!(
        checked.perf_number("pool01.contoso.com_events_error"),
        Some(0)
    );
    assert_eq!(
        checked.perf_number("pool02.contoso.com_events_error"),
        Some(1)
    );

    // A server whose pool cannot be told: every pool gets its events, saying why.
    assert!(sequence
        .collect(&[POOL1, POOL2], &out, &[])
        .status
        .success());
    for pool in read(&out).as_array().unwrap() {
        assert_eq!(
            pool["BackupServiceEvents"]["ComputerPoolError"],
            "Get-CsComputer -Identity fe01.contoso.com: Access is denied."
        );
    }
}

#[test]
fn a_collectors_series_are_the_same_whatever_happened() {
    // Two pools in one document: all well; pool01 denied; the whole collection failed;
    // Get-CsComputer could not tell the server's pool; the log denied.
    let sequence = Sequence::new(
        "series",
        &[
            "steady",
            "deny:pool01.contoso.com",
            "fail",
            "computer:unknown",
            "events:denied",
            BACKLOG,
        ],
    );
    let out = sequence.dir.join("status.json");
    let mut first: Option<(Vec<String>, Vec<String>)> = None;
    for step in 0..6 {
        if step > 0 {
            age(&out, INTERVAL);
        }
        sequence.collect(&[POOL1, POOL2], &out, &[]);
        let document = read(&out);
        for pool in document.as_array().unwrap() {
            for field in ["HistorySince", "BackupServiceEvents"] {
                assert!(pool.get(field).is_some(), "step {step}: {pool}");
            }
        }
        let all = check(&out, &NOT_MASTER).labels();
        // --max-output 1023 keeps the same pools whichever failed.
        let cut = check(
            &out,
            &["--max-output", "1023", NOT_MASTER[0], NOT_MASTER[1]],
        )
        .labels();
        assert_eq!(all.len(), 2 * 12, "step {step}: {all:?}");
        match &first {
            None => first = Some((all, cut)),
            Some((first_all, first_cut)) => {
                assert_eq!(&all, first_all, "step {step}");
                assert_eq!(&cut, first_cut, "step {step}");
            }
        }
    }
}

#[test]
fn the_log_and_source_are_options_and_checked_as_names() {
    let sequence = Sequence::new("events-names", &["steady"]);
    let out = sequence.dir.join("status.json");
    let names = [
        "--event-log",
        "Skype Server",
        "--event-source",
        "SfB Backup",
    ];
    let ran = sequence.collect(&[POOL1], &out, &names);
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    let events = &read(&out)["BackupServiceEvents"];
    assert_eq!(
        (&events["LogName"], &events["Source"]),
        (&"Skype Server".into(), &"SfB Backup".into())
    );
    let ran = sequence.collect(&[POOL1], &out, &["--event-source", "a'b"]);
    assert_eq!(ran.status.code(), Some(2));
    let said = String::from_utf8_lossy(&ran.stderr);
    assert!(
        said.contains("is not an event log or source name"),
        "{said}"
    );
    // A line break is shown as one, not as a space that makes the name look valid.
    let ran = sequence.collect(&[POOL1], &out, &["--event-log", "Lync\nServer"]);
    assert_eq!(ran.status.code(), Some(2));
    let said = String::from_utf8_lossy(&ran.stderr);
    assert!(
        said.contains("'Lync\\nServer' is not an event log or source name"),
        "{said}"
    );
}
