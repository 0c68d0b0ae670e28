//! A `Graph` -> JSON: the nodes (with their column, label, inspector fields and walk marks),
//! the edges, and the walk (its candidates in visiting order with the node each landed on, the
//! LOST ptes and the counts). The layout is documented in README.md.

use serde::Serialize;

use crate::model::Outcome;
use crate::report::walk_json::{WalkJson, WalkNodes};
use crate::view::Graph;

use super::graph_order;

/// Where the graph comes from.
#[derive(Clone, Debug, Serialize)]
pub struct GraphContext<'a> {
    pub scenario: &'a str,
    /// The step shown, 1-based (0 is before the first step).
    pub step: usize,
    pub steps: usize,
    /// The op of the step as one line of RON (none at step 0).
    pub op: Option<String>,
    /// The op was refused (the state is the one before it).
    pub error: Option<String>,
}

#[derive(Serialize)]
struct Doc<'a> {
    #[serde(flatten)]
    context: &'a GraphContext<'a>,
    scheme: &'static str,
    columns: [&'static str; 4],
    nodes: Vec<NodeJson<'a>>,
    edges: Vec<EdgeJson<'a>>,
    walk: Option<WalkJson<'a>>,
}

#[derive(Serialize)]
struct NodeJson<'a> {
    id: &'a str,
    kind: &'static str,
    column: usize,
    label: &'a str,
    /// Members a group stands for (1 for other nodes).
    count: usize,
    /// Inspector fields as [name, value] pairs (names can repeat).
    fields: Vec<(String, String)>,
    on_path: bool,
    walked: bool,
    visits: Vec<VisitJson>,
    lost: &'a [u64],
}

#[derive(Serialize)]
struct VisitJson {
    candidate: usize,
    outcome: Outcome,
}

#[derive(Serialize)]
struct EdgeJson<'a> {
    from: &'a str,
    to: &'a str,
    kind: &'static str,
    label: &'a str,
    on_path: bool,
    candidates: &'a [usize],
}

/// The graph as a pretty-printed JSON document.
pub fn to_json(g: &Graph, context: &GraphContext<'_>) -> String {
    let order = graph_order::nodes(g);
    let nodes = order
        .iter()
        .map(|&i| {
            let n = &g.graph[i];
            NodeJson {
                id: &n.id,
                kind: n.kind.as_str(),
                column: n.kind.column(),
                label: &n.label,
                count: n.count,
                fields: n.listed_fields(),
                on_path: n.walk.on_path,
                walked: n.walk.walked,
                visits: n
                    .walk
                    .visits
                    .iter()
                    .map(|v| VisitJson {
                        candidate: v.candidate,
                        outcome: v.outcome,
                    })
                    .collect(),
                lost: &n.walk.lost,
            }
        })
        .collect();
    let edges = graph_order::edges(g, &order)
        .into_iter()
        .filter_map(|e| {
            let (s, t) = g.graph.edge_endpoints(e)?;
            let w = &g.graph[e];
            Some(EdgeJson {
                from: &g.graph[s].id,
                to: &g.graph[t].id,
                kind: w.kind.as_str(),
                label: &w.label,
                on_path: w.on_path,
                candidates: &w.candidates,
            })
        })
        .collect();
    let id = |i: Option<petgraph::stable_graph::NodeIndex>| {
        i.and_then(|i| g.graph.node_weight(i))
            .map(|n| n.id.as_str())
    };
    let walk = g.walk.as_ref().map(|info| {
        WalkJson::with_nodes(
            &info.walk,
            WalkNodes {
                page: id(info.page_node),
                object: id(info.object_node),
                candidates: info.candidate_nodes.iter().map(|&n| id(n)).collect(),
            },
        )
    });
    let doc = Doc {
        context,
        scheme: g.scheme,
        columns: crate::view::graph::COLUMNS,
        nodes,
        edges,
        walk,
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
