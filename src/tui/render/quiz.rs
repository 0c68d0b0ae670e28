//! The quiz window: the walk asked about, each candidate with the prediction typed and, as
//! they are revealed, what the walk did there; the LOST ptes; the score.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::{cut, pane};
use crate::tui::app::App;

/// One row of the window: the candidate, the prediction, and the walk's outcome once revealed.
fn row(app: &App, label: String, you: String, walk: Option<(String, bool)>) -> Line<'static> {
    let t = &app.theme;
    let mut spans = vec![
        Span::styled(format!(" {label:<34}"), t.text),
        Span::styled(format!(" you {you:<6}"), t.key),
    ];
    match walk {
        None => spans.push(Span::styled(" walk ?", t.dim)),
        Some((what, right)) => {
            spans.push(Span::styled(format!(" walk {what:<6}"), t.text));
            let (word, style) = if right {
                (" right", t.info)
            } else {
                (" WRONG", t.error)
            };
            spans.push(Span::styled(word, style));
        }
    }
    Line::from(spans)
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let Some(quiz) = app.quiz() else { return };
    let Some(a) = &quiz.asked else { return };
    let t = &app.theme;
    let q = &a.question;
    let n = q.candidates.len();
    let w = area.width.saturating_sub(4).min(76);
    let inner = w.saturating_sub(2) as usize;
    // Header lines, the candidates, the LOST row, the score or the keys.
    // Two lines above the candidates, three or four below, two borders; the footer and the
    // header stay visible.
    let room = area.height.saturating_sub(4) as usize;
    let shown_rows = n.min(room.saturating_sub(8)).max(1);
    let h = (shown_rows + 8).min(room) as u16;
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + area.height.saturating_sub(h + 2),
        width: w,
        height: h,
    };
    let mut lines = vec![Line::styled(
        cut(
            &format!(
                "step {} {} under {}: {} {} (mapcount {})",
                q.step,
                q.op,
                a.scheme,
                q.kind.as_str(),
                q.page,
                q.mapcount
            ),
            inner,
            app.ascii,
        ),
        t.title,
    )];
    let hint = if a.mark.is_none() {
        "h HIT  m MISS  o OUT  s SKIP (capital: all left), 0-9 the LOST ptes, Enter"
    } else if a.done() {
        "Enter closes (then step on to the next walk); Q ends the quiz"
    } else {
        "space, l or Enter: the next candidate; Q ends the quiz"
    };
    lines.push(Line::styled(cut(hint, inner, app.ascii), t.dim));
    // The rows around the candidate being typed or revealed.
    let focus = if a.mark.is_none() {
        a.typed.len()
    } else {
        a.revealed.saturating_sub(1)
    };
    let first = focus
        .saturating_sub(shown_rows / 2)
        .min(n.saturating_sub(shown_rows));
    for (i, c) in q.candidates.iter().enumerate().skip(first).take(shown_rows) {
        let you = a.typed.get(i).map_or_else(
            || {
                if i == a.typed.len() {
                    "_".into()
                } else {
                    String::new()
                }
            },
            |o| o.as_str().to_string(),
        );
        let walk = (a.mark.is_some() && i < a.revealed).then(|| {
            let right = a.mark.as_ref().is_some_and(|m| m.right[i]);
            (c.outcome.as_str().to_string(), right)
        });
        lines.push(row(app, format!("#{} {}", i + 1, c.describe()), you, walk));
    }
    if n == 0 {
        lines.push(Line::styled(" the walk visits no candidate", t.dim));
    }
    let lost_you = if a.typed.len() == n && a.mark.is_none() {
        format!("{}_", a.lost)
    } else if a.lost.is_empty() {
        "0".to_string()
    } else {
        a.lost.clone()
    };
    let lost_walk = a.done().then(|| {
        let right = a.mark.as_ref().is_some_and(|m| m.lost_right);
        (q.lost.len().to_string(), right)
    });
    lines.push(row(app, "LOST ptes".to_string(), lost_you, lost_walk));
    if a.done() {
        let lost: Vec<String> = q
            .lost
            .iter()
            .map(|l| format!("pid {} {:#x}", l.pid, l.addr))
            .collect();
        if !lost.is_empty() {
            lines.push(Line::styled(
                cut(&format!(" LOST: {}", lost.join(", ")), inner, app.ascii),
                t.error,
            ));
        }
    }
    let score = match &a.mark {
        Some(m) if a.done() => format!(
            "this walk {}/{}; the quiz so far {}",
            m.points, m.of, quiz.score
        ),
        _ => format!("the quiz so far {}", quiz.score),
    };
    lines.push(Line::styled(cut(&score, inner, app.ascii), t.info));
    frame.render_widget(Clear, r);
    let block = pane(app, " quiz: what will the walk find? ", true).style(t.text.bg(t.bg));
    frame.render_widget(Paragraph::new(lines).block(block), r);
}
