//! The manual page, `check_csbackup.1`, generated from the clap definition.
//!
//! Why a test generates it: a `build.rs` cannot see the crate's own `Cli` type, a hidden
//! `--generate-man` option would ship `clap_mangen` inside every plugin binary, and an
//! extra `[[bin]]` would land in the packages. A test sees `Cli` through the library,
//! keeps `clap_mangen` a dev-dependency, and runs in every `cargo test`, so the page is
//! rebuilt from the very definition `--help` prints. It writes `target/man/*.1`, which
//! `scripts/build-packages.sh` hands to `cargo deb` and `cargo generate-rpm`; nothing
//! generated is committed, so nothing can drift.
//!
//! Besides writing the pages, the test pins down that the main page says what `--help`
//! says: every option, its help text, and the states table.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use clap::CommandFactory;

/// `target/man`, next to `target/tmp` (which cargo names for integration tests).
fn man_dir() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().map(|t| t.join("man")).unwrap_or(tmp)
}

/// Roff source back to plain text, enough to search it for `--help`'s words.
fn plain(roff: &str) -> String {
    roff.replace("\\-", "-")
        .replace("\\(aq", "'")
        .replace("\\*(Aq", "'")
        .replace("\\e", "\\")
        .replace("\\(rs", "\\")
        .replace("\\\\", "\\")
        .replace("\\&", "")
        .replace("\\fB", "")
        .replace("\\fI", "")
        .replace("\\fR", "")
}

/// Generates the pages once per test run (the tests run in parallel) and returns the
/// main page's roff source.
fn generate() -> String {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(write_pages).clone()
}

fn write_pages() -> String {
    let dir = man_dir();
    std::fs::create_dir_all(&dir).expect("creating target/man");
    // Pages of options or subcommands that no longer exist must not reach a package.
    for entry in std::fs::read_dir(&dir)
        .expect("listing target/man")
        .flatten()
    {
        if entry.path().extension().is_some_and(|e| e == "1") {
            std::fs::remove_file(entry.path()).expect("removing an old page");
        }
    }
    let mut command = check_csbackup::cli::Cli::command().disable_help_subcommand(true);
    command.build();
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        clap_mangen::Man::new(sub.clone())
            .generate_to(&dir)
            .expect("writing a subcommand's page");
    }
    let page = main_page(command);
    std::fs::write(dir.join("check_csbackup.1"), &page).expect("writing check_csbackup.1");
    page
}

/// The main page. clap_mangen fills `after_help` into a paragraph, which tears the
/// states table apart; it goes into its own section, unfilled, as `--help` shows it.
fn main_page(command: clap::Command) -> String {
    let after = command
        .get_after_long_help()
        .or(command.get_after_help())
        .map(|s| s.to_string())
        .unwrap_or_default();
    let mut roff = Vec::new();
    clap_mangen::Man::new(command.after_help(None).after_long_help(None))
        .render(&mut roff)
        .expect("rendering the page");
    let page = String::from_utf8(roff).expect("roff is UTF-8");
    let mut section = String::from(".SH \"STATES, EXIT CODES, EXAMPLES\"\n.nf\n");
    for line in after.lines() {
        let line = line.replace('\\', "\\e").replace('-', "\\-");
        if line.starts_with(['.', '\'']) {
            section.push_str("\\&");
        }
        section.push_str(&line);
        section.push('\n');
    }
    section.push_str(".fi\n");
    match page.find(".SH VERSION") {
        Some(at) => format!("{}{section}{}", &page[..at], &page[at..]),
        None => page + &section,
    }
}

fn help_text() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_check_csbackup"))
        .arg("--help")
        .output()
        .expect("running check_csbackup --help");
    String::from_utf8(out.stdout).expect("--help is UTF-8")
}

#[test]
fn man_page_is_generated_with_title_name_and_synopsis() {
    let page = generate();
    let title = page.lines().find(|l| l.starts_with(".TH"));
    assert!(
        title.is_some_and(|t| t.starts_with(".TH check_csbackup 1")),
        "title line: {title:?}"
    );
    let text = plain(&page);
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS"] {
        assert!(text.contains(section), "{section} missing:\n{text}");
    }
    assert!(
        text.contains("check_csbackup - Monitoring plugin"),
        "{text}"
    );
    assert!(text.contains(env!("CARGO_PKG_VERSION")), "version missing");
}

#[test]
fn man_page_names_every_option_that_help_shows() {
    let page = plain(&generate());
    let help = help_text();
    let mut flags = 0;
    for line in help.lines() {
        let line = line.trim_start();
        if !line.starts_with('-') {
            continue;
        }
        for word in line.split([' ', ',', '<', '[', '.']) {
            if word.starts_with("--") && word.len() > 2 {
                flags += 1;
                assert!(
                    page.contains(word),
                    "--help shows {word}, the man page does not"
                );
            }
        }
    }
    assert!(flags >= 10, "found only {flags} options in --help:\n{help}");
}

#[test]
fn man_page_carries_each_options_help_and_the_states_table() {
    let page = plain(&generate());
    // Roff breaks nothing inside a paragraph's source line, so each help text appears
    // whole; compare with runs of spaces folded, as --help wraps.
    let folded = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let page = folded(&page);
    let command = check_csbackup::cli::Cli::command();
    for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
        if let Some(help) = arg.get_help() {
            let help = folded(&help.to_string());
            assert!(
                page.contains(&help),
                "help of --{} missing from the man page: {help}",
                arg.get_id()
            );
        }
    }
    let help = help_text();
    let states = help
        .split_once("States (")
        .map(|(_, rest)| rest)
        .expect("--help has a states table");
    for line in states.lines().filter(|l| !l.trim().is_empty()) {
        assert!(
            page.contains(&folded(line)),
            "states table line missing from the man page: {line}"
        );
    }
}
