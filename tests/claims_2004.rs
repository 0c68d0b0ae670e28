//! The claims of the March 2004 debate, reproduced from the model (docs/semantics.md §3.1,
//! §3.3, §3.4, §5): Andrea Arcangeli's objection to anonmm, Hugh Dickins's rmap 11 answer, the
//! per-pte cost of pte chains against the per-vma (or per-mm) cost of object-based rmap, and
//! anonmm's handling of dead mms.

mod common;
use common::*;
use rmapviz::model::{PteVal, WalkKind};

/// S3 and then two more reclaim attempts of the page the parent moved.
const S3_AND_RETRY: &str = r#"Scenario(steps: [
    Mmap(pid: 1, addr: 0x10000, pages: 4, prot: "rw"),
    Write(pid: 1, addr: 0x10000, pages: 4),
    Fork(pid: 1, child: 2),
    Mremap(pid: 1, addr: 0x10000, pages: 4, to: 0x80000),
    SwapOut(pid: 2, addr: 0x11000),
    SwapOut(pid: 1, addr: 0x81000),
    SwapOut(pid: 1, addr: 0x81000),
])"#;

#[test]
fn anonmm_naive_loses_the_moved_pte_and_can_never_unmap_the_page() {
    // §3.3: without a fix the walk probes the moving mm at the old address, the moved pte is
    // LOST, and the page can never be fully unmapped (Andrea Arcangeli, [A0312b]).
    let r = run_ron(S3_AND_RETRY, "anonmm-naive");
    assert_eq!(r.steps[3].totals.pages, 4, "no copies at mremap");
    let w = walks(&r);
    assert_eq!(visits(&w[0]), vec![(1, M), (2, H)]);
    for (i, w) in w.iter().enumerate() {
        assert_eq!(
            w.lost.iter().map(|l| (l.pid, l.addr)).collect::<Vec<_>>(),
            vec![(1, 0x81000)],
            "attempt {i}"
        );
        assert!(!w.unmapped_all, "attempt {i}");
    }
    // The retries probe the parent and the child at the old address: nothing there, and a swap
    // entry in the child.
    assert_eq!(visits(&w[1]), vec![(1, M), (2, M)]);
    let sim = sim_after(S3_AND_RETRY, "anonmm-naive");
    assert!(
        matches!(sim.machine.pte(1, 0x81000), PteVal::Page { .. }),
        "the page stays mapped"
    );
    assert!(matches!(sim.machine.pte(2, 0x11000), PteVal::Swap { .. }));
    assert!(events(&r, 4).contains("try_to_unmap failed"));
}

#[test]
fn anonmm_copies_shared_pages_at_mremap_instead() {
    // §3.3, rmap 11: make_page_exclusive forces a COW of each shared page before its pte
    // moves ("mremap moved N cows"), and mremap_move_anon_rmap rewrites the index of a page
    // mapped once. More pages, no LOST.
    let r = run_ron(S3_AND_RETRY, "anonmm");
    assert!(
        r.steps[3].events.iter().any(|e| e == "mremap moved 4 cows"),
        "{}",
        events(&r, 3)
    );
    assert_eq!(
        r.steps[3].totals.pages, 8,
        "4 originals (the child's) + 4 copies"
    );
    let w = walks(&r);
    assert!(w[0].lost.is_empty() && w[0].unmapped_all);
    // The parent's copy names the parent at its new address: one probe.
    assert_eq!(visits(&w[1]), vec![(1, H)]);
    assert!(w[1].unmapped_all);
    assert!(
        r.steps[6].error.is_some(),
        "the copy went to swap: nothing left to reclaim"
    );
}

/// A page shared while on swap; the parent moves its swap pte; both fault it back in.
const SWAPPED_THEN_MOVED: &str = r#"Scenario(steps: [
    Mmap(pid: 1, addr: 0x10000, pages: 1, prot: "rw"),
    Write(pid: 1, addr: 0x10000, pages: 1),
    Fork(pid: 1, child: 2),
    SwapOut(pid: 1, addr: 0x10000),
    Mremap(pid: 1, addr: 0x10000, pages: 1, to: 0x80000),
    Read(pid: 2, addr: 0x10000, pages: 1),
    Read(pid: 1, addr: 0x80000, pages: 1),
    SwapOut(pid: 2, addr: 0x10000),
])"#;

#[test]
fn anonmm_copies_a_page_shared_on_swap_when_it_comes_back_at_another_address() {
    // §3.3, rmap 11: pages shared while on swap are not swapped in at mremap time; do_swap_page
    // copies the page when the faulting address differs from page->index.
    let r = run_ron(SWAPPED_THEN_MOVED, "anonmm");
    assert_eq!(r.failures(), 0);
    assert!(
        !events(&r, 4).contains("mremap moved"),
        "nothing present to copy"
    );
    assert_eq!(
        r.steps[5].totals.pages, 1,
        "the child maps the swap-cache page"
    );
    assert_eq!(r.steps[6].totals.pages, 2, "the parent gets a copy");
    assert!(events(&r, 6).contains("copied"), "{}", events(&r, 6));
    let w = &walks(&r)[1];
    assert_eq!(visits(w), vec![(2, H)]);
    assert!(w.lost.is_empty());
    // Without the fix the parent maps the same page at 0x80000 while its index says 0x10000.
    let r = run_ron(SWAPPED_THEN_MOVED, "anonmm-naive");
    assert_eq!(r.steps[6].totals.pages, 1);
    let w = &walks(&r)[1];
    assert_eq!(visits(w), vec![(2, H), (1, M)]);
    assert_eq!(
        w.lost.iter().map(|l| (l.pid, l.addr)).collect::<Vec<_>>(),
        vec![(1, 0x80000)]
    );
}

/// A parent with two written vmas (`pages` and `pages / 2` pages) forks, and the child exits.
fn fork_cost(pages: u64) -> String {
    format!(
        r#"Scenario(steps: [
    Mmap(pid: 1, addr: 0x100000, pages: {pages}, prot: "rw"),
    Write(pid: 1, addr: 0x100000, pages: {pages}),
    Mmap(pid: 1, addr: 0x800000, pages: {half}, prot: "rw"),
    Write(pid: 1, addr: 0x800000, pages: {half}),
    Fork(pid: 1, child: 2),
    Exit(pid: 2),
])"#,
        half = pages / 2
    )
}

#[test]
fn pte_chain_pays_per_pte_at_fork_where_object_schemes_pay_per_vma() {
    // §3.1: fork does one page_add_rmap per copied pte, one chain slot per pte per child ("fork()
    // performance suffered", [OLS04]); exit does a chain search per pte. §3.3, §3.4: anonmm pays
    // one object per mm, anon_vma one per vma.
    for pages in [16u64, 32] {
        let ptes = pages + pages / 2;
        let text = fork_cost(pages);
        let r = run_ron(&text, "pte-chain");
        let fork = events(&r, 4);
        assert!(fork.contains(&format!("{ptes} ptes copied")), "{fork}");
        assert!(
            fork.contains(&format!(
                "page_add_rmap (fork: copy_page_range): {ptes} ptes added, 0 as pte.direct, {ptes} into chain slots"
            )),
            "{fork}"
        );
        assert_eq!(
            r.steps[4].totals.rmap_objects, ptes,
            "one chain block per shared page"
        );
        let exit = events(&r, 5);
        assert!(
            exit.contains(&format!(
                "page_remove_rmap (exit: exit_mmap): {ptes} ptes removed, {ptes} chain searches"
            )),
            "{exit}"
        );
        for (s, objects) in [("anonmm", 2), ("anon-vma-rfc2", 2), ("anon-vma", 2)] {
            let r = run_ron(&text, s);
            assert_eq!(
                r.steps[4].totals.rmap_objects, objects,
                "{s}: as many objects with {pages} pages as with any other number"
            );
        }
    }
}

#[test]
fn anonmm_skips_the_dead_parent_and_page_referenced_migrates_the_page() {
    // §7 S12 and §3.3: after the parent exits its anonmm lingers with no mm; walks SKIP it;
    // page_referenced re-points a page of a dead anonmm to the first live mm mapping it.
    let r = run("S12", "anonmm");
    let w = walks(&r);
    assert_eq!(visits(&w[1]), vec![(1, S), (2, H)]);
    assert!(
        events(&r, 5).contains("p2 migrated from dead anonmm1 to anonmm2 (pid 2)"),
        "{}",
        events(&r, 5)
    );
    let mut sim = sim_after("S12", "anonmm");
    let p2 = sim.machine.pte(2, 0x11000).into_page().expect("p2 mapped");
    let again = sim
        .machine
        .classify_walk(sim.scheme.as_ref(), p2, WalkKind::PageReferenced);
    assert_eq!(again.object, "anonmm2");
    assert_eq!(
        visits(&again),
        vec![(2, H)],
        "no dead anonmm to skip any more"
    );
    // The dead head stays while its bundle lives (rmap 10 exit_rmap); the child's exit ends it.
    let heads: Vec<String> = sim
        .scheme
        .view(&sim.machine)
        .objects
        .iter()
        .map(|o| o.label.clone())
        .collect();
    assert_eq!(heads, vec!["anonmm1 dead (head)", "anonmm2 pid 2"]);
    let exit = sim.step(&rmapviz::model::Op::Exit { pid: 2 }, false);
    assert_eq!(exit.totals.rmap_objects, 0, "{:?}", exit.events);
}
