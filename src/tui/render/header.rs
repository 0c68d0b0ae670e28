//! The header: scenario title, step i/n, the op, the scheme(s).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{asciify, cut};
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
    let op = match app.step().checked_sub(1) {
        Some(i) => app.scenario().steps[i].to_ron_line(),
        None => "(before the first step)".to_string(),
    };
    let mut scheme = format!(
        "scheme {}/{} {} ({})",
        app.scheme + 1,
        app.scheme_names().len(),
        app.scheme_name(),
        app.scheme_era(app.scheme)
    );
    if let Some(c) = app.compare {
        scheme.push_str(&format!(" vs {} {}", c + 1, app.scheme_names()[c]));
    }
    let scheme = cut(&asciify(&scheme, app.ascii), w / 2, app.ascii);
    let op = cut(
        &format!(" {op}"),
        w.saturating_sub(scheme.len() + 2),
        app.ascii,
    );
    let pad = w.saturating_sub(op.chars().count() + scheme.chars().count() + 1);
    let line2 = Line::from(vec![
        Span::styled(op, t.text),
        Span::styled(" ".repeat(pad), t.text),
        Span::styled(scheme, t.title),
        Span::styled(" ", t.text),
    ]);
    frame.render_widget(Paragraph::new(vec![line1, line2]), area);
}
