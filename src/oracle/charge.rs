//! Which memory cgroup each reclaimed page must be charged to, so that reclaiming one cgroup
//! reclaims exactly the scenario's target page and nothing else.
//!
//! The kernel charges a page to the memory cgroup of the process that allocates it (a fault:
//! new anonymous page, copy-on-write copy, shmem page; a write(2) that creates a page-cache
//! page), and a page read back from swap to the cgroup recorded for its swap entry, i.e. the one
//! the swapped page was charged to. Moving a task later does not move its charges
//! (`memory.move_charge_at_immigrate` is 0). `memory.force_empty` (cgroup v1) reclaims every page
//! charged to one cgroup. So: replay the scenario in the model first; give every page that a
//! `SwapOut` targets a group of its own; and when the kernel run reaches the fault (or file
//! write) that creates that page, move the process (or the controller) into the group's cgroup
//! for that one page. A page read back from a swap slot inherits the group of the page that was
//! swapped to it, as the kernel's charge does.

use std::collections::BTreeMap;

use crate::model::{Addr, Cached, FileId, Op, PageId, Pid, PteVal, SlotId};
use crate::scenario::Scenario;
use crate::session::Simulation;

/// Where a page of the model came from, as far as charging goes.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Origin {
    /// A fault at (step, address) in the step's process.
    Fault { step: usize, addr: Addr },
    /// Read back from this swap slot.
    SwapIn(SlotId),
    /// A page of a named file, written by the controller when the file is made or grown.
    File { name: String, index: u64 },
    /// Anything else (cannot be charged to a group of its own).
    Other,
}

/// The charge plan of one scenario.
#[derive(Clone, Debug, Default)]
pub struct ChargePlan {
    groups: usize,
    by_step: BTreeMap<usize, usize>,
    faults: BTreeMap<(usize, Addr), usize>,
    file_pages: BTreeMap<(String, u64), usize>,
}

impl ChargePlan {
    /// Replays `scenario` under `scheme` and plans a group for every `SwapOut` target.
    pub fn new(scenario: &Scenario, scheme: &str) -> ChargePlan {
        let mut plan = ChargePlan::default();
        let Ok(mut sim) = Simulation::by_name(scheme) else {
            return plan;
        };
        let mut origin: BTreeMap<PageId, Origin> = BTreeMap::new();
        let mut page_group: BTreeMap<PageId, usize> = BTreeMap::new();
        let mut slot_group: BTreeMap<SlotId, usize> = BTreeMap::new();
        // Shmem pages on swap: a shmem page has no swap pte; its slot is in the object.
        let mut shmem_swapped: BTreeMap<(FileId, u64), SlotId> = BTreeMap::new();
        let mut seen_max = 0u32;
        for (i, op) in scenario.ops().enumerate() {
            let before: BTreeMap<(Pid, Addr), PteVal> = sim
                .machine
                .all_ptes()
                .into_iter()
                .map(|(p, a, v)| ((p, a), v))
                .collect();
            let target = match op {
                Op::SwapOut { pid, addr, .. } => {
                    before.get(&(*pid, *addr)).and_then(|v| v.into_page())
                }
                _ => None,
            };
            // Which swap slots had a page in the swap cache before the step.
            let before_cache: BTreeMap<SlotId, Option<PageId>> = before
                .values()
                .filter_map(|v| match v {
                    PteVal::Swap { slot, .. } => Some((*slot, sim.machine.swap.cache_page(*slot))),
                    _ => None,
                })
                .collect();
            let shmem_target = target.and_then(|x| {
                let pg = sim.machine.pages.get(x);
                pg.file()
                    .filter(|f| sim.machine.file(*f).shmem)
                    .map(|f| (f, pg.rmap().index))
            });
            let r = sim.step(op, false);
            if r.error.is_some() {
                continue;
            }
            if let Some(x) = target {
                let g = match page_group.get(&x) {
                    Some(g) => Some(*g),
                    None => match origin.get(&x) {
                        Some(Origin::Fault { step, addr }) => {
                            let g = plan.new_group();
                            plan.faults.insert((*step, *addr), g);
                            Some(g)
                        }
                        Some(Origin::File { name, index }) => {
                            let key = (name.clone(), *index);
                            let g = match plan.file_pages.get(&key) {
                                Some(g) => *g,
                                None => {
                                    let g = plan.new_group();
                                    plan.file_pages.insert(key, g);
                                    g
                                }
                            };
                            Some(g)
                        }
                        Some(Origin::SwapIn(s)) => slot_group.get(s).copied(),
                        Some(Origin::Other) | None => None,
                    },
                };
                if let Some(g) = g {
                    page_group.insert(x, g);
                    plan.by_step.insert(i, g);
                    // Where did the page go? Its slot now carries the group.
                    if let Op::SwapOut { pid, addr, .. } = op
                        && let PteVal::Swap { slot, .. } = sim.machine.pte(*pid, *addr)
                    {
                        slot_group.insert(slot, g);
                    }
                    if let Some((f, index)) = shmem_target
                        && let Cached::Swap(slot) = sim.machine.file(f).lookup(index)
                    {
                        slot_group.insert(slot, g);
                        shmem_swapped.insert((f, index), slot);
                    }
                }
            }
            // New pages of this step: where they came from.
            for (pid, addr, v) in sim.machine.all_ptes() {
                let PteVal::Page { page, .. } = v else {
                    continue;
                };
                if page.0 <= seen_max || origin.contains_key(&page) {
                    continue;
                }
                let pg = sim.machine.pages.get(page);
                let o = match pg.file() {
                    Some(f) if !sim.machine.file(f).shmem => Origin::File {
                        name: sim.machine.file(f).name.clone(),
                        index: pg.rmap().index,
                    },
                    // A shmem page read back from swap: charged like the page swapped out.
                    Some(f) if shmem_swapped.contains_key(&(f, pg.rmap().index)) => {
                        Origin::SwapIn(shmem_swapped[&(f, pg.rmap().index)])
                    }
                    _ => match (op, before.get(&(pid, addr))) {
                        // Read back from swap, unless the fault then copied it (a write to
                        // a page that the swap cache held before, or that stays there for
                        // other sharers): a copy is a new page of the fault.
                        (_, Some(PteVal::Swap { slot, .. }))
                            if pg.is_anon()
                                && before_cache.get(slot).copied().flatten().is_none()
                                && sim.machine.swap.cache_page(*slot).is_none_or(|x| x == page) =>
                        {
                            Origin::SwapIn(*slot)
                        }
                        (Op::Read { pid: p, .. } | Op::Write { pid: p, .. }, _) if *p == pid => {
                            Origin::Fault { step: i, addr }
                        }
                        _ => Origin::Other,
                    },
                };
                origin.insert(page, o);
            }
            for (_, _, v) in sim.machine.all_ptes() {
                if let PteVal::Page { page, .. } = v {
                    seen_max = seen_max.max(page.0);
                }
            }
            // A page read back from a grouped slot is charged to that group already.
            for (page, o) in &origin {
                if let Origin::SwapIn(s) = o
                    && let Some(g) = slot_group.get(s)
                {
                    page_group.entry(*page).or_insert(*g);
                }
            }
        }
        plan
    }

    fn new_group(&mut self) -> usize {
        self.groups += 1;
        self.groups - 1
    }

    /// Number of groups (cgroups) the plan needs.
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// The group whose reclaim performs the `SwapOut` of step `step`.
    pub fn group_of_step(&self, step: usize) -> Option<usize> {
        self.by_step.get(&step).copied()
    }

    /// The group the page faulted in at `addr` by step `step` must be charged to.
    pub fn group_of_fault(&self, step: usize, addr: Addr) -> Option<usize> {
        self.faults.get(&(step, addr)).copied()
    }

    /// The group page `index` of file `name` must be charged to when it is written.
    pub fn group_of_file_page(&self, name: &str, index: u64) -> Option<usize> {
        self.file_pages.get(&(name.to_string(), index)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(name: &str) -> ChargePlan {
        let (s, _) = Scenario::load(name).unwrap();
        ChargePlan::new(&s, "modern")
    }

    /// The plan under `modern` of a scenario of these steps, one op a line.
    fn plan_of(steps: &[&str]) -> ChargePlan {
        let text = format!("Scenario(steps: [{}])", steps.join(", "));
        ChargePlan::new(&Scenario::parse(&text, "t").unwrap(), "modern")
    }

    #[test]
    fn s1_charges_the_reclaimed_page_where_the_parent_wrote_it() {
        // S1: Mmap, Write 4 pages (step 2), Fork, SwapOut pid 1 0x11000 (step 4).
        let p = plan("S1");
        assert_eq!(p.groups(), 1);
        assert_eq!(p.group_of_step(3), Some(0));
        assert_eq!(p.group_of_fault(1, 0x11000), Some(0));
        assert_eq!(p.group_of_fault(1, 0x10000), None);
    }

    #[test]
    fn s9_reuses_the_group_for_the_page_read_back_from_swap() {
        // S9: the page swapped out at step 4 comes back from swap at step 5 (charged by the
        // swap entry's record) and is reclaimed again at step 8: one group for both.
        let p = plan("S9");
        assert_eq!(p.groups(), 1);
        assert_eq!(p.group_of_step(3), Some(0));
        assert_eq!(p.group_of_step(7), Some(0));
        assert_eq!(p.group_of_fault(1, 0x10000), Some(0));
    }

    #[test]
    fn a_shmem_page_read_back_from_swap_keeps_its_group() {
        // The kernel charges a shmem page read back from swap to the cgroup recorded for its
        // swap entry, like an anonymous one: found by `rmapviz fuzz --seed 3 --reclaim`, where
        // the second SwapOut reclaimed an empty cgroup.
        let p = plan_of(&[
            "Mmap(pid: 1, addr: 0x10000, pages: 2, shared: true)",
            "Write(pid: 1, addr: 0x10000)",
            "SwapOut(pid: 1, addr: 0x10000)",
            "Read(pid: 1, addr: 0x10000)",
            "SwapOut(pid: 1, addr: 0x10000)",
        ]);
        assert_eq!(p.groups(), 1);
        assert_eq!(p.group_of_step(2), Some(0));
        assert_eq!(p.group_of_step(4), Some(0));
        assert_eq!(
            p.group_of_fault(3, 0x10000),
            None,
            "no second group for the read"
        );
    }

    #[test]
    fn a_copy_made_right_after_a_swap_in_is_charged_by_its_fault() {
        // Found by `rmapviz fuzz --seed 4 --reclaim`: pid 2's write to a page it shares on swap
        // with pid 1, which read it back first, maps the swap-cache page and copies it; the
        // copy is charged to pid 2 at that fault, not to the swap entry's cgroup.
        let p = plan_of(&[
            "Mmap(pid: 1, addr: 0x10000, pages: 3)",
            "Write(pid: 1, addr: 0x10000, pages: 3)",
            "SwapOut(pid: 1, addr: 0x12000)",
            "Fork(pid: 1, child: 2)",
            "Read(pid: 1, addr: 0x12000)",
            "Write(pid: 2, addr: 0x12000)",
            "SwapOut(pid: 2, addr: 0x12000)",
        ]);
        assert_eq!(p.groups(), 2);
        let copy = p.group_of_step(6).unwrap();
        assert_ne!(Some(copy), p.group_of_step(2));
        assert_eq!(p.group_of_fault(5, 0x12000), Some(copy));
    }

    #[test]
    fn s10_charges_the_file_page_when_the_file_is_written() {
        let p = plan("S10");
        assert_eq!(p.group_of_file_page("data.bin", 0), p.group_of_step(6));
        assert!(p.group_of_step(6).is_some());
        // Pid 1's private copy, reclaimed at step 8, was made by its write at step 6.
        assert_eq!(p.group_of_fault(5, 0x10000), p.group_of_step(7));
        assert_ne!(p.group_of_step(6), p.group_of_step(7));
    }
}
