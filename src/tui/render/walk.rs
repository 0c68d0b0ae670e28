//! The walk of the step: every visited candidate in order with its outcome and computed
//! address, the LOST ptes loudly, the verdict; the candidate followed with `n` / `N` marked.
//! A long walk scrolls (the wheel, `[` `]`): the candidate followed is kept in the middle, the
//! start shown while none is, and the verdict stays on the pane's last lines. While the quiz
//! reveals the walk, the pane lists the candidates revealed and keeps the rest back.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use unicode_width::UnicodeWidthStr;

use super::scrolled::{self, Text, Want};
use crate::model::{Lost, Outcome, Visit, Walk, WalkKind, hex};
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

/// Cells of `n` written in decimal.
fn digits(n: usize) -> usize {
    n.max(1).ilog10() as usize + 1
}

/// Cells of `a` written by [`hex`] (`0x` and its hex digits).
fn hex_width(a: u64) -> usize {
    2 + (a.checked_ilog2().unwrap_or(0) / 4 + 1) as usize
}

/// The walk pane's text: a few lines about the page, one per candidate (the LOST ptes are
/// pinned with the verdict). Each line is built only when the pane shows it; [`Text::width`] measures it without building
/// it (the two agree, `tests::every_width_is_its_line_s`).
struct WalkText<'w> {
    walk: &'w Walk,
    /// The lines before the candidates.
    head: Vec<Line<'static>>,
    theme: &'w Theme,
    /// The candidate followed.
    current: Option<usize>,
    ascii: bool,
    /// Columns of the candidate numbers and pids.
    nw: usize,
    pw: usize,
    /// Between the number and the pid: " pid " or " ".
    pid_word: &'static str,
}

impl<'w> WalkText<'w> {
    /// The text of walk `w` of scheme number `scheme`, candidate `current` followed.
    fn new(
        app: &'w App,
        w: &'w Walk,
        width: u16,
        scheme: usize,
        current: Option<usize>,
    ) -> WalkText<'w> {
        let t = &app.theme;
        let mut head = vec![
            Line::styled(
                format!("{} {} (mapcount {})", w.kind.as_str(), w.page, w.mapcount),
                t.header,
            ),
            Line::styled(
                format!("{}: {}", app.scheme_info(scheme).page_pointer(), w.object),
                t.dim,
            ),
        ];
        // Numbers and pids as wide as the widest (a walk of 1001 candidates would wrap with
        // fixed columns); the word "pid" goes when even that does not fit the pane.
        let nw = digits(w.visits.len()).max(2);
        let pw = w
            .visits
            .iter()
            .map(|v| digits(v.pid as usize))
            .max()
            .unwrap_or(1)
            .max(3);
        let pid_word = if 1 + nw + 5 + pw + 1 + 5 + 10 <= width.saturating_sub(2) as usize {
            " pid "
        } else {
            " "
        };
        if pid_word == " " && !w.visits.is_empty() {
            // The rows no longer say "pid": a heading over the columns does.
            head.push(Line::styled(
                format!(" {:>nw$} {:<pw$} outcome, pte", "#", "pid"),
                t.dim,
            ));
        }
        WalkText {
            walk: w,
            head,
            theme: t,
            current,
            ascii: app.ascii,
            nw,
            pw,
            pid_word,
        }
    }

    /// The line of candidate `k`.
    fn visit(&self, k: usize) -> Line<'static> {
        let (t, w, v) = (self.theme, self.walk, &self.walk.visits[k]);
        let (nw, pw, pid_word) = (self.nw, self.pw, self.pid_word);
        let cur = self.current == Some(k);
        let mark = match (cur, self.ascii) {
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
        Line::from(vec![
            Span::styled(
                format!("{mark}{:>nw$}{pid_word}{:<pw$} ", k + 1, v.pid),
                base,
            ),
            Span::styled(
                format!("{:<5}", v.outcome.as_str()),
                outcome_style(t, v.outcome),
            ),
            Span::styled(
                if Self::via_shown(w, v) {
                    format!("{at} via {}", v.via)
                } else {
                    at
                },
                base,
            ),
        ])
    }

    /// Whether candidate `v`'s line names the object it was reached through.
    fn via_shown(w: &Walk, v: &Visit) -> bool {
        !(v.via == w.object || v.via.is_empty())
    }

    /// The width of [`WalkText::visit`]'s line `k`.
    fn visit_width(&self, k: usize) -> usize {
        let v = &self.walk.visits[k];
        let at = match (v.outcome, v.addr, v.vma_start, v.vma_end) {
            (Outcome::Out, _, Some(a), Some(b)) => hex_width(a) + 1 + hex_width(b),
            (_, Some(a), _, _) => hex_width(a),
            _ => 1,
        };
        let via = if Self::via_shown(self.walk, v) {
            " via ".len() + v.via.width()
        } else {
            0
        };
        1 + self.nw.max(digits(k + 1))
            + self.pid_word.len()
            + self.pw.max(digits(v.pid as usize))
            + 1
            + v.outcome.as_str().len().max(5)
            + at
            + via
    }

    /// The line of a LOST pte (without the words "never visited" in a narrow pane).
    fn lost(&self, l: &Lost, width: u16) -> Line<'static> {
        let why = if width >= 40 { ": never visited" } else { "" };
        Line::styled(
            format!("!! LOST pid {} {}{why}", l.pid, hex(l.addr)),
            self.theme.lost,
        )
    }
}

impl<'w> Text<'static> for WalkText<'w> {
    fn count(&self) -> usize {
        self.head.len() + self.walk.visits.len()
    }

    fn width(&self, k: usize) -> usize {
        let n = self.walk.visits.len();
        match k.checked_sub(self.head.len()) {
            None => self.head[k].width(),
            Some(i) if i < n => self.visit_width(i),
            Some(_) => 0,
        }
    }

    fn line(&self, k: usize) -> Line<'static> {
        let n = self.walk.visits.len();
        match k.checked_sub(self.head.len()) {
            None => self.head[k].clone(),
            Some(i) if i < n => self.visit(i),
            Some(_) => Line::default(),
        }
    }
}

/// Draws the walk of scheme number `scheme` (the shown one, or the compared one beside it in
/// compare mode: then the title names the scheme, and only the shown one's walk follows `n`).
pub fn render(app: &App, frame: &mut Frame, area: Rect, scheme: usize) -> Scrolled {
    let t = &app.theme;
    let candidate = app
        .shown
        .candidate()
        .filter(|_| scheme == app.shown.scheme());
    let name = match app.shown.compare() {
        Some(_) => format!("walk {}", app.scheme_names()[scheme]),
        None => "walk".to_string(),
    };
    let title = match candidate {
        Some(k) => format!(" {name}: candidate {}/{} ", k + 1, app.candidates()),
        None => format!(" {name} "),
    };
    let want = |followed: Option<usize>| match (app.side_top(Side::Walk), followed) {
        (Some(top), _) => Want::Top(top),
        (None, Some(k)) => Want::Show(k),
        (None, None) => Want::Top(0),
    };
    let revealed = app.walk_revealed();
    if revealed.is_some() && scheme != app.shown.scheme() {
        let lines = vec![Line::styled(
            format!(
                "shown once the quiz has revealed the walk under {}",
                app.scheme_name()
            ),
            t.dim,
        )];
        return scrolled::render(app, frame, area, title, lines, Vec::new(), want(None));
    }
    let result = app.result(scheme);
    let w = match (result.and_then(|r| r.walk.as_ref()), result) {
        (Some(w), _) => w,
        (None, r) => {
            let lines = if r.is_some_and(|r| r.error.is_some()) {
                vec![Line::styled("the step was refused: no walk", t.error)]
            } else if r.is_none() && app.step() > 0 {
                vec![Line::styled("simulating...", t.dim)]
            } else {
                vec![
                    Line::styled("no walk at this step", t.dim),
                    Line::styled("(SwapOut and Referenced steps walk)", t.dim),
                ]
            };
            return scrolled::render(app, frame, area, title, lines, Vec::new(), want(None));
        }
    };
    if let Some(k) = revealed {
        let part = w.first(k);
        let text = WalkText::new(app, &part, area.width, scheme, candidate);
        let pinned = vec![Line::styled(
            format!(
                "{k} of {} candidates revealed; the lost ptes and the verdict come last",
                w.visits.len()
            ),
            t.dim,
        )];
        let followed = candidate.map(|k| text.head.len() + k);
        return scrolled::render(app, frame, area, title, text, pinned, want(followed));
    }
    let text = WalkText::new(app, w, area.width, scheme, candidate);
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
    // The LOST ptes stay in view with the verdict, whatever the offset: they are what a lecture
    // points at.
    let mut pinned: Vec<Line> = w.lost.iter().map(|l| text.lost(l, area.width)).collect();
    pinned.push(Line::styled(
        format!(
            "{} HIT {} MISS {} OUT {} SKIP of {} planned; {verdict}",
            w.hit, w.miss, w.out, w.skip, w.planned
        ),
        if w.unmapped_all { t.hit } else { t.lost },
    ));
    let followed = candidate
        .filter(|&k| k < w.visits.len())
        .map(|k| text.head.len() + k);
    scrolled::render(app, frame, area, title, text, pinned, want(followed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Scenario, storm};
    use crate::tui::AppOptions;

    /// Every line's measured width is the width of the line built, for every walk of the
    /// built-in scenarios under every scheme (hits, misses, OUT ranges, `via` objects, LOST
    /// ptes), following each candidate, in both character sets and pane widths.
    #[test]
    fn every_width_is_its_line_s() {
        let mut scenarios: Vec<Scenario> = crate::scenario::BUILTINS
            .iter()
            .map(|b| Scenario::load(b.name).unwrap().0)
            .collect();
        scenarios.push(storm(120, 2));
        let mut checked = 0;
        for sc in scenarios {
            for scheme in crate::schemes::scheme_names() {
                let opts = AppOptions {
                    scheme,
                    ..AppOptions::default()
                };
                let mut app = App::headless(sc.clone(), &opts).unwrap();
                for step in 1..=app.len() {
                    app.step_to(step);
                    let Some(w) = app.walk().cloned() else {
                        continue;
                    };
                    for (cand, ascii, width) in [(None, false, 30), (Some(0), true, 20)] {
                        app.set_walk_candidate(cand);
                        app.ascii = ascii;
                        let text = WalkText::new(
                            &app,
                            &w,
                            width,
                            app.shown.scheme(),
                            app.shown.candidate(),
                        );
                        for k in 0..text.count() {
                            assert_eq!(
                                text.width(k),
                                text.line(k).width(),
                                "{scheme} step {step} line {k}: {:?}",
                                text.line(k)
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 1000, "{checked} lines checked");
    }
}
