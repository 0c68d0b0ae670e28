//! A graph pane: the laid-out graph of one scheme at the step, drawn through a viewport that
//! follows the selection (or the wheel), only the visible rows touched. The walk path is drawn
//! heavier and in the accent colour, the candidate followed with `n` / `N` reversed, LOST ptes
//! with a loud badge, so that colour is never the only cue. What changed since the previous
//! step is underlined (a new node bold too).

use std::collections::HashSet;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use unicode_width::UnicodeWidthStr;

use super::walk::outcome_style;
use super::{asciify, cut, pane};
use crate::tui::app::sheet::Sheet;
use crate::tui::app::{App, Focus};
use crate::tui::keymap::Action;
use crate::tui::keynames::first_key;
use crate::view::cells::raster;
use crate::view::glyph::{self, LineStyle};
use crate::view::{Change, Detail, Node, NodeKind, Placed};

/// The rows of the walk's nodes in pane `i` (the walked page and every candidate), sorted, when
/// the pane keeps the walk in view: the graph follows the selection and, in the main pane, the
/// selection is on the walk or nothing is selected (the compared pane always shows its walk).
fn walk_rows<'l>(app: &App, i: usize, s: &Sheet<'l>) -> Option<&'l [u32]> {
    s.graph.walk.as_ref()?;
    if !app.selection.follows() {
        return None;
    }
    let w = s.layout.walk_rows(s.graph);
    let on_walk = app
        .selected()
        .and_then(|id| s.graph.find(id))
        .is_none_or(|n| w.nodes.binary_search(&n).is_ok());
    if i == 0 && !on_walk {
        return None;
    }
    (!w.rows.is_empty()).then_some(&w.rows)
}

/// The rows each graph pane needs to show its walk whole: the walk's distinct rows (the walked
/// page and the candidates, folded together by [`shown_rows`]), its border and its headings.
pub fn rows_for_walks(app: &App) -> Vec<u16> {
    (0..app.views.panes().len())
        .filter_map(|i| app.sheet(i, None))
        .map(|s| {
            let rows = s.layout.walk_rows(s.graph).rows.len();
            rows.min(u16::MAX as usize / 4) as u16 + 3
        })
        .collect()
}

/// Where the viewport of a pane of `h` rows and `w` cells starts. The walked page and the
/// walk's candidates are kept in view while the graph follows the walk (they are folded
/// together by [`shown_rows`] when they are more rows apart than the pane has).
pub fn viewport(app: &App, pane_index: usize, h: u32, w: u16) -> (u32, u16) {
    let Some(s) = app.sheet(pane_index, Some(w)) else {
        return (0, 0);
    };
    let l = s.layout;
    let (mut top, mut left) = app.selection.scroll();
    if let Some(rows) = walk_rows(app, pane_index, &s) {
        let (lo, hi) = (rows[0], rows[rows.len() - 1]);
        if hi >= top + h {
            top = (hi + 1).saturating_sub(h);
        }
        if lo < top || hi - lo >= h {
            top = lo;
        }
    } else if app.selection.follows()
        && let Some(n) = app.selected().and_then(|id| s.graph.find(id))
        && let Some(pl) = l.of(n)
        && (pl.row < top || pl.row >= top + h)
    {
        top = pl.row.saturating_sub(h / 3);
    }
    if app.selection.follows()
        && app.focus == Focus::Graph
        && pane_index == 0
        && let Some(n) = app.selected().and_then(|id| s.graph.find(id))
        && let Some(pl) = l.of(n)
        && (pl.x < left || pl.end() > left + w)
    {
        // Sideways only while the user moves through the graph: otherwise the mm and vma
        // columns, where the walk's outcomes are, stay in view.
        left = if pl.end() > w { pl.end() - w } else { 0 }.min(pl.x);
    }
    let top = top.min(l.height.saturating_sub(h));
    let left = left.min(l.width.saturating_sub(w));
    (top, left)
}

/// The model rows pane `pane_index` shows in `h` rows: `top..top + h` of [`viewport`], or, when
/// the walk's nodes are more than `h` rows apart and the pane keeps the walk in view, a fold:
/// the rows of the walk's nodes, then of the nodes on its path, then their nearest neighbours,
/// as many as fit, in order (the lanes between them run on; the border says rows are folded).
/// The second value says whether the rows are folded.
pub fn shown_rows(app: &App, pane_index: usize, h: u32, w: u16) -> (Vec<u32>, bool) {
    let (top, _) = viewport(app, pane_index, h, w);
    let Some(s) = app.sheet(pane_index, Some(w)) else {
        return (Vec::new(), false);
    };
    let l = s.layout;
    let plain = || (top..(top + h).min(l.height)).collect::<Vec<u32>>();
    let Some(key) = walk_rows(app, pane_index, &s) else {
        return (plain(), false);
    };
    let (lo, hi) = (key[0], key[key.len() - 1]);
    if hi - lo < h {
        return (plain(), false);
    }
    let walk = l.walk_rows(s.graph);
    let on_path = |r: &u32| walk.path.binary_search(r).is_ok();
    // The distance from row r to the nearest of the walk's rows (sorted).
    let near = |r: u32| {
        let k = key.partition_point(|&x| x < r);
        [k.checked_sub(1), Some(k)]
            .into_iter()
            .flatten()
            .filter_map(|k| key.get(k))
            .map(|&x| x.abs_diff(r))
            .min()
            .unwrap_or(0)
    };
    let mut others: Vec<u32> = (lo..=hi)
        .filter(|r| key.binary_search(r).is_err())
        .collect();
    others.sort_by_cached_key(|&r| (!on_path(&r), near(r), r));
    // The walked page first: a walk of more candidates than the pane has rows (S4's
    // checkerboard, compare mode on a small screen) shows its page and the first candidates.
    let page = walk.page;
    let mut rows: Vec<u32> = page
        .into_iter()
        .chain(key.iter().copied().filter(|&r| Some(r) != page))
        .chain(others)
        .take(h as usize)
        .collect();
    rows.sort_unstable();
    (rows, true)
}
/// The style of a node's text (its badge aside): by kind, the walk's path and the walked page.
pub(crate) fn node_style(app: &App, n: &Node) -> Style {
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

/// Where a graph pane was drawn: its rows' area, the model row and column at its top left, the
/// model row of each screen row when the rows are folded ([`shown_rows`]), and how many model
/// rows were drawn.
pub type Drawn = (Rect, u32, u16, Option<Vec<u32>>, usize);

/// Draws pane `i`; returns where it went.
pub fn render(app: &App, frame: &mut Frame, area: Rect, i: usize) -> Drawn {
    let t = &app.theme;
    let Some(p) = app.views.panes().get(i) else {
        return (area, 0, 0, None, 0);
    };
    let name = app.scheme_names()[p.scheme];
    let mut title = format!(" {} ({}) ", name, app.scheme_info(p.scheme).era);
    if app.views.focus_walk() {
        title.push_str("[focus] ");
    }
    // The pane's inner width (the block's borders aside), for the band's note in the title.
    let width = area.width.saturating_sub(2);
    let Some(s) = app.sheet(i, Some(width)) else {
        return (area, 0, 0, None, 0);
    };
    if let Some(note) = s.note() {
        title.push_str(&note);
        title.push(' ');
    }
    let block = pane(app, title, app.focus == Focus::Graph && i == 0);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width == 0 || inner.height < 2 {
        return (inner, 0, 0, None, 0);
    }
    // The most detailed layout that fits the pane's width (of the band shown).
    let s = app.sheet(i, Some(inner.width)).unwrap_or(s);
    let (g, l) = (s.graph, s.layout);
    // Column headings, then the rows.
    let rows_h = (inner.height - 1) as u32;
    let (top, left) = viewport(app, i, rows_h, inner.width);
    let (shown, folded) = shown_rows(app, i, rows_h, inner.width);
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
    for (k, &row) in shown.iter().enumerate() {
        let y = y0 + k as u16;
        for c in &l.cells[row as usize] {
            if c.x < left || c.x - left >= inner.width {
                continue;
            }
            let x = inner.x + (c.x - left);
            let ch = glyph::cell(c, style);
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
            let change = p.changes.of(node);
            draw_node(app, buf, (node, change), l.detail, pl, left, inner, y);
        }
    }
    let drawn = shown.len();
    // How much is above and below, and beside: the rows on the right of the bottom border, the
    // columns (and the keys that scroll sideways) on its left.
    let above = top;
    let below = l.height.saturating_sub(top + rows_h);
    // Where the rows note starts (the columns note must end before it).
    let mut rows_x = area.x + area.width.saturating_sub(1);
    if area.height > 0 && (above > 0 || below > 0 || folded) {
        let hint = if folded {
            format!(" walk: {} of {} rows ", shown.len(), l.height)
        } else {
            format!(
                " rows {}-{} of {} ",
                top + 1,
                (top + rows_h).min(l.height),
                l.height
            )
        };
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
        folded.then_some(shown),
        drawn,
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

/// The styles of a node's label and of its walk badge: [`node_style`] (underlined when it
/// changed at this step, bold too when new), or the candidate followed, patched with the
/// selection; the badge by its first visit's outcome, LOST loud.
pub(crate) fn text_styles(app: &App, node: &Node, change: Option<Change>) -> (Style, Style) {
    let t = &app.theme;
    let selected = app.selected() == Some(node.id.as_str());
    let current = app
        .walk_candidate()
        .is_some_and(|k| node.walk.visits.iter().any(|v| v.candidate == k));
    let mut base = node_style(app, node);
    // What changed since the previous step is underlined, a new node bold too.
    match change {
        Some(Change::New) => base = base.patch(t.changed).add_modifier(Modifier::BOLD),
        Some(Change::Changed) => base = base.patch(t.changed),
        None => {}
    }
    if current {
        base = t.current;
    }
    if selected {
        base = base.patch(t.selected);
    }
    let badge = if !node.walk.lost.is_empty() {
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
    (base, badge)
}

#[allow(clippy::too_many_arguments)]
fn draw_node(
    app: &App,
    buf: &mut ratatui::buffer::Buffer,
    (node, change): (&Node, Option<Change>),
    detail: Detail,
    pl: &Placed,
    left: u16,
    inner: Rect,
    y: u16,
) {
    let (label, badge) = node.parts_at(detail);
    let (base, badge_style) = text_styles(app, node, change);
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
