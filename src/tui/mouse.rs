//! The mouse (opt-in with `--mouse` or `m`): a click selects a node of a graph pane, a step of
//! the steps list or a scheme of the compare table; the wheel scrolls the pane under the
//! pointer (a graph, the steps list, the walk, the inspector, the narrative; over the header,
//! the compare table or the footer it does nothing). Hit-testing uses the rectangles of the
//! last draw ([`super::app::FrameInfo`]), never a layout computed here.

use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

use super::app::{App, Focus, Mode};
use super::keymap::Action;
use super::scroll::{WHEEL_ROWS, inside};

impl App {
    pub(crate) fn mouse_event(&mut self, m: MouseEvent) {
        if !self.mouse || self.mode != Mode::Normal {
            return;
        }
        let (col, row) = (m.column, m.row);
        let graph = self.frame.graphs.iter().position(|g| inside(g.0, col, row));
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                // A click aims at what the last frame showed.
                if let Some(i) = graph {
                    let (r, top, left) = self.frame.graphs[i];
                    let x = col - r.x + left;
                    let folded = self.frame.graph_rows.get(i).and_then(Option::as_ref);
                    let y = match folded {
                        Some(rows) => match rows.get((row - r.y) as usize) {
                            Some(&y) => y,
                            None => return,
                        },
                        None => (row - r.y) as u32 + top,
                    };
                    // The node of the band shown, by its id in the whole graph.
                    let hit = self.sheet(i, Some(r.width)).and_then(|s| {
                        let n = s.layout.hit(x, y)?;
                        Some(s.id(n).to_string())
                    });
                    if let Some(id) = hit {
                        self.selection.point_at(id);
                        self.focus = Focus::Graph;
                    }
                } else if let Some((r, first)) = self.frame.timeline
                    && inside(r, col, row)
                {
                    let k = first + (row - r.y) as usize;
                    if k <= self.len() {
                        self.step_to(k);
                        self.focus = Focus::Steps;
                    }
                } else if let Some((r, first)) = self.frame.compare
                    && inside(r, col, row)
                {
                    let k = first + (row - r.y) as usize;
                    if k < self.scheme_names().len() {
                        self.action(Action::Scheme(k));
                    }
                }
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let down = m.kind == MouseEventKind::ScrollDown;
                if let Some(i) = graph {
                    self.scroll_graph_rows(i, down, WHEEL_ROWS as u32);
                } else if let Some(side) = self.side_at(col, row) {
                    let rows = WHEEL_ROWS as isize;
                    self.scroll_side(side, if down { rows } else { -rows });
                }
            }
            _ => {}
        }
    }
}
