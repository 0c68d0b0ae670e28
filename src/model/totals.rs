//! Step totals (the `totals` object of the replay JSON).

use serde::Serialize;

use super::machine::Machine;
use super::pte::PteVal;
use super::rmap::Scheme;
use super::types::{Addr, Pid};

/// Counts after a step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Live processes.
    pub processes: u64,
    /// Vmas in all address spaces.
    pub vmas: u64,
    /// Distinct pages (not the zero page) mapped by at least one pte.
    pub pages: u64,
    /// Non-empty ptes: present (page or zero page) and swap entries.
    pub ptes: u64,
    /// Separately allocated rmap objects of the scheme (anon_vmas, AVCs, anonmms, chain blocks...).
    pub rmap_objects: u64,
    pub rmap_bytes_i386: u64,
    pub rmap_bytes_x86_64: u64,
}

impl Machine {
    pub fn totals(&self, scheme: &dyn Scheme) -> Totals {
        let cost = scheme.cost(self);
        let mut ptes = 0;
        for p in self.procs.values() {
            ptes += p.mm.pt.len() as u64;
        }
        let pages = self.pages.mapped_count() as u64;
        Totals {
            processes: self.procs.len() as u64,
            vmas: self.vma_count(),
            pages,
            ptes,
            rmap_objects: cost.objects(),
            rmap_bytes_i386: cost.bytes_i386(),
            rmap_bytes_x86_64: cost.bytes_x86_64(),
        }
    }

    /// Every present or swapped pte, in pid then address order.
    pub fn all_ptes(&self) -> Vec<(Pid, Addr, PteVal)> {
        let mut out = Vec::new();
        for p in self.procs.values() {
            for (a, pte) in p.mm.pt.iter() {
                out.push((p.pid, a, pte.get()));
            }
        }
        out
    }
}
