//! Presentation: an [`Evaluation`] → plugin output, as the Monitoring Plugins guidelines
//! and Icinga read it. Nothing here re-reads input or decides a level.
//!
//! The first line is `CSBACKUP <STATE> - <summary> | <perfdata>`; long output follows,
//! one line per finding, each opened by `[STATE]` (which Icinga Web shows as a badge).
//! Text from the document is cleaned of `|` and control characters, perfdata labels of
//! quotes and `=`, so no document can break the output's grammar. `fit` keeps the output
//! within `--max-output`.

mod fit;

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
            format!("{}...\n", cut(&output, max.saturating_sub("...\n".len())))
        }
        _ => output,
    }
}

/// The longest start of `text` of at most `max` bytes that ends between characters.
fn cut(text: &str, max: usize) -> &str {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The whole plugin output for an evaluation, and the state to exit with.
pub fn render(evaluation: &Evaluation, options: &Options) -> (Level, String) {
    let state = evaluation.level();
    let summary = summary(evaluation, state);
    let perfdata = perfdata(evaluation);
    let lines = long_output(evaluation, options.verbosity);
    let Some(max) = options.max_output else {
        return (
            state,
            assemble(state, &summary.full(), &perfdata, &lines, None),
        );
    };
    match fit::fit(state, &summary, &perfdata, &lines, max) {
        Ok(text) => (state, text),
        Err(needed) => (
            Level::Unknown,
            unknown_within(&fit::too_small(needed), options),
        ),
    }
}

/// The first line's text, in the parts `--max-output` may leave out, last first: the
/// core (the pool and the worst finding's headline) always stays.
#[derive(Debug, Clone, PartialEq, Default)]
struct Summary {
    core: String,
    /// Why, and what to do.
    detail: String,
    /// `(and 3 more problems)`.
    more: String,
}

impl Summary {
    /// The parts, cleaned as they will be printed, so their lengths are the printed ones.
    fn new(core: &str, detail: &str, more: &str) -> Summary {
        Summary {
            core: clean(core),
            detail: clean(detail),
            more: clean(more),
        }
    }

    fn full(&self) -> String {
        format!("{}{}{}", self.core, self.detail, self.more)
    }

    /// The summary from longest to shortest: whole, without the explanation, the core.
    fn shortenings(&self) -> [String; 3] {
        [
            self.full(),
            format!("{}{}", self.core, self.more),
            self.core.clone(),
        ]
    }
}

fn summary(evaluation: &Evaluation, state: Level) -> Summary {
    if state == Level::Ok {
        let modules: usize = evaluation.pools.iter().map(|p| p.counts.modules).sum();
        let age = age_summary(&evaluation.pools);
        let events = events_summary(&evaluation.pools);
        let text = match evaluation.pools.as_slice() {
            [pool] => format!(
                "{}: all {modules} backup modules OK{age}{events}",
                pool.name
            ),
            pools => format!(
                "{} pools, all {modules} backup modules OK{age}{events}",
                pools.len()
            ),
        };
        return Summary::new(&text, "", "");
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
        return Summary::new("no finding", "", "");
    };
    let more = match problems.len() - 1 {
        0 => String::new(),
        1 => " (and 1 more problem)".into(),
        n => format!(" (and {n} more problems)"),
    };
    let core = match pool {
        Some(pool) => format!("{pool}: {}", finding.headline()),
        None => finding.headline().to_owned(),
    };
    Summary::new(&core, finding.detail(), &more)
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
        (Some(s), 0) => format!(", data {} old", crate::model::duration(s)),
        (None, _) => ", data age not checked".into(),
        (Some(s), 1) => format!(
            ", data {} old, 1 pool's age not checked",
            crate::model::duration(s)
        ),
        (Some(s), n) => format!(
            ", data {} old, {n} pools' age not checked",
            crate::model::duration(s)
        ),
    }
}

/// Backup Service events that could not be read, in an OK summary: OK must not imply
/// that the log was looked at when it was not.
fn events_summary(pools: &[PoolVerdict]) -> String {
    let unread = pools
        .iter()
        .filter(|p| p.events.is_some_and(|e| e.missing))
        .count();
    match (unread, pools.len()) {
        (0, _) => String::new(),
        (_, 1) => ", Backup Service events not read".into(),
        (1, _) => ", 1 pool's Backup Service events not read".into(),
        (n, _) => format!(", {n} pools' Backup Service events not read"),
    }
}

/// The long output: the lines that judge, worst first (CRITICAL, WARNING, UNKNOWN, then
/// OK), each level in document order, then the notes in document order. Worst first so
/// that when `--max-output` cuts the long output, the problems are what stays.
fn long_output(evaluation: &Evaluation, verbosity: u8) -> Vec<String> {
    let mut judged: Vec<(Level, String)> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    if verbosity == 0 {
        for (pool, finding) in evaluation
            .all_findings()
            .filter(|(_, f)| f.level != Level::Ok)
        {
            judged.push((finding.level, finding_line(pool, finding)));
        }
        for pool in &evaluation.pools {
            pool_notes(pool, 0, &mut notes);
        }
    } else {
        for pool in &evaluation.pools {
            pool_lines(pool, verbosity, &mut judged, &mut notes);
        }
        for finding in &evaluation.findings {
            judged.push((finding.level, finding_line(None, finding)));
        }
        notes.extend(
            evaluation
                .notes
                .iter()
                .filter(|n| n.verbosity <= verbosity)
                .map(|n| format!("{NOTE} {}", n.text)),
        );
    }
    // Stable: document order within each level.
    judged.sort_by_key(|(level, _)| std::cmp::Reverse(*level));
    judged
        .into_iter()
        .map(|(_, line)| line)
        .chain(notes)
        .collect()
}

/// The tag of a line that judges nothing: a note, a source, a property. Not a state, so
/// Icinga Web shows it as text and no note can pass for a verdict.
const NOTE: &str = "[NOTE]";

/// One pool's lines at `-v` and more: a line per module and per finding that is not
/// about one status, with their levels, into `judged`; its notes into `notes`.
fn pool_lines(
    pool: &PoolVerdict,
    verbosity: u8,
    judged: &mut Vec<(Level, String)>,
    notes: &mut Vec<String>,
) {
    let name = &pool.name;
    for module in &pool.modules {
        let status = |s: &crate::policy::StatusVerdict| {
            let lasted = s.lasted.map(|l| format!(" {l}")).unwrap_or_default();
            match s.level {
                Level::Ok => format!("{}{lasted} (OK)", s.shown),
                level => format!("{}{lasted} ({level}: {})", s.shown, s.reason),
            }
        };
        judged.push((
            module.level(),
            format!(
                "[{}] {name}: {} export {}, import {}",
                module.level(),
                module.name,
                status(&module.export),
                status(&module.import)
            ),
        ));
    }
    for finding in pool
        .findings
        .iter()
        .filter(|f| f.subject != Subject::Status)
    {
        judged.push((finding.level, finding_line(Some(name), finding)));
    }
    pool_notes(pool, verbosity, notes);
    if verbosity >= 3 {
        for module in &pool.modules {
            notes.extend(
                module
                    .other
                    .iter()
                    .map(|(k, v)| format!("{NOTE} {name}: {}: {k}: {v}", module.name)),
            );
        }
        notes.extend(
            pool.other
                .iter()
                .map(|(k, v)| format!("{NOTE} {name}: {k}: {v}")),
        );
    }
}

/// The pool's notes shown at `verbosity`.
fn pool_notes(pool: &PoolVerdict, verbosity: u8, lines: &mut Vec<String>) {
    lines.extend(
        pool.notes
            .iter()
            .filter(|n| n.verbosity <= verbosity)
            .map(|n| format!("{NOTE} {}: {}", pool.name, n.text)),
    );
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
            value: i64::try_from(value).unwrap_or(i64::MAX),
            uom: "",
            warn: String::new(),
            crit: String::new(),
            min: Some(0),
            max: Some(max as i64),
        }
    }

    /// A duration in seconds with its thresholds. A value wider than [`VALUE_ROOM`]
    /// digits (centuries, from a document's odd times) is written at the widest, so that
    /// the room `--max-output` keeps never depends on a value.
    fn seconds(label: String, value: i64, warn: &str, crit: &str) -> Perf {
        Perf {
            label,
            value: value.clamp(-WIDEST_SECONDS / 10, WIDEST_SECONDS),
            uom: "s",
            warn: warn.to_owned(),
            crit: crit.to_owned(),
            min: Some(0),
            max: None,
        }
    }

    /// The bytes the item may take on another run, given its rendered length now: its
    /// value as wide as its maximum when it has one (a count never exceeds it), else
    /// [`VALUE_ROOM`] digits. A pool of no module (its collection failed) takes the
    /// room of one of up to nine: every pool has five or six.
    fn room(&self, rendered: usize) -> usize {
        let widest = self.max.map_or(VALUE_ROOM, digits);
        let width = digits(self.value);
        rendered - width + width.max(widest)
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

/// Digits kept for a value without a maximum: an age of up to 317 years in seconds.
const VALUE_ROOM: usize = 10;
/// The widest duration written, [`VALUE_ROOM`] digits.
const WIDEST_SECONDS: i64 = 9_999_999_999;

/// How many characters `value` takes in decimal.
fn digits(value: i64) -> usize {
    let magnitude = value
        .unsigned_abs()
        .checked_ilog10()
        .map_or(1, |l| l as usize + 1);
    magnitude + usize::from(value < 0)
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

/// One pool's perfdata items, rendered (kept as text, a large evaluation's perfdata
/// costs a third of what the items themselves would), and the room they may take on
/// any run of a document of the same shape: `--max-output` chooses the pools whose
/// perfdata it keeps by that room, so the choice never depends on states or values.
#[derive(Debug, Clone, PartialEq)]
struct PoolPerf {
    items: Vec<String>,
    /// The items joined by spaces, each value at its widest.
    room: usize,
}

impl PoolPerf {
    fn new(perf: impl IntoIterator<Item = Perf>) -> PoolPerf {
        let mut items = Vec::new();
        let mut room = 0;
        for item in perf {
            let text = item.render();
            room += item.room(text.len()) + usize::from(!items.is_empty());
            items.push(text);
        }
        PoolPerf { items, room }
    }
}

/// The perfdata of every pool, pool by pool, in document order.
fn perfdata(evaluation: &Evaluation) -> Vec<PoolPerf> {
    let prefixes = label_prefixes(&evaluation.pools);
    evaluation
        .pools
        .iter()
        .zip(prefixes)
        .map(|(pool, prefix)| PoolPerf::new(pool_perf(pool, &prefix)))
        .collect()
}

/// One pool's items: the module counts, and the age when it is known.
fn pool_perf(pool: &PoolVerdict, prefix: &str) -> Vec<Perf> {
    let label = |name: &str| format!("{prefix}{name}");
    let c = pool.counts;
    let mut perf = Vec::with_capacity(9);
    perf.push(Perf {
        max: None,
        ..Perf::count(label("modules"), c.modules, 0)
    });
    for (name, value) in [
        ("ok", c.ok),
        ("warning", c.warning),
        ("critical", c.critical),
        ("unknown", c.unknown),
        ("export_nonsteady", c.export_nonsteady),
        ("export_error", c.export_error),
        ("import_error", c.import_error),
    ] {
        perf.push(Perf::count(label(name), value, c.modules));
    }
    // backlog_age is present for every document of the same shape (one that carries the
    // collector's history), whatever the states.
    for (name, timed) in [("age", &pool.age), ("backlog_age", &pool.backlog)] {
        if let Some(timed) = timed {
            perf.push(Perf::seconds(
                label(name),
                timed.seconds,
                &timed.warning,
                &timed.critical,
            ));
        }
    }
    if let Some(events) = &pool.events {
        for (name, value) in [
            ("events_error", events.errors),
            ("events_warning", events.warnings),
        ] {
            perf.push(Perf {
                max: None,
                ..Perf::count(label(name), usize::try_from(value).unwrap_or(usize::MAX), 0)
            });
        }
    }
    perf
}

/// Each pool's label prefix: none for a single pool; else its FQDN as [`pool_label`]
/// writes it and `_`. A prefix an earlier pool already has (the same pool twice, or
/// names that differ only in characters a label cannot carry) gets `#2`, `#3`… in
/// document order, so labels are unique and stay the same for a document of the same
/// shape. `#` and `_` never appear in the pool's part otherwise ([`pool_label`]), so the
/// first `_` of a label ends it whatever metric follows: a pool `p_events` and a metric
/// `events_warning` cannot make a label twice.
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

/// A pool FQDN as a label prefix: anything but letters, digits, `.`, `-` (all an FQDN
/// holds) becomes `-`.
fn pool_label(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Text fit for plugin output: no `|` (it starts perfdata), no `;` (Nagios turns it
/// into `:`, so Icinga and Nagios would show different text), nothing that draws a
/// line or reorders text ([`breaks_the_display`]).
pub fn clean(text: &str) -> String {
    let mut cleaned = String::with_capacity(text.len());
    clean_into(&mut cleaned, text);
    cleaned
}

/// [`clean`], appended to `out`: the output is written once, not line by line first.
fn clean_into(out: &mut String, text: &str) {
    let mut rest = text;
    loop {
        // Printable ASCII other than `|` and `;` stays as it is, and is nearly all of
        // any output: copied a run at a time, not a character at a time.
        let run = rest
            .bytes()
            .position(|b| !(b' '..=b'~').contains(&b) || b == b'|' || b == b';')
            .unwrap_or(rest.len());
        out.push_str(&rest[..run]);
        rest = &rest[run..];
        let Some(c) = rest.chars().next() else {
            return;
        };
        out.push(match c {
            '|' => '/',
            ';' => ',',
            c if breaks_the_display(c) => ' ',
            c => c,
        });
        rest = &rest[c.len_utf8()..];
    }
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
    perfdata: &[PoolPerf],
    lines: &[String],
    marker: Option<String>,
) -> String {
    let mut out = first_line(state, summary, perfdata);
    // Sized once: a large output grown by doubling would be copied on the way.
    out.reserve_exact(lines.iter().chain(marker.iter()).map(|l| l.len() + 1).sum());
    for line in lines.iter().chain(marker.iter()) {
        clean_into(&mut out, line);
        out.push('\n');
    }
    out
}

fn first_line(state: Level, summary: &str, perfdata: &[PoolPerf]) -> String {
    let mut line = head(state);
    clean_into(&mut line, summary);
    line.reserve_exact(perf_len(perfdata) + 1);
    let items = perfdata.iter().flat_map(|p| p.items.iter());
    for (index, perf) in items.enumerate() {
        line.push_str(if index == 0 { " | " } else { " " });
        line.push_str(perf);
    }
    line.push('\n');
    line
}

/// `CSBACKUP <STATE> - `.
fn head(state: Level) -> String {
    format!("{PLUGIN} {state} - ")
}

/// The bytes the perfdata takes on the first line, ` | ` included.
fn perf_len(perfdata: &[PoolPerf]) -> usize {
    let (items, bytes) = perfdata
        .iter()
        .flat_map(|p| p.items.iter())
        .fold((0, 0), |(n, bytes), item| (n + 1, bytes + item.len()));
    match items {
        0 => 0,
        n => 3 + bytes + (n - 1),
    }
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

    use crate::policy::{Counts, ModuleVerdict, StatusVerdict, Timed};

    fn status(shown: &str, level: Level) -> StatusVerdict {
        StatusVerdict {
            shown: shown.to_owned().into(),
            level,
            reason: "why".into(),
            lasted: None,
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
                age: Some(Timed {
                    seconds: 42,
                    warning: "900".into(),
                    critical: "@10:20".into(),
                }),
                backlog: None,
                events: None,
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
            Finding::new(Level::Warning, Subject::Status, "A export NonSteadyState"),
            Finding::explained(
                Level::Critical,
                Subject::Pool,
                "collection failed",
                ": x | y; z",
            ),
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
        // The long output lists the worst first.
        assert_eq!(
            text.lines().skip(1).collect::<Vec<_>>(),
            [
                "[CRITICAL] p1: collection failed: x / y, z",
                "[WARNING] p1: A export NonSteadyState"
            ]
        );
    }

    #[test]
    fn several_pools_prefix_their_labels() {
        let (_, text) = render(
            &evaluation(&["a.contoso.com", "b x"], vec![], 1),
            &Options::default(),
        );
        assert!(text.contains(" 'a.contoso.com_modules'=1;;;0 "), "{text}");
        assert!(text.contains(" 'b-x_age'=42s;900;@10:20;0"), "{text}");
    }

    #[test]
    fn clean_text_is_cleaned_character_by_character() {
        // The definition, one character at a time; `clean` copies runs between them.
        let by_character = |text: &str| -> String {
            text.chars()
                .map(|c| match c {
                    '|' => '/',
                    ';' => ',',
                    c if breaks_the_display(c) => ' ',
                    c => c,
                })
                .collect()
        };
        let texts = [
            "",
            "plain ASCII, nothing to do",
            "a|b;c",
            "|;|",
            "line\nbreak\r\ttab\u{7f}del\u{0}",
            "Größe: 1 µs\u{2028}fake [OK]\u{2029}",
            "\u{202E}reversed\u{2066}isolated\u{2069}\u{061C}\u{200F}",
            "ends with ä",
            "ä",
            "\u{85}next line",
        ];
        for text in texts {
            assert_eq!(clean(text), by_character(text), "{text:?}");
            let mut out = String::from("kept ");
            clean_into(&mut out, text);
            assert_eq!(out, format!("kept {}", by_character(text)));
        }
        assert_eq!(clean("a|b;c\u{2028}d"), "a/b,c d");
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
        for max in [2000, 600, 420] {
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
        // Below one pool's status line and perfdata: refused, naming the minimum.
        let (level, tiny) = render(
            &eval,
            &Options {
                verbosity: 1,
                max_output: Some(200),
            },
        );
        assert_eq!(level, Level::Unknown);
        assert!(tiny.len() <= 200, "{tiny}");
        assert!(
            tiny.starts_with("CSBACKUP UNKNOWN - usage: --max-output must be at least "),
            "{tiny}"
        );
    }

    #[test]
    fn the_room_of_an_item_holds_any_value_up_to_its_maximum() {
        let count = Perf::count("ok".into(), 2, 100);
        assert_eq!(count.render(), "ok=2;;;0;100");
        assert_eq!(count.room(count.render().len()), "ok=100;;;0;100".len());
        // A pool of no module (its collection failed) takes the room of one of nine.
        let failed = Perf::count("ok".into(), 0, 0);
        let usual = Perf::count("ok".into(), 3, 9);
        assert_eq!(
            failed.room(failed.render().len()),
            usual.room(usual.render().len())
        );
        let age = Perf {
            label: "age".into(),
            value: 42,
            uom: "s",
            warn: "900".into(),
            crit: "3600".into(),
            min: Some(0),
            max: None,
        };
        assert_eq!(
            age.room(age.render().len()),
            "age=1234567890s;900;3600;0".len()
        );
        let centuries = Perf::seconds("age".into(), i64::MAX, "", "");
        assert_eq!(centuries.render(), "age=9999999999s;;;0");
        let future = Perf::seconds("age".into(), i64::MIN, "", "");
        assert_eq!(future.room(future.render().len()), centuries.render().len());
        assert_eq!(digits(0), 1);
        assert_eq!(digits(-12), 3);
        assert_eq!(digits(i64::MIN), 20);
    }
}
