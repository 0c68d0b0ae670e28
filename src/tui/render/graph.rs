//! A graph pane: the laid-out graph of one scheme at the step, drawn through a viewport that
//! follows the selection (or the wheel), only the visible rows touched. The walk path is drawn
//! heavier and in the accent colour, the candidate followed with `n` / `N` reversed, LOST ptes
//! with a loud badge, so that colour is never the only cue.

use std::collections::HashSet;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use unicode_width::UnicodeWidthStr;

use super::walk::outcome_style;
use super::{asciify, cut, pane};
use crate::tui::app::{App, Focus};
use crate::tui::keymap::{Action, first_key};
use crate::view::glyph::{self, LineStyle};
use crate::view::route::raster;
use crate::view::{Detail, Node, NodeKind, Placed};

/// Where the viewport of a pane of `h` rows and `w` cells starts.
pub fn viewport(app: &App, pane_index: usize, h: u32, w: u16) -> (u32, u16) {
    let Some(p) = app.views.panes().get(pane_index) else {
        return (0, 0);
    };
    let l = p.view.fit(w);
    let (mut top, mut left) = app.selection.scroll();
    if app.selection.follows()
        && let Some(n) = app.selected().and_then(|id| p.view.graph.find(id))
        && let Some(pl) = l.of(n)
    {
        if pl.row < top || pl.row >= top + h {
            top = pl.row.saturating_sub(h / 3);
        }
        // Sideways only while the user moves through the graph: otherwise the mm and vma
        // columns, where the walk's outcomes are, stay in view.
        if app.focus == Focus::Graph && (pl.x < left || pl.end() > left + w) {
            left = if pl.end() > w { pl.end() - w } else { 0 }.min(pl.x);
        }
    }
    let top = top.min(l.height.saturating_sub(h));
    let left = left.min(l.width.saturating_sub(w));
    (top, left)
}

fn node_style(app: &App, n: &Node) -> Style {
    let t = &app.theme;
    if n.walk.walked {
        return t.walked;
    }
    let base = match n.kind {
        NodeKind::Mm => t.mm,
        NodeKind::Vma => t.vma,
        NodeKind::Object => t.object,
        NodeKind::Page => t.page,
        NodeKind::VmaGroup | NodeKind::PageGroup | NodeKind::ObjectGroup => t.group,
    };
    if n.walk.on_path {
        base.patch(t.path)
    } else {
        base
    }
}

/// Draws pane `i`; returns its inner area and the model row / column at its top left.
pub fn render(app: &App, frame: &mut Frame, area: Rect, i: usize) -> (Rect, u32, u16) {
    let t = &app.theme;
    let Some(p) = app.views.panes().get(i) else {
        return (area, 0, 0);
    };
    let g = &p.view.graph;
    let name = app.scheme_names()[p.scheme];
    let mut title = format!(" {} ({}) ", name, app.scheme_info(p.scheme).era);
    if app.views.focus_walk() {
        title.push_str("[focus] ");
    }
    let block = pane(app, title, app.focus == Focus::Graph && i == 0);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width == 0 || inner.height < 2 {
        return (inner, 0, 0);
    }
    // The most detailed layout that fits the pane's width.
    let l = p.view.fit(inner.width);
    // Column headings, then the rows.
    let rows_h = (inner.height - 1) as u32;
    let (top, left) = viewport(app, i, rows_h, inner.width);
    let buf = frame.buffer_mut();
    for (c, name) in l.detail.headings().iter().enumerate() {
        let x = l.columns[c].x as i32 - left as i32;
        if x >= 0 && (x as u16) < inner.width {
            let room = (inner.width - x as u16) as usize;
            buf.set_stringn(inner.x + x as u16, inner.y, name, room, t.dim);
        }
    }
    let y0 = inner.y + 1;
    let style = if app.ascii {
        LineStyle::Ascii
    } else {
        LineStyle::Light
    };
    // The routes of the candidate followed, drawn reversed.
    let mut current: HashSet<(u32, u16)> = HashSet::new();
    if let Some(k) = app.shown.candidate() {
        for r in &l.routes {
            if g.graph[r.edge].candidates.contains(&k) {
                for s in &r.segs {
                    current.extend(raster(s, false, false).into_iter().map(|(k, _)| k));
                }
            }
        }
    }
    let visible = top..(top + rows_h).min(l.height);
    for row in visible.clone() {
        let y = y0 + (row - top) as u16;
        for c in &l.cells[row as usize] {
            if c.x < left || c.x - left >= inner.width {
                continue;
            }
            let x = inner.x + (c.x - left);
            let ch = if c.arrow {
                glyph::arrow(style)
            } else {
                glyph::line(c.mask, c.path, style)
            };
            let st = if current.contains(&(row, c.x)) {
                t.current
            } else if c.path != 0 {
                t.path
            } else {
                t.edge
            };
            let mut tmp = [0u8; 4];
            buf.set_string(x, y, ch.encode_utf8(&mut tmp), st);
        }
        for slot in l.grid[row as usize].iter().flatten() {
            let pl = &l.placed[*slot as usize];
            let Some(n) = pl.node else { continue };
            let node = g.node(n);
            draw_node(app, buf, node, l.detail, pl, left, inner, y);
        }
    }
    // How much is above and below, and beside: the rows on the right of the bottom border, the
    // columns (and the keys that scroll sideways) on its left.
    let above = top;
    let below = l.height.saturating_sub(top + rows_h);
    // Where the rows note starts (the columns note must end before it).
    let mut rows_x = area.x + area.width.saturating_sub(1);
    if area.height > 0 && (above > 0 || below > 0) {
        let hint = format!(
            " rows {}-{} of {} ",
            top + 1,
            (top + rows_h).min(l.height),
            l.height
        );
        rows_x = area.x + area.width.saturating_sub(hint.len() as u16 + 2);
        buf.set_stringn(rows_x, area.y + area.height - 1, &hint, hint.len(), t.dim);
    }
    if area.height > 0 && l.width > inner.width {
        let room = rows_x.saturating_sub(area.x + 1) as usize;
        if let Some(hint) = cols_hint(app, left, inner.width, l.width, room) {
            buf.set_string(area.x + 1, area.y + area.height - 1, &hint, t.dim);
        }
    }
    (
        ratatui::layout::Rect {
            y: y0,
            height: inner.height - 1,
            ..inner
        },
        top,
        left,
    )
}

/// The bottom border's note on a layout `total` cells wide seen through `w` cells from `left`,
/// with the keys that scroll sideways: " cols 1-76 of 130 < > ", shorter (" 1-76/130 < > ",
/// " < > ") when `room` cells are not enough, `None` when not even the keys fit.
pub(crate) fn cols_hint(app: &App, left: u16, w: u16, total: u16, room: usize) -> Option<String> {
    let keys = [Action::ScrollLeft, Action::ScrollRight].map(|a| first_key(a, app.ascii));
    let keys = format!("{} {}", keys[0], keys[1]);
    let (a, b) = (left + 1, (left + w).min(total));
    [
        format!(" cols {a}-{b} of {total} {keys} "),
        format!(" {a}-{b}/{total} {keys} "),
        format!(" {keys} "),
    ]
    .into_iter()
    .find(|h| h.width() <= room)
}

#[allow(clippy::too_many_arguments)]
fn draw_node(
    app: &App,
    buf: &mut ratatui::buffer::Buffer,
    node: &Node,
    detail: Detail,
    pl: &Placed,
    left: u16,
    inner: Rect,
    y: u16,
) {
    let t = &app.theme;
    let selected = app.selected() == Some(node.id.as_str());
    let current = app
        .walk_candidate()
        .is_some_and(|k| node.walk.visits.iter().any(|v| v.candidate == k));
    let (label, badge) = node.parts_at(detail);
    let mut base = node_style(app, node);
    if current {
        base = t.current;
    }
    if selected {
        base = base.patch(t.selected);
    }
    let badge_style = if !node.walk.lost.is_empty() {
        t.lost
    } else if let Some(v) = node.walk.visits.first() {
        if current {
            t.current
        } else {
            outcome_style(t, v.outcome)
        }
    } else {
        base
    };
    let text = match &badge {
        Some(b) => format!("{label} {b}"),
        None => label.clone(),
    };
    let text = asciify(&cut(&text, pl.width as usize, app.ascii), app.ascii);
    let label_len = label.chars().count().min(text.chars().count());
    let spans = if badge.is_some() {
        let (a, b): (String, String) = (
            text.chars().take(label_len).collect(),
            text.chars().skip(label_len).collect(),
        );
        vec![(a, base), (b, badge_style)]
    } else {
        vec![(text, base)]
    };
    // Clip to the viewport horizontally.
    let mut cx = pl.x as i32 - left as i32;
    for (s, st) in spans {
        for ch in s.chars() {
            if cx >= 0 && (cx as u16) < inner.width {
                let mut tmp = [0u8; 4];
                buf.set_string(inner.x + cx as u16, y, ch.encode_utf8(&mut tmp), st);
            }
            cx += 1;
        }
    }
}
