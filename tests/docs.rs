//! The documentation against the binary: what README.md and docs/*.md show must be what
//! the plugin does.
//!
//! How the pages show commands (docs/development.md, *Writing the docs*):
//! - a ```` ```console ```` block is a session: a line that starts with `$ ` is a command
//!   (a trailing `\` continues it on the next line), and the lines under it, up to the
//!   next command or the end of the block, are what it prints. `PS C:\> ` starts a
//!   Windows PowerShell command, which is shown and never run here;
//! - a ```` ```sh ```` block holds commands to copy, one a line, without prompt or output;
//! - in a shown output, `...` stands for what was left out: a line that is only `...` for
//!   any number of lines, `...` within a line for any text on that line;
//! - the data's age is never compared: it comes from the file's time, which a checkout
//!   sets (`data 5 s old`, `age=5s`, the time `-vv` says the age came from).
//!
//! Every command of such a block that runs `check_csbackup` (or `cargo run --release --`)
//! on a bundled example, `examples/...`, is run here on a fresh copy of the examples, as
//! a checkout has them; `echo $?` after it prints its exit code. A shown output must
//! match what the binary prints; a command shown without output must at least not be a
//! usage error. Commands on other files (a collector's file on a server) are not run.
//!
//! Besides: the options page names every option `--help` has, with its default, and
//! every relative link of the pages leads to a file and a heading that exist.

mod common;

use std::path::Path;
#[cfg(unix)]
use std::{path::PathBuf, process::Command};

use clap::CommandFactory;
use regex::Regex;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every page under docs/, by their path from the repository's root.
fn pages() -> Vec<String> {
    let mut pages = vec!["README.md".to_owned()];
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ is readable")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

fn read(page: &str) -> String {
    std::fs::read_to_string(root().join(page)).unwrap_or_else(|e| panic!("reading {page}: {e}"))
}

// ---- fenced blocks ----------------------------------------------------------------------

/// A fenced block: its info string (`console`, `sh`, ...), the line of its opening fence
/// (1-based) and its lines without the fence's indentation.
#[derive(Debug)]
struct Block {
    info: String,
    line: usize,
    lines: Vec<String>,
}

fn blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, Block)> = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match open.take() {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    let block = Block {
                        info: info.trim().to_owned(),
                        line: n + 1,
                        lines: Vec::new(),
                    };
                    open = Some((indent, block));
                }
            }
            Some((fence_indent, mut block)) => {
                if trimmed.trim_end() == "```" {
                    blocks.push(block);
                } else {
                    let cut = indent.min(fence_indent);
                    block.lines.push(line[cut..].to_owned());
                    open = Some((fence_indent, block));
                }
            }
        }
    }
    blocks
}

// ---- commands and what they are shown to print ------------------------------------------

/// A command a page shows, and what it is shown to print (`None`: nothing shown).
#[derive(Debug)]
struct Shown {
    place: String,
    command: String,
    output: Option<Vec<String>>,
}

const WINDOWS_PROMPT: &str = r"PS C:\> ";

fn is_prompt(line: &str) -> bool {
    line.starts_with("$ ") || line.starts_with(WINDOWS_PROMPT)
}

/// The commands of one block with their place (`page:line`). Windows PowerShell
/// commands are left out; their output is skipped with them.
fn commands(page: &str, block: &Block) -> Vec<Shown> {
    let mut shown = Vec::new();
    let mut lines = block.lines.iter().enumerate().peekable();
    let console = block.info == "console";
    while let Some((i, line)) = lines.next() {
        let place = format!("{page}:{}", block.line + 1 + i);
        let (command, unix) = if console {
            match line.strip_prefix("$ ") {
                Some(command) => (command.to_owned(), true),
                None if line.starts_with(WINDOWS_PROMPT) => (line.clone(), false),
                None => continue,
            }
        } else {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            (line.to_owned(), true)
        };
        let mut command = command;
        while command.ends_with('\\') {
            command.pop();
            match lines.next() {
                Some((_, next)) => command.push_str(next.trim_start()),
                None => break,
            }
        }
        let mut output = Vec::new();
        while let Some((_, next)) = lines.peek() {
            if !console || is_prompt(next) {
                break;
            }
            output.push(next.trim_end().to_owned());
            lines.next();
        }
        while output.last().is_some_and(|l| l.is_empty()) {
            output.pop();
        }
        if unix {
            shown.push(Shown {
                place,
                command,
                output: (!output.is_empty()).then_some(output),
            });
        }
    }
    shown
}

/// The command as this test runs it: the plugin named by its path, or `None` when the
/// command does not run the plugin on a bundled example.
fn plugin_command(command: &str, plugin: &Path) -> Option<String> {
    let command = command.trim();
    let rest = match command.strip_prefix("cargo run --release -- ") {
        Some(rest) => rest,
        None => {
            let (program, rest) = command.split_once(' ')?;
            let name = program.rsplit('/').next()?;
            if name != "check_csbackup" {
                return None;
            }
            rest
        }
    };
    if !rest.contains("examples/") {
        return None;
    }
    Some(format!("'{}' {rest}", plugin.display()))
}

// ---- comparing ---------------------------------------------------------------------------

/// `text` with the data's age, which depends on the file's time, made one placeholder.
fn without_age(text: &str) -> String {
    static PATTERNS: std::sync::OnceLock<Vec<(Regex, &str)>> = std::sync::OnceLock::new();
    let patterns = PATTERNS.get_or_init(|| {
        let duration = r"(?:\d+ s|\d+ min|\d+ h \d+ min|\d+ d \d+ h)";
        vec![
            (
                Regex::new(&format!(r"\bdata (is )?{duration} old")).expect("regex"),
                "data ${1}<age> old",
            ),
            (
                Regex::new(r"(^|[ |])age=\d+s").expect("regex"),
                "${1}age=<age>s",
            ),
            (
                Regex::new(r"('[A-Za-z0-9.#-]+_age')=\d+s").expect("regex"),
                "${1}=<age>s",
            ),
            (
                Regex::new(r"(age from [^:\n]+: )\S+").expect("regex"),
                "${1}<time>",
            ),
        ]
    });
    let mut text = text.to_owned();
    for (pattern, replacement) in patterns {
        text = pattern.replace_all(&text, *replacement).into_owned();
    }
    text
}

/// Whether a printed line matches a shown one, in which `...` stands for any text.
fn line_matches(shown: &str, printed: &str) -> bool {
    let parts: Vec<&str> = shown.split("...").collect();
    let (first, rest) = parts.split_first().expect("split gives one part at least");
    let Some(mut left) = printed.strip_prefix(first) else {
        return false;
    };
    let Some((last, middle)) = rest.split_last() else {
        return left.is_empty();
    };
    for part in middle {
        match left.find(part) {
            Some(at) => left = &left[at + part.len()..],
            None => return false,
        }
    }
    left.len() >= last.len() && left.ends_with(last)
}

/// Whether the printed lines match the shown ones, in which a line `...` stands for any
/// number of lines.
fn output_matches(shown: &[String], printed: &[String]) -> bool {
    match shown.split_first() {
        None => printed.is_empty(),
        Some((line, rest)) if line == "..." => {
            (0..=printed.len()).any(|skip| output_matches(rest, &printed[skip..]))
        }
        Some((line, rest)) => printed
            .split_first()
            .is_some_and(|(first, more)| line_matches(line, first) && output_matches(rest, more)),
    }
}

// ---- running ---------------------------------------------------------------------------

/// A folder with a copy of examples/, each file as new as a checkout makes it.
#[cfg(unix)]
fn checkout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a folder");
    let into = dir.path().join("examples");
    std::fs::create_dir(&into).expect("examples/");
    for entry in std::fs::read_dir(root().join("examples"))
        .expect("examples/ is readable")
        .flatten()
    {
        std::fs::copy(entry.path(), into.join(entry.file_name())).expect("an example is copied");
    }
    dir
}

/// Runs a shell command in `dir`; its exit code and what it printed, stderr included.
#[cfg(unix)]
fn run_in(dir: &Path, command: &str) -> (i32, String) {
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("exec 2>&1; {command}"))
        .current_dir(dir)
        .output()
        .expect("sh runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// What went wrong with the commands of one page's text, and how many were run.
#[cfg(unix)]
fn check_page(page: &str, text: &str, plugin: &Path, dir: &Path) -> (Vec<String>, usize) {
    let mut problems = Vec::new();
    let mut ran = 0;
    for block in blocks(text) {
        if block.info != "console" && block.info != "sh" {
            continue;
        }
        let mut last_code = None;
        for shown in commands(page, &block) {
            let (code, printed) = if shown.command.trim() == "echo $?" {
                match last_code {
                    Some(code) => (0, format!("{code}\n")),
                    None => continue,
                }
            } else {
                match plugin_command(&shown.command, plugin) {
                    Some(command) => {
                        ran += 1;
                        let (code, printed) = run_in(dir, &command);
                        last_code = Some(code);
                        (code, printed)
                    }
                    None => {
                        last_code = None;
                        continue;
                    }
                }
            };
            let printed: Vec<String> = without_age(&printed)
                .lines()
                .map(|l| l.trim_end().to_owned())
                .collect();
            match &shown.output {
                Some(output) => {
                    let output: Vec<String> = output.iter().map(|l| without_age(l)).collect();
                    if !output_matches(&output, &printed) {
                        problems.push(format!(
                            "{}: `{}` is shown to print\n{}\nbut prints (exit {code})\n{}",
                            shown.place,
                            shown.command,
                            output.join("\n"),
                            printed.join("\n")
                        ));
                    }
                }
                None => {
                    if printed
                        .first()
                        .is_some_and(|l| l.starts_with("CSBACKUP UNKNOWN - usage:"))
                    {
                        problems.push(format!(
                            "{}: `{}` is a usage error: {}",
                            shown.place, shown.command, printed[0]
                        ));
                    }
                }
            }
        }
    }
    (problems, ran)
}

#[cfg(unix)]
#[test]
fn every_command_on_an_example_prints_what_the_page_shows() {
    let plugin = PathBuf::from(common::BIN);
    let dir = checkout();
    let mut problems = Vec::new();
    let mut ran = 0;
    for page in pages() {
        let (found, count) = check_page(&page, &read(&page), &plugin, dir.path());
        problems.extend(found);
        ran += count;
    }
    assert!(
        problems.is_empty(),
        "{} shown command(s) differ from the binary (ages aside): change the page to what \
         the plugin prints, or the plugin to what the page promises\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
    // The pages run at least the README's first command and the reference's examples:
    // fewer means the blocks are no longer found.
    assert!(
        ran >= 15,
        "only {ran} commands on examples were found and run"
    );
}

#[cfg(unix)]
#[test]
fn a_wrong_output_on_a_page_is_found() {
    let plugin = PathBuf::from(common::BIN);
    let dir = checkout();
    let page = "```console
$ check_csbackup -f examples/pool-healthy.json --cms-master-pool pool02.contoso.com
CSBACKUP OK - pool01.contoso.com: all 3 backup modules OK, data 12 s old | ...
$ echo $?
0
$ check_csbackup -f examples/pool-errors.json --cms-master-pool pool02.contoso.com
CSBACKUP WARNING - pool01.contoso.com: ...
...
$ echo $?
1
```

```sh
check_csbackup -f examples/pool-healthy.json --warning nine
```
";
    let (problems, ran) = check_page("test.md", page, &plugin, dir.path());
    assert_eq!(ran, 3);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(problems[0].starts_with("test.md:6: `check_csbackup -f examples/pool-errors.json"));
    assert!(problems[0].contains("but prints (exit 2)\nCSBACKUP CRITICAL - "));
    assert!(problems[1].starts_with("test.md:9: `echo $?` is shown to print\n1\nbut prints"));
    assert!(problems[2].contains("is a usage error: CSBACKUP UNKNOWN - usage:"));
}

#[test]
fn ages_are_left_out_of_the_comparison() {
    assert_eq!(
        without_age("CSBACKUP OK - p: all OK, data 0 s old | modules=3;;;0 age=12s;900;3600;0"),
        "CSBACKUP OK - p: all OK, data <age> old | modules=3;;;0 age=<age>s;900;3600;0"
    );
    assert_eq!(
        without_age("[OK] p: data is 1 d 0 h old, 'pool01.contoso.com_age'=86400s;900;3600;0"),
        "[OK] p: data is <age> old, 'pool01.contoso.com_age'=<age>s;900;3600;0"
    );
    // How long a status lasted comes from the document, not from the file's time.
    assert_eq!(
        without_age("NonSteadyState for 45 min 'p_backlog_age'=2700s backlog_age=2700s"),
        "NonSteadyState for 45 min 'p_backlog_age'=2700s backlog_age=2700s"
    );
    assert_eq!(
        without_age("[NOTE] p: age from the file's modification time: 2026-11-29T06:01:14Z"),
        "[NOTE] p: age from the file's modification time: <time>"
    );
}

#[test]
fn dots_stand_for_what_was_left_out() {
    assert!(line_matches("a | ...", "a | b=1 c=2"));
    assert!(line_matches("a ... c", "a b c"));
    assert!(line_matches("... 5 more lines", "... 5 more lines"));
    assert!(!line_matches("a ... c", "a b d"));
    assert!(!line_matches("abc", "abcd"));
    assert!(!line_matches("ab...bc", "abc"));
    let lines = |s: &str| s.lines().map(str::to_owned).collect::<Vec<_>>();
    assert!(output_matches(&lines("a\n...\nd"), &lines("a\nb\nc\nd")));
    assert!(output_matches(&lines("a\n..."), &lines("a")));
    assert!(!output_matches(&lines("a\nd"), &lines("a\nb\nd")));
    assert!(!output_matches(&lines("a\nb"), &lines("a")));
}

#[test]
fn commands_are_read_as_the_convention_says() {
    let text = "  ```console
  $ check_csbackup -f examples/a.json \\
      -v
  CSBACKUP OK - x

  PS C:\\> & check_csbackup.exe -f C:\\a.json
  CSBACKUP OK - y
  $ echo $?
  0
  ```
";
    let block = &blocks(text)[0];
    assert_eq!(block.info, "console");
    let shown = commands("p.md", block);
    assert_eq!(shown.len(), 2, "{shown:#?}");
    assert_eq!(shown[0].command, "check_csbackup -f examples/a.json -v");
    assert_eq!(shown[0].place, "p.md:2");
    assert_eq!(shown[0].output, Some(vec!["CSBACKUP OK - x".to_owned()]));
    assert_eq!(shown[1].command, "echo $?");
    let plugin = Path::new("/bin/check_csbackup");
    assert_eq!(
        plugin_command("cargo run --release -- -f - < examples/a.json", plugin).as_deref(),
        Some("'/bin/check_csbackup' -f - < examples/a.json")
    );
    assert_eq!(
        plugin_command(
            "/usr/lib/nagios/plugins/check_csbackup -f examples/a.json",
            plugin
        )
        .as_deref(),
        Some("'/bin/check_csbackup' -f examples/a.json")
    );
    assert_eq!(
        plugin_command("check_csbackup -f /var/lib/a.json", plugin),
        None
    );
    assert_eq!(plugin_command("cat examples/a.json", plugin), None);
}

// ---- the options page --------------------------------------------------------------------

/// The rows of the tables of one section of docs/options.md, as cells (`\|` unescaped).
fn option_rows(section: &str) -> Vec<Vec<String>> {
    let page = read("docs/options.md");
    let start = page
        .find(&format!("\n## {section}\n"))
        .unwrap_or_else(|| panic!("docs/options.md has no section '## {section}'"));
    let body = &page[start + 1..];
    let body = &body[..body[3..].find("\n## ").map_or(body.len(), |end| end + 3)];
    body.lines()
        .filter(|l| l.starts_with("| `-"))
        .map(|row| {
            row.replace("\\|", "\u{1}")
                .split('|')
                .map(|cell| cell.trim().replace('\u{1}', "|"))
                .filter(|cell| !cell.is_empty())
                .collect()
        })
        .collect()
}

/// Checks one command's options against a section of the page.
fn check_options(command: &clap::Command, section: &str, problems: &mut Vec<String>) {
    let rows = option_rows(section);
    for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
        let Some(long) = arg.get_long() else { continue };
        let named = |row: &&Vec<String>| {
            row[0].contains(&format!("`--{long}`")) || row[0].contains(&format!("`--{long} "))
        };
        let Some(row) = rows.iter().find(named) else {
            problems.push(format!(
                "docs/options.md, {section}: no row for --{long} (--help: {})",
                arg.get_help().map(|h| h.to_string()).unwrap_or_default()
            ));
            continue;
        };
        if let Some(short) = arg.get_short() {
            if !row[0].contains(&format!("`-{short}`")) {
                problems.push(format!("docs/options.md: --{long}'s row lacks `-{short}`"));
            }
        }
        // A flag's implicit default (false, 0) is no value to document.
        let defaults = match arg.get_action().takes_values() {
            true => arg.get_default_values(),
            false => &[],
        };
        for default in defaults {
            let default = default.to_string_lossy();
            if row
                .get(1)
                .is_none_or(|cell| !cell.contains(&format!("`{default}`")))
            {
                problems.push(format!(
                    "docs/options.md: --{long}'s default is `{default}` (--help), the page says {:?}",
                    row.get(1)
                ));
            }
        }
    }
    for row in &rows {
        let known = command
            .get_arguments()
            .filter_map(|a| a.get_long())
            .any(|long| {
                row[0].contains(&format!("`--{long}`")) || row[0].contains(&format!("`--{long} "))
            });
        if !known {
            problems.push(format!(
                "docs/options.md, {section}: {} is no option of --help",
                row[0]
            ));
        }
    }
}

#[test]
fn the_options_page_names_every_option_with_its_default() {
    let mut command = check_csbackup::cli::Cli::command();
    command.build();
    let mut problems = Vec::new();
    check_options(&command, "The check", &mut problems);
    let collect = command
        .find_subcommand("collect")
        .expect("the collect subcommand");
    check_options(collect, "The collector", &mut problems);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---- links -----------------------------------------------------------------------------

/// GitHub's anchor for a heading: lower case, letters, digits, `-` and `_` kept, spaces
/// made `-`, everything else dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a page's headings, outside fenced blocks.
fn anchors(text: &str) -> Vec<String> {
    let mut inside = false;
    let mut found = Vec::new();
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
        } else if !inside && line.starts_with('#') {
            let base = anchor(line.trim_start_matches('#'));
            let count = seen.entry(base.clone()).or_default();
            found.push(match *count {
                0 => base,
                n => format!("{base}-{n}"),
            });
            *count += 1;
        }
    }
    found
}

#[test]
fn every_link_leads_to_a_page_and_heading_that_exist() {
    let link = Regex::new(r"\]\(([^)\s]+)\)").expect("regex");
    let mut pages = pages();
    pages.push("packaging/windows/README.md".to_owned());
    let mut problems = Vec::new();
    for page in &pages {
        let text = read(page);
        let mut inside = false;
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                inside = !inside;
                continue;
            }
            if inside {
                continue;
            }
            for target in link.captures_iter(line).map(|c| c[1].to_owned()) {
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (path, fragment) = target.split_once('#').unwrap_or((&target, ""));
                let file = if path.is_empty() {
                    root().join(page)
                } else {
                    root().join(page).parent().expect("a folder").join(path)
                };
                if !file.exists() {
                    problems.push(format!("{page}:{}: {target}: no such file", n + 1));
                    continue;
                }
                if !fragment.is_empty() && file.extension().is_some_and(|e| e == "md") {
                    let text = std::fs::read_to_string(&file).expect("a page");
                    if !anchors(&text).iter().any(|a| a == fragment) {
                        problems.push(format!("{page}:{}: {target}: no such heading", n + 1));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn anchors_are_githubs() {
    assert_eq!(
        anchor(" The CMS role and `NotInitialized`"),
        "the-cms-role-and-notinitialized"
    );
    assert_eq!(
        anchor(" How long: backlogs, stuck initialisation, the Backup Service's events"),
        "how-long-backlogs-stuck-initialisation-the-backup-services-events"
    );
    assert_eq!(anchor(" `--max-output`"), "--max-output");
    assert_eq!(
        anchors("# A\n## A\n```\n# not\n```\n## A"),
        ["a", "a-1", "a-2"]
    );
}
