//! Tests of the bands of a large graph: cut between processes at the threshold, every node and
//! edge of the whole graph in a band, shared nodes marked with the number of other bands, each
//! band laid out on its own.

use std::collections::{BTreeSet, HashMap, HashSet};

use petgraph::visit::{EdgeRef, IntoEdgeReferences};
use unicode_width::UnicodeWidthStr;

use super::band::{BAND_ROWS, Bands, THRESHOLD, spine_rows};
use super::detail::Detail;
use super::graph::{BuildOptions, NodeKind};
use super::layout::layout_at;
use super::tests::{every_builtin_graph, graph_of};
use super::{Graph, StepView};
use crate::model::{MmapArgs, Op, Prot};
use crate::scenario::{Scenario, storm};
use crate::session::Simulation;

/// The simulation after the forks and writes of the storm of `children` x `pages` (its swap
/// outs not run: no walk).
fn storm_sim(children: u32, pages: u64, scheme: &str) -> Simulation {
    let sc = storm(children, pages);
    let mut sim = Simulation::by_name(scheme).expect("implemented scheme");
    for op in sc.ops().take(2 + 2 * children as usize) {
        sim.step(op, false);
    }
    sim
}

fn storm_graph(children: u32, scheme: &str) -> Graph {
    graph_of(&storm_sim(children, 1, scheme), None)
}

/// The mms of band `b`, by pid.
fn band_pids(g: &Graph, bands: &Bands, b: usize) -> Vec<u64> {
    bands
        .nodes(b)
        .iter()
        .filter(|&&n| g.node(n).kind == NodeKind::Mm)
        .map(|&n| g.node(n).order.0)
        .collect()
}

/// What must hold of any cut: every node and every edge of the whole graph in a band, each
/// process (mm and vmas) in exactly one, processes in pid order, a node's count the number of
/// bands that hold it, each band's subgraph the whole graph's nodes and edges between them.
fn check_bands(g: &Graph, bands: &Bands, what: &str) {
    let mut seen: HashMap<usize, usize> = HashMap::new();
    let mut edges: HashSet<(String, String, super::EdgeKind)> = HashSet::new();
    let mut last_pid = None;
    for b in 0..bands.len() {
        let band = bands.graph(g, b);
        assert_eq!(band.whole, bands.nodes(b), "{what}: band {b}'s nodes");
        for n in band.graph.graph.node_indices() {
            let whole = band.whole[n.index()];
            assert_eq!(band.of_whole(whole), Some(n), "{what}");
            assert_eq!(band.graph.node(n).id, g.node(whole).id, "{what}");
            assert_eq!(band.graph.find(&g.node(whole).id), Some(n), "{what}");
            *seen.entry(whole.index()).or_default() += 1;
        }
        for e in band.graph.graph.edge_references() {
            let (a, z) = (band.graph.node(e.source()), band.graph.node(e.target()));
            edges.insert((a.id.clone(), z.id.clone(), e.weight().kind));
        }
        // Each band's whole-graph edges between its nodes are all in its subgraph.
        let inside: HashSet<_> = bands.nodes(b).iter().copied().collect();
        let expected = g
            .graph
            .edge_references()
            .filter(|e| inside.contains(&e.source()) && inside.contains(&e.target()))
            .count();
        assert_eq!(band.graph.graph.edge_count(), expected, "{what}: band {b}");
        let pids = band_pids(g, bands, b);
        let mut sorted = pids.clone();
        sorted.sort_unstable();
        if let (Some(&first), Some(last)) = (sorted.first(), last_pid) {
            assert!(
                first > last,
                "{what}: band {b} starts at pid {first} after {last}"
            );
        }
        if let Some(&l) = sorted.last() {
            last_pid = Some(l);
        }
        // Each band lays out (no panic), every node of it placed.
        let l = layout_at(&band.graph, Detail::Tight);
        for n in band.graph.graph.node_indices() {
            assert!(l.of(n).is_some(), "{what}: band {b} left out a node");
        }
    }
    for n in g.graph.node_indices() {
        let k = seen.get(&n.index()).copied().unwrap_or(0);
        assert!(k >= 1, "{what}: {} is in no band", g.node(n).id);
        assert_eq!(bands.count(n), k, "{what}: {}'s count", g.node(n).id);
        let home = bands.home(n).expect("a band");
        assert!(bands.nodes(home).contains(&n), "{what}");
        if matches!(g.node(n).kind.column(), 0 | 1) {
            assert_eq!(k, 1, "{what}: {} is in {k} bands", g.node(n).id);
        }
    }
    for e in g.graph.edge_references() {
        let key = (
            g.node(e.source()).id.clone(),
            g.node(e.target()).id.clone(),
            e.weight().kind,
        );
        assert!(edges.contains(&key), "{what}: edge {key:?} in no band");
    }
}

#[test]
fn a_spine_at_the_threshold_is_one_band_one_row_more_is_cut() {
    // The storm's parent and children have one vma each (the parent's, copied by fork): a
    // spine of children + 1 rows.
    let at = storm_graph(THRESHOLD - 1, "anon-vma");
    assert_eq!(spine_rows(&at), THRESHOLD);
    assert!(Bands::split(&at).is_none());
    let over = storm_graph(THRESHOLD, "anon-vma");
    assert_eq!(spine_rows(&over), THRESHOLD + 1);
    let bands = Bands::split(&over).expect("cut");
    // 401 processes of one row, cut at 200 rows: pids 1-200, 201-400, and pid 401 alone.
    assert_eq!(bands.len(), 3);
    assert_eq!(
        (0..3).map(|b| bands.name(b)).collect::<Vec<_>>(),
        ["pids 1-200", "pids 201-400", "pid 401"]
    );
    assert_eq!(
        (0..3).map(|b| bands.rows(b)).collect::<Vec<_>>(),
        [BAND_ROWS, BAND_ROWS, 1]
    );
    check_bands(&over, &bands, "storm 400x1 anon-vma");
}

#[test]
fn the_family_anon_vma_is_in_every_band_and_says_in_how_many_others() {
    // anon-vma (2.6.x): one anon_vma for the whole family, every vma on its list
    // (docs/semantics.md), so every band links to it.
    let g = storm_graph(THRESHOLD, "anon-vma");
    let bands = Bands::split(&g).expect("cut");
    let objects: Vec<_> = g
        .graph
        .node_indices()
        .filter(|&n| g.node(n).kind == NodeKind::Object)
        .collect();
    assert_eq!(objects.len(), 1, "one anon_vma");
    let av = objects[0];
    assert_eq!(bands.count(av), 3);
    for b in 0..3 {
        let band = bands.graph(&g, b);
        let n = band.of_whole(av).expect("in every band");
        let node = band.graph.node(n);
        assert_eq!(
            node.label,
            format!("{} +2 in other bands", g.node(av).label)
        );
        assert_eq!(node.short[2], format!("{} +2", g.node(av).short[2]));
        // The mark is measured into the node's width.
        let l = layout_at(&band.graph, Detail::Full);
        let placed = l.of(n).expect("placed");
        assert_eq!(
            placed.width as usize,
            g.node(av).text_at(Detail::Full).width() + " +2 in other bands".len()
        );
        // A process is in one band: no mark.
        for m in band.graph.graph.node_indices() {
            if band.graph.node(m).kind == NodeKind::Mm {
                assert!(!band.graph.node(m).label.contains("other bands"));
            }
        }
    }
}

#[test]
fn every_builtin_graph_cut_one_process_a_band_keeps_every_node_and_edge() {
    let mut cut = 0;
    every_builtin_graph(|g, what| {
        // Threshold 0, one row a band: every process a band of its own.
        if let Some(bands) = Bands::split_at(g, 0, 1) {
            for b in 0..bands.len() {
                assert!(band_pids(g, &bands, b).len() <= 1, "{what}");
            }
            check_bands(g, &bands, what);
            cut += 1;
        } else {
            assert_eq!(spine_rows(g), 0, "{what}");
        }
    });
    assert!(cut > 100, "{cut} graphs cut");
}

#[test]
fn a_process_without_vmas_is_a_band_of_one_row() {
    // Pid 1 maps and writes a page, forks pid 2, and pid 2 unmaps its copy of the vma.
    let base = 0x1000_0000;
    let ops = [
        Op::Mmap(MmapArgs {
            pid: 1,
            addr: base,
            pages: 1,
            prot: Prot::RW,
            shared: false,
            file: None,
            offset: 0,
        }),
        Op::Write {
            pid: 1,
            addr: base,
            pages: 1,
        },
        Op::Fork { pid: 1, child: 2 },
        Op::Munmap {
            pid: 2,
            addr: base,
            pages: 1,
        },
    ];
    let sc = Scenario {
        title: "no vmas".into(),
        about: String::new(),
        steps: ops.into_iter().map(Into::into).collect(),
    };
    let mut sim = Simulation::by_name("anon-vma-chain").expect("scheme");
    for op in sc.ops() {
        sim.step(op, false);
    }
    let g = graph_of(&sim, None);
    assert_eq!(spine_rows(&g), 2);
    let bands = Bands::split_at(&g, 1, 1).expect("cut");
    assert_eq!(bands.len(), 2);
    assert_eq!(bands.name(1), "pid 2");
    assert_eq!(bands.rows(1), 1);
    let lone = bands.graph(&g, 1);
    assert_eq!(
        lone.graph
            .graph
            .node_indices()
            .map(|n| lone.graph.node(n).id.clone())
            .collect::<Vec<_>>(),
        ["pid2"]
    );
    check_bands(&g, &bands, "no vmas");
    // At the threshold (2 rows) it is one band.
    assert!(Bands::split_at(&g, 2, 1).is_none());
}

#[test]
fn an_empty_graph_is_not_cut() {
    let g = Graph::new("anon-vma");
    assert!(Bands::split_at(&g, 0, 1).is_none());
    assert_eq!(spine_rows(&g), 0);
}

#[test]
fn a_step_view_lays_out_one_band_without_the_whole_graph() {
    let sim = storm_sim(THRESHOLD, 1, "anon-vma-chain");
    let view = StepView::new(
        &sim.machine,
        sim.scheme.as_ref(),
        None,
        &BuildOptions::default(),
    );
    let bands = view.bands().expect("cut");
    assert_eq!(bands.len(), 3);
    let l = view.band_layout(1, Detail::Full).expect("band 1");
    assert_eq!(view.layouts_made(), 0, "the whole graph was not laid out");
    let band = view.band(1).expect("band 1");
    let pids: BTreeSet<u64> = band
        .graph
        .graph
        .node_indices()
        .filter(|&n| band.graph.node(n).kind == NodeKind::Mm)
        .map(|n| band.graph.node(n).order.0)
        .collect();
    assert_eq!(pids, (201..=400).collect());
    for n in band.graph.graph.node_indices() {
        assert!(l.of(n).is_some());
    }
    assert!(l.height < view.layout().height);
    assert!(view.band_layout(3, Detail::Full).is_none());
    // A small graph has no bands.
    let small = storm_sim(3, 1, "anon-vma-chain");
    let view = StepView::new(
        &small.machine,
        small.scheme.as_ref(),
        None,
        &BuildOptions::default(),
    );
    assert!(view.bands().is_none());
    assert!(view.band_layout(0, Detail::Full).is_none());
}
