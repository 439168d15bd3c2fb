//! The plugin output grammar, checked independently of `report`: what the Monitoring
//! Plugins guidelines and Icinga's parser accept. Shared by the black-box tests, the
//! property tests and the fuzz targets (`fuzz/src/lib.rs` includes this file), so all of
//! them hold the output to the same rules.
//!
//! An output is: a first line `CSBACKUP <STATE> - <text>[ | <perfdata>]`, then long
//! output lines; `|` appears at most once, only as the perfdata separator; no control
//! characters but the line ends, no other line breaks (U+2028, U+2029) and no
//! bidirectional controls; every perfdata item is
//! `label=value[UOM];[warn];[crit];[min];[max]` with a label free of `'` and `=`, and no
//! label appears twice.

#![allow(dead_code)]

const STATES: [&str; 4] = ["OK", "WARNING", "CRITICAL", "UNKNOWN"];
const UNITS: [&str; 10] = ["", "s", "ms", "us", "%", "B", "KB", "MB", "TB", "c"];

/// The state word of an output's first line, if the line is well formed.
pub fn state_of(output: &str) -> Option<&str> {
    let rest = output.strip_prefix("CSBACKUP ")?;
    let (state, rest) = rest.split_once(' ')?;
    (STATES.contains(&state) && rest.starts_with("- ")).then_some(state)
}

/// The exit code a state word stands for.
pub fn exit_code_of(state: &str) -> Option<i32> {
    STATES.iter().position(|s| *s == state).map(|i| i as i32)
}

/// Checks a whole plugin output; `max_output` is the byte limit asked for, if any.
pub fn check_output(output: &str, max_output: Option<usize>) -> Result<(), String> {
    if let Some(max) = max_output {
        if output.len() > max {
            return Err(format!(
                "{} bytes, more than --max-output {max}",
                output.len()
            ));
        }
    }
    if !output.ends_with('\n') {
        return Err("does not end with a line end".into());
    }
    if let Some(c) = output.chars().find(|c| c.is_control() && *c != '\n') {
        return Err(format!("control character {:?} in the output", c));
    }
    if let Some(c) = output.chars().find(|c| draws_or_reorders(*c)) {
        return Err(format!(
            "{c:?}, a line break or bidirectional control, in the output"
        ));
    }
    let (first, long) = output.split_once('\n').unwrap_or((output, ""));
    if long.contains('|') {
        return Err("'|' in the long output".into());
    }
    if state_of(first).is_none() {
        return Err(format!(
            "first line is not 'CSBACKUP <STATE> - ...': {first:?}"
        ));
    }
    match first.split_once('|') {
        None => Ok(()),
        Some((text, perfdata)) => {
            if perfdata.contains('|') {
                return Err("more than one '|' on the first line".into());
            }
            if !text.ends_with(' ') || !perfdata.starts_with(' ') {
                return Err("the perfdata separator is not ' | '".into());
            }
            check_perfdata(&perfdata[1..])
        }
    }
}

/// A character a browser draws as a line break, or a bidirectional control that
/// reorders the text after it.
fn draws_or_reorders(c: char) -> bool {
    matches!(
        c,
        '\u{2028}' | '\u{2029}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    ) || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// Checks perfdata: items separated by single spaces, each label once (Icinga keeps one
/// value per label: a repeated label loses a series).
pub fn check_perfdata(perfdata: &str) -> Result<(), String> {
    let items = perf_items(perfdata)?;
    let mut labels: Vec<&str> = items.iter().map(|(label, _)| *label).collect();
    labels.sort_unstable();
    match labels.windows(2).find(|pair| pair[0] == pair[1]) {
        Some(pair) => Err(format!("the perfdata label {:?} appears twice", pair[0])),
        None => Ok(()),
    }
}

/// The perfdata's items as (label, `value[UOM];[warn];[crit];[min];[max]`), or why it
/// breaks the grammar.
pub fn perf_items(perfdata: &str) -> Result<Vec<(&str, &str)>, String> {
    if perfdata.is_empty() {
        return Err("an empty perfdata part after '|'".into());
    }
    let mut items = Vec::new();
    let mut rest = perfdata;
    loop {
        let (label, value, after) = check_item(rest)?;
        items.push((label, value));
        rest = after;
        if rest.is_empty() {
            return Ok(items);
        }
        rest = rest
            .strip_prefix(' ')
            .filter(|r| !r.is_empty() && !r.starts_with(' '))
            .ok_or_else(|| format!("perfdata items not separated by one space at {rest:?}"))?;
    }
}

/// Checks one item at the start of `text`: its label, its value and what follows it.
fn check_item(text: &str) -> Result<(&str, &str, &str), String> {
    let (label, rest) = if let Some(quoted) = text.strip_prefix('\'') {
        let end = quoted
            .find('\'')
            .ok_or_else(|| format!("unterminated quoted label in {text:?}"))?;
        (&quoted[..end], &quoted[end + 1..])
    } else {
        let end = text
            .find('=')
            .ok_or_else(|| format!("perfdata item without '=': {text:?}"))?;
        let label = &text[..end];
        if label.contains(' ') {
            return Err(format!("unquoted label with a space: {label:?}"));
        }
        (label, &text[end..])
    };
    if label.is_empty() || label.contains('=') || label.contains('\'') {
        return Err(format!("invalid perfdata label {label:?}"));
    }
    let rest = rest
        .strip_prefix('=')
        .ok_or_else(|| format!("label {label:?} not followed by '='"))?;
    let end = rest.find(' ').unwrap_or(rest.len());
    let fields: Vec<&str> = rest[..end].split(';').collect();
    if fields.len() > 5 {
        return Err(format!("more than 5 fields for {label:?}"));
    }
    let value = fields[0];
    let digits_end = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
        .unwrap_or(value.len());
    if !is_number(&value[..digits_end]) || !UNITS.contains(&&value[digits_end..]) {
        return Err(format!("invalid value {value:?} for {label:?}"));
    }
    for range in fields.iter().skip(1).take(2) {
        if !range.is_empty() && !is_range(range) {
            return Err(format!("invalid threshold {range:?} for {label:?}"));
        }
    }
    for bound in fields.iter().skip(3) {
        if !bound.is_empty() && !is_number(bound) {
            return Err(format!("invalid min/max {bound:?} for {label:?}"));
        }
    }
    Ok((label, &rest[..end], &rest[end..]))
}

/// A plain decimal number: `-?[0-9]+(\.[0-9]+)?` (no NaN, no inf, no exponent).
fn is_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    all_digits(int) && frac.is_none_or(all_digits)
}

/// A Nagios range: `[@]start:end`, `[@]end`, `[@]start:`, `[@]~:end`.
fn is_range(text: &str) -> bool {
    let text = text.strip_prefix('@').unwrap_or(text);
    match text.split_once(':') {
        None => is_number(text),
        Some((start, end)) => {
            (start == "~" || start.is_empty() || is_number(start))
                && (end.is_empty() || is_number(end))
                && !(start.is_empty() && end.is_empty())
        }
    }
}

#[cfg(test)]
mod grammar_tests {
    use super::*;

    #[test]
    fn accepts_good_output_and_refuses_bad() {
        let good = "CSBACKUP OK - p: all 3 backup modules OK | modules=3;;;0 'a b'=1;900;3600;0;3 age=12s;@10:20;~:5;0\n[OK] x\n";
        assert_eq!(check_output(good, None), Ok(()));
        assert!(check_output(good, Some(20)).is_err());
        for bad in [
            "CSBACKUP OK - a | b | c=1\n",
            "CSBACKUP OK - a\nline | x\n",
            "CSBACKUP OK - a | 'x=y'=1\n",
            "CSBACKUP OK - a | x=NaN\n",
            "CSBACKUP OK - a | x=inf\n",
            "CSBACKUP OK - a | x=1;;;;;\n",
            "CSBACKUP OK - a | x=1zz\n",
            "CSBACKUP OK - a | x=1  y=2\n",
            "CSBACKUP OK - a | x=1;abc\n",
            "CSBACKUP FINE - a\n",
            "CSBACKUP OK - a\tb\n",
            "CSBACKUP OK - a",
            "CSBACKUP OK - a | 'x=1\n",
            "CSBACKUP OK - a | x=1 'x'=2\n",
            "CSBACKUP OK - a\u{2028}[OK] b\n",
            "CSBACKUP OK - \u{202E}a\n",
        ] {
            assert!(check_output(bad, None).is_err(), "accepted {bad:?}");
        }
    }
}
