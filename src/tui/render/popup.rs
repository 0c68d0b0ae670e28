//! The questions: quit with unsaved typed ops, restore the journal of an unsaved session.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::pane;
use crate::tui::app::{App, Mode};

/// The area a window over the screen goes in: centred on the graph panes when it fits within them
/// (`w` x `h` cells), so that it does not cover part of a side pane and cut its border; else
/// centred on `area`.
pub(crate) fn window(area: Rect, graphs: &[Rect], w: u16, h: u16) -> Rect {
    let over = graphs
        .iter()
        .copied()
        .reduce(|a, b| a.union(b))
        .filter(|g| g.width >= w && g.height >= h)
        .unwrap_or(area);
    let w = w.min(over.width);
    let h = h.min(over.height);
    Rect {
        x: over.x + (over.width - w) / 2,
        y: over.y + (over.height - h) / 2,
        width: w,
        height: h,
    }
}

pub fn render(app: &App, frame: &mut Frame, area: Rect, graphs: &[Rect]) {
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
    let r = window(area, graphs, area.width.saturating_sub(4).min(64), 9);
    frame.render_widget(Clear, r);
    let block = pane(app, title, true).style(t.text.bg(t.bg));
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
        r,
    );
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;

    use super::super::fit_tests::{draw_at, s3_swapout_compared_with_anonmm_naive};
    use crate::tui::app::{App, Mode};

    fn draw(app: &App) -> (Buffer, crate::tui::app::FrameInfo) {
        draw_at(app, 120, 40)
    }

    /// Issue 16 item 11: at 120x40 in compare mode the quit question covered the left border of
    /// the inspector. Every side pane's border is the same with the question open as without.
    #[test]
    fn the_question_in_compare_mode_leaves_the_side_panes_borders_alone() {
        let mut app = s3_swapout_compared_with_anonmm_naive();
        let (before, info) = draw(&app);
        app.mode = Mode::ConfirmQuit;
        let (after, _) = draw(&app);
        let sides = [info.walk, info.compare_walk, info.inspector]
            .into_iter()
            .flatten()
            .map(|s| s.area)
            .chain(
                info.timeline
                    .map(|(r, _)| r.outer(ratatui::layout::Margin::new(1, 1))),
            );
        let mut n = 0;
        for r in sides {
            for y in r.y..r.y + r.height {
                for x in [r.x, r.x + r.width - 1] {
                    assert_eq!(
                        before[(x, y)],
                        after[(x, y)],
                        "border cell ({x}, {y}) of {r:?}"
                    );
                    n += 1;
                }
            }
        }
        assert!(n >= 90, "the side panes were checked ({n} cells)");
        let text: String = (0..40)
            .map(|y| (0..120).map(|x| after[(x, y)].symbol()).collect::<String>())
            .collect();
        assert!(
            text.contains("Typed ops are not saved."),
            "the question is shown"
        );
    }
}
