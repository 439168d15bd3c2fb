//! The guard around everything: whatever happens, the plugin prints exactly one output
//! and exits 0–3. A panic ends as `UNKNOWN - internal error`, a run past `--timeout` as
//! `UNKNOWN - timed out ... while <stage>`, and whichever comes first is the only output.

use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};

use crate::report;

/// Set by whichever ending prints the plugin's output; the others then print nothing.
/// An atomic flag, not a lock: the timeout ends the run from a signal handler.
static ENDED: AtomicBool = AtomicBool::new(false);
static STAGE: AtomicU8 = AtomicU8::new(0);
/// `--max-output`, for the endings that come from here; `usize::MAX` for none.
static MAX_OUTPUT: AtomicUsize = AtomicUsize::new(usize::MAX);
/// `--timeout`, for the watchdog's message.
static TIMEOUT: AtomicU64 = AtomicU64::new(0);

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

/// Whether the caller is the first ending, and so the one to print.
fn claim_output() -> bool {
    !ENDED.swap(true, Ordering::SeqCst)
}

/// Prints `output` and exits with `code`, unless another ending already printed.
pub fn finish(code: i32, output: &str) -> ! {
    if !claim_output() {
        // The other ending is printing and exits the process; this thread waits for it.
        loop {
            std::thread::park();
        }
    }
    let mut stdout = std::io::stdout().lock();
    // Nothing useful can be done when stdout is closed; the exit code still tells.
    let _ = stdout.write_all(output.as_bytes());
    let _ = stdout.flush();
    std::process::exit(code)
}

/// Ends the process as UNKNOWN after `seconds`, naming the stage it was in.
pub fn start_watchdog(seconds: u64) {
    TIMEOUT.store(seconds, Ordering::SeqCst);
    watchdog::start(seconds);
}

/// The reason for a run stopped after `seconds` in `stage`: the watchdog's, and that
/// of `--live`, which stops PowerShell itself just before the watchdog would fire.
pub fn timeout_reason(seconds: u64, stage: Stage) -> String {
    TimedOut {
        seconds,
        stage: stage as u8,
    }
    .to_string()
}

struct TimedOut {
    seconds: u64,
    stage: u8,
}

impl TimedOut {
    fn now() -> TimedOut {
        TimedOut {
            seconds: TIMEOUT.load(Ordering::SeqCst),
            stage: STAGE.load(Ordering::SeqCst),
        }
    }
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "timed out after {} s while {}, raise -t/--timeout if this is expected",
            self.seconds,
            Stage::describe(self.stage)
        )
    }
}

/// On Unix the deadline is `alarm(2)`: no thread is started (that would cost a check
/// more than reading and judging a real document), and the handler ends the process
/// wherever it is, a blocked `open` or `read` included. The handler may neither
/// allocate nor lock (the interrupted code may hold the allocator's lock), so it writes
/// its line into a buffer on the stack and out with `write(2)`.
#[cfg(unix)]
mod watchdog {
    use std::fmt::Write as _;
    use std::sync::atomic::Ordering;

    use super::{claim_output, report, TimedOut, MAX_OUTPUT};

    pub fn start(seconds: u64) {
        // SAFETY: a zeroed `sigaction` and `sigset_t` are valid values (no flags, empty
        // sets) before the fields are set; the handler only does what a signal handler
        // may (atomics, formatting into its own stack, write(2), _exit(2)).
        let installed = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_alarm as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            // A parent may have started the plugin with SIGALRM blocked: the mask
            // survives exec, and the alarm would then never arrive.
            let mut alarm: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut alarm);
            libc::sigaddset(&mut alarm, libc::SIGALRM);
            libc::sigaction(libc::SIGALRM, &action, std::ptr::null_mut()) == 0
                && libc::pthread_sigmask(libc::SIG_UNBLOCK, &alarm, std::ptr::null_mut()) == 0
        };
        if !installed {
            return super::watchdog_thread(seconds);
        }
        // `-t` is at most 86,400 s (cli.rs); `alarm` counts in unsigned seconds.
        let seconds = libc::c_uint::try_from(seconds).unwrap_or(libc::c_uint::MAX);
        // SAFETY: plain system call.
        unsafe { libc::alarm(seconds) };
    }

    extern "C" fn on_alarm(_signal: libc::c_int) {
        if !claim_output() {
            // The plugin is printing its own output and is about to exit.
            return;
        }
        let mut line = Line::default();
        let max = MAX_OUTPUT.load(Ordering::SeqCst);
        let text = line.unknown(&TimedOut::now(), max);
        write_all(text);
        // SAFETY: _exit(2) is async-signal-safe and never returns.
        unsafe { libc::_exit(3) }
    }

    fn write_all(mut bytes: &[u8]) {
        while !bytes.is_empty() {
            // SAFETY: `bytes` is valid for its length.
            let written = unsafe { libc::write(1, bytes.as_ptr().cast(), bytes.len()) };
            match usize::try_from(written) {
                Ok(n) if n > 0 => bytes = &bytes[n..],
                _ if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {}
                // stdout is gone: the exit code still tells.
                _ => return,
            }
        }
    }

    /// An `UNKNOWN` line built without allocating: `report::unknown_within`'s output
    /// for the watchdog's message (a test holds the two equal).
    pub(super) struct Line {
        bytes: [u8; 512],
        len: usize,
    }

    impl Default for Line {
        fn default() -> Line {
            Line {
                bytes: [0; 512],
                len: 0,
            }
        }
    }

    impl std::fmt::Write for Line {
        fn write_str(&mut self, text: &str) -> std::fmt::Result {
            let end = self.len + text.len();
            let room = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
            room.copy_from_slice(text.as_bytes());
            self.len = end;
            Ok(())
        }
    }

    impl Line {
        /// `PLUGIN UNKNOWN - <reason>\n`, cut to `max` bytes as `unknown_within` cuts.
        pub(super) fn unknown(&mut self, reason: &TimedOut, max: usize) -> &[u8] {
            self.len = 0;
            let _ = writeln!(self, "{} UNKNOWN - {reason}", report::PLUGIN);
            if self.len > max {
                let mut cut = max.saturating_sub("...\n".len());
                // Back to the start of a character, as str::is_char_boundary does.
                while cut > 0 && self.bytes[cut] & 0xC0 == 0x80 {
                    cut -= 1;
                }
                self.len = cut;
                let _ = self.write_str("...\n");
            }
            &self.bytes[..self.len]
        }
    }
}

#[cfg(not(unix))]
mod watchdog {
    pub fn start(seconds: u64) {
        super::watchdog_thread(seconds)
    }
}

/// The watchdog where there is no `alarm`: a thread that sleeps until the deadline.
fn watchdog_thread(seconds: u64) {
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(seconds));
        finish(3, &unknown(&TimedOut::now().to_string()))
    });
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
        if claim_output() {
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(output.as_bytes());
            let _ = stdout.flush();
        }
        std::process::exit(3)
    }));
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// The line the alarm handler builds on its stack is the one `report` would build.
    #[test]
    fn the_alarm_handler_prints_what_report_would() {
        let stages = [
            Stage::Starting,
            Stage::Reading,
            Stage::Parsing,
            Stage::Evaluating,
            Stage::RunningPowerShell,
        ];
        for stage in stages {
            for seconds in [1, 10, 86_400] {
                for max in [None, Some(128), Some(150), Some(1023)] {
                    let options = report::Options {
                        verbosity: 0,
                        max_output: max,
                    };
                    let expected =
                        report::unknown_within(&timeout_reason(seconds, stage), &options);
                    let reason = TimedOut {
                        seconds,
                        stage: stage as u8,
                    };
                    let mut line = watchdog::Line::default();
                    let built = line.unknown(&reason, max.unwrap_or(usize::MAX));
                    assert_eq!(
                        std::str::from_utf8(built),
                        Ok(expected.as_str()),
                        "{stage:?}, {seconds} s, --max-output {max:?}"
                    );
                }
            }
        }
    }
}
