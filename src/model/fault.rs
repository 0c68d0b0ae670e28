//! Page faults: Read and Write ops, copy-on-write, the zero page, fault-around, swap-in.

use super::error::StepError;
use super::events::Tally;
use super::file::Cached;
use super::machine::{Machine, StepCx};
use super::pte::PteVal;
use super::rmap::{AnonAdd, PageAt};
use super::types::{Addr, FileId, PAGE_SIZE, PageId, Pid, SlotId, hex};
use super::vma::Vma;

/// fault_around_bytes: 64 KiB, 16 pages.
pub const FAULT_AROUND_PAGES: u64 = 16;

/// The pages one page table maps: 512 ptes, 2 MiB.
const PTE_TABLE_BYTES: u64 = 512 * PAGE_SIZE;

/// do_fault_around's window for a read fault at `a`, as `[lo, hi)`: it starts at the 64 KiB
/// aligned address below `a`, or at the vma's start or the page table's start if one of them is
/// higher, and it spans 16 pages from there, cut at the vma's end and the page table's end. So a
/// vma that starts inside an aligned window gets 16 pages from its start, not the aligned window
/// cut at the vma (mm/memory.c, from_pte / to_pte). Every page of the window that is already in
/// the page cache, inside the file and not mapped yet is mapped.
pub(crate) fn fault_around_window(vma: &Vma, a: Addr) -> (Addr, Addr) {
    let win = FAULT_AROUND_PAGES * PAGE_SIZE;
    let table = a & !(PTE_TABLE_BYTES - 1);
    let lo = (a & !(win - 1)).max(vma.start).max(table);
    let hi = (lo + win).min(vma.end).min(table + PTE_TABLE_BYTES);
    (lo, hi)
}

/// Where a fault happens: the process, the faulting address and the vma that covers it.
#[derive(Clone, Copy)]
struct FaultAt<'v> {
    pid: Pid,
    vma: &'v Vma,
    a: Addr,
}

impl<'v> FaultAt<'v> {
    /// `page` at the faulting address, as the scheme's hooks take it.
    fn page(self, page: PageId) -> PageAt<'v> {
        PageAt::new(self.pid, self.vma, self.a, page)
    }
}

impl Machine {
    /// Read or Write of `pages` pages from `addr`.
    pub(crate) fn op_access(
        &mut self,
        cx: &mut StepCx,
        pid: Pid,
        addr: Addr,
        pages: u64,
        write: bool,
    ) -> Result<(), StepError> {
        let end = Self::check_range("pages", addr, pages)?;
        let p = self.proc(pid)?;
        // Every page must be mapped and allow the access: the model refuses an access that
        // would fault part-way, before any of it happens. A page past the end of its file is
        // refused too, but its fault runs, since it does part of its work before the SIGBUS
        // (a refused step runs up to its first fault only; the oracle touches just that page).
        let mut past_end = None;
        let mut a = addr;
        while a < end {
            let v = p.mm.vma_at(a).ok_or(StepError::Unmapped { pid, addr: a })?;
            let allowed = if write {
                v.prot.write
            } else {
                v.prot.readable()
            };
            if !allowed {
                return Err(StepError::Protection {
                    pid,
                    access: if write { "write" } else { "read" },
                    addr: a,
                    vstart: v.start,
                    vend: v.end,
                    prot: v.prot.to_string(),
                });
            }
            if let Some(e) = self.past_end(pid, v, a) {
                past_end = Some((a, e));
                break;
            }
            a += PAGE_SIZE;
        }
        let mut t = Tally::default();
        let r = match past_end {
            // The fault returns the SIGBUS; the step is refused even if it found the page
            // mapped already.
            Some((a, e)) => self.fault_one(cx, &mut t, pid, a, write).and(Err(e)),
            None => {
                let mut a = addr;
                let mut r = Ok(());
                while a < end && r.is_ok() {
                    r = self.fault_one(cx, &mut t, pid, a, write);
                    a += PAGE_SIZE;
                }
                r
            }
        };
        t.flush(cx.ev);
        r
    }

    /// The SIGBUS of an access to `a` in `v`, if `a` lies past the end of the file `v` maps:
    /// what filemap_fault or shmem_fault finds when it looks the page up.
    fn past_end(&self, pid: Pid, v: &Vma, a: Addr) -> Option<StepError> {
        let file = self.file(v.file?);
        let index = v.linear_index(a);
        (index >= file.size).then(|| StepError::Sigbus {
            pid,
            addr: a,
            file: file.name.clone(),
            index,
            size: file.size,
        })
    }

    /// The page-cache page a fault at `a` in the file vma `v` maps (`f` is its file), or the
    /// SIGBUS when `a` lies past the end of the file.
    fn fault_page(
        &mut self,
        cx: &mut StepCx,
        pid: Pid,
        v: &Vma,
        f: FileId,
        a: Addr,
    ) -> Result<PageId, StepError> {
        match self.past_end(pid, v, a) {
            Some(e) => Err(e),
            None => Ok(self.file_page(cx, f, v.linear_index(a))),
        }
    }

    fn vma_at(&self, pid: Pid, a: Addr) -> Vma {
        self.proc(pid)
            .expect("validated")
            .mm
            .vma_at(a)
            .expect("validated")
            .clone()
    }

    /// anon_vma_prepare for the vma at `a`: sets its anon_faulted flag and tells the scheme
    /// ([`Scheme::anon_vma_prepared`](super::rmap::Scheme::anon_vma_prepared)), which makes or
    /// joins its anonymous rmap object. Returns the vma.
    fn anon_vma_prepare(&mut self, cx: &mut StepCx, pid: Pid, a: Addr) -> Vma {
        let mm = self.mm_mut(pid);
        let i = mm.find(a).expect("validated");
        mm.vmas[i].anon_faulted = true;
        let vma = mm.vmas[i].clone();
        cx.scheme.anon_vma_prepared(self, pid, &vma, cx.ev);
        vma
    }

    /// The fault of an access to `a`: what the pte needs for the access. Only a fault that
    /// reads a file page in can fail (SIGBUS past the end of the file).
    fn fault_one(
        &mut self,
        cx: &mut StepCx,
        t: &mut Tally,
        pid: Pid,
        a: Addr,
        write: bool,
    ) -> Result<(), StepError> {
        let vma = self.vma_at(pid, a);
        let at = FaultAt { pid, vma: &vma, a };
        match self.pte(pid, a) {
            PteVal::None if write => return self.write_fault_none(cx, t, at),
            PteVal::None => return self.read_fault_none(cx, t, at),
            PteVal::Zero { .. } if write => {
                let p = self.cow_copy(cx, pid, a, None, true);
                t.add("wp_page_copy: the zero page replaced by a new page", p);
            }
            PteVal::Zero { .. } => self.update_pte(pid, a, PteVal::Zero { young: true }),
            PteVal::Page {
                page,
                writable,
                dirty,
                ..
            } => {
                if !write {
                    self.update_pte(pid, a, PteVal::young(page, writable, dirty));
                } else if writable {
                    self.update_pte(pid, a, PteVal::young(page, writable, true));
                    self.dirty_file_page(page);
                } else {
                    self.wp_fault(cx, t, at, page);
                }
            }
            PteVal::Swap { slot, exclusive } => {
                self.swap_in(cx, t, at, slot, exclusive);
                if write {
                    return self.fault_one(cx, t, pid, a, true);
                }
            }
        }
        Ok(())
    }

    fn write_fault_none(
        &mut self,
        cx: &mut StepCx,
        t: &mut Tally,
        at: FaultAt,
    ) -> Result<(), StepError> {
        let FaultAt { pid, vma, a } = at;
        match vma.file {
            None => {
                let vma = self.anon_vma_prepare(cx, pid, a);
                let page = self.pages.alloc_anon();
                let at = PageAt::new(pid, &vma, a, page);
                let r = cx
                    .scheme
                    .anon_page_added(self, at.added(AnonAdd::New), cx.ev);
                self.set_rmap(page, r);
                self.install_pte(cx, pid, a, PteVal::written(page));
                t.add("do_anonymous_page: new anonymous page", page);
            }
            Some(f) if vma.shared => {
                let page = self.fault_page(cx, pid, vma, f, a)?;
                self.pages.set_dirty(page, true);
                self.install_pte(cx, pid, a, PteVal::written(page));
                t.add("do_shared_fault: page-cache page mapped writable", page);
            }
            Some(f) => {
                let from = match self.fault_page(cx, pid, vma, f, a) {
                    Ok(page) => page,
                    Err(e) => {
                        // do_cow_fault prepares the vma's anon_vma (vmf_anon_prepare) before
                        // __do_fault finds the page past the end of the file: the vma keeps it,
                        // with no page, so a later fork copies its ptes (vma_needs_copy).
                        if !vma.anon_faulted {
                            cx.ev.push(format!(
                                "do_cow_fault: pid {pid} vma {:#x}-{:#x} gets its anon_vma \
                                 before the SIGBUS",
                                vma.start, vma.end
                            ));
                        }
                        self.anon_vma_prepare(cx, pid, a);
                        return Err(e);
                    }
                };
                let page = self.cow_copy(cx, pid, a, Some(from), true);
                t.add("do_cow_fault: private copy of a file page", page);
            }
        }
        Ok(())
    }

    fn read_fault_none(
        &mut self,
        cx: &mut StepCx,
        t: &mut Tally,
        at: FaultAt,
    ) -> Result<(), StepError> {
        let FaultAt { pid, vma, a } = at;
        let Some(f) = vma.file else {
            self.install_pte(cx, pid, a, PteVal::Zero { young: true });
            cx.ev.push(format!(
                "do_anonymous_page: pid {pid} {} maps the shared zero page",
                hex(a)
            ));
            return Ok(());
        };
        let around = self.fault_around(cx, pid, vma, a);
        let faulted = if self.pte(pid, a) == PteVal::None {
            let page = match self.fault_page(cx, pid, vma, f, a) {
                Ok(page) => page,
                Err(e) => {
                    // do_read_fault maps the cached pages around the faulting address before
                    // filemap_fault finds it past the end of the file.
                    for page in around {
                        t.add(
                            "do_fault_around: cached page mapped before the SIGBUS",
                            page,
                        );
                    }
                    return Err(e);
                }
            };
            self.map_cached(cx, pid, a, page);
            page
        } else {
            self.pte(pid, a).into_page().expect("just mapped")
        };
        t.add("do_read_fault: page-cache page mapped read-only", faulted);
        for p in around.into_iter().filter(|&p| p != faulted) {
            t.add("do_fault_around: cached neighbour mapped too", p);
        }
        Ok(())
    }

    /// Maps page-cache page `page` at `a`, read-only and young, as a read fault does.
    fn map_cached(&mut self, cx: &mut StepCx, pid: Pid, a: Addr, page: PageId) {
        let pte = PteVal::young(page, false, false);
        self.install_pte(cx, pid, a, pte);
    }

    /// do_fault_around for a read fault at `a` in the file (or shmem) vma `vma`: maps every page
    /// of the window ([`fault_around_window`]) that is already in the page cache, inside the
    /// file and not mapped yet. Returns the pages mapped.
    fn fault_around(&mut self, cx: &mut StepCx, pid: Pid, vma: &Vma, a: Addr) -> Vec<PageId> {
        let Some(f) = vma.file else {
            return Vec::new();
        };
        let (lo, hi) = fault_around_window(vma, a);
        let size = self.file(f).size;
        let mut mapped = Vec::new();
        let mut b = lo;
        while b < hi {
            let index = vma.linear_index(b);
            if index < size && self.pte(pid, b) == PteVal::None {
                let page = match self.file(f).lookup(index) {
                    Cached::Page(p) => Some(p),
                    Cached::Unmaterialized => Some(self.materialize(f, index)),
                    Cached::Swap(_) | Cached::Absent => None,
                };
                if let Some(page) = page {
                    self.map_cached(cx, pid, b, page);
                    mapped.push(page);
                }
            }
            b += PAGE_SIZE;
        }
        mapped
    }

    /// Write to a present, write-protected pte: do_wp_page.
    fn wp_fault(&mut self, cx: &mut StepCx, t: &mut Tally, at: FaultAt, page: PageId) {
        let FaultAt { pid, vma, a } = at;
        let pg = self.pages.get(page);
        if vma.shared {
            self.map_written(pid, a, page);
            t.add("wp_page_shared: shared page made writable", page);
        } else if !pg.is_anon() {
            let p = self.cow_copy(cx, pid, a, Some(page), true);
            t.add("wp_page_copy: private copy of a file page", p);
        } else if pg.is_exclusive() {
            self.map_written(pid, a, page);
            t.add("do_wp_page: exclusive page made writable", page);
        } else if pg.mapcount() == 1 && pg.swap_slot().is_none() {
            self.pages.set_exclusive(page, true);
            if let Some(r) = cx.scheme.anon_page_reused(self, at.page(page), cx.ev) {
                self.set_rmap(page, r);
            }
            self.map_written(pid, a, page);
            t.add("do_wp_page: reuse (the writer is the only mapper)", page);
        } else {
            let p = self.cow_copy(cx, pid, a, Some(page), true);
            t.add("wp_page_copy: copy-on-write copy", p);
        }
    }

    /// A store through an existing pte that may now write: the pte becomes writable, young and
    /// dirty, and a page-cache page dirty too.
    fn map_written(&mut self, pid: Pid, a: Addr, page: PageId) {
        self.update_pte(pid, a, PteVal::written(page));
        self.dirty_file_page(page);
    }

    /// PG_dirty after a store: a write fault on a page-cache page marks it dirty
    /// (fault_dirty_shared_page); on an anonymous page it dirties only the pte (do_anonymous_page,
    /// wp_page_reuse and wp_page_copy leave PG_dirty alone).
    fn dirty_file_page(&mut self, page: PageId) {
        if !self.pages.get(page).is_anon() {
            self.pages.set_dirty(page, true);
        }
    }

    /// Replaces whatever the pte at (pid, a) maps by a new anonymous page copied from `from`
    /// (None: the zero page). Returns the new page.
    pub(crate) fn cow_copy(
        &mut self,
        cx: &mut StepCx,
        pid: Pid,
        a: Addr,
        from: Option<PageId>,
        writable: bool,
    ) -> PageId {
        let vma = self.anon_vma_prepare(cx, pid, a);
        let page = self.pages.alloc_anon();
        let at = PageAt::new(pid, &vma, a, page);
        let r = cx
            .scheme
            .anon_page_added(self, at.added(AnonAdd::CowCopy { from }), cx.ev);
        self.set_rmap(page, r);
        let old = self.mm_mut(pid).pt.take(a).get();
        let writable = writable && vma.prot.write;
        self.install_pte(cx, pid, a, PteVal::young(page, writable, true));
        if let PteVal::Page { page: o, .. } = old {
            self.pages.dec_map(o);
            cx.scheme.pte_unmapped(self, pid, a, o, cx.ev);
            self.maybe_free(cx, o);
        }
        page
    }

    /// do_swap_page for an anonymous swap pte.
    fn swap_in(
        &mut self,
        cx: &mut StepCx,
        t: &mut Tally,
        at: FaultAt,
        slot: SlotId,
        exclusive: bool,
    ) {
        let FaultAt { pid, vma, a } = at;
        // Each case makes the page's new pte; then the pte replaces the swap entry, which lets
        // go of its slot.
        let (page, pte, what) = match self.swap.cache_page(slot) {
            Some(p)
                if self.pages.get(p).is_anon() && cx.scheme.swapin_must_copy(self, at.page(p)) =>
            {
                self.mm_mut(pid).pt.take(a);
                let page = self.pages.alloc_anon();
                let how = AnonAdd::CowCopy { from: Some(p) };
                let r = cx
                    .scheme
                    .anon_page_added(self, at.page(page).added(how), cx.ev);
                self.set_rmap(page, r);
                (
                    page,
                    PteVal::young(page, vma.prot.write, true),
                    "do_swap_page: swap-cache page copied (it is indexed at another address)",
                )
            }
            Some(p) => {
                self.mm_mut(pid).pt.take(a);
                let excl = exclusive && self.pages.get(p).mapcount() == 0;
                if excl {
                    self.pages.set_exclusive(p, true);
                }
                (
                    p,
                    PteVal::young(p, excl && vma.prot.write, false),
                    "do_swap_page: page found in the swap cache and mapped",
                )
            }
            None => {
                self.mm_mut(pid).pt.take(a);
                let page = self.pages.alloc_anon();
                self.pages.set_exclusive(page, exclusive);
                self.pages.set_swap(page, Some(slot));
                self.swap.set_cache_page(slot, Some(page));
                let how = AnonAdd::SwapIn { exclusive };
                let r = cx
                    .scheme
                    .anon_page_added(self, at.page(page).added(how), cx.ev);
                self.set_rmap(page, r);
                (
                    page,
                    PteVal::young(page, exclusive && vma.prot.write, false),
                    if exclusive {
                        "do_swap_page: read from swap into a new page (exclusive)"
                    } else {
                        "do_swap_page: read from swap into a new page"
                    },
                )
            }
        };
        self.install_pte(cx, pid, a, pte);
        self.put_slot(cx, slot);
        t.add(what, page);
    }

    /// Gives an id to a cached page of a named file.
    fn materialize(&mut self, f: FileId, index: u64) -> PageId {
        let p = self.pages.alloc_file(f, index);
        self.files[f.0 as usize].insert(index, p);
        p
    }

    /// The page-cache page of `f` at `index`, read in (or allocated, for shmem) if absent.
    pub(crate) fn file_page(&mut self, cx: &mut StepCx, f: FileId, index: u64) -> PageId {
        match self.file(f).lookup(index) {
            Cached::Page(p) => p,
            Cached::Unmaterialized => self.materialize(f, index),
            Cached::Absent => {
                let p = self.materialize(f, index);
                let file = self.file(f);
                if file.shmem {
                    cx.ev.push(format!(
                        "shmem_fault: new page {p} for {} page {index}",
                        file.name
                    ));
                } else {
                    cx.ev.push(format!(
                        "filemap_fault: \"{}\" page {index} read back from disk into {p}",
                        file.name
                    ));
                }
                p
            }
            Cached::Swap(slot) => {
                let p = match self.swap.cache_page(slot) {
                    Some(p) => {
                        self.pages.set_swap(p, None);
                        p
                    }
                    None => self.pages.alloc_file(f, index),
                };
                self.swap.set_cache_page(slot, None);
                // shmem_swapin_folio takes the page out of the swap cache and marks it dirty:
                // the swap copy is about to be freed.
                self.pages.set_dirty(p, true);
                self.files[f.0 as usize].insert(index, p);
                cx.ev.push(format!(
                    "shmem_swapin: {} page {index} read from {slot} into {p}",
                    self.file(f).name
                ));
                self.put_slot(cx, slot);
                p
            }
        }
    }
}
