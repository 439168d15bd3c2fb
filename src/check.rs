//! One check run: read the document, evaluate it, render the output, all under the
//! `--timeout` deadline. The only place that touches the clock and the file system for
//! the check; `policy` and `report` get what they need as values.

use crate::cli::Cli;
use crate::collect;
use crate::guard::{self, Stage};
use crate::input::{self, Request};
use crate::policy::{self, Settings};
use crate::report::{self, Options};

/// Runs the check and returns the exit code and the plugin output.
pub fn run(cli: Cli) -> (i32, String) {
    guard::start_watchdog(cli.timeout);
    guard::set_stage(Stage::Reading);
    let request = Request {
        path: cli.file.as_deref().unwrap_or("-"),
        format: cli.format.format(),
        max_input: cli.max_input,
    };
    let acquired = if cli.live {
        guard::set_stage(Stage::RunningPowerShell);
        let program = cli
            .powershell
            .clone()
            .unwrap_or_else(collect::default_powershell);
        collect::live(&program, &cli.pools, cli.timeout, cli.max_input)
    } else {
        input::acquire(&request).map_err(|e| e.to_string())
    };
    let bytes = match acquired {
        Ok(bytes) => bytes,
        Err(e) => return (3, report::unknown(&e)),
    };
    guard::set_stage(Stage::Parsing);
    let document = match input::parse(bytes, request.format) {
        Ok(document) => document,
        Err(e) => return (3, report::unknown(&e.to_string())),
    };
    guard::set_stage(Stage::Evaluating);
    let settings = settings(&cli);
    let evaluation = policy::evaluate(&document, &settings, jiff::Timestamp::now());
    let options = Options {
        verbosity: cli.verbose.min(3),
        max_output: cli.max_output.map(|m| m as usize),
    };
    let (level, output) = report::render(&evaluation, &options);
    (level.exit_code(), output)
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
    }
}
