//! Madvise under every scheme: what MADV_DONTNEED and MADV_FREE do to ptes, pages and swap
//! entries, as the running kernel was observed to do it (`rmapviz check --reclaim` on
//! tests/corpus/madvise_dontneed.ron and madvise_free.ron agree step by step on Linux 6.18).

use rmapviz::model::{Advice, Op, PteVal, StepError};
use rmapviz::schemes::scheme_names;
use rmapviz::session::Simulation;

fn run(scheme: &str, ops: &[&str]) -> Simulation {
    let mut s = Simulation::by_name(scheme).unwrap();
    for line in ops {
        let op = rmapviz::scenario::opline::parse(line).unwrap().op;
        let r = s.step(&op, false);
        assert!(r.error.is_none(), "{scheme}: {line}: {:?}", r.error);
        s.machine.check_invariants().unwrap();
    }
    s
}

fn step(s: &mut Simulation, line: &str) -> Option<StepError> {
    let op = rmapviz::scenario::opline::parse(line).unwrap().op;
    let e = s.step(&op, false).error;
    s.machine.check_invariants().unwrap();
    e
}

/// Runs `line`, which must succeed, and returns its events as lines of text.
fn events(s: &mut Simulation, line: &str) -> String {
    let op = rmapviz::scenario::opline::parse(line).unwrap().op;
    let r = s.step(&op, false);
    assert_eq!(r.error, None, "{line}");
    r.events.join("\n")
}

fn page(s: &Simulation, pid: u32, addr: u64) -> rmapviz::model::PageId {
    match s.machine.pte(pid, addr) {
        PteVal::Page { page, .. } => page,
        other => panic!("pid {pid} {addr:#x}: {other:?}"),
    }
}

#[test]
fn the_op_reads_and_writes_in_ron_and_as_an_op_line() {
    let op = Op::Madvise {
        pid: 2,
        addr: 0x10000,
        pages: 3,
        advice: Advice::Free,
    };
    let ron = rmapviz::model::Step::from(op.clone()).to_ron();
    assert_eq!(
        ron,
        r#"Madvise(pid: 2, addr: 0x10000, pages: 3, advice: "free")"#
    );
    let s =
        rmapviz::scenario::Scenario::parse(&format!("Scenario(steps: [{ron}])"), "t.ron").unwrap();
    assert_eq!(s.ops().next(), Some(&op));
    assert_eq!(
        rmapviz::scenario::opline::parse("madvise 2 0x10000 3 free")
            .unwrap()
            .op,
        op
    );
    let e = rmapviz::scenario::Scenario::parse(
        "Scenario(steps: [Madvise(pid: 1, addr: 0x1000, pages: 1, advice: \"willneed\")])",
        "t.ron",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("willneed") && e.contains("t.ron:1:"), "{e}");
}

#[test]
fn dontneed_zaps_ptes_keeps_vmas_and_frees_what_nothing_maps() {
    for sc in scheme_names() {
        let mut s = run(
            sc,
            &[
                "mmap 1 0x10000 4",
                "write 1 0x10000 4",
                "fork 1 2",
                "mmap 1 0x20000 3 rw file=lib.so",
                "read 1 0x20000 3",
                "write 1 0x21000",
            ],
        );
        let shared = page(&s, 1, 0x10000);
        let copy = page(&s, 1, 0x21000);
        // pid 1's anonymous vma and its file vma (another file: no merge), and the copy of the
        // first that fork gave pid 2.
        let vmas = 3;
        assert_eq!(s.machine.vma_count(), vmas, "{sc}");
        assert_eq!(s.machine.pages.get(shared).mapcount(), 2);
        assert_eq!(step(&mut s, "madvise 2 0x10000 2 dontneed"), None);
        assert_eq!(s.machine.pte(2, 0x10000), PteVal::None, "{sc}");
        assert_eq!(s.machine.pte(2, 0x11000), PteVal::None, "{sc}");
        assert!(matches!(s.machine.pte(2, 0x12000), PteVal::Page { .. }));
        assert_eq!(s.machine.pages.get(shared).mapcount(), 1, "{sc}");
        assert_eq!(s.machine.vma_count(), vmas, "{sc}: the vmas stay");
        // The next read of anonymous memory finds the zero page, not the old data.
        assert_eq!(step(&mut s, "read 2 0x10000"), None);
        assert!(matches!(s.machine.pte(2, 0x10000), PteVal::Zero { .. }));
        // A file range: the private copy is freed and the page-cache page comes back.
        assert_eq!(step(&mut s, "madvise 1 0x20000 3 dontneed"), None);
        assert!(!s.machine.pages.is_alive(copy), "{sc}: the copy is freed");
        assert_eq!(step(&mut s, "read 1 0x21000"), None);
        let p = page(&s, 1, 0x21000);
        assert!(
            !s.machine.pages.get(p).is_anon(),
            "{sc}: the file page again"
        );
        assert_eq!(s.machine.vma_count(), vmas, "{sc}");
    }
}

#[test]
fn dontneed_frees_swap_entries() {
    for sc in scheme_names() {
        let mut s = run(
            sc,
            &["mmap 1 0x10000 2", "write 1 0x10000 2", "swapout 1 0x10000"],
        );
        assert!(matches!(s.machine.pte(1, 0x10000), PteVal::Swap { .. }));
        assert_eq!(s.machine.swap.used(), 1);
        assert_eq!(step(&mut s, "madvise 1 0x10000 2 dontneed"), None);
        assert_eq!(s.machine.pte(1, 0x10000), PteVal::None);
        assert_eq!(s.machine.swap.used(), 0, "{sc}");
    }
}

#[test]
fn a_range_with_a_hole_is_advised_where_mapped_and_fails_with_enomem() {
    for sc in scheme_names() {
        let mut s = run(
            sc,
            &[
                "mmap 1 0x10000 2",
                "mmap 1 0x14000 2",
                "write 1 0x10000 2",
                "write 1 0x14000 2",
            ],
        );
        let e = step(&mut s, "madvise 1 0x10000 6 dontneed").expect("ENOMEM");
        assert!(
            matches!(e, StepError::MadviseUnmapped { advised: true, .. }),
            "{sc}: {e}"
        );
        assert!(e.to_string().contains("0x10000-0x16000"), "{e}");
        for a in [0x10000, 0x11000, 0x14000, 0x15000] {
            assert_eq!(s.machine.pte(1, a), PteVal::None, "{sc} {a:#x}");
        }
        let e = step(&mut s, "madvise 1 0x30000 1 free").expect("ENOMEM");
        assert!(matches!(
            e,
            StepError::MadviseUnmapped { advised: false, .. }
        ));
    }
}

#[test]
fn free_is_refused_outside_private_anonymous_memory() {
    for (what, map) in [
        ("file", "mmap 1 0x10000 2 rw file=a.so"),
        ("shmem", "mmap 1 0x10000 2 rw shared"),
    ] {
        let mut s = run("modern", &[map, "write 1 0x10000 2"]);
        let e = step(&mut s, "madvise 1 0x10000 2 free").expect("EINVAL");
        assert!(
            matches!(e, StepError::MadviseFreeNotAnon { .. }),
            "{what}: {e}"
        );
        assert!(e.to_string().contains("EINVAL"), "{e}");
        assert!(matches!(s.machine.pte(1, 0x10000), PteVal::Page { .. }));
    }
}

#[test]
fn free_keeps_the_page_mapped_and_reclaim_discards_it_without_swap() {
    for sc in scheme_names() {
        let mut s = run(sc, &["mmap 1 0x10000 2", "write 1 0x10000 2"]);
        let p = page(&s, 1, 0x10000);
        assert_eq!(step(&mut s, "madvise 1 0x10000 2 free"), None);
        // pagemap right after the advice: still present, same frame.
        assert_eq!(page(&s, 1, 0x10000), p);
        assert!(s.machine.pages.get(p).is_lazyfree());
        assert!(matches!(
            s.machine.pte(1, 0x10000),
            PteVal::Page {
                dirty: false,
                young: false,
                ..
            }
        ));
        assert_eq!(step(&mut s, "swapout 1 0x10000"), None);
        assert_eq!(s.machine.pte(1, 0x10000), PteVal::None, "{sc}: discarded");
        assert!(!s.machine.pages.is_alive(p));
        assert_eq!(s.machine.swap.used(), 0, "{sc}: no swap entry");
        assert_eq!(step(&mut s, "read 1 0x10000"), None);
        assert!(matches!(s.machine.pte(1, 0x10000), PteVal::Zero { .. }));
        // Written after the advice: reclaim keeps it (the kernel makes it swap-backed again).
        assert_eq!(step(&mut s, "write 1 0x11000"), None);
        let q = page(&s, 1, 0x11000);
        assert_eq!(step(&mut s, "swapout 1 0x11000"), None);
        assert_eq!(page(&s, 1, 0x11000), q, "{sc}: still mapped");
        assert!(!s.machine.pages.get(q).is_lazyfree());
        // A second reclaim swaps it as usual.
        assert_eq!(step(&mut s, "swapout 1 0x11000"), None);
        assert!(
            matches!(s.machine.pte(1, 0x11000), PteVal::Swap { .. }),
            "{sc}"
        );
    }
}

#[test]
fn free_of_a_shared_page_discards_only_the_clean_ptes() {
    // Observed on Linux 6.18: MADV_FREE in the parent marks a page the child still maps; reclaim
    // (the parent's pte first in modern's walk) clears the parent's clean pte and stops at the
    // child's dirty one.
    let mut s = run(
        "modern",
        &["mmap 1 0x20000 1", "write 1 0x20000", "fork 1 2"],
    );
    let p = page(&s, 1, 0x20000);
    assert_eq!(step(&mut s, "madvise 1 0x20000 1 free"), None);
    assert!(s.machine.pages.get(p).is_lazyfree());
    assert_eq!(step(&mut s, "swapout 1 0x20000"), None);
    assert_eq!(s.machine.pte(1, 0x20000), PteVal::None);
    assert_eq!(page(&s, 2, 0x20000), p);
    assert_eq!(s.machine.pages.get(p).mapcount(), 1);
    assert_eq!(s.machine.swap.used(), 0);
}

#[test]
fn free_frees_swap_entries_in_the_range() {
    let mut s = run(
        "modern",
        &["mmap 1 0x10000 2", "write 1 0x10000 2", "swapout 1 0x11000"],
    );
    assert_eq!(s.machine.swap.used(), 1);
    assert_eq!(step(&mut s, "madvise 1 0x10000 2 free"), None);
    assert_eq!(s.machine.pte(1, 0x11000), PteVal::None);
    assert_eq!(s.machine.swap.used(), 0);
}

#[test]
fn the_events_count_what_the_advice_did() {
    // The events pane tells what the advice did to the range. MADV_FREE over a written page and
    // a swap entry: one page freed lazily, one swap entry freed, nothing in the swap cache kept.
    let mut s = run(
        "modern",
        &["mmap 1 0x10000 2", "write 1 0x10000 2", "swapout 1 0x11000"],
    );
    let text = events(&mut s, "madvise 1 0x10000 2 free");
    assert!(
        text.contains("1 page freed lazily") && text.contains("1 swap entry freed"),
        "{text}"
    );
    assert!(!text.contains("kept"), "{text}");
    // MADV_DONTNEED counts the ptes it zapped: two here, the vma stays.
    let mut s = run("modern", &["mmap 1 0x10000 2", "write 1 0x10000 2"]);
    let text = events(&mut s, "madvise 1 0x10000 2 dontneed");
    assert!(text.contains("zapped 2 ptes, the vma stays"), "{text}");
}

#[test]
fn free_leaves_a_page_in_the_swap_cache_whose_slot_another_swap_entry_holds() {
    // madvise_free_pte_range: a page in the swap cache is left alone while another swap entry
    // holds its slot (folio_free_swap fails): a child's, as in step 20 of
    // tests/corpus/madvise_free.ron, checked with --reclaim on Linux 6.18.
    let slot_held = [
        "mmap 1 0x10000 1",
        "write 1 0x10000",
        "fork 1 2",
        "swapout 1 0x10000",
        "read 1 0x10000",
    ];
    {
        let ops = &slot_held[..];
        let mut s = run("modern", ops);
        let p = page(&s, 1, 0x10000);
        let slot = s.machine.pages.get(p).swap_slot();
        assert!(slot.is_some(), "{ops:?}");
        // The events pane says so.
        let text = events(&mut s, "madvise 1 0x10000 1 free");
        assert!(
            text.contains("0 pages freed lazily")
                && text.contains("; 1 page in the swap cache kept"),
            "{text}"
        );
        assert_eq!(page(&s, 1, 0x10000), p, "{ops:?}: still mapped");
        assert!(!s.machine.pages.get(p).is_lazyfree(), "{ops:?}");
        assert_eq!(s.machine.pages.get(p).swap_slot(), slot, "{ops:?}");
    }
}

#[test]
fn reclaim_of_a_lazily_freed_page_counts_the_ptes_it_cleared() {
    // try_to_unmap_one on a page freed with MADV_FREE clears each clean pte and, when no pte
    // was written since the advice, discards the page: the walk has unmapped it. Seen on Linux
    // 6.18 (`check --reclaim`): advised in a parent and its child, both ptes are cleared.
    for sc in scheme_names() {
        let mut s = run(
            sc,
            &[
                "mmap 1 0x10000 1",
                "write 1 0x10000",
                "fork 1 2",
                "madvise 1 0x10000 1 free",
                "madvise 2 0x10000 1 free",
                "mmap 1 0x20000 1",
                "write 1 0x20000",
                "madvise 1 0x20000 1 free",
                "mmap 1 0x30000 1",
                "write 1 0x30000",
                "madvise 1 0x30000 1 free",
                "write 1 0x30000",
            ],
        );
        let mut reclaim = |addr: u64| {
            let op = rmapviz::scenario::opline::parse(&format!("swapout 1 {addr:#x}"))
                .unwrap()
                .op;
            let r = s.step(&op, false);
            assert_eq!(r.error, None, "{sc}");
            (r.walk.unwrap().unmapped_all, r.events.join("\n"))
        };
        let (unmapped, text) = reclaim(0x10000);
        assert!(unmapped, "{sc}");
        assert!(
            text.contains("2 ptes cleared, discarded without swap"),
            "{sc}: {text}"
        );
        let (unmapped, text) = reclaim(0x20000);
        assert!(unmapped, "{sc}");
        assert!(
            text.contains("1 pte cleared, discarded without swap"),
            "{sc}: {text}"
        );
        // Written after the advice: the page is swap-backed again and stays mapped.
        let (unmapped, text) = reclaim(0x30000);
        assert!(!unmapped, "{sc}");
        assert!(
            text.contains("stays in memory (0 clean ptes cleared before)"),
            "{sc}: {text}"
        );
    }
}

/// The pte at (pid, addr): (young, dirty).
fn young_dirty(s: &Simulation, pid: u32, addr: u64) -> (bool, bool) {
    match s.machine.pte(pid, addr) {
        PteVal::Page { young, dirty, .. } => (young, dirty),
        other => panic!("pid {pid} {addr:#x}: {other:?}"),
    }
}

#[test]
fn a_write_dirties_the_pte_of_an_anonymous_page_and_a_file_page_itself() {
    // docs/semantics.md §6.2c: do_anonymous_page, wp_page_reuse and wp_page_copy make the pte
    // dirty and leave PG_dirty alone; a write fault through a shared file mapping marks the
    // page-cache page dirty (fault_dirty_shared_page).
    for sc in scheme_names() {
        let s = run(
            sc,
            &[
                "mmap 1 0x10000 1",
                "write 1 0x10000",
                "mmap 1 0x20000 1",
                "write 1 0x20000",
                "fork 1 2",
                "write 2 0x20000",
                "mmap 1 0x30000 1 rw shared file=data",
                "write 1 0x30000",
            ],
        );
        for (pid, a) in [(1, 0x10000), (2, 0x20000)] {
            assert_eq!(young_dirty(&s, pid, a), (true, true), "{sc} {pid} {a:#x}");
            let p = page(&s, pid, a);
            assert!(!s.machine.pages.get(p).is_dirty(), "{sc} {pid} {a:#x}");
        }
        let p = page(&s, 1, 0x30000);
        assert!(s.machine.pages.get(p).is_dirty(), "{sc}: the file page");
    }
}

#[test]
fn free_skips_a_page_with_pg_dirty_that_another_process_maps() {
    // tests/corpus/madvise_free_leaves_a_dirty_page_mapped_elsewhere.ron (`rmapviz fuzz --seed
    // 202612071710`, scenario 1931). Reclaim finds the lazily freed page at 0x11000 written
    // again: try_to_unmap_one moves the pte's dirty bit to the page and makes it swap-backed
    // again, so it has PG_dirty. After the fork, madvise_free_pte_range skips it
    // (folio_mapcount != 1): pid 1's pte stays young and dirty. The page at 0x10000 was only
    // written (PG_dirty clear): freed lazily although pid 2 maps it too.
    for sc in scheme_names() {
        let mut s = run(
            sc,
            &[
                "mmap 1 0x10000 2",
                "write 1 0x10000 2",
                "madvise 1 0x10000 2 free",
                "write 1 0x10000 2",
                "swapout 1 0x11000",
            ],
        );
        let (clean, dirty) = (page(&s, 1, 0x10000), page(&s, 1, 0x11000));
        assert!(s.machine.pages.get(dirty).is_dirty(), "{sc}");
        assert!(!s.machine.pages.get(dirty).is_lazyfree(), "{sc}");
        assert!(!s.machine.pages.get(clean).is_dirty(), "{sc}");
        assert_eq!(step(&mut s, "fork 1 2"), None, "{sc}");
        let text = events(&mut s, "madvise 1 0x10000 2 free");
        assert!(
            text.contains("1 page freed lazily")
                && text.contains("; 1 dirty page mapped elsewhere kept"),
            "{sc}: {text}"
        );
        assert!(s.machine.pages.get(clean).is_lazyfree(), "{sc}");
        assert_eq!(young_dirty(&s, 1, 0x10000), (false, false), "{sc}");
        assert_eq!(page(&s, 1, 0x11000), dirty, "{sc}");
        assert!(!s.machine.pages.get(dirty).is_lazyfree(), "{sc}");
        assert!(s.machine.pages.get(dirty).is_dirty(), "{sc}");
        assert_eq!(young_dirty(&s, 1, 0x11000), (true, true), "{sc}");
        // Once pid 2 has gone, pid 1's pte is the only one: PG_dirty is cleared and the page
        // freed lazily.
        assert_eq!(step(&mut s, "exit 2"), None, "{sc}");
        assert_eq!(step(&mut s, "madvise 1 0x11000 1 free"), None, "{sc}");
        assert!(s.machine.pages.get(dirty).is_lazyfree(), "{sc}");
        assert!(!s.machine.pages.get(dirty).is_dirty(), "{sc}");
        assert_eq!(young_dirty(&s, 1, 0x11000), (false, false), "{sc}");
    }
}

#[test]
fn free_skips_a_swapped_in_page_that_another_process_maps() {
    // tests/corpus/madvise_free_leaves_a_swapped_in_page_mapped_elsewhere.ron. A write swap-in
    // frees the swap copy (folio_free_swap sets PG_dirty); a read swap-in leaves the page in
    // the swap cache, which madvise_free_pte_range treats alike: with pid 2 mapping them too,
    // both are skipped and pid 1's ptes stay young.
    for sc in scheme_names() {
        let mut s = run(
            sc,
            &[
                "mmap 1 0x10000 2",
                "write 1 0x10000 2",
                "swapout 1 0x10000",
                "swapout 1 0x11000",
                "write 1 0x10000",
                "read 1 0x11000",
                "fork 1 2",
            ],
        );
        let pages = [page(&s, 1, 0x10000), page(&s, 1, 0x11000)];
        assert_eq!(step(&mut s, "madvise 1 0x10000 2 free"), None, "{sc}");
        for (p, a) in pages.into_iter().zip([0x10000, 0x11000]) {
            assert!(!s.machine.pages.get(p).is_lazyfree(), "{sc} {a:#x}");
            assert!(young_dirty(&s, 1, a).0, "{sc} {a:#x}: still young");
        }
    }
}

#[test]
fn a_zapped_dirty_pte_leaves_an_anonymous_page_clean() {
    // zap_present_folio_ptes moves a dirty pte's bit to a page-cache page only: pid 4, a child
    // that exits, held a dirty pte of the page pid 1 wrote, and the page keeps PG_dirty clear,
    // so MADV_FREE marks it although pid 3 maps it too.
    for sc in scheme_names() {
        let mut s = run(
            sc,
            &[
                "mmap 1 0x10000 1",
                "write 1 0x10000",
                "fork 1 3",
                "fork 1 4",
                "exit 4",
            ],
        );
        let p = page(&s, 1, 0x10000);
        assert!(!s.machine.pages.get(p).is_dirty(), "{sc}");
        assert_eq!(step(&mut s, "madvise 1 0x10000 1 free"), None, "{sc}");
        assert!(s.machine.pages.get(p).is_lazyfree(), "{sc}");
        assert_eq!(young_dirty(&s, 1, 0x10000), (false, false), "{sc}");
    }
}
