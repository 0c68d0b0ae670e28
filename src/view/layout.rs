//! Where every node of a [`Graph`] goes: four columns (mm | vma | rmap objects | pages),
//! one row per node, rows chosen so that edges run straight where they can.
//!
//! Placement, in model coordinates (rows are unbounded; the viewport shows a window of them):
//! - vmas are the spine: in pid then address order, one row each; an mm with no vma keeps an
//!   empty row so that every mm has one;
//! - an mm sits on the row of its first vma;
//! - an rmap object sits on the first row of the vmas linked to it (or right after the previous
//!   object), in the order of those rows, which keeps vma -> object edges from crossing where the
//!   structure allows;
//! - pages follow their object, from the object's row down.
//!
//! An edge that skips a column (mm -> anonmm, vma -> a page that points straight at it) passes
//! through a dummy row of the column between.
//! After each column is placed, the edges of the gap to its left are routed ([`super::route`]);
//! a node whose row would make two unrelated edges share a line is moved down a row and the gap
//! is routed again.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use petgraph::stable_graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;

use super::cells::{self, Cell};
use super::detail::{Detail, MAX_TEXT};
use super::graph::{EdgeKind, Graph};
use super::route::{self, Route, Rows};

/// How often a gap is re-routed to resolve rows where unrelated edges would meet.
const MAX_RESOLVE_ROUNDS: usize = 12;

/// One placed node, or a dummy that carries a long edge through a column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    /// The node, or None for a dummy.
    pub node: Option<NodeIndex>,
    pub column: usize,
    pub row: u32,
    /// First cell of the node's text.
    pub x: u16,
    /// Cells the text takes (capped at the column width).
    pub width: u16,
}

impl Placed {
    /// First cell after the text.
    pub fn end(&self) -> u16 {
        self.x + self.width
    }
}

/// The geometry of one column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ColumnGeom {
    pub x: u16,
    pub width: u16,
}

/// A laid-out graph: nodes on a grid of rows and cells, edges as routes and per-cell line masks.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// How much the node texts say ([`Node::text_at`](super::Node::text_at)).
    pub detail: Detail,
    pub columns: [ColumnGeom; 4],
    /// Lanes of each gap between two columns (the same at every level of detail).
    pub lanes: [u16; 3],
    /// Lanes of the gutter before the objects' texts, where links between rmap objects are
    /// drawn ([`route::plan_links`]; the same at every level of detail).
    pub links: u16,
    /// Total width in cells.
    pub width: u16,
    /// Total height in rows.
    pub height: u32,
    pub placed: Vec<Placed>,
    /// For each row, the placed entry shown in each column.
    pub grid: Vec<[Option<u32>; 4]>,
    /// For each row, the line cells, sorted by x.
    pub cells: Vec<Vec<Cell>>,
    /// One route per edge that is drawn.
    pub routes: Vec<Route>,
    index: HashMap<NodeIndex, usize>,
    /// Where the walk is, found when first asked for ([`Layout::walk_rows`]).
    walk_rows: std::sync::OnceLock<WalkRows>,
}

/// Where the walk of a layout's graph is: what a pane that keeps the walk in view needs at
/// every frame, found once per layout rather than at every frame (a walk of a thousand
/// candidates has as many nodes to look up).
#[derive(Clone, Debug, Default)]
pub struct WalkRows {
    /// The walked page's node and the candidates' nodes, sorted.
    pub nodes: Vec<NodeIndex>,
    /// Their rows, sorted, each once.
    pub rows: Vec<u32>,
    /// The walked page's row.
    pub page: Option<u32>,
    /// The rows of the nodes on the walk's path, sorted, each once.
    pub path: Vec<u32>,
}

impl Layout {
    /// The placement of node `n`.
    pub fn of(&self, n: NodeIndex) -> Option<&Placed> {
        self.index.get(&n).map(|&i| &self.placed[i])
    }

    /// The rows, sorted and each once, that `nodes` are placed on (a node not placed has none).
    pub fn rows_of(&self, nodes: &[NodeIndex]) -> Vec<u32> {
        let mut rows: Vec<u32> = nodes
            .iter()
            .filter_map(|&n| self.of(n))
            .map(|p| p.row)
            .collect();
        rows.sort_unstable();
        rows.dedup();
        rows
    }

    /// The node shown at (row, column), if any.
    pub fn at(&self, row: u32, column: usize) -> Option<NodeIndex> {
        let p = self.grid.get(row as usize)?[column]?;
        self.placed[p as usize].node
    }

    /// The node whose text covers cell (x, row).
    pub fn hit(&self, x: u16, row: u32) -> Option<NodeIndex> {
        let r = self.grid.get(row as usize)?;
        r.iter().flatten().find_map(|&p| {
            let p = &self.placed[p as usize];
            (p.node.is_some() && x >= p.x && x < p.end()).then_some(p.node?)
        })
    }

    /// Where the walk of `g` (the graph this layout was made of) is.
    pub fn walk_rows(&self, g: &Graph) -> &WalkRows {
        self.walk_rows.get_or_init(|| {
            let Some(w) = &g.walk else {
                return WalkRows::default();
            };
            let mut nodes: Vec<NodeIndex> = w
                .page_node
                .into_iter()
                .chain(w.candidate_nodes.iter().flatten().copied())
                .collect();
            let rows = self.rows_of(&nodes);
            nodes.sort_unstable();
            nodes.dedup();
            let mut path: Vec<u32> = self
                .placed
                .iter()
                .filter(|p| p.node.is_some_and(|n| g.node(n).walk.on_path))
                .map(|p| p.row)
                .collect();
            path.sort_unstable();
            path.dedup();
            WalkRows {
                nodes,
                rows,
                page: w.page_node.and_then(|n| self.of(n)).map(|p| p.row),
                path,
            }
        })
    }

    /// The routes of edge `e` (empty when the edge is not drawn).
    pub fn routes_of(&self, e: EdgeIndex) -> impl Iterator<Item = &Route> {
        self.routes.iter().filter(move |r| r.edge == e)
    }
}

fn text_width(g: &Graph, n: NodeIndex, d: Detail) -> u16 {
    let w = g.node(n).width_at(d);
    (w.min(MAX_TEXT as usize)) as u16
}

/// The cells every node's text takes at every level of detail, and each column's width at
/// every level: measured once per graph, for its layouts and for the width at each level.
#[derive(Clone, Debug, Default)]
pub struct Measure {
    /// By node index, the cells at each level of [`Detail::ALL`].
    nodes: Vec<[u16; 4]>,
    /// By column, its width at each level: its widest node text, at least its heading.
    columns: [[u16; 4]; 4],
}

impl Measure {
    /// Measures every node of `g` at every level.
    pub fn of(g: &Graph) -> Measure {
        let mut nodes = vec![[0u16; 4]; petgraph::visit::NodeIndexable::node_bound(&g.graph)];
        let mut columns = [[0u16; 4]; 4];
        for i in g.graph.node_indices() {
            let c = g.node(i).kind.column();
            for (k, &d) in Detail::ALL.iter().enumerate() {
                let w = text_width(g, i, d);
                nodes[i.index()][k] = w;
                columns[c][k] = columns[c][k].max(w);
            }
        }
        // An mm -> object edge passes through the vma column on a row of its own.
        let dummies = g
            .graph
            .edge_indices()
            .any(|e| g.graph[e].kind == EdgeKind::MmObject);
        for (k, d) in Detail::ALL.iter().enumerate() {
            if dummies {
                columns[1][k] = columns[1][k].max(3);
            }
            for (c, name) in d.headings().iter().enumerate() {
                columns[c][k] = columns[c][k].max(name.len() as u16);
            }
        }
        Measure { nodes, columns }
    }

    /// The cells of node `n`'s text at level `d`.
    fn node(&self, n: NodeIndex, d: Detail) -> u16 {
        self.nodes.get(n.index()).map_or(0, |w| w[level(d)])
    }

    /// The width of each column at level `d`.
    pub fn columns(&self, d: Detail) -> [u16; 4] {
        self.columns.map(|c| c[level(d)])
    }
}

/// The place of `d` in [`Detail::ALL`].
pub(super) fn level(d: Detail) -> usize {
    Detail::ALL.iter().position(|&x| x == d).unwrap_or(0)
}

/// Cells of the gap after a column that has `lanes` lanes: a blank, the lanes, the line into
/// the arrowhead, the arrowhead, the blanks before the next column.
fn gap_width(lanes: u16, d: Detail) -> u16 {
    1 + lanes + 1 + 1 + d.arrow_gap()
}

/// Cells of the gutter before the objects column that has `links` lanes (none without links):
/// a blank after the arrowheads where the level leaves none, the lanes, the stubs' last cell.
pub fn gutter_width(links: u16, d: Detail) -> u16 {
    if links == 0 {
        0
    } else {
        u16::from(d.arrow_gap() == 0) + links + 1
    }
}

/// The width `g` would take laid out at level `d`, given `base`, a layout of `g` at any
/// level: rows and lanes do not depend on the level, only the column widths do.
pub fn width_at(g: &Graph, base: &Layout, d: Detail) -> u16 {
    width_measured(&Measure::of(g), base, d)
}

/// [`width_at`] from the measure of the graph.
pub fn width_measured(m: &Measure, base: &Layout, d: Detail) -> u16 {
    let w = m.columns(d);
    w.iter().sum::<u16>()
        + base.lanes.iter().map(|&l| gap_width(l, d)).sum::<u16>()
        + gutter_width(base.links, d)
}

/// Lays `g` out with the full texts.
pub fn layout(g: &Graph) -> Layout {
    layout_at(g, Detail::Full)
}

/// Lays `g` out with the node texts of level `d`.
pub fn layout_at(g: &Graph, d: Detail) -> Layout {
    layout_measured(g, d, &Measure::of(g))
}

/// [`layout_at`], the node texts measured already.
pub fn layout_measured(g: &Graph, d: Detail, m: &Measure) -> Layout {
    let mut cols: [Vec<Item>; 4] = Default::default();

    // Column 1 (vmas) in pid/address order, with an empty row for an mm without vmas and a
    // dummy row for each mm -> object edge.
    let mut mms: Vec<NodeIndex> = g
        .graph
        .node_indices()
        .filter(|&i| g.node(i).kind.column() == 0)
        .collect();
    mms.sort_by_key(|&i| g.node(i).order);
    let mut vma_items = Vec::new();
    let mut mm_first: HashMap<NodeIndex, usize> = HashMap::new();
    let mut placed_vmas = HashSet::new();
    for &mm in &mms {
        let mut vmas: Vec<NodeIndex> = g
            .graph
            .edges(mm)
            .filter(|e| e.weight().kind == EdgeKind::MmVma)
            .map(|e| e.target())
            .collect();
        vmas.sort_by_key(|&v| g.node(v).order);
        mm_first.insert(mm, vma_items.len());
        for v in vmas {
            if placed_vmas.insert(v) {
                vma_items.push(Item::node(v));
            }
        }
        for e in g.graph.edges(mm) {
            if e.weight().kind == EdgeKind::MmObject {
                vma_items.push(Item::dummy(e.id()));
            }
        }
        if mm_first[&mm] == vma_items.len() {
            vma_items.push(Item::spacer());
        }
    }
    // Vmas without an mm node (none today; kept for focus mode, which may drop an mm).
    let mut orphans: Vec<NodeIndex> = g
        .graph
        .node_indices()
        .filter(|&i| g.node(i).kind.column() == 1 && !placed_vmas.contains(&i))
        .collect();
    orphans.sort_by_key(|&v| g.node(v).order);
    vma_items.extend(orphans.into_iter().map(Item::node));
    for (i, it) in vma_items.iter_mut().enumerate() {
        it.row = i as u32;
    }
    cols[1] = vma_items;
    cols[0] = mms
        .iter()
        .map(|&mm| {
            let mut it = Item::node(mm);
            it.row = mm_first[&mm] as u32;
            it
        })
        .collect();

    let mut lay = Layout {
        detail: d,
        ..Layout::default()
    };
    // Widths of the columns are known before rows are.
    let widths = m.columns(d);
    let mut routes: Vec<Route> = Vec::new();
    let mut all_cells = cells::CellGrid::default();
    let tw = |n: NodeIndex| m.node(n, d);
    let mut bumped = false;

    // Column geometry depends on the lanes of each gap, which depend on rows: place and route
    // gap by gap, left to right.
    lay.columns[0] = ColumnGeom {
        x: 0,
        width: widths[0],
    };
    // Objects and pages first, opening rows in the columns to their left where a node needs more
    // rows than its neighbour has (an object with several pages).
    for c in 2..4 {
        let rows = placed_rows(g, &cols);
        cols[c] = place_column(g, c, &mut cols, &rows, true);
    }
    for gap in 0..3 {
        let right = gap + 1;
        if right == 3 && bumped {
            // Objects moved while gap 1 was routed: pages follow them.
            let rows = placed_rows(g, &cols);
            cols[3] = place_column(g, 3, &mut cols, &rows, false);
        }
        let mut rounds = 0;
        let plan = loop {
            let plan = route::plan_gap(g, gap, &cols, lay.columns[gap], &tw);
            if plan.conflicts.is_empty() || rounds >= MAX_RESOLVE_ROUNDS || right == 1 {
                break plan;
            }
            rounds += 1;
            bump(&mut cols[right], &plan.conflicts);
            bumped |= right == 2;
        };
        let lane0 = lay.columns[gap].x + widths[gap] + 1;
        let arrow_x = lane0 + plan.lanes + 1;
        lay.lanes[gap] = plan.lanes;
        lay.columns[right] = ColumnGeom {
            x: lay.columns[gap].x + widths[gap] + gap_width(plan.lanes, d),
            width: widths[right],
        };
        let (r, cells) = route::draw_plan(g, &plan, lane0, arrow_x);
        routes.extend(r);
        all_cells.append(cells);
        if right == 2 {
            // The objects' rows are final: their links take a gutter before their texts.
            let links = route::plan_links(g, &cols[2]);
            lay.links = links.lanes;
            let gutter = gutter_width(links.lanes, d);
            lay.columns[2].x += gutter;
            let stub_x = lay.columns[2].x - 1;
            let (r, cells) = route::draw_links(g, &links, stub_x - links.lanes, stub_x);
            routes.extend(r);
            all_cells.append(cells);
        }
    }
    lay.width = lay.columns[3].x + widths[3];

    // Placed entries, grid, cells.
    let height = cols
        .iter()
        .flat_map(|c| c.iter().map(|it| it.row + 1))
        .max()
        .unwrap_or(0);
    lay.height = height;
    lay.grid = vec![[None; 4]; height as usize];
    for (c, items) in cols.iter().enumerate() {
        for it in items {
            if it.spacer {
                continue;
            }
            let (px, w) = match it.node {
                Some(n) => (lay.columns[c].x, tw(n)),
                None => (lay.columns[c].x, widths[c]),
            };
            let idx = lay.placed.len();
            lay.placed.push(Placed {
                node: it.node,
                column: c,
                row: it.row,
                x: px,
                width: w,
            });
            if let Some(n) = it.node {
                lay.index.insert(n, idx);
                lay.grid[it.row as usize][c] = Some(idx as u32);
            }
        }
    }
    // Dummy rows carry their edge straight through the vma (or objects) column, from the blank
    // cell after the arrow column of the gap before, where that gap's stub ends.
    // The objects column's dummies also cross the links' gutter.
    let mut on_path = Vec::new();
    for c in 1..3 {
        let gutter = if c == 2 {
            gutter_width(lay.links, d)
        } else {
            0
        };
        for it in &cols[c] {
            let Some(e) = it.dummy else { continue };
            let seg = cells::Seg::H {
                row: it.row,
                x0: lay.columns[c].x - 1 - gutter,
                x1: lay.columns[c].x + widths[c],
                w: true,
                e: true,
            };
            all_cells.add_seg(&seg, g.graph[e].kind.stroke(), false);
            if g.graph[e].on_path {
                on_path.push(seg);
            }
            routes.push(Route {
                edge: e,
                segs: vec![seg],
                arrow: None,
            });
        }
    }
    for seg in &on_path {
        all_cells.mark_path(seg);
    }
    lay.cells = all_cells.into_rows(height);
    lay.routes = routes;
    lay
}

fn placed_rows(g: &Graph, cols: &[Vec<Item>; 4]) -> Rows {
    Rows::of_nodes(g, cols.iter().flatten())
}

/// A node (or dummy, or spacer) of a column while rows are being chosen.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub node: Option<NodeIndex>,
    pub dummy: Option<EdgeIndex>,
    pub spacer: bool,
    pub row: u32,
    /// The lowest row this item may take (raised to resolve conflicts).
    pub min_row: u32,
}

impl Item {
    fn node(n: NodeIndex) -> Item {
        Item {
            node: Some(n),
            dummy: None,
            spacer: false,
            row: 0,
            min_row: 0,
        }
    }
    fn dummy(e: EdgeIndex) -> Item {
        Item {
            node: None,
            dummy: Some(e),
            spacer: false,
            row: 0,
            min_row: 0,
        }
    }
    fn spacer() -> Item {
        Item {
            node: None,
            dummy: None,
            spacer: true,
            row: 0,
            min_row: 0,
        }
    }
}

/// Places column 2 (objects) or 3 (pages): each node at the first row of its neighbours in the
/// column to the left, in that order. When a node cannot have its row (the previous node is
/// there), `open` inserts empty rows into the columns to the left instead of pushing every
/// later node of this column down, so one object with two pages costs one row, not a
/// staircase of offsets down the rest of the graph.
fn place_column(
    g: &Graph,
    c: usize,
    cols: &mut [Vec<Item>; 4],
    rows: &Rows,
    open: bool,
) -> Vec<Item> {
    // Edges that pass through a column to the left, by the row of their dummy there.
    let dummy_row = Rows::of_dummies(g, cols.iter().take(c).flatten());
    let mut items: Vec<(u32, (u64, u64), Item)> = g
        .graph
        .node_indices()
        .filter(|&i| g.node(i).kind.column() == c)
        .map(|i| {
            let mut want = u32::MAX;
            for e in g.graph.edges_directed(i, petgraph::Direction::Incoming) {
                let src = e.source();
                let r = if let Some(r) = dummy_row.get(e.id().index()) {
                    Some(r)
                } else if g.node(src).kind.column() + 1 == c {
                    rows.get(src.index())
                } else {
                    None
                };
                if let Some(r) = r {
                    want = want.min(r);
                }
            }
            (want, g.node(i).order, Item::node(i))
        })
        .collect();
    // A vma -> page edge passes through the objects column on a row of its own.
    if c == 2 {
        for e in g.graph.edge_indices() {
            if g.graph[e].kind == EdgeKind::VmaPage
                && let Some((src, _)) = g.graph.edge_endpoints(e)
            {
                let want = rows.get(src.index()).unwrap_or(u32::MAX);
                items.push((want, (u64::MAX, e.index() as u64), Item::dummy(e)));
            }
        }
    }
    // Unlinked objects come first, on rows of their own at the top, the columns to their left
    // blank there (in a large graph, such as the storm's group of a thousand pte chains too
    // many to link, the bottom is a thousand rows away); unlinked pages come last. Each in
    // their own order.
    let top = |want: u32| c == 2 && want == u32::MAX;
    items.sort_by_key(|(want, order, _)| (!top(*want), *want, *order));
    let mut out: Vec<Item> = Vec::with_capacity(items.len());
    // Rows opened so far: (row in the old numbering, rows inserted there).
    let mut inserted: Vec<(u32, u32)> = Vec::new();
    let mut offset = 0u32;
    let mut next = 0u32;
    let mut prev_want = u32::MAX;
    let tops = items.iter().take_while(|(w, _, _)| top(*w)).count() as u32;
    if tops > 0 && open {
        inserted.push((0, tops));
        offset = tops;
    }
    for (k, (want, _, mut it)) in items.into_iter().enumerate() {
        if (k as u32) < tops {
            it.row = k as u32;
            it.min_row = it.row;
            next = it.row + 1;
            out.push(it);
            continue;
        }
        // Nodes that want the same row (the pages of one object) stack below each other.
        let stack = want == prev_want;
        prev_want = want;
        let row = if want == u32::MAX {
            next
        } else if want + offset >= next || !open || stack {
            (want + offset).max(next)
        } else {
            let delta = next - (want + offset);
            inserted.push((want, delta));
            offset += delta;
            next
        };
        it.row = row;
        it.min_row = row;
        next = row + 1;
        out.push(it);
    }
    if !inserted.is_empty() {
        for col in cols.iter_mut().take(c) {
            for it in col.iter_mut() {
                let shift: u32 = inserted
                    .iter()
                    .take_while(|&&(at, _)| at <= it.row)
                    .map(|&(_, d)| d)
                    .sum();
                it.row += shift;
                it.min_row += shift;
            }
        }
    }
    out
}

/// Moves the items on conflicting rows one row down (and the ones after them as needed).
fn bump(items: &mut [Item], rows: &[u32]) {
    for it in items.iter_mut() {
        if rows.contains(&it.row) {
            it.min_row = it.row + 1;
        }
    }
    let mut next = 0u32;
    for it in items.iter_mut() {
        it.row = it.row.max(it.min_row).max(next);
        next = it.row + 1;
    }
}

impl Layout {
    /// The whole layout as plain text lines: node texts and line glyphs, no colour (for
    /// tests, logs and text exports).
    pub fn text(&self, g: &Graph, style: super::glyph::LineStyle) -> Vec<String> {
        let mut rows: Vec<Vec<char>> =
            vec![vec![' '; self.width as usize + 1]; self.height as usize];
        for (r, cells) in self.cells.iter().enumerate() {
            for c in cells {
                if let Some(slot) = rows[r].get_mut(c.x as usize) {
                    *slot = super::glyph::cell(c, style);
                }
            }
        }
        for p in &self.placed {
            let Some(n) = p.node else { continue };
            let text = g.node(n).text_at(self.detail);
            for (x, ch) in (p.x as usize..).zip(text.chars().take(p.width as usize)) {
                if let Some(slot) = rows[p.row as usize].get_mut(x) {
                    *slot = ch;
                }
            }
        }
        rows.into_iter()
            .map(|r| r.into_iter().collect::<String>().trim_end().to_string())
            .collect()
    }
}
