//! The step in words: its note, a refusal, the walk in one line, the scheme's events.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::Line;

use super::asciify;
use super::scrolled::{self, Want};
use crate::report::text::walk_line;
use crate::tui::app::App;
use crate::tui::scroll::{Scrolled, Side};

pub fn render(app: &App, frame: &mut Frame, area: Rect) -> Scrolled {
    let t = &app.theme;
    let mut lines = Vec::new();
    match app.step().checked_sub(1) {
        None => {
            lines.push(Line::styled(
                asciify(&app.scenario().about, app.ascii),
                t.text.add_modifier(Modifier::ITALIC),
            ));
            if app.is_empty() {
                lines.push(Line::styled(
                    "An empty scenario: type an op with : (for example :mmap 1 0x10000 4 rw)",
                    t.info,
                ));
            }
        }
        Some(i) => {
            if let Some(n) = &app.scenario().steps[i].note {
                lines.push(Line::styled(
                    asciify(n, app.ascii),
                    t.text.add_modifier(Modifier::ITALIC),
                ));
            }
            match app.result(app.shown.scheme()) {
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
    }
    let title = format!(" {} ", app.scheme_name());
    let want = Want::Top(app.side_top(Side::Narrative).unwrap_or(0));
    scrolled::render(app, frame, area, title, lines, Vec::new(), want)
}
