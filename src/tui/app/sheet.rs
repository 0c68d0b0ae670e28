//! What a graph pane shows: the step's graph laid out whole or, for a graph cut into bands
//! ([`crate::view::band`]: more than 400 spine rows), one band at a time, like the pages of a
//! book. Everything the TUI does with a pane's rows (the viewport, the walk kept in view, the
//! selection moved row by row, the wheel and the page keys, a click's hit, the screen split,
//! the fit checks) goes through a [`Sheet`], so that a graph of ten thousand processes has one
//! band of about 200 rows laid out, not the whole.
//!
//! The selection stays a node of the whole graph, by id; a band's nodes keep the ids of the
//! whole graph, so it is found in the band by the same id. The band shown is the one the app
//! holds ([`super::Selection::band`]) while it holds the node the pane follows (the selection,
//! or in the compared pane the walked page), else that node's home band
//! ([`crate::view::band::Bands::home`]); a scrolled pane stays on the band it was scrolled to.
//! Scrolling past a band's last row goes on at the next band's first row, and up past its
//! first row at the previous band's last rows. Graphs of one band, and every export, keep
//! the whole graph's layout.

use petgraph::stable_graph::NodeIndex;

use super::App;
use crate::view::band::Bands;
use crate::view::{Detail, Graph, Layout, StepView};

/// What a graph pane shows: a graph, its layout, and which band it is.
pub struct Sheet<'a> {
    /// The whole graph, or the band's subgraph (node ids are the whole graph's).
    pub graph: &'a Graph,
    pub layout: &'a Layout,
    /// The band shown and how many there are; `None` for a graph laid out whole.
    pub band: Option<(usize, usize)>,
    bands: Option<&'a Bands>,
}

impl Sheet<'_> {
    /// The pane's note of the band: `band 3/50 · pids 401-600` (`None` for a whole graph).
    pub fn note(&self) -> Option<String> {
        let (b, n) = self.band?;
        let name = self.bands?.name(b);
        Some(format!("band {}/{n} · {name}", b + 1))
    }

    /// The id of node `n` of the sheet's graph (the whole graph's id).
    pub fn id(&self, n: NodeIndex) -> &str {
        &self.graph.node(n).id
    }
}

/// The sheet of `view` at band `band` (clamped; ignored for a graph of one band): laid out for
/// a pane `width` cells wide ([`StepView::fit`]), or with `None` any layout made already (rows
/// and columns do not depend on the level of detail).
pub fn sheet(view: &StepView, band: usize, width: Option<u16>, guess: Detail) -> Sheet<'_> {
    let whole = || Sheet {
        graph: &view.graph,
        layout: match width {
            Some(w) => view.fit(w),
            None => view.any_layout(),
        },
        band: None,
        bands: None,
    };
    let Some(bands) = view.bands() else {
        return whole();
    };
    let b = band.min(bands.len().saturating_sub(1));
    let layout = match width {
        Some(w) => view.band_fit_from(b, w, guess),
        None => view.band_any_layout(b),
    };
    match (view.band(b), layout) {
        (Some(band), Some(layout)) => Sheet {
            graph: &band.graph,
            layout,
            band: Some((b, bands.len())),
            bands: Some(bands),
        },
        _ => whole(),
    }
}

/// The first node laid out in what a pane of `view` shows first (the first band of a graph cut
/// into bands), by id: where a fresh selection starts.
pub fn first_id(view: &StepView) -> Option<&str> {
    let s = sheet(view, 0, None, Detail::Full);
    let n = s.layout.placed.iter().find_map(|pl| pl.node)?;
    Some(&s.graph.node(n).id)
}

/// Whether band `b` of `bands` holds node `n` of the whole graph.
fn holds(bands: &Bands, b: usize, n: NodeIndex) -> bool {
    bands.nodes(b).binary_search(&n).is_ok()
}

impl App {
    /// The band graph pane `i` shows (0 for a graph of one band): see the module's comment.
    pub(crate) fn band_of(&self, i: usize) -> usize {
        let Some(p) = self.views.panes().get(i) else {
            return 0;
        };
        let Some(bands) = p.view.bands() else {
            return 0;
        };
        let held = self.selection.band().min(bands.len().saturating_sub(1));
        if !self.selection.follows() {
            return held;
        }
        let g = &p.view.graph;
        let walked = g.walk.as_ref().and_then(|w| w.page_node);
        let selected = self.selected().and_then(|id| g.find(id));
        // The main pane follows the selection (the walked page when nothing is selected); the
        // compared one always shows its walk.
        let target = if i == 0 {
            selected.or(walked)
        } else {
            walked.or(selected)
        };
        match target {
            Some(n) if !holds(bands, held, n) => bands.home(n).unwrap_or(held),
            _ => held,
        }
    }

    /// What graph pane `i` shows, laid out for `width` cells (or any layout made already).
    pub(crate) fn sheet(&self, i: usize, width: Option<u16>) -> Option<Sheet<'_>> {
        let p = self.views.panes().get(i)?;
        Some(sheet(
            &p.view,
            self.band_of(i),
            width,
            self.views.last_detail(),
        ))
    }

    /// The least width pane `i` needs to show its graph (or band) whole, at the tightest level
    /// of detail (from a layout made already).
    pub(crate) fn sheet_min_width(&self, i: usize) -> u16 {
        let Some(p) = self.views.panes().get(i) else {
            return 0;
        };
        match p.view.bands() {
            Some(_) => p.view.band_min_width(self.band_of(i)).unwrap_or(0),
            None => p.view.min_width(),
        }
    }

    /// Holds the band the main pane shows now, so that selecting a node also in other bands
    /// (the family's anon_vma) does not move the pane to the node's first band.
    pub(crate) fn settle_band(&mut self) {
        let b = self.band_of(0);
        self.selection.set_band(b);
    }

    /// The wheel or a page key on graph pane `i`: `rows` rows down (or up) within the band;
    /// from the band's last rows down to the next band's first, from its first row up to the
    /// previous band's last rows.
    pub(crate) fn scroll_graph_rows(&mut self, i: usize, down: bool, rows: u32) {
        let Some((r, top, left)) = self.graph_view(i) else {
            return;
        };
        let h = r.height as u32;
        let Some(s) = self.sheet(i, Some(r.width)) else {
            return;
        };
        let max_top = s.layout.height.saturating_sub(h);
        let band = s.band;
        match band {
            Some((b, n)) if down && top >= max_top && b + 1 < n => {
                self.selection.set_band(b + 1);
                self.scroll_graph_to(0, left);
            }
            Some((b, _)) if !down && top == 0 && b > 0 => {
                self.selection.set_band(b - 1);
                self.scroll_graph_to(0, left);
                let end = self.sheet(i, Some(r.width)).map_or(0, |s| s.layout.height);
                self.scroll_graph_to(end.saturating_sub(h), left);
            }
            _ => {
                if let Some((b, _)) = band {
                    self.selection.set_band(b);
                }
                let top = if down {
                    top.saturating_add(rows).min(max_top)
                } else {
                    top.saturating_sub(rows)
                };
                self.scroll_graph_to(top, left);
            }
        }
    }

    /// Up or down from node `from` (of the sheet's graph, at `row` in `column`) past the edge
    /// of band `b`: the first node of that column in the next band (down), the last in the
    /// previous one (up), by id; the pane then shows that band.
    pub(crate) fn select_across_band(&mut self, b: usize, column: usize, down: bool) -> bool {
        let Some(p) = self.views.main() else {
            return false;
        };
        let n = p.view.bands().map_or(0, Bands::len);
        let next = match down {
            true if b + 1 < n => b + 1,
            false if b > 0 => b - 1,
            _ => return false,
        };
        let s = sheet(&p.view, next, None, self.views.last_detail());
        let l = s.layout;
        let mut rows: Box<dyn Iterator<Item = u32>> = if down {
            Box::new(0..l.height)
        } else {
            Box::new((0..l.height).rev())
        };
        let Some(node) = rows.find_map(|r| l.at(r, column)) else {
            return false;
        };
        let id = s.id(node).to_string();
        self.selection.set_band(next);
        self.selection.select(id);
        true
    }
}
