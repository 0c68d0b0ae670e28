//! The scheme-independent machine: processes, pages, files, swap. Ground truth lives here: which
//! pte maps which page. Every op is validated before it changes anything, so a refused step
//! leaves the machine as it was (except an mprotect over a hole, which Linux applies up to the
//! hole before it fails).

use std::collections::BTreeMap;

use super::error::StepError;
use super::events::Events;
use super::file::File;
use super::page::{PageRmap, PageStore};
use super::pte::{Pte, PteVal};
use super::rmap::{MmOrigin, Scheme};
use super::swap::Swap;
use super::types::{Addr, FileId, MAX_OP_PAGES, MmId, PAGE_SIZE, PageId, Pid, TASK_SIZE, VmaId};
use super::vma::{Mm, Process, Vma};

/// The whole simulated memory manager, minus the rmap design.
#[derive(Clone, Debug)]
pub struct Machine {
    pub procs: BTreeMap<Pid, Process>,
    pub pages: PageStore,
    pub files: Vec<File>,
    pub swap: Swap,
    next_vma: u32,
    next_mm: u32,
    next_shmem: u32,
    /// Running vma and pte counts (see [`Machine::census`]).
    pub(crate) counts: super::totals::Counts,
}

/// What the op handlers carry besides the machine: the scheme that makes every rmap decision
/// and the event lines of the step it reports them in. The scheme's hooks take the machine and
/// the lines as arguments (`cx.scheme.pte_mapped(self, .., cx.ev)`), so the handlers pass the
/// two on together, as one.
pub(crate) struct StepCx<'a> {
    pub scheme: &'a mut dyn Scheme,
    pub ev: &'a mut Events,
}

impl Machine {
    /// A machine with process 1 and nothing mapped. The scheme hears about pid 1's mm.
    pub fn new(scheme: &mut dyn Scheme, ev: &mut Events) -> Self {
        let mut m = Machine {
            procs: BTreeMap::new(),
            pages: PageStore::default(),
            files: Vec::new(),
            swap: Swap::default(),
            next_vma: 1,
            next_mm: 1,
            next_shmem: 1,
            counts: Default::default(),
        };
        m.create_process(&mut StepCx { scheme, ev }, 1, MmOrigin::Spawn);
        m.settle_counts();
        m
    }

    // ----- lookups -------------------------------------------------------------------------

    pub fn proc(&self, pid: Pid) -> Result<&Process, StepError> {
        self.procs.get(&pid).ok_or(StepError::NoSuchPid(pid))
    }

    /// `pid`'s address space, to change: its vma and pte counts are settled at the end of the op.
    pub(crate) fn mm_mut(&mut self, pid: Pid) -> &mut Mm {
        self.open_counts(pid);
        &mut self
            .procs
            .get_mut(&pid)
            .expect("pid validated before mutation")
            .mm
    }

    /// The process currently running in mm `mm`, if that mm is alive.
    pub fn proc_by_mm(&self, mm: MmId) -> Option<&Process> {
        self.procs.values().find(|p| p.mm.id == mm)
    }

    /// The vma with id `id` in `pid`'s mm.
    pub fn vma(&self, pid: Pid, id: VmaId) -> Option<&Vma> {
        self.procs.get(&pid).and_then(|p| p.mm.vma_by_id(id))
    }

    /// Finds a vma by id anywhere, with its pid.
    pub fn find_vma(&self, id: VmaId) -> Option<(Pid, &Vma)> {
        self.procs
            .values()
            .find_map(|p| p.mm.vma_by_id(id).map(|v| (p.pid, v)))
    }

    pub fn pte(&self, pid: Pid, addr: Addr) -> PteVal {
        self.procs
            .get(&pid)
            .map_or(PteVal::None, |p| p.mm.pt.get(addr).get())
    }

    /// The vmas of every process.
    pub fn vma_count(&self) -> u64 {
        self.census().vmas
    }

    pub fn file(&self, id: FileId) -> &File {
        &self.files[id.0 as usize]
    }

    pub fn file_by_name(&self, name: &str) -> Option<&File> {
        self.files.iter().find(|f| !f.shmem && f.name == name)
    }

    /// Every pte that maps `page`, as (pid, addr), in pid then address order. For file pages
    /// only the vmas of that file are looked at.
    pub fn ptes_of(&self, page: PageId) -> Vec<(Pid, Addr)> {
        let pg = self.pages.get(page);
        let mut out = Vec::new();
        for p in self.procs.values() {
            match pg.file() {
                Some(f) => {
                    for v in p.mm.vmas.iter().filter(|v| v.file == Some(f)) {
                        for (a, pte) in p.mm.pt.range(v.start, v.end) {
                            if pte.page() == Some(page) {
                                out.push((p.pid, a));
                            }
                        }
                    }
                }
                None => {
                    for (a, pte) in p.mm.pt.iter() {
                        if pte.page() == Some(page) {
                            out.push((p.pid, a));
                        }
                    }
                }
            }
        }
        out
    }

    // ----- ids -----------------------------------------------------------------------------

    pub(crate) fn new_vma_id(&mut self) -> VmaId {
        let id = VmaId(self.next_vma);
        self.next_vma += 1;
        id
    }

    fn new_mm_id(&mut self) -> MmId {
        let id = MmId(self.next_mm);
        self.next_mm += 1;
        id
    }

    pub(crate) fn new_shmem(&mut self, pages: u64) -> FileId {
        let id = FileId(self.files.len() as u32);
        let name = format!("shmem{}", self.next_shmem);
        self.next_shmem += 1;
        self.files.push(File::new(id, name, true, pages));
        id
    }

    pub(crate) fn file_for_mmap(&mut self, name: &str, end_pages: u64) -> FileId {
        if let Some(f) = self.files.iter_mut().find(|f| !f.shmem && f.name == name) {
            f.grow_to(end_pages);
            return f.id;
        }
        let id = FileId(self.files.len() as u32);
        self.files
            .push(File::new(id, name.to_string(), false, end_pages));
        id
    }

    // ----- processes -----------------------------------------------------------------------

    pub(crate) fn create_process(&mut self, cx: &mut StepCx, pid: Pid, origin: MmOrigin) -> MmId {
        let id = self.new_mm_id();
        self.open_counts(pid);
        self.procs.insert(
            pid,
            Process {
                pid,
                mm: Mm::new(id),
            },
        );
        cx.scheme.mm_created(self, pid, id, origin, cx.ev);
        id
    }

    /// Removes process `pid` (its address space already torn down).
    pub(crate) fn remove_process(&mut self, pid: Pid) {
        self.open_counts(pid);
        self.procs.remove(&pid);
    }

    // ----- ptes ----------------------------------------------------------------------------

    /// Installs a pte where there was none. Page ptes raise the mapcount and tell the scheme.
    pub(crate) fn install_pte(&mut self, cx: &mut StepCx, pid: Pid, addr: Addr, v: PteVal) {
        let old = self.mm_mut(pid).pt.set(addr, Pte::pack(v));
        debug_assert!(old.is_none(), "install over a live pte at {addr:#x}");
        match v {
            PteVal::Page { page, .. } => {
                self.pages.inc_map(page);
                cx.scheme.pte_mapped(self, pid, addr, page, cx.ev);
            }
            PteVal::Swap { slot, .. } => self.swap.add_ref(slot),
            PteVal::Zero { .. } | PteVal::None => {}
        }
    }

    /// Rewrites the flags of a present pte without changing what it maps.
    pub(crate) fn update_pte(&mut self, pid: Pid, addr: Addr, v: PteVal) {
        self.mm_mut(pid).pt.set(addr, Pte::pack(v));
    }

    /// Removes a pte (zap): drops the mapping or the swap reference and frees what is left unused.
    /// A dirty pte dirties a page-cache page (zap_present_folio_ptes); an anonymous page's
    /// PG_dirty is left as it is.
    pub(crate) fn zap_pte(&mut self, cx: &mut StepCx, pid: Pid, addr: Addr) -> PteVal {
        let old = self.mm_mut(pid).pt.take(addr).get();
        match old {
            PteVal::Page { page, dirty, .. } => {
                if dirty && !self.pages.get(page).is_anon() {
                    self.pages.set_dirty(page, true);
                }
                self.pages.dec_map(page);
                cx.scheme.pte_unmapped(self, pid, addr, page, cx.ev);
                self.maybe_free(cx, page);
            }
            PteVal::Swap { slot, .. } => self.put_slot(cx, slot),
            PteVal::Zero { .. } | PteVal::None => {}
        }
        old
    }

    /// Drops one reference to a swap slot; when the slot goes free its swap-cache page leaves
    /// the swap cache (and is freed if nothing maps it). A page that stays mapped is marked
    /// dirty: Linux either keeps it in the swap cache or sets PG_dirty when it takes it out
    /// (folio_free_swap), and MADV_FREE treats both alike (docs/semantics.md §6.2c).
    pub(crate) fn put_slot(&mut self, cx: &mut StepCx, slot: super::types::SlotId) {
        let cached = self.swap.cache_page(slot);
        if self.swap.put(slot)
            && let Some(p) = cached
        {
            self.pages.set_swap(p, None);
            if self.pages.get(p).mapcount() > 0 {
                self.pages.set_dirty(p, true);
            }
            self.maybe_free(cx, p);
        }
    }

    /// Frees an anonymous page that nothing maps and the swap cache does not hold.
    /// Page-cache pages stay in their file's cache.
    pub(crate) fn maybe_free(&mut self, cx: &mut StepCx, page: PageId) {
        let p = self.pages.get(page);
        if p.is_alive() && p.is_anon() && p.mapcount() == 0 && p.swap_slot().is_none() {
            self.pages.free(page);
            cx.scheme.page_freed(self, page, cx.ev);
        }
    }

    pub(crate) fn set_rmap(&mut self, page: PageId, r: PageRmap) {
        self.pages.set_rmap(page, r);
    }

    // ----- validation helpers --------------------------------------------------------------

    pub(crate) fn check_range(
        what: &'static str,
        addr: Addr,
        pages: u64,
    ) -> Result<Addr, StepError> {
        if !addr.is_multiple_of(PAGE_SIZE) {
            return Err(StepError::Unaligned { what: "addr", addr });
        }
        if pages == 0 {
            return Err(StepError::ZeroPages { what });
        }
        if pages > MAX_OP_PAGES {
            return Err(StepError::TooManyPages { what, pages });
        }
        let end = addr
            .checked_add(pages * PAGE_SIZE)
            .filter(|&e| e <= TASK_SIZE);
        end.ok_or(StepError::OutOfRange { start: addr, pages })
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{PteVal, StepError};
    use crate::scenario::opline;
    use crate::session::modern_after as run;

    #[test]
    fn a_file_is_found_by_its_name_and_a_shmem_object_never() {
        // A shared anonymous mapping is backed by a shmem object, not by a file of the
        // scenario's filesystem: a file named like it is still the file.
        let s = run(&[
            "mmap 1 0x10000 1 shared",
            "mmap 1 0x20000 1 file=f",
            "mmap 1 0x30000 1 file=shmem1",
            "mmap 1 0x40000 1 file=g",
        ]);
        let m = &s.machine;
        for name in ["f", "shmem1", "g"] {
            let f = m.file_by_name(name).expect("a mapped file");
            assert_eq!((f.name.as_str(), f.shmem), (name, false));
        }
        assert!(m.file_by_name("h").is_none(), "never mapped");
        assert_eq!(
            m.files.iter().filter(|f| f.shmem).count(),
            1,
            "one shmem object"
        );
    }

    #[test]
    fn ptes_of_a_file_page_are_the_ptes_that_map_it_in_pid_then_address_order() {
        // Page 0 of f, mapped shared by pid 1 at two addresses and, after a fork (which copies
        // no pte of a shared file vma, docs/semantics.md §6.2b), read by pid 2 at the first;
        // page 1 of f and a page of g are mapped beside it.
        let s = run(&[
            "mmap 1 0x10000 2 shared file=f",
            "mmap 1 0x20000 1 shared file=g",
            "mmap 1 0x40000 1 shared file=f",
            "read 1 0x10000 2",
            "read 1 0x20000",
            "read 1 0x40000",
            "fork 1 2",
            "read 2 0x10000",
        ]);
        let m = &s.machine;
        let PteVal::Page { page, .. } = m.pte(1, 0x10000) else {
            panic!("page 0 of f is mapped");
        };
        assert_eq!(
            m.ptes_of(page),
            vec![(1, 0x10000), (1, 0x40000), (2, 0x10000)]
        );
    }

    #[test]
    fn each_shared_anonymous_mapping_has_a_shmem_object_of_its_own_with_its_own_name() {
        // Each shared anonymous mmap sets up a shmem file of its own (shmem_zero_setup), which
        // no name of the scenario's filesystem reaches.
        let s = run(&[
            "mmap 1 0x10000 1 shared",
            "mmap 1 0x30000 1 shared",
            "mmap 1 0x50000 1 shared",
        ]);
        let names: std::collections::BTreeSet<&str> = s
            .machine
            .files
            .iter()
            .filter(|f| f.shmem)
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
    }

    #[test]
    fn an_exited_process_is_gone() {
        let mut s = run(&["mmap 1 0x10000 1", "write 1 0x10000", "fork 1 2", "exit 2"]);
        assert_eq!(s.machine.proc(2).err(), Some(StepError::NoSuchPid(2)));
        assert_eq!(s.machine.census().processes, 1);
        let op = opline::parse("write 2 0x10000").expect("an op line").op;
        assert_eq!(s.step(&op, false).error, Some(StepError::NoSuchPid(2)));
    }

    #[test]
    fn every_vma_has_an_id_of_its_own() {
        // VmaId: a split makes a new id for the new piece; ids are never reused.
        let s = run(&[
            "mmap 1 0x10000 4",
            "mmap 1 0x30000 1",
            "mprotect 1 0x11000 1 r",
            "fork 1 2",
        ]);
        let ids: std::collections::BTreeSet<_> = s
            .machine
            .procs
            .values()
            .flat_map(|p| p.mm.vmas.iter().map(|v| v.id))
            .collect();
        assert_eq!(
            ids.len(),
            8,
            "4 vmas in pid 1 (a split in three and one more), 4 copies"
        );
    }
}
