//! Random op sequences, valid and invalid, under every implemented scheme: nothing panics, after
//! every step the machine's invariants hold and the totals kept as ops run equal a recount from
//! scratch, no walk loses a pte (LOST is anonmm-naive's alone), and all schemes but anonmm agree
//! on which pages exist and which ptes map each page.

use proptest::prelude::*;
use rmapviz::model::{Advice, MmapArgs, Op, PageId, Prot, PteVal, StepError, Vma, WalkKind};
use rmapviz::schemes::scheme_names;
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
            .prop_map(|(pid, addr, pages, prot, shared, file, offset)| Op::Mmap(MmapArgs {
                pid, addr, pages, prot, shared, file: file.map(String::from), offset: if file.is_some() { offset } else { 0 }
            })),
        1 => (pid(), addr(), 0u64..5).prop_map(|(pid, addr, pages)| Op::Munmap { pid, addr, pages }),
        2 => (pid(), addr(), 0u64..5, prot()).prop_map(|(pid, addr, pages, prot)| Op::Mprotect { pid, addr, pages, prot }),
        2 => (pid(), addr(), 1u64..5, prop::option::of(1u64..7), prop::option::of(addr()))
            .prop_map(|(pid, addr, pages, new_pages, to)| Op::Mremap { pid, addr, pages, new_pages, to }),
        1 => (pid(), addr(), 0u64..5, prop::bool::ANY).prop_map(|(pid, addr, pages, free)| Op::Madvise { pid, addr, pages, advice: if free { Advice::Free } else { Advice::DontNeed } }),
        1 => (pid(), prop::sample::select(vec![0x20000u64, 0x80000]), 0u64..8).prop_map(|(pid, start, pages)| Op::Brk { pid, start, pages }),
        4 => (pid(), addr(), 1u64..5).prop_map(|(pid, addr, pages)| Op::Read { pid, addr, pages }),
        6 => (pid(), addr(), 1u64..5).prop_map(|(pid, addr, pages)| Op::Write { pid, addr, pages }),
        2 => (pid(), pid()).prop_map(|(pid, child)| Op::Fork { pid, child }),
        1 => pid().prop_map(|pid| Op::Exec { pid }),
        1 => pid().prop_map(|pid| Op::Exit { pid }),
        1 => pid().prop_map(|pid| Op::Spawn { pid }),
        3 => (pid(), addr()).prop_map(|(pid, addr)| Op::SwapOut { pid, addr }),
        1 => (pid(), addr()).prop_map(|(pid, addr)| Op::Referenced { pid, addr }),
    ]
}

/// Walks every mapped page and checks that the scheme reaches every pte that maps it; under
/// `pte-chain` also that the walk has no other candidate: each chain holds exactly the ptes of
/// its page, every entry a HIT (docs/semantics.md §3.1).
fn every_mapped_page_is_reachable(sim: &Simulation) -> Result<(), String> {
    let exact = sim.scheme_name() == "pte-chain";
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
            if exact && (w.planned != w.mapcount || w.miss + w.out + w.skip > 0) {
                return Err(format!(
                    "{page}: the pte chain holds {} entries for mapcount {} ({} MISS, {} OUT, {} SKIP)",
                    w.planned, w.mapcount, w.miss, w.out, w.skip
                ));
            }
        }
    }
    Ok(())
}

/// A start that gives the random ops something to work on: two anonymous vmas and a file
/// mapping, written and read, and a fork.
fn prelude() -> Vec<Op> {
    let mm = |addr, pages, file: Option<&str>| {
        Op::Mmap(MmapArgs {
            pid: 1,
            addr,
            pages,
            prot: Prot::RW,
            shared: false,
            file: file.map(String::from),
            offset: 0,
        })
    };
    vec![
        mm(0x10000, 4, None),
        mm(0x20000, 4, Some("a.so")),
        Op::Write {
            pid: 1,
            addr: 0x10000,
            pages: 3,
        },
        Op::Read {
            pid: 1,
            addr: 0x20000,
            pages: 1,
        },
        Op::Fork { pid: 1, child: 2 },
    ]
}

/// The scheme-independent state the schemes must agree on: the live pages, and what every
/// present or swap pte maps.
fn ground_truth(sim: &Simulation) -> (Vec<PageId>, Vec<(u32, u64, String)>) {
    let pages = sim.machine.pages.alive_ids().collect();
    let ptes = sim
        .machine
        .all_ptes()
        .into_iter()
        .filter_map(|(pid, addr, v)| match v {
            PteVal::Page { page, .. } => Some((pid, addr, page.to_string())),
            PteVal::Swap { slot, .. } => Some((pid, addr, slot.to_string())),
            PteVal::Zero { .. } | PteVal::None => None,
        })
        .collect();
    (pages, ptes)
}

fn all_vmas(sim: &Simulation) -> Vec<Vec<Vma>> {
    sim.machine
        .procs
        .values()
        .map(|p| p.mm.vmas.clone())
        .collect()
}

/// The address ranges whose ptes a fork of `pid` copies: its private vmas with anonymous pages
/// (vma_needs_copy), adjacent ranges joined. Merge rules differ between schemes, and a vma
/// merged with a faulted neighbour is faulted as a whole, so two schemes may copy different
/// ptes at the same fork: the kernel's designs would too.
fn copied_ranges(sim: &Simulation, pid: u32) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    let Some(p) = sim.machine.procs.get(&pid) else {
        return out;
    };
    for v in p.mm.vmas.iter().filter(|v| !v.shared && v.anon_faulted) {
        match out.last_mut() {
            Some(last) if last.1 == v.start => last.1 = v.end,
            _ => out.push((v.start, v.end)),
        }
    }
    out
}

/// One scheme's replay of the ops so far.
struct Track {
    name: &'static str,
    sim: Simulation,
    /// What may make this replay legitimately different from others: the steps it refused
    /// (merge rules differ, so an mremap spanning two vmas may be refused by some schemes only),
    /// what each fork copied, and the walks that lost a pte (a LOST pte stays mapped where other
    /// schemes swap it out).
    history: Vec<String>,
}

/// Replays the prelude and `ops` under every implemented scheme at once. After every step:
/// a refused step changed nothing (an mprotect over a hole only its prefix, a read past the end
/// of a file only its fault-around window), the invariants hold, no walk loses a pte (except under
/// anonmm-naive, which is built to), every mapped page is reachable, and all schemes but anonmm
/// (which copies pages at mremap) with the same history agree on pages and ptes.
fn check_all(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut tracks: Vec<Track> = scheme_names()
        .into_iter()
        .map(|name| Track {
            name,
            sim: Simulation::by_name(name).unwrap(),
            history: Vec::new(),
        })
        .collect();
    let ops: Vec<Op> = prelude().into_iter().chain(ops.iter().cloned()).collect();
    for (i, op) in ops.iter().enumerate() {
        for t in &mut tracks {
            let lossy = t.name == "anonmm-naive";
            let before = t.sim.machine.all_ptes();
            let vmas_before = all_vmas(&t.sim);
            if let Op::Fork { pid, .. } = op {
                t.history
                    .push(format!("fork {i} copies {:?}", copied_ranges(&t.sim, *pid)));
            }
            // Reclaim of a page freed with MADV_FREE clears ptes in walk order and stops at the
            // first dirty one, so which ptes of a shared one go depends on the scheme's order.
            let lazy_shared = match op {
                Op::SwapOut { pid, addr } => match t.sim.machine.pte(*pid, *addr) {
                    PteVal::Page { page, .. } => {
                        let pg = t.sim.machine.pages.get(page);
                        (pg.is_lazyfree() && pg.mapcount() > 1).then_some(page)
                    }
                    _ => None,
                },
                _ => None,
            };
            let r = t.sim.step(op, false);
            if let Some(page) = lazy_shared {
                let left = if t.sim.machine.pages.is_alive(page) {
                    t.sim.machine.ptes_of(page)
                } else {
                    Vec::new()
                };
                t.history
                    .push(format!("step {i} left a lazily freed page at {left:?}"));
            }
            let scheme = t.name;
            // An mprotect over a hole changes the vmas before the hole, as Linux does
            // (docs/semantics.md §8.1); the ptes outside that prefix stay as they were.
            if let Some(StepError::NotFullyMapped {
                pid,
                start,
                changed_to,
                ..
            }) = &r.error
                && changed_to > start
            {
                t.history
                    .push(format!("step {i} changed {start:#x}-{changed_to:#x}"));
                let outside = |v: Vec<(u32, u64, PteVal)>| -> Vec<(u32, u64, PteVal)> {
                    v.into_iter()
                        .filter(|(p, a, _)| p != pid || a < start || a >= changed_to)
                        .collect()
                };
                prop_assert_eq!(
                    outside(before.clone()),
                    outside(t.sim.machine.all_ptes()),
                    "{}: step {} {} changed ptes outside the range before the hole",
                    scheme,
                    i,
                    op
                );
            } else if let (
                Some(
                    StepError::MadviseUnmapped { advised: true, .. }
                    | StepError::MadviseFreeNotAnon { .. },
                ),
                Op::Madvise {
                    pid, addr, pages, ..
                },
            ) = (&r.error, op)
            {
                // A madvise that fails with a hole or at a vma it cannot advise has advised the
                // vmas before, as Linux does: ptes change inside its range only, vmas never.
                t.history
                    .push(format!("step {i} advised part of its range"));
                let end = addr + pages * 0x1000;
                let outside = |v: Vec<(u32, u64, PteVal)>| -> Vec<(u32, u64, PteVal)> {
                    v.into_iter()
                        .filter(|(p, a, _)| p != pid || a < addr || *a >= end)
                        .collect()
                };
                prop_assert_eq!(
                    outside(before.clone()),
                    outside(t.sim.machine.all_ptes()),
                    "{}: step {} {} changed ptes outside its range",
                    scheme,
                    i,
                    op
                );
                prop_assert_eq!(
                    &vmas_before,
                    &all_vmas(&t.sim),
                    "{}: step {} {} changed vmas",
                    scheme,
                    i,
                    op
                );
            } else if r.error.is_some() {
                t.history.push(format!("step {i} refused"));
                // A read past the end of a file maps the cached pages of the faulting
                // address's fault-around window before the SIGBUS (do_read_fault): only new,
                // read-only ptes of that process within 16 pages of the address.
                let new_window_ptes = |p: u32, a: u64| {
                    let after = t.sim.machine.all_ptes();
                    let mut kept = after.clone();
                    kept.retain(|(q, b, v)| {
                        !(*q == p
                            && b.abs_diff(a) < 16 * 4096
                            && matches!(
                                v,
                                PteVal::Page {
                                    writable: false,
                                    ..
                                }
                            )
                            && !before.iter().any(|(q2, b2, _)| q2 == q && b2 == b))
                    });
                    kept
                };
                let after = match (&r.error, op) {
                    (Some(StepError::Sigbus { pid, addr, .. }), Op::Read { .. }) => {
                        new_window_ptes(*pid, *addr)
                    }
                    _ => t.sim.machine.all_ptes(),
                };
                prop_assert_eq!(
                    &before,
                    &after,
                    "{}: step {} {} failed but changed ptes",
                    scheme,
                    i,
                    op
                );
                // A write past the end of a file in a private vma is do_cow_fault, which
                // prepares the vma's anon_vma before the SIGBUS: that vma may be anon_faulted
                // now, and nothing else of any vma changes.
                let mut vmas_after = all_vmas(&t.sim);
                if let (Some(StepError::Sigbus { pid, addr, .. }), Op::Write { .. }) =
                    (&r.error, op)
                    && let Some(i) = t.sim.machine.procs.keys().position(|p| p == pid)
                {
                    for (b, a) in vmas_before[i].iter().zip(vmas_after[i].iter_mut()) {
                        if !a.shared && a.file.is_some() && (a.start..a.end).contains(addr) {
                            a.anon_faulted = b.anon_faulted;
                        }
                    }
                }
                prop_assert_eq!(
                    &vmas_before,
                    &vmas_after,
                    "{}: step {} {} failed but changed vmas",
                    scheme,
                    i,
                    op
                );
            }
            if let Err(e) = t.sim.machine.check_invariants() {
                return Err(TestCaseError::fail(format!(
                    "{scheme}: after step {i} {op}: {e}"
                )));
            }
            // The totals are kept up to date as ops run; counted from scratch they are the same.
            prop_assert_eq!(
                &r.totals,
                &t.sim.machine.recount(t.sim.scheme.as_ref()),
                "{}: totals after step {} {} differ from a recount",
                scheme,
                i,
                op
            );
            if let Some(w) = &r.walk
                && !w.lost.is_empty()
            {
                prop_assert!(lossy, "{}: step {} {} lost {:?}", scheme, i, op, w.lost);
                t.history.push(format!("step {i} lost ptes"));
            }
            if !lossy && let Err(e) = every_mapped_page_is_reachable(&t.sim) {
                return Err(TestCaseError::fail(format!(
                    "{scheme}: after step {i} {op}: {e}"
                )));
            }
        }
        let comparable: Vec<&Track> = tracks.iter().filter(|t| t.name != "anonmm").collect();
        for (k, b) in comparable.iter().enumerate() {
            if let Some(a) = comparable[..k].iter().find(|a| a.history == b.history) {
                prop_assert_eq!(
                    ground_truth(&a.sim),
                    ground_truth(&b.sim),
                    "{} and {} disagree after step {} {}",
                    a.name,
                    b.name,
                    i,
                    op
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn every_scheme_keeps_invariants_finds_every_pte_and_agrees_on_the_ground_truth(
        ops in prop::collection::vec(op(), 1..60)
    ) {
        check_all(&ops)?;
    }
}
