//! PowerShell's standard output → the collector script's answer, and whatever else
//! landed there.
//!
//! Windows PowerShell writes warning, verbose and information records to a redirected
//! standard output, as text lines, and a module may print on loading. The script keeps
//! what it can off standard output, and frames its answer between two marker lines, so
//! that nothing PowerShell prints can be taken for the answer or break it: lines before
//! and after the frame are handed back to be kept as warnings.

/// The line before the answer.
pub const BEGIN: &str = "<<<check_csbackup answer";
/// The line after the answer.
pub const END: &str = "check_csbackup answer>>>";
/// How many printed lines are kept: enough to say what PowerShell said.
const MOST_PRINTED: usize = 20;

/// Standard output, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framed<'a> {
    /// The bytes between the marker lines.
    pub answer: &'a [u8],
    /// The other non-empty lines, trimmed, the first [`MOST_PRINTED`] of them.
    pub printed: Vec<String>,
}

/// Finds the answer in `stdout`; `Err` says why there is none.
pub fn split(stdout: &[u8]) -> Result<Framed<'_>, String> {
    let lines = lines(stdout);
    let Some(begin) = lines.iter().position(|(_, line)| *line == BEGIN.as_bytes()) else {
        return Err(format!(
            "it holds no answer of the collector script (no line '{BEGIN}'); it began '{}'",
            first_words(stdout)
        ));
    };
    let Some(end) = lines[begin..]
        .iter()
        .position(|(_, line)| *line == END.as_bytes())
        .map(|at| begin + at)
    else {
        return Err(format!(
            "the answer was cut short: no line '{END}' after it (did PowerShell stop while writing?)"
        ));
    };
    // The line after BEGIN exists: END is one.
    let start = lines[begin + 1].0;
    let answer = &stdout[start..lines[end].0];
    let printed = lines[..begin]
        .iter()
        .chain(&lines[end + 1..])
        .map(|(_, line)| String::from_utf8_lossy(line).trim().to_owned())
        .filter(|line| !line.is_empty())
        .take(MOST_PRINTED)
        .collect();
    Ok(Framed { answer, printed })
}

/// Each line with the offset it starts at, without its `\n` or `\r\n`.
fn lines(bytes: &[u8]) -> Vec<(usize, &[u8])> {
    let mut lines = Vec::new();
    let mut start = 0;
    for piece in bytes.split_inclusive(|&b| b == b'\n') {
        let line = piece.strip_suffix(b"\n").unwrap_or(piece);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        lines.push((start, line));
        start += piece.len();
    }
    lines
}

/// The first non-empty line of the output, short, for a message.
fn first_words(stdout: &[u8]) -> String {
    crate::model::first_line(
        &String::from_utf8_lossy(&stdout[..stdout.len().min(200)]),
        80,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_answer_among_printed_lines() {
        let stdout = b"WARNING: The names of some imported commands include unapproved verbs.\r\n\
            VERBOSE: Loading module\r\n\n<<<check_csbackup answer\n{\"CsBackupAnswer\":1}\n\
            check_csbackup answer>>>\nbye\r\n";
        let framed = split(stdout).unwrap();
        assert_eq!(framed.answer, b"{\"CsBackupAnswer\":1}\n");
        assert_eq!(
            framed.printed,
            [
                "WARNING: The names of some imported commands include unapproved verbs.",
                "VERBOSE: Loading module",
                "bye"
            ]
        );
    }

    #[test]
    fn markers_must_be_whole_lines() {
        let crlf = b"<<<check_csbackup answer\r\n{}\r\ncheck_csbackup answer>>>\r\n";
        assert_eq!(split(crlf).unwrap().answer, b"{}\r\n");
        let inline = b"x <<<check_csbackup answer\n{}\ncheck_csbackup answer>>>\n";
        assert!(split(inline).unwrap_err().contains("it began 'x <<<check"));
    }

    #[test]
    fn says_what_is_missing() {
        let none = split(b"WARNING: x\r\n{\"PoolFqdn\":\"p\"}\r\n").unwrap_err();
        assert!(
            none.contains("no line '<<<check_csbackup answer'"),
            "{none}"
        );
        assert!(none.contains("it began 'WARNING: x'"), "{none}");
        let cut = split(b"<<<check_csbackup answer\n{\"CsBackupAn").unwrap_err();
        assert!(cut.contains("cut short"), "{cut}");
        assert!(split(b"").is_err());
    }
}
