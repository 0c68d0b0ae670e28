//! The built-in teaching scenarios under `anon-vma` and `modern`, checked against the walk
//! results that docs/semantics.md §7 gives (and the kernel orders of its §2.2).

mod common;
use common::*;

const SCHEMES: [&str; 2] = ["anon-vma", "modern"];

#[test]
fn every_builtin_replays_under_both_schemes_without_panicking() {
    for b in rmapviz::scenario::BUILTINS.iter() {
        for s in SCHEMES {
            let r = run(b.name, s);
            assert_eq!(
                r.steps.len(),
                rmapviz::scenario::Scenario::parse(b.source, b.name)
                    .unwrap()
                    .steps
                    .len()
            );
        }
    }
}

#[test]
fn s1_fork_then_reclaim_finds_both_ptes() {
    // §7 S1: AV list {C-vma, P-vma}: 2H; MOD tree returns P-vma, C-vma: 2H.
    let av = walks(&run("S1", "anon-vma"));
    assert_eq!(
        visits(&av[0]),
        vec![(2, H), (1, H)],
        "anon_vma list is newest first"
    );
    let md = walks(&run("S1", "modern"));
    assert_eq!(
        visits(&md[0]),
        vec![(1, H), (2, H)],
        "interval tree: equal pgoff, insertion order"
    );
    for w in [&av[0], &md[0]] {
        assert!(w.unmapped_all);
        assert!(w.lost.is_empty());
    }
}

#[test]
fn s2_cow_storm_scans_the_family_under_anon_vma_only() {
    // §7 S2 with N = 3 children: (a) AV up to N+1 vmas, <= N M + 1 H; AVC/MOD 1.
    let av = walks(&run("S2", "anon-vma"));
    let md = walks(&run("S2", "modern"));
    // (a) child 2's copy: newest-first list [4, 3, 2, 1] stops at child 2.
    assert_eq!(visits(&av[0]), vec![(4, M), (3, M), (2, H)]);
    assert_eq!(visits(&md[0]), vec![(2, H)]);
    // (b) the parent's original: AV probes every child before the parent.
    assert_eq!(visits(&av[1]), vec![(4, M), (3, M), (2, M), (1, H)]);
    assert!(md[1].miss <= 3 && md[1].hit == 1, "MOD: <= N M + 1 H");
    // (c) shared by the parent and child 4 only: both found among four processes.
    for w in [&av[2], &md[2]] {
        assert_eq!(w.hit, 2);
        assert!(w.miss <= 3);
        assert!(w.unmapped_all);
    }
    // 4 original pages + 4 + 4 + 3 copies.
    let r = run("S2", "modern");
    assert_eq!(r.steps[7].totals.pages, 15);
}

#[test]
fn s3_moved_pte_is_found_through_vm_pgoff() {
    // §7 S3: AV / MOD: new vma keeps old pgoff; 2H.
    for s in SCHEMES {
        let r = run("S3", s);
        let w = &walks(&r)[0];
        assert_eq!(counts(w), (2, 0, 0, 0, 0), "{s}");
        let hits: Vec<(u32, Option<u64>)> = w.visits.iter().map(|v| (v.pid, v.addr)).collect();
        assert!(
            hits.contains(&(1, Some(0x81000))),
            "{s}: the parent's moved pte at 0x81000"
        );
        assert!(hits.contains(&(2, Some(0x11000))), "{s}");
        assert_eq!(r.steps[3].totals.pages, 4, "{s}: mremap copies nothing");
    }
    // anon_vma: copy_vma links the moved vma at the head; modern: C was inserted before P'.
    assert_eq!(
        visits(&walks(&run("S3", "anon-vma"))[0]),
        vec![(1, H), (2, H)]
    );
    assert_eq!(
        visits(&walks(&run("S3", "modern"))[0]),
        vec![(2, H), (1, H)]
    );
}

#[test]
fn s4_checkerboard_list_walk_steps_over_every_piece_tree_walk_does_not() {
    // §7 S4: AV: all pieces on one list: O for every other piece + 1 H; MOD: 1 H.
    let r = run("S4", "anon-vma");
    assert_eq!(r.steps[9].totals.vmas, 16);
    let w = &walks(&r)[0];
    assert_eq!(w.hit, 1);
    assert_eq!(w.miss, 0);
    assert!(w.out >= 1 && w.out <= 15);
    assert_eq!(w.visits.last().map(|v| v.outcome), Some(H));
    let m = run("S4", "modern");
    assert_eq!(m.steps[9].totals.vmas, 16);
    assert_eq!(counts(&walks(&m)[0]), (1, 0, 0, 0, 0));
    // mprotect everything back: re-merged to one vma.
    for r in [&r, &m] {
        assert_eq!(r.steps[11].totals.vmas, 1);
        assert_eq!(counts(&walks(r)[1]), (1, 0, 0, 0, 0));
    }
}

#[test]
fn s5_exec_removes_children_from_the_walk() {
    // §7 S5: exec'ed vmas unlinked: list {P, child}: 2H.
    for s in SCHEMES {
        let r = run("S5", s);
        let w = &walks(&r)[0];
        assert_eq!(counts(w), (2, 0, 0, 0, 0), "{s}");
        let pids: Vec<u32> = w.visits.iter().map(|v| v.pid).collect();
        assert!(pids.contains(&1) && pids.contains(&4), "{s}: {pids:?}");
    }
}

#[test]
fn s7_faulted_neighbours_do_not_merge() {
    // §7 S7: AV / AVC / MOD: no merge; a later single mremap spanning A+B fails with EFAULT
    // (a resizing one: since Linux 6.17 a size-keeping move may span vmas, see
    // model_semantics.rs).
    for s in SCHEMES {
        let r = run("S7", s);
        assert_eq!(r.steps[4].totals.vmas, 2, "{s}");
        let e = r.steps[6]
            .error
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        assert!(e.contains("EFAULT"), "{s}: {e}");
        assert_eq!(counts(&walks(&r)[0]), (1, 0, 0, 0, 0), "{s}");
    }
}

#[test]
fn s8_reused_page_moves_to_own_anon_vma_in_modern() {
    // §7 S8: AV: family anon_vma, <= family-size probes; MOD: 1H.
    let av = walks(&run("S8", "anon-vma"));
    assert_eq!(av[0].hit, 1);
    assert!(av[0].visits.len() <= 3);
    assert_eq!(visits(&av[0]), vec![(3, M), (2, H)]);
    let md = walks(&run("S8", "modern"));
    assert_eq!(visits(&md[0]), vec![(2, H)]);
    assert_ne!(md[0].object, "av1", "the page left the root anon_vma");
}

#[test]
fn s9_swapin_by_the_child_first_then_the_parent_shares_one_page() {
    for s in SCHEMES {
        let r = run("S9", s);
        let w = walks(&r);
        assert_eq!(
            counts(&w[0]),
            (2, 0, 0, 0, 0),
            "{s}: both ptes become swap entries"
        );
        // §6.2 observed: C maps the swap-cache page (mapcount 1), then P maps the same page (2).
        assert_eq!(r.steps[4].totals.pages, 1, "{s}");
        assert_eq!(
            r.steps[5].totals.pages, 1,
            "{s}: the parent maps the same swap-cache page"
        );
        assert_eq!(r.steps[5].totals.ptes, 2, "{s}");
        assert_eq!(
            counts(&w[1]),
            (1, 0, 0, 0, 0),
            "{s}: after the child exits, one HIT"
        );
    }
    // MOD: the non-exclusive swap-in points the page at the root anon_vma (av1), so the
    // parent's walk still finds it after the child (and its anon_vma) is gone.
    assert_eq!(walks(&run("S9", "modern"))[1].object, "av1");
}

#[test]
fn s10_file_walk_misses_in_the_writers_vma() {
    // §7 S10: the file walk visits P's VMA (M: it maps the anon copy) then Q's VMA (H).
    for s in SCHEMES {
        let r = run("S10", s);
        let w = walks(&r);
        assert_eq!(visits(&w[0]), vec![(1, M), (2, H)], "{s}");
        assert!(w[0].object.contains("data.bin"));
        assert_eq!(
            counts(&w[1]),
            (1, 0, 0, 0, 0),
            "{s}: the copy is found through the anon side"
        );
        assert!(w[1].object.starts_with("av"));
        assert!(
            r.steps[8].error.is_none(),
            "{s}: the dropped page is read back"
        );
    }
}

#[test]
fn s11_partial_munmap() {
    // §7 S11: AV: both remaining pieces (right piece O); MOD: 1H via tree.
    assert_eq!(
        visits(&walks(&run("S11", "anon-vma"))[0]),
        vec![(1, O), (1, H)]
    );
    assert_eq!(visits(&walks(&run("S11", "modern"))[0]), vec![(1, H)]);
    assert_eq!(run("S11", "modern").steps[2].totals.vmas, 2);
}

#[test]
fn s12_parent_exits_first_and_the_child_is_still_found() {
    // §7 S12: AV: the anon_vma survives on C's vma; AVC/MOD: P's root anon_vma stays alive.
    for s in SCHEMES {
        let w = walks(&run("S12", s));
        assert_eq!(visits(&w[0]), vec![(2, H)], "{s}");
        assert_eq!(
            w[0].object, "av1",
            "{s}: the page still points at the parent's object"
        );
        assert_eq!(w[1].referenced, 0, "{s}: fork copies the child's pte old");
    }
    let r = run("S12", "modern");
    // av1 (root, kept) + av2 (child's) + the child's two AVCs.
    assert_eq!(r.steps[3].totals.rmap_objects, 4);
}
