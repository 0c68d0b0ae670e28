//! What the model predicts the kernel shows: per process the vmas and every non-empty pte, with
//! the model's page and swap-slot identities (only used to say which ptes share a frame or a swap
//! entry, never compared with frame numbers).

use std::collections::{BTreeMap, BTreeSet};

use super::observed::{Backing, VmaShape};
use crate::model::{Addr, Machine, PageId, Pid, PteVal, SlotId};

/// One non-empty pte as the model has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpPte {
    /// The shared zero page.
    Zero,
    /// A page of the model.
    Page {
        page: PageId,
        anon: bool,
        mapcount: u32,
        /// The pte's young (accessed) bit.
        young: bool,
    },
    /// A swap entry.
    Swap { slot: SlotId },
}

/// One process of the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedProc {
    pub vmas: Vec<VmaShape>,
    pub ptes: BTreeMap<Addr, ExpPte>,
}

/// The model's prediction after one step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expected {
    pub procs: BTreeMap<Pid, ExpectedProc>,
    /// The mapped anonymous pages that MADV_FREE made lazily freeable. Whether a write fault
    /// reuses or copies such a page once it is mapped once is not compared: Linux 6.18 did
    /// both on the same scenario, as the per-CPU LRU batches (shared with every other process
    /// on the CPU) happened to be drained or not.
    pub lazyfree: BTreeSet<PageId>,
}

/// Reads the prediction out of the model.
pub fn expected(m: &Machine) -> Expected {
    let mut procs = BTreeMap::new();
    let mut lazyfree = BTreeSet::new();
    for p in m.procs.values() {
        let vmas =
            p.mm.vmas
                .iter()
                .map(|v| VmaShape {
                    start: v.start,
                    end: v.end,
                    prot: v.prot,
                    shared: v.shared,
                    backing: match v.file {
                        None => Backing::Anon,
                        Some(f) if m.file(f).shmem => Backing::Shmem,
                        Some(f) => Backing::File(m.file(f).name.clone()),
                    },
                    offset: if v.file.is_some() { v.pgoff } else { 0 },
                })
                .collect();
        let mut ptes = BTreeMap::new();
        for (a, pte) in p.mm.pt.iter() {
            let e = match pte.get() {
                PteVal::None => continue,
                PteVal::Zero { .. } => ExpPte::Zero,
                PteVal::Page { page, young, .. } => {
                    let pg = m.pages.get(page);
                    if pg.is_lazyfree() {
                        lazyfree.insert(page);
                    }
                    ExpPte::Page {
                        page,
                        anon: pg.is_anon(),
                        mapcount: pg.mapcount(),
                        young,
                    }
                }
                PteVal::Swap { slot, .. } => ExpPte::Swap { slot },
            };
            ptes.insert(a, e);
        }
        procs.insert(p.pid, ExpectedProc { vmas, ptes });
    }
    Expected { procs, lazyfree }
}

/// A deliberately wrong prediction, injected after one step to show that the check can fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Injection {
    /// After step `step` (0-based), pretend that the first page mapped by more than one pte is
    /// not shared: every pte after its first maps a page of its own (as if fork copied pages).
    Unshare { step: usize },
    /// After step `step`, pretend that the first present pte of the lowest pid is empty.
    Forget { step: usize },
    /// After step `step`, pretend that the first page pte of the lowest pid maps a new page of
    /// its own (as if a fault had copied the page instead of keeping it).
    Renumber { step: usize },
    /// After step `step`, flip the young bit of the first page pte of the lowest pid.
    Age { step: usize },
}

impl Injection {
    /// The step after which the fault is injected.
    pub fn step(self) -> usize {
        match self {
            Injection::Unshare { step }
            | Injection::Forget { step }
            | Injection::Renumber { step }
            | Injection::Age { step } => step,
        }
    }

    /// Applies the fault to a prediction. Returns false when there was nothing to falsify.
    pub fn apply(self, e: &mut Expected) -> bool {
        match self {
            Injection::Unshare { .. } => {
                let mut seen: BTreeMap<PageId, u32> = BTreeMap::new();
                let mut target = None;
                'find: for p in e.procs.values() {
                    for pte in p.ptes.values() {
                        if let ExpPte::Page { page, .. } = pte {
                            let n = seen.entry(*page).or_default();
                            *n += 1;
                            if *n == 2 {
                                target = Some(*page);
                                break 'find;
                            }
                        }
                    }
                }
                let Some(target) = target else {
                    return false;
                };
                let mut fresh = u32::MAX;
                let mut first = true;
                for p in e.procs.values_mut() {
                    for pte in p.ptes.values_mut() {
                        if let ExpPte::Page {
                            page, anon, young, ..
                        } = *pte
                            && page == target
                        {
                            if first {
                                first = false;
                                *pte = ExpPte::Page {
                                    page,
                                    anon,
                                    mapcount: 1,
                                    young,
                                };
                            } else {
                                *pte = ExpPte::Page {
                                    page: PageId(fresh),
                                    anon,
                                    mapcount: 1,
                                    young,
                                };
                                fresh -= 1;
                            }
                        }
                    }
                }
                true
            }
            Injection::Renumber { .. } | Injection::Age { .. } => {
                let first = e.procs.values_mut().find_map(|p| {
                    p.ptes
                        .values_mut()
                        .find(|pte| matches!(pte, ExpPte::Page { .. }))
                });
                let Some(ExpPte::Page { page, young, .. }) = first else {
                    return false;
                };
                if matches!(self, Injection::Age { .. }) {
                    *young = !*young;
                } else {
                    *page = PageId(u32::MAX);
                }
                true
            }
            Injection::Forget { .. } => {
                for p in e.procs.values_mut() {
                    if let Some(&a) = p.ptes.keys().next() {
                        p.ptes.remove(&a);
                        return true;
                    }
                }
                false
            }
        }
    }
}
