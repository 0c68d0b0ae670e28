//! Edge routing in the gap between two columns: edges are bundled, each bundle gets a vertical
//! lane, and every route ORs direction bits into the cells it crosses ([`super::cells`]).
//! Glyphs are chosen from the bits only when drawing ([`super::glyph`]), so the order in which
//! routes are added never matters.
//!
//! A bundle is the fan of edges around one hub node: the edges into a target with several
//! sources (anon_vma <- vmas), or out of a source whose targets have no other source
//! (mm -> its vmas). A route is: a stub from the left node's text to the lane, the lane between
//! the two rows, a stub from the lane to the arrow before the right node.
//!
//! Object -> object edges (an anonmm ring, an anon_vma's parent or root) stay in the objects
//! column: [`plan_links`] draws them as brackets in a gutter of their own before the objects'
//! texts, after the arrowheads of the vma -> object edges, so that they never share a cell with
//! an edge that leads to a page (where a ring would read as a second mapping of the page).

use foldhash::{HashMap, HashMapExt};
use petgraph::stable_graph::{EdgeIndex, NodeIndex};
use petgraph::visit::{EdgeRef, IntoEdgeReferences};
use std::collections::BTreeMap;

use super::cells::{CellGrid, Seg};
use super::graph::{EdgeKind, Graph, Stroke};
use super::layout::{ColumnGeom, Item};

/// How one edge is drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub edge: EdgeIndex,
    pub segs: Vec<Seg>,
    /// Where the arrowhead is, if the edge has one.
    pub arrow: Option<(u32, u16)>,
}

/// One end of an edge in a gap: a node's row and which column it is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct End {
    row: u32,
    right: bool,
    /// For left ends: the first cell after the node's text.
    text_end: u16,
}

#[derive(Clone, Debug)]
struct Bundle {
    ends: Vec<End>,
    edges: Vec<(EdgeIndex, End, End)>,
    lane: Option<u16>,
}

impl Bundle {
    fn span(&self) -> (u32, u32) {
        let lo = self.ends.iter().map(|e| e.row).min().unwrap_or(0);
        let hi = self.ends.iter().map(|e| e.row).max().unwrap_or(0);
        (lo, hi)
    }
}

/// The routing of one gap, in lane numbers (cell positions come later).
#[derive(Clone, Debug)]
pub(crate) struct GapPlan {
    gap: usize,
    bundles: Vec<Bundle>,
    pub lanes: u16,
    /// Rows where a node of the right column would share a line with an unrelated edge.
    pub conflicts: Vec<u32>,
}

/// Whether an edge ends in an arrowhead in gap `gap` (an mm -> object edge only after the
/// vma column it passes through).
fn has_arrow(k: EdgeKind, gap: usize) -> bool {
    match k {
        EdgeKind::MmVma | EdgeKind::VmaObject => true,
        EdgeKind::MmObject => gap == 1,
        EdgeKind::ObjectObject | EdgeKind::PageObject | EdgeKind::VmaPage => false,
    }
}

/// A row for each node or edge index: what a column's items say, looked up by index rather
/// than hashed (a gap of a thousand processes looks up every end of every edge).
pub(crate) struct Rows(Vec<u32>);

impl Rows {
    const NONE: u32 = u32::MAX;

    fn with(bound: usize, pairs: impl Iterator<Item = (usize, u32)>) -> Rows {
        let mut v = vec![Self::NONE; bound];
        for (i, r) in pairs {
            if let Some(slot) = v.get_mut(i) {
                *slot = r;
            }
        }
        Rows(v)
    }

    /// The rows of the nodes among `items`.
    pub(crate) fn of_nodes<'i>(g: &Graph, items: impl Iterator<Item = &'i Item>) -> Rows {
        let bound = petgraph::visit::NodeIndexable::node_bound(&g.graph);
        Self::with(
            bound,
            items.filter_map(|it| it.node.map(|n| (n.index(), it.row))),
        )
    }

    /// The rows of the dummies among `items`, by their edge.
    pub(crate) fn of_dummies<'i>(g: &Graph, items: impl Iterator<Item = &'i Item>) -> Rows {
        let bound = petgraph::visit::EdgeIndexable::edge_bound(&g.graph);
        Self::with(
            bound,
            items.filter_map(|it| it.dummy.map(|e| (e.index(), it.row))),
        )
    }

    /// The row of index `i`, if it has one.
    pub(crate) fn get(&self, i: usize) -> Option<u32> {
        self.0.get(i).copied().filter(|&r| r != Self::NONE)
    }
}

/// Plans the routes of gap `gap` (between columns `gap` and `gap + 1`).
pub(crate) fn plan_gap(
    g: &Graph,
    gap: usize,
    cols: &[Vec<Item>; 4],
    left: ColumnGeom,
    text_width: &dyn Fn(NodeIndex) -> u16,
) -> GapPlan {
    let row_of = Rows::of_nodes(g, cols[gap].iter().chain(cols[gap + 1].iter()));
    let dummy_row = Rows::of_dummies(g, cols[1].iter().chain(cols[2].iter()));
    let full = left.x + left.width;
    let left_end = |n: NodeIndex, row: u32| End {
        row,
        right: false,
        text_end: left.x + text_width(n),
    };
    let right_end = |row: u32| End {
        row,
        right: true,
        text_end: 0,
    };

    #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    enum BundleKey {
        Source(u32),
        /// The targets that have one set of sources (numbered in the order met).
        Target(u32),
        /// An edge alone: one of its ends is a dummy row, unique to it.
        Edge(u32),
    }
    // (edge, left end, right end, left node, right node); a node is None where the end is the
    // edge's own dummy row in the column it passes through.
    #[allow(clippy::type_complexity)]
    let mut edges: Vec<(
        EdgeIndex,
        End,
        Option<End>,
        Option<NodeIndex>,
        Option<NodeIndex>,
    )> = Vec::new();
    for e in (&g.graph).edge_references() {
        let (s, t) = (e.source(), e.target());
        let (ks, kt) = (g.node(s).kind.column(), g.node(t).kind.column());
        match e.weight().kind {
            // Edges that skip a column: from their source to their dummy row in the gap after
            // the source's column, from the dummy row to the target in the gap after that.
            EdgeKind::MmObject | EdgeKind::VmaPage => {
                let Some(dr) = dummy_row.get(e.id().index()) else {
                    continue;
                };
                if gap == ks {
                    if let Some(rs) = row_of.get(s.index()) {
                        edges.push((e.id(), left_end(s, rs), Some(right_end(dr)), Some(s), None));
                    }
                } else if gap + 1 == kt
                    && let Some(rt) = row_of.get(t.index())
                {
                    let end = End {
                        row: dr,
                        right: false,
                        text_end: full,
                    };
                    edges.push((e.id(), end, Some(right_end(rt)), None, Some(t)));
                }
            }
            // Drawn in the gutter before the objects' texts ([`plan_links`]).
            EdgeKind::ObjectObject => {}
            _ if ks == gap && kt == gap + 1 => {
                if let (Some(rs), Some(rt)) = (row_of.get(s.index()), row_of.get(t.index())) {
                    edges.push((
                        e.id(),
                        left_end(s, rs),
                        Some(right_end(rt)),
                        Some(s),
                        Some(t),
                    ));
                }
            }
            _ => {}
        }
    }
    // The sources of each target within the gap decide the bundle: a target with several
    // sources gathers them on one lane, shared with every other target that has exactly the
    // same sources (a bus: each of those sources is linked to each of those targets, as the
    // chains of pages mapped by the same vmas are).
    let mut sources: BTreeMap<NodeIndex, Vec<u32>> = BTreeMap::new();
    for &(id, _, r, s, t) in &edges {
        if let (Some(t), true) = (t, r.is_some_and(|r| r.right)) {
            // A dummy row is its edge's own: never the same source as another edge's.
            let src = s.map_or(u32::MAX - id.index() as u32, |s| s.index() as u32);
            sources.entry(t).or_default().push(src);
        }
    }
    // Each target with several sources gets the number of its set of sources: its bus.
    let mut buses: HashMap<Vec<u32>, u32> = HashMap::new();
    let mut bus_of: HashMap<NodeIndex, u32> = HashMap::new();
    for (t, mut v) in sources {
        if v.len() > 1 {
            v.sort_unstable();
            let next = buses.len() as u32;
            bus_of.insert(t, *buses.entry(v).or_insert(next));
        }
    }
    let mut bundles: BTreeMap<BundleKey, Bundle> = BTreeMap::new();
    for &(id, l, r, s, t) in &edges {
        let Some(r) = r else { continue };
        let key = match (s, t) {
            (_, Some(t)) if bus_of.contains_key(&t) => BundleKey::Target(bus_of[&t]),
            (Some(s), _) => BundleKey::Source(s.index() as u32),
            (None, _) => BundleKey::Edge(id.index() as u32),
        };
        let b = bundles.entry(key).or_insert_with(|| Bundle {
            ends: Vec::new(),
            edges: Vec::new(),
            lane: None,
        });
        b.ends.push(l);
        b.ends.push(r);
        b.edges.push((id, l, r));
    }
    let mut bundles: Vec<Bundle> = bundles.into_values().collect();
    for b in &mut bundles {
        b.ends.sort();
        b.ends.dedup();
    }

    // Lanes: first fit, by top row.
    let mut order: Vec<usize> = (0..bundles.len())
        .filter(|&i| {
            let (lo, hi) = bundles[i].span();
            lo != hi
        })
        .collect();
    order.sort_by_key(|&i| bundles[i].span());
    let lanes = assign_lanes(&mut bundles, order);

    // Conflicts: a row whose left and right nodes share no bundle, where the left node's stubs
    // reach as far as the right node's. Every end as (row, right, bundle), by row.
    let mut ends: Vec<(u32, bool, usize)> = bundles
        .iter()
        .enumerate()
        .flat_map(|(bi, b)| b.ends.iter().map(move |e| (e.row, e.right, bi)))
        .collect();
    ends.sort_unstable();
    let mut conflicts: Vec<u32> = Vec::new();
    for row in ends.chunk_by(|a, b| a.0 == b.0) {
        // Left ends first (false < true), each side's bundles sorted.
        let split = row.partition_point(|e| !e.1);
        let (left, right) = row.split_at(split);
        if left.is_empty() || right.is_empty() {
            continue;
        }
        // A straight bundle reaches across the whole gap.
        let lmax = left
            .iter()
            .map(|e| bundles[e.2].lane.unwrap_or(u16::MAX))
            .max()
            .unwrap_or(0);
        let rmin = right
            .iter()
            .map(|e| bundles[e.2].lane.unwrap_or(0))
            .min()
            .unwrap_or(u16::MAX);
        let shared = left
            .iter()
            .any(|l| right.binary_search_by_key(&l.2, |r| r.2).is_ok());
        if !shared && lmax >= rmin {
            conflicts.push(row[0].0);
        }
    }
    GapPlan {
        gap,
        bundles,
        lanes,
        conflicts,
    }
}

/// Gives each bundle of `order`, in that order, the first lane free over its rows; returns the
/// number of lanes.
fn assign_lanes(bundles: &mut [Bundle], order: Vec<usize>) -> u16 {
    let mut lanes: Vec<Vec<(u32, u32)>> = Vec::new();
    for i in order {
        let (lo, hi) = bundles[i].span();
        let free = lanes
            .iter()
            .position(|spans| spans.iter().all(|&(a, b)| hi < a || lo > b));
        let lane = match free {
            Some(l) => l,
            None => {
                lanes.push(Vec::new());
                lanes.len() - 1
            }
        };
        lanes[lane].push((lo, hi));
        bundles[i].lane = Some(lane as u16);
    }
    lanes.len() as u16
}

/// Plans the brackets of the object -> object edges between the objects of `col` (the objects
/// column, its rows chosen). The edges of a cycle (an anonmm ring) share one bracket: a ring
/// reads as one line through its members. Every other edge is bundled with the edges into the
/// same target (the children of one parent). Long brackets take the outer lanes (lane 0 is the
/// leftmost), so that shorter ones nest inside them.
pub(crate) fn plan_links(g: &Graph, col: &[Item]) -> GapPlan {
    let empty = GapPlan {
        gap: 2,
        bundles: Vec::new(),
        lanes: 0,
        conflicts: Vec::new(),
    };
    let links: Vec<EdgeIndex> = g
        .graph
        .edge_indices()
        .filter(|&e| g.graph[e].kind == EdgeKind::ObjectObject)
        .collect();
    if links.is_empty() {
        return empty;
    }
    let row_of: HashMap<NodeIndex, u32> = col
        .iter()
        .filter_map(|it| it.node.map(|n| (n, it.row)))
        .collect();
    let only_links = petgraph::visit::EdgeFiltered::from_fn(&g.graph, |e| {
        e.weight().kind == EdgeKind::ObjectObject
    });
    let mut cycle_of: HashMap<NodeIndex, u32> = HashMap::new();
    for (k, scc) in petgraph::algo::tarjan_scc(&only_links)
        .into_iter()
        .enumerate()
    {
        if scc.len() > 1 {
            for n in scc {
                cycle_of.insert(n, k as u32);
            }
        }
    }
    // (cycle or not, the cycle's number or the target's index) -> bundle
    let mut bundles: BTreeMap<(bool, u32), Bundle> = BTreeMap::new();
    for e in links {
        let Some((s, t)) = g.graph.edge_endpoints(e) else {
            continue;
        };
        let (Some(&rs), Some(&rt)) = (row_of.get(&s), row_of.get(&t)) else {
            continue;
        };
        if s == t {
            continue;
        }
        let key = match (cycle_of.get(&s), cycle_of.get(&t)) {
            (Some(a), Some(b)) if a == b => (true, *a),
            _ => (false, t.index() as u32),
        };
        let end = |row| End {
            row,
            right: true,
            text_end: 0,
        };
        let b = bundles.entry(key).or_insert_with(|| Bundle {
            ends: Vec::new(),
            edges: Vec::new(),
            lane: None,
        });
        b.ends.extend([end(rs), end(rt)]);
        b.edges.push((e, end(rs), end(rt)));
    }
    let mut bundles: Vec<Bundle> = bundles.into_values().collect();
    for b in &mut bundles {
        b.ends.sort();
        b.ends.dedup();
    }
    let mut order: Vec<usize> = (0..bundles.len()).collect();
    order.sort_by_key(|&i| {
        let (lo, hi) = bundles[i].span();
        (std::cmp::Reverse(hi - lo), lo)
    });
    let lanes = assign_lanes(&mut bundles, order);
    GapPlan {
        lanes,
        bundles,
        ..empty
    }
}

/// Turns a plan of [`plan_links`] into routes and cells: lane `k` is at cell `lane0 + k`, each
/// bracket's stubs run from its lane to cell `stub_x`, the one before the objects' texts.
pub(crate) fn draw_links(
    g: &Graph,
    plan: &GapPlan,
    lane0: u16,
    stub_x: u16,
) -> (Vec<Route>, CellGrid) {
    let mut cells = CellGrid::default();
    let mut routes = Vec::new();
    for b in &plan.bundles {
        let Some(x) = b.lane.map(|l| lane0 + l) else {
            continue;
        };
        let (r0, r1) = b.span();
        cells.add_seg(&Seg::V { x, r0, r1 }, Stroke::Double, false);
        let stub = |row| Seg::H {
            row,
            x0: x,
            x1: stub_x,
            w: false,
            e: true,
        };
        for e in &b.ends {
            cells.add_seg(&stub(e.row), Stroke::Double, false);
        }
        for &(id, l, r) in &b.edges {
            routes.push(Route {
                edge: id,
                segs: vec![
                    stub(l.row),
                    Seg::V {
                        x,
                        r0: l.row.min(r.row),
                        r1: l.row.max(r.row),
                    },
                    stub(r.row),
                ],
                arrow: None,
            });
        }
    }
    mark_path_of(g, &routes, &mut cells);
    (routes, cells)
}

/// Turns a plan into routes and cells: lane `k` is at cell `lane0 + k`, arrowheads at `arrow_x`.
pub(crate) fn draw_plan(
    g: &Graph,
    plan: &GapPlan,
    lane0: u16,
    arrow_x: u16,
) -> (Vec<Route>, CellGrid) {
    let mut cells = CellGrid::default();
    let mut routes = Vec::new();
    for b in &plan.bundles {
        let lane_x = b.lane.map(|l| lane0 + l);
        // The bundle's own lines, once, each in the stroke of the edges that draw it. The lane
        // of a bundle whose edges share one stroke is drawn whole at once (a thousand routes
        // may run down it); in a bundle of several strokes (an mm's vmas and its anonmm), each
        // edge draws its own stretch of the lane.
        let strokes: Vec<Stroke> = b.edges.iter().map(|e| g.graph[e.0].kind.stroke()).collect();
        let one_stroke = strokes
            .first()
            .filter(|&&s| strokes.iter().all(|&t| t == s));
        let mut segs: Vec<(Seg, bool, Stroke)> = Vec::new();
        if let (Some(x), Some(&stroke)) = (lane_x, one_stroke) {
            let (r0, r1) = b.span();
            if r0 != r1 {
                segs.push((Seg::V { x, r0, r1 }, false, stroke));
            }
        }
        for &(id, l, r) in &b.edges {
            let kind = g.graph[id].kind;
            let arrow = has_arrow(kind, plan.gap) && r.right;
            let route = edge_route(id, l, r, lane_x, arrow_x, arrow);
            for s in &route.segs {
                if matches!(s, Seg::H { .. }) || one_stroke.is_none() {
                    segs.push((*s, arrow && is_arrow_seg(s, arrow_x), kind.stroke()));
                }
            }
            routes.push(route);
        }
        segs.sort_by_key(|(s, a, k)| (seg_key(s), *a, *k));
        segs.dedup();
        for (s, arrow, stroke) in segs {
            cells.add_seg(&s, stroke, arrow);
        }
    }
    mark_path_of(g, &routes, &mut cells);
    (routes, cells)
}

/// ORs the bits of the routes of the edges on the walk path into the path bits of `cells`.
fn mark_path_of(g: &Graph, routes: &[Route], cells: &mut CellGrid) {
    // Path bits, from the routes of the edges on the walk. A walk of a thousand candidates
    // sends a thousand routes down one lane: their vertical pieces are merged first (where they
    // overlap or touch, which ORs the same bits), so each cell is visited once, not once per
    // route.
    let mut path_segs: Vec<Seg> = Vec::new();
    let mut lanes: Vec<(u16, u32, u32)> = Vec::new();
    for r in routes.iter().filter(|r| g.graph[r.edge].on_path) {
        for s in &r.segs {
            match *s {
                Seg::V { x, r0, r1 } => lanes.push((x, r0, r1)),
                h => path_segs.push(h),
            }
        }
    }
    lanes.sort_unstable();
    for (x, r0, r1) in lanes {
        match path_segs.last_mut() {
            Some(Seg::V { x: lx, r1: lr1, .. }) if *lx == x && r0 <= *lr1 => *lr1 = (*lr1).max(r1),
            _ => path_segs.push(Seg::V { x, r0, r1 }),
        }
    }
    path_segs.sort_by_key(seg_key);
    path_segs.dedup();
    for s in &path_segs {
        cells.mark_path(s);
    }
}

fn seg_key(s: &Seg) -> (u8, u32, u16, u32) {
    match *s {
        Seg::H { row, x0, x1, .. } => (0, row, x0, x1 as u32),
        Seg::V { x, r0, r1 } => (1, r0, x, r1),
    }
}

fn is_arrow_seg(s: &Seg, arrow_x: u16) -> bool {
    matches!(*s, Seg::H { x1, .. } if x1 == arrow_x)
}

/// The line from a node in the left column (its text ends at `e.text_end`) to lane `x`.
fn node_stub(e: End, x: u16) -> Seg {
    Seg::H {
        row: e.row,
        x0: e.text_end + 1,
        x1: x,
        w: true,
        e: false,
    }
}

/// The route of one edge with ends `l` and `r`.
fn edge_route(
    id: EdgeIndex,
    l: End,
    r: End,
    lane_x: Option<u16>,
    arrow_x: u16,
    arrow: bool,
) -> Route {
    let mut segs = Vec::new();
    match lane_x {
        None => segs.push(Seg::H {
            row: l.row,
            x0: l.text_end + 1,
            x1: arrow_x,
            w: true,
            e: true,
        }),
        Some(x) => {
            segs.push(node_stub(l, x));
            if l.row != r.row {
                segs.push(Seg::V {
                    x,
                    r0: l.row.min(r.row),
                    r1: l.row.max(r.row),
                });
            }
            segs.push(Seg::H {
                row: r.row,
                x0: x,
                x1: arrow_x,
                w: false,
                e: true,
            });
        }
    }
    Route {
        edge: id,
        segs,
        arrow: arrow.then_some((r.row, arrow_x)),
    }
}
