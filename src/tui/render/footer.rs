//! The bottom line: the keys that apply now (from the keymap table), a status message, or the
//! command / search line being typed.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::cut;
use crate::tui::app::{App, Focus, Mode};
use crate::tui::keymap::Context;
use crate::tui::keynames::footer;

/// The footer's height in `area`: one line, or up to three for an error message that a line
/// would cut (an error must be read whole), while the terminal keeps 20 lines for the rest.
/// On the command line, an error (a mistyped op, kept open to be fixed) takes lines of its
/// own above the line.
pub fn height(app: &App, area: Rect) -> u16 {
    let prompt = match app.mode {
        Mode::Normal => 0,
        Mode::Command => 1,
        _ => return 1,
    };
    let Some(s) = app.status.as_ref().filter(|s| s.error) else {
        return 1;
    };
    let lines = Paragraph::new(s.text.as_str())
        .wrap(Wrap { trim: false })
        .line_count(area.width) as u16;
    (lines.clamp(1, 3) + prompt).min(area.height.saturating_sub(20).max(1))
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let w = area.width as usize;
    let prompt = match app.mode {
        Mode::Command => Some(":"),
        Mode::Search => Some("/"),
        _ => None,
    };
    if let Some(p) = prompt {
        let mut area = area;
        let above = app.status.as_ref().filter(|s| s.error && area.height > 1);
        if let Some(s) = above {
            // The error whole above the line, which keeps the last row.
            let above = Rect {
                height: area.height - 1,
                ..area
            };
            let p =
                Paragraph::new(Line::styled(s.text.clone(), t.error)).wrap(Wrap { trim: false });
            frame.render_widget(p, above);
            area = Rect {
                y: area.y + area.height - 1,
                height: 1,
                ..area
            };
        }
        let width = w.saturating_sub(1);
        let scroll = app.prompt.scroll(width);
        let text: String = app.prompt.value().chars().skip(scroll).collect();
        let mut spans = vec![Span::styled(p, t.key), Span::styled(text, t.text)];
        // The hint of the line (completions, the op's usage) to the right of what is typed,
        // where there is room for it.
        let used = 1 + app.prompt.value().chars().count().saturating_sub(scroll);
        if let Some(s) = app.status.as_ref().filter(|_| above.is_none()) {
            let room = w.saturating_sub(used + 3);
            if room >= 8 {
                let hint = cut(&s.text, room, app.ascii);
                let pad = w - used - hint.chars().count();
                let style = if s.error { t.error } else { t.dim };
                spans.push(Span::raw(" ".repeat(pad)));
                spans.push(Span::styled(hint, style));
            }
        }
        let line = Line::from(spans);
        frame.render_widget(Paragraph::new(line), area);
        let x = (app.prompt.cursor().max(scroll) - scroll) as u16 + 1;
        frame.set_cursor_position(Position::new(
            area.x + x.min(area.width.saturating_sub(1)),
            area.y,
        ));
        return;
    }
    if let Some(s) = &app.status {
        let style = if s.error { t.error } else { t.info };
        // An error is shown whole (wrapped over up to three lines, see [`height`]); other
        // messages are cut to the line.
        let p = if s.error {
            Paragraph::new(Line::styled(s.text.clone(), style)).wrap(Wrap { trim: false })
        } else {
            Paragraph::new(Line::styled(cut(&s.text, w, app.ascii), style))
        };
        frame.render_widget(p, area);
        return;
    }
    let ctx = match app.focus {
        Focus::Steps => Context::Steps,
        Focus::Graph => Context::Graph,
    };
    let mut right = Vec::new();
    if app.playback.playing() {
        let walk = if app.playback.follows_walk() {
            " + walk"
        } else {
            ""
        };
        right.push(format!("playing {} ms/step{walk}", app.playback.millis()));
    }
    if app.views.focus_walk() {
        right.push("focus".to_string());
    }
    if app.mouse {
        right.push("mouse".to_string());
    }
    if app.dirty {
        right.push("unsaved".to_string());
    }
    let right = right.join(" | ");
    let mut spans = Vec::new();
    let mut used = 0;
    let room = w.saturating_sub(right.len() + 1);
    // `? help` and `q quit` are kept at every width (they come last and the other keys give
    // way to them): a person who sees nothing else must still find the way to help and out.
    let keys = footer(ctx, app.ascii);
    let len = |(keys, word): &(String, &str)| keys.chars().count() + word.len() + 3;
    let kept = |word: &str| matches!(word, "help" | "quit");
    let reserved: usize = keys.iter().filter(|k| kept(k.1)).map(len).sum();
    let mut others = room.saturating_sub(reserved);
    for k in &keys {
        let n = len(k);
        if kept(k.1) {
            if used + n > room {
                continue;
            }
        } else if n > others {
            others = 0;
            continue;
        } else {
            others -= n;
        }
        spans.push(Span::styled(format!(" {}", k.0), t.key));
        spans.push(Span::styled(format!(" {} ", k.1), t.dim));
        used += n;
    }
    spans.push(Span::styled(" ".repeat(room.saturating_sub(used)), t.text));
    spans.push(Span::styled(right, t.info));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
