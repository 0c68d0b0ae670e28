//! The step in words: its note, a refusal, the walk in one line, the scheme's events. In compare
//! mode the compared scheme's walk and events are told too: in a pane of their own beside the
//! shown scheme's, or below them under the scheme's name where there is room for one pane only.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::Line;

use super::asciify;
use super::scrolled::{self, Want};
use crate::report::text::walk_line;
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
}

/// The lines that tell what scheme number `scheme` did at the step.
fn scheme_lines(app: &App, scheme: usize, lines: &mut Vec<Line<'static>>) {
    let t = &app.theme;
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
            for e in &r.events {
                lines.push(Line::styled(format!("- {e}"), t.dim));
            }
        }
    }
}

pub fn render(app: &App, frame: &mut Frame, area: Rect, told: Told) -> Scrolled {
    let t = &app.theme;
    let mut lines = Vec::new();
    let compared = app.shown.compare();
    let step = app.step().checked_sub(1);
    if told != Told::Compared {
        let note = match step {
            None => Some(&app.scenario().about),
            Some(i) => app.scenario().steps[i].note.as_ref(),
        };
        if let Some(n) = note {
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
                scheme_lines(app, app.shown.scheme(), &mut lines);
            }
            (Told::Compared, Some(c)) => scheme_lines(app, c, &mut lines),
            (Told::Both, Some(c)) => {
                for s in [app.shown.scheme(), c] {
                    lines.push(Line::styled(
                        format!("{}:", app.scheme_names()[s]),
                        t.header,
                    ));
                    scheme_lines(app, s, &mut lines);
                }
            }
            (Told::Compared, None) => {}
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
