//! What every fuzz target checks, so that a target is a line: one target per document
//! reader (`read`, with the reader's format) and one for the whole path bytes → output
//! (`whole_path`).
//!
//! A new reader gets its target by copying `fuzz_targets/json_reader.rs` with its own
//! `Format`, and a `[[bin]]` entry in `Cargo.toml`; `scripts/fuzz.sh` runs every target
//! that `cargo fuzz list` names.

use check_csbackup::check;
use check_csbackup::input::{self, Bytes};
use check_csbackup::model::Format;
use check_csbackup::policy::{Level, Settings};
use check_csbackup::report::Options;

#[path = "../../tests/common/output_grammar.rs"]
mod output_grammar;

/// One reader on arbitrary text: it may refuse the text, never panic or hang.
pub fn read(format: Format, data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = input::read_pools(text, format);
    }
}

/// The fixed clock of the whole-path target: a run is a function of its input alone.
fn now() -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_732_755_600).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// Bytes → output as a check run does it, with options taken from the input's length
/// (so the documents in the seed corpus stay documents): every input must end in a
/// valid plugin output with a state matching its level, within `--max-output`.
pub fn whole_path(data: &[u8]) {
    let n = data.len();
    let options = Options {
        verbosity: (n % 4) as u8,
        max_output: [None, Some(128), Some(1023), Some(600)][n / 4 % 4],
    };
    let format = if n / 16 % 2 == 0 {
        None
    } else {
        Some(Format::Json)
    };
    let mut settings = Settings::default();
    if n / 32 % 2 == 1 {
        settings.cms_master_pool = Some("pool01.contoso.com".into());
    }
    let modified = now().checked_sub(jiff::SignedDuration::from_secs(60)).ok();
    let bytes = Bytes {
        source: "fuzz input".into(),
        bytes: data.to_vec(),
        modified,
    };
    let (level, output) = check::evaluate_bytes(bytes, format, &settings, &options, now());
    if let Err(e) = output_grammar::check_output(&output, options.max_output) {
        panic!("invalid plugin output ({e}):\n{output}");
    }
    let state = output_grammar::state_of(&output).and_then(output_grammar::exit_code_of);
    assert_eq!(
        state,
        Some(level.exit_code()),
        "state word does not match the level {level:?}:\n{output}"
    );
    assert!(matches!(
        level,
        Level::Ok | Level::Warning | Level::Critical | Level::Unknown
    ));
}
