//! `anon-vma-rfc2`: Andrea Arcangeli's "anon_vma RFC2" (11 Mar 2004, [A0311];
//! docs/semantics.md §3.4), the design as posted, before Hugh Dickins reworked it into the
//! 2.6.7 anon_vma.
//!
//! What a page points to: an anonymous page starts out pointing straight at the vma that maps
//! it (`PG_direct`, `page->as.vma`): no anon_vma object exists for it. Fork is what makes
//! anon_vmas: dup_mmap hands copy_page_range one preallocated anon_vma per parent vma that needs
//! one, links parent and child vma on it and converts the parent vma's direct pages to point at
//! it (`page->as.anon_vma`). A page never goes back to direct. `index` is the linear page index
//! (`vm_pgoff + (addr - vm_start) / PAGE_SIZE`, anonymous pgoff = mmap address in pages, kept by
//! mremap once faulted; the posted diff's `addr << PAGE_SHIFT` is taken as the `>>` it means).
//! In `page->mapping` the model writes an anon_vma id, or a vma id with the top bit set for a
//! direct page. File pages: the file's i_mmap lists of the era (private list, then shared list,
//! oldest first; OUT for vmas that do not cover the offset).
//!
//! What the walk visits: a direct page, its one vma (vma_address: HIT, or OUT if the vma no
//! longer covers the index). Otherwise every vma on the anon_vma's list in list order, each
//! checked with vma_address (OUT, else HIT or MISS), stopping after `mapcount` hits.
//!
//! List order (a choice, as RFC2's list order is its code's): `list_add` at the head, as in the
//! posted page_add_rmap_fork and in 2.6.7. A new anon_vma gets the child's vma first and then
//! the parent's, so the parent heads the list; vmas that join later (children of later forks,
//! split pieces, mremap destinations) go to the head.
//!
//! What each op changes:
//! - first mapping of a new page (write fault, COW copy, swap-in of a page the swap pte says is
//!   exclusive): direct to the faulting vma, even after a fork, as the posted
//!   anon_vma_page_link does for every page whose mapcount becomes 1. So a copy-on-write copy
//!   made after a fork is found with one probe, unlike 2.6.7.
//! - swap-in of a page whose swap entry is shared (not exclusive): the faulting vma's anon_vma.
//!   The posted code had no such case (it BUGs when a second mapping of a swap-cache page is
//!   added); a direct page here could not be found from the other mm. DERIVED.
//! - fork: every parent vma that has had anonymous pages gets the anon_vma: its existing one
//!   (the child's vma joins at the head), else a new one; the parent vma's direct pages switch
//!   to it. The posted code linked the vmas while converting present pages; a vma whose pages
//!   are all on swap is linked too here, so a later shared swap-in has a list to go on. DERIVED.
//! - split (mprotect, munmap): the new piece joins the anon_vma; direct pages in the new piece
//!   are re-pointed at it (found by walking the piece's page tables). mremap move: the new vma
//!   joins the anon_vma; each moved direct page is re-pointed as move_page_tables moves its pte.
//!   Merge: at most one anon_vma (or the same) and a linear pgoff, as RFC2 states; the kept vma
//!   takes over the other's anon_vma and its direct pages. The posted RFC2 had not finished the
//!   vma code ("I'm now dealing with the vma merging"): these re-pointings are DERIVED.
//! - munmap, exit, exec: the vma leaves its list; an empty anon_vma is freed (no refcount).

use std::collections::BTreeMap;

use super::SchemeInfo;
use super::av_list::AvLists;
use super::file_rmap::{FileStructure, WithFiles};
use super::{AnonAdd, NewAnonPage, NewVma, PageAt, PteMove, Repoint, RmapGraph, Scheme, ReshapedVma, VmaOrigin, candidate};
use crate::model::{
    Census, Addr, Cost, Events, Machine, PageId, PageRmap, PageSet, Pid, Tally, Vma, VmaId, WalkKind,
    WalkPlan,
};

/// The `anon-vma-rfc2` design as the CLI, the TUI and the docs name it.
pub static ANON_VMA_RFC2: SchemeInfo = SchemeInfo {
    name: "anon-vma-rfc2",
    design: "Andrea Arcangeli's anon_vma RFC2",
    era: "Mar 2004",
    summary: "a page points at its vma until the first fork, which makes an anon_vma for parent and child",
    spec: "§3.4",
    object_based: true,
    compare_with: None,
    make: || WithFiles::boxed(AnonVmaRfc2Scheme::default(), FileStructure::List),
};

/// `page->mapping` of a direct page: this bit plus the vma id.
const DIRECT: u32 = 1 << 31;

/// What an anonymous page's mapping word says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MappingWord {
    None,
    Direct(VmaId),
    AnonVma(u32),
}

fn word_of(r: PageRmap) -> MappingWord {
    match r.mapping {
        0 => MappingWord::None,
        x if x & DIRECT != 0 => MappingWord::Direct(VmaId(x & !DIRECT)),
        x => MappingWord::AnonVma(x),
    }
}

fn direct(vma: VmaId, index: u64) -> PageRmap {
    PageRmap {
        mapping: DIRECT | vma.0,
        index,
    }
}

/// Andrea Arcangeli's RFC2 anon_vma.
#[derive(Clone, Debug)]
pub struct AnonVmaRfc2Scheme {
    avs: AvLists,
    /// Page rmap words changed by hooks that cannot return them; the latest per page.
    pending: BTreeMap<PageId, PageRmap>,
    tally: Tally,
}

impl Default for AnonVmaRfc2Scheme {
    fn default() -> Self {
        AnonVmaRfc2Scheme {
            avs: AvLists::new("anon_vma"),
            pending: BTreeMap::new(),
            tally: Tally::default(),
        }
    }
}

impl AnonVmaRfc2Scheme {
    fn current(&self, m: &Machine, page: PageId) -> PageRmap {
        self.pending
            .get(&page)
            .copied()
            .unwrap_or_else(|| m.pages.get(page).rmap())
    }

    /// Re-points every page mapped by `pid` in `[start, end)` that points directly at `from`:
    /// to `to` (a vma id) or to anon_vma `av`. Returns how many pages moved.
    fn repoint(
        &mut self,
        m: &Machine,
        pid: Pid,
        (start, end): (Addr, Addr),
        from: VmaId,
        to: MappingWord,
    ) -> usize {
        let Some(p) = m.procs.get(&pid) else {
            return 0;
        };
        let mut n = 0;
        for (_, pte) in p.mm.pt.range(start, end) {
            let Some(page) = pte.page() else { continue };
            let r = self.current(m, page);
            if word_of(r) != MappingWord::Direct(from) {
                continue;
            }
            let mapping = match to {
                MappingWord::Direct(v) => DIRECT | v.0,
                MappingWord::AnonVma(av) => av,
                MappingWord::None => 0,
            };
            self.pending.insert(
                page,
                PageRmap {
                    mapping,
                    index: r.index,
                },
            );
            n += 1;
        }
        n
    }

    /// dup_mmap for one parent vma: link the child's copy, convert the parent's direct pages.
    fn fork_vma(
        &mut self,
        m: &Machine,
        parent: Pid,
        child: Pid,
        from: &Vma,
        to: &Vma,
        ev: &mut Events,
    ) {
        if !from.anon_faulted {
            return;
        }
        let av = match self.avs.of(from.id) {
            Some(av) => {
                self.avs
                    .join(m, (av, child, to), "page_add_rmap_fork", false, ev);
                av
            }
            None => {
                let av = self.avs.create();
                self.avs.link(m, av, child, to.id);
                self.avs.link(m, av, parent, from.id);
                ev.push(format!(
                    "dup_mmap: new anon_vma av{av} for pid {parent} {} and its copy in pid {child}",
                    from.span()
                ));
                av
            }
        };
        let n = self.repoint(
            m,
            parent,
            (from.start, from.end),
            from.id,
            MappingWord::AnonVma(av),
        );
        if n > 0 {
            ev.push(format!(
                "page_add_rmap_fork: {n} direct page{} of pid {parent} {} now point at av{av} (never direct again)",
                if n == 1 { "" } else { "s" },
                from.span()
            ));
        }
    }
}

impl Scheme for AnonVmaRfc2Scheme {
    fn info(&self) -> &'static SchemeInfo {
        &ANON_VMA_RFC2
    }

    fn vma_added(&mut self, m: &Machine, new: NewVma<'_>, ev: &mut Events) {
        let NewVma { pid, vma, origin } = new;
        match origin {
            VmaOrigin::Mmap => {}
            VmaOrigin::Fork { parent, from } => self.fork_vma(m, parent, pid, from, vma, ev),
            VmaOrigin::Split { from } => {
                if let Some(av) = self.avs.of(from.id) {
                    self.avs.join(m, (av, pid, vma), "split_vma", false, ev);
                }
                let n = self.repoint(m, pid, (vma.start, vma.end), from.id, MappingWord::Direct(vma.id));
                if n > 0 {
                    ev.push(format!(
                        "split_vma: {n} direct page{} re-pointed at the new piece {}",
                        if n == 1 { "" } else { "s" },
                        vma.span()
                    ));
                }
            }
            VmaOrigin::Move { from } => {
                if let Some(av) = self.avs.of(from.id) {
                    self.avs.join(m, (av, pid, vma), "copy_vma", false, ev);
                }
            }
        }
    }

    fn vma_removed(&mut self, _m: &Machine, _pid: Pid, vma: &Vma, ev: &mut Events) {
        self.avs.unlink(vma, ev);
    }

    fn vma_changed(&mut self, m: &Machine, change: ReshapedVma<'_>, ev: &mut Events) {
        let ReshapedVma { pid, after, .. } = change;
        let Some(removed) = change.merged else {
            return;
        };
        self.avs.take_over(m, pid, after, removed, ev);
        let n = self.repoint(
            m,
            pid,
            (removed.start, removed.end),
            removed.id,
            MappingWord::Direct(after.id),
        );
        if n > 0 {
            ev.push(format!(
                "vma_merge: {n} direct page{} re-pointed at the merged vma {}",
                if n == 1 { "" } else { "s" },
                after.span()
            ));
        }
    }

    fn can_merge(&self, _m: &Machine, _pid: Pid, prev: &Vma, next: &Vma) -> bool {
        self.avs.may_merge(prev, next)
    }

    fn anon_page_added(&mut self, _m: &Machine, new: NewAnonPage<'_>, _ev: &mut Events) -> PageRmap {
        let NewAnonPage { at: PageAt { vma, addr, .. }, how } = new;
        let index = vma.linear_index(addr);
        let r = match (how, self.avs.of(vma.id)) {
            (AnonAdd::SwapIn { exclusive: false }, Some(av)) => PageRmap { mapping: av, index },
            _ => direct(vma.id, index),
        };
        // A new page: the model stores the words returned, nothing older is pending for it.
        r
    }

    fn pte_moved(&mut self, m: &Machine, mv: PteMove, _ev: &mut Events) -> Repoint {
        let PteMove { pid, to: new_addr, page, .. } = mv;
        let MappingWord::Direct(_) = word_of(self.current(m, page)) else {
            return None;
        };
        let v = m.procs.get(&pid)?.mm.vma_at(new_addr)?;
        let r = direct(v.id, v.linear_index(new_addr));
        self.pending.insert(page, r);
        self.tally.add(
            &format!(
                "move_page_tables: direct page re-pointed at the moved vma {}",
                v.span()
            ),
            page,
        );
        Some(r)
    }

    fn page_freed(&mut self, _m: &Machine, page: PageId, _ev: &mut Events) {
        self.pending.remove(&page);
    }

    fn walk(&self, m: &Machine, page: PageId, _kind: WalkKind) -> WalkPlan {
        let r = self.current(m, page);
        match word_of(r) {
            MappingWord::AnonVma(av) => self.avs.walk(m, av, r.index, false),
            MappingWord::Direct(id) => {
                let object = format!("{id} (PG_direct)");
                let Some((pid, v)) = m.find_vma(id) else {
                    return WalkPlan {
                        object: format!("{object}, gone"),
                        ..WalkPlan::default()
                    };
                };
                let mm = m.procs.get(&pid).map_or(crate::model::MmId(0), |p| p.mm.id);
                WalkPlan {
                    candidates: vec![candidate(pid, mm, v, r.index, &object)],
                    nodes_visited: 0,
                    nodes_per_candidate: false,
                    object,
                }
            }
            MappingWord::None => WalkPlan {
                object: "no mapping".to_string(),
                ..WalkPlan::default()
            },
        }
    }

    fn end_step(&mut self, _m: &Machine, ev: &mut Events) {
        self.tally.flush(ev);
    }

    fn drain_page_updates(&mut self) -> Vec<(PageId, PageRmap)> {
        std::mem::take(&mut self.pending).into_iter().collect()
    }

    fn cost(&self, n: &Census) -> Cost {
        let vmas = n.vmas;
        let mut c = Cost::default();
        self.avs.add_cost(&mut c, vmas);
        c
    }

    fn rmap_graph(&self, m: &Machine) -> RmapGraph {
        let mut view = RmapGraph::default();
        self.avs.add_to_view(m, &mut view, false, |_| Vec::new());
        // Pages by the vma they point at. Words not yet handed to the model (none between ops)
        // override the stored ones.
        let mut direct: BTreeMap<VmaId, PageSet> = BTreeMap::new();
        for (mapping, pages) in m.pages.mapped_anon() {
            if let MappingWord::Direct(v) = word_of(PageRmap { mapping, index: 0 }) {
                direct.insert(v, pages);
            }
        }
        if !self.pending.is_empty() {
            let mut per_page: BTreeMap<VmaId, Vec<PageId>> = BTreeMap::new();
            for (v, pages) in &direct {
                for p in pages.iter().filter(|p| !self.pending.contains_key(p)) {
                    per_page.entry(*v).or_default().push(p);
                }
            }
            for (&p, &r) in &self.pending {
                let pg = m.pages.get(p);
                if pg.is_alive()
                    && pg.is_anon()
                    && pg.mapcount() > 0
                    && let MappingWord::Direct(v) = word_of(r)
                {
                    per_page.entry(v).or_default().push(p);
                }
            }
            direct = per_page
                .into_iter()
                .map(|(v, p)| (v, PageSet::from_ids(p)))
                .collect();
        }
        for (v, pages) in direct {
            view.page_vma_links
                .push((pages, v, "PG_direct (page->as.vma)".to_string()));
        }
        view
    }
}
