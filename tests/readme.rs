//! Black-box: the README's first command, exactly as written, prints OK on any day; and
//! the README stays a front door.
//!
//! A newcomer runs it long after checking out: the bundled example must not go stale,
//! and the output must stay honest about what it did not check. The README says what,
//! why, how to start and where to read on; the guides live in docs/.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

const README: &str = include_str!("../README.md");

/// The first line of the README's first `sh` block: `cargo run --release -- ARGS`,
/// with `< FILE` as standard input.
fn first_command() -> (Vec<String>, Option<String>) {
    let block = README
        .split("```sh\n")
        .nth(1)
        .expect("the README opens with a sh block");
    let line = block.lines().next().expect("a first command");
    let args = line
        .strip_prefix("cargo run --release -- ")
        .unwrap_or_else(|| panic!("the first command runs the plugin: {line}"));
    let (args, stdin) = match args.split_once(" < ") {
        Some((args, file)) => (args, Some(file.trim().to_owned())),
        None => (args, None),
    };
    (args.split_whitespace().map(str::to_owned).collect(), stdin)
}

fn copy_examples(into: &Path, modified: SystemTime) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    std::fs::create_dir(into.join("examples")).expect("examples/");
    for entry in std::fs::read_dir(from)
        .expect("examples/ is readable")
        .flatten()
    {
        let to = into.join("examples").join(entry.file_name());
        std::fs::copy(entry.path(), &to).expect("an example is copied");
        std::fs::File::options()
            .write(true)
            .open(&to)
            .and_then(|f| f.set_modified(modified))
            .expect("its time is set");
    }
}

#[test]
fn the_first_command_prints_ok_however_old_the_checkout() {
    let (args, stdin) = first_command();
    let checkout = tempfile::tempdir().expect("a folder");
    // Checked out ten years ago.
    let long_ago = SystemTime::now() - Duration::from_secs(10 * 365 * 86400);
    copy_examples(checkout.path(), long_ago);
    let stdin = match &stdin {
        Some(file) => Stdio::from(
            std::fs::File::open(checkout.path().join(file)).expect("the example exists"),
        ),
        None => Stdio::null(),
    };
    let out = Command::new(common::BIN)
        .args(&args)
        .current_dir(checkout.path())
        .stdin(stdin)
        .output()
        .expect("the plugin runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stdout}");
    let summary = stdout
        .lines()
        .next()
        .and_then(|l| l.split(" | ").next())
        .unwrap_or_default();
    assert_eq!(
        summary,
        "CSBACKUP OK - pool01.contoso.com: all 3 backup modules OK, data age not checked"
    );
    // The README shows the same line and says why the age is not checked.
    assert!(README.contains(summary), "the README quotes: {summary}");
}

#[test]
fn the_readme_is_a_front_door_to_every_guide() {
    assert!(
        README.len() < 10 * 1024,
        "README.md is {} bytes: keep it under 10 KB, and move what a guide says into docs/",
        README.len()
    );
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    for entry in std::fs::read_dir(docs)
        .expect("docs/ is readable")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            assert!(
                README.contains(&format!("](docs/{name})")),
                "README.md does not link docs/{name}: add it to the table of guides"
            );
        }
    }
}
