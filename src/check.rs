//! One check run: read the document, evaluate it, render the output, all under the
//! `--timeout` deadline. The only place that touches the clock and the file system for
//! the check; `policy` and `report` get what they need as values.

use crate::cli::Cli;
use crate::collect;
use crate::guard::{self, Stage};
use crate::input::{self, Request};
use crate::model::Format;
use crate::policy::{self, Evaluation, Level, Settings};
use crate::report::{self, Options};

/// Runs the check and returns the exit code and the plugin output.
pub fn run(cli: Cli) -> (i32, String) {
    let options = Options {
        verbosity: cli.verbose.min(3),
        max_output: cli.max_output.map(|m| m as usize),
    };
    guard::set_max_output(options.max_output);
    guard::start_watchdog(cli.timeout);
    guard::set_stage(Stage::Reading);
    let request = Request {
        path: cli.file.as_deref().unwrap_or("-"),
        format: cli.format.format(),
        max_input: cli.max_input,
    };
    let acquired = if cli.live {
        guard::set_stage(Stage::RunningPowerShell);
        collect::live(
            cli.powershell.as_deref(),
            &cli.pools,
            cli.timeout,
            cli.max_input,
        )
    } else {
        input::acquire(&request).map_err(|e| e.to_string())
    };
    let bytes = match acquired {
        Ok(bytes) => bytes,
        Err(e) => return (3, report::unknown_within(&e, &options)),
    };
    let settings = settings(&cli);
    let (level, output, evaluation) = check_bytes(
        bytes,
        request.format,
        &settings,
        &options,
        jiff::Timestamp::now(),
    );
    // The process ends next, and the system takes its memory back at once: freeing a
    // large evaluation block by block would cost a pass over all of it (4 % of the run
    // for 150,000 modules).
    std::mem::forget(evaluation);
    (level.exit_code(), output)
}

/// Bytes → plugin output: parse, evaluate at `now`, render. No file, clock or process
/// is touched (only the watchdog's stage is recorded), so the fuzz targets and the
/// benchmarks drive exactly the path a check run takes.
pub fn evaluate_bytes(
    bytes: input::Bytes,
    format: Option<Format>,
    settings: &Settings,
    options: &Options,
    now: jiff::Timestamp,
) -> (Level, String) {
    let (level, output, _evaluation) = check_bytes(bytes, format, settings, options, now);
    (level, output)
}

/// [`evaluate_bytes`], and the evaluation the output was rendered from (none when the
/// document could not be read).
fn check_bytes(
    bytes: input::Bytes,
    format: Option<Format>,
    settings: &Settings,
    options: &Options,
    now: jiff::Timestamp,
) -> (Level, String, Option<Evaluation>) {
    guard::set_stage(Stage::Parsing);
    let document = match input::parse(bytes, format) {
        Ok(document) => document,
        Err(e) => {
            return (
                Level::Unknown,
                report::unknown_within(&e.to_string(), options),
                None,
            )
        }
    };
    guard::set_stage(Stage::Evaluating);
    // The evaluation takes the document over: a large one is not held twice.
    let evaluation = policy::evaluate(document, settings, now);
    let (level, output) = report::render(&evaluation, options);
    (level, output, Some(evaluation))
}

/// The evaluation settings the command line asks for.
pub fn settings(cli: &Cli) -> Settings {
    Settings {
        pools: cli.pools.clone(),
        cms_master_pool: cli.cms_master_pool.clone(),
        required_modules: cli.modules.clone(),
        ignored_modules: cli.ignore_modules.clone(),
        mappings: cli.maps.clone(),
        on_error: cli.on_error,
        warning: cli.warning.clone(),
        critical: cli.critical.clone(),
        backlog_warning: cli.backlog_warning.clone(),
        backlog_critical: cli.backlog_critical.clone(),
        not_initialized_warning: cli.not_initialized_warning.clone(),
        on_event_error: cli.on_event_error,
    }
}
