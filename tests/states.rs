//! Black-box: every row of the state table, the CMS role from each source, and the
//! options that change a verdict.

mod common;
use common::*;

const P: &str = "pool01.contoso.com";

fn module(export: &str, import: &str) -> String {
    status_json(Some(P), &[("ConfServices.DataConf", export, import)], "")
}

#[test]
fn each_documented_status_has_its_level() {
    let master = ["--cms-master-pool", "pool02.contoso.com"];
    let cases = [
        ("FinalState", "NormalState", 0, "OK - pool01.contoso.com: all 1 backup modules OK"),
        ("SteadyState", "NormalState", 0, "OK - pool01.contoso.com: all 1 backup modules OK"),
        (
            "NonSteadyState",
            "NormalState",
            1,
            "WARNING - pool01.contoso.com: ConfServices.DataConf export NonSteadyState (changes exceed",
        ),
        ("NotInitialized", "NormalState", 0, "OK - "),
        (
            "ErrorState",
            "NormalState",
            2,
            "CRITICAL - pool01.contoso.com: ConfServices.DataConf export ErrorState (failed to back up new changes)",
        ),
        (
            "SteadyState",
            "ErrorState",
            2,
            "CRITICAL - pool01.contoso.com: ConfServices.DataConf import ErrorState (failed to import new changes)",
        ),
    ];
    for (export, import, code, text) in cases {
        let run = check_json(&module(export, import), &master);
        run.assert(code, text);
        assert_eq!(code, run.code, "{export}/{import}");
    }
}

#[test]
fn undocumented_values_are_unknown_and_named() {
    check_json(&module("HalfState", "NormalState"), &[]).assert(
        3,
        "ConfServices.DataConf export HalfState (not a documented export status",
    );
    check_json(&module("SteadyState", "FinalState"), &[])
        .assert(3, "import FinalState (not a documented import status");
}

#[test]
fn statuses_compare_case_insensitively_and_trimmed() {
    check_json(&module("  steadystate ", "NORMALSTATE"), &[]).assert(0, "OK - ");
}

#[test]
fn numbers_as_statuses_are_unknown_with_the_powershell_hint() {
    let doc = r#"{"PoolFqdn":"p.contoso.com","BackupModules":[{"Identity":"A","ExportStatus":2,"ImportStatus":0}]}"#;
    let run = check_json(doc, &[]);
    run.assert(3, "A export 2 (a number: status numbers are not published");
    assert!(run.stdout.contains("Export-Clixml"));
}

#[test]
fn not_initialized_depends_on_the_cms_role() {
    let doc = module("NotInitialized", "NormalState");
    // Known not to be the master: OK.
    check_json(&doc, &["--cms-master-pool", "pool02.contoso.com"]).assert(0, "OK - ");
    // The master itself: WARNING.
    check_json(&doc, &["--cms-master-pool", "POOL01.contoso.com."]).assert(
        1,
        "NotInitialized (no export has started yet, though the pool hosts the active CMS)",
    );
    // Unknown: WARNING that says how to tell the plugin.
    check_json(&doc, &[]).assert(1, "give --cms-master-pool");
}

#[test]
fn cms_role_comes_from_each_source_in_order() {
    let with_master = |m: &str| {
        status_json(
            Some(P),
            &[("CentralMgmt.CMSMaster", "NotInitialized", "NormalState")],
            &format!(r#""ActiveMasterFqdn":"{m}","#),
        )
    };
    // The document's ActiveMasterFqdn.
    check_json(&with_master("pool02.contoso.com"), &[]).assert(0, "OK - ");
    check_json(&with_master("pool01.contoso.com"), &[])
        .assert(1, "though the pool hosts the active CMS");
    // The option overrides the document.
    check_json(
        &with_master("pool01.contoso.com"),
        &["--cms-master-pool", "pool02.contoso.com"],
    )
    .assert(0, "OK - ");
    let run = check_json(&with_master("pool02.contoso.com"), &["-vv"]);
    run.assert(
        0,
        "does not host the active CMS (from the document's ActiveMasterFqdn)",
    );
    let run = check_json(
        &with_master("pool01.contoso.com"),
        &["-vv", "--cms-master-pool", "pool02.contoso.com"],
    );
    run.assert(0, "(from --cms-master-pool)");
    // Another pool object of the same document names the master.
    let two = format!(
        "[{},{}]",
        module("NotInitialized", "NormalState"),
        status_json(
            Some("pool02.contoso.com"),
            &[("A", "SteadyState", "NormalState")],
            r#""ActiveMasterFqdn":"pool02.contoso.com","#
        )
    );
    check_json(&two, &[]).assert(0, "OK - 2 pools, all 2 backup modules OK");
}

#[test]
fn an_empty_active_master_means_the_cms_is_unavailable() {
    let doc = status_json(
        Some(P),
        &[("A", "SteadyState", "NormalState")],
        r#""ActiveMasterFqdn":"","#,
    );
    check_json(&doc, &[]).assert(1, "the Central Management Store is unavailable");
    let doc = status_json(
        Some(P),
        &[("A", "SteadyState", "NormalState")],
        r#""ActiveMasterFqdn":null,"#,
    );
    check_json(&doc, &[]).assert(1, "the Central Management Store is unavailable");
}

#[test]
fn the_cms_master_is_the_pool_never_the_server_the_cms_named() {
    let cms = |fields: &str| {
        status_json(
            Some(P),
            &[("CentralMgmt.CMSMaster", "NotInitialized", "NormalState")],
            fields,
        )
    };
    // The collector resolved the server to its pool: the pool decides.
    let resolved = |pool: &str| {
        cms(&format!(
            r#""ActiveMasterFqdn":"{pool}","ActiveMasterServerFqdn":"fe01.contoso.com","#
        ))
    };
    check_json(&resolved(P), &[]).assert(1, "though the pool hosts the active CMS");
    let run = check_json(&resolved("pool02.contoso.com"), &["-vv"]);
    run.assert(0, "OK - ");
    assert!(
        run.stdout
            .contains("the active CMS master is the server fe01.contoso.com"),
        "{}",
        run.stdout
    );
    // Only the server: it is never taken for a pool, so the role is unknown.
    let run = check_json(
        &cms(r#""ActiveMasterServerFqdn":"fe01.contoso.com","#),
        &["-vv"],
    );
    run.assert(1, "which is unknown: give --cms-master-pool");
    assert!(
        run.stdout
            .contains("names only the server hosting it (fe01.contoso.com)"),
        "{}",
        run.stdout
    );
    // The collector could not tell: unknown, saying why; not "the CMS is unavailable".
    let run = check_json(
        &cms(
            r#""ActiveMasterFqdnError":"Get-CsManagementStoreReplicationStatus returned nothing","#,
        ),
        &["-vv"],
    );
    run.assert(1, "which is unknown: give --cms-master-pool");
    assert!(
        run.stdout
            .contains("the collector could not tell which pool it is (Get-CsManagementStoreReplicationStatus returned nothing)"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("unavailable"), "{}", run.stdout);
}

#[test]
fn warnings_from_powershell_show_at_v_and_never_change_the_state() {
    let doc = status_json(
        Some(P),
        &[("A", "SteadyState", "NormalState")],
        r#""Warnings":["The names of some imported commands include unapproved verbs."],"#,
    );
    let quiet = check_json(&doc, &[]);
    quiet.assert(0, "OK - pool01.contoso.com: all 1 backup modules OK");
    assert!(!quiet.stdout.contains("warned"), "{}", quiet.stdout);
    let verbose = check_json(&doc, &["-v"]);
    verbose.assert(0, "OK - ");
    assert!(
        verbose.stdout.contains(
            "[NOTE] pool01.contoso.com: PowerShell warned while collecting: The names of some imported commands include unapproved verbs."
        ),
        "{}",
        verbose.stdout
    );
}

#[test]
fn overall_statuses_are_evaluated_too() {
    let doc = status_json(
        Some(P),
        &[("A", "SteadyState", "NormalState")],
        r#""OverallExportStatus":"ErrorState","OverallImportStatus":"NormalState","#,
    );
    check_json(&doc, &[]).assert(
        2,
        "pool01.contoso.com: overall export ErrorState (failed to back up new changes)",
    );
}

#[test]
fn a_module_named_overall_is_a_module() {
    // Its problem is listed once at -v, as a module's, not again as the pool's overall
    // status.
    let doc = status_json(Some(P), &[("overall", "ErrorState", "NormalState")], "");
    let run = check_json(&doc, &["-v"]);
    run.assert(
        2,
        "[CRITICAL] pool01.contoso.com: overall export ErrorState (CRITICAL: failed to back up new changes), import NormalState (OK)\n",
    );
    assert_eq!(
        run.stdout.matches("[CRITICAL]").count(),
        1,
        "{}",
        run.stdout
    );
}

#[test]
fn map_overrides_a_mapping() {
    let doc = module("NonSteadyState", "NormalState");
    check_json(&doc, &["--map", "export:NonSteadyState=critical"]).assert(2, "level set by --map");
    check_json(&doc, &["--map", "nonsteadystate=ok"]).assert(0, "OK - ");
    // A direction-bound mapping leaves the other direction alone.
    check_json(&doc, &["--map", "import:NonSteadyState=ok"]).assert(1, "WARNING - ");
    // An undocumented value can be given a level.
    check_json(
        &module("Paused", "NormalState"),
        &["--map", "export:Paused=warning"],
    )
    .assert(1, "export Paused");
    // The last of several matching mappings wins.
    check_json(
        &doc,
        &[
            "--map",
            "NonSteadyState=ok",
            "--map",
            "NonSteadyState=critical",
        ],
    )
    .assert(2, "CRITICAL");
}

#[test]
fn required_and_ignored_modules() {
    let doc = status_json(
        Some(P),
        &[
            ("A", "SteadyState", "NormalState"),
            ("B", "ErrorState", "NormalState"),
        ],
        "",
    );
    check_json(&doc, &["--ignore-module", "b"]).assert(0, "all 1 backup modules OK");
    check_json(&doc, &["--module", "ConfServices.DataConf"]).assert(
        2,
        "required module ConfServices.DataConf is missing (present: A, B)",
    );
    check_json(&doc, &["--module", "a", "--ignore-module", "B"]).assert(0, "OK");
    check_json(&doc, &["--ignore-module", "A", "--ignore-module", "B"])
        .assert(3, "every module is left out by --ignore-module");
}

#[test]
fn no_modules_asks_whether_the_pool_is_paired() {
    for doc in [
        r#"{"PoolFqdn":"p.contoso.com","BackupModules":[]}"#,
        r#"{"PoolFqdn":"p.contoso.com","BackupModules":null}"#,
        r#"{"PoolFqdn":"p.contoso.com"}"#,
    ] {
        check_json(doc, &[]).assert(3, "is the pool paired? see Get-CsPoolBackupRelationship");
    }
}

#[test]
fn a_collection_error_is_critical_unless_told_otherwise() {
    let doc = r#"{"PoolFqdn":"p.contoso.com","ComputerName":"FE01","Error":"Access is denied"}"#;
    check_json(doc, &[]).assert(
        2,
        "p.contoso.com: collection failed on FE01: Access is denied",
    );
    check_json(doc, &["--on-error", "warning"])
        .assert(1, "WARNING - p.contoso.com: collection failed");
    // Where the data came from is shown at -vv.
    let collected = r#"{"PoolFqdn":"p.contoso.com","ComputerName":"FE01","CollectorVersion":"9.9.9","BackupModules":[{"Identity":"A","ExportStatus":"SteadyState","ImportStatus":"NormalState"}]}"#;
    check_json(collected, &["-vv"])
        .assert(0, "p.contoso.com: collected on FE01 by collector 9.9.9");
}

#[test]
fn pools_are_selected_and_a_missing_one_is_critical() {
    let two = format!(
        "[{},{}]",
        status_json(
            Some("pool01.contoso.com"),
            &[("A", "SteadyState", "NormalState")],
            ""
        ),
        status_json(
            Some("pool02.contoso.com"),
            &[("A", "ErrorState", "NormalState")],
            ""
        )
    );
    check_json(&two, &[]).assert(2, "CRITICAL - pool02.contoso.com: A export ErrorState");
    let run = check_json(&two, &["--pool", "POOL01.contoso.com"]);
    run.assert(0, "OK - pool01.contoso.com: all 1 backup modules OK");
    // One pool selected: perfdata labels carry no prefix.
    assert_eq!(run.perf("modules").as_deref(), Some("1"));
    // A pool named twice is evaluated once.
    let twice = check_json(
        &two,
        &[
            "--pool",
            "pool01.contoso.com",
            "--pool",
            "POOL01.contoso.com.",
        ],
    );
    twice.assert(0, "OK - pool01.contoso.com: all 1 backup modules OK");
    assert_eq!(twice.perf("modules").as_deref(), Some("1"));
    check_json(&two, &["--pool", "pool03.contoso.com"])
        .assert(2, "pool pool03.contoso.com is not in the document (it holds pool01.contoso.com, pool02.contoso.com)");
}

#[test]
fn a_bare_module_list_is_named_by_pool() {
    let bare = r#"[{"Identity":"A","ExportStatus":"ErrorState","ImportStatus":"NormalState"}]"#;
    check_json(bare, &["--pool", "pool09.contoso.com"])
        .assert(2, "CRITICAL - pool09.contoso.com: A export ErrorState");
    check_json(bare, &[]).assert(2, "CRITICAL - unnamed pool: A export ErrorState");
    check_json(
        bare,
        &["--pool", "a.contoso.com", "--pool", "b.contoso.com"],
    )
    .assert(3, "the document names no pool");
}

#[test]
fn the_worst_finding_decides_and_the_rest_are_counted() {
    let doc = status_json(
        Some(P),
        &[
            ("A", "NonSteadyState", "NormalState"),
            ("B", "ErrorState", "ErrorState"),
            ("C", "Odd", "NormalState"),
        ],
        "",
    );
    let run = check_json(&doc, &[]);
    run.assert(2, "CRITICAL - pool01.contoso.com: B export ErrorState (failed to back up new changes) (and 3 more problems)");
    assert_eq!(run.perf("critical").as_deref(), Some("1"));
    assert_eq!(run.perf("warning").as_deref(), Some("1"));
    assert_eq!(run.perf("unknown").as_deref(), Some("1"));
    assert_eq!(run.perf("export_nonsteady").as_deref(), Some("1"));
    assert_eq!(run.perf("export_error").as_deref(), Some("1"));
    assert_eq!(run.perf("import_error").as_deref(), Some("1"));
    // Long output: one line per problem, worst state first in each line.
    let lines: Vec<&str> = run.stdout.lines().skip(1).collect();
    assert_eq!(lines.len(), 4, "{}", run.stdout);
    assert!(lines
        .iter()
        .any(|l| l.starts_with("[WARNING] pool01.contoso.com: A export NonSteadyState")));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("[UNKNOWN] pool01.contoso.com: C export Odd")));
    // UNKNOWN ranks below WARNING: an undocumented value never hides a backlog.
    let run = check_json(
        &status_json(
            Some(P),
            &[
                ("A", "NonSteadyState", "NormalState"),
                ("C", "Odd", "NormalState"),
            ],
            "",
        ),
        &[],
    );
    run.assert(1, "WARNING - pool01.contoso.com: A export NonSteadyState");
}

#[test]
fn on_error_sets_the_level_of_the_error_and_no_other() {
    let doc =
        r#"{"PoolFqdn":"pool01.contoso.com","ComputerName":"FE01","Error":"Access is denied"}"#;
    let run = check_json(doc, &["--on-error", "ok"]);
    run.assert(
        3,
        "UNKNOWN - pool01.contoso.com: no backup modules reported (the collection failed)",
    );
    assert!(
        !run.stdout.contains("all 0 backup modules OK"),
        "{}",
        run.stdout
    );
    for level in ["ok", "warning", "unknown"] {
        check_json(
            doc,
            &["--on-error", level, "--module", "ConfServices.DataConf"],
        )
        .assert(
            2,
            "CRITICAL - pool01.contoso.com: required module ConfServices.DataConf is missing",
        );
    }
    // By default the collection error is the worst finding, and the others are counted.
    check_json(doc, &[]).assert(
        2,
        "CRITICAL - pool01.contoso.com: collection failed on FE01: Access is denied (and 1 more problem)",
    );
}

#[test]
fn a_module_both_required_and_left_out_is_a_usage_error() {
    let doc = module("ErrorState", "NormalState");
    let run = check_json(
        &doc,
        &[
            "--module",
            "ConfServices.DataConf",
            "--ignore-module",
            " confservices.DATACONF",
        ],
    );
    run.assert(
        3,
        "CSBACKUP UNKNOWN - usage: --module ConfServices.DataConf and --ignore-module confservices.DATACONF name the same module",
    );
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
}

#[test]
fn blank_module_pool_and_status_names_are_usage_errors() {
    let doc = module("SteadyState", "NormalState");
    let cases: [(&[&str], &str); 8] = [
        (&["--module", ""], "'' is not a module name"),
        (&["--module", "  "], "'  ' is not a module name"),
        (&["--ignore-module", ""], "'' is not a module name"),
        (&["--pool", ""], "'' is not a host name"),
        (&["--pool", " "], "' ' is not a host name"),
        (&["--cms-master-pool", ""], "'' is not a host name"),
        (&["--map", "=ok"], "'' is not a status name"),
        (&["--map", "export: =critical"], "'' is not a status name"),
    ];
    for (args, fragment) in cases {
        let run = check_json(&doc, args);
        assert_eq!(run.code, 3, "{args:?}: {}", run.stdout);
        assert!(
            run.stdout.starts_with("CSBACKUP UNKNOWN - usage: "),
            "{args:?}: {}",
            run.stdout
        );
        assert!(run.stdout.contains(fragment), "{args:?}: {}", run.stdout);
        assert_eq!(run.stdout.lines().count(), 1, "{args:?}: {}", run.stdout);
    }
}

const CLIXML_NUMBER_ENUM: &str = r#"<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">
  <Obj RefId="0">
    <TN RefId="0"><T>Contoso.Placeholder.BackupServiceStatus</T><T>System.Object</T></TN>
    <Props>
      <S N="PoolFqdn">pool01.contoso.com</S>
      <Obj N="BackupModules" RefId="1">
        <TN RefId="1"><T>System.Object[]</T><T>System.Array</T><T>System.Object</T></TN>
        <LST>
          <Obj RefId="2">
            <Props>
              <S N="Identity">ConfServices.DataConf</S>
              <Obj N="ExportStatus" RefId="3">
                <TN RefId="3"><T>Contoso.Placeholder.ExportStatus</T><T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN>
                <ToString>7</ToString>
                <I32>7</I32>
              </Obj>
              <S N="ImportStatus">NormalState</S>
            </Props>
          </Obj>
        </LST>
      </Obj>
    </Props>
  </Obj>
</Objs>
"#;

#[test]
fn a_status_of_digits_is_a_number_in_every_format_and_never_mapped() {
    let cases: [(&str, &str, &str); 4] = [
        (
            "a JSON number",
            r#"{"PoolFqdn":"pool01.contoso.com","BackupModules":[{"Identity":"ConfServices.DataConf","ExportStatus":2,"ImportStatus":"NormalState"}]}"#,
            "ConfServices.DataConf export 2 (a number: status numbers are not published",
        ),
        (
            "a JSON string of digits",
            r#"{"PoolFqdn":"pool01.contoso.com","BackupModules":[{"Identity":"ConfServices.DataConf","ExportStatus":" 2 ","ImportStatus":"NormalState"}]}"#,
            "ConfServices.DataConf export 2 (a number: status numbers are not published",
        ),
        (
            "a CLIXML enum whose name is a number",
            CLIXML_NUMBER_ENUM,
            "ConfServices.DataConf export 7 (a number: status numbers are not published",
        ),
        (
            "a Format-Table cell",
            "\nIdentity              ExportStatus ImportStatus\n--------              ------------ ------------\nConfServices.DataConf 2            NormalState\n",
            "ConfServices.DataConf export 2 (a number: status numbers are not published",
        ),
    ];
    for (what, doc, fragment) in cases {
        let run = check_json(doc, &["--pool", "pool01.contoso.com"]);
        assert_eq!(run.code, 3, "{what}: {}", run.stdout);
        assert!(run.stdout.contains(fragment), "{what}: {}", run.stdout);
        assert!(
            !run.stdout.contains("not a documented"),
            "{what}: {}",
            run.stdout
        );
        for map in ["export:2=ok", "7=ok", "import:0=warning"] {
            let run = check_json(doc, &["--pool", "pool01.contoso.com", "--map", map]);
            run.assert(
                3,
                &format!("CSBACKUP UNKNOWN - usage: invalid value '{map}' for '--map"),
            )
            .assert(
                3,
                "a number is never mapped: the statuses' numbers are not published",
            );
        }
    }
}

#[test]
fn the_same_pool_twice_is_evaluated_twice_with_unique_labels() {
    let doc = format!(
        "[{},{}]",
        status_json(
            Some("pool01.contoso.com"),
            &[("M1", "SteadyState", "NormalState")],
            ""
        ),
        status_json(
            Some("POOL01.contoso.com."),
            &[("M1", "ErrorState", "NormalState")],
            ""
        )
    );
    let selected = check_json(&doc, &["-p", "pool01.contoso.com"]);
    selected.assert(
        2,
        "CRITICAL - POOL01.contoso.com.: M1 export ErrorState (failed to back up new changes)",
    );
    let all = check_json(&doc, &["-vv"]);
    all.assert(2, "CRITICAL - POOL01.contoso.com.: M1 export ErrorState")
        .assert(
            2,
            "pool01.contoso.com appears 2 times in the document (entries 1 and 2): each entry is evaluated",
        );
    for run in [&selected, &all] {
        let labels = run.labels();
        let mut unique = labels.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), labels.len(), "{labels:?}");
        assert_eq!(labels.len(), 16, "{labels:?}");
    }
}

#[test]
fn pools_whose_labels_would_clash_get_numbered_labels() {
    let doc = format!(
        "[{},{},{}]",
        status_json(
            Some("pool_01.contoso.com"),
            &[("M1", "SteadyState", "NormalState")],
            ""
        ),
        status_json(
            Some("pool|01.contoso.com"),
            &[("M1", "ErrorState", "NormalState")],
            ""
        ),
        status_json(
            Some("pool_01.contoso.com"),
            &[("M1", "NonSteadyState", "NormalState")],
            ""
        )
    );
    let run = check_json(&doc, &[]);
    // The pool's part never holds '_': the first '_' ends it, whatever metric follows
    // (a pool 'p_events' and a metric 'events_warning' could not meet).
    run.assert(2, "CRITICAL - pool/01.contoso.com: M1 export ErrorState");
    assert_eq!(
        run.perf("pool-01.contoso.com_critical").as_deref(),
        Some("0")
    );
    assert_eq!(
        run.perf("pool-01.contoso.com#2_critical").as_deref(),
        Some("1")
    );
    assert_eq!(
        run.perf("pool-01.contoso.com#3_warning").as_deref(),
        Some("1")
    );
    let mut labels = run.labels();
    let all = labels.len();
    labels.sort();
    labels.dedup();
    assert_eq!(labels.len(), all, "{}", run.perfdata());
}

#[test]
fn not_initialized_on_an_unnamed_module_list_asks_for_the_pool() {
    let bare = r#"[{"Identity":"CentralMgmt.CMSMaster","ExportStatus":"NotInitialized","ImportStatus":"NormalState"}]"#;
    let run = check_json(bare, &["--cms-master-pool", "pool02.contoso.com"]);
    run.assert(
        1,
        "WARNING - unnamed pool: CentralMgmt.CMSMaster export NotInitialized (no export has started yet, \
         expected only if the pool does not host the active CMS, which is unknown: \
         the document names no pool, give --pool",
    );
    assert!(
        !run.first_line().contains("--cms-master-pool"),
        "{}",
        run.stdout
    );
    // Nothing known at all: both are asked for.
    check_json(bare, &[]).assert(1, "give --pool and --cms-master-pool");
    // Named by --pool, the role is known.
    check_json(
        bare,
        &[
            "--pool",
            "pool01.contoso.com",
            "--cms-master-pool",
            "pool02.contoso.com",
        ],
    )
    .assert(0, "OK - pool01.contoso.com: all 1 backup modules OK");
}
