//! The steps: every op in the short syntax, the cursor on the shown step, refused steps marked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{cut, pane};
use crate::model::Op;
use crate::scenario::opline;
use crate::tui::app::{App, Focus};
use crate::tui::scroll::Side;

/// Draws the list; returns its inner area and the step number of its first line.
pub fn render(app: &App, frame: &mut Frame, area: Rect) -> (Rect, usize) {
    let t = &app.theme;
    // The longest title that fits the border whole: a number is never cut into another one.
    let room = (area.width as usize).saturating_sub(2);
    let title = [
        format!(" steps {}/{} ", app.step(), app.len()),
        format!(" {}/{} ", app.step(), app.len()),
        format!("{}/{}", app.step(), app.len()),
        format!(" {} ", app.step()),
    ]
    .into_iter()
    .find(|t| t.chars().count() <= room)
    .unwrap_or_default();
    let block = pane(app, title, app.focus == Focus::Steps);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let h = inner.height as usize;
    // Line k shows step k (0 = the start); the cursor in the middle unless the list was
    // scrolled (the wheel) since the step changed.
    let total = app.len() + 1;
    let first = app
        .side_top(Side::Steps)
        .unwrap_or(app.step().saturating_sub(h / 2))
        .min(total.saturating_sub(h));
    // Step numbers as wide as the last one.
    let digits = total.saturating_sub(1).max(1).ilog10() as usize + 1;
    let mut lines = Vec::new();
    for k in first..(first + h).min(total) {
        let cur = k == app.step();
        let mark = if cur {
            if app.ascii { ">" } else { "▶" }
        } else {
            " "
        };
        let (text, refused, note) = if k == 0 {
            ("start".to_string(), false, false)
        } else {
            let step = &app.scenario().steps[k - 1];
            let refused = app
                .session
                .result(app.shown.scheme(), k - 1)
                .is_some_and(|r| r.error.is_some());
            (row_text(&step.op, app.ascii), refused, step.note.is_some())
        };
        let flag = if refused {
            "!"
        } else if note {
            "*"
        } else {
            " "
        };
        let body = cut(
            &format!("{mark}{k:>digits$}{flag}{text}"),
            inner.width as usize,
            app.ascii,
        );
        let style = if cur {
            t.selected
        } else if refused {
            t.error
        } else {
            t.text
        };
        lines.push(Line::from(Span::styled(body, style)));
    }
    frame.render_widget(Paragraph::new(lines), inner);
    (inner, first)
}

/// A step's op in the short syntax, a fork written parent -> child (`fork 1→3`) so that a row
/// cut short still says which fork it is.
fn row_text(op: &Op, ascii: bool) -> String {
    match op {
        Op::Fork { pid, child } => {
            format!("fork {pid}{}{child}", if ascii { ">" } else { "→" })
        }
        _ => opline::format(op),
    }
}
