//! The graph of one simulation at one step: mm -> vma -> rmap object -> page, as a petgraph
//! `StableGraph`, with the reverse walk of the step marked on it.
//!
//! Node ids are stable across steps (the TUI remembers the selection and expanded groups by id):
//! `pid1` (an address space, by the pid running in it), `vma3`, the scheme's object keys (`av1`,
//! `anonmm2`, `i_mmap lib.so`), `p7` (a page), and for groups `pages@av1` (the pages of one
//! object) and `vmas@pid1@0x10000` (a run of vmas of one mm). Large scenarios stay small here:
//! the pages of an object are summarised as one group node beyond [`BuildOptions::page_group`]
//! unless the group is expanded; pages on the walk are always shown on their own.

use petgraph::stable_graph::{NodeIndex, StableGraph};
use petgraph::visit::EdgeRef;
use std::collections::{BTreeMap, HashMap, HashSet};

use crate::model::{Addr, Machine, Outcome, PageId, PageSet, Pid, PteVal, Vma, VmaId, Walk, hex};
use crate::session::Simulation;

use super::detail::{Detail, MAX_TEXT, cut_to, cut_width};
use unicode_width::UnicodeWidthStr;

/// The four columns of the graph, left to right.
pub const COLUMNS: [&str; 4] = ["mm", "vma", "rmap objects", "pages"];

/// What a node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// An address space (mm_struct), named by its pid.
    Mm,
    Vma,
    /// An rmap object of the scheme (anon_vma, anonmm, address_space ...).
    Object,
    Page,
    /// Several vmas of one mm shown as one node.
    VmaGroup,
    /// Several pages of one object shown as one node.
    PageGroup,
}

impl NodeKind {
    /// The column the node is drawn in (see [`COLUMNS`]).
    pub fn column(self) -> usize {
        match self {
            NodeKind::Mm => 0,
            NodeKind::Vma | NodeKind::VmaGroup => 1,
            NodeKind::Object => 2,
            NodeKind::Page | NodeKind::PageGroup => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Mm => "mm",
            NodeKind::Vma => "vma",
            NodeKind::Object => "object",
            NodeKind::Page => "page",
            NodeKind::VmaGroup => "vma group",
            NodeKind::PageGroup => "page group",
        }
    }

    pub fn is_group(self) -> bool {
        matches!(self, NodeKind::VmaGroup | NodeKind::PageGroup)
    }
}

/// One visit of the walk that lands on a node: the candidate's number (0-based, in visiting
/// order) and its outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Visited {
    pub candidate: usize,
    pub outcome: Outcome,
}

/// How the step's walk touches a node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WalkMark {
    /// On the walk path: the walked page, its mapping object, a visited vma or mm.
    pub on_path: bool,
    /// The candidates that visited this node (a vma, or an mm for mm-based schemes).
    pub visits: Vec<Visited>,
    /// Addresses of ptes in this node that map the page but were never produced (LOST).
    pub lost: Vec<Addr>,
    /// The page the walk is about.
    pub walked: bool,
}

impl WalkMark {
    pub fn is_marked(&self) -> bool {
        self.on_path || !self.lost.is_empty()
    }

    /// A short ASCII badge for the graph: `[1 HIT]`, `[2 MISS 3 OUT]`, `[LOST 0x11000]`, `<walked>`.
    pub fn badge(&self) -> Option<String> {
        self.badge_at(Detail::Full)
    }

    /// The badge at a level of detail: at [`Detail::Tight`] the walked page is marked `◀` and
    /// a LOST pte `[LOST]` without its address (the walk pane lists the addresses).
    pub fn badge_at(&self, d: Detail) -> Option<String> {
        let tight = d == Detail::Tight;
        let mut parts = Vec::new();
        if self.walked {
            parts.push(if tight { "◀" } else { "<walked>" }.to_string());
        }
        if !self.visits.is_empty() {
            let v: Vec<String> = self
                .visits
                .iter()
                .map(|v| format!("{} {}", v.candidate + 1, v.outcome))
                .collect();
            parts.push(format!("[{}]", v.join(" ")));
        }
        if tight && !self.lost.is_empty() {
            parts.push("[LOST]".to_string());
        } else {
            for a in &self.lost {
                parts.push(format!("[LOST {}]", hex(*a)));
            }
        }
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// A node of the graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Stable id (see the module documentation).
    pub id: String,
    pub kind: NodeKind,
    /// One-line label with the key fields.
    pub label: String,
    /// Shorter labels for narrow panes: at [`Detail::Brief`], [`Detail::Compact`] and
    /// [`Detail::Tight`].
    pub short: [String; 3],
    /// Fields for the inspector.
    pub fields: Vec<(String, String)>,
    pub walk: WalkMark,
    /// For groups: how many members the node stands for.
    pub count: usize,
    /// Order within the column (pid and address for vmas, id for pages ...).
    pub order: (u64, u64),
}

impl Node {
    /// The label followed by the walk badge, as the graph shows it.
    pub fn text(&self) -> String {
        match self.walk.badge() {
            Some(b) => format!("{} {b}", self.label),
            None => self.label.clone(),
        }
    }

    /// The label at a level of detail.
    pub fn label_at(&self, d: Detail) -> &str {
        match d {
            Detail::Full => &self.label,
            Detail::Brief => &self.short[0],
            Detail::Compact => &self.short[1],
            Detail::Tight => &self.short[2],
        }
    }

    /// The label and the walk badge at a level of detail, together at most [`MAX_TEXT`]
    /// cells: a long label is cut with an ellipsis so that the badge stays whole.
    pub fn parts_at(&self, d: Detail) -> (String, Option<String>) {
        let cap = MAX_TEXT as usize;
        let badge = self.walk.badge_at(d);
        let room = badge
            .as_ref()
            .map_or(cap, |b| cap.saturating_sub(b.width() + 1));
        let label = cut_to(self.label_at(d), room.max(4), "…");
        (label, badge)
    }

    /// The cells of [`Node::text_at`], without making the text (the layout measures every
    /// node at every level it lays out).
    pub fn width_at(&self, d: Detail) -> usize {
        let cap = MAX_TEXT as usize;
        let Some(badge) = self.walk.badge_at(d) else {
            return cut_width(self.label_at(d), cap);
        };
        let (label, badge) = (self.label_at(d), badge.width());
        let room = cap.saturating_sub(badge + 1).max(4);
        let total = cut_width(label, room) + 1 + badge;
        if total <= cap {
            total
        } else {
            self.text_at(d).width()
        }
    }

    /// The text the graph shows at a level of detail (label and badge, cut to the cap).
    pub fn text_at(&self, d: Detail) -> String {
        let (label, badge) = self.parts_at(d);
        let text = match badge {
            Some(b) => format!("{label} {b}"),
            None => label,
        };
        cut_to(&text, MAX_TEXT as usize, "…")
    }
}

/// Builds a node whose label has no shorter form.
fn node(
    id: String,
    kind: NodeKind,
    label: String,
    fields: Vec<(String, String)>,
    count: usize,
    order: (u64, u64),
) -> Node {
    Node {
        id,
        kind,
        short: [label.clone(), label.clone(), label.clone()],
        label,
        fields,
        walk: WalkMark::default(),
        count,
        order,
    }
}

/// What an edge stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    /// An address space owns a vma.
    MmVma,
    /// A vma is linked to an rmap object (an anon_vma_chain, list membership, an i_mmap entry).
    VmaObject,
    /// An mm is linked to an rmap object (anonmm).
    MmObject,
    /// One rmap object points at another (an anon_vma's parent, an anonmm ring).
    ObjectObject,
    /// A page's `mapping` points at an rmap object.
    PageObject,
    /// A page's rmap words point straight at a vma, or at one pte in it (RFC2's `PG_direct`,
    /// pte-chain's `pte.direct`); the edge passes through the objects column.
    VmaPage,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::MmVma => "mm->vma",
            EdgeKind::VmaObject => "vma->object",
            EdgeKind::MmObject => "mm->object",
            EdgeKind::ObjectObject => "object->object",
            EdgeKind::PageObject => "page->object",
            EdgeKind::VmaPage => "vma->page",
        }
    }
}

/// An edge of the graph. Edges run from the left column to the right one (mm -> vma -> object ->
/// page, vma -> page), except object -> object edges, which stay in the objects column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    pub kind: EdgeKind,
    /// What the scheme calls the link ("avc", "anon_vma_node", "prio_tree", "parent").
    pub label: String,
    /// On the walk path: followed from the page to a visited candidate.
    pub on_path: bool,
    /// The candidates (0-based) whose path uses this edge.
    pub candidates: Vec<usize>,
}

/// The walk of the step, as the graph and the walk list show it.
#[derive(Clone, Debug)]
pub struct WalkInfo {
    pub walk: Walk,
    /// The graph node of each visited candidate (a vma, or an mm), in visiting order.
    pub candidate_nodes: Vec<Option<NodeIndex>>,
    /// The walked page's node.
    pub page_node: Option<NodeIndex>,
    /// The mapping object's node.
    pub object_node: Option<NodeIndex>,
}

/// Options for [`build_with`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildOptions {
    /// An object's pages are shown one by one up to this many; beyond it they become a group.
    pub page_group: usize,
    /// An mm's vmas are shown one by one up to this many; beyond it runs of vmas linked to the
    /// same objects become groups.
    pub vma_group: usize,
    /// Group ids the user expanded.
    pub expanded: HashSet<String>,
    /// Keep only the walk path and the nodes next to it.
    pub focus_walk: bool,
    /// Count each vma's ptes for its label and inspector when the machine holds at most this
    /// many ptes (counting is linear in the ptes).
    pub pte_stats_limit: usize,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            page_group: 8,
            vma_group: 16,
            expanded: HashSet::new(),
            focus_walk: false,
            pte_stats_limit: 200_000,
        }
    }
}

/// The graph of one simulation at one step.
#[derive(Clone, Debug)]
pub struct GraphView {
    pub graph: StableGraph<Node, Edge>,
    /// The step's walk, if the step ran one.
    pub walk: Option<WalkInfo>,
    /// The scheme shown.
    pub scheme: &'static str,
    ids: HashMap<String, NodeIndex>,
}

impl GraphView {
    /// The node with id `id`.
    pub fn find(&self, id: &str) -> Option<NodeIndex> {
        self.ids.get(id).copied()
    }

    pub fn node(&self, i: NodeIndex) -> &Node {
        &self.graph[i]
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// The group node that holds the member with id `id` (a page or vma folded into a group).
    pub fn group_of(&self, id: &str) -> Option<NodeIndex> {
        self.graph.node_indices().find(|&i| {
            let n = &self.graph[i];
            n.kind.is_group() && n.fields.iter().any(|(k, v)| k == "members" && v == id)
        })
    }

    fn add(&mut self, n: Node) -> NodeIndex {
        let id = n.id.clone();
        let i = self.graph.add_node(n);
        self.ids.insert(id, i);
        i
    }

    fn link(&mut self, a: NodeIndex, b: NodeIndex, kind: EdgeKind, label: &str) {
        self.graph.add_edge(
            a,
            b,
            Edge {
                kind,
                label: label.to_string(),
                on_path: false,
                candidates: Vec::new(),
            },
        );
    }
}

/// The graph of `sim` with `walk` marked, with the default options.
pub fn build(sim: &Simulation, walk: Option<&Walk>) -> GraphView {
    build_with(sim, walk, &BuildOptions::default())
}

/// The id of an address space's node.
pub fn mm_id(pid: Pid) -> String {
    format!("pid{pid}")
}

/// The id of a page group node.
pub fn page_group_id(object_key: &str) -> String {
    format!("pages@{object_key}")
}

/// A vma's label at every level of detail: (full, [brief, compact, tight]).
fn vma_labels(m: &Machine, v: &Vma, ptes: Option<&PteStats>) -> (String, [String; 3]) {
    let range = format!("{}-{} pg {}", hex(v.start), hex(v.end), hex(v.pgoff));
    // The end without its 0x: still read as hex after the start's.
    let compact_range = format!("{}-{:x} pg {}", hex(v.start), v.end, hex(v.pgoff));
    let prot = if v.prot.to_string().is_empty() {
        "---".to_string()
    } else {
        v.prot.to_string()
    };
    let file = match v.file {
        Some(f) if m.file(f).shmem => " shmem".to_string(),
        Some(f) => format!(" {}", m.file(f).name),
        None => String::new(),
    };
    let brief = format!("{range} {prot}{file}");
    let mut full = brief.clone();
    if v.shared && v.file.is_some_and(|f| !m.file(f).shmem) {
        full.push_str(" shared");
    }
    if let Some(p) = ptes {
        if p.zero > 0 {
            full.push_str(&format!(" {}z", p.zero));
        }
        if p.swap > 0 {
            full.push_str(&format!(" {}sw", p.swap));
        }
    }
    (
        full,
        [brief, format!("{compact_range}{file}"), compact_range],
    )
}

/// Present, zero-page and swap ptes of one vma.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PteStats {
    pub present: u64,
    pub zero: u64,
    pub swap: u64,
}

/// Counts the ptes of `vma` in `pid`'s page tables (linear in the vma's ptes).
pub fn pte_stats(m: &Machine, pid: Pid, v: &Vma) -> PteStats {
    let mut s = PteStats::default();
    if let Some(p) = m.procs.get(&pid) {
        for (_, pte) in p.mm.pt.range(v.start, v.end) {
            match pte.get() {
                PteVal::Page { .. } => s.present += 1,
                PteVal::Zero { .. } => s.zero += 1,
                PteVal::Swap { .. } => s.swap += 1,
                PteVal::None => {}
            }
        }
    }
    s
}

/// The inspector fields of a vma: its extent, pgoff, protection, kind, and its ptes.
pub fn vma_fields(
    m: &Machine,
    pid: Pid,
    v: &Vma,
    ptes: Option<&PteStats>,
) -> Vec<(String, String)> {
    let mut f = vec![
        ("pid".to_string(), pid.to_string()),
        ("start".to_string(), hex(v.start)),
        ("end".to_string(), hex(v.end)),
        ("pages".to_string(), v.pages().to_string()),
        ("pgoff".to_string(), hex(v.pgoff)),
        ("prot".to_string(), format!("\"{}\"", v.prot)),
        (
            "flags".to_string(),
            format!(
                "{} {}{}",
                if v.shared { "shared" } else { "private" },
                match v.file {
                    Some(f) if m.file(f).shmem => "shmem".to_string(),
                    Some(f) => format!("file \"{}\"", m.file(f).name),
                    None => "anonymous".to_string(),
                },
                if v.anon_faulted {
                    ", has anon pages"
                } else {
                    ""
                }
            ),
        ),
    ];
    if let Some(p) = ptes {
        f.push((
            "ptes".to_string(),
            format!(
                "{} present, {} zero page, {} swap",
                p.present, p.zero, p.swap
            ),
        ));
    }
    f
}

fn page_fields(m: &Machine, id: PageId, object: Option<&str>) -> Vec<(String, String)> {
    let pg = m.pages.get(id);
    let kind = match pg.file() {
        Some(f) if m.file(f).shmem => format!("shmem ({})", m.file(f).name),
        Some(f) => format!("file \"{}\"", m.file(f).name),
        None => "anonymous".to_string(),
    };
    let mut f = vec![
        ("page".to_string(), id.to_string()),
        ("kind".to_string(), kind),
        (
            "mapping".to_string(),
            object.map_or("(none shown)".to_string(), str::to_string),
        ),
        ("index".to_string(), hex(pg.rmap().index)),
        ("mapcount".to_string(), pg.mapcount().to_string()),
    ];
    if pg.is_anon() {
        f.push(("exclusive".to_string(), pg.is_exclusive().to_string()));
    }
    f.push(("dirty".to_string(), pg.is_dirty().to_string()));
    if let Some(s) = pg.swap_slot() {
        f.push(("swap cache".to_string(), s.to_string()));
    }
    if !pg.is_alive() {
        f.push(("state".to_string(), "freed".to_string()));
    }
    f
}

/// A page's label at every level of detail: (full, [brief, compact, tight]).
fn page_labels(m: &Machine, id: PageId) -> (String, [String; 3]) {
    let pg = m.pages.get(id);
    let mut s = format!("{id} idx {} map {}", hex(pg.rmap().index), pg.mapcount());
    if let Some(sl) = pg.swap_slot() {
        s.push_str(&format!(" {sl}"));
    }
    if pg.is_anon() && pg.is_exclusive() && pg.mapcount() > 0 {
        s.push_str(" excl");
    }
    let short = format!("{id} map {}", pg.mapcount());
    (s, [short.clone(), short.clone(), short])
}

/// A page node.
fn page_node(m: &Machine, id: PageId, fields: Vec<(String, String)>, order: (u64, u64)) -> Node {
    let (label, short) = page_labels(m, id);
    Node {
        short,
        ..node(id.to_string(), NodeKind::Page, label, fields, 1, order)
    }
}

/// A group node: "+ 512 pages p1..p512", shortened to "+ 512 pages".
fn group_node(
    id: String,
    kind: NodeKind,
    what: &str,
    count: usize,
    span: String,
    fields: Vec<(String, String)>,
    order: (u64, u64),
) -> Node {
    let label = format!("+ {count} {what} {span}");
    let short = format!("+ {count} {what}");
    Node {
        short: [label.clone(), short.clone(), short],
        ..node(id, kind, label, fields, count, order)
    }
}

/// The word of `struct page` that points at object `o`: `mapping`, or `pte.chain` for a pte
/// chain (rmap-semantics.md §3.1).
fn page_word(o: &crate::schemes::RmapObject) -> &'static str {
    if o.kind == "pte_chain" {
        "pte.chain"
    } else {
        "mapping"
    }
}

/// Builds the graph of `sim`, marks `walk` on it and applies the grouping and focus options.
pub fn build_with(sim: &Simulation, walk: Option<&Walk>, opts: &BuildOptions) -> GraphView {
    let m = &sim.machine;
    let rv = sim.scheme.view(m);
    let mut g = GraphView {
        graph: StableGraph::new(),
        walk: None,
        scheme: sim.scheme_name(),
        ids: HashMap::new(),
    };
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
            if j - i >= 3 && !opts.expanded.contains(&gid) {
                let run = &p.mm.vmas[i..j];
                let members: Vec<String> = run.iter().map(|v| v.id.to_string()).collect();
                let mut fields = vec![
                    ("vmas".to_string(), run.len().to_string()),
                    ("from".to_string(), hex(run[0].start)),
                    ("to".to_string(), hex(run[run.len() - 1].end)),
                ];
                fields.extend(members.iter().map(|id| ("members".to_string(), id.clone())));
                let n = g.add(group_node(
                    gid,
                    NodeKind::VmaGroup,
                    "vmas",
                    run.len(),
                    format!("{}-{}", hex(run[0].start), hex(run[run.len() - 1].end)),
                    fields,
                    (p.pid as u64, run[0].start),
                ));
                g.link(mm, n, EdgeKind::MmVma, "vmas");
                for v in run {
                    vma_node.insert(v.id, n);
                }
                i = j;
                continue;
            }
            let ps = stats.then(|| pte_stats(m, p.pid, v));
            let mut fields = vma_fields(m, p.pid, v, ps.as_ref());
            if let Some(extra) = extra_fields.get(&v.id) {
                fields.extend(extra.iter().cloned());
            }
            let (label, short) = vma_labels(m, v, ps.as_ref());
            let n = g.add(Node {
                short,
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
            i += 1;
        }
    }

    // rmap objects.
    let mut obj_node = Vec::with_capacity(rv.objects.len());
    for (k, o) in rv.objects.iter().enumerate() {
        let mut fields = vec![("kind".to_string(), o.kind.to_string())];
        fields.extend(o.fields.iter().cloned());
        // Short: the object's key ("av1"); the inspector has the rest.
        obj_node.push(g.add(Node {
            short: [o.label.clone(), o.key.clone(), o.key.clone()],
            ..node(
                o.key.clone(),
                NodeKind::Object,
                o.label.clone(),
                fields,
                1,
                (k as u64, 0),
            )
        }));
    }
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
        {
            g.link(a, b, EdgeKind::MmObject, "");
        }
    }
    for (a, b, label) in &rv.object_links {
        if let (Some(&a), Some(&b)) = (obj_node.get(*a), obj_node.get(*b)) {
            g.link(a, b, EdgeKind::ObjectObject, label);
        }
    }

    // Pages, grouped per object. The scheme hands them over as sets of runs: a collapsed
    // group costs its count and its first and last id, never a look at each page.
    let walked = walk.map(|w| w.page);
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
    const LISTED: usize = 64;
    let mut walked_shown = false;
    for (o, pages) in sets.iter().enumerate() {
        let (Some(first), Some(last)) = (pages.first(), pages.last()) else {
            continue;
        };
        let count = pages.len();
        let key = &rv.objects[o].key;
        let grouped = count > opts.page_group && !opts.expanded.contains(&page_group_id(key));
        let walked_here = walked.filter(|&w| pages.contains(w));
        let single: Box<dyn Iterator<Item = PageId>> = if grouped {
            Box::new(walked_here.into_iter())
        } else {
            Box::new(pages.iter())
        };
        for p in single {
            walked_shown |= Some(p) == walked;
            let n = g.add(page_node(
                m,
                p,
                page_fields(m, p, Some(key)),
                (o as u64, p.0 as u64),
            ));
            g.link(
                obj_node[o],
                n,
                EdgeKind::PageObject,
                page_word(&rv.objects[o]),
            );
        }
        let folded = count - usize::from(walked_here.is_some());
        if !grouped || folded == 0 {
            continue;
        }
        let mut fields = vec![
            ("pages".to_string(), folded.to_string()),
            ("ids".to_string(), format!("{first} .. {last}")),
            ("mapping".to_string(), key.clone()),
        ];
        if count <= LISTED {
            fields.extend(
                pages
                    .iter()
                    .filter(|&p| Some(p) != walked)
                    .map(|p| ("members".to_string(), p.to_string())),
            );
        }
        let n = g.add(group_node(
            page_group_id(key),
            NodeKind::PageGroup,
            "pages",
            folded,
            format!("{first}..{last}"),
            fields,
            (o as u64, first.0 as u64),
        ));
        g.link(
            obj_node[o],
            n,
            EdgeKind::PageObject,
            page_word(&rv.objects[o]),
        );
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
                g.link(
                    obj_node[o],
                    n,
                    EdgeKind::PageObject,
                    page_word(&rv.objects[o]),
                );
            }
        }
        mark_walk(&mut g, m, w);
    }
    if opts.focus_walk && g.walk.is_some() {
        focus(&mut g);
    }
    g
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
        let grouped = total > opts.page_group && !opts.expanded.contains(&gid);
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
                None => g.add(page_node(
                    m,
                    p,
                    page_fields(m, p, Some(format!("{v} ({label})").as_str())),
                    (u64::MAX, p.0 as u64),
                )),
            };
            g.link(vn, n, EdgeKind::VmaPage, label);
        }
        if folded > 0 {
            let (first, last) = span;
            let fields = vec![
                ("pages".to_string(), folded.to_string()),
                ("ids".to_string(), format!("{first} .. {last}")),
                ("mapping".to_string(), format!("{v} (direct)")),
            ];
            let n = g.add(group_node(
                gid,
                NodeKind::PageGroup,
                "pages",
                folded,
                format!("{first}..{last}"),
                fields,
                (u64::MAX, first.0 as u64),
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
        if let Some(n) = g.graph.remove_node(i) {
            g.ids.remove(&n.id);
        }
    }
}

/// Counts of the nodes by kind (for summaries and tests).
pub fn kind_counts(g: &GraphView) -> BTreeMap<&'static str, usize> {
    let mut c = BTreeMap::new();
    for i in g.graph.node_indices() {
        *c.entry(g.graph[i].kind.as_str()).or_insert(0) += 1;
    }
    c
}
