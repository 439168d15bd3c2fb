//! Presentation: an [`Evaluation`] → plugin output, as the Monitoring Plugins guidelines
//! and Icinga read it. Nothing here re-reads input or decides a level.
//!
//! The first line is `CSBACKUP <STATE> - <summary> | <perfdata>`; long output follows,
//! one line per finding, each opened by `[STATE]` (which Icinga Web shows as a badge).
//! Text from the document is cleaned of `|` and control characters, perfdata labels of
//! quotes and `=`, so no document can break the output's grammar.

use std::collections::HashMap;

use crate::policy::{Evaluation, Finding, Level, PoolVerdict, Subject};

/// The name every output line starts with.
pub const PLUGIN: &str = "CSBACKUP";

/// How much to say, and how many bytes at most.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub verbosity: u8,
    pub max_output: Option<usize>,
}

/// The one-line output of a check that could not run: usage errors, unreadable input,
/// timeouts, internal errors.
pub fn unknown(message: &str) -> String {
    format!("{PLUGIN} UNKNOWN - {}\n", clean(message))
}

/// [`unknown`], shortened to the `--max-output` the options ask for: an unreadable
/// document's message can be long (a path, a list of properties), and NRPE cuts blindly.
pub fn unknown_within(message: &str, options: &Options) -> String {
    let output = unknown(message);
    match options.max_output {
        Some(max) if output.len() > max => {
            let mut cut = max.saturating_sub("...\n".len());
            while !output.is_char_boundary(cut) {
                cut -= 1;
            }
            format!("{}...\n", &output[..cut])
        }
        _ => output,
    }
}

/// The whole plugin output for an evaluation, and the state to exit with.
pub fn render(evaluation: &Evaluation, options: &Options) -> (Level, String) {
    let state = evaluation.level();
    let summary = summary(evaluation, state);
    let perfdata = perfdata(evaluation);
    let lines = long_output(evaluation, options.verbosity);
    let text = match options.max_output {
        Some(max) => fit(state, &summary, perfdata, lines, max),
        None => assemble(state, &summary, &perfdata, &lines, None),
    };
    (state, text)
}

fn summary(evaluation: &Evaluation, state: Level) -> String {
    if state == Level::Ok {
        let modules: usize = evaluation.pools.iter().map(|p| p.counts.modules).sum();
        let age = age_summary(&evaluation.pools);
        return match evaluation.pools.as_slice() {
            [pool] => format!("{}: all {modules} backup modules OK{age}", pool.name),
            pools => format!(
                "{} pools, all {modules} backup modules OK{age}",
                pools.len()
            ),
        };
    }
    let problems: Vec<(Option<&str>, &Finding)> = evaluation
        .all_findings()
        .filter(|(_, f)| f.level != Level::Ok)
        .collect();
    let worst = problems
        .iter()
        .find(|(_, f)| f.level == state)
        .or(problems.first());
    let Some((pool, finding)) = worst else {
        return "no finding".into();
    };
    let more = match problems.len() - 1 {
        0 => String::new(),
        1 => " (and 1 more problem)".into(),
        n => format!(" (and {n} more problems)"),
    };
    match pool {
        Some(pool) => format!("{pool}: {}{more}", finding.text),
        None => format!("{}{more}", finding.text),
    }
}

/// The data's age in an OK summary: the oldest checked, and how many pools had none to
/// check (a document on standard input without `CollectedAt`), so OK never implies an
/// age check that did not happen.
fn age_summary(pools: &[PoolVerdict]) -> String {
    let oldest = pools
        .iter()
        .filter_map(|p| p.age.as_ref())
        .map(|a| a.seconds)
        .max();
    let unchecked = pools.iter().filter(|p| p.age.is_none()).count();
    match (oldest, unchecked) {
        (_, 0) if pools.is_empty() => String::new(),
        (Some(s), 0) => format!(", data {} old", crate::policy::duration(s)),
        (None, _) => ", data age not checked".into(),
        (Some(s), 1) => format!(
            ", data {} old, 1 pool's age not checked",
            crate::policy::duration(s)
        ),
        (Some(s), n) => format!(
            ", data {} old, {n} pools' age not checked",
            crate::policy::duration(s)
        ),
    }
}

fn long_output(evaluation: &Evaluation, verbosity: u8) -> Vec<String> {
    let mut lines = Vec::new();
    if verbosity == 0 {
        for (pool, finding) in evaluation
            .all_findings()
            .filter(|(_, f)| f.level != Level::Ok)
        {
            lines.push(finding_line(pool, finding));
        }
        return lines;
    }
    for pool in &evaluation.pools {
        pool_lines(pool, verbosity, &mut lines);
    }
    for finding in &evaluation.findings {
        lines.push(finding_line(None, finding));
    }
    lines.extend(
        evaluation
            .notes
            .iter()
            .filter(|n| n.verbosity <= verbosity)
            .map(|n| format!("{NOTE} {}", n.text)),
    );
    lines
}

/// The tag of a line that judges nothing: a note, a source, a property. Not a state, so
/// Icinga Web shows it as text and no note can pass for a verdict.
const NOTE: &str = "[NOTE]";

fn pool_lines(pool: &PoolVerdict, verbosity: u8, lines: &mut Vec<String>) {
    let name = &pool.name;
    for module in &pool.modules {
        let status = |s: &crate::policy::StatusVerdict| match s.level {
            Level::Ok => format!("{} (OK)", s.shown),
            level => format!("{} ({level}: {})", s.shown, s.reason),
        };
        lines.push(format!(
            "[{}] {name}: {} export {}, import {}",
            module.level(),
            module.name,
            status(&module.export),
            status(&module.import)
        ));
        if verbosity >= 3 {
            lines.extend(
                module
                    .other
                    .iter()
                    .map(|(k, v)| format!("{NOTE} {name}: {}: {k}: {v}", module.name)),
            );
        }
    }
    for finding in pool
        .findings
        .iter()
        .filter(|f| f.subject != Subject::Status)
    {
        lines.push(finding_line(Some(name), finding));
    }
    lines.extend(
        pool.notes
            .iter()
            .filter(|n| n.verbosity <= verbosity)
            .map(|n| format!("{NOTE} {name}: {}", n.text)),
    );
    if verbosity >= 3 {
        lines.extend(
            pool.other
                .iter()
                .map(|(k, v)| format!("{NOTE} {name}: {k}: {v}")),
        );
    }
}

fn finding_line(pool: Option<&str>, finding: &Finding) -> String {
    match pool {
        Some(pool) => format!("[{}] {pool}: {}", finding.level, finding.text),
        None => format!("[{}] {}", finding.level, finding.text),
    }
}

/// One performance data item: `'label'=value[UOM];[warn];[crit];[min];[max]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Perf {
    pub label: String,
    pub value: i64,
    pub uom: &'static str,
    pub warn: String,
    pub crit: String,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

impl Perf {
    fn count(label: String, value: usize, max: usize) -> Perf {
        Perf {
            label,
            value: value as i64,
            uom: "",
            warn: String::new(),
            crit: String::new(),
            min: Some(0),
            max: Some(max as i64),
        }
    }

    /// The item as the Monitoring Plugins grammar wants it, trailing empty fields left off.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        // Written in place: a large document has hundreds of thousands of items.
        let mut out = quote_label(&self.label);
        let _ = write!(out, "={}{}", self.value, self.uom);
        let used = if self.max.is_some() {
            4
        } else if self.min.is_some() {
            3
        } else if !self.crit.is_empty() {
            2
        } else if !self.warn.is_empty() {
            1
        } else {
            0
        };
        let bound = |b: Option<i64>| b.map(|b| b.to_string()).unwrap_or_default();
        for field in 1..=used {
            out.push(';');
            match field {
                1 => out.push_str(&self.warn),
                2 => out.push_str(&self.crit),
                3 => out.push_str(&bound(self.min)),
                _ => out.push_str(&bound(self.max)),
            }
        }
        out
    }
}

/// A label as perfdata allows it: never `'` or `=`, quoted unless plain word characters.
pub fn quote_label(label: &str) -> String {
    let safe: String = label
        .chars()
        .map(|c| {
            if c == '\'' || c == '=' || c == '|' || breaks_the_display(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    if safe.is_empty() {
        "_".into()
    } else if safe.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        safe
    } else {
        format!("'{safe}'")
    }
}

/// The perfdata items, rendered: kept as text, a large evaluation's perfdata costs a
/// third of what the items themselves would.
fn perfdata(evaluation: &Evaluation) -> Vec<String> {
    let prefixes = label_prefixes(&evaluation.pools);
    let mut perf = Vec::with_capacity(evaluation.pools.len() * 9);
    for (pool, prefix) in evaluation.pools.iter().zip(prefixes) {
        let label = |name: &str| format!("{prefix}{name}");
        let c = pool.counts;
        perf.push(
            Perf {
                max: None,
                ..Perf::count(label("modules"), c.modules, 0)
            }
            .render(),
        );
        for (name, value) in [
            ("ok", c.ok),
            ("warning", c.warning),
            ("critical", c.critical),
            ("unknown", c.unknown),
            ("export_nonsteady", c.export_nonsteady),
            ("export_error", c.export_error),
            ("import_error", c.import_error),
        ] {
            perf.push(Perf::count(label(name), value, c.modules).render());
        }
        if let Some(age) = &pool.age {
            perf.push(
                Perf {
                    label: label("age"),
                    value: age.seconds,
                    uom: "s",
                    warn: age.warning.clone(),
                    crit: age.critical.clone(),
                    min: Some(0),
                    max: None,
                }
                .render(),
            );
        }
    }
    perf
}

/// Each pool's label prefix: none for a single pool; else its FQDN as [`pool_label`]
/// writes it and `_`. A prefix an earlier pool already has (the same pool twice, or
/// names that differ only in characters a label cannot carry) gets `#2`, `#3`… in
/// document order, so labels are unique and stay the same for a document of the same
/// shape. `#` never appears otherwise: [`pool_label`] turns it into `_`.
fn label_prefixes(pools: &[PoolVerdict]) -> Vec<String> {
    if pools.len() < 2 {
        return vec![String::new(); pools.len()];
    }
    let mut taken: HashMap<String, usize> = HashMap::with_capacity(pools.len());
    pools
        .iter()
        .map(|pool| {
            let base = pool_label(&pool.name);
            let seen = taken.entry(base.clone()).or_insert(0);
            *seen += 1;
            match *seen {
                1 => format!("{base}_"),
                n => format!("{base}#{n}_"),
            }
        })
        .collect()
}

/// A pool FQDN as a label prefix: anything but letters, digits, `.`, `-` becomes `_`.
fn pool_label(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Text fit for plugin output: no `|` (it starts perfdata), no `;` (Nagios turns it
/// into `:`, so Icinga and Nagios would show different text), nothing that draws a
/// line or reorders text ([`breaks_the_display`]).
pub fn clean(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '|' => '/',
            ';' => ',',
            c if breaks_the_display(c) => ' ',
            c => c,
        })
        .collect()
}

/// Control characters, and the characters a web UI or terminal draws as a line break
/// (U+2028, U+2029; U+0085 is a control character) or uses to reorder what follows
/// (the bidirectional marks, embeddings, overrides and isolates): from a document, any
/// of them could draw a fake `[OK]` line or turn a name around.
pub fn breaks_the_display(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

fn assemble(
    state: Level,
    summary: &str,
    perfdata: &[String],
    lines: &[String],
    marker: Option<String>,
) -> String {
    let mut out = first_line(state, summary, perfdata);
    // Sized once: a large output grown by doubling would be copied on the way.
    out.reserve_exact(lines.iter().chain(marker.iter()).map(|l| l.len() + 1).sum());
    for line in lines.iter().chain(marker.iter()) {
        out.push_str(&clean(line));
        out.push('\n');
    }
    out
}

fn first_line(state: Level, summary: &str, perfdata: &[String]) -> String {
    let mut line = format!("{PLUGIN} {state} - {}", clean(summary));
    line.reserve_exact(perfdata.iter().map(|p| p.len() + 1).sum::<usize>() + 3);
    for (index, perf) in perfdata.iter().enumerate() {
        line.push_str(if index == 0 { " | " } else { " " });
        line.push_str(perf);
    }
    line.push('\n');
    line
}

/// Shortens the output to at most `max` bytes: long output goes first (with a marker
/// saying how much), then the summary's tail; the state and perfdata stay whole, but for
/// trailing perfdata items when even they alone would not fit.
///
/// Lengths are counted, not re-rendered, for each candidate cut: a document with a
/// million findings must not make this quadratic.
fn fit(
    state: Level,
    summary: &str,
    perfdata: Vec<String>,
    lines: Vec<String>,
    max: usize,
) -> String {
    let mut summary = clean(summary);
    let head = first_line(state, "", &[]).len(); // "CSBACKUP STATE - \n"
    let items: Vec<usize> = perfdata.iter().map(String::len).collect();
    let mut kept_perf = items.len();
    // " | " and the items joined by spaces.
    let mut perf_len = match kept_perf {
        0 => 0,
        n => 3 + items.iter().sum::<usize>() + (n - 1),
    };
    loop {
        let first = head + summary.len() + perf_len;
        if first <= max {
            break;
        }
        let excess = first - max;
        let room = summary.len().saturating_sub(excess + 3);
        if room >= 20 {
            let mut cut = room;
            while !summary.is_char_boundary(cut) {
                cut -= 1;
            }
            summary = format!("{}...", &summary[..cut]);
        } else if kept_perf > 0 {
            kept_perf -= 1;
            perf_len -= items[kept_perf] + if kept_perf == 0 { 3 } else { 1 };
        } else {
            // Only a tiny --max-output gets here; the CLI refuses those.
            let line = first_line(state, "", &[]);
            return line[..line.len().min(max)].to_owned();
        }
    }
    let perfdata = &perfdata[..kept_perf];
    let first = head + summary.len() + perf_len;
    let line_lens: Vec<usize> = lines.iter().map(|l| clean(l).len() + 1).collect();
    let mut body: usize = line_lens.iter().sum();
    if first + body <= max {
        return assemble(state, &summary, perfdata, &lines, None);
    }
    let marker =
        |left_out: usize| format!("... {left_out} more lines left out (--max-output {max})");
    for kept in (0..=lines.len()).rev() {
        if kept < lines.len() {
            body -= line_lens[kept];
        }
        if first + body + marker(lines.len() - kept).len() < max {
            let marker = marker(lines.len() - kept);
            return assemble(state, &summary, perfdata, &lines[..kept], Some(marker));
        }
    }
    first_line(state, &summary, perfdata)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perf(warn: &str, min: Option<i64>, max: Option<i64>) -> Perf {
        Perf {
            label: "a'b c=d".into(),
            value: 12,
            uom: "s",
            warn: warn.into(),
            crit: String::new(),
            min,
            max,
        }
    }

    #[test]
    fn renders_perfdata_items_without_trailing_empty_fields() {
        assert_eq!(perf("", None, None).render(), "'a_b c_d'=12s");
        assert_eq!(perf("900", None, None).render(), "'a_b c_d'=12s;900");
        assert_eq!(perf("", Some(0), None).render(), "'a_b c_d'=12s;;;0");
        assert_eq!(
            perf("@1:2", Some(0), Some(3)).render(),
            "'a_b c_d'=12s;@1:2;;0;3"
        );
        assert_eq!(Perf::count("ok".into(), 2, 3).render(), "ok=2;;;0;3");
    }

    #[test]
    fn fits_many_lines_into_max_output_and_says_how_many_are_left_out() {
        let lines: Vec<String> = (0..100_000)
            .map(|i| format!("[WARNING] line {i}"))
            .collect();
        let perfdata = vec![Perf::count("ok".into(), 0, 1).render()];
        let out = fit(Level::Warning, "a summary", perfdata, lines, 1023);
        assert!(out.len() <= 1023, "{} bytes", out.len());
        let kept = out.lines().filter(|l| l.starts_with("[WARNING]")).count();
        let marker = out.lines().last().unwrap_or_default();
        assert_eq!(
            marker,
            format!(
                "... {} more lines left out (--max-output 1023)",
                100_000 - kept
            )
        );
        assert!(out.starts_with("CSBACKUP WARNING - a summary | ok=0;;;0;1\n[WARNING] line 0\n"));
        // One more line would not have fitted.
        assert!(out.len() + format!("[WARNING] line {kept}\n").len() > 1023);
    }

    use crate::policy::{Age, Counts, ModuleVerdict, StatusVerdict};

    fn status(shown: &str, level: Level) -> StatusVerdict {
        StatusVerdict {
            shown: shown.to_owned().into(),
            level,
            reason: "why".into(),
        }
    }

    fn evaluation(names: &[&str], findings: Vec<Finding>, lines: usize) -> Evaluation {
        let pools = names
            .iter()
            .map(|name| PoolVerdict {
                name: name.to_string(),
                modules: (0..lines)
                    .map(|i| ModuleVerdict {
                        name: format!("Module{i}"),
                        export: status("SteadyState", Level::Ok),
                        import: status("NormalState", Level::Ok),
                        other: vec![],
                    })
                    .collect(),
                findings: findings.clone(),
                counts: Counts {
                    modules: lines,
                    ok: lines,
                    ..Counts::default()
                },
                age: Some(Age {
                    seconds: 42,
                    warning: "900".into(),
                    critical: "@10:20".into(),
                }),
                notes: vec![],
                other: vec![],
            })
            .collect();
        Evaluation {
            pools,
            findings: vec![],
            notes: vec![],
        }
    }

    #[test]
    fn an_ok_evaluation_is_one_line_with_perfdata() {
        let (level, text) = render(&evaluation(&["p1"], vec![], 3), &Options::default());
        assert_eq!(level, Level::Ok);
        assert_eq!(
            text,
            "CSBACKUP OK - p1: all 3 backup modules OK, data 42 s old | modules=3;;;0 ok=3;;;0;3 \
             warning=0;;;0;3 critical=0;;;0;3 unknown=0;;;0;3 export_nonsteady=0;;;0;3 \
             export_error=0;;;0;3 import_error=0;;;0;3 age=42s;900;@10:20;0\n"
        );
    }

    #[test]
    fn the_summary_names_the_worst_finding_and_counts_the_rest() {
        let findings = vec![
            Finding {
                level: Level::Warning,
                subject: Subject::Status,
                text: "A export NonSteadyState".into(),
            },
            Finding {
                level: Level::Critical,
                subject: Subject::Pool,
                text: "collection failed: x | y; z".into(),
            },
        ];
        let (level, text) = render(&evaluation(&["p1"], findings, 1), &Options::default());
        assert_eq!(level, Level::Critical);
        let first = text.lines().next().unwrap();
        assert!(
            first.starts_with(
                "CSBACKUP CRITICAL - p1: collection failed: x / y, z (and 1 more problem) | "
            ),
            "{first}"
        );
        assert_eq!(
            text.lines().nth(1),
            Some("[WARNING] p1: A export NonSteadyState")
        );
    }

    #[test]
    fn several_pools_prefix_their_labels() {
        let (_, text) = render(
            &evaluation(&["a.contoso.com", "b x"], vec![], 1),
            &Options::default(),
        );
        assert!(text.contains(" 'a.contoso.com_modules'=1;;;0 "), "{text}");
        assert!(text.contains(" b_x_age=42s;900;@10:20;0"), "{text}");
    }

    #[test]
    fn labels_never_carry_quotes_or_equals() {
        assert_eq!(quote_label("ok"), "ok");
        assert_eq!(quote_label("a b"), "'a b'");
        assert_eq!(quote_label("it's=1"), "it_s_1");
        assert_eq!(quote_label("x'y z"), "'x_y z'");
        assert_eq!(quote_label(""), "_");
    }

    #[test]
    fn max_output_cuts_long_output_first_then_the_summary() {
        let eval = evaluation(&["p1"], vec![], 50);
        let full = render(
            &eval,
            &Options {
                verbosity: 1,
                max_output: None,
            },
        )
        .1;
        let perf = full
            .lines()
            .next()
            .unwrap()
            .split(" | ")
            .nth(1)
            .unwrap()
            .to_owned();
        for max in [2000, 600, 400] {
            let text = render(
                &eval,
                &Options {
                    verbosity: 1,
                    max_output: Some(max),
                },
            )
            .1;
            assert!(text.len() <= max, "{} > {max}", text.len());
            assert!(text.lines().next().unwrap().ends_with(&perf));
            assert!(text.lines().last().unwrap().contains("more lines left out"));
        }
        let tiny = render(
            &eval,
            &Options {
                verbosity: 1,
                max_output: Some(200),
            },
        )
        .1;
        assert!(tiny.len() <= 200, "{tiny}");
        assert!(tiny.starts_with("CSBACKUP OK - "));
    }
}
