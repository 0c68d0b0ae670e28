//! Page faults, seen only through their effect: the ptes pagemap shows at a stop that the model
//! does not have yet become Read and Write steps.
//!
//! The rules, for each present pte the kernel shows:
//! - the zero page or a file page where the model has nothing: a read;
//! - an anonymous frame where the model has nothing or the zero page: a write;
//! - an anonymous frame in a private file vma where the model maps the file page: a
//!   copy-on-write, so a write;
//! - an anonymous frame other than the one the model's page was last seen in: a write that
//!   copied (the model's page is still shared: this process broke the sharing).
//!
//! Without frame numbers (no CAP_SYS_ADMIN) the zero page and anonymous pages are told apart by
//! the exclusive bit (the zero page never has it), and a copy by the exclusive bit of a page the
//! model still shares.

use std::collections::{BTreeMap, HashMap};

use crate::model::{Addr, Machine, Op, PAGE_SIZE, PageId, Pid, PteVal};
use crate::oracle::observed::ObsPte;

/// A fault the recorder infers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultAccess {
    Read,
    Write,
}

/// What a present pte maps, as far as the observation tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mapped {
    Zero,
    File,
    Anon { pfn: Option<u64>, exclusive: bool },
}

fn kind(p: &ObsPte) -> Option<Mapped> {
    match *p {
        ObsPte::Present {
            frame: Some(f),
            exclusive,
            ..
        } => Some(if f.zero {
            Mapped::Zero
        } else if f.anon {
            Mapped::Anon {
                pfn: Some(f.pfn),
                exclusive,
            }
        } else {
            Mapped::File
        }),
        ObsPte::Present {
            frame: None,
            file: true,
            ..
        } => Some(Mapped::File),
        ObsPte::Present {
            frame: None,
            exclusive: false,
            ..
        } => Some(Mapped::Zero),
        ObsPte::Present {
            frame: None,
            exclusive: true,
            ..
        } => Some(Mapped::Anon {
            pfn: None,
            exclusive: true,
        }),
        ObsPte::Swapped { .. } => None,
    }
}

/// The fault that explains the observed pte `obs` at `a` in `pid`, if the model needs one.
fn needed(
    m: &Machine,
    pid: Pid,
    a: Addr,
    obs: &ObsPte,
    pfn_of: &HashMap<PageId, u64>,
) -> Option<FaultAccess> {
    let k = kind(obs)?;
    match (m.pte(pid, a), k) {
        (PteVal::None, Mapped::Zero | Mapped::File) => Some(FaultAccess::Read),
        (PteVal::None | PteVal::Zero { .. }, Mapped::Anon { .. }) => Some(FaultAccess::Write),
        (PteVal::Swap { .. }, _) => Some(FaultAccess::Read),
        (PteVal::Page { page, .. }, Mapped::Anon { pfn, exclusive }) => {
            let pg = m.pages.get(page);
            if !pg.is_anon() {
                return Some(FaultAccess::Write);
            }
            match (pfn, pfn_of.get(&page)) {
                (Some(now), Some(&before)) if now != before => Some(FaultAccess::Write),
                (None, _) if exclusive && pg.mapcount() > 1 => Some(FaultAccess::Write),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A fault the model would refuse: where, which access, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    pub addr: Addr,
    pub access: FaultAccess,
    pub why: String,
}

/// The Read and Write steps that bring the model's ptes of `pid` to what `ptes` shows, as runs
/// of consecutive pages of one vma: reads first, then writes. Faults the model would refuse
/// (no vma there, or a protection that forbids the access) are left out and returned apart.
pub fn fault_steps(
    m: &Machine,
    pid: Pid,
    ptes: &BTreeMap<Addr, ObsPte>,
    pfn_of: &HashMap<PageId, u64>,
) -> (Vec<Op>, Vec<Refused>) {
    let Ok(proc) = m.proc(pid) else {
        return (Vec::new(), Vec::new());
    };
    let mut runs: Vec<(FaultAccess, Addr, u64, Addr)> = Vec::new();
    let mut refused = Vec::new();
    for (&a, obs) in ptes {
        let Some(acc) = needed(m, pid, a, obs, pfn_of) else {
            continue;
        };
        let Some(v) = proc.mm.vma_at(a) else {
            refused.push(Refused {
                addr: a,
                access: acc,
                why: "no vma of the model there".into(),
            });
            continue;
        };
        let allowed = match acc {
            FaultAccess::Read => v.prot.readable(),
            FaultAccess::Write => v.prot.write,
        };
        if !allowed {
            refused.push(Refused {
                addr: a,
                access: acc,
                why: format!("its vma is \"{}\"", v.prot),
            });
            continue;
        }
        match runs.last_mut() {
            Some((k, start, n, vstart))
                if *k == acc && *start + *n * PAGE_SIZE == a && *vstart == v.start =>
            {
                *n += 1
            }
            _ => runs.push((acc, a, 1, v.start)),
        }
    }
    runs.sort_by_key(|r| (r.0, r.1));
    let ops = runs
        .into_iter()
        .map(|(acc, addr, pages, _)| match acc {
            FaultAccess::Read => Op::Read { pid, addr, pages },
            FaultAccess::Write => Op::Write { pid, addr, pages },
        })
        .collect();
    (ops, refused)
}

/// Remembers which frame each model page was seen in, after the model caught up with `ptes`.
pub fn learn_frames(
    m: &Machine,
    pid: Pid,
    ptes: &BTreeMap<Addr, ObsPte>,
    pfn_of: &mut HashMap<PageId, u64>,
) {
    for (&a, obs) in ptes {
        if let (ObsPte::Present { frame: Some(f), .. }, PteVal::Page { page, .. }) =
            (obs, m.pte(pid, a))
            && !f.zero
        {
            pfn_of.insert(page, f.pfn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MmapArgs;
    use crate::oracle::observed::{Frame, KPF_ANON, KPF_ZERO_PAGE};
    use crate::session::Simulation;

    fn sim(ops: &[Op]) -> Simulation {
        let mut s = Simulation::by_name("modern").unwrap();
        for op in ops {
            let r = s.step(op, false);
            assert!(r.error.is_none(), "{op}: {:?}", r.error);
        }
        s
    }

    fn mmap(addr: Addr, pages: u64, file: Option<&str>) -> Op {
        Op::Mmap(MmapArgs {
            pid: 1,
            addr,
            pages,
            prot: crate::model::Prot::RW,
            shared: false,
            file: file.map(String::from),
            offset: 0,
        })
    }

    fn present(pfn: u64, anon: bool, zero: bool, exclusive: bool) -> ObsPte {
        ObsPte::Present {
            frame: Some(Frame::decode(
                pfn,
                1,
                if anon { KPF_ANON } else { 0 } | if zero { KPF_ZERO_PAGE } else { 0 },
            )),
            exclusive,
            file: !anon && !zero,
        }
    }

    #[test]
    fn new_ptes_become_reads_and_writes_in_runs() {
        let s = sim(&[mmap(0x10000, 8, None), mmap(0x40000, 4, Some("lib"))]);
        let ptes: BTreeMap<Addr, ObsPte> = [
            (0x10000, present(5, true, false, true)),
            (0x11000, present(6, true, false, true)),
            (0x12000, present(0, false, true, false)),
            (0x14000, present(7, true, false, true)),
            (0x40000, present(8, false, false, false)),
            (0x41000, present(9, false, false, false)),
            (0x43000, present(10, true, false, true)),
        ]
        .into();
        let (ops, refused) = fault_steps(&s.machine, 1, &ptes, &HashMap::new());
        assert_eq!(refused, vec![]);
        let lines: Vec<String> = ops.iter().map(|o| o.to_ron_line()).collect();
        assert_eq!(
            lines,
            [
                "Read(pid: 1, addr: 0x12000, pages: 1)",
                "Read(pid: 1, addr: 0x40000, pages: 2)",
                "Write(pid: 1, addr: 0x10000, pages: 2)",
                "Write(pid: 1, addr: 0x14000, pages: 1)",
                "Write(pid: 1, addr: 0x43000, pages: 1)",
            ]
        );
    }

    #[test]
    fn a_frame_that_changed_under_a_shared_page_is_a_copy_on_write() {
        let mut s = sim(&[
            mmap(0x10000, 2, None),
            Op::Write {
                pid: 1,
                addr: 0x10000,
                pages: 2,
            },
            Op::Fork { pid: 1, child: 2 },
        ]);
        let before: BTreeMap<Addr, ObsPte> = [
            (0x10000, present(5, true, false, false)),
            (0x11000, present(6, true, false, false)),
        ]
        .into();
        let mut pfn_of = HashMap::new();
        learn_frames(&s.machine, 1, &before, &mut pfn_of);
        // The child wrote its first page: a new frame there, the second still shared.
        let child: BTreeMap<Addr, ObsPte> = [
            (0x10000, present(77, true, false, true)),
            (0x11000, present(6, true, false, false)),
        ]
        .into();
        let (ops, _) = fault_steps(&s.machine, 2, &child, &pfn_of);
        assert_eq!(ops.len(), 1);
        assert_eq!(
            ops[0].to_ron_line(),
            "Write(pid: 2, addr: 0x10000, pages: 1)"
        );
        s.step(&ops[0], false);
        // The parent, seen afterwards in its old frame, needs nothing (it reuses the page on
        // its next write, which pagemap cannot show).
        let parent: BTreeMap<Addr, ObsPte> = [
            (0x10000, present(5, true, false, true)),
            (0x11000, present(6, true, false, false)),
        ]
        .into();
        assert!(fault_steps(&s.machine, 1, &parent, &pfn_of).0.is_empty());
    }

    #[test]
    fn faults_the_model_would_refuse_are_left_out() {
        let s = sim(&[Op::Mmap(MmapArgs {
            pid: 1,
            addr: 0x10000,
            pages: 1,
            prot: crate::model::Prot::R,
            shared: false,
            file: None,
            offset: 0,
        })]);
        let ptes: BTreeMap<Addr, ObsPte> = [
            (0x10000, present(5, true, false, true)),
            (0x90000, present(6, true, false, true)),
        ]
        .into();
        let (ops, refused) = fault_steps(&s.machine, 1, &ptes, &HashMap::new());
        assert!(ops.is_empty());
        let why: Vec<(Addr, FaultAccess, &str)> = refused
            .iter()
            .map(|r| (r.addr, r.access, r.why.as_str()))
            .collect();
        assert_eq!(
            why,
            [
                (0x10000, FaultAccess::Write, "its vma is \"r\""),
                (0x90000, FaultAccess::Write, "no vma of the model there"),
            ]
        );
    }

    #[test]
    fn without_frame_numbers_the_exclusive_bit_tells_the_zero_page_from_a_write() {
        let s = sim(&[mmap(0x10000, 2, None)]);
        let ptes: BTreeMap<Addr, ObsPte> = [
            (
                0x10000,
                ObsPte::Present {
                    frame: None,
                    exclusive: false,
                    file: false,
                },
            ),
            (
                0x11000,
                ObsPte::Present {
                    frame: None,
                    exclusive: true,
                    file: false,
                },
            ),
        ]
        .into();
        let (ops, _) = fault_steps(&s.machine, 1, &ptes, &HashMap::new());
        let lines: Vec<String> = ops.iter().map(|o| o.to_ron_line()).collect();
        assert_eq!(
            lines,
            [
                "Read(pid: 1, addr: 0x10000, pages: 1)",
                "Write(pid: 1, addr: 0x11000, pages: 1)"
            ]
        );
    }
}
