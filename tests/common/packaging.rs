//! The options a check takes, as the command line defines them, and the shipped files
//! that must pass them on: shared by the tests that hold the packaging snippets and the
//! Icinga Director basket to the command line.

use std::path::Path;

use clap::{ArgAction, CommandFactory};

/// A file of the source tree, by its path from the repository's root.
pub fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("reading {}: {e}", full.display()))
}

/// One long option of the check.
#[derive(Debug)]
pub struct CheckOption {
    /// Without the dashes: `cms-master-pool`.
    pub long: String,
    /// The Icinga 2 custom variable that carries it: `csbackup_cms_master_pool`.
    pub var: String,
    /// Given once per value (`--pool a --pool b`).
    pub repeatable: bool,
    /// Takes no value (`--live`).
    pub flag: bool,
    /// Its `--help` line.
    pub help: String,
}

/// Every long option `check_csbackup --help` shows, but `--help` and `--version`, which
/// print and exit instead of checking.
pub fn check_options() -> Vec<CheckOption> {
    let command = check_csbackup::cli::Cli::command();
    command
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|arg| {
            let long = arg.get_long()?;
            if matches!(long, "help" | "version") {
                return None;
            }
            Some(CheckOption {
                long: long.to_owned(),
                var: format!("csbackup_{}", long.replace('-', "_")),
                repeatable: matches!(arg.get_action(), ArgAction::Append),
                flag: matches!(arg.get_action(), ArgAction::SetTrue),
                help: arg.get_help().map(|h| h.to_string()).unwrap_or_default(),
            })
        })
        .collect()
}
