//! Building the graph of one state, column by column: [`build_with`] takes the machine and the
//! scheme that keeps its reverse maps, and a `Builder` adds the mm and vma columns
//! (`Builder::processes`), the rmap objects (`Builder::objects`), the pages
//! (`Builder::pages`), then the walked page, the walk's marks and focus mode
//! (`Builder::finish`). Pages are grouped per object or per vma beyond
//! [`BuildOptions::page_group`], alike objects as [`super::group`] says. [`super::graph`] holds
//! what the graph is; [`super::mark`] marks the walk on it.

use petgraph::stable_graph::NodeIndex;
use std::collections::{BTreeMap, HashMap, HashSet};

use crate::model::rmap::{RmapGraph, Scheme};
use crate::model::{Machine, PageId, PageSet, Process, Vma, VmaId, Walk, hex};

use super::graph::*;
use super::group::{LISTED, ObjectGroups};
use super::mark::{focus, mark_walk};
use super::nodes::{group_node, page_fields, page_group_node, page_node, pte_stats, vma_labels};

/// The graph of `m` under `scheme` with `walk` marked, with the default options.
pub fn build(m: &Machine, scheme: &dyn Scheme, walk: Option<&Walk>) -> Graph {
    build_with(m, scheme, walk, &BuildOptions::default())
}

/// Builds the graph of `m` under `scheme`, marks `walk` on it and applies the grouping and
/// focus options.
pub fn build_with(
    m: &Machine,
    scheme: &dyn Scheme,
    walk: Option<&Walk>,
    opts: &BuildOptions,
) -> Graph {
    build_from(m, scheme, &scheme.rmap_graph(m), walk, opts)
}

/// [`build_with`] from `rv`, the rmap side of `m` under `scheme` made already (the TUI keeps
/// it to tell what changed from one step to the next).
pub fn build_from(
    m: &Machine,
    scheme: &dyn Scheme,
    rv: &RmapGraph,
    walk: Option<&Walk>,
    opts: &BuildOptions,
) -> Graph {
    // Objects on the walk are never folded into a group.
    let mut keep: HashSet<&str> = HashSet::new();
    if let Some(w) = walk {
        keep.insert(w.object.as_str());
        keep.extend(w.visits.iter().map(|v| v.via.as_str()));
    }
    let groups = ObjectGroups::find(rv, &keep, opts);
    let mut b = Builder::new(m, scheme.info().name, rv, walk, opts);
    b.processes();
    let units = b.objects(&groups);
    b.pages(&units, scheme.info().page_link());
    b.finish(scheme.info().page_link())
}

/// The graph of one state while it is built: what each column needs from the ones before it.
struct Builder<'a> {
    m: &'a Machine,
    rv: &'a RmapGraph,
    walk: Option<&'a Walk>,
    opts: &'a BuildOptions,
    g: Graph,
    /// Every vma (grouped or not) to the node that shows it.
    vma_node: HashMap<VmaId, NodeIndex>,
    /// The node that shows each object of the view: its own, or its group's.
    obj_node: Vec<NodeIndex>,
    /// Each object's pages (an object on its own hands its set to its `Unit`).
    sets: Vec<PageSet>,
    /// Whether the walked page has a node yet.
    walked_shown: bool,
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

impl<'a> Builder<'a> {
    /// An empty graph of scheme `scheme` for `m`, whose rmap objects are `rv`.
    fn new(
        m: &'a Machine,
        scheme: &'static str,
        rv: &'a RmapGraph,
        walk: Option<&'a Walk>,
        opts: &'a BuildOptions,
    ) -> Builder<'a> {
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
        Builder {
            m,
            rv,
            walk,
            opts,
            g: Graph::new(scheme),
            vma_node: HashMap::new(),
            obj_node: Vec::new(),
            sets,
            walked_shown: false,
        }
    }

    /// The mm column and the vma column: each process's mm, and its vmas, runs of more than
    /// [`BuildOptions::vma_group`] vmas linked to the same objects folded into groups.
    fn processes(&mut self) {
        let (m, opts) = (self.m, self.opts);
        // Vmas on the walk or holding a LOST pte are never folded into a group.
        let mut keep: HashSet<VmaId> = HashSet::new();
        if let Some(w) = self.walk {
            keep.extend(w.visits.iter().filter_map(|v| v.vma));
            for l in &w.lost {
                if let Some(v) = m.procs.get(&l.pid).and_then(|p| p.mm.vma_at(l.addr)) {
                    keep.insert(v.id);
                }
            }
        }
        let mut links: HashMap<VmaId, Vec<usize>> = HashMap::new();
        for (v, o, _) in &self.rv.vma_links {
            links.entry(*v).or_default().push(*o);
        }
        let extra: HashMap<VmaId, &[(String, String)]> = self
            .rv
            .vma_fields
            .iter()
            .map(|(v, f)| (*v, f.as_slice()))
            .collect();
        let stats = m.procs.values().map(|p| p.mm.pt.len()).sum::<usize>() <= opts.pte_stats_limit;
        for p in m.procs.values() {
            let mm = self.mm(p);
            let vmas = &p.mm.vmas;
            let group_runs = vmas.len() > opts.vma_group;
            let mut i = 0;
            while i < vmas.len() {
                // A run of vmas with the same object links, none of them on the walk.
                let mut j = i + 1;
                if group_runs && !keep.contains(&vmas[i].id) {
                    let key = links.get(&vmas[i].id);
                    while j < vmas.len()
                        && !keep.contains(&vmas[j].id)
                        && links.get(&vmas[j].id) == key
                    {
                        j += 1;
                    }
                }
                // A single vma has no group id to make.
                let gid =
                    (j - i >= 3).then(|| format!("vmas@{}@{}", mm_id(p.pid), hex(vmas[i].start)));
                let expanded = gid.as_ref().is_some_and(|g| opts.expanded.contains(g));
                if let Some(gid) = gid.as_ref().filter(|_| !expanded) {
                    self.vma_group(mm, p, &vmas[i..j], gid.clone());
                    i = j;
                    continue;
                }
                // One vma, or every vma of a run the user expanded (each naming its group, so
                // that Enter on it folds the run again).
                let end = if expanded { j } else { i + 1 };
                let grouping = gid.map_or(Grouping::Alone, |g| member_of(expanded, &g));
                for v in &vmas[i..end] {
                    let more = extra.get(&v.id).copied().unwrap_or_default();
                    self.vma(mm, p, v, (stats, more), grouping.clone());
                }
                i = end;
            }
        }
    }

    fn mm(&mut self, p: &Process) -> NodeIndex {
        self.g.add(node(
            mm_id(p.pid),
            NodeKind::Mm,
            format!("pid {}", p.pid),
            Fields::Mm(MmFacts {
                pid: p.pid,
                mm: p.mm.id,
                vmas: p.mm.vmas.len(),
                ptes: p.mm.pt.len(),
            }),
            1,
            (p.pid as u64, 0),
        ))
    }

    /// A run of vmas of `p` shown as one node.
    fn vma_group(&mut self, mm: NodeIndex, p: &Process, run: &[Vma], gid: String) {
        let (start, end) = (run[0].start, run[run.len() - 1].end);
        let fields = vec![
            ("vmas".to_string(), run.len().to_string()),
            ("from".to_string(), hex(start)),
            ("to".to_string(), hex(end)),
        ];
        let members = run.iter().map(|v| v.id.to_string()).collect();
        let n = self.g.add(Node {
            grouping: Grouping::Group(Members::listing(members)),
            ..group_node(
                gid,
                NodeKind::VmaGroup,
                "vmas",
                run.len(),
                format!("{}-{}", hex(start), hex(end)),
                fields,
                (p.pid as u64, start),
            )
        });
        self.g.link(mm, n, EdgeKind::MmVma, "vmas");
        for v in run {
            self.vma_node.insert(v.id, n);
        }
    }

    /// Vma `v` of `p` on its own node: its ptes counted when `stats`, the scheme's `extra`
    /// fields after the machine's.
    fn vma(
        &mut self,
        mm: NodeIndex,
        p: &Process,
        v: &Vma,
        (stats, extra): (bool, &[(String, String)]),
        grouping: Grouping,
    ) {
        let m = self.m;
        let ps = stats.then(|| pte_stats(m, p.pid, v));
        let (label, short) = vma_labels(m, v, ps.as_ref());
        let fields = Fields::Vma(Box::new(VmaFacts::new(m, p.pid, v, ps, extra.to_vec())));
        let n = self.g.add(Node {
            short,
            grouping,
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
        self.g.link(mm, n, EdgeKind::MmVma, "");
        self.vma_node.insert(v.id, n);
    }

    /// The rmap objects column, many alike objects folded into the groups of `groups`, and
    /// the links into it (vma -> object, mm -> object, object -> object). Returns what the
    /// pages column hangs from.
    fn objects(&mut self, groups: &'a ObjectGroups) -> Vec<Unit<'a>> {
        let rv = self.rv;
        let mut units: Vec<Unit<'a>> = Vec::with_capacity(rv.objects.len());
        let mut unit_of = Vec::with_capacity(rv.objects.len());
        let mut group_unit: Vec<Option<usize>> = vec![None; groups.groups.len()];
        for (k, o) in rv.objects.iter().enumerate() {
            if let Some(gi) = groups.of[k] {
                let u = match group_unit[gi] {
                    Some(u) => u,
                    None => {
                        let members = &groups.groups[gi].members;
                        let pages = PageSet::union_all(members.iter().map(|&m| &self.sets[m]));
                        let n = self.g.add(groups.node(gi, rv, pages.len()));
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
            let n = self.g.add(Node {
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
                pages: std::mem::take(&mut self.sets[k]),
                members: &[],
            });
            unit_of.push(units.len() - 1);
        }
        self.obj_node = unit_of.iter().map(|&u| units[u].node).collect();
        self.object_links();
        units
    }

    /// The edges into the objects column.
    fn object_links(&mut self) {
        let (rv, g, obj_node) = (self.rv, &mut self.g, &self.obj_node);
        let mut seen = HashSet::new();
        for (v, o, label) in &rv.vma_links {
            if let (Some(&a), Some(&b)) = (self.vma_node.get(v), obj_node.get(*o))
                && seen.insert((a, b))
            {
                g.link(a, b, EdgeKind::VmaObject, label);
            }
        }
        for (mm, o) in &rv.mm_links {
            if let (Some(p), Some(&b)) = (self.m.proc_by_mm(*mm), obj_node.get(*o))
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
    }

    /// The pages column: the pages of each of `units`, linked by the page's `word` (grouped
    /// per unit beyond [`BuildOptions::page_group`]), then the pages whose rmap words point
    /// straight at a vma. The scheme hands pages over as sets of runs: a collapsed group costs
    /// its count and its first and last id, never a look at each page.
    fn pages(&mut self, units: &[Unit], word: &str) {
        let (m, rv, opts) = (self.m, self.rv, self.opts);
        let walked = self.walk.map(|w| w.page);
        for u in units {
            let pages = &u.pages;
            let (Some(first), Some(last)) = (pages.first(), pages.last()) else {
                continue;
            };
            let count = pages.len();
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
                self.walked_shown |= Some(p) == walked;
                // A page of a group of objects names its own object.
                let owner = u
                    .members
                    .iter()
                    .find(|&&k| self.sets[k].contains(p))
                    .map_or(u.key, |&k| rv.objects[k].key.as_str());
                let fields = page_fields(m, p, Some(owner));
                let n = self.g.add(Node {
                    grouping: member_of(expanded, &gid),
                    ..page_node(m, p, fields, (u.first as u64, p.0 as u64))
                });
                self.g.link(u.node, n, EdgeKind::PageObject, word);
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
            let n = self.g.add(page_group_node(
                gid,
                folded,
                (first, last),
                u.key.to_string(),
                members,
                (u.first as u64, first.0 as u64),
            ));
            self.g.link(u.node, n, EdgeKind::PageObject, word);
        }
        self.direct_pages();
    }

    /// Pages whose rmap words point straight at a vma: linked from that vma's node, grouped
    /// per vma like an object's pages.
    fn direct_pages(&mut self) {
        let (m, opts) = (self.m, self.opts);
        let walked = self.walk.map(|w| w.page);
        let mut per_vma: BTreeMap<VmaId, Vec<(&PageSet, &str)>> = BTreeMap::new();
        for (p, v, label) in &self.rv.page_vma_links {
            per_vma.entry(*v).or_default().push((p, label.as_str()));
        }
        for (v, sets) in per_vma {
            let Some(&vn) = self.vma_node.get(&v) else {
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
                if let (Some(a), Some(b)) = (set.iter().find(others), set.iter().rev().find(others))
                {
                    folded += set.len() - usize::from(has_walked);
                    span = (span.0.min(a), span.1.max(b));
                }
            }
            single.sort_unstable();
            for (p, label) in single {
                self.walked_shown |= Some(p) == walked;
                let n = match self.g.find(&p.to_string()) {
                    Some(n) => n,
                    None => {
                        let fields = page_fields(m, p, Some(format!("{v} ({label})").as_str()));
                        self.g.add(Node {
                            grouping: member_of(expanded, &gid),
                            ..page_node(m, p, fields, (u64::MAX, p.0 as u64))
                        })
                    }
                };
                self.g.link(vn, n, EdgeKind::VmaPage, label);
            }
            if folded > 0 {
                let n = self.g.add(page_group_node(
                    gid,
                    folded,
                    span,
                    format!("{v} (direct)"),
                    Vec::new(),
                    (u64::MAX, span.0.0 as u64),
                ));
                self.g.link(vn, n, EdgeKind::VmaPage, "direct");
            }
        }
    }

    /// The graph: the walked page added if no column showed it (linked by `word` from its
    /// object), the walk marked, and focus mode applied.
    fn finish(mut self, word: &str) -> Graph {
        let (m, rv) = (self.m, self.rv);
        if let Some(w) = self.walk {
            // The walked page is always shown, even when no object links it any more (swapped
            // out).
            if !self.walked_shown {
                let obj = rv.index_of(&w.object);
                let n = self.g.add(page_node(
                    m,
                    w.page,
                    page_fields(m, w.page, obj.map(|_| w.object.as_str())),
                    (obj.unwrap_or(rv.objects.len()) as u64, w.page.0 as u64),
                ));
                if let Some(o) = obj {
                    self.g.link(self.obj_node[o], n, EdgeKind::PageObject, word);
                } else if let Some(gone) = self.gone_object(w) {
                    self.g.link(gone, n, EdgeKind::PageObject, "walked");
                }
            }
            mark_walk(&mut self.g, m, w);
        }
        if self.opts.focus_walk && self.g.walk.is_some() {
            focus(&mut self.g);
        }
        self.g
    }

    /// The structure the walk started from, when the state after the step no longer has it
    /// and no longer links the walked page: pte-chain clears a page's chain (or its
    /// `pte.direct`) with its last pte, so a reclaim that unmapped every pte leaves nothing
    /// between the vmas it visited and the page. It is drawn as the walk saw it, marked gone,
    /// linked from the vmas the walk visited, so that the walk still reads vma -> object ->
    /// page.
    fn gone_object(&mut self, w: &Walk) -> Option<NodeIndex> {
        if w.object.is_empty() || self.g.find(&w.object).is_some() {
            return None;
        }
        let why = if w.unmapped_all {
            "removed with the page's last pte by this step's walk"
        } else {
            "not in the state after this step"
        };
        let n = self.g.add(Node {
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
                (self.rv.objects.len() as u64, 0),
            )
        });
        let mut linked = HashSet::new();
        for v in &w.visits {
            if let Some(&vn) = v.vma.and_then(|id| self.vma_node.get(&id))
                && linked.insert(vn)
            {
                let label = v.addr.map_or(String::new(), |a| format!("pte {}", hex(a)));
                self.g.link(vn, n, EdgeKind::VmaObject, &label);
            }
        }
        Some(n)
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
