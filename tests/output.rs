//! Black-box: the output contract. Perfdata grammar, verbosity, `--max-output`, usage
//! errors, `--help`/`--version`, the timeout and the panic guard.

mod common;
use common::*;

#[cfg(unix)]
use std::time::{Duration, Instant};

fn examples() -> Vec<(tempfile::TempDir, std::path::PathBuf)> {
    [
        "pool-healthy.json",
        "pool-errors.json",
        "two-pools.json",
        "pool02-utf16le.json",
        "collection-error.json",
    ]
    .iter()
    .map(|name| fresh_example(name))
    .collect()
}

#[test]
fn every_example_prints_valid_perfdata_and_clean_text() {
    for (_dir, path) in examples() {
        for verbosity in ["-v", "-vvv"] {
            let run = run(&["-f", path.to_str().unwrap(), verbosity], None);
            assert!((0..=3).contains(&run.code));
            assert!(run.first_line().starts_with("CSBACKUP "), "{}", run.stdout);
            let items = perf_items(run.perfdata());
            if !run.first_line().contains("collection failed") {
                assert!(items.len() >= 8, "{}", run.stdout);
            }
            assert_eq!(
                run.stdout.matches('|').count(),
                usize::from(!items.is_empty()),
                "{}",
                run.stdout
            );
            assert!(run.stderr.is_empty(), "{}", run.stderr);
        }
    }
}

#[test]
fn labels_from_hostile_documents_stay_within_the_grammar() {
    let doc = format!(
        "[{},{}]",
        status_json(
            Some("we'ird=pool|x"),
            &[("Mod|ule'=\\u0007\\nX", "ErrorState", "NormalState")],
            ""
        ),
        status_json(
            Some("pool02.contoso.com"),
            &[("A", "SteadyState", "NormalState")],
            ""
        )
    );
    let run = check_json(&doc, &["-vvv"]);
    run.assert(2, "CRITICAL - ");
    let items = perf_items(run.perfdata());
    assert!(
        items.iter().any(|(l, _)| l == "we-ird-pool-x_modules"),
        "{items:?}"
    );
    assert!(
        items.iter().any(|(l, _)| l == "pool02.contoso.com_age")
            || run.perf("pool02.contoso.com_modules").is_some()
    );
    assert_eq!(run.stdout.matches('|').count(), 1, "{}", run.stdout);
    assert!(
        run.stdout.lines().all(|l| !l.contains('\u{7}')),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Mod/ule'= "), "{}", run.stdout);
}

/// Characters a browser or terminal draws as a line break or uses to reorder text.
const SPOOFING: [char; 13] = [
    '\u{85}', '\u{2028}', '\u{2029}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}',
    '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{200F}',
];

#[test]
fn text_from_the_document_cannot_draw_lines_or_reorder_the_output() {
    let fake = |c: char| format!("x{c}[OK] pool01.contoso.com: all fine");
    let modules: Vec<String> = SPOOFING.iter().map(|c| fake(*c)).collect();
    let refs: Vec<(&str, &str, &str)> = modules
        .iter()
        .map(|m| (m.as_str(), "ErrorState", "NormalState"))
        .collect();
    let doc = status_json(
        Some("pool01.contoso.com"),
        &refs,
        &format!(
            r#""Error":"{}","Site":"{}","#,
            fake('\u{2028}'),
            fake('\u{202E}')
        ),
    );
    for verbosity in ["-v", "-vvv"] {
        let run = check_json(&doc, &[verbosity]);
        run.assert(2, "CRITICAL - pool01.contoso.com: ");
        for c in SPOOFING {
            assert!(!run.stdout.contains(c), "{c:?} in {}", run.stdout);
        }
        assert!(
            run.stdout
                .lines()
                .all(|l| !l.starts_with("[OK] pool01.contoso.com: all fine")),
            "{}",
            run.stdout
        );
    }
}

#[test]
fn perfdata_per_pool_is_prefixed_only_when_several_pools() {
    let (_dir, path) = fresh_example("two-pools.json");
    let run = run(&["-f", path.to_str().unwrap()], None);
    for pool in ["pool01.contoso.com", "pool02.contoso.com"] {
        for metric in [
            "modules",
            "ok",
            "warning",
            "critical",
            "unknown",
            "export_nonsteady",
            "export_error",
            "import_error",
            "age",
        ] {
            assert!(
                run.perf(&format!("{pool}_{metric}")).is_some(),
                "{pool}_{metric}: {}",
                run.perfdata()
            );
        }
    }
    assert_eq!(
        run.perf("pool02.contoso.com_export_nonsteady").as_deref(),
        Some("1")
    );
}

#[test]
fn verbosity_adds_modules_then_sources_then_properties() {
    let (_dir, path) = fresh_example("pool-healthy.json");
    let path = path.to_str().unwrap();
    let base = ["-f", path, "--cms-master-pool", "pool02.contoso.com"];
    let lines = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        run(&args, None).stdout.lines().count()
    };
    assert_eq!(lines(&[]), 1, "an OK check has no long output at -v0");
    let v1 = run(&[&base[..], &["-v"]].concat(), None);
    assert!(v1.stdout.contains("[OK] pool01.contoso.com: ConfServices.DataConf export FinalState (OK), import NormalState (OK)"));
    assert!(v1.stdout.contains("[OK] pool01.contoso.com: data is "));
    let v2 = run(&[&base[..], &["-vv"]].concat(), None);
    assert!(v2
        .stdout
        .contains("does not host the active CMS (from --cms-master-pool)"));
    assert!(v2.stdout.contains("as JSON, UTF-8"));
    assert!(lines(&["-vv"]) > lines(&["-v"]));
    assert_eq!(lines(&["-vvvv"]), lines(&["-vvv"]));
}

#[test]
fn every_long_output_line_opens_with_a_state_or_note_tag() {
    let doc = status_json(
        Some("pool01.contoso.com"),
        &[
            ("A", "SteadyState", "NormalState"),
            ("B", "NonSteadyState", "NormalState"),
        ],
        r#""ComputerName":"FE01","Site":"Berlin","ActiveMasterFqdn":"pool02.contoso.com","#,
    )
    .replace(
        r#""ImportStatus":"NormalState"}"#,
        r#""ImportStatus":"NormalState","Extra":1}"#,
    );
    for verbosity in ["-v", "-vv", "-vvv"] {
        let run = check_json(&doc, &[verbosity]);
        run.assert(1, "WARNING - ");
        for line in run.stdout.lines().skip(1) {
            assert!(
                [
                    "[OK] ",
                    "[WARNING] ",
                    "[CRITICAL] ",
                    "[UNKNOWN] ",
                    "[NOTE] "
                ]
                .iter()
                .any(|tag| line.starts_with(tag)),
                "{verbosity}: {line:?}"
            );
        }
        if verbosity != "-v" {
            run.assert(1, "\n[NOTE] read standard input as JSON, UTF-8\n")
                .assert(
                    1,
                    "\n[NOTE] pool01.contoso.com: does not host the active CMS (from the document's ActiveMasterFqdn)\n",
                );
        }
    }
    check_json(&doc, &["-vvv"])
        .assert(1, "\n[NOTE] pool01.contoso.com: A: Extra: 1\n")
        .assert(1, "\n[NOTE] pool01.contoso.com: Site: Berlin\n");
    // docs/output.md promises exactly this.
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/output.md"))
        .expect("docs/output.md");
    let guide = guide.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        guide.contains("opens with `[NOTE]`"),
        "docs/output.md on [NOTE]"
    );
}

#[test]
fn max_output_keeps_the_status_line_and_all_perfdata() {
    let modules: Vec<(String, &str, &str)> = (0..60)
        .map(|i| {
            (
                format!("Module.Number{i:02}.WithALongName"),
                "ErrorState",
                "ErrorState",
            )
        })
        .collect();
    let refs: Vec<(&str, &str, &str)> = modules
        .iter()
        .map(|(n, e, i)| (n.as_str(), *e, *i))
        .collect();
    let doc = status_json(Some("pool01.contoso.com"), &refs, "");
    let full = check_json(&doc, &["-v"]);
    assert!(full.stdout.len() > 4000);
    for max in [1023usize, 512, 420] {
        let cut = check_json(&doc, &["-v", "--max-output", &max.to_string()]);
        assert_eq!(cut.code, 2);
        assert!(cut.stdout.len() <= max, "{} > {max}", cut.stdout.len());
        assert_eq!(
            cut.perfdata(),
            full.perfdata(),
            "perfdata survives --max-output {max}"
        );
        assert!(cut
            .first_line()
            .starts_with("CSBACKUP CRITICAL - pool01.contoso.com: Module.Number00"));
        if max == 1023 {
            let marker = cut.stdout.lines().last().unwrap();
            assert!(
                marker.starts_with("... ")
                    && marker.contains("more lines left out (--max-output 1023)"),
                "{marker}"
            );
            let kept = cut.stdout.lines().count() - 2;
            let left: usize = marker.split(' ').nth(1).unwrap().parse().unwrap();
            assert_eq!(kept + left, full.stdout.lines().count() - 1);
        }
    }
    // A short output is left alone.
    let short = check_json(
        &status_json(
            Some("p.contoso.com"),
            &[("A", "SteadyState", "NormalState")],
            "",
        ),
        &["--max-output", "1023"],
    );
    assert_eq!(short.stdout.lines().count(), 1);
    check_json(&doc, &["--max-output", "20"])
        .assert(3, "usage: invalid value '20' for '--max-output");
}

/// Four pools of three modules, all healthy but for `broken`'s ConfServices.DataConf.
fn four_pools(broken: Option<&str>) -> String {
    let pools: Vec<String> = (1..=4)
        .map(|i| {
            let name = format!("pool0{i}.contoso.com");
            let data_conf = if broken == Some(name.as_str()) {
                "ErrorState"
            } else {
                "SteadyState"
            };
            status_json(
                Some(&name),
                &[
                    ("UserServices.PresenceFocus", "SteadyState", "NormalState"),
                    ("ConfServices.DataConf", data_conf, "NormalState"),
                    ("CentralMgmt.CMSMaster", "SteadyState", "NormalState"),
                ],
                "",
            )
        })
        .collect();
    format!("[{}]", pools.join(","))
}

#[test]
fn max_output_keeps_the_same_whole_pools_whatever_the_states() {
    for verbosity in ["-v0", "-v", "-vvv"] {
        let args = ["--max-output", "1023", verbosity];
        let args = if verbosity == "-v0" {
            &args[..2]
        } else {
            &args[..]
        };
        let healthy = check_json(&four_pools(None), args);
        let broken = check_json(&four_pools(Some("pool04.contoso.com")), args);
        healthy.assert(0, "CSBACKUP OK - 4 pools, all 12 backup modules OK");
        broken.assert(
            2,
            "CSBACKUP CRITICAL - pool04.contoso.com: ConfServices.DataConf export ErrorState",
        );
        for run in [&healthy, &broken] {
            assert!(run.stdout.len() <= 1023, "{} bytes", run.stdout.len());
            let last = run.stdout.lines().last().unwrap_or_default();
            assert!(
                last.starts_with("... perfdata of 2 of 4 pools")
                    && last.ends_with(
                        "left out (--max-output 1023): check one pool per service (--pool) or raise the limit"
                    ),
                "{verbosity}: {last}"
            );
        }
        // The same series, whole pools in document order, whatever the states.
        assert_eq!(healthy.labels(), broken.labels(), "{verbosity}");
        let kept: Vec<String> = broken
            .labels()
            .iter()
            .filter(|l| l.ends_with("_modules"))
            .cloned()
            .collect();
        assert_eq!(
            kept,
            ["pool01.contoso.com_modules", "pool02.contoso.com_modules"],
            "{verbosity}"
        );
        assert_eq!(broken.labels().len(), 2 * 8, "{verbosity}");
    }
}

#[test]
fn long_output_lists_the_worst_first_so_problems_survive_the_cut() {
    // Four pools, the problems in the last two: at -v the first pools' OK lines came
    // first, and --max-output cut the problems away.
    let pools: Vec<String> = (1..=4)
        .map(|i| {
            let data_conf = match i {
                3 => "NonSteadyState",
                4 => "ErrorState",
                _ => "SteadyState",
            };
            status_json(
                Some(&format!("pool0{i}.contoso.com")),
                &[
                    ("UserServices.PresenceFocus", "SteadyState", "NormalState"),
                    ("ConfServices.DataConf", data_conf, "NormalState"),
                    ("CentralMgmt.CMSMaster", "SteadyState", "NormalState"),
                ],
                "",
            )
        })
        .collect();
    let doc = format!("[{}]", pools.join(","));
    let full = check_json(&doc, &["-vv"]);
    full.assert(
        2,
        "CSBACKUP CRITICAL - pool04.contoso.com: ConfServices.DataConf export ErrorState",
    );
    let tags: Vec<&str> = full
        .stdout
        .lines()
        .skip(1)
        .map(|l| &l[..l.find(']').unwrap() + 1])
        .collect();
    let first_ok = tags.iter().position(|t| *t == "[OK]").unwrap();
    let first_note = tags.iter().position(|t| *t == "[NOTE]").unwrap();
    assert_eq!(
        &tags[..first_ok],
        ["[CRITICAL]", "[WARNING]"],
        "{}",
        full.stdout
    );
    assert!(tags[first_ok..first_note].iter().all(|t| *t == "[OK]"));
    assert!(tags[first_note..].iter().all(|t| *t == "[NOTE]"));
    // In document order within a level.
    let ok_lines: Vec<&str> = full
        .stdout
        .lines()
        .filter(|l| l.starts_with("[OK]"))
        .collect();
    assert!(ok_lines[0].starts_with("[OK] pool01.contoso.com: UserServices.PresenceFocus"));
    // The shipped verbose NRPE command keeps the worst problem's line; a little more
    // room, every problem's, ahead of any OK line.
    let critical = "\n[CRITICAL] pool04.contoso.com: ConfServices.DataConf export ErrorState";
    let warning = "\n[WARNING] pool03.contoso.com: ConfServices.DataConf export NonSteadyState";
    for (max, problems) in [(1023, &[critical][..]), (2000, &[critical, warning][..])] {
        let cut = check_json(&doc, &["-v", "--max-output", &max.to_string()]);
        assert!(cut.stdout.len() <= max);
        for problem in problems {
            assert!(cut.stdout.contains(problem), "{problem}\n{}", cut.stdout);
        }
    }
}

#[test]
fn max_output_below_one_pools_status_line_and_perfdata_is_refused_with_the_minimum() {
    let (_dir, path) = fresh_example("pool-errors.json");
    let path = path.to_str().unwrap();
    let full = run(&["-f", path, "-v"], None);
    full.assert(2, "CSBACKUP CRITICAL - pool01.contoso.com: ConfServices.DataConf export ErrorState (failed to back up new changes) (and ");
    let mut minimum = None;
    for max in ["128", "200"] {
        let refused = run(&["-f", path, "-v", "--max-output", max], None);
        refused.assert(
            3,
            "CSBACKUP UNKNOWN - usage: --max-output must be at least ",
        );
        assert!(refused.stdout.len() <= max.parse().unwrap());
        let needed: usize = refused
            .stdout
            .split("at least ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("the minimum is named");
        minimum = Some(needed);
    }
    let minimum = minimum.unwrap();
    let at_minimum = run(
        &["-f", path, "-v", "--max-output", &minimum.to_string()],
        None,
    );
    assert_eq!(at_minimum.code, 2, "{}", at_minimum.stdout);
    assert!(at_minimum.stdout.len() <= minimum);
    // All nine items (the age may have moved on a second), and the worst problem named
    // whole.
    let aged = regex::Regex::new(r"\bage=\d+s").unwrap();
    let perfdata = |run: &Run| aged.replace(run.perfdata(), "age=Ns").into_owned();
    assert_eq!(perfdata(&at_minimum), perfdata(&full));
    assert_eq!(at_minimum.labels().len(), 9);
    assert!(at_minimum.first_line().starts_with(
        "CSBACKUP CRITICAL - pool01.contoso.com: ConfServices.DataConf export ErrorState"
    ));
    let below = run(
        &["-f", path, "-v", "--max-output", &(minimum - 1).to_string()],
        None,
    );
    below.assert(3, &format!("must be at least {minimum} for this document"));
}

/// The least `--max-output` the check takes for `doc`, as its refusal names it.
fn minimum(doc: &str) -> usize {
    let refused = check_json(doc, &["--max-output", "128"]);
    refused.assert(3, "must be at least ");
    refused
        .stdout
        .split("at least ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("the minimum is named")
}

#[test]
fn max_output_minimum_does_not_depend_on_values() {
    // A collector's document, then the same with the widest values a document can give:
    // event counts beyond any, a backlog and an age of two thousand years.
    let doc = |collected: &str, since: &str, errors: &str| {
        format!(
            r#"{{"PoolFqdn":"pool01.contoso.com","CollectedAt":"{collected}","HistorySince":"{since}",
            "BackupModules":[{{"Identity":"ConfServices.DataConf","ExportStatus":"NonSteadyState",
            "ImportStatus":"NormalState","ExportStatusSince":"{since}","ImportStatusSince":"{since}"}}],
            "BackupServiceEvents":{{"Since":"{since}","Until":"{collected}","Errors":{errors},"Warnings":{errors},"Latest":[]}}}}"#
        )
    };
    let now = jiff::Timestamp::now().to_string();
    let usual = minimum(&doc(&now, &now, "0"));
    let widest = [
        doc(&now, &now, "18446744073709551615"),
        doc(&now, "0001-01-01T00:00:00Z", "0"),
        doc("0001-01-02T00:00:00Z", "0001-01-01T00:00:00Z", "7"),
    ];
    for doc in &widest {
        assert_eq!(minimum(doc), usual, "{doc}");
        let run = check_json(doc, &["--max-output", &usual.to_string()]);
        assert!(run.stdout.len() <= usual, "{}", run.stdout);
        assert!(!run.perfdata().is_empty(), "{}", run.stdout);
    }
}

#[test]
fn usage_errors_are_one_unknown_line_on_stdout() {
    let cases: [(&[&str], &str); 9] = [
        (
            &["--bogus"],
            "usage: unexpected argument '--bogus' found (see --help)",
        ),
        (&[], "usage: --file is required"),
        (&["-f", "x", "-w", "ten"], "'ten' is not a Nagios range"),
        (&["-f", "x", "-c", "nan"], "'nan' is not a Nagios range"),
        (&["-f", "x", "-c", "20:10"], "is not a Nagios range"),
        (
            &["-f", "x", "--map", "NonSteadyState"],
            "is not a mapping (no '=')",
        ),
        (
            &["-f", "x", "--map", "sideways:X=ok"],
            "'sideways' is neither export nor import",
        ),
        (&["-f", "x", "--map", "X=bad"], "'bad' is not a level"),
        (
            &["-f", "x", "--cms-master-pool", "pool; rm -rf /"],
            "is not a host name",
        ),
    ];
    for (args, fragment) in cases {
        let run = run(args, None);
        assert_eq!(run.code, 3, "{args:?}: {}", run.stdout);
        assert_eq!(run.stdout.lines().count(), 1, "{args:?}: {}", run.stdout);
        assert!(
            run.stdout.starts_with("CSBACKUP UNKNOWN - usage: "),
            "{args:?}: {}",
            run.stdout
        );
        assert!(run.stdout.contains(fragment), "{args:?}: {}", run.stdout);
        assert!(run.stderr.is_empty(), "{args:?}: {}", run.stderr);
    }
    let run = run(&["-f", "x", "--on-error", "sometimes"], None);
    run.assert(
        3,
        "'sometimes' is not a level: use ok, warning, critical or unknown",
    );
    let run = common::run(&["-f", "x", "-t", "0"], None);
    run.assert(3, "usage: invalid value '0' for '--timeout");
}

#[test]
fn an_invalid_choice_lists_the_accepted_values() {
    run(&["-f", "x", "--format", "yaml"], None).assert(
        3,
        "CSBACKUP UNKNOWN - usage: invalid value 'yaml' for '--format <FORMAT>', use one of: auto, json, clixml, text",
    );
    run(&["-f", "x", "--on-error", "sometimes"], None)
        .assert(3, "use ok, warning, critical or unknown");
    run(&["-f", "x", "--map", "NonSteadyState=maybe"], None)
        .assert(3, "use ok, warning, critical or unknown");
    run(&["-f", "x", "--map", "both:NonSteadyState=ok"], None)
        .assert(3, "'both' is neither export nor import");
}

#[test]
fn usage_errors_clip_what_they_echo_and_keep_within_max_output() {
    let long = "9".repeat(2500) + "x" + &"9".repeat(2500);
    let run = common::run(&["-f", "x", "-w", &long], None);
    run.assert(3, "CSBACKUP UNKNOWN - usage: invalid value '99999");
    assert!(
        run.stdout.len() < 400,
        "{} bytes: {}",
        run.stdout.len(),
        run.stdout
    );
    assert_eq!(run.stdout.lines().count(), 1);
    for max in [vec!["--max-output", "200"], vec!["--max-output=200"]] {
        // After the bad argument, and before it.
        let after = [&["-f", "x", "-w", long.as_str()][..], &max].concat();
        let before = [&max[..], &["-f", "x", "--bogus", long.as_str()]].concat();
        for args in [after, before] {
            let run = common::run(&args, None);
            run.assert(3, "CSBACKUP UNKNOWN - usage: ");
            assert!(
                run.stdout.len() <= 200,
                "{} bytes: {}",
                run.stdout.len(),
                run.stdout
            );
        }
    }
    // Valid characters, but a range no age needs: refused too, quoted short.
    let digits = "9".repeat(5000);
    let run = common::run(&["-f", "x", "-c", &digits], None);
    run.assert(
        3,
        "5000 characters, more than the 40 any range of seconds needs",
    );
    assert!(run.stdout.len() < 400, "{} bytes", run.stdout.len());
    let long_option = format!("--{}", "x".repeat(5000));
    let run = common::run(&["-f", "x", &long_option], None);
    run.assert(3, "usage: unexpected argument '--xxx");
    assert!(run.stdout.len() < 300, "{} bytes", run.stdout.len());
}

#[test]
fn help_and_version_print_to_stdout_and_exit_3() {
    let help = run(&["--help"], None);
    help.assert(3, "Usage: check_csbackup [OPTIONS]")
        .assert(3, "export NonSteadyState  WARNING");
    for option in [
        "--file",
        "--format",
        "--pool",
        "--cms-master-pool",
        "--module",
        "--ignore-module",
        "--map",
        "--on-error",
        "--warning",
        "--critical",
        "--timeout",
        "--max-input",
        "--max-output",
        "--verbose",
        "--version",
    ] {
        assert!(help.stdout.contains(option), "{option} in --help");
    }
    run(&["-h"], None).assert(3, "Usage:");
    run(&["--version"], None).assert(3, &format!("check_csbackup {}", env!("CARGO_PKG_VERSION")));
    run(&["-V"], None).assert(3, "check_csbackup ");
}

/// A FIFO without a writer in `dir`: opening it blocks.
#[cfg(unix)]
fn fifo(dir: &std::path::Path) -> std::path::PathBuf {
    let fifo = dir.join("status.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    fifo
}

#[cfg(unix)]
#[test]
fn a_file_that_blocks_ends_as_unknown_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = fifo(dir.path());
    let started = Instant::now();
    let run = run(&["-f", fifo.to_str().unwrap(), "-t", "1"], None);
    let took = started.elapsed();
    run.assert(
        3,
        "CSBACKUP UNKNOWN - timed out after 1 s while reading the status document",
    );
    assert_eq!(run.stdout.lines().count(), 1);
    // Generous bound: the point is that it ends, not how fast.
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

/// The `-t` deadline costs no thread: while the check waits on a FIFO without a writer,
/// the process is one thread (the watchdog is an alarm, and a thread would cost a check
/// more than reading and judging a real document).
#[cfg(target_os = "linux")]
#[test]
fn waiting_for_the_timeout_takes_no_thread() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = fifo(dir.path());
    let mut child = std::process::Command::new(BIN)
        .args(["-f", fifo.to_str().unwrap(), "-t", "30"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let field = |text: &str, name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    // Until the check blocks opening the FIFO (State: S), then count its threads.
    let started = Instant::now();
    let threads = loop {
        let text = std::fs::read_to_string(&status).unwrap_or_default();
        if field(&text, "State:").starts_with('S') {
            break field(&text, "Threads:");
        }
        assert!(started.elapsed() < Duration::from_secs(20), "never blocked");
        std::thread::sleep(Duration::from_millis(10));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(threads, "1");
}

/// A parent may start the plugin with SIGALRM blocked (a signal mask survives exec):
/// the deadline holds all the same.
#[cfg(target_os = "linux")]
#[test]
fn the_timeout_holds_when_the_parent_blocked_sigalrm() {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = fifo(dir.path());
    let mut command = std::process::Command::new(BIN);
    command
        .args(["-f", fifo.to_str().unwrap(), "-t", "1"])
        .stdout(std::process::Stdio::piped());
    // SAFETY: between fork and exec only async-signal-safe calls on a local set.
    unsafe {
        command.pre_exec(|| {
            let mut blocked: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut blocked);
            libc::sigaddset(&mut blocked, libc::SIGALRM);
            libc::sigprocmask(libc::SIG_BLOCK, &blocked, std::ptr::null_mut());
            Ok(())
        });
    }
    let mut child = command.spawn().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert_eq!(status.and_then(|s| s.code()), Some(3), "{stdout}");
    assert!(
        stdout.starts_with("CSBACKUP UNKNOWN - timed out after 1 s while reading"),
        "{stdout}"
    );
}

/// Runs only inside [`a_panic_ends_as_unknown_exit_3`]'s child process.
#[test]
#[ignore = "run as a child process by a_panic_ends_as_unknown_exit_3"]
fn panicking_child() {
    if std::env::var_os("CSBACKUP_PANIC_CHILD").is_some() {
        check_csbackup::guard::install_panic_hook();
        let modules: Vec<u8> = Vec::new();
        let _ = modules[usize::from(std::env::args().count() > 0)];
    }
}

#[test]
fn a_panic_ends_as_unknown_exit_3() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "panicking_child",
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("CSBACKUP_PANIC_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    // The test harness prints its own prefix on the same line; the plugin line follows it.
    let line = stdout
        .find("CSBACKUP")
        .map(|at| &stdout[at..])
        .unwrap_or_default();
    assert!(
        line.starts_with("CSBACKUP UNKNOWN - internal error: index out of bounds"),
        "{stdout}"
    );
    assert_eq!(line.lines().count(), 1, "{stdout}");
}
