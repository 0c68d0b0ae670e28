//! SwapOut and Referenced: the reverse walks, classified against the page tables, and what
//! reclaim does with the page afterwards.

use std::collections::HashSet;

use super::error::StepError;
use super::machine::{Machine, StepCx};
use super::pte::PteVal;
use super::rmap::Scheme;
use super::types::{Addr, PageId, Pid, hex};
use super::walk::{Lost, Outcome, Visit, Walk, WalkKind};

impl Machine {
    /// The page a walk op targets: the one mapped at (pid, addr).
    fn walk_target(&self, op: &'static str, pid: Pid, addr: Addr) -> Result<PageId, StepError> {
        Self::check_range("pages", addr, 1)?;
        let p = self.proc(pid)?;
        match p.mm.pt.get(addr).get() {
            PteVal::Page { page, .. } => Ok(page),
            PteVal::Zero { .. } => Err(StepError::ZeroPage { op, pid, addr }),
            PteVal::Swap { slot, .. } => Err(StepError::AlreadySwapped {
                op,
                pid,
                addr,
                slot: slot.to_string(),
            }),
            PteVal::None => Err(StepError::NoPage {
                op,
                pid,
                addr,
                why: if p.mm.vma_at(addr).is_some() {
                    " (mapped but never faulted in)"
                } else {
                    " (nothing is mapped there)"
                },
            }),
        }
    }

    /// Runs the scheme's walk for `page` and classifies every candidate up to the early exit.
    pub fn classify_walk(&self, scheme: &dyn Scheme, page: PageId, kind: WalkKind) -> Walk {
        let plan = scheme.walk(self, page, kind);
        let mapcount = self.pages.get(page).mapcount();
        let mut w = Walk {
            kind,
            page,
            mapcount,
            object: plan.object,
            visits: Vec::new(),
            lost: Vec::new(),
            hit: 0,
            miss: 0,
            out: 0,
            skip: 0,
            unmapped_all: false,
            planned: plan.candidates.len() as u32,
            nodes_visited: plan.nodes_visited,
            referenced: 0,
        };
        for c in plan.candidates {
            if w.hit >= mapcount {
                break; // the kernel's walks stop once mapcount ptes are found
            }
            let proc = self.procs.get(&c.pid).filter(|p| p.mm.id == c.mm);
            let vma = match (proc, c.vma) {
                (Some(p), Some(id)) => p.mm.vma_by_id(id),
                (Some(p), None) => c.addr.and_then(|a| p.mm.vma_at(a)),
                (None, _) => None,
            };
            let outcome = if c.skip || proc.is_none() {
                Outcome::Skip
            } else {
                match c.addr {
                    None => Outcome::Out,
                    Some(a) => {
                        let in_vma = c.vma.is_none() || vma.is_some_and(|v| v.contains(a));
                        let maps = proc.is_some_and(|p| p.mm.pt.get(a).page() == Some(page));
                        if in_vma && maps {
                            Outcome::Hit
                        } else {
                            Outcome::Miss
                        }
                    }
                }
            };
            match outcome {
                Outcome::Hit => w.hit += 1,
                Outcome::Miss => w.miss += 1,
                Outcome::Out => w.out += 1,
                Outcome::Skip => w.skip += 1,
            }
            w.visits.push(Visit {
                pid: c.pid,
                vma_start: vma.map(|v| v.start),
                vma_end: vma.map(|v| v.end),
                addr: c.addr,
                outcome,
                vma: vma.map(|v| v.id),
                via: c.via,
            });
        }
        if plan.nodes_per_candidate {
            w.nodes_visited = w.visits.len() as u32;
        }
        // A hit is a pte that maps the page and the mapcount counts those ptes: when the
        // distinct hits reach it, no pte was missed and the page tables need no search.
        let hits: HashSet<(Pid, Addr)> = w.hit_ptes().collect();
        if hits.len() < mapcount as usize {
            w.lost = self
                .ptes_of(page)
                .into_iter()
                .filter(|x| !hits.contains(x))
                .map(|(pid, addr)| Lost { pid, addr })
                .collect();
        }
        w.unmapped_all = w.lost.is_empty();
        w
    }

    /// SwapOut or Referenced at (pid, addr).
    pub(crate) fn op_walk(
        &mut self,
        cx: &mut StepCx,
        pid: Pid,
        addr: Addr,
        kind: WalkKind,
    ) -> Result<Walk, StepError> {
        let op = match kind {
            WalkKind::TryToUnmap => "SwapOut",
            WalkKind::PageReferenced => "Referenced",
        };
        let page = self.walk_target(op, pid, addr)?;
        let mut w = self.classify_walk(cx.scheme, page, kind);
        cx.ev.push(format!(
            "{}: {page} (mapcount {}) via {}: {} candidate{} visited: {} HIT, {} MISS, {} OUT, {} SKIP{}",
            kind.as_str(),
            w.mapcount,
            w.object,
            w.visits.len(),
            if w.visits.len() == 1 { "" } else { "s" },
            w.hit,
            w.miss,
            w.out,
            w.skip,
            if w.lost.is_empty() { String::new() } else { format!("; {} pte{} LOST", w.lost.len(), if w.lost.len() == 1 { "" } else { "s" }) }
        ));
        for l in &w.lost {
            cx.ev.push(format!(
                "LOST: pid {} {} maps {page} but the walk never looked there",
                l.pid,
                hex(l.addr)
            ));
        }
        let hits: Vec<(Pid, Addr)> = w.hit_ptes().collect();
        match kind {
            WalkKind::PageReferenced => {
                for &(p, a) in &hits {
                    if let PteVal::Page {
                        page,
                        writable,
                        young,
                        dirty,
                    } = self.pte(p, a)
                    {
                        if young {
                            w.referenced += 1;
                        }
                        self.update_pte(
                            p,
                            a,
                            PteVal::Page {
                                page,
                                writable,
                                young: false,
                                dirty,
                            },
                        );
                    }
                }
                cx.ev.push(format!(
                    "page_referenced: {} of {} pte{} found young (bits cleared)",
                    w.referenced,
                    hits.len(),
                    if hits.len() == 1 { "" } else { "s" }
                ));
            }
            WalkKind::TryToUnmap => self.unmap_and_reclaim(cx, page, &hits, &mut w),
        }
        if let Some(r) = cx.scheme.walk_finished(self, &w, cx.ev) {
            self.set_rmap(page, r);
        }
        Ok(w)
    }

    /// try_to_unmap's effect on every HIT pte, then pageout if nothing maps the page any more.
    fn unmap_and_reclaim(
        &mut self,
        cx: &mut StepCx,
        page: PageId,
        hits: &[(Pid, Addr)],
        w: &mut Walk,
    ) {
        let pg = self.pages.get(page);
        if pg.is_anon() && pg.is_lazyfree() && pg.swap_slot().is_none() {
            self.discard_lazyfree(cx, page, hits, w);
            return;
        }
        if pg.is_anon() {
            let slot = match pg.swap_slot() {
                Some(s) => s,
                None => {
                    // shrink_folio_list marks the page dirty once it has a slot, so that it is
                    // written out even if no pte was dirty.
                    let s = self.swap.alloc();
                    self.pages.set_swap(page, Some(s));
                    self.swap.set_cache_page(s, Some(page));
                    self.pages.set_dirty(page, true);
                    cx.ev.push(format!("add_to_swap: {page} gets {s}"));
                    s
                }
            };
            let exclusive = pg.is_exclusive();
            for &(p, a) in hits {
                if let PteVal::Page { dirty: true, .. } = self.pte(p, a) {
                    self.pages.set_dirty(page, true);
                }
                self.mm_mut(p).pt.take(a);
                self.install_pte(cx, p, a, PteVal::Swap { slot, exclusive });
                self.pages.dec_map(page);
                cx.scheme.pte_unmapped(self, p, a, page, cx.ev);
            }
            if self.pages.get(page).mapcount() == 0 {
                self.swap.set_cache_page(slot, None);
                self.pages.set_swap(page, None);
                self.pages.free(page);
                cx.scheme.page_freed(self, page, cx.ev);
                cx.ev.push(format!(
                    "pageout: {page} written to {slot} and freed; {} swap {} at it",
                    hits.len(),
                    if hits.len() == 1 {
                        "pte points"
                    } else {
                        "ptes point"
                    }
                ));
            } else {
                cx.ev.push(format!(
                    "try_to_unmap failed: {page} is still mapped {} time{}; it stays in memory (and in the swap cache)",
                    self.pages.get(page).mapcount(),
                    if self.pages.get(page).mapcount() == 1 { "" } else { "s" }
                ));
            }
        } else {
            for &(p, a) in hits {
                if let PteVal::Page { dirty: true, .. } = self.pte(p, a) {
                    self.pages.set_dirty(page, true);
                }
                self.clear_pte(cx, p, a, page);
            }
            let pg = self.pages.get(page);
            let f = pg.file().expect("file page");
            let (name, shmem) = (self.file(f).name.clone(), self.file(f).shmem);
            let index = pg.rmap().index;
            if pg.mapcount() > 0 {
                cx.ev.push(format!("try_to_unmap failed: {page} is still mapped {} times; it stays in the page cache", pg.mapcount()));
            } else if shmem {
                let slot = self.swap.alloc();
                self.swap.add_ref(slot);
                self.files[f.0 as usize].to_swap(index, slot);
                self.pages.free(page);
                cx.scheme.page_freed(self, page, cx.ev);
                cx.ev.push(format!(
                    "shmem_writeout: {name} page {index} ({page}) written to {slot} and freed"
                ));
            } else {
                let how = if pg.is_dirty() {
                    "written back, then dropped"
                } else {
                    "clean, dropped"
                };
                self.files[f.0 as usize].evict(index);
                self.pages.free(page);
                cx.scheme.page_freed(self, page, cx.ev);
                cx.ev.push(format!(
                    "pageout: \"{name}\" page {index} ({page}) {how} from the page cache"
                ));
            }
        }
        w.unmapped_all = self.pages.get(page).mapcount() == 0 || !self.pages.is_alive(page);
    }

    /// try_to_unmap_one for a page freed with MADV_FREE: each HIT pte in walk order is cleared
    /// and the page discarded (no swap entry), until a pte is found dirty (written since the
    /// advice): that pte stays, the page is swap-backed again (no longer lazily freeable) and
    /// the walk stops, so it stays in memory. The ptes cleared before stay cleared.
    fn discard_lazyfree(
        &mut self,
        cx: &mut StepCx,
        page: PageId,
        hits: &[(Pid, Addr)],
        w: &mut Walk,
    ) {
        let mut cleared = 0;
        let mut dirty_at = None;
        for &(p, a) in hits {
            if let PteVal::Page { dirty: true, .. } = self.pte(p, a) {
                dirty_at = Some((p, a));
                break;
            }
            self.clear_pte(cx, p, a, page);
            cleared += 1;
        }
        let s = |n: usize| if n == 1 { "" } else { "s" };
        if let Some((p, a)) = dirty_at {
            self.pages.set_lazyfree(page, false);
            self.pages.set_dirty(page, true);
            cx.ev.push(format!(
                "try_to_unmap: {page} was freed with MADV_FREE but pid {p} {} wrote to it since: \
                 it is swap-backed again and stays in memory ({cleared} clean pte{} cleared before)",
                hex(a),
                s(cleared)
            ));
        } else if self.pages.get(page).mapcount() == 0 {
            self.pages.free(page);
            cx.scheme.page_freed(self, page, cx.ev);
            cx.ev.push(format!(
                "try_to_unmap: {page} was freed with MADV_FREE and is clean: {cleared} pte{} cleared, discarded without swap",
                s(cleared)
            ));
        } else {
            cx.ev.push(format!(
                "try_to_unmap failed: {page} was freed with MADV_FREE; {cleared} pte{} cleared, it is still mapped {} time{}",
                s(cleared),
                self.pages.get(page).mapcount(),
                s(self.pages.get(page).mapcount() as usize)
            ));
        }
        w.unmapped_all = !self.pages.is_alive(page);
    }

    /// try_to_unmap_one's pte clear: no swap entry is left in its place.
    fn clear_pte(&mut self, cx: &mut StepCx, pid: Pid, addr: Addr, page: PageId) {
        self.mm_mut(pid).pt.take(addr);
        self.pages.dec_map(page);
        cx.scheme.pte_unmapped(self, pid, addr, page, cx.ev);
    }
}
