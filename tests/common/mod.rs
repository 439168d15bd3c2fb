//! Running the real binary the way a monitoring daemon does, and reading its output.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub mod output_grammar;
pub mod packaging;
pub mod stand_in;

pub const BIN: &str = env!("CARGO_BIN_EXE_check_csbackup");

/// What one run of the plugin printed, and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn first_line(&self) -> &str {
        self.stdout.lines().next().unwrap_or("")
    }

    pub fn perfdata(&self) -> &str {
        self.first_line()
            .split_once(" | ")
            .map(|(_, p)| p)
            .unwrap_or("")
    }

    /// The value of one perfdata item, by label.
    pub fn perf(&self, label: &str) -> Option<String> {
        perf_items(self.perfdata())
            .into_iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.split(';').next().unwrap_or("").to_owned())
    }

    /// The same value as a number, without its unit (`12s` is 12).
    pub fn perf_number(&self, label: &str) -> Option<i64> {
        self.perf(label)?.trim_end_matches('s').parse().ok()
    }

    /// The perfdata labels, in order.
    pub fn labels(&self) -> Vec<String> {
        perf_items(self.perfdata())
            .into_iter()
            .map(|(label, _)| label)
            .collect()
    }

    pub fn assert(&self, code: i32, fragment: &str) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code; output:\n{}{}",
            self.stdout, self.stderr
        );
        assert!(
            contains_aged(&self.stdout, fragment),
            "expected {fragment:?} in output:\n{}",
            self.stdout
        );
        self
    }
}

/// How many seconds a run may add to an age the test expects: the time between
/// writing a document and checking it, or between the collector's own stamps, on a
/// loaded machine.
pub const SLACK_SECONDS: u64 = 5;

/// Whether `text` holds `fragment`, where each age the fragment names ("data 30 s
/// old", "for at least 0 s", "for 12 s") may read up to [`SLACK_SECONDS`] more. Any other
/// number ("751 s outside the range", "timed out after 1 s") must be exact.
pub fn contains_aged(text: &str, fragment: &str) -> bool {
    let ages = regex::Regex::new(r"\b(data |for at least |for )(\d+) s\b").expect("regex");
    let mut pattern = String::new();
    let mut expected = Vec::new();
    let mut last = 0;
    for found in ages.captures_iter(fragment) {
        let number = found.get(2).expect("the number");
        pattern.push_str(&regex::escape(&fragment[last..number.start()]));
        pattern.push_str(r"(\d+)");
        expected.push(number.as_str().parse::<u64>().expect("a number"));
        last = number.end();
    }
    pattern.push_str(&regex::escape(&fragment[last..]));
    let pattern = regex::Regex::new(&pattern).expect("regex");
    let found = pattern.captures_iter(text).any(|found| {
        expected.iter().enumerate().all(|(i, want)| {
            let got: u64 = found[i + 1].parse().expect("a number");
            (*want..=want + SLACK_SECONDS).contains(&got)
        })
    });
    found
}

/// Runs the plugin with arguments and optional standard input; a run still going after a
/// minute is a hang, and fails.
pub fn run(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let ran = run_limited(
        Command::new(BIN).args(args),
        stdin.map(<[u8]>::to_vec),
        Duration::from_secs(60),
    );
    assert!(ran.status.is_some(), "still running after 60 s: a hang");
    Run {
        code: ran.code().unwrap_or(-1),
        stdout: ran.stdout,
        stderr: ran.stderr,
    }
}

/// How a process run by [`run_limited`] ended: its status, none when it was still
/// running at the limit and was killed (a hang); what it printed; how long it took.
pub struct Limited {
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Limited {
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }
}

/// Runs `command` to its end with `stdin` (or nothing) on its standard input, reading
/// what it prints as it comes; one still running after `limit` is killed.
pub fn run_limited(command: &mut Command, stdin: Option<Vec<u8>>, limit: Duration) -> Limited {
    let started = Instant::now();
    let mut child = command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the program starts");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("a stdin pipe");
        // The program may stop reading early (a refused size); that is not an error here.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        });
    }
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let out = read_all(Box::new(child.stdout.take().expect("a stdout pipe")));
    let err = read_all(Box::new(child.stderr.take().expect("a stderr pipe")));
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the program") {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Limited {
        status,
        elapsed: started.elapsed(),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// Runs the plugin on a JSON text given on standard input.
pub fn check_json(json: &str, args: &[&str]) -> Run {
    let mut all = vec!["--file", "-"];
    all.extend_from_slice(args);
    run(&all, Some(json.as_bytes()))
}

/// A fresh file with these bytes in a temporary folder (kept alive by the returned dir).
pub fn file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("the file is written");
    (dir, path)
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

/// A copy of an example, freshly modified, so the age check sees new data.
pub fn fresh_example(name: &str) -> (tempfile::TempDir, PathBuf) {
    let bytes = std::fs::read(example(name)).expect("the example exists");
    file(name, &bytes)
}

/// One status object as the cmdlet's JSON: modules as (identity, export, import).
pub fn status_json(pool: Option<&str>, modules: &[(&str, &str, &str)], extra: &str) -> String {
    let modules: Vec<String> = modules
        .iter()
        .map(|(id, e, i)| {
            format!(r#"{{"Identity":"{id}","ExportStatus":"{e}","ImportStatus":"{i}"}}"#)
        })
        .collect();
    let pool = pool
        .map(|p| format!(r#""PoolFqdn":"{p}","#))
        .unwrap_or_default();
    format!(
        r#"{{{pool}{extra}"BackupModules":[{}]}}"#,
        modules.join(",")
    )
}

/// Splits perfdata into (label, value) by the Monitoring Plugins grammar
/// ([`output_grammar`]), panicking on anything that breaks it; no perfdata, no items.
pub fn perf_items(perfdata: &str) -> Vec<(String, String)> {
    if perfdata.is_empty() {
        return Vec::new();
    }
    output_grammar::perf_items(perfdata)
        .unwrap_or_else(|e| panic!("{e}: {perfdata}"))
        .into_iter()
        .map(|(label, value)| (label.to_owned(), value.to_owned()))
        .collect()
}

#[cfg(test)]
mod aged_tests {
    use super::contains_aged;

    #[test]
    fn an_age_may_grow_by_the_slack_and_no_more() {
        let fragment = "OK - p: all OK, data 30 s old |";
        assert!(contains_aged(
            "OK - p: all OK, data 30 s old | age=30s",
            fragment
        ));
        assert!(contains_aged(
            "OK - p: all OK, data 35 s old | age=35s",
            fragment
        ));
        assert!(!contains_aged("OK - p: all OK, data 36 s old |", fragment));
        assert!(!contains_aged("OK - p: all OK, data 29 s old |", fragment));
        assert!(!contains_aged("OK - p: all OK, data 1 min old |", fragment));
        assert!(!contains_aged(
            "WARNING - p: all OK, data 30 s old |",
            fragment
        ));
        // A fragment without an age is a plain substring.
        assert!(contains_aged("a (b) c", "(b)"));
        // Durations may grow too; other numbers of seconds may not.
        let lasted = "NonSteadyState for at least 0 s (";
        assert!(contains_aged(
            "x NonSteadyState for at least 3 s (y",
            lasted
        ));
        assert!(!contains_aged(
            "x NonSteadyState for at least 9 s (y",
            lasted
        ));
        let outside = "backlog, 751 s outside the --backlog-warning range 750";
        assert!(contains_aged(&format!("a {outside}"), outside));
        assert!(!contains_aged(
            "a backlog, 752 s outside the --backlog-warning range 750",
            outside
        ));
        assert!(!contains_aged("timed out after 2 s", "timed out after 1 s"));
    }
}
