//! The walk of the step: every visited candidate in order with its outcome and computed
//! address, the LOST ptes loudly, the verdict; the candidate followed with `n` / `N` marked.
//! A long walk scrolls (the wheel, `[` `]`): the candidate followed is kept in the middle, the
//! start shown while none is, and the verdict stays on the pane's last lines.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::scrolled::{self, Want};
use crate::model::{Outcome, WalkKind, hex};
use crate::tui::app::App;
use crate::tui::scroll::{Scrolled, Side};
use crate::tui::theme::Theme;

pub(crate) fn outcome_style(t: &Theme, o: Outcome) -> Style {
    match o {
        Outcome::Hit => t.hit,
        Outcome::Miss => t.miss,
        Outcome::Out => t.out,
        Outcome::Skip => t.skip,
    }
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) -> Scrolled {
    let t = &app.theme;
    let mut lines = Vec::new();
    let mut pinned = Vec::new();
    let mut followed = None;
    let title = match app.shown.candidate() {
        Some(k) => format!(" walk: candidate {}/{} ", k + 1, app.candidates()),
        None => " walk ".to_string(),
    };
    match (app.walk(), app.result(app.shown.scheme())) {
        (Some(w), _) => {
            lines.push(Line::styled(
                format!("{} {} (mapcount {})", w.kind.as_str(), w.page, w.mapcount),
                t.header,
            ));
            let field = app.scheme_info(app.shown.scheme()).page_pointer();
            lines.push(Line::styled(format!("{field}: {}", w.object), t.dim));
            // Numbers and pids as wide as the widest (a walk of 1001 candidates would wrap
            // with fixed columns); the word "pid" goes when even that does not fit the pane.
            let digits = |n: usize| n.max(1).ilog10() as usize + 1;
            let nw = digits(w.visits.len()).max(2);
            let pw = w
                .visits
                .iter()
                .map(|v| digits(v.pid as usize))
                .max()
                .unwrap_or(1)
                .max(3);
            let pid_word = if 1 + nw + 5 + pw + 1 + 5 + 10 <= area.width.saturating_sub(2) as usize
            {
                " pid "
            } else {
                " "
            };
            if pid_word == " " && !w.visits.is_empty() {
                // The rows no longer say "pid": a heading over the columns does.
                lines.push(Line::styled(
                    format!(" {:>nw$} {:<pw$} outcome, pte", "#", "pid"),
                    t.dim,
                ));
            }
            for (k, v) in w.visits.iter().enumerate() {
                let cur = app.shown.candidate() == Some(k);
                if cur {
                    followed = Some(lines.len());
                }
                let mark = match (cur, app.ascii) {
                    (true, false) => "▶",
                    (true, true) => ">",
                    _ => " ",
                };
                let at = match (v.outcome, v.addr, v.vma_start, v.vma_end) {
                    (Outcome::Out, _, Some(a), Some(b)) => format!("{}-{}", hex(a), hex(b)),
                    (_, Some(a), _, _) => hex(a),
                    _ => "-".to_string(),
                };
                let base = if cur { t.current } else { t.text };
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("{mark}{:>nw$}{pid_word}{:<pw$} ", k + 1, v.pid),
                        base,
                    ),
                    Span::styled(
                        format!("{:<5}", v.outcome.as_str()),
                        outcome_style(t, v.outcome),
                    ),
                    Span::styled(
                        if v.via == w.object || v.via.is_empty() {
                            at
                        } else {
                            format!("{at} via {}", v.via)
                        },
                        base,
                    ),
                ]));
            }
            for l in &w.lost {
                lines.push(Line::styled(
                    format!("!! LOST pid {} {}: never visited", l.pid, hex(l.addr)),
                    t.lost,
                ));
            }
            let verdict = match (w.kind, w.unmapped_all) {
                (WalkKind::TryToUnmap, true) => "page unmapped".to_string(),
                (WalkKind::TryToUnmap, false) => format!(
                    "page STILL MAPPED {} time{}: cannot be freed",
                    w.lost.len(),
                    if w.lost.len() == 1 { "" } else { "s" }
                ),
                (_, true) => format!("{} referenced, every pte checked", w.referenced),
                (_, false) => format!(
                    "{} referenced, {} pte(s) never checked",
                    w.referenced,
                    w.lost.len()
                ),
            };
            pinned.push(Line::styled(
                format!(
                    "{} HIT {} MISS {} OUT {} SKIP of {} planned; {verdict}",
                    w.hit, w.miss, w.out, w.skip, w.planned
                ),
                if w.unmapped_all { t.hit } else { t.lost },
            ));
        }
        (None, Some(r)) if r.error.is_some() => {
            lines.push(Line::styled("the step was refused: no walk", t.error));
        }
        _ => {
            lines.push(Line::styled("no walk at this step", t.dim));
            lines.push(Line::styled("(SwapOut and Referenced steps walk)", t.dim));
        }
    }
    let want = match (app.side_top(Side::Walk), followed) {
        (Some(top), _) => Want::Top(top),
        (None, Some(k)) => Want::Show(k),
        (None, None) => Want::Top(0),
    };
    scrolled::render(app, frame, area, title, lines, pinned, want)
}
