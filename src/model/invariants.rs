//! Consistency checks of the machine, for tests and debugging.

use std::collections::HashMap;

use super::file::Cached;
use super::machine::Machine;
use super::pte::PteVal;
use super::types::{PAGE_SIZE, PageId, SlotId, hex};

impl Machine {
    /// Checks the invariants every step must keep. Returns the first violation found.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut maps: HashMap<PageId, u32> = HashMap::new();
        let mut slot_refs: HashMap<SlotId, u32> = HashMap::new();
        for p in self.procs.values() {
            let mut last_end = 0;
            for v in &p.mm.vmas {
                if !v.start.is_multiple_of(PAGE_SIZE)
                    || !v.end.is_multiple_of(PAGE_SIZE)
                    || v.start >= v.end
                {
                    return Err(format!(
                        "pid {}: bad vma {}-{}",
                        p.pid,
                        hex(v.start),
                        hex(v.end)
                    ));
                }
                if v.start < last_end {
                    return Err(format!(
                        "pid {}: vma {}-{} overlaps or is out of order",
                        p.pid,
                        hex(v.start),
                        hex(v.end)
                    ));
                }
                last_end = v.end;
            }
            for (a, pte) in p.mm.pt.iter() {
                let Some(v) = p.mm.vma_at(a) else {
                    return Err(format!(
                        "pid {}: pte at {} lies outside every vma",
                        p.pid,
                        hex(a)
                    ));
                };
                match pte.get() {
                    PteVal::Page { page, writable, .. } => {
                        if !self.pages.is_alive(page) {
                            return Err(format!(
                                "pid {}: pte at {} maps dead page {page}",
                                p.pid,
                                hex(a)
                            ));
                        }
                        if writable && !v.prot.write {
                            return Err(format!(
                                "pid {}: writable pte at {} in a read-only vma",
                                p.pid,
                                hex(a)
                            ));
                        }
                        let pg = self.pages.get(page);
                        if let Some(f) = pg.file() {
                            if v.file != Some(f) {
                                return Err(format!(
                                    "pid {}: file page {page} mapped at {} outside its file's vma",
                                    p.pid,
                                    hex(a)
                                ));
                            }
                            if v.linear_index(a) != pg.rmap().index {
                                return Err(format!(
                                    "pid {}: file page {page} mapped at the wrong offset {}",
                                    p.pid,
                                    hex(a)
                                ));
                            }
                        } else if v.shared {
                            return Err(format!(
                                "pid {}: anonymous page {page} in a shared vma at {}",
                                p.pid,
                                hex(a)
                            ));
                        }
                        if writable && pg.is_anon() && !pg.is_exclusive() {
                            return Err(format!(
                                "pid {}: writable pte at {} maps non-exclusive {page}",
                                p.pid,
                                hex(a)
                            ));
                        }
                        *maps.entry(page).or_default() += 1;
                    }
                    PteVal::Swap { slot, .. } => *slot_refs.entry(slot).or_default() += 1,
                    PteVal::Zero { .. } => {
                        if v.file.is_some() {
                            return Err(format!(
                                "pid {}: zero page in a file vma at {}",
                                p.pid,
                                hex(a)
                            ));
                        }
                    }
                    PteVal::None => {}
                }
            }
        }
        for f in &self.files {
            for i in 0..f.size.min(1 << 20) {
                if let Cached::Swap(s) = f.lookup(i) {
                    *slot_refs.entry(s).or_default() += 1;
                }
            }
        }
        for id in self.pages.alive_ids() {
            let pg = self.pages.get(id);
            let n = maps.get(&id).copied().unwrap_or(0);
            if pg.mapcount() != n {
                return Err(format!(
                    "{id}: mapcount {} but {n} ptes map it",
                    pg.mapcount()
                ));
            }
            if pg.is_anon() && n == 0 && pg.swap_slot().is_none() {
                return Err(format!(
                    "{id}: anonymous, unmapped, not in swap cache, yet alive"
                ));
            }
            if let Some(s) = pg.swap_slot()
                && self.swap.cache_page(s) != Some(id)
            {
                return Err(format!(
                    "{id}: says it is in the swap cache of {s}, which does not point back"
                ));
            }
        }
        if self.pages.mapped_count() as usize != maps.len() {
            return Err(format!(
                "mapped page counter {} but {} pages are mapped",
                self.pages.mapped_count(),
                maps.len()
            ));
        }
        for (s, n) in slot_refs {
            if self.swap.refs(s) != n {
                return Err(format!(
                    "{s}: {} references counted, {n} found",
                    self.swap.refs(s)
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Machine, PageId, PteVal, SlotId};
    use crate::session::modern_after;

    /// The machine after `ops`, which must keep every invariant.
    fn after(ops: &[&str]) -> Machine {
        let s = modern_after(ops);
        assert_eq!(s.machine.check_invariants(), Ok(()));
        s.machine
    }

    /// pid 1: 0x10000-0x12000 read-write and 0x12000-0x14000 read-only (one vma split in two,
    /// side by side), both written before the mprotect; a private mapping of page 0 of `f` at
    /// 0x20000 (read), and 0x30000 read once (the zero page).
    fn machine() -> Machine {
        after(&[
            "mmap 1 0x10000 4",
            "write 1 0x10000 4",
            "mprotect 1 0x12000 2 r",
            "mmap 1 0x20000 1 file=f",
            "read 1 0x20000",
            "mmap 1 0x30000 1",
            "read 1 0x30000",
        ])
    }

    fn page(m: &Machine, addr: u64) -> PageId {
        m.pte(1, addr).into_page().expect("a mapped page")
    }

    fn violation(m: &Machine, what: &str) {
        let e = m.check_invariants().expect_err(what);
        assert!(e.contains(what), "{e}");
    }

    fn vma(m: &mut Machine, i: usize) -> &mut crate::model::Vma {
        &mut m.procs.get_mut(&1).expect("pid 1").mm.vmas[i]
    }

    #[test]
    fn a_vma_must_be_page_aligned_and_not_empty() {
        for (start, end) in [
            (0x10800, 0x12000),
            (0x10000, 0x12800),
            (0x12000, 0x12000),
            (0x12000, 0x11000),
        ] {
            let mut m = machine();
            (vma(&mut m, 0).start, vma(&mut m, 0).end) = (start, end);
            violation(&m, "bad vma");
        }
    }

    #[test]
    fn vmas_must_not_overlap() {
        let mut m = machine();
        vma(&mut m, 1).start = 0x11000;
        violation(&m, "overlaps or is out of order");
    }

    #[test]
    fn every_pte_lies_in_a_vma() {
        // The vma of the zero page's pte at 0x30000 is gone, the pte is not.
        let mut m = machine();
        m.procs.get_mut(&1).expect("pid 1").mm.vmas.remove(3);
        violation(&m, "lies outside every vma");
    }

    #[test]
    fn a_pte_maps_a_live_page() {
        let mut m = machine();
        let p = page(&m, 0x10000);
        m.pages.free(p);
        violation(&m, "maps dead page");
    }

    #[test]
    fn a_writable_pte_lies_in_a_writable_vma_and_maps_an_exclusive_page() {
        let mut m = machine();
        vma(&mut m, 0).prot.write = false;
        violation(&m, "in a read-only vma");
        let mut m = machine();
        let p = page(&m, 0x10000);
        m.pages.set_exclusive(p, false);
        violation(&m, "maps non-exclusive");
    }

    #[test]
    fn a_file_page_is_mapped_in_its_files_vma_at_its_offset() {
        let mut m = machine();
        let f = vma(&mut m, 2).file.expect("a file vma");
        vma(&mut m, 2).file = Some(crate::model::FileId(f.0 + 1));
        violation(&m, "outside its file's vma");
        let mut m = machine();
        vma(&mut m, 2).pgoff = 1;
        violation(&m, "wrong offset");
    }

    #[test]
    fn an_anonymous_page_is_not_in_a_shared_vma_and_the_zero_page_not_in_a_file_vma() {
        let mut m = machine();
        vma(&mut m, 0).shared = true;
        violation(&m, "in a shared vma");
        let mut m = machine();
        let f = vma(&mut m, 2).file;
        vma(&mut m, 3).file = f;
        violation(&m, "zero page in a file vma");
    }

    #[test]
    fn the_mapcount_counts_the_ptes_that_map_the_page() {
        let mut m = machine();
        m.pages.inc_map(page(&m, 0x10000));
        violation(&m, "mapcount 2 but 1 ptes map it");
    }

    #[test]
    fn an_anonymous_page_nothing_maps_or_caches_is_freed() {
        let mut m = machine();
        let p = page(&m, 0x10000);
        m.procs.get_mut(&1).expect("pid 1").mm.pt.take(0x10000);
        m.pages.dec_map(p);
        violation(&m, "anonymous, unmapped, not in swap cache, yet alive");
    }

    #[test]
    fn a_page_in_the_swap_cache_is_the_cache_page_of_its_slot() {
        let mut m = machine();
        m.pages.set_swap(page(&m, 0x10000), Some(SlotId(0)));
        violation(&m, "does not point back");
    }

    #[test]
    fn the_mapped_page_counter_counts_the_mapped_pages() {
        // A page unmapped and freed, then counted as mapped again.
        let mut m = after(&[
            "mmap 1 0x10000 2",
            "write 1 0x10000 2",
            "munmap 1 0x10000 1",
        ]);
        let dead = PageId(1);
        assert!(!m.pages.is_alive(dead));
        m.pages.inc_map(dead);
        violation(&m, "mapped page counter 2 but 1 pages are mapped");
    }

    #[test]
    fn a_swap_slot_counts_the_swap_ptes_and_the_shmem_entries_that_hold_it() {
        // A page swapped out from one process: its swap pte holds the slot.
        let mut m = after(&["mmap 1 0x10000 1", "write 1 0x10000", "swapout 1 0x10000"]);
        let PteVal::Swap { slot, .. } = m.pte(1, 0x10000) else {
            panic!("a swap pte");
        };
        m.swap.add_ref(slot);
        violation(&m, "2 references counted, 1 found");
        // A shmem page swapped out: reclaim clears the ptes, the shmem object's entry holds
        // the slot.
        let mut m = after(&[
            "mmap 1 0x10000 1 shared",
            "write 1 0x10000",
            "swapout 1 0x10000",
        ]);
        assert_eq!(m.pte(1, 0x10000), PteVal::None);
        let slot = SlotId(0);
        assert_eq!(m.swap.refs(slot), 1);
        m.swap.add_ref(slot);
        violation(&m, "2 references counted, 1 found");
    }
}
