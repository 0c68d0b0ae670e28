//! The graph of one simulation at one step, laid out for drawing. Knows nothing of terminals:
//! the TUI and the exports draw the same [`StepView`] into a ratatui `Buffer`.
//!
//! - [`graph`]: the petgraph `StableGraph` of mm -> vma -> rmap object -> page, walk marked,
//!   large scenarios grouped;
//! - [`layout`]: rows and columns of the nodes, computed once per step;
//! - [`band`]: a graph of thousands of processes cut between processes into bands, each laid
//!   out on its own ([`StepView::band_layout`]);
//! - [`route`]: edges bundled into lanes;
//! - [`cells`]: the lines as per-cell direction masks, segment by segment;
//! - [`glyph`]: the line glyphs for the masks;
//! - [`build`]: the graph built from a machine and its scheme, column by column, grouped;
//! - `mark`: the walk marked on the graph, and focus mode;
//! - `search`: finding a node from what a person types;
//! - `group`: many alike rmap objects folded into one node;
//! - [`nodes`]: what each node says (labels at every level, inspector fields);
//! - [`detail`]: the levels of detail of the node texts, for panes too narrow for the full ones;
//! - [`changes`]: what changed since the previous step, by node.

pub mod band;
pub mod build;
pub mod cells;
pub mod changes;
pub mod detail;
pub mod glyph;
pub mod graph;
mod group;
pub mod layout;
mod mark;
pub mod nodes;
pub mod route;
mod search;

pub use changes::{Change, Changes};
pub use detail::Detail;
pub use graph::{
    BuildOptions, Edge, EdgeKind, Graph, Grouping, Members, Node, NodeKind, Visited, WalkInfo,
    WalkMark, build, build_with,
};
pub use layout::{Layout, Placed, layout};

use std::sync::OnceLock;

/// A graph and its layouts: what a graph pane shows for one scheme at one step. A layout is
/// made for each level of detail a pane asks for ([`StepView::fit`]), when first asked for.
/// Rows, columns and lanes are the same at every level, so any one layout tells the width of
/// every level: a pane needs one layout, the one that fits it, when it is told the level the
/// previous view fitted at ([`StepView::fit_from`]).
#[derive(Clone, Debug)]
pub struct StepView {
    pub graph: Graph,
    rmap: crate::model::rmap::RmapGraph,
    /// The layout at each level of [`Detail::ALL`].
    layouts: [OnceLock<Layout>; 4],
    /// The width of the layout at each level, from the first layout made.
    widths: OnceLock<[u16; 4]>,
    /// The node texts measured at every level, for the layouts and their widths.
    measure: OnceLock<layout::Measure>,
    /// The bands of a graph whose spine is long ([`band`]), their subgraphs and layouts, each
    /// made when first asked for; `None` inside for a graph of one band.
    bands: OnceLock<Option<Banded>>,
}

/// The bands of a [`StepView`]'s graph, and each band's subgraph and its layout at each level
/// of detail, made when asked for.
#[derive(Clone, Debug)]
struct Banded {
    bands: band::Bands,
    graphs: Vec<OnceLock<band::Band>>,
    layouts: Vec<[OnceLock<Layout>; 4]>,
    /// Each band's node texts measured at every level, and its width at every level.
    measures: Vec<OnceLock<layout::Measure>>,
    widths: Vec<OnceLock<[u16; 4]>>,
}

impl StepView {
    /// Builds the graph of `m` under `scheme` with `walk` marked; layouts are made when asked
    /// for.
    pub fn new(
        m: &crate::model::Machine,
        scheme: &dyn crate::model::rmap::Scheme,
        walk: Option<&crate::model::Walk>,
        opts: &BuildOptions,
    ) -> StepView {
        Self::from_rmap(m, scheme, scheme.rmap_graph(m), walk, opts)
    }

    /// [`StepView::new`] from `rv`, the rmap side of `m` under `scheme` made already; the view
    /// keeps it ([`StepView::rmap`]).
    pub fn from_rmap(
        m: &crate::model::Machine,
        scheme: &dyn crate::model::rmap::Scheme,
        rv: crate::model::rmap::RmapGraph,
        walk: Option<&crate::model::Walk>,
        opts: &BuildOptions,
    ) -> StepView {
        StepView {
            graph: build::build_from(m, scheme, &rv, walk, opts),
            rmap: rv,
            layouts: Default::default(),
            widths: OnceLock::new(),
            measure: OnceLock::new(),
            bands: OnceLock::new(),
        }
    }

    /// The rmap side of the state the graph shows (its scheme's `rmap_graph`): what tells the
    /// objects made, freed or changed (fields, links) from one step to the next without making
    /// the rmap side of either state again.
    pub fn rmap(&self) -> &crate::model::rmap::RmapGraph {
        &self.rmap
    }

    /// The layout with the full node texts.
    pub fn layout(&self) -> &Layout {
        self.at(0)
    }

    /// A layout made already (any level, else the full one): for rows, columns and the order
    /// of the placed nodes, which do not depend on the level.
    pub fn any_layout(&self) -> &Layout {
        match self.layouts.iter().find_map(OnceLock::get) {
            Some(l) => l,
            None => self.layout(),
        }
    }

    fn at(&self, k: usize) -> &Layout {
        self.layouts[k]
            .get_or_init(|| layout::layout_measured(&self.graph, Detail::ALL[k], self.measure()))
    }

    fn measure(&self) -> &layout::Measure {
        self.measure
            .get_or_init(|| layout::Measure::of(&self.graph))
    }

    /// The layout for a pane `width` cells wide: the most detailed one that fits, or the
    /// tightest when none does (the pane then scrolls sideways). Rows are the same at every
    /// level, so a node keeps its row whatever the pane's width.
    pub fn fit(&self, width: u16) -> &Layout {
        self.fit_from(width, Detail::Full)
    }

    /// [`StepView::fit`], laying out at level `guess` first when no layout is made yet: with
    /// the level the pane's previous view fitted at, that is usually the one layout needed.
    pub fn fit_from(&self, width: u16, guess: Detail) -> &Layout {
        let widths = self.widths(guess);
        let k = (0..Detail::ALL.len())
            .find(|&k| widths[k] <= width)
            .unwrap_or(Detail::ALL.len() - 1);
        self.at(k)
    }

    /// The width of the layout at the tightest level of detail (the least a pane needs to show
    /// the graph whole), from the layout made already: not a layout of its own.
    pub fn min_width(&self) -> u16 {
        self.widths(Detail::Full)[Detail::ALL.len() - 1]
    }

    /// The width at every level, from a layout made already (else one at level `guess`).
    fn widths(&self, guess: Detail) -> &[u16; 4] {
        self.widths.get_or_init(|| {
            let g = Detail::ALL.iter().position(|&d| d == guess).unwrap_or(0);
            let base = match self.layouts.iter().find_map(OnceLock::get) {
                Some(l) => l,
                None => self.at(g),
            };
            Detail::ALL.map(|d| layout::width_measured(self.measure(), base, d))
        })
    }

    /// The bands of the graph ([`band::Bands::split`]), `None` when its spine is short enough
    /// to be laid out whole (one band).
    pub fn bands(&self) -> Option<&band::Bands> {
        self.banded().map(|b| &b.bands)
    }

    fn banded(&self) -> Option<&Banded> {
        self.bands
            .get_or_init(|| {
                band::Bands::split(&self.graph).map(|bands| Banded {
                    graphs: (0..bands.len()).map(|_| OnceLock::new()).collect(),
                    layouts: (0..bands.len()).map(|_| Default::default()).collect(),
                    measures: (0..bands.len()).map(|_| OnceLock::new()).collect(),
                    widths: (0..bands.len()).map(|_| OnceLock::new()).collect(),
                    bands,
                })
            })
            .as_ref()
    }

    /// Band `b`'s subgraph, made when first asked for (`None` for a graph of one band, or no
    /// such band).
    pub fn band(&self, b: usize) -> Option<&band::Band> {
        let banded = self.banded()?;
        let cell = banded.graphs.get(b)?;
        Some(cell.get_or_init(|| banded.bands.graph(&self.graph, b)))
    }

    /// The layout of band `b` at level `d`, made when first asked for: the band's rows alone,
    /// its node texts measured on their own (`None` as for [`StepView::band`]).
    pub fn band_layout(&self, b: usize, d: Detail) -> Option<&Layout> {
        let band = self.band(b)?;
        let banded = self.banded()?;
        let cell = banded.layouts.get(b)?.get(layout::level(d))?;
        let measure = banded.measures.get(b)?;
        Some(cell.get_or_init(|| {
            let m = measure.get_or_init(|| layout::Measure::of(&band.graph));
            layout::layout_measured(&band.graph, d, m)
        }))
    }

    /// A layout of band `b` made already (any level), else the full one: for its rows and
    /// the order of its nodes, which do not depend on the level.
    pub fn band_any_layout(&self, b: usize) -> Option<&Layout> {
        let made = self
            .banded()?
            .layouts
            .get(b)?
            .iter()
            .find_map(OnceLock::get);
        made.or_else(|| self.band_layout(b, Detail::Full))
    }

    /// [`StepView::fit_from`] for band `b`: its most detailed layout that fits `width` cells,
    /// else its tightest, laid out at level `guess` first when none is made yet.
    pub fn band_fit_from(&self, b: usize, width: u16, guess: Detail) -> Option<&Layout> {
        let widths = self.band_widths(b, guess)?;
        let k = (0..Detail::ALL.len())
            .find(|&k| widths[k] <= width)
            .unwrap_or(Detail::ALL.len() - 1);
        self.band_layout(b, Detail::ALL[k])
    }

    /// [`StepView::min_width`] for band `b`.
    pub fn band_min_width(&self, b: usize) -> Option<u16> {
        Some(self.band_widths(b, Detail::Full)?[Detail::ALL.len() - 1])
    }

    /// Band `b`'s width at every level, from a layout of it made already (else one at
    /// `guess`).
    fn band_widths(&self, b: usize, guess: Detail) -> Option<&[u16; 4]> {
        let banded = self.banded()?;
        let cell = banded.widths.get(b)?;
        if let Some(w) = cell.get() {
            return Some(w);
        }
        let made = banded.layouts.get(b)?.iter().find_map(OnceLock::get);
        let base = match made {
            Some(l) => l,
            None => self.band_layout(b, guess)?,
        };
        let m = banded.measures.get(b)?.get()?;
        Some(cell.get_or_init(|| Detail::ALL.map(|d| layout::width_measured(m, base, d))))
    }

    /// How many layouts of bands were made (see [`StepView::layouts_made`]).
    pub fn band_layouts_made(&self) -> usize {
        self.bands.get().and_then(Option::as_ref).map_or(0, |b| {
            b.layouts
                .iter()
                .flatten()
                .filter(|l| l.get().is_some())
                .count()
        })
    }

    /// How many layouts of the graph were made (one per level of detail asked for): a pane that
    /// is drawn again makes none.
    pub fn layouts_made(&self) -> usize {
        self.layouts.iter().filter(|l| l.get().is_some()).count()
    }
}

#[cfg(test)]
mod band_tests;
#[cfg(test)]
mod layout_tests;
#[cfg(test)]
mod stroke_tests;
#[cfg(test)]
mod tests;
