//! The graph of one simulation at one step, laid out for drawing. Knows nothing of terminals:
//! the TUI and the exports draw the same [`StepView`] into a ratatui `Buffer`.
//!
//! - [`graph`]: the petgraph `StableGraph` of mm -> vma -> rmap object -> page, walk marked,
//!   large scenarios grouped;
//! - [`layout`]: rows and columns of the nodes, computed once per step;
//! - [`route`]: edges bundled into lanes, as per-cell direction masks;
//! - [`glyph`]: the line glyphs for the masks;
//! - [`detail`]: the levels of detail of the node texts, for panes too narrow for the full ones.

pub mod detail;
pub mod glyph;
pub mod graph;
pub mod layout;
pub mod route;

pub use detail::Detail;
pub use graph::{
    BuildOptions, Edge, EdgeKind, GraphView, Node, NodeKind, Visited, WalkInfo, WalkMark, build,
    build_with,
};
pub use layout::{Layout, Placed, layout};

use std::sync::OnceLock;

/// A graph and its layout: what a graph pane shows for one scheme at one step.
#[derive(Clone, Debug)]
pub struct StepView {
    pub graph: GraphView,
    /// The layout with the full node texts.
    pub layout: Layout,
    /// Layouts with shorter texts ([`Detail::Brief`] ...), made when a pane first needs one.
    shorter: [OnceLock<Layout>; 3],
    /// The width of the layout at each level (computed once, on the first [`StepView::fit`]
    /// into a pane narrower than the full layout).
    widths: OnceLock<[u16; 4]>,
}

impl StepView {
    /// Builds and lays out the graph of `sim` with `walk` marked.
    pub fn new(
        sim: &crate::session::Simulation,
        walk: Option<&crate::model::Walk>,
        opts: &BuildOptions,
    ) -> StepView {
        let graph = build_with(sim, walk, opts);
        let layout = layout(&graph);
        StepView {
            graph,
            layout,
            shorter: Default::default(),
            widths: OnceLock::new(),
        }
    }

    /// The layout for a pane `width` cells wide: the most detailed one that fits, or the
    /// tightest when none does (the pane then scrolls sideways). Rows are the same at every
    /// level, so a node keeps its row whatever the pane's width.
    pub fn fit(&self, width: u16) -> &Layout {
        if self.layout.width <= width {
            return &self.layout;
        }
        let widths = self
            .widths
            .get_or_init(|| Detail::ALL.map(|d| layout::width_at(&self.graph, &self.layout, d)));
        let k = (1..Detail::ALL.len())
            .find(|&k| widths[k] <= width)
            .unwrap_or(Detail::ALL.len() - 1);
        self.shorter[k - 1].get_or_init(|| layout::layout_at(&self.graph, Detail::ALL[k]))
    }
}

#[cfg(test)]
mod tests;
