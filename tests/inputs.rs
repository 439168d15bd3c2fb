//! Black-box: every input quirk Windows PowerShell is known to write, the age of the
//! data from each source, and each kind of bad input.

mod common;
use common::*;

use std::time::{Duration, SystemTime};

const HEALTHY: &str = r#"{"PoolFqdn":"pool01.contoso.com","BackupModules":[{"Identity":"A","ExportStatus":"SteadyState","ImportStatus":"NormalState"}]}"#;

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = match (bom, big_endian) {
        (false, _) => vec![],
        (true, false) => vec![0xFF, 0xFE],
        (true, true) => vec![0xFE, 0xFF],
    };
    for unit in text.encode_utf16() {
        out.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    out
}

#[test]
fn reads_every_encoding() {
    let crlf = HEALTHY.replace(',', ",\r\n");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (HEALTHY.as_bytes().to_vec(), "UTF-8"),
        (
            [&b"\xEF\xBB\xBF"[..], crlf.as_bytes()].concat(),
            "UTF-8 with BOM",
        ),
        (utf16(&crlf, false, true), "UTF-16LE with BOM"),
        (utf16(&crlf, true, true), "UTF-16BE with BOM"),
        (utf16(HEALTHY, false, false), "UTF-16LE without BOM"),
    ];
    for (bytes, encoding) in cases {
        let (_dir, path) = file("status.json", &bytes);
        let run = run(&["-f", path.to_str().unwrap(), "-vv"], None);
        run.assert(0, "OK - pool01.contoso.com: all 1 backup modules OK");
        assert!(
            run.stdout.contains(&format!("as JSON, {encoding}\n")),
            "{encoding}: {}",
            run.stdout
        );
    }
}

#[test]
fn reads_utf16le_without_bom_that_starts_with_a_line_break() {
    // What Out-File -Encoding Unicode writes without its BOM for Format-Table and
    // Format-List: the view opens with an empty line.
    let table = "\r\nIdentity              ExportStatus ImportStatus\r\n--------              ------------ ------------\r\nConfServices.DataConf SteadyState  NormalState\r\n\r\n\r\n";
    let list = "\r\n\r\nIdentity     : ConfServices.DataConf\r\nExportStatus : SteadyState\r\nImportStatus : NormalState\r\n\r\n";
    let json = format!("\r\n{HEALTHY}\r\n");
    for (name, text) in [("table", table), ("list", list), ("json", json.as_str())] {
        let (_dir, path) = file("status.txt", &utf16(text, false, false));
        let run = run(
            &[
                "-f",
                path.to_str().unwrap(),
                "--pool",
                "pool01.contoso.com",
                "-vv",
            ],
            None,
        );
        run.assert(0, "OK - pool01.contoso.com: all 1 backup modules OK");
        assert!(
            run.stdout.contains(", UTF-16LE without BOM\n"),
            "{name}: {}",
            run.stdout
        );
    }
    let (_dir, path) = file("status.txt", &utf16(table, true, false));
    run(
        &[
            "-f",
            path.to_str().unwrap(),
            "--pool",
            "p.contoso.com",
            "-vv",
        ],
        None,
    )
    .assert(0, "as PowerShell text, UTF-16BE without BOM");
}

#[test]
fn an_unrecognised_file_is_described_never_quoted() {
    let shadow = "root:$6$saltsalt$hashhashhashhashhash:19700:0:99999:7:::\n\
                  daemon:*:19700:0:99999:7:::\n\
                  secretuser:$6$pepper$topsecrettopsecret:19700:0:99999:7:::\n";
    let config = "api_token = hunter2hunter2\npassword: correct horse battery staple\n";
    let json = r#"{"password":"hunter2hunter2","api_token":"correct horse battery staple"}"#;
    for (name, text) in [("shadow", shadow), ("config", config), ("json", json)] {
        let (_dir, path) = file(name, text.as_bytes());
        let run = run(&["-f", path.to_str().unwrap()], None);
        assert_eq!(run.code, 3, "{name}: {}", run.stdout);
        assert_eq!(run.stdout.lines().count(), 1, "{name}: {}", run.stdout);
        assert!(
            run.stdout.contains(&format!("{} bytes", text.len())),
            "{name}: {}",
            run.stdout
        );
        for secret in [
            "daemon",
            "secretuser",
            "hashhash",
            "topsecret",
            "hunter2",
            "horse",
        ] {
            assert!(!run.stdout.contains(secret), "{name}: {}", run.stdout);
        }
    }
}
#[test]
fn reads_the_bundled_utf16_example() {
    let (_dir, path) = fresh_example("pool02-utf16le.json");
    run(
        &[
            "-f",
            path.to_str().unwrap(),
            "--cms-master-pool",
            "pool02.contoso.com",
            "-vv",
        ],
        None,
    )
    .assert(0, "OK - pool02.contoso.com: all 3 backup modules OK")
    .assert(0, "UTF-16LE with BOM");
}

#[test]
fn reads_powershell_list_and_date_quirks() {
    let docs = [
        // {"value":[...],"Count":N}
        r#"{"PoolFqdn":"p.contoso.com","BackupModules":{"value":[{"Identity":"A","ExportStatus":"SteadyState","ImportStatus":"NormalState"}],"Count":1}}"#,
        // a one-element array unrolled into a bare object
        r#"{"PoolFqdn":"p.contoso.com","BackupModules":{"Identity":"A","ExportStatus":"SteadyState","ImportStatus":"NormalState"}}"#,
        // property names in any letter case, ModuleName instead of Identity
        r#"{"POOLFQDN":"p.contoso.com","backupmodules":[{"modulename":"A","EXPORTSTATUS":"SteadyState","importStatus":"NormalState"}]}"#,
        // a top-level list wrapped the same way
        r#"{"value":[{"PoolFqdn":"p.contoso.com","BackupModules":[{"Name":"A","ExportStatus":"SteadyState","ImportStatus":"NormalState"}]}],"Count":1}"#,
    ];
    for doc in docs {
        check_json(doc, &[]).assert(0, "OK - p.contoso.com: all 1 backup modules OK");
    }
}

#[test]
fn depth_cuts_are_unknown_with_the_depth_hint() {
    let docs = [
        r#"{"PoolFqdn":"p.contoso.com","BackupModules":"Microsoft.Rtc.Management.Hosted.BackupModule[]"}"#,
        r#"{"PoolFqdn":"p.contoso.com","BackupModules":["Microsoft.Rtc.Management.Hosted.BackupModule"]}"#,
    ];
    for doc in docs {
        check_json(doc, &[]).assert(
            3,
            "ConvertTo-Json cut the depth, export with ConvertTo-Json -Depth 5",
        );
    }
}

#[test]
fn keeps_unknown_properties_for_the_most_verbose_output() {
    let doc = r#"{"PoolFqdn":"p.contoso.com","Site":"Berlin","BackupModules":[{"Identity":"A","ExportStatus":"SteadyState","ImportStatus":"NormalState","LastExport":"yesterday"}]}"#;
    let run = check_json(doc, &["-vvv"]);
    run.assert(0, "[NOTE] p.contoso.com: A: LastExport: yesterday")
        .assert(0, "p.contoso.com: Site: Berlin");
    assert!(!check_json(doc, &["-vv"]).stdout.contains("LastExport"));
}

fn collected(seconds_ago: i64) -> String {
    let at = jiff::Timestamp::now() - jiff::SignedDuration::from_secs(seconds_ago);
    status_json(
        Some("p.contoso.com"),
        &[("A", "SteadyState", "NormalState")],
        &format!(r#""CollectedAt":"{at}","#),
    )
}

#[test]
fn the_age_comes_from_collected_at() {
    let run = check_json(&collected(60), &[]);
    run.assert(0, "data 60 s old");
    let age: i64 = run
        .perf("age")
        .unwrap()
        .trim_end_matches('s')
        .parse()
        .unwrap();
    assert!((60..70).contains(&age), "{age}");
    assert!(run.perfdata().contains(";900;3600;0"), "{}", run.perfdata());
    check_json(&collected(1000), &[])
        .assert(1, "data is 16 min old, outside the warning range 900");
    check_json(&collected(4000), &[]).assert(
        2,
        "outside the critical range 3600: is the collector's scheduled task running?",
    );
    check_json(&collected(100), &["-w", "60", "-c", "~:1000"])
        .assert(1, "outside the warning range 60");
    check_json(&collected(100), &["-w", "@50:150"]).assert(1, "WARNING");
    // Clock skew: a little in the future is tolerated, much is a WARNING.
    check_json(&collected(-120), &[]).assert(0, "OK");
    check_json(&collected(-3600), &[]).assert(1, "in the future");
}

#[test]
fn an_age_inside_an_at_range_is_said_to_be_inside() {
    check_json(&collected(1000), &["-w", "@900:1100"]).assert(
        1,
        "WARNING - p.contoso.com: data is 16 min old, inside the warning range @900:1100",
    );
    check_json(&collected(1000), &["-c", "@900:1100"])
        .assert(2, "data is 16 min old, inside the critical range @900:1100");
    check_json(&collected(1000), &["-w", "0:900"])
        .assert(1, "data is 16 min old, outside the warning range 0:900");
}

#[test]
fn reads_both_date_forms_of_collected_at() {
    let ms = jiff::Timestamp::now().as_millisecond() - 30_000;
    let doc = status_json(
        Some("p.contoso.com"),
        &[("A", "SteadyState", "NormalState")],
        &format!(r#""CollectedAt":"\/Date({ms})\/","#),
    );
    check_json(&doc, &[]).assert(0, "data 30 s old");
}

fn with_collected_at(value: &str) -> String {
    status_json(
        Some("p.contoso.com"),
        &[("A", "SteadyState", "NormalState")],
        &format!(r#""CollectedAt":{value},"#),
    )
}

#[test]
fn reads_collected_at_as_unix_time() {
    let seconds = jiff::Timestamp::now().as_second() - 60;
    for value in [
        seconds.to_string(),
        format!("{}", seconds * 1000),
        format!("\"{seconds}\""),
        format!("{seconds}.25"),
    ] {
        let run = check_json(&with_collected_at(&value), &["-vv"]);
        run.assert(0, "data 60 s old")
            .assert(0, "age from CollectedAt");
    }
}

#[test]
fn a_collected_at_without_a_zone_falls_back_to_the_file_time() {
    // Read as UTC this time would be decades old; the file was written just now.
    for value in [
        r#""2001-01-01T00:00:00""#,
        r#""2001-01-01T00:00:00.1234567""#,
        "null",
        r#""""#,
        r#""last Tuesday""#,
    ] {
        let doc = with_collected_at(value);
        let (_dir, path) = file("status.json", doc.as_bytes());
        let run = run(&["-f", path.to_str().unwrap(), "-v"], None);
        run.assert(0, "OK - p.contoso.com: all 1 backup modules OK, data ")
            .assert(0, "[NOTE] p.contoso.com: CollectedAt ")
            .assert(0, "the age comes from the file's modification time");
        // From standard input there is no file time: no age check, said so.
        let run = check_json(&doc, &["-v"]);
        run.assert(
            0,
            "OK - p.contoso.com: all 1 backup modules OK, data age not checked",
        )
        .assert(0, "so the age is not checked");
        assert_eq!(run.perf("age"), None, "{}", run.stdout);
    }
    let run = run_zoneless_note();
    assert!(
        run.contains("has no UTC offset, so the zone it was written in is unknown"),
        "{run}"
    );
}

fn run_zoneless_note() -> String {
    check_json(&with_collected_at(r#""2001-01-01T00:00:00""#), &["-v"]).stdout
}

#[test]
fn standard_input_without_collected_at_says_the_age_is_not_checked() {
    let run = check_json(HEALTHY, &["-v"]);
    run.assert(
        0,
        "CSBACKUP OK - pool01.contoso.com: all 1 backup modules OK, data age not checked | ",
    )
    .assert(
        0,
        "[NOTE] pool01.contoso.com: the age is not checked: the document has no CollectedAt \
         and standard input has no modification time",
    );
    // At the default verbosity the summary says it; the note waits for -v.
    assert_eq!(check_json(HEALTHY, &[]).stdout.lines().count(), 1);
}

#[test]
fn the_age_falls_back_to_the_file_time() {
    let (_dir, path) = file("status.json", HEALTHY.as_bytes());
    let old = SystemTime::now() - Duration::from_secs(2 * 3600);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let run = run(&["-f", path.to_str().unwrap(), "-vv"], None);
    run.assert(2, "data is 2 h 0 min old")
        .assert(2, "age from the file's modification time");
    // Standard input has no time: no age check, and -v says so.
    let run = check_json(HEALTHY, &["-v"]);
    run.assert(0, "the age is not checked");
    assert_eq!(run.perf("age"), None);
}

#[test]
fn refuses_bad_files_with_one_unknown_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.json", vec![], "the file is empty"),
        ("blank.json", b"  \r\n".to_vec(), "only white space"),
        (
            "cut.json",
            HEALTHY.as_bytes()[..60].to_vec(),
            "cut short while being written",
        ),
        (
            "text.json",
            b"hello".to_vec(),
            "is neither part of a table nor a 'Name : Value' list",
        ),
        (
            "number.json",
            b"42".to_vec(),
            "the number 42, not a Backup Service status",
        ),
        (
            "shape.json",
            br#"{"Name":"x","Foo":1}"#.to_vec(),
            "(properties: Name, Foo)",
        ),
        ("binary.json", b"{\x00\x01\x02\xff}".to_vec(), "binary data"),
        (
            "latin1.json",
            b"{\"PoolFqdn\":\"M\xfcnchen\"}".to_vec(),
            "not valid UTF-8 text",
        ),
        (
            "odd.json",
            [&utf16("{}", false, true)[..], b"x"].concat(),
            "odd byte count",
        ),
        (
            "unknown-shape.json",
            br#"{"Hello":"world"}"#.to_vec(),
            "not a Backup Service status (properties: Hello)",
        ),
    ];
    for (name, bytes, _) in &cases {
        std::fs::write(path(name), bytes).unwrap();
    }
    for (name, _, fragment) in &cases {
        let run = run(&["-f", &path(name)], None);
        assert_eq!(run.code, 3, "{name}: {}", run.stdout);
        assert_eq!(run.stdout.lines().count(), 1, "{name}: {}", run.stdout);
        assert!(
            run.stdout.starts_with(&format!(
                "CSBACKUP UNKNOWN - status document {}",
                path(name)
            )),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout.contains(fragment),
            "{name}: expected {fragment:?} in {}",
            run.stdout
        );
    }
    run(&["-f", &path("missing.json")], None).assert(3, "no such file: check the path");
    run(&["-f", dir.path().to_str().unwrap()], None).assert(3, "is a folder, not a file");
}

#[test]
fn refuses_documents_over_max_input_before_reading_them() {
    let (_dir, path) = file("big.json", HEALTHY.as_bytes());
    run(&["-f", path.to_str().unwrap(), "--max-input", "100"], None)
        .assert(3, "more than --max-input 100 bytes allows");
    check_json(HEALTHY, &["--max-input", "100"])
        .assert(3, "status document standard input: larger");
    // A device that never ends is cut at the limit, not read forever.
    run(&["-f", "/dev/zero", "--max-input", "1000"], None)
        .assert(3, "more than --max-input 1000 bytes");
}
