//! Human-readable replay output: one line per step, the walk spelled out.

use std::fmt::Write as _;

use crate::model::{Outcome, Totals, Walk, hex};
use crate::session::{SchemeRun, StepResult};
use crate::util::counted;

/// One line for a walk: "try_to_unmap p2 via av1: pid 2 0x11000 HIT, pid 1 0x81000 HIT -> unmapped".
pub fn walk_line(w: &Walk) -> String {
    let mut s = visits_line(w);
    for l in &w.lost {
        let _ = write!(s, ", pid {} {} LOST", l.pid, hex(l.addr));
    }
    let verdict = match (w.kind, w.unmapped_all) {
        (crate::model::WalkKind::TryToUnmap, true) => "page unmapped".to_string(),
        (crate::model::WalkKind::TryToUnmap, false) => {
            format!("page still mapped {} time(s)", w.lost.len())
        }
        (_, true) => format!("{} referenced", w.referenced),
        (_, false) => format!(
            "{} referenced, {} pte(s) never checked",
            w.referenced,
            w.lost.len()
        ),
    };
    let _ = write!(s, " -> {verdict}");
    s
}

/// The start of [`walk_line`]: the page, its object and the candidates visited, without the
/// LOST ptes and the verdict ("try_to_unmap p2 (mapcount 2) via av1: pid 2 0x11000 HIT").
pub fn visits_line(w: &Walk) -> String {
    let mut s = format!(
        "{} p{} (mapcount {}) via {}:",
        w.kind.as_str(),
        w.page.0,
        w.mapcount,
        w.object
    );
    if w.visits.is_empty() {
        s.push_str(" no candidates");
    }
    for (i, v) in w.visits.iter().enumerate() {
        let at = match (v.outcome, v.addr) {
            (Outcome::Out, _) => match (v.vma_start, v.vma_end) {
                (Some(a), Some(b)) => format!("{}-{}", hex(a), hex(b)),
                _ => "-".to_string(),
            },
            (_, Some(a)) => hex(a),
            (_, None) => "-".to_string(),
        };
        let _ = write!(
            s,
            "{} pid {} {} {}",
            if i == 0 { "" } else { "," },
            v.pid,
            at,
            v.outcome
        );
    }
    s
}

/// Step `i`'s lines (0-based; numbered from 1): its op, its walk or refusal, its events.
pub fn step_line(i: usize, s: &StepResult, events: bool) -> String {
    let mut out = format!("{:>4}  {}", i + 1, s.op.to_ron_line());
    match (&s.error, &s.walk) {
        (Some(e), _) => {
            let _ = write!(out, "\n      ! refused: {e}");
        }
        (None, Some(w)) => {
            let _ = write!(out, "\n      {}", walk_line(w));
        }
        (None, None) => {}
    }
    if events {
        for e in &s.events {
            let _ = write!(out, "\n        . {e}");
        }
    }
    out
}

/// The text report of one scheme's run: [`run_head`], a [`step_line`] per step, [`run_end`].
pub fn run_text(run: &SchemeRun, events: bool) -> String {
    let mut out = run_head(run.scheme);
    for (i, s) in run.steps.iter().enumerate() {
        out.push_str(&step_line(i, s, events));
        out.push('\n');
    }
    out.push_str(&run_end(
        run.steps.last().map(|s| &s.totals),
        run.failures(),
    ));
    out
}

/// The line that opens scheme `scheme`'s report.
pub fn run_head(scheme: &str) -> String {
    let info = crate::schemes::find_scheme(scheme);
    format!("== {} ({})\n", scheme, info.map_or("", |i| i.era))
}

/// The lines that close a report: the totals after the last step (`last`, none without
/// steps) and how many steps were refused.
pub fn run_end(last: Option<&Totals>, failures: usize) -> String {
    let mut out = String::new();
    if let Some(t) = last {
        let _ = writeln!(
            out,
            "      end: {}, {}, {}, {}; {}, {} B (i386) / {} B (x86_64)",
            counted(t.processes, "process", "processes"),
            counted(t.vmas, "vma", "vmas"),
            counted(t.pages, "page", "pages"),
            counted(t.ptes, "pte", "ptes"),
            counted(t.rmap_objects, "rmap object", "rmap objects"),
            t.rmap_bytes_i386,
            t.rmap_bytes_x86_64
        );
    }
    let f = failures;
    if f > 0 {
        let _ = writeln!(
            out,
            "      {f} step{} refused",
            if f == 1 { "" } else { "s" }
        );
    }
    out
}
