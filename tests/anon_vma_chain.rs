//! `anon-vma-chain` (2.6.34 - 3.6) against the AVC columns of docs/semantics.md §7, the AVC
//! storm of §5.4 and the repeated-fork chain of §5.6 / §7 S6.

mod common;
use common::*;

use rmapviz::scenario::{Scenario, storm};
use rmapviz::session::{Simulation, replay};

const AVC: &str = "anon-vma-chain";

/// Number of anon_vma objects a scheme holds now.
fn anon_vmas(sim: &Simulation) -> usize {
    sim.scheme
        .rmap_graph(&sim.machine)
        .objects
        .iter()
        .filter(|o| o.kind == "anon_vma")
        .count()
}

#[test]
fn s1_the_parents_anon_vma_lists_both_vmas_oldest_first() {
    // §7 S1 AVC: P's anon_vma has AVCs {P-vma, C-vma}: 2H. §3.8: list_add_tail, oldest first.
    let w = &walks(&run("S1", AVC))[0];
    assert_eq!(visits(w), vec![(1, H), (2, H)]);
    assert!(w.unmapped_all);
}

#[test]
fn s2_a_childs_copy_is_found_in_one_step_the_parents_original_within_the_bound() {
    // §7 S2 AVC/MOD: (a) 1 (child's own anon_vma); (b) <= N M + 1 H; (c) <= N M. N = 3.
    let w = walks(&run("S2", AVC));
    assert_eq!(visits(&w[0]), vec![(2, H)], "(a)");
    assert_eq!(w[0].object, "av2", "(a) child 2's own anon_vma");
    assert_eq!(w[1].hit, 1, "(b)");
    assert!(w[1].miss <= 3, "(b) at most N misses");
    assert_eq!(w[1].object, "av1", "(b) the root anon_vma");
    assert_eq!(w[2].hit, 2, "(c)");
    assert!(w[2].miss <= 3, "(c) at most N misses");
    assert!(w.iter().all(|w| w.unmapped_all && w.lost.is_empty()));
}

#[test]
fn s3_the_moved_vma_keeps_its_pgoff_and_both_ptes_are_found() {
    // §7 S3 AVC: copy_vma keeps pgoff, anon_vma_clone; 2H; nothing copied.
    let r = run("S3", AVC);
    assert_eq!(counts(&walks(&r)[0]), (2, 0, 0, 0, 0));
    assert_eq!(r.steps[3].totals.pages, 4);
}

#[test]
fn s4_the_checkerboard_pieces_all_sit_on_one_list() {
    // §7 S4 AV/AVC: all pieces on one list: worst case pieces-1 O + 1 H; then re-merge to one.
    let r = run("S4", AVC);
    assert_eq!(r.steps[9].totals.vmas, 16);
    let w = walks(&r);
    assert_eq!((w[0].hit, w[0].miss, w[0].skip), (1, 0, 0));
    assert!(w[0].out <= 15);
    assert_eq!(r.steps[11].totals.vmas, 1);
    assert_eq!(counts(&w[1]), (1, 0, 0, 0, 0));
}

#[test]
fn s4_a_page_in_the_newest_piece_makes_the_list_walk_step_over_every_older_piece() {
    // §7 S4 worst case: the target is the last candidate in walk order. Splitting from the top
    // down leaves the piece at page 2 as the newest AVC on the list (§3.8: oldest first).
    let mut steps = vec![
        "Mmap(pid: 1, addr: 0x10000, pages: 8)".to_string(),
        "Write(pid: 1, addr: 0x10000, pages: 8)".to_string(),
    ];
    for page in (1..8).rev().step_by(2) {
        steps.push(format!(
            "Mprotect(pid: 1, addr: {:#x}, pages: 1, prot: \"r\")",
            0x10000 + page * 0x1000
        ));
    }
    steps.push("SwapOut(pid: 1, addr: 0x12000)".to_string());
    let text = format!("Scenario(steps: [{}])", steps.join(", "));
    let r = run_ron(&text, AVC);
    let vmas = r.steps[5].totals.vmas;
    assert_eq!(vmas, 8);
    let w = &walks(&r)[0];
    assert_eq!(
        counts(w),
        (1, 0, 7, 0, 0),
        "every older piece OUT, then the HIT"
    );
    assert_eq!(w.visits.last().map(|v| v.outcome), Some(H));
    // The interval tree of `modern` goes straight to the piece.
    assert_eq!(
        counts(&walks(&run_ron(&text, "modern"))[0]),
        (1, 0, 0, 0, 0)
    );
}

#[test]
fn s5_exec_unlinks_the_children() {
    // §7 S5 AVC/MOD: AVCs unlinked, children's anon_vmas freed: 2H.
    let w = &walks(&run("S5", AVC))[0];
    assert_eq!(counts(w), (2, 0, 0, 0, 0));
    let pids: Vec<u32> = w.visits.iter().map(|v| v.pid).collect();
    assert_eq!(
        pids,
        vec![1, 4],
        "oldest first: the parent, then the child that stayed"
    );
}

/// §7 S6: `generations` times: the current process forks, the parent exits, the child writes.
fn fork_chain(scheme: &str, generations: u32) -> Vec<(usize, u64)> {
    let mut sim = Simulation::by_name(scheme).unwrap();
    let setup = "Scenario(steps: [Mmap(pid: 1, addr: 0x10000, pages: 2), Write(pid: 1, addr: 0x10000, pages: 2)])";
    for op in Scenario::parse(setup, "s6").unwrap().ops() {
        assert!(sim.step(op, false).error.is_none());
    }
    let mut out = Vec::new();
    for g in 1..=generations {
        let text = format!(
            "Scenario(steps: [Fork(pid: {g}, child: {}), Exit(pid: {g}), Write(pid: {}, addr: 0x10000)])",
            g + 1,
            g + 1
        );
        for op in Scenario::parse(&text, "s6").unwrap().ops() {
            let r = sim.step(op, false);
            assert!(r.error.is_none(), "{scheme}: {op}: {:?}", r.error);
        }
        let vmas: usize = sim.machine.procs.values().map(|p| p.mm.vmas.len()).sum();
        assert_eq!(vmas, 1, "one live process with one vma");
        let totals = sim.machine.totals(sim.scheme.as_ref());
        out.push((anon_vmas(&sim), totals.rmap_objects));
    }
    out
}

#[test]
fn s6_the_repeated_fork_chain_grows_without_bound_under_anon_vma_chain_only() {
    // §7 S6 / §5.6: AVC 2.6.34 - 3.18: +1 anon_vma level and +1 AVC per generation, never freed;
    // MOD: reuse keeps anon_vmas <= 2x vmas; AV: one family anon_vma.
    const G: u32 = 12;
    let avc = fork_chain(AVC, G);
    for (g, &(avs, _)) in avc.iter().enumerate() {
        assert!(avs > g + 1, "generation {}: {avs} anon_vmas", g + 1);
    }
    assert!(
        avc.windows(2).all(|w| w[1].0 > w[0].0 && w[1].1 > w[0].1),
        "{avc:?}"
    );
    // Modern: bounded. Konstantin Khlebnikov's "no more than two times bigger than count of
    // vmas" (§5.6) plus the family's root, which every descendant's chain keeps alive: with one
    // vma, the root, the live process's own anon_vma and one idle one waiting for reuse.
    let md = fork_chain("modern", G);
    assert!(md.iter().all(|&(avs, _)| avs <= 2 + 1), "modern: {md:?}");
    assert_eq!(
        md[G as usize - 1],
        md[2],
        "modern reaches a steady state: {md:?}"
    );
    let av = fork_chain("anon-vma", G);
    assert!(av.iter().all(|&(avs, _)| avs == 1), "anon-vma: {av:?}");
}

#[test]
fn s7_faulted_neighbours_do_not_merge_and_a_spanning_mremap_fails() {
    // §7 S7 AV/AVC/MOD: no merge, later spanning mremap -EFAULT.
    let r = run("S7", AVC);
    assert_eq!(r.steps[4].totals.vmas, 2);
    let e = r.steps[6].error.as_ref().map(ToString::to_string);
    assert!(e.is_some_and(|e| e.contains("EFAULT")));
    assert_eq!(counts(&walks(&r)[0]), (1, 0, 0, 0, 0));
}

#[test]
fn s8_the_reused_page_moves_to_the_writers_own_anon_vma() {
    // §7 S8 AVC after c44b674: 1H.
    let w = &walks(&run("S8", AVC))[0];
    assert_eq!(visits(w), vec![(2, H)]);
    assert_ne!(w.object, "av1");
}

#[test]
fn s9_a_non_exclusive_swapin_points_at_the_root_anon_vma() {
    // §7 S9: the root rule: after the child exits the parent's walk still works: 1H via root.
    let r = run("S9", AVC);
    let w = walks(&r);
    assert_eq!(counts(&w[0]), (2, 0, 0, 0, 0));
    assert_eq!(r.steps[5].totals.pages, 1);
    assert_eq!(counts(&w[1]), (1, 0, 0, 0, 0));
    assert_eq!(w[1].object, "av1");
}

#[test]
fn s10_file_pages_go_through_a_prio_tree() {
    // §7 S10: P's vma (M) then Q's (H); the copy through the anon side.
    let w = walks(&run("S10", AVC));
    assert_eq!(visits(&w[0]), vec![(1, M), (2, H)]);
    assert_eq!(counts(&w[1]), (1, 0, 0, 0, 0));
    assert!(w[1].object.starts_with("av"));
}

#[test]
fn s11_both_pieces_share_the_list() {
    // §7 S11 AV/AVC: the two pieces share the anon_vma; the walk visits at most both. Oldest
    // first, the left (original) piece comes first, so page 0 is found at once and page 2 after
    // one OUT.
    let r = run("S11", AVC);
    assert_eq!(r.steps[2].totals.vmas, 2);
    let w = &walks(&r)[0];
    assert_eq!(visits(w), vec![(1, H)]);
    let text = "Scenario(steps: [Mmap(pid: 1, addr: 0x10000, pages: 3), Write(pid: 1, addr: 0x10000, pages: 3), Munmap(pid: 1, addr: 0x11000, pages: 1), SwapOut(pid: 1, addr: 0x12000)])";
    assert_eq!(visits(&walks(&run_ron(text, AVC))[0]), vec![(1, O), (1, H)]);
}

#[test]
fn s12_the_root_anon_vma_outlives_the_parent() {
    // §7 S12 AVC/MOD: P's anon_vma (root) stays alive, referenced by C's chain.
    let r = run("S12", AVC);
    let w = walks(&r);
    assert_eq!(visits(&w[0]), vec![(2, H)]);
    assert_eq!(w[0].object, "av1");
    // av1 (root) + av2 (the child's own) + the child's two AVCs.
    assert_eq!(r.steps[3].totals.rmap_objects, 4);
}

#[test]
fn the_avc_storm_costs_anon_vma_n_candidates_per_child_page_and_avc_one() {
    // §5.4 (Rik van Riel, 2010): N children each COW every page. anon-vma: a child's page is
    // searched in the whole family (O(N)); anon-vma-chain and modern: in one vma.
    const N: u32 = 24;
    let s = storm(N, 3);
    let av = walks(&replay(&s, "anon-vma", false).unwrap());
    // (a) child 2's copy: the newest-first family list reaches child 2 last of the children.
    assert_eq!(av[0].candidates(), N);
    assert_eq!((av[0].hit, av[0].miss), (1, N - 1));
    for scheme in [AVC, "modern"] {
        let w = walks(&replay(&s, scheme, false).unwrap());
        assert_eq!(visits(&w[0]), vec![(2, H)], "{scheme}: (a)");
        // (b) the parent's original still points at the root: at most N misses.
        assert_eq!(w[1].hit, 1, "{scheme}: (b)");
        assert!(w[1].miss <= N, "{scheme}: (b)");
    }
}
