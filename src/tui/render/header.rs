//! The header: scenario title, step i/n, the op, the scheme(s). A narrow header shortens the
//! least important parts first: the eras, the word "scheme", the op's long form, the schemes'
//! numbers; the schemes' names only when nothing else is left to shorten.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::{asciify, cut};
use crate::scenario::opline;
use crate::tui::app::App;

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let t = &app.theme;
    let w = area.width as usize;
    // A step asked for but still simulating is named beside the step shown (which is what
    // every pane shows until then).
    let step = match app.target() {
        Some((n, done)) => format!(
            " step {}/{} {} {n}: simulating {done}/{n} ",
            app.step(),
            app.len(),
            if app.ascii { "->" } else { "→" }
        ),
        None => format!(" step {}/{} ", app.step(), app.len()),
    };
    let title = format!(" rmapviz: {}", app.scenario().title);
    let step_width = step.chars().count();
    let title = cut(&title, w.saturating_sub(step_width), app.ascii);
    let pad = w.saturating_sub(title.chars().count() + step_width);
    let line1 = Line::from(vec![
        Span::styled(title, t.header),
        Span::styled(" ".repeat(pad), t.text),
        Span::styled(step, t.title),
    ]);
    let (op, scheme) = line2(app, w);
    let pad = w.saturating_sub(op.width() + scheme.width() + 1);
    let line2 = Line::from(vec![
        Span::styled(op, t.text),
        Span::styled(" ".repeat(pad), t.text),
        Span::styled(scheme, t.title),
        Span::styled(" ", t.text),
    ]);
    frame.render_widget(Paragraph::new(vec![line1, line2]), area);
}

/// The second line's op (with its leading blank) and scheme(s): the most detailed pair of texts
/// that fits `w` cells with a blank between them and one after.
fn line2(app: &App, w: usize) -> (String, String) {
    let (long, short) = match app.step().checked_sub(1) {
        Some(i) => {
            let op = &app.scenario().steps[i].op;
            (op.to_ron_line(), opline::format(op))
        }
        None => ("(before the first step)".to_string(), "(start)".to_string()),
    };
    let n = app.scheme_names().len();
    let names = app.scheme_names();
    let era = |i: usize| format!(" ({})", app.scheme_info(i).era);
    // (the word "scheme", the numbers, the shown scheme's era, the compared one's era)
    let scheme_text = |word: bool, nums: bool, era1: bool, era2: bool| {
        let mut s = String::new();
        if word {
            s.push_str("scheme ");
        }
        if nums {
            s.push_str(&format!("{}/{n} ", app.shown.scheme() + 1));
        }
        s.push_str(names[app.shown.scheme()]);
        if era1 {
            s.push_str(&era(app.shown.scheme()));
        }
        if let Some(c) = app.shown.compare() {
            s.push_str(" vs ");
            if nums {
                s.push_str(&format!("{} ", c + 1));
            }
            s.push_str(names[c]);
            if era2 {
                s.push_str(&era(c));
            }
        }
        asciify(&s, app.ascii)
    };
    // From the most detailed to the least: (scheme text, op text).
    let choices = [
        (scheme_text(true, true, true, true), &long),
        (scheme_text(true, true, true, false), &long),
        (scheme_text(true, true, false, false), &long),
        (scheme_text(false, true, false, false), &long),
        (scheme_text(false, true, false, false), &short),
        (scheme_text(false, false, false, false), &short),
    ];
    for (scheme, op) in &choices {
        // A blank before the op, one between, one after.
        if op.width() + scheme.width() + 3 <= w {
            return (format!(" {op}"), scheme.clone());
        }
    }
    // Not even the names and the short op fit: the op gets what the names leave, at least a
    // few cells, and the names are cut only when that is not enough.
    let (scheme, _) = &choices[choices.len() - 1];
    let op_room = w
        .saturating_sub(scheme.width() + 3)
        .max(short.width().min(8));
    let op = cut(&format!(" {short}"), op_room + 1, app.ascii);
    let scheme = cut(scheme, w.saturating_sub(op.width() + 2), app.ascii);
    (op, scheme)
}
