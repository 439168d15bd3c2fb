//! Black-box: every input format gives the verdict its equivalent JSON gives, and hostile
//! or unsuitable documents end as one `UNKNOWN` line.
//!
//! The fixtures in `tests/fixtures/` are written by hand from the published serialization
//! rules; each `NAME.xml` or `NAME.txt` has a `NAME.json` holding the same statuses.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Age thresholds no fixture reaches, so a verdict never depends on when it was checked out.
const ANY_AGE: [&str; 4] = ["-w", "1000000000", "-c", "1000000000"];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

fn run(path: &Path, args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_check_csbackup"))
        .arg("--file")
        .arg(path)
        .args(ANY_AGE)
        .args(args)
        .output()
        .expect("the plugin runs");
    let code = output.status.code().expect("the plugin exits with a code");
    let stdout = String::from_utf8(output.stdout).expect("the output is UTF-8");
    (code, stdout)
}

/// The output without what depends on the file rather than the statuses: the data's age,
/// the file's name, format and encoding.
fn verdict(output: &str) -> Vec<String> {
    let mut lines = output.lines();
    let first = lines.next().unwrap_or_default();
    let (summary, perfdata) = first.split_once(" | ").unwrap_or((first, ""));
    let summary = match (summary.find(", data "), summary.rfind(" old")) {
        (Some(from), Some(to)) if from < to => {
            format!("{}{}", &summary[..from], &summary[to + 4..])
        }
        _ => summary.to_owned(),
    };
    let perfdata: Vec<&str> = perfdata
        .split(' ')
        .filter(|p| !p.contains("age'=") && !p.starts_with("age="))
        .collect();
    let mut verdict = vec![format!("{summary} | {}", perfdata.join(" "))];
    verdict.extend(
        lines
            .filter(|l| {
                !l.contains(": data is ")
                    && !l.contains(": age from ")
                    && !l.starts_with("[NOTE] read ")
            })
            .map(str::to_owned),
    );
    verdict
}

/// Checks that `document` and `json` give the exit code `expected` and the same verdict.
fn same_verdict(document: &str, json: &str, args: &[&str], expected: i32) -> String {
    let args: Vec<&str> = [args, &["-vvv"]].concat();
    let (code, output) = run(&fixture(document), &args);
    let (json_code, json_output) = run(&fixture(json), &args);
    assert_eq!(json_code, expected, "{json}:\n{json_output}");
    assert_eq!(code, expected, "{document}:\n{output}");
    assert_eq!(
        verdict(&output),
        verdict(&json_output),
        "{document} and {json} differ"
    );
    output
}

#[test]
fn clixml_enums_read_by_name_as_json_names_them() {
    let output = same_verdict("clixml-enums.xml", "clixml-enums.json", &[], 1);
    assert!(output.starts_with(
        "CSBACKUP WARNING - pool01.contoso.com: UserServices.PresenceFocus export NonSteadyState"
    ));
    assert!(output.contains("read "), "{output}");
    assert!(output.contains(" as CLIXML, UTF-8"), "{output}");
}

#[test]
fn clixml_references_resolve_to_the_objects_they_name() {
    let output = same_verdict("clixml-refs.xml", "clixml-refs.json", &[], 2);
    assert!(output.contains(
        "[CRITICAL] pool02.contoso.com: ConfServices.DataConf export SteadyState (OK), import ErrorState"
    ));
}

#[test]
fn clixml_in_utf16le_with_escapes_reads_as_json() {
    let args = ["--cms-master-pool", "pool01.contoso.com"];
    let output = same_verdict("clixml-utf16le.xml", "clixml-utf16le.json", &args, 0);
    assert!(output.contains("as CLIXML, UTF-16LE with BOM"), "{output}");
    assert!(output.contains("Note: Exported on FE01"), "{output}");
}

#[test]
fn the_seed_table_reads_as_its_json() {
    let pool = ["--pool", "pool01.contoso.com"];
    let not_master = [&pool[..], &["--cms-master-pool", "pool02.contoso.com"]].concat();
    same_verdict("table-seed.txt", "table-seed.json", &not_master, 0);
    let output = same_verdict("table-seed.txt", "table-seed.json", &pool, 1);
    assert!(output.starts_with(
        "CSBACKUP WARNING - pool01.contoso.com: CentralMgmt.CMSMaster export NotInitialized"
    ));
}

#[test]
fn format_list_blocks_in_utf16le_read_as_json() {
    let output = same_verdict("list-modules.txt", "list-modules.json", &[], 2);
    assert!(
        output.contains("as PowerShell text, UTF-16LE with BOM"),
        "{output}"
    );
}

#[test]
fn a_forced_format_reads_as_detection_does() {
    let (code, output) = run(&fixture("clixml-refs.xml"), &["--format", "clixml"]);
    let (auto_code, auto_output) = run(&fixture("clixml-refs.xml"), &[]);
    assert_eq!((code, verdict(&output)), (auto_code, verdict(&auto_output)));
    let (code, output) = run(
        &fixture("table-seed.txt"),
        &["--format", "text", "-p", "pool01.contoso.com"],
    );
    assert_eq!(code, 1, "{output}");

    let (code, output) = run(&fixture("clixml-enums.xml"), &["--format", "text"]);
    assert_eq!(code, 3);
    assert!(
        output.starts_with("CSBACKUP UNKNOWN - status document "),
        "{output}"
    );
    assert!(
        output.contains("(read as PowerShell text, UTF-8, "),
        "{output}"
    );
    let (code, output) = run(&fixture("table-seed.txt"), &["--format", "clixml"]);
    assert_eq!(code, 3);
    assert!(output.contains("not well-formed XML"), "{output}");
}

#[test]
fn the_collector_scripts_own_file_reads_as_the_document_collect_writes() {
    // What Collect-CsBackupStatus.ps1 -OutDirectory writes where the binary does not run
    // (Windows Server 2012 R2): its answer, which the check decides as collect does.
    let output = same_verdict("script-answer.json", "script-answer-document.json", &[], 1);
    assert!(
        output.starts_with(
            "CSBACKUP WARNING - pool02.contoso.com: CentralMgmt.CMSMaster export NotInitialized \
             (no export has started yet, though the pool hosts the active CMS)"
        ),
        "{output}"
    );
    assert!(
        output.contains("PowerShell warned while collecting: The pool pool01"),
        "{output}"
    );
    assert!(
        output.contains("collected on FE02 by collector 0.1.0 (Collect-CsBackupStatus.ps1)"),
        "{output}"
    );
    let future = generated(
        "answer-v2.json",
        r#"{"CsBackupAnswer":2,"Pools":[{"Pool":"pool01.contoso.com","Results":[]}]}"#,
    );
    refused(
        &future,
        "the collector's answer has version 2, this check_csbackup reads version 1",
    );
}

#[test]
fn a_status_the_table_cut_short_is_unknown() {
    let (code, output) = run(
        &fixture("table-truncated.txt"),
        &["--pool", "pool01.contoso.com"],
    );
    assert_eq!(code, 3, "{output}");
    assert!(
        output.starts_with(
            "CSBACKUP UNKNOWN - pool01.contoso.com: ConfServices.DataConf export NonSteady... (cut short"
        ),
        "{output}"
    );
}

#[test]
fn a_module_summary_says_how_to_show_the_modules() {
    let (code, output) = run(&fixture("list-summary.txt"), &[]);
    assert_eq!(code, 3);
    assert_eq!(output.lines().count(), 1, "{output}");
    assert!(output.starts_with("CSBACKUP UNKNOWN - "), "{output}");
    assert!(output.contains("only as a summary"), "{output}");
    assert!(output.contains("$s.BackupModules"), "{output}");
    assert!(output.contains("ConvertTo-Json -Depth 5"), "{output}");
}

/// Writes a generated document where the test can find it.
fn generated(name: &str, content: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, content).expect("the test document can be written");
    path
}

const OBJS: &str =
    r#"<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">"#;

fn refused(path: &Path, reason: &str) {
    let (code, output) = run(path, &[]);
    assert_eq!(code, 3, "{output}");
    assert_eq!(output.lines().count(), 1, "{output}");
    assert!(
        output.starts_with("CSBACKUP UNKNOWN - status document "),
        "{output}"
    );
    assert!(output.contains(reason), "{output}");
}

#[test]
fn hostile_xml_is_refused() {
    let mut laughs =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE Objs [\n<!ENTITY l0 \"lol\">\n");
    for i in 1..10 {
        laughs.push_str(&format!(
            "<!ENTITY l{i} \"{}\">\n",
            format!("&l{};", i - 1).repeat(10)
        ));
    }
    laughs.push_str("]>\n<Objs><S>&l9;</S></Objs>\n");
    refused(&generated("laughs.xml", &laughs), "DTD");

    let depth = 100_000;
    let deep = format!(
        "{OBJS}{}{}</Objs>",
        "<Obj><LST>".repeat(depth),
        "</LST></Obj>".repeat(depth)
    );
    refused(&generated("deep.xml", &deep), "nested more than");

    let nodes = format!("{OBJS}{}</Objs>", "<Nil/>".repeat(300_000));
    refused(&generated("nodes.xml", &nodes), "more than 250000 nodes");

    // Every object refers twice to the one before: 2^60 values if expanded.
    let mut bomb = format!(r#"{OBJS}<Obj RefId="0"><LST><S>lol</S></LST></Obj>"#);
    for i in 1..=60 {
        bomb.push_str(&format!(
            r#"<Obj RefId="{i}"><LST><Ref RefId="{0}" /><Ref RefId="{0}" /></LST></Obj>"#,
            i - 1
        ));
    }
    bomb.push_str("</Objs>");
    refused(&generated("references.xml", &bomb), "back-references");
}
