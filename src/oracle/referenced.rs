//! How a `Referenced` step runs on the kernel. Nothing lets a process run `page_referenced` (the
//! rmap walk that tests and clears the young bit of every pte mapping one page) on a page of its
//! choosing, but its effect can be had: `/proc/PID/clear_refs` ("1") clears the young bit of every
//! pte of one process, and a load sets it again once the process's TLB is flushed (clear_refs does
//! not flush it, and a load through a cached translation sets no young bit). So for every process that maps the page's frame
//! (as pagemap showed it after the step before: the frame's mappers are what rmap finds), the
//! oracle clears the process's young bits and loads once more from each of its other ptes that
//! were young. Afterwards exactly the ptes that map the frame are old, as after `page_referenced`,
//! and the usual comparison of the young ptes with `/proc/PID/smaps` checks the model's walk.

use std::collections::BTreeSet;

use super::expected::{ExpPte, Expected};
use super::observed::{ObsPte, Observed};
use crate::model::{Addr, PAGE_SIZE, Pid};

/// One process's part: clear its young bits, then load from these ranges (start, pages) again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YoungReset {
    pub pid: Pid,
    pub reload: Vec<(Addr, u64)>,
}

/// Plans the kernel's side of `Referenced(pid, addr)` from the prediction and the observation
/// after the step before. Err says why it cannot be run (then the step is not checked).
pub fn plan(
    prev: Option<(&Expected, &Observed)>,
    pid: Pid,
    addr: Addr,
) -> Result<Vec<YoungReset>, String> {
    let Some((e, o)) = prev else {
        return Err("nothing is mapped before the first step".into());
    };
    let pfn = match o.procs.get(&pid).and_then(|p| p.ptes.get(&addr)) {
        Some(ObsPte::Present { frame: Some(f), .. }) if !f.zero => f.pfn,
        Some(ObsPte::Present { frame: None, .. }) => {
            return Err("frame numbers are not visible, so the page's mappers are unknown".into());
        }
        _ => {
            return Err(format!(
                "the kernel maps no page at pid {pid} {addr:#x} (page_referenced has nothing to walk)"
            ));
        }
    };
    let mut out = Vec::new();
    for (p, op) in &o.procs {
        let maps: BTreeSet<Addr> = op
            .ptes
            .iter()
            .filter(
                |(_, pte)| matches!(pte, ObsPte::Present { frame: Some(f), .. } if f.pfn == pfn),
            )
            .map(|(a, _)| *a)
            .collect();
        if maps.is_empty() {
            continue;
        }
        let Some(ep) = e.procs.get(p) else {
            continue;
        };
        let mut reload: Vec<(Addr, u64)> = Vec::new();
        for (a, pte) in &ep.ptes {
            if !matches!(pte, ExpPte::Page { young: true, .. }) || maps.contains(a) {
                continue;
            }
            let readable = ep
                .vmas
                .iter()
                .find(|v| v.start <= *a && *a < v.end)
                .is_some_and(|v| v.prot.readable());
            if !readable {
                return Err(format!(
                    "pid {p} has a young pte at {a:#x} that a load cannot make young again after \
                     clear_refs (its vma is not readable)"
                ));
            }
            match reload.last_mut() {
                Some((s, n)) if *s + *n * PAGE_SIZE == *a => *n += 1,
                _ => reload.push((*a, 1)),
            }
        }
        out.push(YoungReset { pid: *p, reload });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PageId, Prot};
    use crate::oracle::expected::ExpectedProc;
    use crate::oracle::observed::{Backing, Frame, KPF_ANON, ObservedProc, VmaShape};

    fn vma(prot: Prot) -> VmaShape {
        VmaShape {
            start: 0x10000,
            end: 0x14000,
            prot,
            shared: false,
            backing: Backing::Anon,
            offset: 0,
        }
    }

    fn present(pfn: u64) -> ObsPte {
        ObsPte::Present {
            frame: Some(Frame::decode(pfn, 1, KPF_ANON)),
            exclusive: false,
            file: false,
        }
    }

    fn page(id: u32, young: bool) -> ExpPte {
        ExpPte::Page {
            page: PageId(id),
            anon: true,
            mapcount: 2,
            young,
        }
    }

    /// pid 1 maps pages 1-3 at 0x10000-0x12000 (all young); pid 2, a fork child, shares page 1 at
    /// 0x10000 (old) and page 2 at 0x11000 (young); page 9 at 0x13000 is pid 2's own, young.
    fn state(prot: Prot) -> (Expected, Observed) {
        let mut e = Expected::default();
        let mut o = Observed {
            frames: true,
            young: true,
            ..Observed::default()
        };
        // (pid, [(addr, page id, young, frame)])
        type Ptes = [(Addr, u32, bool, u64); 3];
        let procs: [(Pid, Ptes); 2] = [
            (
                1,
                [
                    (0x10000, 1, true, 0x501),
                    (0x11000, 2, true, 0x502),
                    (0x12000, 3, true, 0x503),
                ],
            ),
            (
                2,
                [
                    (0x10000, 1, false, 0x501),
                    (0x11000, 2, true, 0x502),
                    (0x13000, 9, true, 0x509),
                ],
            ),
        ];
        for (pid, ptes) in procs {
            e.procs.insert(
                pid,
                ExpectedProc {
                    vmas: vec![vma(prot)],
                    ptes: ptes.iter().map(|&(a, p, y, _)| (a, page(p, y))).collect(),
                },
            );
            o.procs.insert(
                pid,
                ObservedProc {
                    vmas: vec![vma(prot)],
                    ptes: ptes.iter().map(|&(a, _, _, f)| (a, present(f))).collect(),
                    ..ObservedProc::default()
                },
            );
        }
        (e, o)
    }

    #[test]
    fn every_mapper_of_the_frame_is_cleared_and_its_other_young_ptes_loaded_again() {
        let (e, o) = state(Prot::RW);
        let p = plan(Some((&e, &o)), 2, 0x11000).unwrap();
        assert_eq!(
            p,
            vec![
                // pid 1: 0x11000 maps the frame; 0x10000 and 0x12000 were young.
                YoungReset {
                    pid: 1,
                    reload: vec![(0x10000, 1), (0x12000, 1)],
                },
                // pid 2: 0x10000 was old, 0x13000 young.
                YoungReset {
                    pid: 2,
                    reload: vec![(0x13000, 1)],
                },
            ]
        );
        // A page only pid 1 maps: only pid 1 is touched; its young neighbours form one range.
        let p = plan(Some((&e, &o)), 1, 0x12000).unwrap();
        assert_eq!(
            p,
            vec![YoungReset {
                pid: 1,
                reload: vec![(0x10000, 2)],
            }]
        );
    }

    #[test]
    fn what_cannot_be_run_says_why() {
        let (e, o) = state(Prot::RW);
        assert!(plan(None, 1, 0x10000).is_err());
        let why = plan(Some((&e, &o)), 1, 0x30000).unwrap_err();
        assert!(why.contains("maps no page"), "{why}");
        // A young pte in a vma that cannot be read could not be made young again.
        let (e, o) = state(Prot::default());
        let why = plan(Some((&e, &o)), 1, 0x10000).unwrap_err();
        assert!(why.contains("not readable"), "{why}");
    }
}
