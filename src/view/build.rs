//! Building the graph of one state: the nodes of the four columns from the machine and the
//! scheme's view (pages grouped per object or per vma beyond [`BuildOptions::page_group`]), the
//! walk marked on it, and focus mode. [`super::graph`] holds what the graph is.

use petgraph::stable_graph::NodeIndex;
use petgraph::visit::EdgeRef;
use std::collections::{BTreeMap, HashMap, HashSet};

use crate::model::{Machine, PageId, PageSet, VmaId, Walk, hex};
use crate::session::Simulation;

use super::graph::*;
use super::group::{LISTED, ObjectGroups};
use super::nodes::{
    group_node, page_fields, page_group_node, page_node, pte_stats, vma_fields, vma_labels,
};

/// The graph of `sim` with `walk` marked, with the default options.
pub fn build(sim: &Simulation, walk: Option<&Walk>) -> GraphView {
    build_with(sim, walk, &BuildOptions::default())
}

/// Builds the graph of `sim`, marks `walk` on it and applies the grouping and focus options.
pub fn build_with(sim: &Simulation, walk: Option<&Walk>, opts: &BuildOptions) -> GraphView {
    let m = &sim.machine;
    let rv = sim.scheme.view(m);
    let page_link = sim.scheme.info().page_link();
    let mut g = GraphView::new(sim.scheme_name());
    let stats = m.procs.values().map(|p| p.mm.pt.len()).sum::<usize>() <= opts.pte_stats_limit;

    // Vmas on the walk or holding a LOST pte are never folded into a group.
    let mut keep_vma: HashSet<VmaId> = HashSet::new();
    if let Some(w) = walk {
        keep_vma.extend(w.visits.iter().filter_map(|v| v.vma));
        for l in &w.lost {
            if let Some(v) = m.procs.get(&l.pid).and_then(|p| p.mm.vma_at(l.addr)) {
                keep_vma.insert(v.id);
            }
        }
    }
    let mut vma_links: HashMap<VmaId, Vec<usize>> = HashMap::new();
    for (v, o, _) in &rv.vma_links {
        vma_links.entry(*v).or_default().push(*o);
    }
    let extra_fields: HashMap<VmaId, &Vec<(String, String)>> =
        rv.vma_fields.iter().map(|(v, f)| (*v, f)).collect();

    // mm and vma nodes; vma_node maps every vma (grouped or not) to the node that shows it.
    let mut vma_node: HashMap<VmaId, NodeIndex> = HashMap::new();
    for p in m.procs.values() {
        let rss = p.mm.pt.len();
        let mm = g.add(node(
            mm_id(p.pid),
            NodeKind::Mm,
            format!("pid {}", p.pid),
            vec![
                ("pid".to_string(), p.pid.to_string()),
                ("mm".to_string(), p.mm.id.to_string()),
                ("vmas".to_string(), p.mm.vmas.len().to_string()),
                ("ptes".to_string(), rss.to_string()),
            ],
            1,
            (p.pid as u64, 0),
        ));
        let group_runs = p.mm.vmas.len() > opts.vma_group;
        let mut i = 0;
        while i < p.mm.vmas.len() {
            let v = &p.mm.vmas[i];
            // A run of vmas with the same object links, none of them on the walk.
            let mut j = i + 1;
            if group_runs && !keep_vma.contains(&v.id) {
                let key = vma_links.get(&v.id);
                while j < p.mm.vmas.len()
                    && !keep_vma.contains(&p.mm.vmas[j].id)
                    && vma_links.get(&p.mm.vmas[j].id) == key
                {
                    j += 1;
                }
            }
            let gid = format!("vmas@{}@{}", mm_id(p.pid), hex(v.start));
            let expanded = j - i >= 3 && opts.expanded.contains(&gid);
            if j - i >= 3 && !expanded {
                let run = &p.mm.vmas[i..j];
                let members: Vec<String> = run.iter().map(|v| v.id.to_string()).collect();
                let fields = vec![
                    ("vmas".to_string(), run.len().to_string()),
                    ("from".to_string(), hex(run[0].start)),
                    ("to".to_string(), hex(run[run.len() - 1].end)),
                ];
                let n = g.add(Node {
                    grouping: Grouping::Group(Members::listing(members)),
                    ..group_node(
                        gid,
                        NodeKind::VmaGroup,
                        "vmas",
                        run.len(),
                        format!("{}-{}", hex(run[0].start), hex(run[run.len() - 1].end)),
                        fields,
                        (p.pid as u64, run[0].start),
                    )
                });
                g.link(mm, n, EdgeKind::MmVma, "vmas");
                for v in run {
                    vma_node.insert(v.id, n);
                }
                i = j;
                continue;
            }
            // One vma, or every vma of a run the user expanded (each naming its group, so
            // that Enter on it folds the run again).
            let end = if expanded { j } else { i + 1 };
            for v in &p.mm.vmas[i..end] {
                let ps = stats.then(|| pte_stats(m, p.pid, v));
                let mut fields = vma_fields(m, p.pid, v, ps.as_ref());
                if let Some(extra) = extra_fields.get(&v.id) {
                    fields.extend(extra.iter().cloned());
                }
                let (label, short) = vma_labels(m, v, ps.as_ref());
                let n = g.add(Node {
                    short,
                    grouping: member_of(expanded, &gid),
                    addrs: Some((v.start, v.end)),
                    ..node(
                        v.id.to_string(),
                        NodeKind::Vma,
                        label,
                        fields,
                        1,
                        (p.pid as u64, v.start),
                    )
                });
                g.link(mm, n, EdgeKind::MmVma, "");
                vma_node.insert(v.id, n);
            }
            i = end;
        }
    }

    // rmap objects, many alike ones folded into a group (see super::group).
    let mut keep_obj: HashSet<&str> = HashSet::new();
    if let Some(w) = walk {
        keep_obj.insert(w.object.as_str());
        keep_obj.extend(w.visits.iter().map(|v| v.via.as_str()));
    }
    let groups = ObjectGroups::find(&rv, &keep_obj, opts);
    // What the pages column hangs from: each object on its own, or its group.
    let mut units: Vec<Unit> = Vec::with_capacity(rv.objects.len());
    let mut unit_of = Vec::with_capacity(rv.objects.len());
    let mut group_unit: Vec<Option<usize>> = vec![None; groups.groups.len()];
    let mut sets: Vec<PageSet> = vec![PageSet::new(); rv.objects.len()];
    for (pages, o) in &rv.page_links {
        if let Some(s) = sets.get_mut(*o) {
            *s = if s.is_empty() {
                pages.clone()
            } else {
                s.union(pages)
            };
        }
    }
    for (k, o) in rv.objects.iter().enumerate() {
        if let Some(gi) = groups.of[k] {
            let u = match group_unit[gi] {
                Some(u) => u,
                None => {
                    let members = &groups.groups[gi].members;
                    let pages = PageSet::union_all(members.iter().map(|&m| &sets[m]));
                    let n = g.add(groups.node(gi, &rv, pages.len()));
                    units.push(Unit {
                        node: n,
                        key: &groups.groups[gi].id,
                        first: k,
                        pages,
                        members,
                    });
                    group_unit[gi] = Some(units.len() - 1);
                    units.len() - 1
                }
            };
            unit_of.push(u);
            continue;
        }
        let mut fields = vec![("kind".to_string(), o.kind.to_string())];
        fields.extend(o.fields.iter().cloned());
        // Short: the object's key ("av1"); the inspector has the rest.
        let n = g.add(Node {
            short: [o.label.clone(), o.key.clone(), o.key.clone()],
            grouping: groups.expanded_in[k]
                .clone()
                .map_or(Grouping::Alone, Grouping::Member),
            ..node(
                o.key.clone(),
                NodeKind::Object,
                o.label.clone(),
                fields,
                1,
                (k as u64, 0),
            )
        });
        units.push(Unit {
            node: n,
            key: &o.key,
            first: k,
            pages: std::mem::take(&mut sets[k]),
            members: &[],
        });
        unit_of.push(units.len() - 1);
    }
    let obj_node: Vec<NodeIndex> = unit_of.iter().map(|&u| units[u].node).collect();
    let mut seen = HashSet::new();
    for (v, o, label) in &rv.vma_links {
        if let (Some(&a), Some(&b)) = (vma_node.get(v), obj_node.get(*o))
            && seen.insert((a, b))
        {
            g.link(a, b, EdgeKind::VmaObject, label);
        }
    }
    for (mm, o) in &rv.mm_links {
        if let (Some(p), Some(&b)) = (m.proc_by_mm(*mm), obj_node.get(*o))
            && let Some(a) = g.find(&mm_id(p.pid))
            && seen.insert((a, b))
        {
            g.link(a, b, EdgeKind::MmObject, "");
        }
    }
    for (a, b, label) in &rv.object_links {
        if let (Some(&a), Some(&b)) = (obj_node.get(*a), obj_node.get(*b)) {
            g.link(a, b, EdgeKind::ObjectObject, label);
        }
    }

    // Pages, grouped per object (or group of objects). The scheme hands them over as sets of
    // runs: a collapsed group costs its count and its first and last id, never a look at each
    // page.
    let walked = walk.map(|w| w.page);
    let mut walked_shown = false;
    for u in &units {
        let pages = &u.pages;
        let (Some(first), Some(last)) = (pages.first(), pages.last()) else {
            continue;
        };
        let count = pages.len();
        let word = page_link;
        let gid = page_group_id(u.key);
        let expanded = count > opts.page_group && opts.expanded.contains(&gid);
        let grouped = count > opts.page_group && !expanded;
        let walked_here = walked.filter(|&w| pages.contains(w));
        let single: Box<dyn Iterator<Item = PageId>> = if grouped {
            Box::new(walked_here.into_iter())
        } else {
            Box::new(pages.iter())
        };
        for p in single {
            walked_shown |= Some(p) == walked;
            // A page of a group of objects names its own object.
            let owner = u
                .members
                .iter()
                .find(|&&k| sets[k].contains(p))
                .map_or(u.key, |&k| rv.objects[k].key.as_str());
            let fields = page_fields(m, p, Some(owner));
            let n = g.add(Node {
                grouping: member_of(expanded, &gid),
                ..page_node(m, p, fields, (u.first as u64, p.0 as u64))
            });
            g.link(u.node, n, EdgeKind::PageObject, word);
        }
        let folded = count - usize::from(walked_here.is_some());
        if !grouped || folded == 0 {
            continue;
        }
        let members: Vec<String> = if count <= LISTED {
            pages
                .iter()
                .filter(|&p| Some(p) != walked)
                .map(|p| p.to_string())
                .collect()
        } else {
            Vec::new()
        };
        let n = g.add(page_group_node(
            gid,
            folded,
            (first, last),
            u.key.to_string(),
            members,
            (u.first as u64, first.0 as u64),
        ));
        g.link(u.node, n, EdgeKind::PageObject, word);
    }

    walked_shown |= add_direct_pages(&mut g, m, &rv.page_vma_links, &vma_node, walked, opts);

    if let Some(w) = walk {
        // The walked page is always shown, even when no object links it any more (swapped out).
        if !walked_shown {
            let obj = rv.index_of(&w.object);
            let n = g.add(page_node(
                m,
                w.page,
                page_fields(m, w.page, obj.map(|_| w.object.as_str())),
                (obj.unwrap_or(rv.objects.len()) as u64, w.page.0 as u64),
            ));
            if let Some(o) = obj {
                g.link(obj_node[o], n, EdgeKind::PageObject, page_link);
            } else if let Some(gone) = gone_object(&mut g, w, &vma_node, rv.objects.len()) {
                g.link(gone, n, EdgeKind::PageObject, "walked");
            }
        }
        mark_walk(&mut g, m, w);
    }
    if opts.focus_walk && g.walk.is_some() {
        focus(&mut g);
    }
    g
}

/// The structure the walk started from, when the state after the step no longer has it and no
/// longer links the walked page: pte-chain clears a page's chain (or its `pte.direct`) with
/// its last pte, so a reclaim that unmapped every pte leaves nothing between the vmas it
/// visited and the page. It is drawn as the walk saw it, marked gone, linked from the vmas the
/// walk visited, so that the walk still reads vma -> object -> page.
fn gone_object(
    g: &mut GraphView,
    w: &Walk,
    vma_node: &HashMap<VmaId, NodeIndex>,
    order: usize,
) -> Option<NodeIndex> {
    if w.object.is_empty() || g.find(&w.object).is_some() {
        return None;
    }
    let why = if w.unmapped_all {
        "removed with the page's last pte by this step's walk"
    } else {
        "not in the state after this step"
    };
    let n = g.add(Node {
        // The tightest level marks it with a cross (the inspector says what it means).
        short: [
            format!("{} (gone)", w.object),
            format!("{} (gone)", w.object),
            format!("{} ✗", w.object),
        ],
        ..node(
            w.object.clone(),
            NodeKind::Object,
            format!("{} (gone after the walk)", w.object),
            vec![
                ("kind".to_string(), "walked, gone".to_string()),
                ("walked".to_string(), w.object.clone()),
                ("now".to_string(), why.to_string()),
            ],
            1,
            (order as u64, 0),
        )
    });
    let mut linked = HashSet::new();
    for v in &w.visits {
        if let Some(&vn) = v.vma.and_then(|id| vma_node.get(&id))
            && linked.insert(vn)
        {
            let label = v.addr.map_or(String::new(), |a| format!("pte {}", hex(a)));
            g.link(vn, n, EdgeKind::VmaObject, &label);
        }
    }
    Some(n)
}

/// The node the pages of some objects hang from: one object, or a group of alike objects.
struct Unit<'a> {
    node: NodeIndex,
    /// The object's key, or the group's id.
    key: &'a str,
    /// The first object's index in the view (the column order).
    first: usize,
    pages: PageSet,
    /// A group's members (none for an object on its own).
    members: &'a [usize],
}

/// Pages whose rmap words point straight at a vma: linked from that vma's node, grouped per vma
/// like an object's pages. Returns whether the walked page was shown.
fn add_direct_pages(
    g: &mut GraphView,
    m: &Machine,
    links: &[(PageSet, VmaId, String)],
    vma_node: &HashMap<VmaId, NodeIndex>,
    walked: Option<PageId>,
    opts: &BuildOptions,
) -> bool {
    let mut per_vma: BTreeMap<VmaId, Vec<(&PageSet, &str)>> = BTreeMap::new();
    for (p, v, label) in links {
        per_vma.entry(*v).or_default().push((p, label.as_str()));
    }
    let mut walked_shown = false;
    for (v, sets) in per_vma {
        let Some(&vn) = vma_node.get(&v) else {
            continue;
        };
        let gid = format!("pages@{v}");
        let total: usize = sets.iter().map(|(s, _)| s.len()).sum();
        let expanded = total > opts.page_group && opts.expanded.contains(&gid);
        let grouped = total > opts.page_group && !expanded;
        // The pages drawn one by one: all of them, or only the walked one.
        let mut single: Vec<(PageId, &str)> = Vec::new();
        let mut folded = 0;
        let mut span = (PageId(u32::MAX), PageId(0));
        for &(set, label) in &sets {
            if !grouped {
                single.extend(set.iter().map(|p| (p, label)));
                continue;
            }
            let has_walked = walked.is_some_and(|w| set.contains(w));
            if has_walked {
                single.extend(walked.map(|w| (w, label)));
            }
            let others = |p: &PageId| Some(*p) != walked;
            if let (Some(a), Some(b)) = (set.iter().find(others), set.iter().rev().find(others)) {
                folded += set.len() - usize::from(has_walked);
                span = (span.0.min(a), span.1.max(b));
            }
        }
        single.sort_unstable();
        for (p, label) in single {
            walked_shown |= Some(p) == walked;
            let n = match g.find(&p.to_string()) {
                Some(n) => n,
                None => {
                    let fields = page_fields(m, p, Some(format!("{v} ({label})").as_str()));
                    g.add(Node {
                        grouping: member_of(expanded, &gid),
                        ..page_node(m, p, fields, (u64::MAX, p.0 as u64))
                    })
                }
            };
            g.link(vn, n, EdgeKind::VmaPage, label);
        }
        if folded > 0 {
            let n = g.add(page_group_node(
                gid,
                folded,
                span,
                format!("{v} (direct)"),
                Vec::new(),
                (u64::MAX, span.0.0 as u64),
            ));
            g.link(vn, n, EdgeKind::VmaPage, "direct");
        }
    }
    walked_shown
}

/// Marks the walk's page, object, candidates and LOST ptes, and the edges it followed.
fn mark_walk(g: &mut GraphView, m: &Machine, w: &Walk) {
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
fn focus(g: &mut GraphView) {
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

/// A node's place in group `gid`: a member shown on its own when the group is expanded.
fn member_of(expanded: bool, gid: &str) -> Grouping {
    if expanded {
        Grouping::Member(gid.to_string())
    } else {
        Grouping::Alone
    }
}
