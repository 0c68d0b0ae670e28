//! Tests of the graph on the built-in scenarios under every scheme: the walk marked, the node
//! texts, the links, ids, groups, focus and search. The layout's tests are in `layout_tests.rs`.

use petgraph::visit::EdgeRef;
use std::collections::HashSet;

use super::Graph;
use super::detail::{Detail, MAX_TEXT};
use super::graph::{BuildOptions, EdgeKind, NodeKind, build_with, page_group_id};
use super::layout::{layout, layout_at};
use crate::model::{Outcome, Walk};
use crate::scenario::{BUILTINS, Scenario, storm};
use crate::schemes::scheme_names;
use crate::session::Simulation;

/// Every step of `sc` under `scheme`: (state after the step, the step's walk).
pub(super) fn steps(sc: &Scenario, scheme: &str) -> Vec<(Simulation, Option<Walk>)> {
    let mut sim = Simulation::by_name(scheme).expect("implemented scheme");
    let mut out = vec![(sim.clone(), None)];
    for op in sc.ops() {
        let r = sim.step(op, false);
        out.push((sim.clone(), r.walk));
    }
    out
}

/// The graph of a state and its walk, with the default options.
pub(super) fn graph_of(sim: &Simulation, walk: Option<&Walk>) -> Graph {
    build_with(
        &sim.machine,
        sim.scheme.as_ref(),
        walk,
        &BuildOptions::default(),
    )
}

/// Calls `f` with the graph of every step of every built-in scenario under every scheme, and
/// which one it is ("S3 step 4 anon-vma").
pub(super) fn every_builtin_graph(mut f: impl FnMut(&Graph, &str)) {
    for b in BUILTINS.iter() {
        let sc = builtin(b.name);
        for scheme in scheme_names() {
            for (k, (sim, walk)) in steps(&sc, scheme).iter().enumerate() {
                f(
                    &graph_of(sim, walk.as_ref()),
                    &format!("{} step {k} {scheme}", b.name),
                );
            }
        }
    }
}

pub(super) fn builtin(name: &str) -> Scenario {
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
    let g = graph_of(&sim, walk.as_ref());
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
    let g = graph_of(&sim, walk.as_ref());
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
    let g = graph_of(&sim, walk.as_ref());
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
    let mut g = graph_of(&sim, walk.as_ref());
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
    let g = graph_of(&all[3].0, None);
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

#[test]
fn ids_are_stable_across_steps() {
    let all = steps(&builtin("S3"), "modern");
    let ids = |k: usize| -> HashSet<String> {
        let g = graph_of(&all[k].0, None);
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
    let g = graph_of(sim, None);
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
    let g = graph_of(&sim, Some(&w));
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
    let full = graph_of(&sim, walk.as_ref());
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

#[test]
fn search_finds_a_folded_page_as_its_group_and_an_address_as_its_vma() {
    // The storm as above: 120 pages folded into `pages@av1`, too many to list one by one.
    let sc = storm(5, 20);
    let all = steps(&sc, "anon-vma");
    let (sim, _) = &all[2 + 5 + 5];
    let g = graph_of(sim, None);
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

#[test]
fn under_anonmm_each_live_mm_is_linked_to_its_own_anonmm() {
    // docs/semantics.md §3.3: one anonmm per mm; fork gives the child its own, exec a new one
    // on a new ring. After S5 (three forks, two execs) four processes are alive, each with its
    // own mm; the anonmms of the mms that exec threw away have no mm any more.
    let all = steps(&builtin("S5"), "anonmm");
    let g = graph_of(&all.last().expect("steps").0, None);
    let mut targets = HashSet::new();
    for pid in 1..=4 {
        let n = g.find(&format!("pid{pid}")).expect("a live mm");
        let to: Vec<_> = g
            .graph
            .edges_directed(n, petgraph::Direction::Outgoing)
            .filter(|e| e.weight().kind == EdgeKind::MmObject)
            .map(|e| e.target())
            .collect();
        assert_eq!(to.len(), 1, "pid {pid}'s mm links to one anonmm");
        let label = &g.node(to[0]).label;
        assert!(
            label.starts_with("anonmm") && label.contains(&format!(" pid {pid}")),
            "pid {pid}'s mm links to {label}"
        );
        targets.insert(to[0]);
    }
    assert_eq!(targets.len(), 4, "four mms, four anonmms");
    let links = g
        .graph
        .edge_indices()
        .filter(|&e| g.graph[e].kind == EdgeKind::MmObject)
        .count();
    assert_eq!(links, 4, "a dead mm's anonmm has no mm to link");
}
