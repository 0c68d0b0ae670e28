//! The questions: quit with unsaved typed ops, restore the journal of an unsaved session.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::pane;
use crate::tui::app::{App, Mode};

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let (title, lines) = match &app.mode {
        Mode::ConfirmQuit => (
            " quit? ",
            vec![
                Line::styled("Typed ops are not saved.", t.error),
                Line::raw(""),
                Line::styled("y  quit anyway (the journal is removed)", t.text),
                Line::styled("n  stay (save with :w FILE)", t.text),
            ],
        ),
        Mode::OfferRestore => {
            let Some(o) = app.restores.first() else {
                return;
            };
            let e = &o.entry;
            let more = match app.restores.len() - 1 {
                0 => String::new(),
                n => format!(" ({n} more after it)"),
            };
            (
                " restore? ",
                vec![
                    Line::styled(
                        format!(
                            "An unsaved session was found ({}, from {}): {} steps, at step {}{more}.",
                            e.when,
                            e.origin,
                            e.scenario.steps.len(),
                            e.step
                        ),
                        t.info,
                    ),
                    Line::raw(""),
                    Line::styled("y  restore it", t.text),
                    Line::styled("n  discard it", t.text),
                    Line::styled("Esc  keep it for a later start", t.text),
                ],
            )
        }
        _ => return,
    };
    let w = area.width.saturating_sub(4).min(64);
    let h = 9.min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, r);
    let block = pane(app, title, true).style(t.text.bg(t.bg));
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        r,
    );
}
