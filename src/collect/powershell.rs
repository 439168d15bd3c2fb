//! Running PowerShell: its command line, and a child bounded in time and in output.
//!
//! The script travels as `-EncodedCommand` (base64 of its UTF-16LE text, without its
//! comments: see `transport`) and the pools in the environment variable `CSBACKUP_POOLS`, so no shell parses anything and no pool
//! name is ever part of code. Standard output and standard error are drained on threads
//! of their own, so neither pipe can fill and stall the child, and each is kept only up
//! to a cap. The child is polled rather than waited on, so that it is stopped the moment
//! the deadline passes; a process it started that keeps the pipes open cannot hold the
//! collector either, because the readers are given only a short grace after the child ends.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The collector script, as `packaging/windows/Collect-CsBackupStatus.ps1` reads.
pub use crate::cli::COLLECTOR_SCRIPT as SCRIPT;

/// The environment variable that carries the pools to the script, one per line.
pub const POOLS_VARIABLE: &str = "CSBACKUP_POOLS";
/// The environment variables that ask the script to read the event log: from when
/// (UTC, `yyyy-MM-ddTHH:mm:ssZ`), which log, which source.
pub const EVENTS_SINCE_VARIABLE: &str = "CSBACKUP_EVENTS_SINCE";
pub const EVENT_LOG_VARIABLE: &str = "CSBACKUP_EVENT_LOG";
pub const EVENT_SOURCE_VARIABLE: &str = "CSBACKUP_EVENT_SOURCE";

/// Which of the Backup Service's events the script reads: its log, its source, since when.
#[derive(Debug, Clone, PartialEq)]
pub struct EventQuery {
    pub log: String,
    pub source: String,
    pub since: jiff::Timestamp,
}

/// How long the output pipes may stay open after the child has ended.
const READER_GRACE: Duration = Duration::from_secs(2);
/// The least time given to read what a child wrote just before it ended.
pub const LAST_BYTES: Duration = Duration::from_millis(100);

/// The PowerShell run when none is named: Windows PowerShell 5.1, the only one the
/// Skype for Business module loads in, by its full path so that no `powershell.exe`
/// earlier on the search path is run instead; elsewhere PowerShell 7.
pub fn default_program() -> PathBuf {
    if !cfg!(windows) {
        return PathBuf::from("pwsh");
    }
    std::env::var_os("SystemRoot")
        .map(|root| PathBuf::from(root).join(r"System32\WindowsPowerShell\v1.0\powershell.exe"))
        .filter(|path| path.is_file())
        .unwrap_or_else(|| PathBuf::from("powershell.exe"))
}

/// The arguments PowerShell is given, the script encoded as the last.
pub fn arguments(script: &str) -> Vec<String> {
    [
        "-NoLogo",
        "-NoProfile",
        "-NonInteractive",
        "-ExecutionPolicy",
        "Bypass",
        "-EncodedCommand",
    ]
    .iter()
    .map(|a| a.to_string())
    .chain([encode_command(script)])
    .collect()
}

/// `-EncodedCommand`'s form: base64 of the script's UTF-16LE bytes.
pub fn encode_command(script: &str) -> String {
    let bytes: Vec<u8> = script.encode_utf16().flat_map(u16::to_le_bytes).collect();
    base64(&bytes)
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> shift & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// What was read from one of the child's pipes.
#[derive(Debug, Clone, Default)]
pub struct Captured {
    /// The first bytes, up to the cap.
    pub bytes: Vec<u8>,
    /// How many bytes the child wrote in all.
    pub total: u64,
    /// Whether the pipe was read to its end.
    pub complete: bool,
}

impl Captured {
    pub fn overflowed(&self) -> bool {
        self.total > self.bytes.len() as u64
    }
}

/// How a run of PowerShell ended.
#[derive(Debug)]
pub enum Ending {
    /// It exited by itself; `code` is `None` when a signal ended it.
    Exited {
        code: Option<i32>,
        stdout: Captured,
        stderr: Captured,
    },
    /// The deadline passed: it was stopped, and this is what it had said on stderr.
    TimedOut { stderr: Captured },
}

/// Caps on what is kept of each pipe.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    pub stdout: usize,
    pub stderr: usize,
}

/// Runs `program` with the collector script and `pools` (and the event log to read,
/// given as data like the pools), until it exits or `deadline`. An error means it could
/// not be started.
pub fn run(
    program: &Path,
    pools: &[String],
    events: Option<&EventQuery>,
    deadline: Instant,
    caps: Caps,
) -> io::Result<Ending> {
    let mut command = Command::new(program);
    command
        .args(arguments(&super::transport::compact(SCRIPT)))
        .env(POOLS_VARIABLE, pools.join("\n"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match events {
        Some(query) => command
            .env(
                EVENTS_SINCE_VARIABLE,
                query.since.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            )
            .env(EVENT_LOG_VARIABLE, &query.log)
            .env(EVENT_SOURCE_VARIABLE, &query.source),
        // Whatever the collector's own environment holds: not asked, not read.
        None => command
            .env_remove(EVENTS_SINCE_VARIABLE)
            .env_remove(EVENT_LOG_VARIABLE)
            .env_remove(EVENT_SOURCE_VARIABLE),
    };
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        // CREATE_NO_WINDOW: no console window flashes up under a service or a task.
        command.creation_flags(0x0800_0000);
    }
    let mut child = command.spawn()?;
    let stdout = Pipe::drain(child.stdout.take(), caps.stdout);
    let stderr = Pipe::drain(child.stderr.take(), caps.stderr);
    let mut pause = Duration::from_millis(2);
    let code = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.code(),
            Ok(None) if Instant::now() < deadline => {
                thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            // Expired, or the child can no longer be asked: stop it either way.
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(Ending::TimedOut {
                    stderr: stderr.snapshot(),
                });
            }
        }
    };
    // A child that ends at the deadline still gets a moment to have its last bytes read.
    let now = Instant::now();
    let grace = now + READER_GRACE.min(deadline.saturating_duration_since(now).max(LAST_BYTES));
    Ok(Ending::Exited {
        code,
        stdout: stdout.finish(grace),
        stderr: stderr.finish(grace),
    })
}

/// One pipe being read on its own thread.
struct Pipe {
    shared: Arc<(Mutex<Captured>, Condvar)>,
}

impl Pipe {
    fn drain<R: Read + Send + 'static>(source: Option<R>, cap: usize) -> Pipe {
        let shared = Arc::new((Mutex::new(Captured::default()), Condvar::new()));
        let Some(mut source) = source else {
            lock(&shared.0).complete = true;
            return Pipe { shared };
        };
        let writer = Arc::clone(&shared);
        thread::spawn(move || {
            let mut buffer = [0u8; 16 * 1024];
            loop {
                let read = match source.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                };
                let mut captured = lock(&writer.0);
                let room = cap.saturating_sub(captured.bytes.len()).min(read);
                captured.bytes.extend_from_slice(&buffer[..room]);
                captured.total += read as u64;
            }
            lock(&writer.0).complete = true;
            writer.1.notify_all();
        });
        Pipe { shared }
    }

    fn snapshot(&self) -> Captured {
        lock(&self.shared.0).clone()
    }

    /// What was read once the pipe ends, or by `until` if it stays open.
    fn finish(&self, until: Instant) -> Captured {
        let (state, ended) = &*self.shared;
        let mut captured = lock(state);
        while !captured.complete {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            captured = match ended.wait_timeout(captured, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        captured.clone()
    }
}

/// A reader thread holds the lock only to copy bytes; a poisoned lock still holds them.
fn lock(state: &Mutex<Captured>) -> std::sync::MutexGuard<'_, Captured> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_base64_with_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xFF, 0xFE, 0x00]), "//4A");
    }

    #[test]
    fn encodes_a_command_as_powershell_does() {
        // `[Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes('dir'))`
        assert_eq!(encode_command("dir"), "ZABpAHIA");
        assert_eq!(encode_command("ä"), "5AA=");
    }

    #[test]
    fn the_command_line_fits_windows_limit() {
        // CreateProcess refuses command lines over 32767 characters; keep room to grow.
        let sent = super::super::transport::compact(SCRIPT);
        let length: usize = arguments(&sent).iter().map(|a| a.len() + 1).sum();
        let program = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe";
        assert!(length + program.len() < 30_000, "{length}");
        assert!(
            SCRIPT.is_ascii(),
            "keep the script ASCII: it is read on any code page"
        );
    }

    #[test]
    fn the_script_travels_safely_without_its_comments() {
        // What `transport::compact` relies on.
        assert!(
            !SCRIPT.contains("@'") && !SCRIPT.contains("@\""),
            "no here-strings"
        );
        assert_eq!(
            SCRIPT.matches("<#").count(),
            1,
            "one block comment, the help"
        );
        assert!(SCRIPT.starts_with("<#\n"));
        assert!(
            SCRIPT.lines().all(|l| !l.trim_end().ends_with('`')),
            "no backtick line continuations"
        );
        let sent = super::super::transport::compact(SCRIPT);
        assert!(!sent.contains(".SYNOPSIS") && !sent.contains("\n#"));
        assert!(sent.starts_with("param(\n"));
        assert!(sent.contains("Get-CsBackupServiceStatus -PoolFqdn $Pool"));
    }

    #[test]
    fn the_stand_alone_region_is_whole_statements_the_binary_never_sends() {
        let start = SCRIPT
            .find(&format!("\n{}", super::super::transport::STAND_ALONE))
            .expect("the stand-alone region");
        let end = SCRIPT[start..].find("\n#endregion\n").expect("its end") + start;
        let region = &SCRIPT[start..end];
        // Top-level statements only: it begins and ends at column 0, braces balanced.
        let code: Vec<&str> = region
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .collect();
        assert!(code[0].starts_with("function "), "{}", code[0]);
        assert_eq!(code.last().copied(), Some("}"));
        let balance = |open: char, close: char| {
            region.matches(open).count() as i64 - region.matches(close).count() as i64
        };
        assert_eq!((balance('{', '}'), balance('(', ')')), (0, 0));
        let sent = super::super::transport::compact(SCRIPT);
        assert!(!sent.contains("Invoke-StandAlone") && !sent.contains("Write-FileAtomically"));
        assert!(
            sent.contains("function Get-CsBackupAnswer") && sent.contains("$env:CSBACKUP_POOLS")
        );
        assert!(SCRIPT.contains("Invoke-StandAlone $pools $OutDirectory\n}\n#endregion\n"));
    }

    #[test]
    fn the_script_reads_pools_as_data() {
        assert!(SCRIPT.contains("$env:CSBACKUP_POOLS"));
        assert!(SCRIPT.contains("Get-CsBackupServiceStatus -PoolFqdn $Pool"));
        assert!(SCRIPT.contains("Import-Module SkypeForBusiness"));
        assert!(SCRIPT.contains("Import-Module Lync"));
        assert!(SCRIPT.contains("ActiveMasterFqdn"));
        // The frame the collector looks for, and the answer's version.
        assert!(SCRIPT.contains(&format!("`n{}`n", super::super::frame::BEGIN)));
        assert!(SCRIPT.contains(&format!("`n{}`n", super::super::frame::END)));
        use crate::input::answer::{VERSION, VERSION_KEY};
        assert!(SCRIPT.contains(&format!("{VERSION_KEY} = $AnswerVersion")));
        assert!(SCRIPT.contains(&format!("$AnswerVersion = {VERSION}\n")));
        // What a stand-alone run writes as CollectorVersion.
        let version = env!("CARGO_PKG_VERSION");
        assert!(SCRIPT.contains(&format!("$CollectorVersion = '{version}'\n")));
    }
}
