//! Step totals (the `totals` object of the replay JSON), kept up to date as ops run.
//!
//! The machine counts its vmas and ptes incrementally: an op that changes a process's address
//! space opens that process ([`Machine::mm_mut`] and friends note its counts before the change)
//! and the end of the op settles the opened ones (their counts after minus before). A step thus
//! costs what it touches, never a pass over every process. [`Machine::recount`] is the
//! definition, counted from scratch; tests hold the two equal over random op sequences.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::machine::Machine;
use super::pte::PteVal;
use super::rmap::Scheme;
use super::types::{Addr, Pid};
use super::vma::Mm;

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

/// The machine-wide counts a scheme's rmap cost is made of.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Census {
    /// Live processes (one mm each).
    pub processes: u64,
    /// Vmas in all address spaces.
    pub vmas: u64,
    /// Non-empty ptes in all page tables.
    pub ptes: u64,
    /// Distinct pages mapped by at least one pte.
    pub pages: u64,
}

/// One address space's share of the vma and pte counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct MmCounts {
    vmas: u64,
    ptes: u64,
}

impl MmCounts {
    fn of(mm: &Mm) -> Self {
        MmCounts {
            vmas: mm.vmas.len() as u64,
            ptes: mm.pt.len() as u64,
        }
    }
}

/// The running vma and pte counts of a machine.
#[derive(Clone, Debug, Default)]
pub(crate) struct Counts {
    /// Sums over every process, with the opened ones as they were when opened.
    settled: MmCounts,
    /// Processes opened for change during the current op, with their counts at that moment.
    open: HashMap<Pid, MmCounts>,
}

impl Machine {
    /// Notes `pid`'s counts before its address space changes (or the process is created or
    /// removed); a no-op when it is already open in this op.
    pub(crate) fn open_counts(&mut self, pid: Pid) {
        if !self.counts.open.contains_key(&pid) {
            let before = self
                .procs
                .get(&pid)
                .map_or_else(MmCounts::default, |p| MmCounts::of(&p.mm));
            self.counts.open.insert(pid, before);
        }
    }

    /// Folds the opened processes' changes into the running counts (the end of every op).
    pub(crate) fn settle_counts(&mut self) {
        let Counts { settled, open } = &mut self.counts;
        for (pid, before) in open.drain() {
            let after = self
                .procs
                .get(&pid)
                .map_or_else(MmCounts::default, |p| MmCounts::of(&p.mm));
            settled.vmas = settled.vmas - before.vmas + after.vmas;
            settled.ptes = settled.ptes - before.ptes + after.ptes;
        }
    }

    /// The counts now, in time proportional to the processes opened by the op in progress
    /// (none between ops).
    pub fn census(&self) -> Census {
        let mut n = self.counts.settled;
        for (pid, before) in &self.counts.open {
            let after = self
                .procs
                .get(pid)
                .map_or_else(MmCounts::default, |p| MmCounts::of(&p.mm));
            n.vmas = n.vmas - before.vmas + after.vmas;
            n.ptes = n.ptes - before.ptes + after.ptes;
        }
        Census {
            processes: self.procs.len() as u64,
            vmas: n.vmas,
            ptes: n.ptes,
            pages: u64::from(self.pages.mapped_count()),
        }
    }

    /// The counts by definition: every vma, pte and mapped page counted from scratch. For tests
    /// and debugging; [`Machine::census`] must always equal it.
    pub fn recount_census(&self) -> Census {
        let mut n = Census {
            processes: self.procs.len() as u64,
            ..Census::default()
        };
        let mut pages = BTreeSet::new();
        for p in self.procs.values() {
            n.vmas += p.mm.vmas.len() as u64;
            for (_, pte) in p.mm.pt.iter() {
                n.ptes += 1;
                if let PteVal::Page { page, .. } = pte.get() {
                    pages.insert(page);
                }
            }
        }
        n.pages = pages.len() as u64;
        n
    }

    /// The totals after a step, from the running counts: no pass over the processes.
    pub fn totals(&self, scheme: &dyn Scheme) -> Totals {
        let n = self.census();
        Totals::new(n, &scheme.cost(&n))
    }

    /// The totals counted from scratch (the machine's counts by [`Machine::recount_census`], the
    /// scheme's by [`Scheme::recount_cost`]): what [`Machine::totals`] must equal.
    pub fn recount(&self, scheme: &dyn Scheme) -> Totals {
        let n = self.recount_census();
        Totals::new(n, &scheme.recount_cost(&n))
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

impl Totals {
    fn new(n: Census, cost: &super::cost::Cost) -> Totals {
        Totals {
            processes: n.processes,
            vmas: n.vmas,
            pages: n.pages,
            ptes: n.ptes,
            rmap_objects: cost.objects(),
            rmap_bytes_i386: cost.bytes_i386(),
            rmap_bytes_x86_64: cost.bytes_x86_64(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::session::Simulation;

    /// pid 1 maps 4 pages and writes them, then forks pid 2: 2 vmas, 8 ptes, 4 pages.
    fn forked() -> Simulation {
        crate::session::modern_after(&["mmap 1 0x10000 4", "write 1 0x10000 4", "fork 1 2"])
    }

    #[test]
    fn between_ops_no_address_space_is_open() {
        let s = forked();
        assert!(s.machine.counts.open.is_empty(), "{:?}", s.machine.counts);
        let c = s.machine.census();
        assert_eq!((c.processes, c.vmas, c.ptes, c.pages), (2, 2, 8, 4));
    }

    #[test]
    fn the_census_counts_the_address_spaces_the_op_in_progress_changed() {
        let mut m = forked().machine;
        // In the middle of an op: pid 1 gains a vma and loses a pte, pid 2 loses two ptes.
        let mm = m.mm_mut(1);
        let mut v = mm.vmas[0].clone();
        (v.start, v.end) = (0x40000, 0x41000);
        mm.insert(v);
        mm.pt.take(0x10000);
        let mm = m.mm_mut(2);
        mm.pt.take(0x11000);
        mm.pt.take(0x12000);
        let c = m.census();
        assert_eq!((c.vmas, c.ptes), (3, 5));
        let r = m.recount_census();
        assert_eq!((r.vmas, r.ptes), (3, 5));
        m.settle_counts();
        assert!(m.counts.open.is_empty());
        let c = m.census();
        assert_eq!((c.vmas, c.ptes), (3, 5));
    }
}
