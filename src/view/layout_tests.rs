//! Tests of the layout of the graph: lanes shared only by edges linked each to each, no false
//! joins, nodes as wide as their texts, storms with few lanes, and every built-in scenario laid
//! out cleanly at every step under every scheme.

use std::collections::{HashMap, HashSet};

use super::cells::{Seg, raster};
use super::detail::Detail;
use super::graph::{EdgeKind, NodeKind};
use super::layout::{gutter_width, layout, layout_at, width_at};
use super::tests::{builtin, every_builtin_graph, graph_of, steps};
use super::{Graph, Layout};
use crate::scenario::{BUILTINS, Scenario, storm};
use crate::schemes::scheme_names;

/// Edges that share a stretch of lane read as linked each to each: wherever routes of several
/// edges run down the same cell, every source among them is linked to every target among them
/// (one source fanning out, several sources gathering into one target, or a bus between
/// targets that have exactly the same sources).
fn check_shared_lanes_are_complete(g: &Graph, l: &Layout, what: &str) {
    let mut lanes: HashMap<(u32, u16), HashSet<petgraph::stable_graph::EdgeIndex>> = HashMap::new();
    for r in &l.routes {
        for s in &r.segs {
            if let Seg::V { x, r0, r1 } = *s {
                for row in r0..=r1 {
                    lanes.entry((row, x)).or_default().insert(r.edge);
                }
            }
        }
    }
    for (cell, es) in lanes {
        let ends: Vec<_> = es
            .iter()
            .map(|&e| g.graph.edge_endpoints(e).unwrap())
            .collect();
        // Links between objects share a bracket when they have one target (a parent's
        // children) or are the edges of one cycle (a ring): each end reaches every other
        // through the links.
        if es
            .iter()
            .all(|&e| g.graph[e].kind == EdgeKind::ObjectObject)
        {
            let links = petgraph::visit::EdgeFiltered::from_fn(&g.graph, |e| {
                e.weight().kind == EdgeKind::ObjectObject
            });
            let one_target = ends.iter().all(|&(_, t)| t == ends[0].1);
            let ring = ends.iter().all(|&(a, _)| {
                ends.iter()
                    .all(|&(b, _)| petgraph::algo::has_path_connecting(&links, a, b, None))
            });
            assert!(
                one_target || ring,
                "{what}: links share the lane at {cell:?}"
            );
            continue;
        }
        for &(s, _) in &ends {
            for &(_, t) in &ends {
                assert!(
                    g.graph.find_edge(s, t).is_some(),
                    "{what}: {} and {} share the lane at {cell:?} but are not linked",
                    g.node(s).id,
                    g.node(t).id
                );
            }
        }
    }
}

#[test]
fn lanes_are_shared_only_by_edges_linked_each_to_each() {
    // Two children, then one of them writes the first page: under pte-chain that page's chain
    // records the parent's and the other child's ptes, the second page's all three
    // (docs/semantics.md §3.1): two chains with different vmas, each linked to several.
    let mut cow = Scenario::empty("two children, one writes");
    for line in [
        "mmap 1 0x10000 2 rw",
        "write 1 0x10000 2",
        "fork 1 2",
        "fork 1 3",
        "write 2 0x10000 1",
    ] {
        cow.steps
            .push(crate::scenario::opline::parse(line).unwrap());
    }
    for sc in BUILTINS
        .iter()
        .map(|b| builtin(b.name))
        .chain([storm(4, 6), cow])
    {
        for scheme in scheme_names() {
            for (k, (sim, walk)) in steps(&sc, scheme).iter().enumerate() {
                let g = graph_of(sim, walk.as_ref());
                let what = format!("{} step {k} {scheme}", sc.title);
                check_shared_lanes_are_complete(&g, &layout(&g), &what);
            }
        }
    }
}

/// Every cell a route passes through, with the direction bits it sets there.
fn route_cells(l: &Layout) -> HashMap<(u32, u16), u8> {
    let mut m = HashMap::new();
    for r in &l.routes {
        for s in &r.segs {
            for (k, c) in raster(s, false, false) {
                *m.entry(k).or_insert(0) |= c.mask;
            }
        }
    }
    m
}

fn n_of(p: &super::layout::Placed) -> petgraph::stable_graph::NodeIndex {
    p.node.unwrap()
}

fn check_layout(g: &Graph, l: &Layout, what: &str) {
    // No two nodes overlap, and each sits inside its column.
    let mut taken: HashMap<(u32, u16), String> = HashMap::new();
    for p in &l.placed {
        let Some(n) = p.node else { continue };
        let col = l.columns[p.column];
        assert!(
            p.x >= col.x && p.end() <= col.x + col.width,
            "{what}: {} outside its column",
            g.node(n).id
        );
        for x in p.x..p.end() {
            if let Some(other) = taken.insert((p.row, x), g.node(n).id.clone()) {
                panic!("{what}: {} overlaps {other}", g.node(n).id);
            }
        }
    }
    // Lines never run through node text.
    for (row, cells) in l.cells.iter().enumerate() {
        for c in cells {
            assert!(
                !taken.contains_key(&(row as u32, c.x)),
                "{what}: line over a node at {row},{}",
                c.x
            );
        }
    }
    // Every edge is routed, from its left node to its right node.
    for e in g.graph.edge_indices() {
        let rs: Vec<_> = l.routes_of(e).collect();
        assert!(!rs.is_empty(), "{what}: edge {e:?} not routed");
        let (a, b) = g.graph.edge_endpoints(e).unwrap();
        let (pa, pb) = (l.of(a).unwrap(), l.of(b).unwrap());
        if g.graph[e].kind == EdgeKind::ObjectObject {
            // A bracket in the gutter before the objects: a stub into each object's text.
            for p in [pa, pb] {
                let reaches = rs.iter().flat_map(|r| r.segs.iter()).any(|s| {
                    matches!(*s, Seg::H { row, x1, e: true, .. } if row == p.row && x1 + 1 == p.x)
                });
                assert!(
                    reaches,
                    "{what}: link {e:?} does not reach {}",
                    g.node(n_of(p)).id
                );
            }
            continue;
        }
        let first = rs
            .iter()
            .flat_map(|r| r.segs.iter())
            .find_map(|s| match *s {
                Seg::H { row, x0, .. } if row == pa.row => Some(x0),
                _ => None,
            });
        assert_eq!(
            first,
            Some(pa.end() + 1),
            "{what}: edge {e:?} does not leave its source"
        );
        let touches_b = rs.iter().flat_map(|r| r.segs.iter()).any(|s| match *s {
            Seg::H { row, x0, x1, .. } => {
                // Into the arrowhead before the target (and the links' gutter before an object).
                let gutter = if pb.column == 2 {
                    gutter_width(l.links, l.detail)
                } else {
                    0
                };
                row == pb.row
                    && (x1 + 1 + l.detail.arrow_gap() + gutter == pb.x || x0 == pb.end() + 1)
            }
            _ => false,
        });
        assert!(touches_b, "{what}: edge {e:?} does not reach its target");
    }
    // No glyph for an edge that is not there: the cell masks are exactly the union of the
    // routes' cells, and the walk bits exactly those of the walk's edges.
    let want = route_cells(l);
    let mut have: HashMap<(u32, u16), u8> = HashMap::new();
    let mut path: HashMap<(u32, u16), u8> = HashMap::new();
    for (row, cells) in l.cells.iter().enumerate() {
        for c in cells {
            have.insert((row as u32, c.x), c.mask);
            if c.path != 0 {
                path.insert((row as u32, c.x), c.path);
            }
        }
    }
    assert_eq!(have, want, "{what}: cells differ from the routes");
    let mut want_path: HashMap<(u32, u16), u8> = HashMap::new();
    for r in l.routes.iter().filter(|r| g.graph[r.edge].on_path) {
        for s in &r.segs {
            for (k, c) in raster(s, true, false) {
                *want_path.entry(k).or_insert(0) |= c.mask;
            }
        }
    }
    assert_eq!(
        path, want_path,
        "{what}: walk marks differ from the walk's edges"
    );
}

/// Two edges that share no node never share a line (no common horizontal cells, no common
/// stretch of lane), unless an edge joins them, whose line it then is (a vma linked to an
/// anon_vma on its own row, and through a lane to a page elsewhere).
fn check_no_false_joins(g: &Graph, l: &Layout, what: &str) {
    let ends = |e| {
        let (a, b) = g.graph.edge_endpoints(e).unwrap();
        [a, b]
    };
    let mut h: HashMap<(u32, u16), Vec<petgraph::stable_graph::EdgeIndex>> = HashMap::new();
    let mut v: HashMap<(u32, u16), Vec<petgraph::stable_graph::EdgeIndex>> = HashMap::new();
    for r in &l.routes {
        for s in &r.segs {
            let target = if matches!(s, Seg::H { .. }) {
                &mut h
            } else {
                &mut v
            };
            for (k, c) in raster(s, false, false) {
                // Only where the line runs along, not the end of a lane where it turns.
                if c.mask.count_ones() == 2 || matches!(s, Seg::H { .. }) {
                    target.entry(k).or_default().push(r.edge);
                }
            }
        }
    }
    for (k, es) in h.iter().chain(v.iter()) {
        for (i, &a) in es.iter().enumerate() {
            for &b in &es[i + 1..] {
                let (ea, eb) = (ends(a), ends(b));
                let joined = ea.iter().any(|&x| {
                    eb.iter().any(|&y| {
                        x == y
                            || g.graph.find_edge(x, y).is_some()
                            || g.graph.find_edge(y, x).is_some()
                    })
                });
                assert!(
                    joined,
                    "{what}: unrelated edges {} -> {} and {} -> {} share cell {k:?}",
                    g.node(ea[0]).id,
                    g.node(ea[1]).id,
                    g.node(eb[0]).id,
                    g.node(eb[1]).id
                );
            }
        }
    }
}

#[test]
fn every_builtin_lays_out_cleanly_at_every_step_under_every_scheme() {
    every_builtin_graph(|g, at| {
        let full = layout(g);
        for d in Detail::ALL {
            let l = layout_at(g, d);
            let what = format!("{at} {}", d.as_str());
            check_layout(g, &l, &what);
            check_no_false_joins(g, &l, &what);
            // Only the columns' widths change with the level: the same rows, the same
            // lanes, and the width width_at predicts from the full layout.
            assert_eq!(l.height, full.height, "{what}");
            assert_eq!(l.lanes, full.lanes, "{what}");
            assert_eq!(l.links, full.links, "{what}");
            assert_eq!(l.width, width_at(g, &full, d), "{what}");
            for p in &full.placed {
                let q = p.node.and_then(|n| l.of(n));
                assert!(
                    p.node.is_none() || q.is_some_and(|q| q.row == p.row),
                    "{what}"
                );
            }
        }
    });
}

#[test]
fn a_storm_lays_out_with_few_lanes() {
    // 50 children: the lanes do not grow with the number of children.
    let sc = storm(50, 30);
    for scheme in scheme_names() {
        let (sim, walk) = steps(&sc, scheme).pop().unwrap();
        let g = graph_of(&sim, walk.as_ref());
        let l = layout(&g);
        check_layout(&g, &l, scheme);
        assert!(l.width < 200, "{scheme}: {} cells wide", l.width);
        // An mm -> object edge (anonmm) passes through a dummy row of the vma column, a vma ->
        // page edge (pte-chain, RFC2) through one of the objects column: one more row per such
        // edge at most, still not growing with anything but the processes.
        let skips = g
            .graph
            .edge_indices()
            .filter(|&e| matches!(g.graph[e].kind, EdgeKind::MmObject | EdgeKind::VmaPage))
            .count() as u32;
        assert!(l.height <= 53 + skips, "{scheme}: {} rows", l.height);
    }
}

/// The layout measures node texts without making them ([`super::graph::Node::width_at`]); the
/// measure is the width of the text drawn, for every node of every built-in step under every
/// scheme at every level, and for labels cut around a wide character.
#[test]
fn node_widths_are_the_widths_of_the_texts_drawn() {
    use unicode_width::UnicodeWidthStr;
    every_builtin_graph(|g, at| {
        for i in g.graph.node_indices() {
            let n = g.node(i);
            for d in Detail::ALL {
                assert_eq!(n.width_at(d), n.text_at(d).width(), "{at} {}: {d:?}", n.id);
            }
        }
    });
    for s in ["abcdef", "ab\u{4e2d}cdef", "\u{4e2d}\u{4e2d}\u{4e2d}", ""] {
        for w in 0..8 {
            assert_eq!(
                super::detail::cut_width(s, w),
                super::detail::cut_to(s, w, "…").width(),
                "{s:?} in {w}"
            );
        }
    }
}

#[test]
fn storms_with_groups_of_objects_lay_out_cleanly() {
    // pte-chain: 40 chains linked from every vma (one group), and 2000 chains recording more
    // ptes than are linked (an unlinked group, drawn at the top), each after the forks and at
    // the end (the walk's chain on its own beside the group).
    for (children, pages) in [(3, 40), (3, 2000)] {
        let sc = storm(children, pages);
        let all = steps(&sc, "pte-chain");
        for k in [2 + children as usize, all.len() - 1] {
            let (sim, walk) = &all[k];
            let g = graph_of(sim, walk.as_ref());
            assert!(
                g.graph
                    .node_indices()
                    .any(|n| g.node(n).kind == NodeKind::ObjectGroup),
                "storm {children}x{pages} step {k}: a group of chains"
            );
            for d in Detail::ALL {
                let l = layout_at(&g, d);
                check_layout(&g, &l, &format!("storm {children}x{pages} step {k} {d:?}"));
            }
        }
    }
}
