//! The graph of one simulation at one step: mm -> vma -> rmap object -> page, as a petgraph
//! `StableGraph`, with the reverse walk of the step marked on it.
//!
//! Node ids are stable across steps (the TUI remembers the selection and expanded groups by id):
//! `pid1` (an address space, by the pid running in it), `vma3`, the scheme's object keys (`av1`,
//! `anonmm2`, `i_mmap lib.so`), `p7` (a page), and for groups `pages@av1` (the pages of one
//! object), `vmas@pid1@0x10000` (a run of vmas of one mm) and `objects@pte_chain` (alike rmap
//! objects). Large scenarios stay small here: the pages of an object are summarised as one
//! group node beyond [`BuildOptions::page_group`], and alike objects beyond
//! [`BuildOptions::object_group`], unless the group is expanded; pages and objects on the walk
//! are always shown on their own.

use petgraph::stable_graph::{NodeIndex, StableGraph};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use crate::model::{Addr, Outcome, Pid, Walk, hex};

pub use super::build::{build, build_with};
use super::detail::{Detail, MAX_TEXT, cut_to, cut_width};
pub use super::glyph::Stroke;
pub use super::nodes::{MmFacts, VmaFacts};
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
    /// Several alike rmap objects shown as one node (see [`super::group`]).
    ObjectGroup,
}

impl NodeKind {
    /// The column the node is drawn in (see [`COLUMNS`]).
    pub fn column(self) -> usize {
        match self {
            NodeKind::Mm => 0,
            NodeKind::Vma | NodeKind::VmaGroup => 1,
            NodeKind::Object | NodeKind::ObjectGroup => 2,
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
            NodeKind::ObjectGroup => "object group",
        }
    }

    pub fn is_group(self) -> bool {
        matches!(
            self,
            NodeKind::VmaGroup | NodeKind::PageGroup | NodeKind::ObjectGroup
        )
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

    /// A short ASCII badge for the graph: `[#1 HIT]`, `[#2 MISS #3 OUT]`, `[LOST 0x11000]`,
    /// `<walked>`. The number after `#` is the visit's place in the walk's order (a walk of a
    /// thousand candidates shows `[#1001 HIT]` on the vma it visited last), never a count.
    pub fn badge(&self) -> Option<String> {
        self.badge_at(Detail::Full)
    }

    /// The badge at a level of detail: at [`Detail::Tight`] the walked page is marked `◀`, the
    /// visits have no brackets (`#1 HIT`) and a LOST pte is `[LOST]` without its address (the
    /// walk pane lists the addresses).
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
                .map(|v| format!("#{} {}", v.candidate + 1, v.outcome))
                .collect();
            // `#` sets the visits apart well enough for the tightest level to drop the brackets.
            parts.push(if tight {
                v.join(" ")
            } else {
                format!("[{}]", v.join(" "))
            });
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

/// Where a node stands with respect to groups.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Grouping {
    /// Shown on its own, in no group.
    #[default]
    Alone,
    /// A group node standing for these members.
    Group(Members),
    /// A member shown on its own because the user expanded its group, the one with this id
    /// (Enter on the member folds it again).
    Member(String),
}

/// The members a group node stands for, by their node ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Members {
    /// The first and the last member in the column's order (`p2`, `p1000`; `chain p2`,
    /// `chain p1000`; `vma3`, `vma9`).
    pub first: String,
    pub last: String,
    /// Every member, when few enough to list (a run of vmas always is).
    pub listed: Vec<String>,
}

impl Members {
    /// Members known by their list (`listed` is not empty): the first and last of it.
    pub fn listing(listed: Vec<String>) -> Members {
        Members {
            first: listed.first().cloned().unwrap_or_default(),
            last: listed.last().cloned().unwrap_or_default(),
            listed,
        }
    }

    /// Whether `id` is among the members listed.
    pub fn lists(&self, id: &str) -> bool {
        self.listed.iter().any(|m| m == id)
    }

    /// Whether `id` (any case) has the words of the first member and a number between the
    /// numbers that end the first and the last: `chain p3` in `chain p2` .. `chain p1000`.
    /// Such an id may be of a node folded into this group (pages and alike objects are
    /// numbered in the column's order) even when the group is too large to list it.
    pub fn spans(&self, id: &str) -> bool {
        let split = |s: &str| {
            let s = s.to_ascii_lowercase();
            let at = s.trim_end_matches(|c: char| c.is_ascii_digit()).len();
            let n = s[at..].parse::<u64>().ok()?;
            Some((s[..at].to_string(), n))
        };
        match (split(id), split(&self.first), split(&self.last)) {
            (Some((p, n)), Some((pa, a)), Some((pb, b))) => p == pa && p == pb && a <= n && n <= b,
            _ => false,
        }
    }
}

/// The inspector fields of a node: listed when the graph is built, or, for an mm and a vma,
/// made when asked for from what the node keeps (a graph of a thousand processes would
/// otherwise format a dozen fields for each of its vmas and mms at every step, for an
/// inspector that shows one node).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fields {
    Listed(Vec<(String, String)>),
    Mm(MmFacts),
    Vma(Box<VmaFacts>),
}

impl Fields {
    /// The fields, in the inspector's order.
    pub fn list(&self) -> Cow<'_, [(String, String)]> {
        match self {
            Fields::Listed(f) => Cow::Borrowed(f),
            Fields::Mm(m) => Cow::Owned(m.fields()),
            Fields::Vma(v) => Cow::Owned(v.fields()),
        }
    }
}

impl From<Vec<(String, String)>> for Fields {
    fn from(f: Vec<(String, String)>) -> Fields {
        Fields::Listed(f)
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
    /// Fields for the inspector ([`Fields::list`]).
    pub fields: Fields,
    pub walk: WalkMark,
    /// For groups: how many members the node stands for.
    pub count: usize,
    /// The group the node is, or is a member of.
    pub grouping: Grouping,
    /// The addresses a vma node covers, `[start, end)`.
    pub addrs: Option<(Addr, Addr)>,
    /// Order within the column (pid and address for vmas, id for pages ...).
    pub order: (u64, u64),
}

impl Node {
    /// The members of a group node.
    pub fn members(&self) -> Option<&Members> {
        match &self.grouping {
            Grouping::Group(m) => Some(m),
            _ => None,
        }
    }

    /// The id of the expanded group the node is shown as a member of.
    pub fn member_of(&self) -> Option<&str> {
        match &self.grouping {
            Grouping::Member(g) => Some(g),
            _ => None,
        }
    }

    /// The inspector fields followed by the group membership, as the exports list them: a
    /// group's `members` (each one listed) or an expanded member's `group` (the group's id).
    pub fn listed_fields(&self) -> Vec<(String, String)> {
        let mut all = self.fields.list().into_owned();
        match &self.grouping {
            Grouping::Alone => {}
            Grouping::Group(m) => all.extend(
                m.listed
                    .iter()
                    .map(|id| ("members".to_string(), id.clone())),
            ),
            Grouping::Member(g) => all.push(("group".to_string(), g.clone())),
        }
        all
    }

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
pub(super) fn node(
    id: String,
    kind: NodeKind,
    label: String,
    fields: impl Into<Fields>,
    count: usize,
    order: (u64, u64),
) -> Node {
    Node {
        id,
        kind,
        short: [label.clone(), label.clone(), label.clone()],
        label,
        fields: fields.into(),
        walk: WalkMark::default(),
        count,
        grouping: Grouping::Alone,
        addrs: None,
        order,
    }
}

/// What an edge stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    /// Every kind, in the order the legend lists them.
    pub const ALL: [EdgeKind; 6] = [
        EdgeKind::MmVma,
        EdgeKind::VmaObject,
        EdgeKind::MmObject,
        EdgeKind::PageObject,
        EdgeKind::VmaPage,
        EdgeKind::ObjectObject,
    ];

    /// How the graph draws the kind's lines: edges between neighbouring columns solid, edges
    /// that skip a column (passing a dummy row of the column between) dashed, links between two
    /// rmap objects (a ring, a parent or root) double, in a gutter of their own before the
    /// objects' texts, where no other kind of line runs.
    pub fn stroke(self) -> Stroke {
        match self {
            EdgeKind::MmVma | EdgeKind::VmaObject | EdgeKind::PageObject => Stroke::Solid,
            EdgeKind::MmObject | EdgeKind::VmaPage => Stroke::Dashed,
            EdgeKind::ObjectObject => Stroke::Double,
        }
    }

    /// What the kind is, in words, for the legend.
    pub fn meaning(self) -> &'static str {
        match self {
            EdgeKind::MmVma => "an address space owns the vma",
            EdgeKind::VmaObject => "the vma is linked into the rmap object",
            EdgeKind::MmObject => "the mm is linked to the rmap object (skips the vma column)",
            EdgeKind::PageObject => "the page's mapping word names the object",
            EdgeKind::VmaPage => "the page's rmap word points straight at the vma or pte",
            EdgeKind::ObjectObject => "one rmap object points at another (ring, parent, root)",
        }
    }

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
    /// Alike rmap objects (same kind, linked from the same vmas and mms, to no other object,
    /// not on the walk) are shown one by one up to this many; beyond it they become a group.
    pub object_group: usize,
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
            object_group: 32,
            expanded: HashSet::new(),
            focus_walk: false,
            pte_stats_limit: 200_000,
        }
    }
}

impl BuildOptions {
    /// Nothing grouped: every page, vma and object on its own node.
    pub fn full() -> BuildOptions {
        BuildOptions {
            page_group: usize::MAX,
            vma_group: usize::MAX,
            object_group: usize::MAX,
            ..BuildOptions::default()
        }
    }
}

/// The graph of one simulation at one step.
#[derive(Clone, Debug)]
pub struct Graph {
    pub graph: StableGraph<Node, Edge>,
    /// The step's walk, if the step ran one.
    pub walk: Option<WalkInfo>,
    /// The scheme shown.
    pub scheme: &'static str,
    ids: foldhash::HashMap<String, NodeIndex>,
}

impl Graph {
    /// An empty graph of scheme `scheme`.
    pub(super) fn new(scheme: &'static str) -> Graph {
        Graph {
            graph: StableGraph::new(),
            walk: None,
            scheme,
            ids: foldhash::HashMap::default(),
        }
    }

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

    /// The group node that lists the member with id `id` (a page or vma folded into a group).
    pub fn group_of(&self, id: &str) -> Option<NodeIndex> {
        self.graph
            .node_indices()
            .find(|&i| self.graph[i].members().is_some_and(|m| m.lists(id)))
    }

    pub(super) fn add(&mut self, n: Node) -> NodeIndex {
        let id = n.id.clone();
        let i = self.graph.add_node(n);
        self.ids.insert(id, i);
        i
    }

    pub(super) fn remove(&mut self, i: NodeIndex) {
        if let Some(n) = self.graph.remove_node(i) {
            self.ids.remove(&n.id);
        }
    }

    pub(super) fn link(&mut self, a: NodeIndex, b: NodeIndex, kind: EdgeKind, label: &str) {
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

/// The id of an address space's node.
pub fn mm_id(pid: Pid) -> String {
    format!("pid{pid}")
}

/// The id of a page group node.
pub fn page_group_id(object_key: &str) -> String {
    format!("pages@{object_key}")
}

/// Counts of the nodes by kind (for summaries and tests).
pub fn kind_counts(g: &Graph) -> BTreeMap<&'static str, usize> {
    let mut c = BTreeMap::new();
    for i in g.graph.node_indices() {
        *c.entry(g.graph[i].kind.as_str()).or_insert(0) += 1;
    }
    c
}
