//! Tests of the graph and its layout on the built-in scenarios under every scheme.

use petgraph::visit::EdgeRef;
use std::collections::{HashMap, HashSet};

use super::detail::{Detail, MAX_TEXT};
use super::graph::{BuildOptions, EdgeKind, NodeKind, build_with, page_group_id};
use super::layout::{layout, layout_at, width_at};
use super::route::{Seg, raster};
use super::{Graph, Layout};
use crate::model::{Outcome, Walk};
use crate::scenario::{BUILTINS, Scenario, storm};
use crate::schemes::scheme_names;
use crate::session::Simulation;

/// Every step of `sc` under `scheme`: (state after the step, the step's walk).
fn steps(sc: &Scenario, scheme: &str) -> Vec<(Simulation, Option<Walk>)> {
    let mut sim = Simulation::by_name(scheme).expect("implemented scheme");
    let mut out = vec![(sim.clone(), None)];
    for op in sc.ops() {
        let r = sim.step(op, false);
        out.push((sim.clone(), r.walk));
    }
    out
}

fn builtin(name: &str) -> Scenario {
    Scenario::load(name).expect("built-in").0
}

fn visits(g: &Graph) -> Vec<(String, u32, Outcome)> {
    let w = g.walk.as_ref().expect("a walk");
    w.walk
        .visits
        .iter()
        .zip(&w.candidate_nodes)
        .map(|(v, n)| {
            (
                g.node(n.expect("candidate shown")).id.clone(),
                v.pid,
                v.outcome,
            )
        })
        .collect()
}

#[test]
fn s3_walk_is_marked_on_the_graph_under_anon_vma() {
    // docs/semantics.md §7 S3: AV keeps vm_pgoff across the move, so the walk finds both ptes
    // (2H). docs/semantics.md §2.2: anon_vma lists are walked newest first, and the parent's moved vma
    // (made by mremap, step 4) is newer than the child's (made by fork, step 3).
    let (sim, walk) = steps(&builtin("S3"), "anon-vma").pop().unwrap();
    let g = build_with(
        &sim.machine,
        sim.scheme.as_ref(),
        walk.as_ref(),
        &BuildOptions::default(),
    );
    let v = visits(&g);
    assert_eq!(v.len(), 2);
    assert_eq!((v[0].1, v[0].2), (1, Outcome::Hit));
    assert_eq!((v[1].1, v[1].2), (2, Outcome::Hit));
    let page = g.find("p2").expect("the walked page is shown");
    assert!(g.node(page).walk.walked);
    let av = g.find("av1").expect("the family anon_vma");
    assert!(g.node(av).walk.on_path);
    // Both candidate vmas, their mms, the object and the page are on the path; nothing is LOST.
    let on_path: HashSet<&str> = g
        .graph
        .node_indices()
        .filter(|&i| g.node(i).walk.on_path)
        .map(|i| g.node(i).id.as_str())
        .collect();
    assert!(on_path.contains("pid1") && on_path.contains("pid2"));
    assert!(
        g.graph
            .node_indices()
            .all(|i| g.node(i).walk.lost.is_empty())
    );
    // The page -> object edge and each vma -> object edge of the walk are marked.
    let marked = g
        .graph
        .edge_indices()
        .filter(|&e| g.graph[e].on_path)
        .count();
    assert_eq!(marked, 1 + 2 + 2, "page->av1, two vma->av1, two mm->vma");
}

#[test]
fn s3_walk_under_modern_visits_in_interval_tree_order() {
    // docs/semantics.md §7 S3: MOD 2H. docs/semantics.md §2.2: interval trees visit equal pgoffs in
    // insertion order: the child's vma (fork) before the parent's moved one (mremap).
    let (sim, walk) = steps(&builtin("S3"), "modern").pop().unwrap();
    let g = build_with(
        &sim.machine,
        sim.scheme.as_ref(),
        walk.as_ref(),
        &BuildOptions::default(),
    );
    let v = visits(&g);
    assert_eq!(
        v.iter().map(|x| (x.1, x.2)).collect::<Vec<_>>(),
        vec![(2, Outcome::Hit), (1, Outcome::Hit)]
    );
    // The badge says the visit's place in the walk's order, marked `#` so that it does not read
    // as a count of HITs (issue 16 item 2: "pid 1 [1001 HIT]" beside "pid 2 [1000 MISS]").
    let badge = |id: &str| g.node(g.find(id).unwrap()).walk.badge().unwrap();
    assert_eq!(badge(&v[0].0), "[#1 HIT]");
    assert_eq!(badge(&v[1].0), "[#2 HIT]");
}

#[test]
fn shorter_texts_keep_what_a_student_needs() {
    // docs/semantics.md §7 S3, AMM naive: the walk probes the parent at the old address
    // (MISS) and the child (HIT); the parent's pte at the moved address is LOST.
    let (sim, walk) = steps(&builtin("S3"), "anonmm-naive").pop().unwrap();
    let g = build_with(
        &sim.machine,
        sim.scheme.as_ref(),
        walk.as_ref(),
        &BuildOptions::default(),
    );
    let text = |id: &str, d: Detail| g.node(g.find(id).expect(id)).text_at(d);
    let moved = g
        .graph
        .node_indices()
        .find(|&i| !g.node(i).walk.lost.is_empty())
        .map(|i| g.node(i).id.clone())
        .expect("a vma holds the LOST pte");
    let mut widths = Vec::new();
    for d in Detail::ALL {
        // The moved vma (mremap to 0x80000, pgoff still 0x10): range, pgoff, LOST.
        let v = text(&moved, d);
        assert!(v.starts_with("0x80000-"), "{d:?}: {v}");
        assert!(v.contains("84000 pg 0x10"), "{d:?}: {v}");
        assert!(v.contains("[LOST"), "{d:?}: {v}");
        assert!(text("pid1", d).contains("#1 MISS"), "{d:?}");
        // The walked page: its id, its mapcount (the child's pte was unmapped, the parent's
        // remains) and the walk's mark.
        let p = text("p2", d);
        assert!(
            p.starts_with("p2 ") && p.contains("map 1") && (p.contains('<') || p.contains('◀')),
            "{d:?}: {p}"
        );
        assert!(p.chars().count() <= MAX_TEXT as usize);
        widths.push(layout_at(&g, d).width);
    }
    // Each level is narrower than the one before.
    assert!(widths.windows(2).all(|w| w[1] < w[0]), "{widths:?}");
}

#[test]
fn a_long_label_is_cut_but_its_walk_badge_is_kept() {
    let (sim, walk) = steps(&builtin("S3"), "anon-vma").pop().unwrap();
    let mut g = build_with(
        &sim.machine,
        sim.scheme.as_ref(),
        walk.as_ref(),
        &BuildOptions::default(),
    );
    // The parent's vma, the walk's first candidate (docs/semantics.md §7 S3: AV 2H).
    let n = g
        .graph
        .node_indices()
        .find(|&i| {
            g.node(i)
                .walk
                .visits
                .first()
                .is_some_and(|v| v.candidate == 0)
        })
        .unwrap();
    let long = "x".repeat(100);
    g.graph[n].short = [long.clone(), long.clone(), long.clone()];
    g.graph[n].label = long;
    for d in Detail::ALL {
        let t = g.node(n).text_at(d);
        assert_eq!(t.chars().count(), MAX_TEXT as usize, "{d:?}: {t}");
        let badge = if d == Detail::Tight {
            "… #1 HIT"
        } else {
            "… [#1 HIT]"
        };
        assert!(t.ends_with(badge), "{d:?}: {t}");
    }
}

#[test]
fn pte_chains_are_linked_to_their_page_and_to_the_vmas_of_their_ptes() {
    // docs/semantics.md §3.1: fork copies every pte of the parent's vma into the child with
    // one page_add_rmap each, so after S3's fork (step 3) each of the four pages has a chain
    // of two ptes, one in each process's vma at the same address.
    let all = steps(&builtin("S3"), "pte-chain");
    let g = build_with(
        &all[3].0.machine,
        all[3].0.scheme.as_ref(),
        None,
        &BuildOptions::default(),
    );
    let vmas: HashSet<String> = g
        .graph
        .node_indices()
        .filter(|&i| g.node(i).kind == NodeKind::Vma)
        .map(|i| g.node(i).id.clone())
        .collect();
    assert_eq!(vmas.len(), 2);
    for (k, page) in ["p1", "p2", "p3", "p4"].iter().enumerate() {
        let chain = g.find(&format!("chain {page}")).expect("the page's chain");
        let addr = format!("pte 0x{:x}", 0x10000 + k * 0x1000);
        let from: Vec<(String, String)> = g
            .graph
            .edges_directed(chain, petgraph::Direction::Incoming)
            .map(|e| {
                assert_eq!(e.weight().kind, EdgeKind::VmaObject);
                (g.node(e.source()).id.clone(), e.weight().label.clone())
            })
            .collect();
        assert_eq!(from.len(), 2, "{page}: {from:?}");
        for (v, label) in &from {
            assert!(vmas.contains(v), "{page}: {v}");
            assert_eq!(label, &addr, "{page}");
        }
        let to: Vec<_> = g
            .graph
            .edges_directed(chain, petgraph::Direction::Outgoing)
            .map(|e| (g.node(e.target()).id.clone(), e.weight().label.clone()))
            .collect();
        assert_eq!(to, vec![(page.to_string(), "pte.chain".to_string())]);
    }
    // The four chains have the same two vmas: one lane carries all eight links.
    let l = layout(&g);
    assert_eq!(
        l.lanes[1],
        1,
        "{:?}",
        l.text(&g, crate::view::glyph::LineStyle::Light)
    );
}

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
                let g = build_with(
                    &sim.machine,
                    sim.scheme.as_ref(),
                    walk.as_ref(),
                    &BuildOptions::default(),
                );
                let what = format!("{} step {k} {scheme}", sc.title);
                check_shared_lanes_are_complete(&g, &layout(&g), &what);
            }
        }
    }
}

#[test]
fn ids_are_stable_across_steps() {
    let all = steps(&builtin("S3"), "modern");
    let ids = |k: usize| -> HashSet<String> {
        let g = build_with(
            &all[k].0.machine,
            all[k].0.scheme.as_ref(),
            None,
            &BuildOptions::default(),
        );
        g.graph
            .node_indices()
            .map(|i| g.node(i).id.clone())
            .collect()
    };
    // After the fork (step 3) and after the mremap (step 4): the processes and the pages keep
    // their ids; the parent's vma is a new one (mremap moved it).
    let (a, b) = (ids(3), ids(4));
    for id in ["pid1", "pid2", "p1", "p2", "p3", "p4", "av1"] {
        assert!(a.contains(id) && b.contains(id), "{id}");
    }
}

#[test]
fn pages_of_a_large_object_are_grouped_unless_expanded() {
    // The storm: a parent writes 20 pages and forks 5 children, each child writes every page;
    // under anon-vma every page of the family points at the one anon_vma (§7 S2).
    let sc = storm(5, 20);
    let all = steps(&sc, "anon-vma");
    let writes_done = 2 + 5 + 5; // mmap, write, 5 forks, 5 child writes
    let (sim, _) = &all[writes_done];
    let g = build_with(
        &sim.machine,
        sim.scheme.as_ref(),
        None,
        &BuildOptions::default(),
    );
    let grp = g.find(&page_group_id("av1")).expect("a page group");
    // 20 originals + 5 x 20 copies.
    assert_eq!(g.node(grp).count, 120);
    assert_eq!(g.node(grp).kind, NodeKind::PageGroup);
    assert!(
        g.graph
            .node_indices()
            .all(|i| g.node(i).kind != NodeKind::Page)
    );

    let mut opts = BuildOptions::default();
    opts.expanded.insert(page_group_id("av1"));
    let g = build_with(&sim.machine, sim.scheme.as_ref(), None, &opts);
    let pages = g
        .graph
        .node_indices()
        .filter(|&i| g.node(i).kind == NodeKind::Page)
        .count();
    assert_eq!(pages, 120);
    assert!(g.find(&page_group_id("av1")).is_none());
}

#[test]
fn the_walked_page_is_shown_beside_its_group() {
    let sc = storm(5, 20);
    let (sim, walk) = steps(&sc, "anon-vma").pop().unwrap();
    let w = walk.expect("the storm ends with a SwapOut");
    let g = build_with(
        &sim.machine,
        sim.scheme.as_ref(),
        Some(&w),
        &BuildOptions::default(),
    );
    let p = g
        .find(&w.page.to_string())
        .expect("walked page shown on its own");
    assert!(g.node(p).walk.walked);
    assert!(g.find(&page_group_id("av1")).is_some());
}

#[test]
fn focus_keeps_the_walk_and_its_neighbours_only() {
    let sc = storm(5, 20);
    let (sim, walk) = steps(&sc, "modern").pop().unwrap();
    let opts = BuildOptions {
        focus_walk: true,
        ..BuildOptions::default()
    };
    let full = build_with(
        &sim.machine,
        sim.scheme.as_ref(),
        walk.as_ref(),
        &BuildOptions::default(),
    );
    let g = build_with(&sim.machine, sim.scheme.as_ref(), walk.as_ref(), &opts);
    assert!(g.len() < full.len());
    for i in g.graph.node_indices() {
        let near = g.node(i).walk.is_marked()
            || g.graph
                .neighbors_undirected(i)
                .any(|j| g.node(j).walk.is_marked());
        assert!(near, "{} is neither on nor next to the walk", g.node(i).id);
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
                row == pb.row && (x1 + 1 + l.detail.arrow_gap() == pb.x || x0 == pb.end() + 1)
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
    for b in BUILTINS.iter() {
        let sc = builtin(b.name);
        for scheme in scheme_names() {
            for (k, (sim, walk)) in steps(&sc, scheme).iter().enumerate() {
                let g = build_with(
                    &sim.machine,
                    sim.scheme.as_ref(),
                    walk.as_ref(),
                    &BuildOptions::default(),
                );
                let full = layout(&g);
                for d in Detail::ALL {
                    let l = layout_at(&g, d);
                    let what = format!("{} step {k} {scheme} {}", b.name, d.as_str());
                    check_layout(&g, &l, &what);
                    check_no_false_joins(&g, &l, &what);
                    // Only the columns' widths change with the level: the same rows, the same
                    // lanes, and the width width_at predicts from the full layout.
                    assert_eq!(l.height, full.height, "{what}");
                    assert_eq!(l.lanes, full.lanes, "{what}");
                    assert_eq!(l.width, width_at(&g, &full, d), "{what}");
                    for p in &full.placed {
                        let q = p.node.and_then(|n| l.of(n));
                        assert!(
                            p.node.is_none() || q.is_some_and(|q| q.row == p.row),
                            "{what}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn a_storm_lays_out_with_few_lanes() {
    // 50 children: the lanes do not grow with the number of children.
    let sc = storm(50, 30);
    for scheme in scheme_names() {
        let (sim, walk) = steps(&sc, scheme).pop().unwrap();
        let g = build_with(
            &sim.machine,
            sim.scheme.as_ref(),
            walk.as_ref(),
            &BuildOptions::default(),
        );
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
    for b in BUILTINS.iter() {
        let sc = builtin(b.name);
        for scheme in scheme_names() {
            for (sim, walk) in steps(&sc, scheme) {
                let g = build_with(
                    &sim.machine,
                    sim.scheme.as_ref(),
                    walk.as_ref(),
                    &BuildOptions::default(),
                );
                for i in g.graph.node_indices() {
                    let n = g.node(i);
                    for d in Detail::ALL {
                        assert_eq!(
                            n.width_at(d),
                            n.text_at(d).width(),
                            "{scheme} {}: {d:?}",
                            n.id
                        );
                    }
                }
            }
        }
    }
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
            let g = build_with(
                &sim.machine,
                sim.scheme.as_ref(),
                walk.as_ref(),
                &BuildOptions::default(),
            );
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

#[test]
fn search_finds_a_folded_page_as_its_group_and_an_address_as_its_vma() {
    // The storm as above: 120 pages folded into `pages@av1`, too many to list one by one.
    let sc = storm(5, 20);
    let all = steps(&sc, "anon-vma");
    let (sim, _) = &all[2 + 5 + 5];
    let g = build_with(
        &sim.machine,
        sim.scheme.as_ref(),
        None,
        &BuildOptions::default(),
    );
    let grp = g.find(&page_group_id("av1")).expect("a page group");
    assert!(g.find("p50").is_none(), "p50 is folded");
    assert_eq!(
        g.search("p50"),
        Some(grp),
        "found through its group's range"
    );
    assert_eq!(g.search("P50"), Some(grp), "any case");
    // The parent's vma covers the storm's 20 pages from 0x1000_0000: an address inside it
    // (in no label) finds it.
    let v = g.search("0x10013abc").expect("the vma holding it");
    assert_eq!(g.node(v).kind, NodeKind::Vma);
    assert_eq!(g.search("pid3"), g.find("pid3"));
    assert_eq!(g.search("no such node"), None);
    assert_eq!(g.search(""), None);
}
