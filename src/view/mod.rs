//! The graph of one simulation at one step, laid out for drawing. Knows nothing of terminals:
//! the TUI and the exports draw the same [`StepView`] into a ratatui `Buffer`.
//!
//! - [`graph`]: the petgraph `StableGraph` of mm -> vma -> rmap object -> page, walk marked,
//!   large scenarios grouped;
//! - [`layout`]: rows and columns of the nodes, computed once per step;
//! - [`route`]: edges bundled into lanes, as per-cell direction masks;
//! - [`glyph`]: the line glyphs for the masks.

pub mod glyph;
pub mod graph;
pub mod layout;
pub mod route;

pub use graph::{
    BuildOptions, Edge, EdgeKind, GraphView, Node, NodeKind, Visited, WalkInfo, WalkMark, build,
    build_with,
};
pub use layout::{Layout, Placed, layout};

/// A graph and its layout: what a graph pane shows for one scheme at one step.
#[derive(Clone, Debug)]
pub struct StepView {
    pub graph: GraphView,
    pub layout: Layout,
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
        StepView { graph, layout }
    }
}

#[cfg(test)]
mod tests;
