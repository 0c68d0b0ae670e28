//! The text pages over the screen ([`crate::tui::overlay`]): the difference between two steps
//! and the claims checked, wrapped to the window and scrolled.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{asciify, pane};
use crate::claims::text::{LineKind, lines as claim_lines};
use crate::report::diff;
use crate::scenario::opline;
use crate::tui::app::App;
use crate::tui::overlay::Sheet;

/// "step 3 (fork 1 2)", or "the start".
fn state_name(app: &App, step: usize) -> String {
    match step.checked_sub(1) {
        None => "the start".to_string(),
        Some(i) => match app.scenario().steps.get(i) {
            Some(s) => format!("step {step} ({})", opline::format(&s.op)),
            None => format!("step {step}"),
        },
    }
}

/// The page's title and its lines, for a window `width` cells wide inside its border.
pub fn content(app: &App, sheet: &Sheet, width: u16) -> (String, Vec<Line<'static>>) {
    let t = &app.theme;
    match sheet {
        Sheet::Diff {
            scheme,
            from,
            to,
            diff: d,
        } => {
            let name = app.scheme_names().get(*scheme).copied().unwrap_or("?");
            let mut out = vec![
                Line::styled(
                    format!(
                        "from {} to {}",
                        state_name(app, *from),
                        state_name(app, *to)
                    ),
                    t.title,
                ),
                Line::styled(format!("under {name}: {}", diff::summary(d)), t.info),
                Line::raw(""),
            ];
            for l in diff::lines(d, usize::MAX) {
                let style = if l.starts_with(' ') { t.text } else { t.header };
                out.push(Line::styled(asciify(&l, app.ascii), style));
            }
            (format!(" diff {from} -> {to} "), out)
        }
        Sheet::Claims(Err(e)) => (
            " claims ".to_string(),
            vec![Line::styled(e.clone(), t.error)],
        ),
        Sheet::Claims(Ok(report)) => {
            let out = claim_lines(report, usize::from(width.max(40)))
                .into_iter()
                .map(|l| {
                    let style = match l.kind {
                        LineKind::Heading => t.title,
                        LineKind::Quote => t.text.add_modifier(ratatui::style::Modifier::ITALIC),
                        LineKind::Scenario => t.dim,
                        LineKind::Finding => t.text,
                        LineKind::Verdict => t.path,
                        LineKind::Note => t.info,
                        LineKind::Blank => t.text,
                    };
                    Line::styled(asciify(&l.text, app.ascii), style)
                })
                .collect();
            (" the 2004 claims, checked now ".to_string(), out)
        }
    }
}

/// Draws the page over `area`; returns the rows it shows and the lines it has (for the keys
/// that scroll it).
pub fn render(app: &App, frame: &mut Frame, area: Rect) -> Option<(u16, u16)> {
    let o = app.overlay.as_ref()?;
    // At most 100 columns of text: `rmapviz claims`'s width.
    let w = area.width.saturating_sub(2).min(102);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + 1,
        width: w,
        height: area.height.saturating_sub(2),
    };
    let inner_w = w.saturating_sub(2);
    let (title, lines) = content(app, &o.sheet, inner_w);
    let rows = r.height.saturating_sub(2);
    let p = Paragraph::new(lines).wrap(Wrap { trim: false });
    let total = p.line_count(inner_w.max(1)) as u16;
    let top = o.scroll.min(total.saturating_sub(rows));
    let (keys, sides) = if app.ascii {
        ("Up/Down", "Left/Right")
    } else {
        ("↑/↓", "←/→")
    };
    let steps = match o.sheet {
        Sheet::Diff { .. } => format!(" {sides} step,"),
        Sheet::Claims(_) => String::new(),
    };
    let end = (top + rows).min(total);
    let note = format!(
        " lines {}-{end} of {total}, {keys} scroll,{steps} Esc closes ",
        top + 1
    );
    let block = pane(app, title, true)
        .title_bottom(Line::styled(note, app.theme.dim).right_aligned())
        .style(app.theme.text.bg(app.theme.bg));
    frame.render_widget(Clear, r);
    frame.render_widget(p.block(block).scroll((top, 0)), r);
    Some((rows, total))
}
