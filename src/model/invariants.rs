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
