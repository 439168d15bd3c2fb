//! The guard around everything: whatever happens, the plugin prints exactly one output
//! and exits 0–3. A panic ends as `UNKNOWN - internal error`, a run past `--timeout` as
//! `UNKNOWN - timed out ... while <stage>`, and whichever comes first is the only output.

use std::io::Write;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::report;

/// Held by whoever prints the plugin's output, until the process exits.
static OUTPUT: Mutex<()> = Mutex::new(());
static STAGE: AtomicU8 = AtomicU8::new(0);
/// `--max-output`, for the endings that come from here; `usize::MAX` for none.
static MAX_OUTPUT: AtomicUsize = AtomicUsize::new(usize::MAX);

/// What the plugin is doing, for the timeout message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Stage {
    Starting = 0,
    Reading = 1,
    Parsing = 2,
    Evaluating = 3,
    RunningPowerShell = 4,
}

impl Stage {
    fn describe(code: u8) -> &'static str {
        match code {
            1 => "reading the status document (a file that blocks? a FIFO without a writer, a hung network share?)",
            2 => "parsing the status document",
            3 => "evaluating",
            4 => "waiting for PowerShell (loading the Skype for Business module can take tens of seconds: use a scheduled collector)",
            _ => "starting",
        }
    }
}

/// Records what the plugin is doing now.
pub fn set_stage(stage: Stage) {
    STAGE.store(stage as u8, Ordering::SeqCst);
}

/// Holds the watchdog's and the panic hook's output to `--max-output` too.
pub fn set_max_output(max: Option<usize>) {
    MAX_OUTPUT.store(max.unwrap_or(usize::MAX), Ordering::SeqCst);
}

/// An `UNKNOWN` line within `--max-output`.
fn unknown(message: &str) -> String {
    let max = MAX_OUTPUT.load(Ordering::SeqCst);
    let options = report::Options {
        verbosity: 0,
        max_output: (max != usize::MAX).then_some(max),
    };
    report::unknown_within(message, &options)
}

/// Prints `output` and exits with `code`, unless another ending already printed.
pub fn finish(code: i32, output: &str) -> ! {
    // A poisoned lock still serialises: the printing thread is gone, so we may print.
    let _held = OUTPUT.lock().unwrap_or_else(|e| e.into_inner());
    let mut stdout = std::io::stdout().lock();
    // Nothing useful can be done when stdout is closed; the exit code still tells.
    let _ = stdout.write_all(output.as_bytes());
    let _ = stdout.flush();
    std::process::exit(code)
}

/// Ends the process as UNKNOWN after `seconds`, naming the stage it was in.
pub fn start_watchdog(seconds: u64) {
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(seconds));
        let stage = STAGE.load(Ordering::SeqCst);
        finish(3, &unknown(&timed_out(seconds, stage)))
    });
}

/// The reason for a run stopped after `seconds` in `stage`: the watchdog's, and that
/// of `--live`, which stops PowerShell itself just before the watchdog would fire.
pub fn timeout_reason(seconds: u64, stage: Stage) -> String {
    timed_out(seconds, stage as u8)
}

fn timed_out(seconds: u64, stage: u8) -> String {
    format!(
        "timed out after {seconds} s while {}, raise -t/--timeout if this is expected",
        Stage::describe(stage)
    )
}

/// Turns a panic into `UNKNOWN - internal error: ...`, exit 3.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let output = unknown(&format!(
            "internal error: {message}{place}, please report this with the status document"
        ));
        // If the output is being printed already, that output stands.
        if let Ok(_held) = OUTPUT.try_lock() {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(output.as_bytes());
            let _ = stdout.flush();
        }
        std::process::exit(3)
    }));
}
