//! The step in words: its note, a refusal, the walk in one line, the scheme's events. In compare
//! mode the compared scheme's walk and events are told too: in a pane of their own beside the
//! shown scheme's, or below them under the scheme's name where there is room for one pane only.
//! Each scheme's part says what changed since the step before. Presenter mode shows the note,
//! the walks and the changes as a caption ([`caption_lines`]). While the quiz reveals the walk
//! ([`App::walk_revealed`]), only the candidates revealed are told: the note, what changed and
//! the events tell the walk's end, so they wait for it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::Line;

use super::asciify;
use super::scrolled::{self, Want};
use crate::report::diff;
use crate::report::text::{visits_line, walk_line};
use crate::tui::app::App;
use crate::tui::scroll::{Scrolled, Side};

/// Which schemes a narrative pane tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Told {
    /// The shown scheme, with the step's note.
    Shown,
    /// The compared scheme, without the note (the pane beside says it).
    Compared,
    /// The note, the shown scheme, then the compared one (when there is one).
    Both,
    /// Presenter mode's caption: the note, each scheme's walk and what changed, no events.
    Caption,
}

/// The lines that tell what scheme number `scheme` did at the step: a refusal, the walk, what
/// changed since the step before (the graph underlines it), and the events unless `events` is
/// false.
fn scheme_lines(app: &App, scheme: usize, events: bool, lines: &mut Vec<Line<'static>>) {
    let t = &app.theme;
    if let Some(k) = app.walk_revealed() {
        lines.push(revealing_line(app, scheme, k));
        return;
    }
    match app.result(scheme) {
        None => lines.push(Line::styled("simulating...", t.dim)),
        Some(r) => {
            if let Some(e) = &r.error {
                lines.push(Line::styled(format!("refused: {e}"), t.error));
            }
            if let Some(w) = &r.walk {
                let style = if w.lost.is_empty() { t.path } else { t.lost };
                lines.push(Line::styled(walk_line(w), style));
            }
            if let Some(p) = app.views.panes().iter().find(|p| p.scheme == scheme) {
                lines.push(Line::styled(
                    asciify(
                        &format!("changed: {}", diff::summary(&p.changes.diff)),
                        app.ascii,
                    ),
                    t.info,
                ));
            }
            if events {
                for e in &r.events {
                    lines.push(Line::styled(format!("- {e}"), t.dim));
                }
            }
        }
    }
}

/// While the quiz reveals the shown scheme's walk, its first `k` candidates; another scheme's
/// walk waits for the end of the reveal.
fn revealing_line(app: &App, scheme: usize, k: usize) -> Line<'static> {
    let t = &app.theme;
    match app.walk() {
        Some(w) if scheme == app.shown.scheme() => Line::styled(
            format!(
                "{} ... ({k} of {} candidates revealed)",
                visits_line(&w.first(k)),
                w.visits.len()
            ),
            t.path,
        ),
        _ => Line::styled(
            format!(
                "told once the quiz has revealed the walk under {}",
                app.scheme_name()
            ),
            t.dim,
        ),
    }
}

/// The step's note, kept back while the quiz reveals the walk (it tells how the walk ends).
fn note(app: &App) -> Option<&String> {
    if app.walk_revealed().is_some() {
        return None;
    }
    match app.step().checked_sub(1) {
        None => Some(&app.scenario().about),
        Some(i) => app.scenario().steps.get(i).and_then(|s| s.note.as_ref()),
    }
}

/// Presenter mode's caption: the step's note, then for each scheme shown its walk and what
/// changed (under the scheme's name in compare mode).
pub fn caption_lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut lines = Vec::new();
    if let Some(n) = note(app) {
        lines.push(Line::styled(
            asciify(n, app.ascii),
            t.text.add_modifier(Modifier::ITALIC | Modifier::BOLD),
        ));
    }
    if app.step() > 0 {
        let compared = app.shown.compare();
        for s in std::iter::once(app.shown.scheme()).chain(compared) {
            if compared.is_some() {
                lines.push(Line::styled(
                    format!("{}:", app.scheme_names()[s]),
                    t.header,
                ));
            }
            scheme_lines(app, s, false, &mut lines);
        }
    }
    lines
}

pub fn render(app: &App, frame: &mut Frame, area: Rect, told: Told) -> Scrolled {
    let t = &app.theme;
    if told == Told::Caption {
        let step = match app.step() {
            0 => "the start".to_string(),
            n => format!("step {n}/{}", app.len()),
        };
        let title = format!(" {step} ");
        let want = Want::Top(app.side_top(Side::Narrative).unwrap_or(0));
        return scrolled::render(
            app,
            frame,
            area,
            title,
            caption_lines(app),
            Vec::new(),
            want,
        );
    }
    let mut lines = Vec::new();
    let compared = app.shown.compare();
    let step = app.step().checked_sub(1);
    if told != Told::Compared {
        if let Some(n) = note(app) {
            lines.push(Line::styled(
                asciify(n, app.ascii),
                t.text.add_modifier(Modifier::ITALIC),
            ));
        }
        if step.is_none() && app.is_empty() {
            lines.push(Line::styled(
                "An empty scenario: type an op with : (for example :mmap 1 0x10000 4 rw)",
                t.info,
            ));
        }
    }
    if step.is_some() {
        match (told, compared) {
            (Told::Shown, _) | (Told::Both, None) => {
                scheme_lines(app, app.shown.scheme(), true, &mut lines);
            }
            (Told::Compared, Some(c)) => scheme_lines(app, c, true, &mut lines),
            (Told::Both, Some(c)) => {
                for s in [app.shown.scheme(), c] {
                    lines.push(Line::styled(
                        format!("{}:", app.scheme_names()[s]),
                        t.header,
                    ));
                    scheme_lines(app, s, true, &mut lines);
                }
            }
            (Told::Compared, None) | (Told::Caption, _) => {}
        }
    }
    let title = match (told, compared) {
        (Told::Compared, Some(c)) => format!(" {} ", app.scheme_names()[c]),
        (Told::Both, Some(c)) => format!(" {} vs {} ", app.scheme_name(), app.scheme_names()[c]),
        _ => format!(" {} ", app.scheme_name()),
    };
    let want = Want::Top(app.side_top(Side::Narrative).unwrap_or(0));
    scrolled::render(app, frame, area, title, lines, Vec::new(), want)
}
