//! The teaching scenarios of docs/semantics.md §7 under the four designs of the March 2004
//! debate: `pte-chain` (the PTEC column), `anonmm` and `anonmm-naive` (the AMM column, rmap 10
//! with and without rmap 11, and the naive row of S3), and `anon-vma-rfc2` (the AV column once
//! a fork has made an anon_vma; before a fork its pages point straight at their vma, §3.4
//! RFC2). Expected values come from the tables and from the mechanics of §3.1, §3.3 and §3.4;
//! the rows without a built-in scenario (S6) are written out here.

mod common;
use common::*;
use rmapviz::model::Outcome;

const PTEC: &str = "pte-chain";
const AMM: &str = "anonmm";
const NAIVE: &str = "anonmm-naive";
const RFC2: &str = "anon-vma-rfc2";
const ALL: [&str; 4] = [PTEC, AMM, NAIVE, RFC2];

#[test]
fn every_builtin_replays_under_the_2004_designs() {
    for b in rmapviz::scenario::BUILTINS.iter() {
        for s in ALL {
            let r = run(b.name, s);
            for st in &r.steps {
                if let Some(w) = &st.walk {
                    assert_eq!(
                        w.hit as usize + w.lost.len(),
                        w.mapcount as usize,
                        "{s} {}: {} every pte is either found or LOST",
                        b.name,
                        st.op
                    );
                    if s != NAIVE {
                        assert!(
                            w.lost.is_empty(),
                            "{s} {}: {} lost {:?}",
                            b.name,
                            st.op,
                            w.lost
                        );
                    }
                    if s == PTEC {
                        assert_eq!(
                            (w.miss, w.out, w.skip),
                            (0, 0, 0),
                            "{s}: every chain entry is a HIT"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn s1_fork_then_reclaim() {
    // §7 S1. PTEC: 2 chain slots, 2H. AMM: indicated mm P: H; ring -> C: H; s = 2 mms.
    let w = &walks(&run("S1", PTEC))[0];
    assert_eq!(counts(w), (2, 0, 0, 0, 0));
    assert_eq!(w.nodes_visited, 1, "two slots fit in one chain block");
    for s in [AMM, NAIVE] {
        let w = &walks(&run("S1", s))[0];
        assert_eq!(visits(w), vec![(1, H), (2, H)], "{s}");
        assert_eq!(
            w.object, "anonmm1",
            "{s}: the parent's anonmm is the indicated one"
        );
    }
    // AV: list {C-vma, P-vma}: 2H. RFC2's page_add_rmap_fork links the child's vma and then
    // the parent's at the head of a new anon_vma, so the parent comes first.
    let w = &walks(&run("S1", RFC2))[0];
    assert_eq!(visits(w), vec![(1, H), (2, H)]);
    assert_eq!(w.object, "av1");
}

#[test]
fn s2_cow_storm() {
    // §7 S2 with N = 3 children; the third leaves the last page shared with the parent.
    // (a) a child's copy: PTEC 1 (direct), AMM 1 (indicated = that child).
    // (b) the parent's original: PTEC 1, AMM 1 (indicated = P).
    // (c) shared by P and child 4 only: AMM probes the ring until child 4 (<= N M); PTEC 2 slots.
    for s in [PTEC, AMM, NAIVE] {
        let r = run("S2", s);
        let w = walks(&r);
        assert_eq!(visits(&w[0]), vec![(2, H)], "{s} (a)");
        assert_eq!(visits(&w[1]), vec![(1, H)], "{s} (b)");
        assert_eq!(
            r.steps[7].totals.pages, 15,
            "{s}: 4 originals + 4 + 4 + 3 copies"
        );
    }
    // Child 2's copies are p5-p8; page 1 is p6.
    assert_eq!(walks(&run("S2", PTEC))[0].object, "pte.direct of p6");
    assert_eq!(counts(&walks(&run("S2", PTEC))[2]), (2, 0, 0, 0, 0), "(c)");
    for s in [AMM, NAIVE] {
        // The ring in fork order from the indicated parent: children 2 and 3 map their own
        // copies at that address (MISS), child 4 the original (HIT).
        let w = &walks(&run("S2", s))[2];
        assert_eq!(visits(w), vec![(1, H), (2, M), (3, M), (4, H)], "{s} (c)");
        assert!(w.miss <= 3);
    }
    // RFC2, as AV for pages shared at fork: up to N+1 vmas, <= N M + 1 H. A copy made after
    // the fork points straight at its vma (the posted do_wp_page -> page_add_rmap sets
    // PG_direct), so (a) costs one probe.
    let r = run("S2", RFC2);
    let w = walks(&r);
    assert_eq!(visits(&w[0]), vec![(2, H)], "(a) a direct page");
    assert!(w[0].object.contains("PG_direct"));
    for (i, hits) in [(1, 1), (2, 2)] {
        assert_eq!(w[i].hit, hits);
        assert!(w[i].miss <= 3 && w[i].out == 0 && w[i].lost.is_empty());
        assert_eq!(
            w[i].object, "av1",
            "the family anon_vma made at the first fork"
        );
    }
    assert_eq!(r.steps[7].totals.pages, 15);
}

#[test]
fn s3_fork_then_parent_mremap_moves_shared_pages() {
    // §7 S3. PTEC: moved ptes re-registered in the chain: 2H.
    let r = run("S3", PTEC);
    let w = &walks(&r)[0];
    assert_eq!(counts(w), (2, 0, 0, 0, 0));
    assert!(
        w.visits
            .iter()
            .any(|v| (v.pid, v.addr) == (1, Some(0x81000)))
    );
    assert_eq!(r.steps[3].totals.pages, 4);
    // AMM naive: probes P@old (M), C@old (H); P's pte LOST.
    let r = run("S3", NAIVE);
    let w = &walks(&r)[0];
    assert_eq!(visits(w), vec![(1, M), (2, H)]);
    assert_eq!(w.lost.len(), 1);
    assert_eq!((w.lost[0].pid, w.lost[0].addr), (1, 0x81000));
    assert!(!w.unmapped_all);
    // AMM Mar/Apr 2004: early COW; C's page is found, +1 page per shared page. The walk starts
    // at the indicated mm, the parent, which no longer maps the page at its old address (§3.3
    // walk step 2), then finds C's pte.
    let r = run("S3", AMM);
    let w = &walks(&r)[0];
    assert_eq!(w.hit, 1);
    assert_eq!(visits(w), vec![(1, M), (2, H)]);
    assert!(w.lost.is_empty() && w.unmapped_all);
    assert_eq!(r.steps[3].totals.pages, 8);
    // AV: the new vma keeps the old pgoff: 2H.
    let r = run("S3", RFC2);
    assert_eq!(counts(&walks(&r)[0]), (2, 0, 0, 0, 0));
    assert_eq!(r.steps[3].totals.pages, 4);
}

#[test]
fn s4_checkerboard() {
    // §7 S4: PTEC 1 slot; AMM 1 mm. Follow-up: PTEC/AMM merge back too (no rmap restriction).
    // RFC2 before any fork: each page points at its own piece (a direct page), 1 H.
    for s in ALL {
        let r = run("S4", s);
        assert_eq!(r.steps[9].totals.vmas, 16, "{s}");
        let w = walks(&r);
        assert_eq!(visits(&w[0]), vec![(1, H)], "{s}");
        assert_eq!(r.steps[11].totals.vmas, 1, "{s}: re-merged into one vma");
        assert_eq!(visits(&w[1]), vec![(1, H)], "{s}");
    }
}

#[test]
fn s5_fork_many_exec_most() {
    // §7 S5. PTEC: 2 slots; the exec teardowns removed their entries, each a chain search.
    let r = run("S5", PTEC);
    assert_eq!(counts(&walks(&r)[0]), (2, 0, 0, 0, 0));
    for step in [5, 6] {
        let e = events(&r, step);
        assert!(
            e.contains("page_remove_rmap (exec: exit_mmap): 4 ptes removed, 4 chain searches"),
            "{e}"
        );
    }
    // AMM: 2 H + (#surviving dead anonmms) SKIP. The exec'd children's anonmms named no page,
    // so they were freed at exec: the ring is {P, child 4}.
    for s in [AMM, NAIVE] {
        let w = &walks(&run("S5", s))[0];
        assert_eq!(visits(w), vec![(1, H), (4, H)], "{s}");
    }
    // AV: exec'ed vmas unlinked: list {P, child}: 2H.
    let w = &walks(&run("S5", RFC2))[0];
    assert_eq!(counts(w), (2, 0, 0, 0, 0));
    let mut pids: Vec<u32> = w.visits.iter().map(|v| v.pid).collect();
    pids.sort_unstable();
    assert_eq!(pids, vec![1, 4]);
}

/// §7 S6: the daemonizing fork chain. Each generation writes a page of its own, forks, and
/// exits, so the page it wrote names an anonmm whose mm is gone. At the end the live process
/// asks page_referenced about every page.
fn s6(generations: u32) -> String {
    let mut steps = vec!["Mmap(pid: 1, addr: 0x10000, pages: 16, prot: \"rw\")".to_string()];
    for g in 0..generations {
        let pid = g + 1;
        steps.push(format!(
            "Write(pid: {pid}, addr: {:#x}, pages: 1)",
            0x10000 + 0x1000 * g
        ));
        steps.push(format!("Fork(pid: {pid}, child: {})", pid + 1));
        steps.push(format!("Exit(pid: {pid})"));
    }
    for g in 0..generations {
        steps.push(format!(
            "Referenced(pid: {}, addr: {:#x})",
            generations + 1,
            0x10000 + 0x1000 * g
        ));
    }
    format!(
        "Scenario(title: \"S6: daemonizing fork chain\", steps: [{}])",
        steps.join(", ")
    )
}

#[test]
fn s6_daemonizing_fork_chain() {
    const G: u32 = 6;
    let text = s6(G);
    // PTEC: no per-vma state, only per-pte state. A fork turns every written page's pte.direct
    // into a chain block; the exit empties the chain to one entry but removal never collapses
    // it (§3.1), so after generation g the g + 1 pages written so far hold one block each, until
    // page_referenced collapses each back to pte.direct.
    let r = run_ron(&text, PTEC);
    assert_eq!(r.failures(), 0);
    for g in 0..G as usize {
        assert_eq!(
            r.steps[3 * g + 3].totals.rmap_objects,
            g as u64 + 1,
            "after exit {g}"
        );
        assert_eq!(r.steps[3 * g + 3].totals.vmas, 1);
    }
    assert_eq!(r.steps.last().unwrap().totals.rmap_objects, 0);
    // AMM: one live mm at a time; dead anonmms stay on the ring only while pages still name
    // them; page_referenced migrates such pages to the live anonmm, so the ring is bounded by
    // live page ownership. The bundle head (the first mm's) is freed only with the bundle
    // (rmap 10 exit_rmap), so two anonmms remain: the dead head and the live one.
    for s in [AMM, NAIVE] {
        let r = run_ron(&text, s);
        assert_eq!(r.failures(), 0, "{s}");
        let before = &r.steps[3 * G as usize];
        assert_eq!(
            before.totals.rmap_objects,
            u64::from(G) + 1,
            "{s}: one dead anonmm per page-owning generation, plus the live one"
        );
        for (g, st) in r.steps[3 * G as usize + 1..].iter().enumerate() {
            let w = st.walk.as_ref().expect("a Referenced walk");
            assert_eq!(w.hit, 1, "{s}");
            assert_eq!(
                w.visits[0].outcome,
                Outcome::Skip,
                "{s}: the indicated anonmm is dead"
            );
            assert!(
                st.events
                    .iter()
                    .any(|e| e.contains("migrated from dead anonmm")),
                "{s} page {g}"
            );
        }
        assert_eq!(r.steps.last().unwrap().totals.rmap_objects, 2, "{s}");
    }
    // AV: one family anon_vma, however many generations.
    let r = run_ron(&text, RFC2);
    assert!(r.steps[2..].iter().all(|s| s.totals.rmap_objects == 1));
}

#[test]
fn s7_independently_faulted_neighbours() {
    // §7 S7. PTEC / AMM: merge allowed (before 2.6.7 any anonymous pair could merge), so the
    // later mremap spanning A and B succeeds.
    for s in [PTEC, AMM, NAIVE] {
        let r = run("S7", s);
        assert_eq!(r.steps[4].totals.vmas, 1, "{s}");
        // §3.3: anonmm rewrote the moved page's address (rmap 11); anonmm-naive did not, so
        // it probes the old address (MISS) and the moved pte is LOST.
        let expect = if s == NAIVE {
            (0, 1, 0, 0, 1)
        } else {
            (1, 0, 0, 0, 0)
        };
        assert_eq!(counts(&walks(&r)[0]), expect, "{s}: B's page at 0x15000");
        assert!(r.steps[6].error.is_none(), "{s}: one vma, one mremap");
    }
    // AV: no merge: different pgoffs (neither has an anon_vma yet under RFC2, both direct);
    // the spanning mremap fails with EFAULT; B's page is found at its new address.
    let r = run("S7", RFC2);
    assert_eq!(r.steps[4].totals.vmas, 2);
    let e = r.steps[6]
        .error
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(e.contains("EFAULT"), "{e}");
    assert_eq!(visits(&walks(&r)[0]), vec![(1, H)]);
}

#[test]
fn s8_parent_cow_then_child_writes_the_original() {
    // §7 S8, AV: family anon_vma, <= family size probes. RFC2's list is {C3, P, C2}: the
    // parent's vma is still on it and maps its own copy at that address.
    let w = &walks(&run("S8", RFC2))[0];
    assert_eq!(w.hit, 1);
    assert!(w.visits.len() <= 3);
    assert_eq!(visits(w), vec![(3, M), (1, M), (2, H)]);
}

#[test]
fn s9_shared_swapout_then_child_swaps_in_first() {
    // §7 S9. AMM: the indicated mm becomes C; after C exits the walk skips it and finds P.
    for s in [AMM, NAIVE] {
        let r = run("S9", s);
        let w = walks(&r);
        assert_eq!(counts(&w[0]), (2, 0, 0, 0, 0), "{s}");
        assert_eq!(r.steps[5].totals.pages, 1, "{s}: same address, so no copy");
        assert_eq!(visits(&w[1]), vec![(2, S), (1, H)], "{s}");
        assert_eq!(
            w[1].object, "anonmm2",
            "{s}: the child's anonmm lingers, dead"
        );
    }
    // AV: any re-mapper sets the family anon_vma: safe.
    let r = run("S9", RFC2);
    let w = walks(&r);
    assert_eq!(r.steps[5].totals.pages, 1);
    assert_eq!(counts(&w[1]), (1, 0, 0, 0, 0));
    assert_eq!(w[1].object, "av1");
}

#[test]
fn s10_private_file_mapping_with_cow() {
    // §7 S10. PTEC: F's chain holds only Q's pte (P's slot went at the COW): 1H.
    let w = walks(&run("S10", PTEC));
    assert_eq!(visits(&w[0]), vec![(2, H)]);
    assert_eq!(counts(&w[1]), (1, 0, 0, 0, 0));
    // Object schemes with 2004 i_mmap lists: P's vma (M: it maps the anonymous copy), then
    // Q's (H). The copy is found through the anonymous side.
    for s in [AMM, NAIVE, RFC2] {
        let w = walks(&run("S10", s));
        assert_eq!(visits(&w[0]), vec![(1, M), (2, H)], "{s}");
        assert!(w[0].object.contains("data.bin"), "{s}");
        assert_eq!(counts(&w[1]), (1, 0, 0, 0, 0), "{s}");
    }
}

#[test]
fn s11_partial_munmap() {
    // §7 S11. PTEC / AMM: 1 slot / 1 mm. RFC2 before a fork: page 0 points at the left piece.
    for s in ALL {
        assert_eq!(visits(&walks(&run("S11", s))[0]), vec![(1, H)], "{s}");
    }
}

#[test]
fn an_anonmm_walk_skips_a_live_mm_that_maps_nothing() {
    // §3.3: the walk goes round the ring skipping the anonmms whose mm is gone or whose rss is
    // 0. The ring is in fork order: the parent (the page's mm), then child 2, which unmapped
    // everything it had and is alive with rss 0 (SKIP, not looked at), then child 3 (HIT).
    let text = "Scenario(steps: [Mmap(pid: 1, addr: 0x10000, pages: 1), \
                Write(pid: 1, addr: 0x10000), Fork(pid: 1, child: 2), Fork(pid: 1, child: 3), \
                Munmap(pid: 2, addr: 0x10000, pages: 1), Referenced(pid: 1, addr: 0x10000)])";
    for s in [AMM, NAIVE] {
        let w = &walks(&run_ron(text, s))[0];
        assert_eq!(visits(w), vec![(1, H), (2, S), (3, H)], "{s}");
        assert_eq!(counts(w), (2, 0, 0, 1, 0), "{s}");
    }
}

#[test]
fn s12_exit_order_and_object_lifetime() {
    // §7 S12. AMM: P's anonmm stays (mm NULL) while pages reference it; walks SKIP it.
    for s in [AMM, NAIVE] {
        let w = walks(&run("S12", s));
        assert_eq!(visits(&w[0]), vec![(1, S), (2, H)], "{s}");
        assert_eq!(w[0].object, "anonmm1", "{s}");
        assert_eq!(visits(&w[1]), vec![(1, S), (2, H)], "{s}");
    }
    // AV: P's vmas unlinked; the anon_vma survives on C's vmas.
    let w = walks(&run("S12", RFC2));
    assert_eq!(visits(&w[0]), vec![(2, H)]);
    assert_eq!(w[0].object, "av1");
    // PTEC: the chains keep C's entry; §3.1: page_referenced collapses a one-entry chain back to
    // pte.direct, which frees its block.
    let r = run("S12", PTEC);
    assert_eq!(counts(&walks(&r)[1]), (1, 0, 0, 0, 0));
    assert_eq!(
        r.steps[4].totals.rmap_objects, 1,
        "p2's one-entry chain block"
    );
    assert_eq!(r.steps[5].totals.rmap_objects, 0, "collapsed to pte.direct");
}
