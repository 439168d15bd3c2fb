//! The bad-input corpus: every document in `tests/bad-inputs/expected.tsv`, and the
//! large or special files it names, run through the real binary. Each must end with the
//! expected exit code, a message saying what is wrong, and an output that keeps the
//! plugin grammar. Nothing may panic, hang or print to stderr.
//!
//! Unix only: the special files (a FIFO, a symlink to /dev/zero) are Unix files.
#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{output_grammar, run_limited, Limited, BIN as BINARY};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/bad-inputs");
/// A run longer than this is a hang, whatever its input.
const HANG: Duration = Duration::from_secs(60);

struct Case {
    line: usize,
    input: String,
    exit: i32,
    fragment: String,
    args: Vec<String>,
}

fn manifest() -> Vec<Case> {
    let text = std::fs::read_to_string(Path::new(CORPUS).join("expected.tsv"))
        .expect("tests/bad-inputs/expected.tsv is readable");
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|(i, l)| {
            let fields: Vec<&str> = l.split('\t').collect();
            assert!(
                (3..=4).contains(&fields.len()),
                "expected.tsv line {}: 3 or 4 tab-separated fields",
                i + 1
            );
            Case {
                line: i + 1,
                input: fields[0].to_owned(),
                exit: fields[1].parse().expect("an exit code"),
                fragment: fields[2].to_owned(),
                args: fields
                    .get(3)
                    .map(|a| a.split_whitespace().map(str::to_owned).collect())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// A folder of its own, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "check_csbackup-bad-inputs-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Makes the input a `@NAME` stands for, in `dir`.
fn generate(name: &str, dir: &Path) -> PathBuf {
    let path = dir.join(name);
    let write = |text: String| std::fs::write(&path, text).expect("a generated document");
    match name {
        "deep-arrays" => write("[".repeat(100_000)),
        "deep-objects" => write("{\"a\":".repeat(100_000)),
        "million-element-array" => write(format!("[{}1]", "1,".repeat(999_999))),
        "huge-string" => write(format!(
            r#"{{"PoolFqdn":"{}","Notes":"{}","BackupModules":[{{"Identity":"{}","ExportStatus":"SteadyState","ImportStatus":"NormalState"}}]}}"#,
            "p".repeat(8_000_000),
            "n".repeat(3_000_000),
            "m".repeat(4_000_000)
        )),
        "dev-zero-symlink" => {
            std::os::unix::fs::symlink("/dev/zero", &path).expect("a symlink to /dev/zero")
        }
        "fifo-without-writer" => {
            let status = Command::new("mkfifo").arg(&path).status();
            assert!(status.is_ok_and(|s| s.success()), "mkfifo failed");
        }
        "folder" => std::fs::create_dir(&path).expect("a folder"),
        "missing" => {}
        other => panic!("expected.tsv names an unknown generated input @{other}"),
    }
    path
}

/// Runs the binary, killing it if it hangs.
fn run(args: &[String], stdin: Option<&Path>) -> Limited {
    let stdin = stdin.map(|file| std::fs::read(file).expect("the stdin document"));
    run_limited(Command::new(BINARY).args(args), stdin, HANG)
}

fn max_output(args: &[String]) -> Option<usize> {
    let at = args.iter().position(|a| a == "--max-output")?;
    args.get(at + 1)?.parse().ok()
}

/// What is wrong with a case's run, if anything.
fn check(case: &Case, scratch: &Path) -> Result<(), String> {
    let mut stdin = None;
    let path = if let Some(name) = case.input.strip_prefix('@') {
        generate(name, scratch).display().to_string()
    } else if let Some(file) = case.input.strip_prefix("stdin:") {
        stdin = Some(Path::new(CORPUS).join(file));
        "-".to_owned()
    } else {
        // A fresh copy: the age check sees a document written just now.
        let copy = scratch.join(&case.input);
        std::fs::copy(Path::new(CORPUS).join(&case.input), &copy)
            .map_err(|e| format!("cannot copy {}: {e}", case.input))?;
        copy.display().to_string()
    };
    let mut args = vec!["--file".to_owned(), path];
    args.extend(case.args.iter().cloned());
    let run = run(&args, stdin.as_deref());
    let head: String = run.stdout.chars().take(600).collect();
    if run.code().is_none() {
        return Err(format!(
            "no exit code after {:?} (hang or signal)",
            run.elapsed
        ));
    }
    if run.code() != Some(case.exit) {
        return Err(format!(
            "exit {:?}, expected {}: {head}",
            run.code(),
            case.exit
        ));
    }
    match case.fragment.strip_prefix('!') {
        Some(absent) if run.stdout.contains(absent) => {
            return Err(format!("output holds {absent:?}: {head}"));
        }
        Some(_) => {}
        None if !run.stdout.contains(&case.fragment) => {
            return Err(format!("output lacks {:?}: {head}", case.fragment));
        }
        None => {}
    }
    if !run.stderr.is_empty() {
        return Err(format!("printed to stderr: {}", run.stderr));
    }
    output_grammar::check_output(&run.stdout, max_output(&case.args))
        .map_err(|e| format!("output breaks the grammar ({e}): {head}"))?;
    let state = output_grammar::state_of(&run.stdout).and_then(output_grammar::exit_code_of);
    if state != run.code() {
        return Err(format!(
            "state word and exit code {:?} disagree: {head}",
            run.code()
        ));
    }
    Ok(())
}

#[test]
fn every_bad_input_ends_as_expected() {
    let cases = manifest();
    let mut failures = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let scratch = Scratch::new(&index.to_string());
        if let Err(e) = check(case, &scratch.0) {
            failures.push(format!(
                "expected.tsv line {} ({} {}): {e}",
                case.line,
                case.input,
                case.args.join(" ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad inputs failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_manifest_covers_every_document_and_there_are_enough() {
    let cases = manifest();
    let listed: Vec<&str> = cases
        .iter()
        .map(|c| c.input.trim_start_matches("stdin:"))
        .collect();
    let mut documents = 0;
    for entry in std::fs::read_dir(CORPUS).expect("the corpus folder") {
        let name = entry.expect("a folder entry").file_name();
        let name = name.to_string_lossy();
        if name == "expected.tsv" {
            continue;
        }
        documents += 1;
        assert!(
            listed.contains(&name.as_ref()),
            "{name} is not in expected.tsv"
        );
    }
    assert!(documents >= 40, "only {documents} hand-made documents");
    assert!(cases.iter().filter(|c| c.input.starts_with('@')).count() >= 8);
}

/// `-t` holds when the file itself blocks: a FIFO with no writer never delivers a byte,
/// and the watchdog must still end the run as UNKNOWN, naming the stage.
#[test]
fn a_blocking_file_ends_as_unknown_within_the_timeout() {
    let scratch = Scratch::new("fifo");
    let fifo = generate("fifo-without-writer", &scratch.0);
    let args: Vec<String> = ["--file", &fifo.display().to_string(), "-t", "1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let run = run(&args, None);
    assert_eq!(run.code(), Some(3), "{}", run.stdout);
    assert_eq!(
        run.stdout,
        "CSBACKUP UNKNOWN - timed out after 1 s while reading the status document \
         (a file that blocks? a FIFO without a writer, a hung network share?), \
         raise -t/--timeout if this is expected\n"
    );
    // Generous: this proves the run ends, it does not measure how fast.
    assert!(
        run.elapsed < Duration::from_secs(1 + 5),
        "ended after {:?}",
        run.elapsed
    );
    assert!(
        run.elapsed >= Duration::from_secs(1),
        "ended before the timeout"
    );
}
