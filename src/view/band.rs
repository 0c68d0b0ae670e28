//! Bands of a large graph: the graph of thousands of processes cut into subgraphs of about
//! [`BAND_ROWS`] spine rows each, so that a pane can lay out only the bands it shows.
//!
//! The spine is the vma column of the layout ([`super::layout`]): vmas in pid then address
//! order, one row each, an mm without vmas on a row of its own, an mm -> object edge on a row
//! of its own. A graph whose spine has at most [`THRESHOLD`] rows is not cut (one band: the
//! whole graph, laid out as before). A longer one is cut between processes only: a band holds
//! whole processes, in pid order, and ends at the first process that brings it to
//! [`BAND_ROWS`] rows or more (a process longer than that is a band of its own).
//!
//! A band's subgraph holds its mms and their vmas, the rmap objects linked to those (and the
//! objects linked to those objects), and the pages of its vmas and of its objects reached
//! through vmas; every edge of the whole graph between two of its nodes. An object or page
//! reached from processes of several bands (the family's anon_vma, a page every child maps) is
//! in each of them, and its label there says in how many others (`+3 in other bands`), so
//! that no link is hidden without a word. Nodes no process reaches (unlinked objects and
//! pages) go in the first band, where the layout puts unlinked objects; vmas without an mm
//! (none today) in the last, where the layout puts them; a page reached by no process goes
//! with an object that holds it.
//!
//! Node ids are those of the whole graph, so search and selection by id work in any band;
//! [`Bands::home`] is the first band a node of the whole graph is in.

use foldhash::{HashMap, HashMapExt, HashSet};
use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::{EdgeRef, NodeIndexable};

use super::graph::{EdgeKind, Graph, NodeKind, WalkInfo};

/// Spine rows above which a graph is cut into bands.
pub const THRESHOLD: u32 = 400;

/// Spine rows a band is cut at (the process that reaches them ends the band).
pub const BAND_ROWS: u32 = 200;

/// No band (a node index not in the whole graph).
const NONE: u32 = u32::MAX;

/// Which nodes of the whole graph each band holds.
#[derive(Clone, Debug, Default)]
pub struct Bands {
    bands: Vec<Plan>,
    /// By node index of the whole graph: the first band the node is in ([`NONE`] if none).
    home: Vec<u32>,
    /// By node index of the whole graph: how many bands the node is in.
    count: Vec<u32>,
}

/// One band's share of the whole graph.
#[derive(Clone, Debug, Default)]
struct Plan {
    /// Its nodes, by index of the whole graph, ascending (so that the band's graph lists them
    /// in the whole graph's order, and ties of the layout's sorts fall the same way).
    nodes: Vec<NodeIndex>,
    /// Its spine rows.
    rows: u32,
    /// The orders (pid) of its first and last process, for its name.
    pids: Option<(u64, u64)>,
}

/// One band's subgraph, and where its nodes are in the whole graph.
#[derive(Clone, Debug)]
pub struct Band {
    pub graph: Graph,
    /// By node index of the band's graph: the node of the whole graph.
    pub whole: Vec<NodeIndex>,
}

impl Band {
    /// The node of the band's graph that stands for node `n` of the whole graph.
    pub fn of_whole(&self, n: NodeIndex) -> Option<NodeIndex> {
        // `whole` is ascending (the band's nodes were added in the whole graph's order).
        self.whole.binary_search(&n).ok().map(NodeIndex::new)
    }
}

/// The spine rows of each mm of `g` in pid order, and the rows of the vmas no mm owns.
fn spine(g: &Graph) -> (Vec<(NodeIndex, u32)>, u32) {
    let mut mms: Vec<NodeIndex> = g
        .graph
        .node_indices()
        .filter(|&i| g.node(i).kind == NodeKind::Mm)
        .collect();
    mms.sort_by_key(|&i| g.node(i).order);
    let mut owned = vec![false; g.graph.node_bound()];
    let rows = mms
        .into_iter()
        .map(|mm| {
            let mut rows = 0u32;
            for e in g.graph.edges(mm) {
                match e.weight().kind {
                    EdgeKind::MmVma => {
                        let v = e.target().index();
                        if !owned[v] {
                            owned[v] = true;
                            rows += 1;
                        }
                    }
                    EdgeKind::MmObject => rows += 1,
                    _ => {}
                }
            }
            (mm, rows.max(1))
        })
        .collect();
    let orphans = g
        .graph
        .node_indices()
        .filter(|&i| g.node(i).kind.column() == 1 && !owned[i.index()])
        .count() as u32;
    (rows, orphans)
}

/// The rows of `g`'s spine (the layout's vma column, before rows are opened for objects).
pub fn spine_rows(g: &Graph) -> u32 {
    let (mms, orphans) = spine(g);
    mms.iter().map(|&(_, r)| r).sum::<u32>() + orphans
}

impl Bands {
    /// The bands of `g` at the default sizes; `None` when its spine has at most [`THRESHOLD`]
    /// rows (the graph is one band, itself).
    pub fn split(g: &Graph) -> Option<Bands> {
        Bands::split_at(g, THRESHOLD, BAND_ROWS)
    }

    /// The bands of `g` when its spine is longer than `threshold` rows, each ending at the
    /// process that brings it to `rows` rows (at least one process a band).
    pub fn split_at(g: &Graph, threshold: u32, rows: u32) -> Option<Bands> {
        let (mms, orphans) = spine(g);
        let total = mms.iter().map(|&(_, r)| r).sum::<u32>() + orphans;
        if total <= threshold {
            return None;
        }
        // Whole processes, in pid order, cut once a band has `rows` rows.
        let mut cuts: Vec<(Vec<NodeIndex>, u32)> = Vec::new();
        let mut cur: (Vec<NodeIndex>, u32) = (Vec::new(), 0);
        for (mm, r) in mms {
            cur.0.push(mm);
            cur.1 += r;
            if cur.1 >= rows {
                cuts.push(std::mem::take(&mut cur));
            }
        }
        if !cur.0.is_empty() || cuts.is_empty() {
            cuts.push(cur);
        }
        let bound = g.graph.node_bound();
        let mut bands = Bands {
            bands: Vec::with_capacity(cuts.len()),
            home: vec![NONE; bound],
            count: vec![0; bound],
        };
        // The band each node was last added to, so that a band adds a node once.
        let mut last = vec![NONE; bound];
        let nbands = cuts.len();
        for (b, (band_mms, band_rows)) in cuts.into_iter().enumerate() {
            let b32 = b as u32;
            let mut nodes = Vec::new();
            let mut add = |n: NodeIndex, nodes: &mut Vec<NodeIndex>| {
                let k = n.index();
                if last[k] == b32 {
                    return false;
                }
                last[k] = b32;
                nodes.push(n);
                true
            };
            let pids = match (band_mms.first(), band_mms.last()) {
                (Some(&a), Some(&z)) => Some((g.node(a).order.0, g.node(z).order.0)),
                _ => None,
            };
            let mut vmas = Vec::new();
            for &mm in &band_mms {
                add(mm, &mut nodes);
                for e in g.graph.edges(mm) {
                    if e.weight().kind == EdgeKind::MmVma && add(e.target(), &mut nodes) {
                        vmas.push(e.target());
                    }
                }
            }
            let mut spine_rows = band_rows;
            if b + 1 == nbands {
                // The vmas no mm owns, where the layout puts them: at the end.
                for i in g.graph.node_indices() {
                    if g.node(i).kind.column() == 1
                        && g.graph
                            .edges_directed(i, Direction::Incoming)
                            .all(|e| e.weight().kind != EdgeKind::MmVma)
                        && add(i, &mut nodes)
                    {
                        vmas.push(i);
                        spine_rows += 1;
                    }
                }
            }
            // Objects and pages linked from the band's mms and vmas.
            let mut objects = Vec::new();
            for &n in band_mms.iter().chain(&vmas) {
                for e in g.graph.edges(n) {
                    let t = e.target();
                    match e.weight().kind {
                        EdgeKind::VmaObject | EdgeKind::MmObject if add(t, &mut nodes) => {
                            objects.push(t);
                        }
                        EdgeKind::VmaPage => {
                            add(t, &mut nodes);
                        }
                        _ => {}
                    }
                }
            }
            // Their pages, and the objects they point at (a parent, the next of a ring): not
            // the objects that point at them (every child of the family's anon_vma).
            for &o in &objects {
                for e in g.graph.edges(o) {
                    add(e.target(), &mut nodes);
                }
            }
            bands.bands.push(Plan {
                nodes,
                rows: spine_rows,
                pids,
            });
        }
        for (b, p) in bands.bands.iter().enumerate() {
            for &n in &p.nodes {
                let k = n.index();
                bands.count[k] += 1;
                if bands.home[k] == NONE {
                    bands.home[k] = b as u32;
                }
            }
        }
        // What no process reaches: objects, with their pages and the objects they point at,
        // in the first band; then pages with an object that holds them, else in the first band.
        let mut first: HashSet<NodeIndex> = bands.nodes(0).iter().copied().collect();
        let mut put = |bands: &mut Bands, n: NodeIndex, b: u32| {
            if b == 0 && !first.insert(n) {
                return;
            }
            let k = n.index();
            bands.count[k] += 1;
            if bands.home[k] == NONE {
                bands.home[k] = b;
            }
            if let Some(p) = bands.bands.get_mut(b as usize) {
                p.nodes.push(n);
            }
        };
        let unlinked: Vec<NodeIndex> = g
            .graph
            .node_indices()
            .filter(|i| bands.home[i.index()] == NONE && g.node(*i).kind.column() == 2)
            .collect();
        for o in unlinked {
            put(&mut bands, o, 0);
            for e in g.graph.edges(o) {
                put(&mut bands, e.target(), 0);
            }
        }
        let pages: Vec<NodeIndex> = g
            .graph
            .node_indices()
            .filter(|i| bands.home[i.index()] == NONE)
            .collect();
        for n in pages {
            let b = g
                .graph
                .edges_directed(n, Direction::Incoming)
                .map(|e| bands.home[e.source().index()])
                .find(|&h| h != NONE)
                .unwrap_or(0);
            put(&mut bands, n, b);
        }
        for p in &mut bands.bands {
            p.nodes.sort_unstable();
        }
        Some(bands)
    }

    /// How many bands there are.
    pub fn len(&self) -> usize {
        self.bands.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bands.is_empty()
    }

    /// The first band node `n` of the whole graph is in.
    pub fn home(&self, n: NodeIndex) -> Option<usize> {
        self.home
            .get(n.index())
            .filter(|&&b| b != NONE)
            .map(|&b| b as usize)
    }

    /// In how many bands node `n` of the whole graph is.
    pub fn count(&self, n: NodeIndex) -> usize {
        self.count.get(n.index()).map_or(0, |&c| c as usize)
    }

    /// The nodes of the whole graph band `b` holds, ascending.
    pub fn nodes(&self, b: usize) -> &[NodeIndex] {
        self.bands.get(b).map_or(&[], |p| &p.nodes)
    }

    /// The spine rows of band `b`.
    pub fn rows(&self, b: usize) -> u32 {
        self.bands.get(b).map_or(0, |p| p.rows)
    }

    /// Band `b`'s name, by its processes: `pids 201-400` (`pid 7` for one).
    pub fn name(&self, b: usize) -> String {
        match self.bands.get(b).and_then(|p| p.pids) {
            Some((a, z)) if a == z => format!("pid {a}"),
            Some((a, z)) => format!("pids {a}-{z}"),
            None => format!("band {}", b + 1),
        }
    }

    /// Band `b`'s subgraph of `g` (the whole graph the bands were made of). A node also in
    /// other bands says in how many at every level of detail.
    pub fn graph(&self, g: &Graph, b: usize) -> Band {
        let mut out = Graph::new(g.scheme);
        let nodes = self.nodes(b);
        let mut to_band: HashMap<NodeIndex, NodeIndex> = HashMap::with_capacity(nodes.len());
        for &n in nodes {
            let mut node = g.node(n).clone();
            let others = self.count(n).saturating_sub(1);
            if others > 0 {
                mark_shared(&mut node, others);
            }
            to_band.insert(n, out.add(node));
        }
        for &n in nodes {
            for e in g.graph.edges(n) {
                if let (Some(&a), Some(&z)) = (to_band.get(&n), to_band.get(&e.target())) {
                    out.graph.add_edge(a, z, e.weight().clone());
                }
            }
        }
        out.walk = g.walk.as_ref().map(|w| WalkInfo {
            walk: w.walk.clone(),
            candidate_nodes: w
                .candidate_nodes
                .iter()
                .map(|c| c.and_then(|n| to_band.get(&n).copied()))
                .collect(),
            page_node: w.page_node.and_then(|n| to_band.get(&n).copied()),
            object_node: w.object_node.and_then(|n| to_band.get(&n).copied()),
        });
        Band {
            graph: out,
            whole: nodes.to_vec(),
        }
    }
}

/// Adds to a node's labels that it is in `others` other bands: `+3 in other bands`, shorter at
/// the tighter levels (`+3 bands`, `+3`).
fn mark_shared(node: &mut super::Node, others: usize) {
    use std::fmt::Write;
    // Writing into a String cannot fail.
    let _ = write!(node.label, " +{others} in other bands");
    let [brief, compact, tight] = &mut node.short;
    let _ = write!(brief, " +{others} bands");
    let _ = write!(compact, " +{others}");
    let _ = write!(tight, " +{others}");
}
