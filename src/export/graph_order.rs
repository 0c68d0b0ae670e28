//! A stable order of a `Graph`'s nodes and edges for the graph exports: column by column,
//! in the order the TUI draws each column, so the same state always gives the same bytes.

use petgraph::stable_graph::{EdgeIndex, NodeIndex};
use std::collections::HashMap;

use crate::view::Graph;

/// Nodes by column (mm, vma, rmap objects, pages), then by their order in the column, then id.
pub fn nodes(g: &Graph) -> Vec<NodeIndex> {
    let mut v: Vec<NodeIndex> = g.graph.node_indices().collect();
    v.sort_by(|&a, &b| {
        let (na, nb) = (&g.graph[a], &g.graph[b]);
        (na.kind.column(), na.order, &na.id).cmp(&(nb.kind.column(), nb.order, &nb.id))
    });
    v
}

/// Edges by the position of their source, then of their target (positions from [`nodes`]).
pub fn edges(g: &Graph, nodes: &[NodeIndex]) -> Vec<EdgeIndex> {
    let pos: HashMap<NodeIndex, usize> = nodes.iter().enumerate().map(|(i, &n)| (n, i)).collect();
    let key = |e: EdgeIndex| {
        let (s, t) = g
            .graph
            .edge_endpoints(e)
            .unwrap_or((NodeIndex::end(), NodeIndex::end()));
        let w = &g.graph[e];
        (
            pos.get(&s).copied().unwrap_or(usize::MAX),
            pos.get(&t).copied().unwrap_or(usize::MAX),
            w.kind.as_str(),
            w.label.clone(),
        )
    };
    let mut v: Vec<EdgeIndex> = g.graph.edge_indices().collect();
    v.sort_by_key(|&e| key(e));
    v
}
