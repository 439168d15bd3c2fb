//! `--max-output`: the whole output within N bytes, because NRPE v2 and NSClient++ cut
//! blindly at 1024 and a cut output loses its perfdata, or its state.
//!
//! What is promised, in this order:
//! 1. the state and the worst problem's core (`<pool>: <module> <direction> <status>`,
//!    or the headline of another finding) are never cut; the explanation after it and
//!    the count of other problems go first;
//! 2. perfdata is kept pool by pool, whole, in document order, and how many pools are
//!    kept is decided by the document's shape alone: each pool's perfdata is counted at
//!    its widest ([`PoolPerf::room`]) and the summary gets a fixed [`SUMMARY_ROOM`],
//!    so graphs get the same series on every run, whatever the states;
//! 3. long output fills what is left, first lines first (the report lists the worst
//!    first, so the problems are what stays).
//!
//! Whatever is left out, a last line says so, and for perfdata how to avoid it. A limit
//! below what one pool needs is refused with the minimum ([`fit`] returns it), since no
//! output within it could keep these promises.

use super::{assemble, clean, cut, first_line, head, perf_len, Level, PoolPerf, Summary};

/// The first line's room for `CSBACKUP <STATE> - ` at its longest (CRITICAL).
const STATE_ROOM: usize = "CSBACKUP CRITICAL - ".len();

/// The first line's room for the summary, whatever the states: enough for the core of
/// a problem with FQDNs and module names of about 40 characters, and the count of the
/// other problems. A longer core takes its room from the last pools' perfdata.
pub const SUMMARY_ROOM: usize = 120;

/// Digits kept for the count of long-output lines left out.
const LINES_ROOM: usize = 9_999_999;

/// The output within `max` bytes, or, when `max` is below what the promises need for
/// this document, that minimum.
pub(super) fn fit(
    state: Level,
    summary: &Summary,
    perfdata: &[PoolPerf],
    lines: &[String],
    max: usize,
) -> Result<String, usize> {
    let mut kept = kept_pools(perfdata, max)?;
    let line_lens: Vec<usize> = lines.iter().map(|l| clean(l).len() + 1).collect();
    loop {
        if let Some(text) = within(state, summary, perfdata, kept, lines, &line_lens, max) {
            return Ok(text);
        }
        // Only a core longer than SUMMARY_ROOM gets here: it takes the last pools' room.
        if kept <= 1 {
            return Ok(last_resort(
                state,
                summary,
                perfdata,
                kept,
                lines.len(),
                max,
            ));
        }
        kept -= 1;
    }
}

/// How many pools' perfdata the first line keeps, decided by the room each may take
/// on any run and never by what this run says; or, when not even one pool fits, the
/// minimum `max` it would take.
fn kept_pools(perfdata: &[PoolPerf], max: usize) -> Result<usize, usize> {
    let pools = perfdata.len();
    // The first line and the last line with `kept` pools whose perfdata takes `room`.
    let reserve = |room: usize, kept: usize| {
        STATE_ROOM
            + SUMMARY_ROOM
            + room
            + 1
            + marker(LINES_ROOM, pools - kept, pools, max).map_or(0, |m| m.len() + 1)
    };
    let all = reserve(perf_room(perfdata), pools);
    if all <= max {
        return Ok(pools);
    }
    let Some(first) = perfdata.first() else {
        return Err(all);
    };
    // Counted upwards: a document of 100,000 pools keeps a handful of them. Below
    // all of them the reserve grows with every pool (a pool's room is tens of bytes,
    // the last line shrinks by a digit at most).
    let mut room = 3 + first.room;
    let needed = reserve(room, 1);
    if max < needed {
        return Err(needed);
    }
    let mut kept = 1;
    while kept < pools && reserve(room + 1 + perfdata[kept].room, kept + 1) <= max {
        room += 1 + perfdata[kept].room;
        kept += 1;
    }
    Ok(kept)
}

/// The message for a `--max-output` below the minimum: the minimum comes first, so that
/// even this message cut to the limit names it.
pub(super) fn too_small(needed: usize) -> String {
    format!(
        "usage: --max-output must be at least {needed} for this document: the first line keeps \
         room for the state, {SUMMARY_ROOM} bytes of summary and one pool's perfdata whole, \
         and the last line for what is left out (1023 suits NRPE v2 and NSClient++)"
    )
}

/// The bytes perfdata may take, ` | ` included, each pool at its widest.
fn perf_room(perfdata: &[PoolPerf]) -> usize {
    match perfdata.len() {
        0 => 0,
        n => 3 + perfdata.iter().map(|p| p.room).sum::<usize>() + (n - 1),
    }
}

/// The last line when something is left out: how much, and for perfdata how to avoid it.
fn marker(lines_left: usize, pools_left: usize, pools: usize, max: usize) -> Option<String> {
    let avoid = "check one pool per service (--pool) or raise the limit";
    match (lines_left, pools_left) {
        (0, 0) => None,
        (lines, 0) => Some(format!(
            "... {} left out (--max-output {max})",
            more_lines(lines)
        )),
        (0, left) => Some(format!(
            "... perfdata of {left} of {pools} pools left out (--max-output {max}): {avoid}"
        )),
        (lines, left) => Some(format!(
            "... perfdata of {left} of {pools} pools and {} left out (--max-output {max}): {avoid}",
            more_lines(lines)
        )),
    }
}

fn more_lines(lines: usize) -> String {
    match lines {
        1 => "1 more line".into(),
        n => format!("{n} more lines"),
    }
}

/// The output with the first `kept` pools' perfdata and the longest summary that leaves
/// room for the last line, filled with long output; `None` if even the summary's core
/// does not fit.
fn within(
    state: Level,
    summary: &Summary,
    perfdata: &[PoolPerf],
    kept: usize,
    lines: &[String],
    line_lens: &[usize],
    max: usize,
) -> Option<String> {
    let pools_left = perfdata.len() - kept;
    let perfdata = &perfdata[..kept];
    let fixed = head(state).len() + perf_len(perfdata) + 1;
    let marker_len = |lines_left: usize| {
        marker(lines_left, pools_left, pools_left + kept, max).map_or(0, |m| m.len() + 1)
    };
    let all: usize = line_lens.iter().sum();
    for text in summary.shortenings() {
        let first = fixed + text.len();
        if pools_left == 0 && first + all <= max {
            return Some(assemble(state, &text, perfdata, lines, None));
        }
        if first + marker_len(lines.len()) > max {
            continue;
        }
        // Lines go in while the line after them, and the last line, still fit.
        let mut body = 0;
        let mut shown = 0;
        while shown < lines.len()
            && first + body + line_lens[shown] + marker_len(lines.len() - shown - 1) <= max
        {
            body += line_lens[shown];
            shown += 1;
        }
        let marker = marker(lines.len() - shown, pools_left, pools_left + kept, max);
        return Some(assemble(state, &text, perfdata, &lines[..shown], marker));
    }
    None
}

/// A core longer than the whole limit allows with one pool's perfdata (names of
/// hundreds of characters): cut, as the only way left to keep within the limit.
fn last_resort(
    state: Level,
    summary: &Summary,
    perfdata: &[PoolPerf],
    kept: usize,
    lines: usize,
    max: usize,
) -> String {
    let marker = marker(lines, perfdata.len() - kept, perfdata.len(), max);
    let perfdata = &perfdata[..kept];
    let taken =
        head(state).len() + perf_len(perfdata) + 1 + marker.as_ref().map_or(0, |m| m.len() + 1);
    let room = max.saturating_sub(taken + "...".len());
    let core = format!("{}...", cut(&summary.core, room));
    let text = assemble(state, &core, perfdata, &[], marker);
    if text.len() <= max {
        return text;
    }
    // Only a value wider than its room would get here, and every value is kept within
    // its room (see `Perf::seconds`): kept so that the limit holds whatever comes.
    let line = first_line(state, "", &[]);
    line[..line.len().min(max)].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Perf;

    fn pool(label: &str) -> PoolPerf {
        PoolPerf::new([Perf::count(label.into(), 0, 1)])
    }

    #[test]
    fn fits_many_lines_and_says_how_many_are_left_out() {
        let lines: Vec<String> = (0..100_000)
            .map(|i| format!("[WARNING] line {i}"))
            .collect();
        let summary = Summary::new("a summary", "", "");
        let out = fit(Level::Warning, &summary, &[pool("ok")], &lines, 1023).unwrap();
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

    #[test]
    fn keeps_whole_pools_by_their_room_whatever_the_summary() {
        let pools: Vec<PoolPerf> = (0..50).map(|i| pool(&format!("pool{i:02}_ok"))).collect();
        let short = Summary::new("p: all OK", "", "");
        let long = Summary::new(
            "pool07.contoso.com: ConfServices.DataConf export ErrorState",
            " (failed to back up new changes)",
            " (and 12 more problems)",
        );
        let kept = |summary: &Summary| {
            let out = fit(Level::Critical, summary, &pools, &[], 600).unwrap();
            assert!(out.len() <= 600, "{out}");
            let first = out.lines().next().unwrap_or_default().to_owned();
            let perf = first.split(" | ").nth(1).unwrap_or_default().to_owned();
            (perf, out)
        };
        let (short_perf, _) = kept(&short);
        let (long_perf, out) = kept(&long);
        assert_eq!(short_perf, long_perf);
        assert!(out.starts_with(
            "CSBACKUP CRITICAL - pool07.contoso.com: ConfServices.DataConf export ErrorState"
        ));
        let left = 50 - long_perf.split(' ').count();
        assert!(out.ends_with(&format!(
            "... perfdata of {left} of 50 pools left out (--max-output 600): \
             check one pool per service (--pool) or raise the limit\n"
        )));
    }

    #[test]
    fn a_limit_below_one_pool_is_refused_with_the_minimum() {
        let nothing = Summary::new("the document holds no pool", "", "");
        let needed = fit(Level::Unknown, &nothing, &[], &[], 128).unwrap_err();
        assert!(fit(Level::Unknown, &nothing, &[], &[], needed).is_ok());
        let summary = Summary::new("p: all OK", "", "");
        let needed = fit(Level::Ok, &summary, &[pool("ok")], &[], 128).unwrap_err();
        assert!(needed > 128);
        assert!(fit(Level::Ok, &summary, &[pool("ok")], &[], needed).is_ok());
        assert!(too_small(needed).starts_with(&format!(
            "usage: --max-output must be at least {needed} for this document"
        )));
    }

    #[test]
    fn a_hundred_thousand_pools_are_counted_from_the_first() {
        let pools: Vec<PoolPerf> = (0..100_000).map(|i| pool(&format!("p{i}_ok"))).collect();
        let summary = Summary::new("100000 pools, all OK", "", "");
        let out = fit(Level::Ok, &summary, &pools, &[], 1023).unwrap();
        assert!(out.len() <= 1023);
        assert!(out.contains(" | p0_ok=0;;;0;1 p1_ok=0;;;0;1 "), "{out}");
        assert!(out.contains("pools left out (--max-output 1023)"), "{out}");
    }

    #[test]
    fn a_core_longer_than_its_room_is_cut_only_as_a_last_resort() {
        let core = format!("{}: ErrorState", "p".repeat(900));
        let summary = Summary::new(&core, " (why)", "");
        let out = fit(Level::Critical, &summary, &[pool("ok")], &[], 1023).unwrap();
        assert!(out.len() <= 1023, "{}", out.len());
        assert!(out.starts_with("CSBACKUP CRITICAL - pppp"), "{out}");
        assert!(out.trim_end().ends_with("ok=0;;;0;1"), "{out}");
    }
}
