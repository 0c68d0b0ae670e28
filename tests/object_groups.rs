//! Many alike rmap objects are drawn as one group node (`BuildOptions::object_group`): the
//! storm under `pte-chain` has a chain for each of the parent's shared pages (docs/semantics.md
//! §3.1: a page mapped by more than one pte keeps its ptes in a chain). These tests take the
//! expected chains from the page tables, hold the grouped graph to the ungrouped one under every
//! scheme, and drive the TUI's Enter over a group.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rmapviz::model::{MmapArgs, Op, PAGE_SIZE, PageId};
use rmapviz::scenario::storm;
use rmapviz::schemes::scheme_names;
use rmapviz::session::{Session, Simulation};
use rmapviz::tui::{App, AppOptions, Msg};
use rmapviz::view::{BuildOptions, EdgeKind, Graph, NodeKind, build_with};

/// The default object threshold.
const OBJECT_GROUP: usize = 32;

fn after(sc: &rmapviz::scenario::Scenario, scheme: &str, steps: usize) -> Simulation {
    let mut sim = Simulation::by_name(scheme).unwrap();
    for op in sc.ops().take(steps) {
        sim.step(op, false);
    }
    sim
}

/// The pages mapped by more than one pte, from the page tables.
fn shared_pages(sim: &Simulation) -> BTreeSet<PageId> {
    let mut ptes: BTreeMap<PageId, usize> = BTreeMap::new();
    for p in sim.machine.procs.values() {
        for v in &p.mm.vmas {
            for (_, pte) in p.mm.pt.range(v.start, v.end) {
                if let Some(page) = pte.page() {
                    *ptes.entry(page).or_default() += 1;
                }
            }
        }
    }
    ptes.into_iter()
        .filter(|&(_, n)| n > 1)
        .map(|(p, _)| p)
        .collect()
}

fn of_kind(g: &Graph, k: NodeKind) -> Vec<NodeIndex> {
    g.graph
        .node_indices()
        .filter(|&i| g.node(i).kind == k)
        .collect()
}

fn field(g: &Graph, n: NodeIndex, key: &str) -> Option<String> {
    g.node(n)
        .fields
        .list()
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

fn neighbours(g: &Graph, n: NodeIndex, d: Direction, kind: EdgeKind) -> BTreeSet<String> {
    g.graph
        .edges_directed(n, d)
        .filter(|e| e.weight().kind == kind)
        .map(|e| {
            use petgraph::visit::EdgeRef;
            let other = if d == Direction::Incoming {
                e.source()
            } else {
                e.target()
            };
            g.node(other).id.clone()
        })
        .collect()
}

/// After the storm's forks every one of the parent's pages is mapped by the parent and each
/// child, so each has a chain; 50 chains are one group node, its pages one page group.
#[test]
fn the_storms_chains_are_one_group_until_expanded() {
    let (children, pages) = (3u32, 50u64);
    let sc = storm(children, pages);
    let sim = after(&sc, "pte-chain", 2 + children as usize);
    let shared = shared_pages(&sim);
    assert_eq!(shared.len(), pages as usize, "every parent page is shared");

    let g = build_with(
        &sim.machine,
        sim.scheme.as_ref(),
        None,
        &BuildOptions::default(),
    );
    let groups = of_kind(&g, NodeKind::ObjectGroup);
    assert_eq!(groups.len(), 1, "one group of chains");
    let grp = groups[0];
    let gid = g.node(grp).id.clone();
    assert!(gid.starts_with("objects@pte_chain"), "{gid}");
    assert_eq!(g.node(grp).count, shared.len());
    assert_eq!(field(&g, grp, "kind").as_deref(), Some("pte_chain"));
    assert!(
        of_kind(&g, NodeKind::Object).is_empty(),
        "no chain left on its own"
    );
    // Each chain records a pte in every process's vma, so the group is linked from all four.
    let vmas: BTreeSet<String> = of_kind(&g, NodeKind::Vma)
        .into_iter()
        .map(|v| g.node(v).id.clone())
        .collect();
    assert_eq!(vmas.len(), 1 + children as usize);
    assert_eq!(
        neighbours(&g, grp, Direction::Incoming, EdgeKind::VmaObject),
        vmas
    );
    // Its pages: one group holding exactly the shared pages.
    let below = neighbours(&g, grp, Direction::Outgoing, EdgeKind::PageObject);
    assert_eq!(below.len(), 1);
    let pg = g.find(below.iter().next().unwrap()).unwrap();
    assert_eq!(g.node(pg).kind, NodeKind::PageGroup);
    assert_eq!(g.node(pg).count, shared.len());
    let (first, last) = (shared.first().unwrap(), shared.last().unwrap());
    assert_eq!(field(&g, pg, "ids"), Some(format!("{first} .. {last}")));
    assert_eq!(field(&g, pg, "mapping").as_deref(), Some(gid.as_str()));

    // Expanded: a chain node per shared page, each over its own page, each naming its group.
    let mut opts = BuildOptions::default();
    opts.expanded.insert(gid.clone());
    opts.page_group = usize::MAX;
    let g = build_with(&sim.machine, sim.scheme.as_ref(), None, &opts);
    assert!(of_kind(&g, NodeKind::ObjectGroup).is_empty());
    let chains = of_kind(&g, NodeKind::Object);
    assert_eq!(chains.len(), shared.len());
    let mut under: BTreeSet<String> = BTreeSet::new();
    for c in chains {
        assert_eq!(field(&g, c, "kind").as_deref(), Some("pte_chain"));
        assert_eq!(g.node(c).member_of(), Some(gid.as_str()));
        let pages = neighbours(&g, c, Direction::Outgoing, EdgeKind::PageObject);
        assert_eq!(pages.len(), 1, "a chain is one page's");
        under.extend(pages);
    }
    let want: BTreeSet<String> = shared.iter().map(|p| p.to_string()).collect();
    assert_eq!(under, want);
}

/// A walk's chain stays on its own node, walk-marked, beside the group of the others.
#[test]
fn the_walked_chain_stands_beside_the_group() {
    let (children, pages) = (3u32, 50u64);
    let mut sc = storm(children, pages);
    sc.steps.truncate(2 + children as usize);
    let Op::Mmap(MmapArgs { addr: base, .. }) = sc.steps[0].op else {
        panic!("the storm starts with the parent's mmap");
    };
    sc.steps.push(
        Op::Referenced {
            pid: 1,
            addr: base + 7 * PAGE_SIZE,
        }
        .into(),
    );
    let mut sim = after(&sc, "pte-chain", sc.steps.len() - 1);
    let r = sim.step(sc.ops().last().unwrap(), false);
    let w = r.walk.expect("Referenced walks");
    let g = build_with(
        &sim.machine,
        sim.scheme.as_ref(),
        Some(&w),
        &BuildOptions::default(),
    );
    let own = g
        .find(&w.object)
        .expect("the walked chain has its own node");
    assert_eq!(g.node(own).kind, NodeKind::Object);
    assert!(g.node(own).walk.on_path);
    let groups = of_kind(&g, NodeKind::ObjectGroup);
    assert_eq!(groups.len(), 1);
    assert_eq!(g.node(groups[0]).count, pages as usize - 1);
    // The walk found the page in all four processes.
    assert_eq!(w.visits.len(), 1 + children as usize);
}

/// Under every scheme, at steps of a storm with more than `OBJECT_GROUP` chains: the grouped
/// graph is the ungrouped one with classes of alike objects folded, as `BuildOptions`
/// documents them: same kind, linked from the same vmas and mms, to no other object, not on
/// the walk, more than `object_group` of them.
#[test]
fn every_scheme_folds_only_classes_of_alike_objects() {
    let sc = storm(40, 40);
    let n = sc.steps.len();
    let mut folded = 0;
    for name in scheme_names() {
        let mut s = Session::new(sc.clone(), &[name]);
        s.simulate_to(0, n);
        for k in [2, 12, 42, 43, 60, 82, n] {
            let sim = s.state_after(0, k).unwrap();
            let walk = k
                .checked_sub(1)
                .and_then(|i| s.result(0, i))
                .and_then(|r| r.walk.as_ref());
            let at = format!("{name} at step {k}");
            let full = build_with(
                &sim.machine,
                sim.scheme.as_ref(),
                walk,
                &BuildOptions::full(),
            );
            let grouped = build_with(
                &sim.machine,
                sim.scheme.as_ref(),
                walk,
                &BuildOptions {
                    object_group: OBJECT_GROUP,
                    ..BuildOptions::full()
                },
            );
            folded += check_fold(&full, &grouped, &at);
        }
    }
    assert!(folded > 0, "no step folded any object");
}

/// Checks one step; returns the number of objects folded.
fn check_fold(full: &Graph, grouped: &Graph, at: &str) -> usize {
    // The class of an object of the full graph, or None when it may never be folded.
    let class = |n: NodeIndex| -> Option<(String, BTreeSet<String>, BTreeSet<String>)> {
        let linked = !neighbours(full, n, Direction::Incoming, EdgeKind::ObjectObject).is_empty()
            || !neighbours(full, n, Direction::Outgoing, EdgeKind::ObjectObject).is_empty();
        (!linked && !full.node(n).walk.is_marked()).then(|| {
            (
                field(full, n, "kind").unwrap_or_default(),
                neighbours(full, n, Direction::Incoming, EdgeKind::VmaObject),
                neighbours(full, n, Direction::Incoming, EdgeKind::MmObject),
            )
        })
    };
    let objects: BTreeMap<String, NodeIndex> = of_kind(full, NodeKind::Object)
        .into_iter()
        .map(|n| (full.node(n).id.clone(), n))
        .collect();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut folded = 0;
    for grp in of_kind(grouped, NodeKind::ObjectGroup) {
        let gid = &grouped.node(grp).id;
        let members: Vec<String> = grouped.node(grp).members().expect("a group").listed.clone();
        assert!(
            members.len() == grouped.node(grp).count,
            "{at}: {gid} lists its members"
        );
        assert!(members.len() > OBJECT_GROUP, "{at}: {gid} is too small");
        let classes: BTreeSet<_> = members
            .iter()
            .map(|m| {
                let n = *objects
                    .get(m)
                    .unwrap_or_else(|| panic!("{at}: {m} unknown"));
                class(n).unwrap_or_else(|| panic!("{at}: {m} may not be folded"))
            })
            .collect();
        assert_eq!(classes.len(), 1, "{at}: {gid} mixes classes");
        let (kind, vmas, mms) = classes.into_iter().next().unwrap();
        assert_eq!(field(grouped, grp, "kind").as_deref(), Some(kind.as_str()));
        assert_eq!(
            neighbours(grouped, grp, Direction::Incoming, EdgeKind::VmaObject),
            vmas,
            "{at}: {gid}'s vmas"
        );
        assert_eq!(
            neighbours(grouped, grp, Direction::Incoming, EdgeKind::MmObject),
            mms,
            "{at}: {gid}'s mms"
        );
        let pages: BTreeSet<String> = members
            .iter()
            .flat_map(|m| neighbours(full, objects[m], Direction::Outgoing, EdgeKind::PageObject))
            .collect();
        assert_eq!(
            neighbours(grouped, grp, Direction::Outgoing, EdgeKind::PageObject),
            pages,
            "{at}: {gid}'s pages"
        );
        for m in &members {
            assert!(grouped.find(m).is_none(), "{at}: {m} drawn twice");
            assert!(seen.insert(m.clone()), "{at}: {m} in two groups");
        }
        folded += members.len();
    }
    // Every other object is drawn on its own, and no class left on its own is big enough.
    let mut left: BTreeMap<_, usize> = BTreeMap::new();
    for (id, &n) in &objects {
        if seen.contains(id) {
            continue;
        }
        assert!(grouped.find(id).is_some(), "{at}: {id} missing");
        if let Some(c) = class(n) {
            *left.entry(c).or_default() += 1;
        }
    }
    for (c, count) in left {
        assert!(
            count <= OBJECT_GROUP,
            "{at}: {count} alike objects {c:?} not folded"
        );
    }
    folded
}

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// Enter on the group shows its chains; Enter on a chain folds them again.
#[test]
fn enter_expands_and_folds_a_group_of_chains() {
    let sc = storm(3, 50);
    let step = 5;
    let sim = after(&sc, "pte-chain", step);
    let g = build_with(
        &sim.machine,
        sim.scheme.as_ref(),
        None,
        &BuildOptions::default(),
    );
    let grp = of_kind(&g, NodeKind::ObjectGroup)[0];
    let gid = g.node(grp).id.clone();
    let member = g.node(grp).members().expect("a group").listed[0].clone();

    let opts = AppOptions {
        scheme: "pte-chain",
        step,
        ..AppOptions::default()
    };
    let mut app = App::headless(sc, &opts).unwrap();
    // Folded, a member is found as its group.
    assert!(app.select(&member));
    assert_eq!(app.selected(), Some(gid.as_str()));
    let first = field(&g, grp, "keys")
        .and_then(|k| k.split(" .. ").next().map(str::to_string))
        .unwrap();
    app.update(key(KeyCode::Enter)); // to the graph
    app.update(key(KeyCode::Enter)); // expand
    assert_eq!(
        app.selected(),
        Some(first.as_str()),
        "the first chain selected"
    );
    assert!(app.select(&member));
    assert_eq!(
        app.selected(),
        Some(member.as_str()),
        "the chain has a node"
    );
    app.update(key(KeyCode::Enter)); // fold from a member
    assert_eq!(app.selected(), Some(gid.as_str()), "back to the group");

    // `/` finds a folded chain as its group, and says so in words.
    app.update(key(KeyCode::Esc)); // back to the steps
    app.update(key(KeyCode::Char('/')));
    for c in member.chars() {
        app.update(key(KeyCode::Char(c)));
    }
    app.update(key(KeyCode::Enter));
    assert_eq!(
        app.selected(),
        Some(gid.as_str()),
        "{member} found in its group"
    );
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    term.draw(|f| rmapviz::tui::render::draw(&app, f)).unwrap();
    let b = term.backend().buffer();
    let footer: String = (0..b.area.width)
        .map(|x| b[(x, b.area.height - 1)].symbol())
        .collect();
    assert!(
        footer.contains("is folded into + 50 pte_chains"),
        "{footer}"
    );
    assert!(!footer.contains("objects@"), "no internal id: {footer}");
}

/// Chains recording more ptes than the graph links one by one (`LINKED_PTES`) are linked to no
/// vma; their group is drawn on rows of its own at the top of the objects column (the mm and
/// vma columns blank there), not a thousand rows down below the last vma.
#[test]
fn an_unlinked_group_is_drawn_at_the_top() {
    use rmapviz::schemes::pte_chain::LINKED_PTES;
    use rmapviz::view::layout;
    let (children, pages) = (3u32, 2000u64);
    let sc = storm(children, pages);
    let sim = after(&sc, "pte-chain", 2 + children as usize);
    assert!((children as usize + 1) * pages as usize > LINKED_PTES);
    let g = build_with(
        &sim.machine,
        sim.scheme.as_ref(),
        None,
        &BuildOptions::default(),
    );
    let grp = of_kind(&g, NodeKind::ObjectGroup)[0];
    assert!(neighbours(&g, grp, Direction::Incoming, EdgeKind::VmaObject).is_empty());
    let l = layout(&g);
    let row = l.of(grp).expect("the group is placed").row;
    assert_eq!(row, 0, "the group heads the objects column");
    assert_eq!(l.at(row, 0), None, "no mm beside it");
    assert_eq!(l.at(row, 1), None, "no vma beside it");
    // Every mm and vma is still drawn, below it.
    for k in [NodeKind::Mm, NodeKind::Vma] {
        for n in of_kind(&g, k) {
            assert!(l.of(n).expect("placed").row > row);
        }
    }
}

/// An mm with more vmas than `vma_group` shows runs of alike vmas as one node; expanded, every
/// vma of the run has its own node (each naming the group), and Enter on one folds the run.
#[test]
fn an_expanded_run_of_vmas_shows_every_vma() {
    use rmapviz::model::Prot;
    use rmapviz::scenario::Scenario;
    let mut sc = Scenario::empty("twenty vmas");
    for k in 0..20u64 {
        sc.steps.push(
            Op::Mmap(MmapArgs {
                pid: 1,
                addr: 0x100000 + k * 0x10000,
                pages: 1,
                prot: Prot::RW,
                shared: false,
                file: None,
                offset: 0,
            })
            .into(),
        );
    }
    let sim = after(&sc, "anon-vma", 20);
    assert_eq!(sim.machine.procs[&1].mm.vmas.len(), 20);
    let g = build_with(
        &sim.machine,
        sim.scheme.as_ref(),
        None,
        &BuildOptions::default(),
    );
    let runs = of_kind(&g, NodeKind::VmaGroup);
    assert_eq!(runs.len(), 1, "twenty unlinked vmas are one run");
    let gid = g.node(runs[0]).id.clone();
    assert_eq!(g.node(runs[0]).count, 20);
    let mut opts = BuildOptions::default();
    opts.expanded.insert(gid.clone());
    let g = build_with(&sim.machine, sim.scheme.as_ref(), None, &opts);
    assert!(
        of_kind(&g, NodeKind::VmaGroup).is_empty(),
        "no run left folded"
    );
    let vmas = of_kind(&g, NodeKind::Vma);
    assert_eq!(vmas.len(), 20);
    for v in vmas {
        assert_eq!(g.node(v).member_of(), Some(gid.as_str()));
    }

    // The same through the TUI's Enter.
    let opts = AppOptions {
        step: 20,
        ..AppOptions::default()
    };
    let last = sim.machine.procs[&1].mm.vmas[19].id.to_string();
    let mut app = App::headless(sc, &opts).unwrap();
    assert!(app.select(&gid));
    app.update(key(KeyCode::Enter)); // to the graph
    app.update(key(KeyCode::Enter)); // expand
    let first = app.selected().unwrap().to_string();
    assert!(
        first.starts_with("vma"),
        "a vma of the run selected: {first}"
    );
    assert!(app.select(&last), "the last vma has its own node");
    assert_eq!(app.selected(), Some(last.as_str()));
    app.update(key(KeyCode::Enter)); // fold
    assert_eq!(app.selected(), Some(gid.as_str()));
}

/// S3's reclaim under pte-chain unmaps both ptes of the page, and the page's chain goes with
/// its last pte (docs/semantics.md §3.1: page_remove_rmap frees the chain). The graph draws the
/// chain as the walk saw it, marked gone, between the two vmas the walk visited and the page.
#[test]
fn a_chain_the_walk_freed_is_drawn_as_walked() {
    let mut sim = Simulation::by_name("pte-chain").unwrap();
    let (sc, _) = rmapviz::scenario::Scenario::load("S3").unwrap();
    let mut last = None;
    for op in sc.ops() {
        last = Some(sim.step(op, false));
    }
    let w = last.and_then(|r| r.walk).expect("S3 ends with a SwapOut");
    assert!(w.unmapped_all, "both ptes found (2 HIT)");
    assert_eq!(w.hit, 2);
    assert!(
        sim.scheme
            .rmap_graph(&sim.machine)
            .index_of(&w.object)
            .is_none(),
        "the chain is gone from the state"
    );
    let g = build_with(
        &sim.machine,
        sim.scheme.as_ref(),
        Some(&w),
        &BuildOptions::default(),
    );
    let chain = g.find(&w.object).expect("the walked chain is drawn");
    // Marked gone at every level of detail (a cross at the tightest).
    for d in rmapviz::view::Detail::ALL {
        let label = g.node(chain).label_at(d);
        assert!(
            label.contains("gone") || label.ends_with('✗'),
            "{d:?}: {label}"
        );
    }
    assert!(g.node(chain).walk.on_path);
    let page = g.find(&w.page.to_string()).expect("the walked page");
    use petgraph::visit::EdgeRef;
    let into_page: Vec<_> = g
        .graph
        .edges_directed(page, Direction::Incoming)
        .map(|e| (e.source(), e.weight().on_path))
        .collect();
    assert_eq!(
        into_page,
        vec![(chain, true)],
        "the page hangs from the chain"
    );
    let from: BTreeSet<_> = g
        .graph
        .edges_directed(chain, Direction::Incoming)
        .filter(|e| e.weight().kind == EdgeKind::VmaObject && e.weight().on_path)
        .map(|e| e.source())
        .collect();
    let visited: BTreeSet<_> = w
        .visits
        .iter()
        .filter_map(|v| v.vma.and_then(|id| g.find(&id.to_string())))
        .collect();
    assert_eq!(visited.len(), 2);
    assert_eq!(from, visited, "linked from the vmas the walk visited");
}
