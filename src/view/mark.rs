//! The reverse walk of a step marked on its graph (the page, its object, each candidate with
//! its outcome, LOST ptes, the edges followed), and focus mode, which keeps only the marked
//! nodes and their neighbours. [`super::build`] calls both last.

use petgraph::stable_graph::NodeIndex;
use petgraph::visit::EdgeRef;
use std::collections::HashSet;

use crate::model::{Machine, Walk};

use super::graph::{Graph, Visited, WalkInfo, mm_id};

/// Marks the walk's page, object, candidates and LOST ptes, and the edges it followed.
pub(super) fn mark_walk(g: &mut Graph, m: &Machine, w: &Walk) {
    let page = g.find(&w.page.to_string());
    let object = g.find(&w.object);
    if let Some(p) = page {
        g.graph[p].walk.walked = true;
        g.graph[p].walk.on_path = true;
    }
    if let Some(o) = object {
        g.graph[o].walk.on_path = true;
        if let Some(p) = page
            && let Some(e) = g.graph.find_edge(o, p)
        {
            g.graph[e].on_path = true;
            g.graph[e].candidates = (0..w.visits.len()).collect();
        }
    }
    let mut nodes = Vec::with_capacity(w.visits.len());
    for (k, v) in w.visits.iter().enumerate() {
        let vma = v.vma.and_then(|id| g.find(&id.to_string()));
        let mm = g.find(&mm_id(v.pid));
        let target = vma.or(mm);
        nodes.push(target);
        let Some(t) = target else { continue };
        g.graph[t].walk.on_path = true;
        g.graph[t].walk.visits.push(Visited {
            candidate: k,
            outcome: v.outcome,
        });
        // The structure the candidate came from, or else the page's object.
        let via = g.find(&v.via).or(object);
        let mut path = Vec::new();
        if let Some(o) = via {
            path.push(g.graph.find_edge(t, o));
            if Some(o) != object
                && let Some(obj) = object
            {
                path.push(g.graph.find_edge(o, obj).or(g.graph.find_edge(obj, o)));
            }
        }
        if let (Some(vn), Some(mn)) = (vma, mm) {
            g.graph[mn].walk.on_path = true;
            path.push(g.graph.find_edge(mn, vn));
        }
        // A page that points straight at the candidate's vma.
        if let Some(p) = page {
            path.push(g.graph.find_edge(t, p));
        }
        for e in path.into_iter().flatten() {
            g.graph[e].on_path = true;
            if !g.graph[e].candidates.contains(&k) {
                g.graph[e].candidates.push(k);
            }
        }
    }
    for l in &w.lost {
        let vma = m
            .procs
            .get(&l.pid)
            .and_then(|p| p.mm.vma_at(l.addr))
            .and_then(|v| g.find(&v.id.to_string()));
        if let Some(t) = vma.or(g.find(&mm_id(l.pid))) {
            g.graph[t].walk.lost.push(l.addr);
        }
    }
    g.walk = Some(WalkInfo {
        walk: w.clone(),
        candidate_nodes: nodes,
        page_node: page,
        object_node: object,
    });
}

/// Keeps the nodes on the walk path, with LOST ptes, and their neighbours.
pub(super) fn focus(g: &mut Graph) {
    let marked: Vec<NodeIndex> = g
        .graph
        .node_indices()
        .filter(|&i| g.graph[i].walk.is_marked())
        .collect();
    let mut keep: HashSet<NodeIndex> = marked.iter().copied().collect();
    for &i in &marked {
        for e in g.graph.edges_directed(i, petgraph::Direction::Outgoing) {
            keep.insert(e.target());
        }
        for e in g.graph.edges_directed(i, petgraph::Direction::Incoming) {
            keep.insert(e.source());
        }
    }
    let drop: Vec<NodeIndex> = g
        .graph
        .node_indices()
        .filter(|i| !keep.contains(i))
        .collect();
    for i in drop {
        g.remove(i);
    }
}
