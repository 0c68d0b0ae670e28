//! Random op sequences, valid and invalid: nothing panics, and after every step the machine's
//! invariants hold and no walk of `modern` or `anon-vma` loses a pte.

use proptest::prelude::*;
use rmapviz::model::{Op, Prot, PteVal, WalkKind};
use rmapviz::session::Simulation;

const BASES: [u64; 4] = [0x10000, 0x14000, 0x20000, 0x80000];

fn addr() -> impl Strategy<Value = u64> {
    (0usize..BASES.len(), 0u64..6, prop::bool::weighted(0.03))
        .prop_map(|(b, off, unaligned)| BASES[b] + off * 0x1000 + if unaligned { 0x10 } else { 0 })
}

fn prot() -> impl Strategy<Value = Prot> {
    prop::sample::select(vec!["rw", "r", "", "rwx", "w"]).prop_map(|p| Prot::parse(p).unwrap())
}

fn pid() -> impl Strategy<Value = u32> {
    prop::sample::select(vec![1u32, 1, 1, 2, 2, 3, 4])
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (pid(), addr(), 0u64..6, prot(), prop::bool::weighted(0.2), prop::option::weighted(0.25, prop::sample::select(vec!["a.so", "b.dat"])), 0u64..3)
            .prop_map(|(pid, addr, pages, prot, shared, file, offset)| Op::Mmap {
                pid, addr, pages, prot, shared, file: file.map(String::from), offset: if file.is_some() { offset } else { 0 }, note: None
            }),
        1 => (pid(), addr(), 0u64..5).prop_map(|(pid, addr, pages)| Op::Munmap { pid, addr, pages, note: None }),
        2 => (pid(), addr(), 0u64..5, prot()).prop_map(|(pid, addr, pages, prot)| Op::Mprotect { pid, addr, pages, prot, note: None }),
        2 => (pid(), addr(), 1u64..5, prop::option::of(1u64..7), prop::option::of(addr()))
            .prop_map(|(pid, addr, pages, new_pages, to)| Op::Mremap { pid, addr, pages, new_pages, to, note: None }),
        4 => (pid(), addr(), 1u64..5).prop_map(|(pid, addr, pages)| Op::Read { pid, addr, pages, note: None }),
        6 => (pid(), addr(), 1u64..5).prop_map(|(pid, addr, pages)| Op::Write { pid, addr, pages, note: None }),
        2 => (pid(), pid()).prop_map(|(pid, child)| Op::Fork { pid, child, note: None }),
        1 => pid().prop_map(|pid| Op::Exec { pid, note: None }),
        1 => pid().prop_map(|pid| Op::Exit { pid, note: None }),
        1 => pid().prop_map(|pid| Op::Spawn { pid, note: None }),
        3 => (pid(), addr()).prop_map(|(pid, addr)| Op::SwapOut { pid, addr, note: None }),
        1 => (pid(), addr()).prop_map(|(pid, addr)| Op::Referenced { pid, addr, note: None }),
    ]
}

/// Walks every mapped page and checks that the scheme reaches every pte that maps it.
fn every_mapped_page_is_reachable(sim: &Simulation) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for (_, _, pte) in sim.machine.all_ptes() {
        if let PteVal::Page { page, .. } = pte
            && seen.insert(page)
        {
            let w = sim
                .machine
                .classify_walk(sim.scheme.as_ref(), page, WalkKind::PageReferenced);
            if !w.lost.is_empty() {
                return Err(format!("{page}: walk via {} lost {:?}", w.object, w.lost));
            }
            if w.hit != w.mapcount {
                return Err(format!(
                    "{page}: {} hits for mapcount {}",
                    w.hit, w.mapcount
                ));
            }
        }
    }
    Ok(())
}

/// A start that gives the random ops something to work on: two anonymous vmas and a file
/// mapping, written and read, and a fork.
fn prelude() -> Vec<Op> {
    let mm = |addr, pages, file: Option<&str>| Op::Mmap {
        pid: 1,
        addr,
        pages,
        prot: Prot::RW,
        shared: false,
        file: file.map(String::from),
        offset: 0,
        note: None,
    };
    vec![
        mm(0x10000, 4, None),
        mm(0x20000, 4, Some("a.so")),
        Op::Write {
            pid: 1,
            addr: 0x10000,
            pages: 3,
            note: None,
        },
        Op::Read {
            pid: 1,
            addr: 0x20000,
            pages: 1,
            note: None,
        },
        Op::Fork {
            pid: 1,
            child: 2,
            note: None,
        },
    ]
}

fn check(scheme: &str, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut sim = Simulation::by_name(scheme).unwrap();
    let ops: Vec<Op> = prelude().into_iter().chain(ops.iter().cloned()).collect();
    for (i, op) in ops.iter().enumerate() {
        let before = sim.machine.all_ptes();
        let vmas_before: Vec<_> = sim
            .machine
            .procs
            .values()
            .map(|p| p.mm.vmas.clone())
            .collect();
        let r = sim.step(op, false);
        if r.error.is_some() {
            prop_assert_eq!(
                &before,
                &sim.machine.all_ptes(),
                "step {} {} failed but changed ptes",
                i,
                op
            );
            let vmas_after: Vec<_> = sim
                .machine
                .procs
                .values()
                .map(|p| p.mm.vmas.clone())
                .collect();
            prop_assert_eq!(
                &vmas_before,
                &vmas_after,
                "step {} {} failed but changed vmas",
                i,
                op
            );
        }
        if let Err(e) = sim.machine.check_invariants() {
            return Err(TestCaseError::fail(format!(
                "{scheme}: after step {i} {op}: {e}"
            )));
        }
        if let Some(w) = &r.walk {
            prop_assert!(
                w.lost.is_empty(),
                "{}: step {} {} lost {:?}",
                scheme,
                i,
                op,
                w.lost
            );
        }
        if let Err(e) = every_mapped_page_is_reachable(&sim) {
            return Err(TestCaseError::fail(format!(
                "{scheme}: after step {i} {op}: {e}"
            )));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn modern_keeps_invariants_and_never_loses_a_pte(ops in prop::collection::vec(op(), 1..60)) {
        check("modern", &ops)?;
    }

    #[test]
    fn anon_vma_keeps_invariants_and_never_loses_a_pte(ops in prop::collection::vec(op(), 1..60)) {
        check("anon-vma", &ops)?;
    }
}
