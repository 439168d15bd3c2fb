//! `collect` and `--live` in a build without the collector (`--no-default-features`):
//! the static Linux binaries.
//!
//! The collector runs Windows PowerShell and the Skype for Business cmdlets, which only a
//! front-end server has, so on Linux it could never run; left out, it costs the binary
//! nothing. The command line stays the one every build has (`--help`, the man page and
//! usage errors are the same), `--print-script` prints the script as every build does,
//! and what would run the collector says where it runs.

use std::ffi::OsString;
use std::path::Path;

use crate::{cli, input};

/// Where the collector runs, for both of its ways in.
const WHERE: &str = "the collector runs on a Windows front-end server: check_csbackup.exe \
    collect, see docs/windows-collector.md";

/// `check_csbackup collect ...`: answered as every build answers it (`--help`,
/// `--print-script`, usage errors); a collection says where to run it.
pub fn main(args: &[OsString]) -> i32 {
    if let Err(code) = cli::collect_command(args) {
        return code;
    }
    eprintln!(
        "check_csbackup collect: not in this build ({WHERE}); this binary checks the files it writes (--file)"
    );
    2
}

/// `--live`: the check's UNKNOWN says where the collector runs and what to check instead.
pub fn live(
    _program: Option<&Path>,
    _pools: &[String],
    _timeout_seconds: u64,
    _max_input: u64,
) -> Result<input::Bytes, String> {
    // What to do first: a short --max-output keeps the beginning of the line.
    Err(format!(
        "--live is not in this build: check the file the collector's scheduled task writes, with --file ({WHERE})"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_says_what_to_do_first() {
        let Err(said) = live(None, &["pool01.contoso.com".into()], 10, 1024) else {
            panic!("--live ran without the collector");
        };
        assert!(
            said.starts_with("--live is not in this build: check the file"),
            "{said}"
        );
        assert!(said.contains("docs/windows-collector.md"), "{said}");
    }

    #[test]
    fn the_script_is_the_collectors() {
        assert!(cli::COLLECTOR_SCRIPT.starts_with("<#\n"));
        assert!(cli::COLLECTOR_SCRIPT.contains("Get-CsBackupServiceStatus"));
    }
}
