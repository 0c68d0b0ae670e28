//! What each node of the graph says: the one-line labels of vmas and pages at every level of
//! detail, and the fields the inspector lists, made from the machine's state; plus the node
//! constructors for pages and groups. [`super::graph`] decides which nodes there are.

use crate::model::{Machine, MmId, PageId, Pid, PteVal, Vma, hex};

use super::graph::{Grouping, Members, Node, NodeKind, node};

/// A vma's label at every level of detail: (full, [brief, compact, tight]).
pub(super) fn vma_labels(m: &Machine, v: &Vma, ptes: Option<&PteStats>) -> (String, [String; 3]) {
    use std::fmt::Write;
    // The end without its 0x in the compact range: still read as hex after the start's.
    let (start, pgoff) = (hex(v.start), hex(v.pgoff));
    let compact_range = format!("{start}-{:x} pg {pgoff}", v.end);
    let prot = v.prot.to_string();
    let prot = if prot.is_empty() { "---" } else { &prot };
    let file = match v.file {
        Some(f) if m.file(f).shmem => " shmem",
        Some(f) => &format!(" {}", m.file(f).name),
        None => "",
    };
    let brief = format!("{start}-{} pg {pgoff} {prot}{file}", hex(v.end));
    let mut full = brief.clone();
    if v.shared && v.file.is_some_and(|f| !m.file(f).shmem) {
        full.push_str(" shared");
    }
    if let Some(p) = ptes {
        // Writing into a String cannot fail.
        if p.zero > 0 {
            let _ = write!(full, " {}z", p.zero);
        }
        if p.swap > 0 {
            let _ = write!(full, " {}sw", p.swap);
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
    VmaFacts::new(m, pid, v, ptes.copied(), Vec::new()).fields()
}

/// What a vma node's inspector fields say, kept to make them when asked for
/// ([`super::graph::Fields`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmaFacts {
    pid: Pid,
    vma: Vma,
    /// The kind of mapping, in the inspector's words (anonymous, shmem, a file's name).
    kind: String,
    ptes: Option<PteStats>,
    /// The scheme's fields, after the machine's.
    extra: Vec<(String, String)>,
}

impl VmaFacts {
    /// The facts of vma `v` of `pid` in `m`, its ptes counted or not, with the scheme's
    /// `extra` fields.
    pub fn new(
        m: &Machine,
        pid: Pid,
        v: &Vma,
        ptes: Option<PteStats>,
        extra: Vec<(String, String)>,
    ) -> VmaFacts {
        let kind = match v.file {
            Some(f) if m.file(f).shmem => "shmem".to_string(),
            Some(f) => format!("file \"{}\"", m.file(f).name),
            None => "anonymous".to_string(),
        };
        VmaFacts {
            pid,
            vma: v.clone(),
            kind,
            ptes,
            extra,
        }
    }

    /// The fields: pid, extent, pgoff, protection, kind, the ptes when counted, the scheme's.
    pub fn fields(&self) -> Vec<(String, String)> {
        let v = &self.vma;
        let mut f = vec![
            ("pid".to_string(), self.pid.to_string()),
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
                    self.kind,
                    if v.anon_faulted {
                        ", has anon pages"
                    } else {
                        ""
                    }
                ),
            ),
        ];
        if let Some(p) = &self.ptes {
            f.push((
                "ptes".to_string(),
                format!(
                    "{} present, {} zero page, {} swap",
                    p.present, p.zero, p.swap
                ),
            ));
        }
        f.extend(self.extra.iter().cloned());
        f
    }
}

/// What an mm node's inspector fields say: its pid, its mm's id, how many vmas and ptes it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmFacts {
    pub pid: Pid,
    pub mm: MmId,
    pub vmas: usize,
    pub ptes: usize,
}

impl MmFacts {
    pub fn fields(&self) -> Vec<(String, String)> {
        vec![
            ("pid".to_string(), self.pid.to_string()),
            ("mm".to_string(), self.mm.to_string()),
            ("vmas".to_string(), self.vmas.to_string()),
            ("ptes".to_string(), self.ptes.to_string()),
        ]
    }
}

pub(super) fn page_fields(m: &Machine, id: PageId, object: Option<&str>) -> Vec<(String, String)> {
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
    f.push(("PG_dirty".to_string(), pg.is_dirty().to_string()));
    if let Some(s) = pg.swap_slot() {
        f.push(("swap cache".to_string(), s.to_string()));
    }
    if !pg.is_alive() {
        f.push(("state".to_string(), "freed".to_string()));
    }
    f
}

/// A page's label at every level of detail: (full, [brief, compact, tight]).
pub(super) fn page_labels(m: &Machine, id: PageId) -> (String, [String; 3]) {
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
pub(super) fn page_node(
    m: &Machine,
    id: PageId,
    fields: Vec<(String, String)>,
    order: (u64, u64),
) -> Node {
    let (label, short) = page_labels(m, id);
    Node {
        short,
        ..node(id.to_string(), NodeKind::Page, label, fields, 1, order)
    }
}

/// A group node: "+ 512 pages p1..p512", shortened to "+ 512 pages".
pub(super) fn group_node(
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

/// A page group node `pages@OWNER`: `folded` pages from `first` to `last` whose rmap word
/// names `mapping`, listing `members` (the pages, when few enough to list).
pub(super) fn page_group_node(
    gid: String,
    folded: usize,
    (first, last): (PageId, PageId),
    mapping: String,
    members: Vec<String>,
    order: (u64, u64),
) -> Node {
    let fields = vec![
        ("pages".to_string(), folded.to_string()),
        ("ids".to_string(), format!("{first} .. {last}")),
        ("mapping".to_string(), mapping),
    ];
    let members = Members {
        first: first.to_string(),
        last: last.to_string(),
        listed: members,
    };
    Node {
        grouping: Grouping::Group(members),
        ..group_node(
            gid,
            NodeKind::PageGroup,
            "pages",
            folded,
            format!("{first}..{last}"),
            fields,
            order,
        )
    }
}
