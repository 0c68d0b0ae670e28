//! The screen with a choice of panes ([`PaneSet`]): presenter mode (the header, the graph large
//! and the step's note as a caption under it) and the panes `shot --panes` or `--no-footer`
//! keep for a slide. The panes left out give their room to the graph: the steps and the side
//! column their width, the panes under the graph their height, the header and the footer their
//! rows.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Paragraph, Wrap};

use super::{ROOMY, SIDE_BY_SIDE, Screen, footer, narrative, split_graphs};
use crate::tui::app::App;
use crate::tui::panes::PaneSet;

/// The rows a caption needs for its text at `width` (with its border), within `[3, most]`.
fn caption_height(app: &App, width: u16, most: u16) -> u16 {
    let lines = narrative::caption_lines(app);
    let n = Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .line_count(width.saturating_sub(2).max(1)) as u16;
    (n + 2).clamp(3, most.max(3))
}

/// The panes of `set` in `area`. With `caption`, the narrative is the step's caption (presenter
/// mode): as tall as its text, up to a third of the body.
pub fn screen(app: &App, area: Rect, set: PaneSet, caption: bool) -> Screen {
    let header_h = if set.has("header") { 2 } else { 0 };
    let footer_h = if set.has("footer") {
        footer::height(app, area)
    } else {
        0
    };
    let [header, body, footer] = area.layout(&Layout::vertical([
        Constraint::Length(header_h),
        Constraint::Fill(1),
        Constraint::Length(footer_h),
    ]));
    let mut s = Screen {
        header,
        footer,
        ..Screen::default()
    };
    let (tl_w, side_w) = if area.width >= ROOMY {
        (22, 32)
    } else {
        (14, 30)
    };
    let (walk, insp) = (set.has("walk"), set.has("inspector"));
    let [tl, center, side] = body.layout(&Layout::horizontal([
        Constraint::Length(if set.has("steps") { tl_w } else { 0 }),
        Constraint::Fill(1),
        Constraint::Length(if walk || insp { side_w } else { 0 }),
    ]));
    let (narr, cmp) = (set.has("narrative"), set.has("compare"));
    let graph = set.has("graph");
    let compare_h = app.scheme_names().len() as u16 + 3;
    let bottom_h = match (narr || cmp, graph) {
        (false, _) => 0,
        (true, false) => center.height,
        (true, true) if caption && !cmp => {
            // The caption gets what the graphs leave (their rows, headings and borders), at
            // least a third of the body.
            let rows: u16 = (0..app.views.panes().len())
                .filter_map(|i| app.sheet(i, None))
                .map(|s| s.layout.height as u16 + 3)
                .sum();
            let most = center
                .height
                .saturating_sub(rows.max(6))
                .max(center.height / 3);
            caption_height(app, center.width, most)
        }
        (true, true) => compare_h.max(6).min(center.height / 2),
    };
    let [graph_r, bottom] = center.layout(&Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(bottom_h),
    ]));
    if graph {
        s.graphs = split_graphs(app, graph_r, graph_r.width >= SIDE_BY_SIDE);
    }
    match (narr, cmp) {
        (true, true) => {
            let [n, c] = bottom.layout(&Layout::horizontal([
                Constraint::Fill(1),
                Constraint::Length(76.min(bottom.width / 2 + 16)),
            ]));
            s.narrative = Some(n);
            s.compare = Some(c);
        }
        (true, false) => s.narrative = Some(bottom),
        (false, true) => s.compare = Some(bottom),
        (false, false) => {}
    }
    if set.has("steps") {
        s.timeline = Some(tl);
    }
    let compared = app.shown.compare().is_some();
    match (walk, insp) {
        (true, true) if compared => {
            let [w, twin, i] = side.layout(&Layout::vertical([
                Constraint::Fill(2),
                Constraint::Fill(2),
                Constraint::Fill(1),
            ]));
            (s.walk, s.compare_walk, s.inspector) = (Some(w), Some(twin), Some(i));
        }
        (true, true) => {
            let [w, i] = side.layout(&Layout::vertical([
                Constraint::Percentage(55),
                Constraint::Percentage(45),
            ]));
            (s.walk, s.inspector) = (Some(w), Some(i));
        }
        (true, false) if compared => {
            let [w, twin] = side.layout(&Layout::vertical([Constraint::Fill(1); 2]));
            (s.walk, s.compare_walk) = (Some(w), Some(twin));
        }
        (true, false) => s.walk = Some(side),
        (false, true) => s.inspector = Some(side),
        (false, false) => {}
    }
    s
}
