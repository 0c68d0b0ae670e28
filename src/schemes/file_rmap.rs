//! The file side of object-based rmap: each file's `i_mmap`, the set of vmas that map it, kept
//! in the structure of the scheme's era (docs/semantics.md §3.2, §3.7, §3.9):
//!
//! - `List`: the 2.6.6-era `i_mmap` (private) and `i_mmap_shared` lists; every vma is a
//!   candidate, in list order (private list first, each oldest first); out-of-range ones are OUT.
//! - `PrioTree` (2.6.7 - 3.6) and `IntervalTree` (3.7+): a stabbing query at the page's offset
//!   returns only the vmas that cover it, in order of start pgoff, equal starts in insertion
//!   order; no OUT. The candidate sets are the same in both; the node counts are a model.
//!
//! A vma whose range or pgoff changes is removed and inserted again (so it moves behind equal
//! keys), as vma_interval_tree_remove/insert do.

use std::collections::BTreeMap;

use super::interval::stab_vmas;
use super::linked::{InsertionOrder, LinkedVma};
use super::{
    MmOrigin, NewAnonPage, NewVma, PageAt, PteMove, Repoint, ReshapedVma, RmapGraph, RmapObject,
    Scheme, SchemeInfo, candidate,
};
use crate::model::{
    Addr, Candidate, Census, Cost, Events, FileId, Machine, MmId, PageId, PageRmap, PageSet, Pid,
    Vma, Walk, WalkKind, WalkPlan,
};

/// Which i_mmap structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileStructure {
    List,
    PrioTree,
    IntervalTree,
}

impl FileStructure {
    pub fn name(self) -> &'static str {
        match self {
            FileStructure::List => "i_mmap lists",
            FileStructure::PrioTree => "prio_tree",
            FileStructure::IntervalTree => "interval tree",
        }
    }

    /// The i_mmap linkage in every vm_area_struct: (what, bytes on i386, bytes on x86_64).
    pub fn per_vma(self) -> (&'static str, u64, u64) {
        match self {
            FileStructure::List => ("per-vma i_mmap list linkage (shared.list, 2004)", 8, 16),
            FileStructure::PrioTree => (
                "per-vma prio_tree node (vm_set: list_head, parent, head)",
                16,
                32,
            ),
            FileStructure::IntervalTree => (
                "per-vma interval-tree node (shared.rb + rb_subtree_last)",
                16,
                32,
            ),
        }
    }
}

/// Every file's i_mmap.
#[derive(Clone, Debug)]
pub struct FileRmap {
    structure: FileStructure,
    files: BTreeMap<FileId, Vec<LinkedVma>>,
    order: InsertionOrder,
}

impl FileRmap {
    pub fn new(structure: FileStructure) -> Self {
        FileRmap {
            structure,
            files: BTreeMap::new(),
            order: InsertionOrder::default(),
        }
    }

    pub fn structure(&self) -> FileStructure {
        self.structure
    }

    /// __vma_link_file: a file or shmem vma joins its file's i_mmap.
    pub fn add(&mut self, m: &Machine, pid: Pid, vma: &Vma) {
        let Some(f) = vma.file else { return };
        let Some(mm) = m.procs.get(&pid).map(|p| p.mm.id) else {
            return;
        };
        let linked = self.order.link(pid, mm, vma.id);
        self.files.entry(f).or_default().push(linked);
    }

    /// The vma leaves its file's i_mmap.
    pub fn remove(&mut self, vma: &Vma) {
        let Some(f) = vma.file else { return };
        if let Some(v) = self.files.get_mut(&f) {
            v.retain(|e| e.vma != vma.id);
            if v.is_empty() {
                self.files.remove(&f);
            }
        }
    }

    /// The vma's range or pgoff changed: trees remove and re-insert it; lists keep its place.
    pub fn rekey(&mut self, before: &Vma, after: &Vma) {
        let Some(f) = after.file else { return };
        if self.structure == FileStructure::List || before.same_key(after) {
            return;
        }
        if let Some(v) = self.files.get_mut(&f) {
            self.order.relink(v, after.id);
        }
    }

    /// Adds the per-vma i_mmap linkage of `vmas` vmas to a cost.
    pub fn add_cost(&self, c: &mut Cost, vmas: u64) {
        let (what, i386, x86_64) = self.structure.per_vma();
        c.add(what, vmas, i386, x86_64, false);
    }

    /// Number of vmas on the file's i_mmap.
    pub fn len(&self, f: FileId) -> usize {
        self.files.get(&f).map_or(0, Vec::len)
    }

    /// Total vmas linked on any i_mmap.
    pub fn total(&self) -> usize {
        self.files.values().map(Vec::len).sum()
    }

    /// Number of files with a non-empty i_mmap.
    pub fn files_in_use(&self) -> usize {
        self.files.len()
    }

    /// The walk of a file (or shmem) page.
    pub fn walk(&self, m: &Machine, page: PageId) -> WalkPlan {
        let pg = m.pages.get(page);
        let Some(f) = pg.file() else {
            return WalkPlan::default();
        };
        let index = pg.rmap().index;
        let object = format!("i_mmap {}", m.file(f).name);
        let entries = self.files.get(&f).map(Vec::as_slice).unwrap_or_default();
        let live: Vec<(&LinkedVma, &Vma)> = entries
            .iter()
            .filter_map(|e| m.vma(e.pid, e.vma).map(|v| (e, v)))
            .collect();
        let cand = |e: &LinkedVma, v: &Vma| candidate(e.pid, e.mm, v, index, &object);
        match self.structure {
            FileStructure::List => {
                let mut ordered: Vec<&(&LinkedVma, &Vma)> =
                    live.iter().filter(|(_, v)| !v.shared).collect();
                ordered.extend(live.iter().filter(|(_, v)| v.shared));
                let candidates: Vec<Candidate> = ordered.iter().map(|(e, v)| cand(e, v)).collect();
                WalkPlan {
                    nodes_visited: candidates.len() as u32,
                    nodes_per_candidate: true,
                    candidates,
                    object,
                }
            }
            FileStructure::PrioTree | FileStructure::IntervalTree => {
                let s = stab_vmas(live.iter().map(|(e, v)| (*v, e.seq)), index);
                let candidates = s.hits.iter().map(|&i| cand(live[i].0, live[i].1)).collect();
                WalkPlan {
                    candidates,
                    nodes_visited: s.visited,
                    nodes_per_candidate: false,
                    object,
                }
            }
        }
    }

    /// Adds one object per file with its vmas and mapped pages to a view.
    pub fn add_to_view(&self, m: &Machine, view: &mut RmapGraph) {
        for (&f, entries) in &self.files {
            let file = m.file(f);
            let idx = view.objects.len();
            let mut fields = vec![
                ("file".to_string(), file.name.clone()),
                ("structure".to_string(), self.structure.name().to_string()),
                ("vmas".to_string(), entries.len().to_string()),
                ("size".to_string(), format!("{} pages", file.size)),
            ];
            if file.shmem {
                fields.push((
                    "kind".to_string(),
                    "shmem (shared anonymous memory)".to_string(),
                ));
            }
            view.objects.push(RmapObject {
                key: format!("i_mmap {}", file.name),
                kind: "address_space",
                label: format!(
                    "{} ({}, {} vma{})",
                    file.name,
                    self.structure.name(),
                    entries.len(),
                    if entries.len() == 1 { "" } else { "s" }
                ),
                fields,
            });
            for e in entries {
                view.vma_links
                    .push((e.vma, idx, self.structure.name().to_string()));
            }
            let mapped = PageSet::from_ids(
                file.cached_pages()
                    .map(|(_, p)| p)
                    .filter(|&p| m.pages.get(p).mapcount() > 0),
            );
            if !mapped.is_empty() {
                view.page_links.push((mapped, idx));
            }
        }
    }
}

/// An object-based design of anonymous memory together with the file side of its era: the one
/// place where the hooks reach the file rmap. The vma hooks keep each file's i_mmap up to date
/// before the design hears of them; a walk of a file (or shmem) page is the i_mmap's, a walk of
/// an anonymous page the design's; the cost and the graph get the i_mmap's lines and objects
/// after the design's. The design's own hooks therefore deal with anonymous memory only.
#[derive(Clone)]
pub struct WithFiles<A> {
    anon: A,
    files: FileRmap,
}

impl<A: Scheme + Clone + 'static> WithFiles<A> {
    /// `anon` with the file rmap `structure` of its era, as a scheme.
    pub fn boxed(anon: A, structure: FileStructure) -> Box<dyn Scheme> {
        Box::new(WithFiles {
            anon,
            files: FileRmap::new(structure),
        })
    }
}

impl<A: Scheme + Clone + 'static> Scheme for WithFiles<A> {
    fn info(&self) -> &'static SchemeInfo {
        self.anon.info()
    }

    fn mm_created(&mut self, m: &Machine, pid: Pid, mm: MmId, origin: MmOrigin, ev: &mut Events) {
        self.anon.mm_created(m, pid, mm, origin, ev);
    }

    fn mm_destroyed(&mut self, m: &Machine, pid: Pid, mm: MmId, ev: &mut Events) {
        self.anon.mm_destroyed(m, pid, mm, ev);
    }

    fn vma_added(&mut self, m: &Machine, new: NewVma<'_>, ev: &mut Events) {
        self.files.add(m, new.pid, new.vma);
        self.anon.vma_added(m, new, ev);
    }

    fn vma_removed(&mut self, m: &Machine, pid: Pid, vma: &Vma, ev: &mut Events) {
        self.files.remove(vma);
        self.anon.vma_removed(m, pid, vma, ev);
    }

    fn vma_changed(&mut self, m: &Machine, change: ReshapedVma<'_>, ev: &mut Events) {
        self.files.rekey(change.before, change.after);
        if let Some(gone) = change.merged {
            self.files.remove(gone);
        }
        self.anon.vma_changed(m, change, ev);
    }

    fn can_merge(&self, m: &Machine, pid: Pid, prev: &Vma, next: &Vma) -> bool {
        self.anon.can_merge(m, pid, prev, next)
    }

    fn anon_vma_prepared(&mut self, m: &Machine, pid: Pid, vma: &Vma, ev: &mut Events) {
        self.anon.anon_vma_prepared(m, pid, vma, ev);
    }

    fn anon_page_added(&mut self, m: &Machine, new: NewAnonPage<'_>, ev: &mut Events) -> PageRmap {
        self.anon.anon_page_added(m, new, ev)
    }

    fn anon_page_reused(&mut self, m: &Machine, at: PageAt<'_>, ev: &mut Events) -> Repoint {
        self.anon.anon_page_reused(m, at, ev)
    }

    fn swapin_must_copy(&self, m: &Machine, at: PageAt<'_>) -> bool {
        self.anon.swapin_must_copy(m, at)
    }

    fn mremap_copies_shared(&self) -> bool {
        self.anon.mremap_copies_shared()
    }

    fn pte_mapped(&mut self, m: &Machine, pid: Pid, addr: Addr, page: PageId, ev: &mut Events) {
        self.anon.pte_mapped(m, pid, addr, page, ev);
    }

    fn pte_unmapped(&mut self, m: &Machine, pid: Pid, addr: Addr, page: PageId, ev: &mut Events) {
        self.anon.pte_unmapped(m, pid, addr, page, ev);
    }

    fn pte_moved(&mut self, m: &Machine, mv: PteMove, ev: &mut Events) -> Repoint {
        self.anon.pte_moved(m, mv, ev)
    }

    fn page_freed(&mut self, m: &Machine, page: PageId, ev: &mut Events) {
        self.anon.page_freed(m, page, ev);
    }

    fn walk(&self, m: &Machine, page: PageId, kind: WalkKind) -> WalkPlan {
        if m.pages.get(page).is_anon() {
            self.anon.walk(m, page, kind)
        } else {
            self.files.walk(m, page)
        }
    }

    fn walk_finished(&mut self, m: &Machine, walk: &Walk, ev: &mut Events) -> Repoint {
        self.anon.walk_finished(m, walk, ev)
    }

    fn end_step(&mut self, m: &Machine, ev: &mut Events) {
        self.anon.end_step(m, ev);
    }

    fn drain_page_updates(&mut self) -> Vec<(PageId, PageRmap)> {
        self.anon.drain_page_updates()
    }

    fn cost(&self, n: &Census) -> Cost {
        let mut c = self.anon.cost(n);
        self.files.add_cost(&mut c, n.vmas);
        c
    }

    fn rmap_graph(&self, m: &Machine) -> RmapGraph {
        let mut view = self.anon.rmap_graph(m);
        self.files.add_to_view(m, &mut view);
        view
    }
}
