//! The shipped configuration snippets (`packaging/`) against the command line and the
//! guides: the Icinga 2 CheckCommand passes every option the plugin has, the NRPE and
//! NSClient++ lines fit their 1024-byte transport, and the guide of each monitoring
//! system shows its snippets exactly as shipped. The daemons themselves run the snippets
//! in `tests/stack/`.

use clap::CommandFactory;

mod common;

use common::packaging::{check_options, read};

/// Each snippet, and the guide that shows it.
const SNIPPETS: [(&str, &str); 5] = [
    ("packaging/icinga2/check_csbackup.conf", "docs/icinga2.md"),
    (
        "packaging/icinga2/check_csbackup-services.conf",
        "docs/icinga2.md",
    ),
    ("packaging/nagios/check_csbackup.cfg", "docs/nagios.md"),
    ("packaging/nrpe/check_csbackup.cfg", "docs/nrpe.md"),
    ("packaging/nscp/check_csbackup.ini", "docs/nsclient.md"),
];

#[test]
fn icinga_check_command_passes_every_option() {
    let conf = read("packaging/icinga2/check_csbackup.conf");
    let options = check_options();
    for option in &options {
        let long = &option.long;
        assert!(
            conf.contains(&format!("\"--{long}\" = {{")),
            "the CheckCommand has no argument \"--{long}\""
        );
        let var = format!("${}$", option.var);
        assert!(
            conf.contains(&var),
            "the CheckCommand does not use {var} for --{long}"
        );
    }
    assert!(options.len() >= 12, "only {} options found", options.len());
}

#[test]
fn icinga_timeout_is_above_the_plugins_default() {
    let conf = read("packaging/icinga2/check_csbackup.conf");
    let seconds: u64 = conf
        .lines()
        .find_map(|l| l.trim().strip_prefix("timeout = "))
        .and_then(|v| v.trim_end_matches('s').parse().ok())
        .expect("the CheckCommand sets timeout = <N>s");
    let command = check_csbackup::cli::Cli::command();
    let default: u64 = command
        .get_arguments()
        .find(|a| a.get_long() == Some("timeout"))
        .and_then(|a| a.get_default_values().first().cloned())
        .and_then(|v| v.to_str().and_then(|s| s.parse().ok()))
        .expect("--timeout has a default");
    assert!(
        seconds > default,
        "CheckCommand timeout {seconds}s is not above the plugin's default -t {default}"
    );
}

#[test]
fn nrpe_and_nsclient_lines_fit_1024_bytes() {
    let nrpe = read("packaging/nrpe/check_csbackup.cfg");
    let nscp = read("packaging/nscp/check_csbackup.ini");
    let lines: Vec<&str> = nrpe
        .lines()
        .filter(|l| l.starts_with("command["))
        .chain(nscp.lines().filter(|l| l.starts_with("check_csbackup")))
        .collect();
    assert!(lines.len() >= 7, "found {} command lines", lines.len());
    for line in lines {
        assert!(line.contains(" --max-output 1023"), "{line}");
        assert!(
            !line.contains("$ARG"),
            "NRPE lines take no arguments: {line}"
        );
    }
}

#[test]
fn each_guide_shows_its_snippets_as_shipped() {
    for (path, guide) in SNIPPETS {
        let snippet = read(path);
        assert!(
            read(guide).contains(snippet.trim_end()),
            "{guide} does not show {path} as shipped: copy the file into its block"
        );
    }
}
