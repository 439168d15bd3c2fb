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
    run.assert(
        3,
        "A export 2 (a number: Windows PowerShell 5.1 wrote the enum as a number",
    );
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
            "[OK] pool01.contoso.com: PowerShell warned while collecting: The names of some imported commands include unapproved verbs."
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
