//! `anon-vma`: Andrea Arcangeli's anon_vma as merged in 2.6.7 and kept until 2.6.33
//! (docs/semantics.md §3.4; mm/rmap.c of 2.6.11).
//!
//! What a page points to: an anonymous page's `mapping` is the anon_vma of the vma that first
//! mapped it, `index` its linear page index (`vm_pgoff + (addr - vm_start) / PAGE_SIZE`; an
//! anonymous vma's pgoff is its mmap address in pages, and survives mremap). A file page points
//! at its file; the file's vmas sit in a prio_tree.
//!
//! What the walk visits: every vma on the page's anon_vma list, newest first (`list_add` at the
//! head in anon_vma_prepare, anon_vma_link and __vma_link), each checked with vma_address():
//! OUT if the index falls outside the vma, else the page tables are read (HIT or MISS). File
//! pages: a prio_tree stabbing query. Both stop after `mapcount` hits.
//!
//! What each op changes:
//! - first write fault: anon_vma_prepare gives the vma an anon_vma: the one of an adjacent vma
//!   that could merge with it but for its protection (find_mergeable_anon_vma, rmap 40), or a
//!   new one; the vma goes on its list.
//! - fork: the child's vma copies the parent's anon_vma pointer and joins the same list; one
//!   anon_vma for the whole fork family.
//! - COW copy, swap-in: the new page points at the faulting vma's anon_vma (the family's).
//!   Reuse of a page in place changes nothing.
//! - split, mremap move: the new vma joins the same list. Merge: needs one anon_vma (or one side
//!   without) and a linear pgoff. munmap, exit, exec: the vma leaves the list; an empty anon_vma
//!   is freed at once (no refcount in this era).
//!
//! The same code, switched by [`Flavor`], is `anon-vma-global` and `anon-vma-global-prio`
//! (one object per exec family; see anon_vma_global.rs for that design and its choices).

use super::SchemeInfo;
use super::anon_vma_global::{ANON_VMA_GLOBAL, ANON_VMA_GLOBAL_PRIO};
use super::anon_vma_global::Families;
use super::av_list::AvLists;
use super::file_rmap::{FileStructure, WithFiles};
use super::{
    MmOrigin, NewAnonPage, NewVma, PageAt, RmapGraph, Scheme, ReshapedVma, VmaOrigin, merge_neighbours,
    prepared_anon_vma,
};
use crate::model::{
    Census, Cost, Events, Machine, MmId, PageId, PageRmap, Pid, Vma, WalkKind, WalkPlan,
};

/// The `anon-vma` design as the CLI, the TUI and the docs name it.
pub static ANON_VMA: SchemeInfo = SchemeInfo {
    name: "anon-vma",
    design: "anon_vma as merged: one list of vmas per fork family",
    era: "2.6.7 - 2.6.33",
    summary: "a page points at its family's anon_vma; the walk tries every vma on the list, newest first",
    spec: "§3.4",
    object_based: true,
    compare_with: Some("anonmm-naive"),
    make: || WithFiles::boxed(AnonVmaScheme::new(Flavor::Mainline), FileStructure::PrioTree),
};

/// Which design of the anon_vma family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `anon-vma` (2.6.7 - 2.6.33): an anon_vma per fork family, made at the first fault.
    Mainline,
    /// `anon-vma-global`: one object per exec family, every anonymous vma on its list.
    Global,
    /// `anon-vma-global-prio`: the same object with a pgoff-keyed prio_tree instead of the list.
    GlobalPrio,
}

/// The anon_vma scheme of 2.6.7 - 2.6.33, or one of its global variants.
#[derive(Clone, Debug)]
pub struct AnonVmaScheme {
    flavor: Flavor,
    /// The anon_vmas (or family objects) and their vmas.
    avs: AvLists,
    /// Exec families (the global flavors only).
    families: Families,
}

impl AnonVmaScheme {
    /// A fresh scheme of the given flavor.
    pub fn new(flavor: Flavor) -> Self {
        AnonVmaScheme {
            flavor,
            avs: AvLists::new(match flavor {
                Flavor::Mainline => "anon_vma",
                Flavor::Global | Flavor::GlobalPrio => "anon_vma_global",
            }),
            families: Families::default(),
        }
    }

    fn global(&self) -> bool {
        self.flavor != Flavor::Mainline
    }

    /// A tree of vmas (`anon-vma-global-prio`) rather than a list.
    fn tree(&self) -> bool {
        self.flavor == Flavor::GlobalPrio
    }

    /// anon_vma_unlink; a freed family object leaves its family.
    fn unlink(&mut self, vma: &Vma, ev: &mut Events) {
        if let Some(av) = self.avs.unlink(vma, ev) {
            self.families.object_freed(av);
        }
    }

    /// find_mergeable_anon_vma (rmap 40): an adjacent vma that differs at most in rwx, maps the
    /// same file (or none) at a continuing pgoff, and already has an anon_vma.
    fn find_mergeable(&self, m: &Machine, pid: Pid, vma: &Vma) -> Option<(u32, Vma)> {
        merge_neighbours(m, pid, vma)
            .into_iter()
            .find_map(|n| self.avs.of(n.id).map(|av| (av, n.clone())))
    }

    /// The family object of `pid`'s exec family, allocated if the family has none.
    fn family_object(&mut self, m: &Machine, pid: Pid, vma: &Vma, ev: &mut Events) -> u32 {
        let mm = m.procs.get(&pid).map_or(MmId(0), |p| p.mm.id);
        let family = self.families.family_of(mm).unwrap_or(0);
        if let Some(av) = self.families.object(family) {
            ev.push(format!(
                "anon_vma_prepare: pid {pid} {} joins its family's anon_vma_global av{av}",
                vma.span()
            ));
            return av;
        }
        let av = self.avs.create();
        self.families.set_object(family, av);
        ev.push(format!(
            "anon_vma_prepare: new anon_vma_global av{av} for the exec family of pid {pid}, first vma {}",
            vma.span()
        ));
        av
    }

    /// anon_vma_prepare.
    fn prepare(&mut self, m: &Machine, pid: Pid, vma: &Vma, ev: &mut Events) -> u32 {
        if let Some(av) = self.avs.of(vma.id) {
            return av;
        }
        if self.global() {
            let av = self.family_object(m, pid, vma, ev);
            self.avs.link(m, av, pid, vma.id);
            return av;
        }
        let mergeable = self.find_mergeable(m, pid, vma);
        let rule = "find_mergeable_anon_vma";
        let av = prepared_anon_vma(pid, vma, mergeable, rule, || self.avs.create(), ev);
        self.avs.link(m, av, pid, vma.id);
        av
    }
}

impl Scheme for AnonVmaScheme {
    fn info(&self) -> &'static SchemeInfo {
        match self.flavor {
            Flavor::Mainline => &ANON_VMA,
            Flavor::Global => &ANON_VMA_GLOBAL,
            Flavor::GlobalPrio => &ANON_VMA_GLOBAL_PRIO,
        }
    }

    fn mm_created(&mut self, _m: &Machine, pid: Pid, mm: MmId, origin: MmOrigin, _ev: &mut Events) {
        if self.global() {
            self.families.mm_created(pid, mm, origin);
        }
    }

    fn mm_destroyed(&mut self, _m: &Machine, _pid: Pid, mm: MmId, _ev: &mut Events) {
        self.families.mm_destroyed(mm);
    }

    fn vma_added(&mut self, m: &Machine, new: NewVma<'_>, ev: &mut Events) {
        let NewVma { pid, vma, origin } = new;
        let (from, why) = match origin {
            VmaOrigin::Mmap => return,
            VmaOrigin::Fork { from, .. } => (from, "anon_vma_link (fork)"),
            VmaOrigin::Split { from } => (from, "__anon_vma_link (split)"),
            VmaOrigin::Move { from } => (from, "anon_vma_link (copy_vma)"),
        };
        if let Some(av) = self.avs.of(from.id) {
            let tree = self.tree();
            self.avs.join(m, (av, pid, vma), why, tree, ev);
        }
    }

    fn vma_removed(&mut self, _m: &Machine, _pid: Pid, vma: &Vma, ev: &mut Events) {
        self.unlink(vma, ev);
    }

    fn vma_changed(&mut self, m: &Machine, change: ReshapedVma<'_>, ev: &mut Events) {
        if self.tree() {
            self.avs.rekey(change.before, change.after);
        }
        if let Some(removed) = change.merged
            && let Some(av) = self.avs.take_over(m, change.pid, change.after, removed, ev)
        {
            self.families.object_freed(av);
        }
    }

    fn can_merge(&self, _m: &Machine, _pid: Pid, prev: &Vma, next: &Vma) -> bool {
        self.avs.may_merge(prev, next)
    }

    fn anon_vma_prepared(&mut self, m: &Machine, pid: Pid, vma: &Vma, ev: &mut Events) {
        self.prepare(m, pid, vma, ev);
    }

    fn anon_page_added(&mut self, m: &Machine, new: NewAnonPage<'_>, ev: &mut Events) -> PageRmap {
        let NewAnonPage { at: PageAt { pid, vma, addr, .. }, .. } = new;
        let av = self.prepare(m, pid, vma, ev);
        PageRmap {
            mapping: av,
            index: vma.linear_index(addr),
        }
    }

    fn walk(&self, m: &Machine, page: PageId, _kind: WalkKind) -> WalkPlan {
        let pg = m.pages.get(page);
        self.avs
            .walk(m, pg.rmap().mapping, pg.rmap().index, self.tree())
    }

    fn cost(&self, n: &Census) -> Cost {
        let vmas = n.vmas;
        let objects = self.avs.count() as u64;
        let mut c = Cost::default();
        match self.flavor {
            Flavor::Mainline | Flavor::Global => self.avs.add_cost(&mut c, vmas),
            Flavor::GlobalPrio => {
                c.add(
                    "per-vma anon prio_tree node (vm_set) + anon_vma pointer",
                    vmas,
                    20,
                    40,
                    false,
                );
                c.add(
                    "anon_vma_global (lock + prio_tree root), one per exec family",
                    objects,
                    12,
                    24,
                    true,
                );
            }
        }
        c
    }

    fn rmap_graph(&self, m: &Machine) -> RmapGraph {
        let mut view = RmapGraph::default();
        self.avs.add_to_view(m, &mut view, self.tree(), |av| {
            self.families
                .describe(av)
                .map(|f| ("exec family".to_string(), f))
                .into_iter()
                .collect()
        });
        view
    }
}
