//! A `Graph` -> Graphviz DOT: the four columns (mm, vma, rmap objects, pages) as ranks laid
//! out left to right, every node with its label and walk badge, every edge with its link name,
//! and the walk marked with more than colour: nodes and edges on the path are bold and orange,
//! the walked page has a double border, nodes holding a LOST pte are dashed and red.
//! `dot -Tsvg` draws it; the inspector fields become tooltips.

use std::fmt::Write as _;

use crate::model::op::quote_with;
use crate::view::{EdgeKind, Graph, NodeKind, graph::COLUMNS};

use super::graph_order;

/// Colour of the walk path (orange; distinguishable in the common colour-vision deficiencies
/// from the blue-gray of other edges).
const PATH: &str = "#e66100";
/// Colour of nodes with a LOST pte.
const LOST: &str = "#b2182b";
/// Colour of edges off the path.
const EDGE: &str = "#7f8c99";

/// A DOT double-quoted string (control characters other than the newline are left out).
fn quoted(s: &str) -> String {
    quote_with(s, |_, _| {})
}

/// The graph as a DOT document; `title` is the graph's label.
pub fn to_dot(g: &Graph, title: &str) -> String {
    let nodes = graph_order::nodes(g);
    let edges = graph_order::edges(g, &nodes);
    let mut out = String::new();
    out.push_str("digraph rmap {\n");
    let _ = writeln!(
        out,
        "  graph [rankdir=LR, ranksep=1.2, nodesep=0.2, fontname=\"DejaVu Sans Mono\", \
         labelloc=t, label={}];",
        quoted(title)
    );
    out.push_str(
        "  node [shape=box, style=rounded, fontname=\"DejaVu Sans Mono\", fontsize=10];\n",
    );
    let _ = writeln!(
        out,
        "  edge [fontname=\"DejaVu Sans Mono\", fontsize=8, color={}, arrowsize=0.6];",
        quoted(EDGE)
    );
    for (col, name) in COLUMNS.iter().enumerate() {
        let members: Vec<_> = nodes
            .iter()
            .filter(|&&i| g.graph[i].kind.column() == col)
            .collect();
        if members.is_empty() {
            continue;
        }
        let _ = writeln!(out, "  subgraph {} {{", quoted(&format!("column {name}")));
        out.push_str("    rank=same;\n");
        for &&i in &members {
            let n = &g.graph[i];
            let mut attrs = vec![
                format!("label={}", quoted(&n.text())),
                format!("class={}", quoted(&n.kind.as_str().replace(' ', "-"))),
            ];
            let mut style = vec!["rounded"];
            if n.kind.is_group() {
                style.push("dashed");
            }
            if n.walk.on_path {
                style.push("bold");
                attrs.push(format!("color={}", quoted(PATH)));
                attrs.push("penwidth=2".to_string());
            }
            if !n.walk.lost.is_empty() {
                style.push("dashed");
                attrs.push(format!("color={}", quoted(LOST)));
                attrs.push(format!("fontcolor={}", quoted(LOST)));
                attrs.push("penwidth=2".to_string());
            }
            if n.walk.walked {
                attrs.push("peripheries=2".to_string());
            }
            if matches!(n.kind, NodeKind::Object | NodeKind::ObjectGroup) {
                attrs.push("shape=box3d".to_string());
            }
            style.dedup();
            attrs.push(format!("style={}", quoted(&style.join(","))));
            let fields = n.listed_fields();
            if !fields.is_empty() {
                let tip: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                attrs.push(format!("tooltip={}", quoted(&tip.join("\n"))));
            }
            let _ = writeln!(out, "    {} [{}];", quoted(&n.id), attrs.join(", "));
        }
        out.push_str("  }\n");
    }
    for e in edges {
        let Some((s, t)) = g.graph.edge_endpoints(e) else {
            continue;
        };
        let w = &g.graph[e];
        let mut attrs = vec![format!(
            "class={}",
            quoted(&w.kind.as_str().replace("->", "-"))
        )];
        let mut label = w.label.clone();
        if w.on_path {
            attrs.push(format!("color={}", quoted(PATH)));
            attrs.push("penwidth=2.5".to_string());
            attrs.push("style=bold".to_string());
            if !w.candidates.is_empty() {
                let ks: Vec<String> = w.candidates.iter().map(|k| format!("#{}", k + 1)).collect();
                if !label.is_empty() {
                    label.push(' ');
                }
                label.push_str(&ks.join(" "));
            }
        }
        if !label.is_empty() {
            attrs.push(format!("label={}", quoted(&label)));
        }
        if w.kind == EdgeKind::ObjectObject {
            attrs.push("constraint=false".to_string());
        }
        let _ = writeln!(
            out,
            "  {} -> {} [{}];",
            quoted(&g.graph[s].id),
            quoted(&g.graph[t].id),
            attrs.join(", ")
        );
    }
    out.push_str("}\n");
    out
}
