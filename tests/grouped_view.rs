//! The graph groups pages without looking at each one: the page store keeps the mapped
//! anonymous pages of each chunk grouped by mapping word (shared between clones and
//! checkpoints), schemes hand pages over as sets of runs, and a collapsed group costs its count
//! and its first and last id. These tests hold that fast path to the slow one on every built-in
//! under every scheme at every step, and on a storm replayed from sparse checkpoints:
//!
//! - the store's grouping equals a scan of every live page;
//! - the graph drawn (groups collapsed) equals the full per-page graph (no group at all) folded
//!   by hand into groups as `BuildOptions` documents them: an object's (or a vma's direct)
//!   pages beyond `page_group` become one node, the walked page stays on its own.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use petgraph::visit::{EdgeRef, IntoEdgeReferences};
use rmapviz::model::{Machine, MmapArgs, Op, PAGE_SIZE, PageId};
use rmapviz::scenario::storm;
use rmapviz::schemes::scheme_names;
use rmapviz::session::{Session, Simulation};
use rmapviz::view::{BuildOptions, EdgeKind, Graph, NodeKind, WalkMark, build_with};

mod common;

/// The live anonymous pages with a mapcount, by mapping word, from a scan of every page.
fn scan_mapped_anon(m: &Machine) -> BTreeMap<u32, Vec<PageId>> {
    let mut out: BTreeMap<u32, Vec<PageId>> = BTreeMap::new();
    for id in m.pages.alive_ids() {
        let pg = m.pages.get(id);
        if pg.is_anon() && pg.mapcount() > 0 {
            out.entry(pg.rmap().mapping).or_default().push(id);
        }
    }
    out
}

fn grouped_store(m: &Machine) -> BTreeMap<u32, Vec<PageId>> {
    m.pages
        .mapped_anon()
        .into_iter()
        .map(|(k, s)| (k, s.iter().collect()))
        .collect()
}

type NodeKey = (
    String,
    &'static str,
    String,
    Vec<(String, String)>,
    usize,
    (u64, u64),
);
type EdgeKey = (String, String, &'static str, String, bool, Vec<usize>);

#[derive(Debug, PartialEq, Eq)]
struct Summary {
    nodes: BTreeMap<String, Vec<NodeKey>>,
    walk: BTreeMap<String, String>,
    edges: BTreeSet<EdgeKey>,
}

fn summary(g: &Graph) -> Summary {
    let mut nodes: BTreeMap<String, Vec<NodeKey>> = BTreeMap::new();
    let mut walk = BTreeMap::new();
    for i in g.graph.node_indices() {
        let n = g.node(i);
        nodes.entry(n.id.clone()).or_default().push((
            n.id.clone(),
            n.kind.as_str(),
            n.label.clone(),
            n.listed_fields(),
            n.count,
            n.order,
        ));
        if n.walk != WalkMark::default() {
            walk.insert(n.id.clone(), format!("{:?}", n.walk));
        }
    }
    let edges = (&g.graph)
        .edge_references()
        .map(|e| {
            let w = e.weight();
            (
                g.node(e.source()).id.clone(),
                g.node(e.target()).id.clone(),
                w.kind.as_str(),
                w.label.clone(),
                w.on_path,
                w.candidates.clone(),
            )
        })
        .collect();
    Summary { nodes, walk, edges }
}

fn field<'a>(fields: &'a [(String, String)], key: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The pages of one object or vma: the node that links them, its column order, (page, edge label).
type Members = (String, u64, Vec<(u32, String)>);

/// The full per-page graph folded into groups of more than `page_group` pages (none expanded).
fn fold(full: &Graph, page_group: usize) -> Summary {
    let mut s = summary(full);
    let walked = full
        .walk
        .as_ref()
        .and_then(|w| w.page_node)
        .map(|n| full.node(n).id.clone());
    // Pages of each object, and the direct pages of each vma (named in the page's mapping
    // field, "vma3 (label)"), with the node that links them.
    let mut members: BTreeMap<(bool, String), Members> = BTreeMap::new();
    for e in (&full.graph).edge_references() {
        let (from, to) = (full.node(e.source()), full.node(e.target()));
        // A walked page that nothing maps any more (swapped out) is drawn under the walk's
        // object without being one of its pages.
        if to.kind != NodeKind::Page || field(&to.fields.list(), "mapcount") == Some("0") {
            continue;
        }
        let (key, order) = match e.weight().kind {
            EdgeKind::PageObject => ((false, from.id.clone()), from.order.0),
            EdgeKind::VmaPage => {
                let fields = to.fields.list();
                let mapping = field(&fields, "mapping").expect("page mapping field");
                let vma = mapping.split(" (").next().unwrap_or(mapping).to_string();
                ((true, vma), u64::MAX)
            }
            _ => continue,
        };
        let id: u32 = to.id[1..].parse().expect("page id p<N>");
        members
            .entry(key)
            .or_insert_with(|| (from.id.clone(), order, Vec::new()))
            .2
            .push((id, e.weight().label.clone()));
    }
    for ((direct, owner), (from, order, mut pages)) in members {
        pages.sort();
        if pages.len() <= page_group {
            continue;
        }
        let is_walked = |id: u32| walked.as_deref() == Some(format!("p{id}").as_str());
        let folded: Vec<&(u32, String)> = pages.iter().filter(|(p, _)| !is_walked(*p)).collect();
        for (p, label) in &folded {
            let id = format!("p{p}");
            s.nodes.remove(&id);
            let kind = if direct {
                EdgeKind::VmaPage
            } else {
                EdgeKind::PageObject
            };
            s.edges.retain(|e| {
                !(e.0 == from && e.1 == id && e.2 == kind.as_str() && &e.3 == label && !e.4)
            });
        }
        if folded.is_empty() {
            continue;
        }
        // An object's group spans all its pages; a vma's direct group only the folded ones.
        let span = if direct {
            folded.clone()
        } else {
            pages.iter().collect()
        };
        let (first, last) = (span[0].0, span[span.len() - 1].0);
        let gid = format!("pages@{owner}");
        let mut fields = vec![
            ("pages".to_string(), folded.len().to_string()),
            ("ids".to_string(), format!("p{first} .. p{last}")),
            (
                "mapping".to_string(),
                if direct {
                    format!("{owner} (direct)")
                } else {
                    owner.clone()
                },
            ),
        ];
        if !direct && pages.len() <= 64 {
            fields.extend(
                folded
                    .iter()
                    .map(|(p, _)| ("members".to_string(), format!("p{p}"))),
            );
        }
        let first_folded = folded[0].0;
        s.nodes.insert(
            gid.clone(),
            vec![(
                gid.clone(),
                NodeKind::PageGroup.as_str(),
                format!("+ {} pages p{first}..p{last}", folded.len()),
                fields,
                folded.len(),
                (order, if direct { first_folded } else { first } as u64),
            )],
        );
        let (kind, label) = if direct {
            (EdgeKind::VmaPage, "direct")
        } else {
            (EdgeKind::PageObject, "mapping")
        };
        s.edges.insert((
            from,
            gid,
            kind.as_str(),
            label.to_string(),
            false,
            Vec::new(),
        ));
    }
    s
}

fn check(sim: &Simulation, walk: Option<&rmapviz::model::Walk>, at: &str) {
    assert_eq!(
        grouped_store(&sim.machine),
        scan_mapped_anon(&sim.machine),
        "{at}: the store's grouped pages"
    );
    let opts = BuildOptions::default();
    let grouped = build_with(&sim.machine, sim.scheme.as_ref(), walk, &opts);
    let full = build_with(
        &sim.machine,
        sim.scheme.as_ref(),
        walk,
        &BuildOptions {
            page_group: usize::MAX,
            ..opts.clone()
        },
    );
    let want = fold(&full, opts.page_group);
    let got = summary(&grouped);
    if got != want {
        for (id, n) in &got.nodes {
            if want.nodes.get(id) != Some(n) {
                eprintln!("{at}: node {id}: got {n:?}, want {:?}", want.nodes.get(id));
            }
        }
        for id in want.nodes.keys().filter(|id| !got.nodes.contains_key(*id)) {
            eprintln!("{at}: missing node {id}");
        }
        for e in got.edges.symmetric_difference(&want.edges) {
            eprintln!("{at}: edge differs {e:?}");
        }
        panic!("{at}: the grouped graph is not the full graph grouped");
    }
}

#[test]
fn every_builtin_under_every_scheme_groups_as_the_full_graph_folded() {
    let mut groups = 0;
    common::each_builtin_step(|at, sim, r| {
        check(sim, r.walk.as_ref(), at);
        let g = build_with(
            &sim.machine,
            sim.scheme.as_ref(),
            r.walk.as_ref(),
            &BuildOptions::default(),
        );
        groups += g
            .graph
            .node_indices()
            .filter(|&n| g.node(n).kind == NodeKind::PageGroup)
            .count();
    });
    // The comparison means something only if some steps have groups.
    assert!(groups > 0, "no built-in step has a page group");
}

/// A storm of more than 256 steps (sparse checkpoints) over three chunks of pages: states
/// rebuilt from checkpoints (whose chunks were grouped when they were taken) and replayed.
/// It ends with `Referenced` walks, which leave the walked page mapped inside its group: the
/// parent's first page, a child's first, middle and last page.
#[test]
fn storm_states_from_checkpoints_group_as_the_full_graph_folded() {
    let mut sc = storm(130, 20);
    let Op::Mmap(MmapArgs { addr: base, .. }) = sc.steps[0].op else {
        panic!("the storm starts with the parent's mmap");
    };
    for (pid, page) in [(1, 0), (2, 0), (3, 7), (4, 19)] {
        sc.steps.push(
            Op::Referenced {
                pid,
                addr: base + page * PAGE_SIZE,
            }
            .into(),
        );
    }
    let n = sc.steps.len();
    assert!(n > 256);
    for name in scheme_names() {
        let mut s = Session::new(sc.clone(), &[name]);
        s.simulate_to(0, n);
        let steps: HashSet<usize> = (0..=n)
            .step_by(37)
            .chain([130, 131, 135, 250])
            .chain(n - 6..=n)
            .collect();
        for k in steps {
            let sim = s.state_after(0, k).unwrap();
            let walk = k
                .checked_sub(1)
                .and_then(|i| s.result(0, i))
                .and_then(|r| r.walk.as_ref());
            check(&sim, walk, &format!("{name}: storm step {k}"));
        }
    }
}

/// pte-chain with more pages mapped once than it labels one by one (`LINKED_PTES`): a storm of
/// 2 children x 3000 pages leaves each child's 3000 copy-on-write copies mapped by one pte,
/// held in `pte.direct` (docs/semantics.md §3.1), while the parent's originals keep their chains
/// (a chain does not collapse on removal). The view hands the direct pages over per vma; the
/// expected links come from the page tables: every page a child maps, to that child's vma (the
/// storm's step (a) swapped out one of them).
#[test]
fn pte_chain_hands_many_direct_pages_over_per_vma() {
    use rmapviz::schemes::pte_chain::LINKED_PTES;
    let sc = storm(2, 3000);
    let mut sim = Simulation::by_name("pte-chain").unwrap();
    for op in sc.ops() {
        sim.step(op, false);
    }
    let m = &sim.machine;
    let mut want = BTreeSet::new();
    for (pid, p) in &m.procs {
        if *pid == 1 {
            continue;
        }
        for v in &p.mm.vmas {
            for (_, pte) in p.mm.pt.range(v.start, v.end) {
                if let Some(page) = pte.page() {
                    want.insert((page, v.id));
                }
            }
        }
    }
    // Step (a) swapped out child 2's copy of the last page.
    assert_eq!(want.len(), 5999);
    assert!(want.len() > LINKED_PTES);
    let view = sim.scheme.rmap_graph(m);
    let got: BTreeSet<_> = view
        .page_vma_links
        .iter()
        .flat_map(|(set, v, _)| set.iter().map(move |p| (p, *v)))
        .collect();
    assert_eq!(got, want);
    assert_eq!(view.page_vma_links.len(), 2, "one set per child's vma");
}

/// Every page pte-chain links straight to a vma (`pte.direct`, docs/semantics.md §3.1) is, by
/// the page tables, mapped by exactly one pte, and that pte lies in that vma: on every built-in
/// at every step (mprotect splits, mremap moves and partial munmaps included), and whatever the
/// runs the view reads its pages in.
#[test]
fn pte_chain_direct_links_match_the_page_tables() {
    common::each_builtin_step(|at, sim, _| {
        if !at.starts_with("pte-chain:") {
            return;
        }
        let m = &sim.machine;
        let mut mapped: BTreeMap<PageId, Vec<_>> = BTreeMap::new();
        for p in m.procs.values() {
            for v in &p.mm.vmas {
                for (_, pte) in p.mm.pt.range(v.start, v.end) {
                    if let Some(page) = pte.page() {
                        mapped.entry(page).or_default().push(v.id);
                    }
                }
            }
        }
        for (set, vma, _) in &sim.scheme.rmap_graph(m).page_vma_links {
            for page in set.iter() {
                assert_eq!(
                    mapped.get(&page),
                    Some(&vec![*vma]),
                    "{at}: {page} linked to {vma}"
                );
            }
        }
    });
}
