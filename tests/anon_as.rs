//! `anon-as`, Rik van Riel's anonymous address_space per family, against docs/semantics.md §3.6
//! ("Simulator semantics (DERIVED)") and the teaching scenarios of §7 where an object-based
//! design's behaviour follows from it.

mod common;
use common::*;

const RAS: &str = "anon-as";

#[test]
fn memory_made_after_fork_lies_in_the_members_own_window() {
    // §3.6: a new anon vma of member k gets a pgoff inside member k's window, so child-created
    // memory does not overlap other members' ranges: it "avoids AVG's scan for memory created
    // after fork". Parent and child map new memory at the same address after the fork.
    let text = r#"Scenario(steps: [
        Mmap(pid: 1, addr: 0x10000, pages: 4),
        Write(pid: 1, addr: 0x10000, pages: 4),
        Fork(pid: 1, child: 2),
        Mmap(pid: 2, addr: 0x40000, pages: 2),
        Write(pid: 2, addr: 0x40000, pages: 2),
        Mmap(pid: 1, addr: 0x40000, pages: 2),
        Write(pid: 1, addr: 0x40000, pages: 2),
        SwapOut(pid: 2, addr: 0x41000),
        SwapOut(pid: 1, addr: 0x41000),
    ])"#;
    let w = walks(&run_ron(text, RAS));
    assert_eq!(visits(&w[0]), vec![(2, H)]);
    assert_eq!(visits(&w[1]), vec![(1, H)]);
    assert_eq!(w[0].object, w[1].object, "one address_space for the family");
    // anon-vma-global probes the other process's vma at the same pgoff for one of the two.
    let g = walks(&run_ron(text, "anon-vma-global"));
    let other = g
        .iter()
        .zip([2, 1])
        .map(|(w, me)| w.visits.iter().filter(|v| v.pid != me).count())
        .sum::<usize>();
    assert!(other >= 1);
}

#[test]
fn copy_on_write_copies_of_inherited_ranges_are_searched_in_every_member() {
    // §3.6: "not for COW'ed copies of inherited ranges, which match every member". §7 S2: the
    // family tree holds P and the three children at the same pgoffs; a child's copy keeps the
    // inherited index. The tree returns them in insertion order (P, 2, 3, 4).
    let w = walks(&run("S2", RAS));
    // (a) child 2's copy: P MISS, then child 2 HIT.
    assert_eq!(visits(&w[0]), vec![(1, M), (2, H)]);
    // (b) the parent's original: first in the tree.
    assert_eq!(visits(&w[1]), vec![(1, H)]);
    // (c) shared by P and child 4: P H, 2 M, 3 M, 4 H: <= N M.
    assert_eq!(visits(&w[2]), vec![(1, H), (2, M), (3, M), (4, H)]);
    for w in &w {
        assert!(w.unmapped_all && w.lost.is_empty() && w.out == 0);
    }
}

#[test]
fn mremap_works_through_pgoff_as_for_a_file() {
    // §3.6: "mremap works via pgoff". §7 S3: 2H, nothing copied.
    let r = run("S3", RAS);
    assert_eq!(counts(&walks(&r)[0]), (2, 0, 0, 0, 0));
    assert_eq!(r.steps[3].totals.pages, 4);
    // A child moving memory it made itself keeps its window: still found.
    let text = r#"Scenario(steps: [
        Fork(pid: 1, child: 2),
        Mmap(pid: 2, addr: 0x40000, pages: 2),
        Write(pid: 2, addr: 0x40000, pages: 2),
        Fork(pid: 2, child: 3),
        Mremap(pid: 2, addr: 0x40000, pages: 2, to: 0x90000),
        SwapOut(pid: 3, addr: 0x41000),
    ])"#;
    let w = &walks(&run_ron(text, RAS))[0];
    assert_eq!(counts(w), (2, 0, 0, 0, 0));
    let mut hits: Vec<(u32, Option<u64>)> = w.visits.iter().map(|v| (v.pid, v.addr)).collect();
    hits.sort_unstable();
    assert_eq!(hits, vec![(2, Some(0x91000)), (3, Some(0x41000))]);
}

#[test]
fn an_inherited_vma_and_one_the_child_made_next_to_it_do_not_merge() {
    // DERIVED (anon_as.rs): merging needs window-adjusted pgoffs to continue; the inherited
    // vma is in the parent's window, the child's new one in its own. anon-vma merges them
    // (linear pgoff, one side without an anon_vma).
    let text = r#"Scenario(steps: [
        Mmap(pid: 1, addr: 0x10000, pages: 4),
        Write(pid: 1, addr: 0x10000, pages: 4),
        Fork(pid: 1, child: 2),
        Mmap(pid: 2, addr: 0x14000, pages: 2),
        Mmap(pid: 1, addr: 0x14000, pages: 2),
    ])"#;
    let ras = run_ron(text, RAS);
    let av = run_ron(text, "anon-vma");
    // Totals after the child's mmap: P 1 vma + C 2 vmas under anon-as, 1 + 1 under anon-vma.
    assert_eq!(ras.steps[3].totals.vmas, 3);
    assert_eq!(av.steps[3].totals.vmas, 2);
    // The founder's own new memory is in its own window (0) and merges.
    assert_eq!(ras.steps[4].totals.vmas, 3);
}

#[test]
fn one_address_space_per_exec_family_freed_with_its_last_mm() {
    // §3.6: "attach a struct address_space to each mm at exec, shared by parent and children
    // after fork". §7 S5: two children exec: three families.
    let r = run("S5", RAS);
    assert_eq!(
        r.steps[4].totals.rmap_objects, 1,
        "P and three children: one family"
    );
    assert_eq!(
        r.steps[6].totals.rmap_objects, 3,
        "two execs: two new families"
    );
    let w = &walks(&r)[0];
    assert_eq!(counts(w), (2, 0, 0, 0, 0));
    let text = "Scenario(steps: [Mmap(pid: 1, addr: 0x10000, pages: 1), Write(pid: 1, addr: 0x10000), Fork(pid: 1, child: 2), Exit(pid: 1), Exit(pid: 2)])";
    let r = run_ron(text, RAS);
    assert_eq!(r.steps[3].totals.rmap_objects, 1);
    assert_eq!(r.steps[4].totals.rmap_objects, 0);
}

#[test]
fn the_teaching_scenarios_that_follow_from_the_tree() {
    // §7 S1: fork then reclaim: 2H (tree: insertion order, P first).
    assert_eq!(visits(&walks(&run("S1", RAS))[0]), vec![(1, H), (2, H)]);
    // §7 S4 / S11: a pgoff tree has no OUT: 1H.
    let s4 = walks(&run("S4", RAS));
    assert_eq!(counts(&s4[0]), (1, 0, 0, 0, 0));
    assert_eq!(run("S4", RAS).steps[11].totals.vmas, 1, "pieces re-merge");
    assert_eq!(counts(&walks(&run("S11", RAS))[0]), (1, 0, 0, 0, 0));
    // §7 S7: different pgoff: no merge, the spanning mremap fails.
    let s7 = run("S7", RAS);
    assert_eq!(s7.steps[4].totals.vmas, 2);
    assert!(s7.steps[6].error.is_some());
    // §7 S8: the reused page keeps its index; the family tree: P (M: P has its own copy), then
    // child 2 (H).
    assert_eq!(visits(&walks(&run("S8", RAS))[0]), vec![(1, M), (2, H)]);
    // §7 S9: the family object outlives the child: 2H, then 1H.
    let s9 = walks(&run("S9", RAS));
    assert_eq!(counts(&s9[0]), (2, 0, 0, 0, 0));
    assert_eq!(counts(&s9[1]), (1, 0, 0, 0, 0));
    // §7 S10: file pages through the 2004 i_mmap list: P (M), Q (H).
    assert_eq!(visits(&walks(&run("S10", RAS))[0]), vec![(1, M), (2, H)]);
    // §7 S12: the family's address_space survives the parent.
    assert_eq!(visits(&walks(&run("S12", RAS))[0]), vec![(2, H)]);
}
