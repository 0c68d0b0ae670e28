//! The rmap hook interface: what the machine asks an rmap design at every rmap decision (what
//! a fault links, whether two vmas may merge, what mremap must do to shared pages, which
//! candidates a walk visits), and what a design shows of its objects. The model calls
//! [`Scheme`]; the designs in `crate::schemes` implement it.

use std::collections::{BTreeMap, HashMap};

use super::{
    Addr, Census, Cost, Events, Machine, MmId, PageId, PageRmap, PageSet, Pid, Vma, VmaId, Walk,
    WalkKind, WalkPlan,
};

/// How an address space came to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmOrigin {
    /// Process 1 at the start, or a `Spawn`: unrelated to every other mm.
    Spawn,
    /// A `Fork` of `parent`'s mm (the parent's pid and mm).
    Fork { parent: Pid, parent_mm: MmId },
    /// An `Exec` in the same pid: a fresh mm, a new exec family.
    Exec,
}

/// Why a vma appeared.
#[derive(Clone, Copy, Debug)]
pub enum VmaOrigin<'a> {
    /// mmap of a new range (no merge happened).
    Mmap,
    /// The child's copy made by fork (dup_mmap), from the parent's vma.
    Fork { parent: Pid, from: &'a Vma },
    /// The new piece made by split_vma; `from` is the original vma after it was shrunk.
    Split { from: &'a Vma },
    /// The destination of an mremap move (copy_vma), from the source vma.
    Move { from: &'a Vma },
}

/// Why an anonymous page got its first (new) mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnonAdd {
    /// First write fault on never-written memory (or on the zero page).
    New,
    /// Copy-on-write copy of `from` (a page of the model; None when copying the zero page).
    CowCopy { from: Option<PageId> },
    /// A page freshly read from swap; `exclusive` as carried by the swap pte.
    SwapIn { exclusive: bool },
}

/// A vma that joined `pid`'s mm (it is in the model already), and why.
#[derive(Clone, Copy, Debug)]
pub struct NewVma<'a> {
    pub pid: Pid,
    pub vma: &'a Vma,
    pub origin: VmaOrigin<'a>,
}

/// A vma of `pid`'s mm that changed in place: its range or pgoff (the remainder of a split, a
/// grow or a shrink: `before` -> `after`), or it absorbed its neighbour `merged` (which is
/// about to go) and now spans `after`.
#[derive(Clone, Copy, Debug)]
pub struct ReshapedVma<'a> {
    pub pid: Pid,
    pub before: &'a Vma,
    pub after: &'a Vma,
    pub merged: Option<&'a Vma>,
}

impl<'a> NewVma<'a> {
    pub fn new(pid: Pid, vma: &'a Vma, origin: VmaOrigin<'a>) -> Self {
        NewVma { pid, vma, origin }
    }
}

impl<'a> ReshapedVma<'a> {
    /// The vma's range or pgoff changed in place.
    pub fn resized(pid: Pid, before: &'a Vma, after: &'a Vma) -> Self {
        ReshapedVma {
            pid,
            before,
            after,
            merged: None,
        }
    }
}

/// `page` mapped (or about to be) at `addr` in `pid`'s `vma`.
#[derive(Clone, Copy, Debug)]
pub struct PageAt<'a> {
    pub pid: Pid,
    pub vma: &'a Vma,
    pub addr: Addr,
    pub page: PageId,
}

impl<'a> PageAt<'a> {
    pub fn new(pid: Pid, vma: &'a Vma, addr: Addr, page: PageId) -> Self {
        PageAt {
            pid,
            vma,
            addr,
            page,
        }
    }

    /// The page is a new anonymous page, mapped here first.
    pub fn added(self, how: AnonAdd) -> NewAnonPage<'a> {
        NewAnonPage { at: self, how }
    }
}

/// A new anonymous page gets its first mapping, and why.
#[derive(Clone, Copy, Debug)]
pub struct NewAnonPage<'a> {
    pub at: PageAt<'a>,
    pub how: AnonAdd,
}

/// mremap moved the pte of `page` in `pid`'s mm from `from` to `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PteMove {
    pub pid: Pid,
    pub from: Addr,
    pub to: Addr,
    pub page: PageId,
}

impl PteMove {
    pub fn new(pid: Pid, from: Addr, to: Addr, page: PageId) -> Self {
        PteMove {
            pid,
            from,
            to,
            page,
        }
    }
}

/// The rmap words a hook gives a page it moves to another object or index; None: the page
/// stays where it is.
pub type Repoint = Option<PageRmap>;

/// One rmap object as the view, the inspector and the exports show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RmapObject {
    /// Short unique key, e.g. "av3", "anonmm2", "i_mmap lib.so", "chain p7".
    pub key: String,
    /// Kind, e.g. "anon_vma", "anon_vma_chain", "anonmm", "address_space", "pte_chain".
    pub kind: &'static str,
    /// One-line label for a graph node.
    pub label: String,
    /// Fields for the inspector.
    pub fields: Vec<(String, String)>,
}

/// The rmap side of the graph at one step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RmapGraph {
    pub objects: Vec<RmapObject>,
    /// vma -> object edges (e.g. an AVC, membership of an anon_vma list), with an edge label.
    pub vma_links: Vec<(VmaId, usize, String)>,
    /// mm -> object edges (anonmm).
    pub mm_links: Vec<(MmId, usize)>,
    /// object -> object edges (parent/root of an anon_vma, ring order of anonmms), with a label.
    pub object_links: Vec<(usize, usize, String)>,
    /// page -> object edges (page->mapping): the pages whose mapping is the object. Pages come
    /// as [`PageSet`]s so that a scheme hands over a million pages of one object without
    /// listing them; an object may appear in several entries.
    pub page_links: Vec<(PageSet, usize)>,
    /// page -> vma edges, with a label: rmap words that point straight at a vma (RFC2's
    /// `PG_direct` page->as.vma) or at one pte inside it (pte-chain's `pte.direct`).
    pub page_vma_links: Vec<(PageSet, VmaId, String)>,
    /// Extra per-vma inspector fields (anon_vma, chain ...).
    pub vma_fields: Vec<(VmaId, Vec<(String, String)>)>,
}

impl RmapGraph {
    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.objects.iter().position(|o| o.key == key)
    }

    /// page -> object edges for every mapped anonymous page whose `mapping` is a key of
    /// `objects` (the scheme's object id -> its index in `self.objects`), from the pages grouped
    /// by mapping word ([`crate::model::PageStore::mapped_anon`]).
    pub fn link_anon_pages(&mut self, anon: BTreeMap<u32, PageSet>, objects: &HashMap<u32, usize>) {
        for (mapping, pages) in anon {
            if let Some(&i) = objects.get(&mapping) {
                self.page_links.push((pages, i));
            }
        }
    }
}

/// A design's static description: what the CLI, the TUI and the docs say about it. Each design's
/// file owns its own; the registry (`crate::schemes::SCHEMES`) lists them.
#[derive(Debug)]
pub struct SchemeInfo {
    /// CLI name.
    pub name: &'static str,
    /// The design in a few words.
    pub design: &'static str,
    /// Kernel versions or date.
    pub era: &'static str,
    /// One line on how it finds the ptes of a page.
    pub summary: &'static str,
    /// The sections of docs/semantics.md that describe it.
    pub spec: &'static str,
    /// A page names an rmap object (`page->mapping`: an anon_vma, an anonmm, an address_space)
    /// from which the walk finds the candidates. False for a design that records the ptes of
    /// each page (pte chains, `page->pte`).
    pub object_based: bool,
    /// The scheme compare mode shows beside this one by default, if it exists; None: the next
    /// one in the registry.
    pub compare_with: Option<&'static str>,
    /// A fresh scheme of this design with no objects.
    pub make: fn() -> Box<dyn Scheme>,
}

impl SchemeInfo {
    /// What the walk pane calls the page's pointer to where the walk starts.
    pub fn page_pointer(&self) -> &'static str {
        if self.object_based {
            "page->mapping"
        } else {
            "page->pte"
        }
    }

    /// The word of `struct page` on the graph's page -> rmap object edges: the object's
    /// `mapping`, or the `pte.chain` that records the page's ptes.
    pub fn page_link(&self) -> &'static str {
        if self.object_based {
            "mapping"
        } else {
            "pte.chain"
        }
    }
}

/// An rmap design. Hooks receive the model (read-only; already updated unless a hook says
/// otherwise) and the step's event list. Hooks that set a page's rmap words return them; the
/// model stores them. Hooks with a default do nothing by default; a scheme overrides the ones
/// its design needs.
pub trait Scheme: Send + Sync + CloneScheme {
    /// Name, era and summary.
    fn info(&self) -> &'static SchemeInfo;

    /// A new address space exists (its vmas, for a fork, are added afterwards one by one).
    fn mm_created(&mut self, m: &Machine, pid: Pid, mm: MmId, origin: MmOrigin, ev: &mut Events) {
        let _ = (m, pid, mm, origin, ev);
    }

    /// An address space was torn down (exit, or the old mm of an exec), after its vmas were removed.
    fn mm_destroyed(&mut self, m: &Machine, pid: Pid, mm: MmId, ev: &mut Events) {
        let _ = (m, pid, mm, ev);
    }

    /// A vma was added to a mm.
    fn vma_added(&mut self, m: &Machine, new: NewVma<'_>, ev: &mut Events) {
        let _ = (m, new, ev);
    }

    /// A vma is being removed (its ptes are already gone; it is still in the model).
    fn vma_removed(&mut self, m: &Machine, pid: Pid, vma: &Vma, ev: &mut Events) {
        let _ = (m, pid, vma, ev);
    }

    /// A vma changed in place or absorbed its neighbour: re-key trees, take the neighbour's
    /// links over.
    fn vma_changed(&mut self, m: &Machine, change: ReshapedVma<'_>, ev: &mut Events) {
        let _ = (m, change, ev);
    }

    /// The rmap part of the merge test for two adjacent vmas that the model found compatible
    /// (same flags, same file, linear file offsets). Anonymous pgoff linearity is the scheme's
    /// call: object-based anon schemes need it, pte chains and anonmm do not. For mmap, `next`
    /// (or `prev`) may be a vma about to be created, whose id the scheme has never seen: treat
    /// it as never faulted.
    fn can_merge(&self, m: &Machine, pid: Pid, prev: &Vma, next: &Vma) -> bool;

    /// anon_vma_prepare succeeded for `vma` (the model sets its `anon_faulted`): a write fault
    /// is about to map an anonymous page into it, or, for a write past the end of a file in a
    /// private vma, do_cow_fault prepared it before the SIGBUS and no page follows. A scheme
    /// whose anonymous rmap object is made or joined per vma at the first anonymous fault does
    /// it here; [`Scheme::anon_page_added`] then finds it made.
    fn anon_vma_prepared(&mut self, m: &Machine, pid: Pid, vma: &Vma, ev: &mut Events) {
        let _ = (m, pid, vma, ev);
    }

    /// A new anonymous page is mapped. Returns page->mapping/index.
    fn anon_page_added(&mut self, m: &Machine, new: NewAnonPage<'_>, ev: &mut Events) -> PageRmap;

    /// A write reuses a non-exclusive anonymous page in place (the writer is its only mapper).
    /// Returns new rmap words if the scheme moves the page (e.g. to the writer's own anon_vma).
    fn anon_page_reused(&mut self, m: &Machine, at: PageAt<'_>, ev: &mut Events) -> Repoint {
        let _ = (m, at, ev);
        None
    }

    /// A page that is in the swap cache is about to be mapped again. True when the scheme
    /// must copy it instead (anonmm: a shared page swapped in at another address, rmap 11).
    fn swapin_must_copy(&self, m: &Machine, at: PageAt<'_>) -> bool {
        let _ = (m, at);
        false
    }

    /// Before mremap moves ptes: true when pages shared with another mm must be copied first
    /// (anonmm rmap 11, "mremap moved N cows").
    fn mremap_copies_shared(&self) -> bool {
        false
    }

    /// A pte now maps `page` at (pid, addr) (any cause: fault, fork copy, mremap destination).
    fn pte_mapped(&mut self, m: &Machine, pid: Pid, addr: Addr, page: PageId, ev: &mut Events) {
        let _ = (m, pid, addr, page, ev);
    }

    /// The pte at (pid, addr) no longer maps `page` (unmap, COW, reclaim, mremap source).
    fn pte_unmapped(&mut self, m: &Machine, pid: Pid, addr: Addr, page: PageId, ev: &mut Events) {
        let _ = (m, pid, addr, page, ev);
    }

    /// mremap moved the pte of an exclusively mapped anonymous page; may return new rmap words
    /// (anonmm rewrites page->index to the new address).
    fn pte_moved(&mut self, m: &Machine, mv: PteMove, ev: &mut Events) -> Repoint {
        let _ = (m, mv, ev);
        None
    }

    /// The page was freed.
    fn page_freed(&mut self, m: &Machine, page: PageId, ev: &mut Events) {
        let _ = (m, page, ev);
    }

    /// The candidates a reverse walk of `page` visits, in the kernel's order of the era.
    fn walk(&self, m: &Machine, page: PageId, kind: WalkKind) -> WalkPlan;

    /// After a walk (model already updated). May re-point the page (anonmm migrates pages of
    /// dead anonmms in page_referenced).
    fn walk_finished(&mut self, m: &Machine, walk: &Walk, ev: &mut Events) -> Repoint {
        let _ = (m, walk, ev);
        None
    }

    /// End of a step: flush tallied per-page events.
    fn end_step(&mut self, m: &Machine, ev: &mut Events) {
        let _ = (m, ev);
    }

    /// Page rmap words the scheme changed on its own since the last call (e.g. RFC2 converting
    /// a vma's direct pages to a new anon_vma at fork). The model applies them after every op.
    fn drain_page_updates(&mut self) -> Vec<(PageId, PageRmap)> {
        Vec::new()
    }

    /// rmap metadata held now, given the machine's counts ([`Machine::census`]). Runs after
    /// every step: it reads counts kept up to date, never a pass over the scheme's objects.
    fn cost(&self, n: &Census) -> Cost;

    /// [`Scheme::cost`] counted from scratch, for the check that the kept counts are right;
    /// schemes whose cost reads only the census and their collections' lengths keep the default.
    fn recount_cost(&self, n: &Census) -> Cost {
        self.cost(n)
    }

    /// The rmap objects and their links, for the graph and the inspector.
    fn rmap_graph(&self, m: &Machine) -> RmapGraph;
}

/// A copy of a whole scheme's state behind `dyn Scheme` (for history). Every scheme that is
/// `Clone` has it; no scheme writes it.
pub trait CloneScheme {
    fn clone_box(&self) -> Box<dyn Scheme>;
}

impl<T: Scheme + Clone + 'static> CloneScheme for T {
    fn clone_box(&self) -> Box<dyn Scheme> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn Scheme> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

#[cfg(test)]
mod tests {
    use crate::schemes::SCHEMES;

    #[test]
    fn a_page_points_at_its_rmap_object_through_mapping_except_under_pte_chains() {
        // The object-based designs keep the rmap object in page->mapping; pte chains (2.5.27 -
        // 2.6.6) keep the page's ptes in the union page->pte (pte.direct or pte.chain).
        for info in SCHEMES {
            let want = if info.name == "pte-chain" {
                ("page->pte", "pte.chain")
            } else {
                ("page->mapping", "mapping")
            };
            assert_eq!(
                (info.page_pointer(), info.page_link()),
                want,
                "{}",
                info.name
            );
        }
    }
}
