//! `anon-vma-global` and `anon-vma-global-prio` against docs/semantics.md §3.5 and the AV / AVG
//! columns of §7, and Andrea Arcangeli's two claims about them (12 Mar 2004): the global object
//! scans vmas of other address spaces for memory made after fork, and a prio_tree on top cannot
//! avoid the misses on copy-on-write copies.

mod common;
use common::*;

const AVG: &str = "anon-vma-global";
const PRIO: &str = "anon-vma-global-prio";

#[test]
fn s1_fork_family_list_newest_first() {
    // §7 S1 AV / AVG: list {C-vma, P-vma}: 2H.
    let w = &walks(&run("S1", AVG))[0];
    assert_eq!(visits(w), vec![(2, H), (1, H)]);
    // The prio_tree: equal pgoff, insertion order.
    assert_eq!(visits(&walks(&run("S1", PRIO))[0]), vec![(1, H), (2, H)]);
}

#[test]
fn s2_every_copy_still_points_at_the_family_object() {
    // §7 S2 AV / AVG: (a), (b): up to N+1 vmas, all in range: <= N M + 1 H. (c) <= N M. N = 3.
    for s in [AVG, PRIO] {
        let w = walks(&run("S2", s));
        for (i, w) in w.iter().enumerate() {
            let want_hits = if i == 2 { 2 } else { 1 };
            assert_eq!((w.hit, w.out, w.skip), (want_hits, 0, 0), "{s} walk {i}");
            assert!(w.miss <= 3, "{s} walk {i}: at most N misses");
            assert!(w.unmapped_all && w.lost.is_empty(), "{s} walk {i}");
            assert_eq!(w.object, "av1", "{s}: one object for the family");
        }
        // (a) child 2's copy, newest first: children 4 and 3 MISS before child 2.
        if s == AVG {
            assert_eq!(visits(&w[0]), vec![(4, M), (3, M), (2, H)]);
        }
    }
}

#[test]
fn s3_mremap_keeps_pgoff_and_both_ptes_are_found() {
    // §7 S3 AV / AVG: new vma keeps old pgoff; 2H.
    for s in [AVG, PRIO] {
        let r = run("S3", s);
        assert_eq!(counts(&walks(&r)[0]), (2, 0, 0, 0, 0), "{s}");
        assert_eq!(r.steps[3].totals.pages, 4, "{s}: no copies");
    }
}

#[test]
fn s4_checkerboard_list_versus_tree() {
    // §7 S4 AV: all pieces on one list: <= pieces-1 O + 1 H. A pgoff tree: 1 H.
    let r = run("S4", AVG);
    assert_eq!(r.steps[9].totals.vmas, 16);
    let w = walks(&r);
    assert_eq!((w[0].hit, w[0].miss), (1, 0));
    assert!(w[0].out >= 1 && w[0].out <= 15);
    assert_eq!(r.steps[11].totals.vmas, 1, "pieces re-merge (linear pgoff)");
    let p = walks(&run("S4", PRIO));
    assert_eq!(counts(&p[0]), (1, 0, 0, 0, 0));
    assert_eq!(counts(&p[1]), (1, 0, 0, 0, 0));
}

#[test]
fn s5_exec_leaves_the_family() {
    // §7 S5 AV / AVG: exec'ed vmas unlinked: list {P, child}: 2H. The exec'd child's new
    // memory belongs to a new family object.
    for s in [AVG, PRIO] {
        let r = run("S5", s);
        let w = &walks(&r)[0];
        assert_eq!(counts(w), (2, 0, 0, 0, 0), "{s}");
        let mut pids: Vec<u32> = w.visits.iter().map(|v| v.pid).collect();
        pids.sort_unstable();
        assert_eq!(pids, vec![1, 4], "{s}");
        assert_eq!(w.object, "av1", "{s}");
        // av1 (P and child 4) + av2 (pid 2's new program).
        assert_eq!(r.steps[8].totals.rmap_objects, 2, "{s}");
    }
}

#[test]
fn s6_the_fork_chain_keeps_one_family_object() {
    // §7 S6 AV / AVG: one family anon_vma, however many generations.
    let mut steps = vec![
        "Mmap(pid: 1, addr: 0x10000, pages: 2)".to_string(),
        "Write(pid: 1, addr: 0x10000, pages: 2)".to_string(),
    ];
    for g in 1..=10 {
        steps.push(format!("Fork(pid: {g}, child: {})", g + 1));
        steps.push(format!("Exit(pid: {g})"));
        steps.push(format!("Write(pid: {}, addr: 0x10000)", g + 1));
    }
    let text = format!("Scenario(steps: [{}])", steps.join(", "));
    for s in [AVG, PRIO] {
        let r = run_ron(&text, s);
        assert_eq!(r.failures(), 0);
        assert!(
            r.steps[1..].iter().all(|st| st.totals.rmap_objects == 1),
            "{s}"
        );
    }
}

#[test]
fn s7_nonlinear_pgoff_forbids_the_merge() {
    // §3.5: "forbid merging VMAs with different vm_pgoff"; §7 S7: the spanning mremap fails.
    for s in [AVG, PRIO] {
        let r = run("S7", s);
        assert_eq!(r.steps[4].totals.vmas, 2, "{s}");
        let e = r.steps[6].error.as_ref().map(ToString::to_string);
        assert!(e.is_some_and(|e| e.contains("EFAULT")), "{s}");
        assert_eq!(walks(&r)[0].hit, 1, "{s}");
    }
}

#[test]
fn s8_the_reused_page_stays_on_the_family_object() {
    // §7 S8 AV: family anon_vma: <= family-size probes.
    for s in [AVG, PRIO] {
        let w = &walks(&run("S8", s))[0];
        assert_eq!(w.hit, 1, "{s}");
        assert!(w.visits.len() <= 3, "{s}");
        assert_eq!(w.object, "av1", "{s}");
    }
    assert_eq!(visits(&walks(&run("S8", AVG))[0]), vec![(3, M), (2, H)]);
}

#[test]
fn s9_any_remapper_uses_the_family_object() {
    // §7 S9 AV: any re-mapper sets the family anon_vma: safe.
    for s in [AVG, PRIO] {
        let r = run("S9", s);
        let w = walks(&r);
        assert_eq!(counts(&w[0]), (2, 0, 0, 0, 0), "{s}");
        assert_eq!(r.steps[5].totals.pages, 1, "{s}");
        assert_eq!(counts(&w[1]), (1, 0, 0, 0, 0), "{s}");
        assert_eq!(w[1].object, "av1", "{s}");
    }
}

#[test]
fn s10_file_pages_through_the_2004_i_mmap_list() {
    // §7 S10: P's vma (M), then Q's (H); the copy through the anon side.
    for s in [AVG, PRIO] {
        let w = walks(&run("S10", s));
        assert_eq!(visits(&w[0]), vec![(1, M), (2, H)], "{s}");
        assert_eq!(counts(&w[1]), (1, 0, 0, 0, 0), "{s}");
    }
}

#[test]
fn s11_partial_munmap_list_visits_both_pieces_tree_one() {
    // §7 S11 AV: both pieces (right piece O), newest first. Tree: 1H.
    assert_eq!(visits(&walks(&run("S11", AVG))[0]), vec![(1, O), (1, H)]);
    assert_eq!(visits(&walks(&run("S11", PRIO))[0]), vec![(1, H)]);
}

#[test]
fn s12_the_family_object_survives_the_parent() {
    // §7 S12 AV: P's vmas unlinked; the object survives on C's vmas.
    for s in [AVG, PRIO] {
        let w = walks(&run("S12", s));
        assert_eq!(visits(&w[0]), vec![(2, H)], "{s}");
        assert_eq!(w[0].object, "av1", "{s}");
        assert_eq!(run("S12", s).steps[3].totals.rmap_objects, 1, "{s}");
    }
}

/// Child and parent each map and write new memory after the fork, at the same address; the
/// child maps some more elsewhere. Then a page of each is reclaimed.
const AFTER_FORK: &str = r#"Scenario(steps: [
    Mmap(pid: 1, addr: 0x10000, pages: 4),
    Write(pid: 1, addr: 0x10000, pages: 4),
    Fork(pid: 1, child: 2),
    Mmap(pid: 2, addr: 0x40000, pages: 2),
    Write(pid: 2, addr: 0x40000, pages: 2),
    Mmap(pid: 1, addr: 0x40000, pages: 2),
    Write(pid: 1, addr: 0x40000, pages: 2),
    Mmap(pid: 2, addr: 0x80000, pages: 2),
    Write(pid: 2, addr: 0x80000, pages: 2),
    SwapOut(pid: 2, addr: 0x41000),
    SwapOut(pid: 1, addr: 0x41000),
])"#;

#[test]
fn anon_vma_global_scans_other_address_spaces_for_memory_made_after_fork() {
    // §3.5: the global object holds vmas a member creates after fork, so a walk of such private
    // memory visits "very old vma segments in other address spaces"; anon-vma gives such a vma
    // an anon_vma of its own (§3.4) and visits only it.
    let av = walks(&run_ron(AFTER_FORK, "anon-vma"));
    assert_eq!(visits(&av[0]), vec![(2, H)]);
    assert_eq!(visits(&av[1]), vec![(1, H)]);
    // The family list, newest first: [C 0x80000, P 0x40000, C 0x40000, C 0x10000, P 0x10000].
    let g = walks(&run_ron(AFTER_FORK, AVG));
    // The child's page: its other vma (OUT), the parent's vma at the same pgoff (MISS), the HIT.
    assert_eq!(visits(&g[0]), vec![(2, O), (1, M), (2, H)]);
    // The parent's page: the child's newest vma (OUT) before the HIT.
    assert_eq!(visits(&g[1]), vec![(2, O), (1, H)]);
    // The prio_tree drops the OUTs, but a vma of the other process at the same pgoff is still
    // probed (equal starts in insertion order: the child's 0x40000 vma first).
    let p = walks(&run_ron(AFTER_FORK, PRIO));
    assert_eq!(visits(&p[0]), vec![(2, H)]);
    assert_eq!(visits(&p[1]), vec![(2, M), (1, H)]);
}

#[test]
fn anon_vma_global_prio_still_misses_on_copy_on_write_copies() {
    // §3.5 (Andrea): a prio_tree "would not fix it because the vma ranges could match fine in
    // all address spaces ... but the pages would be different ... and there can be copy on
    // writes". Every child copies every page; the parent's original is walked.
    const N: u32 = 5;
    let mut steps = vec![
        "Mmap(pid: 1, addr: 0x10000, pages: 2)".to_string(),
        "Write(pid: 1, addr: 0x10000, pages: 2)".to_string(),
    ];
    for c in 2..=N + 1 {
        steps.push(format!("Fork(pid: 1, child: {c})"));
    }
    for c in 2..=N + 1 {
        steps.push(format!("Write(pid: {c}, addr: 0x10000, pages: 2)"));
    }
    steps.push(format!("SwapOut(pid: {}, addr: 0x11000)", N + 1));
    let text = format!("Scenario(steps: [{}])", steps.join(", "));
    // The youngest child's copy: the tree returns every family vma covering the index, in
    // insertion order: the parent and the N-1 older children MISS before the HIT.
    let w = &walks(&run_ron(&text, PRIO))[0];
    assert_eq!(counts(w), (1, N, 0, 0, 0));
    assert_eq!(
        w.visits.last().map(|v| (v.pid, v.outcome)),
        Some((N + 1, H))
    );
    // anon-vma-chain's own anon_vma per child finds it at once.
    assert_eq!(
        counts(&walks(&run_ron(&text, "anon-vma-chain"))[0]),
        (1, 0, 0, 0, 0)
    );
}
