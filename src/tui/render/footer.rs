//! The bottom line: the keys that apply now (from the keymap table), a status message, or the
//! command / search line being typed.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::cut;
use crate::tui::app::{App, Focus, Mode};
use crate::tui::keymap::{Context, footer};

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let w = area.width as usize;
    let prompt = match app.mode {
        Mode::Command => Some(":"),
        Mode::Search => Some("/"),
        _ => None,
    };
    if let Some(p) = prompt {
        let width = w.saturating_sub(1);
        let scroll = app.prompt.scroll(width);
        let text: String = app.prompt.value().chars().skip(scroll).collect();
        let mut spans = vec![Span::styled(p, t.key), Span::styled(text, t.text)];
        // The hint of the line (completions, the op's usage) to the right of what is typed,
        // where there is room for it.
        let used = 1 + app.prompt.value().chars().count().saturating_sub(scroll);
        if let Some(s) = &app.status {
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
        frame.render_widget(
            Paragraph::new(Line::styled(cut(&s.text, w, app.ascii), style)),
            area,
        );
        return;
    }
    let ctx = match app.focus {
        Focus::Steps => Context::Steps,
        Focus::Graph => Context::Graph,
    };
    let mut right = Vec::new();
    if app.playback.playing() {
        right.push(format!("playing {} ms/step", app.playback.millis()));
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
    for (keys, word) in footer(ctx, app.ascii) {
        let len = keys.chars().count() + word.len() + 3;
        if used + len > room {
            break;
        }
        spans.push(Span::styled(format!(" {keys}"), t.key));
        spans.push(Span::styled(format!(" {word} "), t.dim));
        used += len;
    }
    spans.push(Span::styled(" ".repeat(room.saturating_sub(used)), t.text));
    spans.push(Span::styled(right, t.info));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
