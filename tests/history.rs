//! Black-box: what the collector's history and the Backup Service's events do to a
//! verdict, on documents written here as the collector writes them: how long a backlog
//! has lasted, a module stuck in `NotInitialized`, the events since the collection
//! before, each with the options that change it; and a document without them read as
//! before. `tests/collect_history.rs` has the collector write such documents itself.

mod common;
use common::*;

const P: &str = "pool01.contoso.com";
const NOT_MASTER: [&str; 2] = ["--cms-master-pool", "pool02.contoso.com"];

/// A time `minutes` before now, as the collector writes times.
fn ago(minutes: i64) -> String {
    let now = jiff::Timestamp::now().as_second();
    jiff::Timestamp::from_second(now - minutes * 60)
        .expect("a time")
        .to_string()
}

/// One module in `export` since `since` minutes ago (its import NormalState as long as
/// the history), in a document collected now whose history began `history` minutes ago;
/// `extra` holds more pool properties, each followed by a comma.
fn document(export: &str, since: i64, history: i64, extra: &str) -> String {
    document_of("ConfServices.DataConf", export, since, history, extra)
}

fn document_of(module: &str, export: &str, since: i64, history: i64, extra: &str) -> String {
    format!(
        r#"{{"PoolFqdn":"{P}","CollectedAt":"{}","HistorySince":"{}",{extra}
            "BackupModules":[{{"Identity":"{module}","ExportStatus":"{export}",
            "ImportStatus":"NormalState","ExportStatusSince":"{}","ImportStatusSince":"{}"}}]}}"#,
        ago(0),
        ago(history),
        ago(since),
        ago(history),
    )
}

#[test]
fn a_backlog_is_graded_by_how_long_it_has_lasted() {
    // Seen first 3 minutes ago, after the history began: a batch backlog, OK.
    let run = check_json(&document("NonSteadyState", 3, 120, ""), &["-v"]);
    run.assert(0, "OK - pool01.contoso.com: all 1 backup modules OK");
    assert!(
        run.stdout
            .contains("ConfServices.DataConf export NonSteadyState for 3 min (OK)"),
        "{}",
        run.stdout
    );
    assert_eq!(run.perf("backlog_age").as_deref(), Some("180s"));
    check_json(&document("NonSteadyState", 20, 120, ""), &[]).assert(
        1,
        "WARNING - pool01.contoso.com: ConfServices.DataConf export NonSteadyState for 20 min \
         (changes exceed the Backup Service's capacity, a backlog is building, 1200 s outside \
         the --backlog-warning range 750",
    );
    let run = check_json(&document("NonSteadyState", 42, 120, ""), &[]);
    run.assert(
        2,
        "CRITICAL - pool01.contoso.com: ConfServices.DataConf export NonSteadyState for 42 min",
    );
    assert!(run.stdout.contains("outside the --backlog-critical range 1950: a failover now would lose the changes not yet backed up"), "{}", run.stdout);
    assert!(
        run.perfdata().contains(" backlog_age=2520s;750;1950;0"),
        "{}",
        run.perfdata()
    );
    // The thresholds are the operator's.
    check_json(
        &document("NonSteadyState", 42, 120, ""),
        &["--backlog-warning", "3000", "--backlog-critical", "6000"],
    )
    .assert(0, "OK - ");
}

#[test]
fn a_backlog_older_than_the_history_is_a_lower_bound() {
    // Already there when the history began: short as it looks, it may be long.
    let run = check_json(&document("NonSteadyState", 3, 3, ""), &[]);
    run.assert(
        1,
        "WARNING - pool01.contoso.com: ConfServices.DataConf export NonSteadyState for at least 3 min",
    );
    assert!(
        run.stdout
            .contains("it may be older than the collector's history"),
        "{}",
        run.stdout
    );
    // A lower bound beyond the critical range is certainly beyond it.
    check_json(&document("NonSteadyState", 45, 45, ""), &[]).assert(
        2,
        "ConfServices.DataConf export NonSteadyState for at least 45 min",
    );
    // Why the history began again at this collection: -v.
    let doc = document(
        "NonSteadyState",
        0,
        0,
        r#""HistoryRestart":"the previous document is 24 h 0 min old, more than --history-max-age 900 s","#,
    );
    let run = check_json(&doc, &["-v"]);
    run.assert(1, "NonSteadyState for at least 0 s");
    assert!(
        run.stdout.contains(
            "the collector's history began again at this collection (the previous document is \
             24 h 0 min old, more than --history-max-age 900 s)"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn history_times_are_read_as_collected_at_is() {
    // A Unix time, as a number or as text, as CollectedAt takes it.
    let now = jiff::Timestamp::now().as_second();
    for since in [format!("{}", now - 2520), format!("\"{}\"", now - 2520)] {
        let doc = format!(
            r#"{{"PoolFqdn":"{P}","CollectedAt":{now},"HistorySince":{},
                "BackupModules":[{{"Identity":"ConfServices.DataConf","ExportStatus":"NonSteadyState",
                "ImportStatus":"NormalState","ExportStatusSince":{since},"ImportStatusSince":{}}}]}}"#,
            now - 7200,
            now - 7200
        );
        check_json(&doc, &[]).assert(
            2,
            "CRITICAL - pool01.contoso.com: ConfServices.DataConf export NonSteadyState for 42 min (",
        );
    }
}

#[test]
fn without_collected_at_no_duration_is_measured() {
    // On standard input the document has no file time either: a duration to now would
    // count the time since the collection as backlog, and claim it exact.
    let long = document("NonSteadyState", 60, 120, "");
    let at = long.find(r#""CollectedAt""#).unwrap();
    let end = at + long[at..].find(',').unwrap() + 1;
    let without = format!("{}{}", &long[..at], &long[end..]);
    let stdin = check_json(&without, &["-v"]);
    stdin.assert(
        1,
        "WARNING - pool01.contoso.com: ConfServices.DataConf export NonSteadyState (changes exceed",
    );
    assert!(!stdin.stdout.contains(" for "), "{}", stdin.stdout);
    assert!(
        stdin.stdout.contains(
            "[NOTE] pool01.contoso.com: no readable CollectedAt: how long each status has lasted \
             is not measured (a duration is measured to the collection, never to now)"
        ),
        "{}",
        stdin.stdout
    );
    // A file's time is not when the collector saw the statuses either.
    let (_dir, path) = file("history.json", without.as_bytes());
    let from_file = run(&["-f", path.to_str().unwrap()], None);
    from_file.assert(
        1,
        "ConfServices.DataConf export NonSteadyState (changes exceed",
    );
}

#[test]
fn without_history_a_backlog_is_the_seeds_warning_as_before() {
    let raw = status_json(
        Some(P),
        &[("ConfServices.DataConf", "NonSteadyState", "NormalState")],
        "",
    );
    let run = check_json(&raw, &[]);
    run.assert(
        1,
        "WARNING - pool01.contoso.com: ConfServices.DataConf export NonSteadyState (changes exceed the Backup Service's capacity, a backlog is building) | ",
    );
    // The same shape as before: no duration, no new perfdata.
    for label in ["backlog_age", "events_error", "events_warning"] {
        assert_eq!(run.perf(label), None, "{}", run.perfdata());
    }
    assert!(!run.stdout.contains(" for "), "{}", run.stdout);
}

#[test]
fn a_backlog_just_beyond_a_range_says_its_seconds() {
    // 12 min 31 s: "for 12 min" alone would read as within 750 s.
    let now = jiff::Timestamp::now().as_second();
    let at = |seconds: i64| {
        jiff::Timestamp::from_second(now - seconds)
            .unwrap()
            .to_string()
    };
    let doc = format!(
        r#"{{"PoolFqdn":"{P}","CollectedAt":"{}","HistorySince":"{}",
            "BackupModules":[{{"Identity":"ConfServices.DataConf","ExportStatus":"NonSteadyState",
            "ImportStatus":"NormalState","ExportStatusSince":"{}","ImportStatusSince":"{}"}}]}}"#,
        at(0),
        at(7200),
        at(751),
        at(7200)
    );
    check_json(&doc, &[]).assert(
        1,
        "ConfServices.DataConf export NonSteadyState for 12 min (changes exceed the Backup \
         Service's capacity, a backlog is building, 751 s outside the --backlog-warning range 750",
    );
}

#[test]
fn backlog_age_counts_the_overall_status_and_loses_its_ranges_to_map() {
    // OverallExportStatus NonSteadyState for an hour: the state and backlog_age agree.
    let doc = document(
        "SteadyState",
        120,
        120,
        &format!(
            r#""OverallExportStatus":"NonSteadyState","OverallExportStatusSince":"{}","#,
            ago(60)
        ),
    );
    let run = check_json(&doc, &[]);
    run.assert(
        2,
        "CRITICAL - pool01.contoso.com: overall export NonSteadyState for 60 min (",
    );
    assert!(
        run.perfdata().contains(" backlog_age=3600s;750;1950;0"),
        "{}",
        run.perfdata()
    );
    // With --map for NonSteadyState the ranges decide nothing: none in the perfdata.
    let run = check_json(&doc, &["--map", "export:NonSteadyState=ok"]);
    run.assert(0, "OK - ");
    assert!(
        run.perfdata().contains(" backlog_age=3600s;;;0"),
        "{}",
        run.perfdata()
    );
}

#[test]
fn map_for_the_status_overrides_the_duration() {
    let long = document("NonSteadyState", 42, 120, "");
    let run = check_json(&long, &["--map", "export:NonSteadyState=warning"]);
    run.assert(
        1,
        "ConfServices.DataConf export NonSteadyState for 42 min (changes exceed the Backup \
         Service's capacity, a backlog is building, level set by --map)",
    );
    let short = document("NonSteadyState", 3, 120, "");
    check_json(&short, &["--map", "NonSteadyState=critical"]).assert(2, "level set by --map");
    let stuck = document("NotInitialized", 300, 300, "");
    let mut args = NOT_MASTER.to_vec();
    args.extend(["--map", "export:NotInitialized=ok"]);
    check_json(&stuck, &args).assert(0, "OK - ");
}

#[test]
fn a_module_stuck_in_not_initialized_is_a_warning_wherever_the_cms_is() {
    // Off the CMS master, NotInitialized is expected: OK while it has not lasted long.
    check_json(&document("NotInitialized", 30, 120, ""), &NOT_MASTER).assert(0, "OK - ");
    let run = check_json(&document("NotInitialized", 125, 125, ""), &NOT_MASTER);
    run.assert(
        1,
        "WARNING - pool01.contoso.com: ConfServices.DataConf export NotInitialized for at least 2 h 5 min (no export has started yet, 7500 s outside the --not-initialized-warning range 3750: its replication never began",
    );
    check_json(
        &document("NotInitialized", 125, 125, ""),
        &[
            "--cms-master-pool",
            "pool02.contoso.com",
            "--not-initialized-warning",
            "86400",
        ],
    )
    .assert(0, "OK - ");
    // The CMS module keeps the seed's rule: on the partner pool it may wait for good.
    let cms = document_of("CentralMgmt.CMSMaster", "NotInitialized", 600, 600, "");
    check_json(&cms, &NOT_MASTER).assert(0, "OK - ");
    check_json(&cms, &["--cms-master-pool", P]).assert(
        1,
        "CentralMgmt.CMSMaster export NotInitialized for at least 10 h 0 min (no export has started yet, though the pool hosts the active CMS)",
    );
}

/// A document with the events the collector found, `reading` being its fields after
/// the window (`"Errors":1,...` or `"Error":"..."`).
fn with_events(reading: &str) -> String {
    with_events_on("SteadyState", 120, reading)
}

/// The same, its module in `export` for `since` minutes.
fn with_events_on(export: &str, since: i64, reading: &str) -> String {
    document(
        export,
        since,
        120,
        &format!(
            r#""BackupServiceEvents":{{"LogName":"Lync Server","Source":"LS Backup Service",
                "Computer":"fe01.contoso.com","Since":"{}","Until":"{}",{reading}}},"#,
            ago(5),
            ago(0)
        ),
    )
}

const TWO_ERRORS: &str = r#""Errors":2,"Warnings":1,"Latest":[
    {"Id":4069,"Level":"Error","TimeCreated":"2026-11-29T03:09:00Z","Message":"Cannot update the batch table.\r\nSQL error 547"},
    {"Id":4011,"Level":"Warning","TimeCreated":"2026-11-29T03:08:00Z","Message":"Slow"},
    {"Id":4070,"Level":"Error","TimeCreated":"2026-11-29T03:07:00Z","Message":"Invalid SIP address"}]"#;

#[test]
fn backup_service_errors_are_a_warning_naming_the_latest() {
    let run = check_json(&with_events(TWO_ERRORS), &[]);
    run.assert(
        1,
        "WARNING - pool01.contoso.com: Backup Service logged 2 errors, the latest 4069: Cannot update the batch table. (in the 'Lync Server' log of fe01.contoso.com since ",
    );
    assert_eq!(run.perf("events_error").as_deref(), Some("2"));
    assert_eq!(run.perf("events_warning").as_deref(), Some("1"));
    // -v lists the latest few.
    let run = check_json(&with_events(TWO_ERRORS), &["-v"]);
    for line in [
        "[NOTE] pool01.contoso.com: Backup Service event 4069 (Error) at 2026-11-29T03:09:00Z: Cannot update the batch table.",
        "[NOTE] pool01.contoso.com: Backup Service event 4011 (Warning) at 2026-11-29T03:08:00Z: Slow",
        "[NOTE] pool01.contoso.com: Backup Service event 4070 (Error) at 2026-11-29T03:07:00Z: Invalid SIP address",
    ] {
        assert!(run.stdout.contains(line), "{line}\n{}", run.stdout);
    }
    // The level is the operator's; ok lists them without a problem.
    check_json(&with_events(TWO_ERRORS), &["--on-event-error", "critical"])
        .assert(2, "Backup Service logged 2 errors");
    let run = check_json(&with_events(TWO_ERRORS), &["--on-event-error", "ok", "-v"]);
    run.assert(0, "OK - pool01.contoso.com: all 1 backup modules OK");
    assert!(
        run.stdout
            .contains("[OK] pool01.contoso.com: Backup Service logged 2 errors"),
        "{}",
        run.stdout
    );
}

#[test]
fn no_events_are_ok_and_an_unread_log_is_said_not_paged() {
    let none = with_events(r#""Errors":0,"Warnings":0,"Latest":[]"#);
    let run = check_json(&none, &["-v"]);
    run.assert(
        0,
        "OK - pool01.contoso.com: all 1 backup modules OK, data 0 s old |",
    );
    assert!(
        run.stdout
            .contains("[OK] pool01.contoso.com: no Backup Service errors since "),
        "{}",
        run.stdout
    );
    assert_eq!(run.perf("events_error").as_deref(), Some("0"));
    let denied = with_events(r#""Error":"Attempted to perform an unauthorized operation.""#);
    let run = check_json(&denied, &[]);
    run.assert(
        0,
        "OK - pool01.contoso.com: all 1 backup modules OK, data 0 s old, Backup Service events not read |",
    );
    assert!(
        run.stdout.contains(
            "\n[NOTE] pool01.contoso.com: Backup Service events not read (the 'Lync Server' log of \
             fe01.contoso.com): Attempted to perform an unauthorized operation.\n"
        ),
        "{}",
        run.stdout
    );
    // The same series as when the log was read.
    assert_eq!(run.perf("events_error").as_deref(), Some("0"));
    assert_eq!(run.perf("events_warning").as_deref(), Some("0"));
}

#[test]
fn event_counts_are_clipped_to_what_the_collector_reads() {
    let huge = with_events(
        r#""Errors":18446744073709551615,"Warnings":501,"Latest":[
        {"Id":4069,"Level":"Error","TimeCreated":"2026-11-29T03:09:00Z","Message":"Cannot update."}]"#,
    );
    let run = check_json(&huge, &[]);
    run.assert(
        1,
        "WARNING - pool01.contoso.com: Backup Service logged at least 500 errors, the latest 4069: Cannot update.",
    );
    // The summary and the perfdata say the same.
    assert_eq!(run.perf("events_error").as_deref(), Some("500"));
    assert_eq!(run.perf("events_warning").as_deref(), Some("500"));
}

#[test]
fn max_output_keeps_the_same_series_whatever_the_durations_and_events() {
    let none = r#""Errors":0,"Warnings":0,"Latest":[]"#;
    let docs = [
        with_events_on("SteadyState", 120, none),
        with_events_on("NonSteadyState", 42, TWO_ERRORS),
        with_events_on("NonSteadyState", 3, r#""Error":"Access is denied.""#),
    ];
    let labels = |doc: &String| {
        let run = check_json(doc, &["--max-output", "480", "-v"]);
        assert!(run.stdout.len() <= 480, "{}", run.stdout);
        run.labels()
    };
    let first = labels(&docs[0]);
    for label in ["backlog_age", "events_error", "events_warning"] {
        assert!(first.contains(&label.to_owned()), "{first:?}");
    }
    for doc in &docs[1..] {
        assert_eq!(labels(doc), first);
    }
}
