//! Brk under every scheme: the heap vma grows in place and shrinks like munmap (Linux 6.x
//! brk(2) and do_brk_flags; the one-page gap before the next vma was measured on Linux 6.18:
//! a break that reaches the next vma is refused, one that leaves a page free is not). The
//! expected vmas of the heap beside an anonymous vma, and of a shrink with nothing mapped, are
//! what brk(2) itself did on Linux 6.18 (a C program reading /proc/self/maps; see
//! tests/corpus/brk_next_to_an_anon_vma.ron, which `check` runs against the kernel).

use rmapviz::model::{Op, PteVal, StepError};
use rmapviz::scenario::opline;
use rmapviz::schemes::scheme_names;
use rmapviz::session::Simulation;

fn step(s: &mut Simulation, line: &str) -> Option<StepError> {
    let op = opline::parse(line).unwrap().op;
    let e = s.step(&op, false).error;
    s.machine.check_invariants().unwrap();
    e
}

fn run(scheme: &str, lines: &[&str]) -> Simulation {
    let mut s = Simulation::by_name(scheme).unwrap();
    for l in lines {
        assert_eq!(step(&mut s, l), None, "{scheme}: {l}");
    }
    s
}

fn vmas(s: &Simulation, pid: u32) -> Vec<(u64, u64)> {
    let p = s.machine.proc(pid).unwrap();
    p.mm.vmas.iter().map(|v| (v.start, v.end)).collect()
}

/// `brk 1 0x20000 2` from the break 0x25000, when no vma overlaps [0x22000, 0x25000): brk(2)
/// fails (it returns the old break), so the step is refused with `BrkNothingMapped`.
fn shrink_to_0x22000_is_refused(s: &mut Simulation, sc: &str) {
    let e = step(s, "brk 1 0x20000 2").expect("refused");
    assert!(
        matches!(
            e,
            StepError::BrkNothingMapped {
                new: 0x22000,
                old: 0x25000,
                ..
            }
        ),
        "{sc}: {e}"
    );
}

#[test]
fn the_op_reads_and_writes_in_ron_and_as_an_op_line() {
    let op = Op::Brk {
        pid: 1,
        start: 0x20000,
        pages: 0,
    };
    let ron = rmapviz::model::Step::from(op.clone()).to_ron();
    assert_eq!(ron, "Brk(pid: 1, start: 0x20000, pages: 0)");
    let s =
        rmapviz::scenario::Scenario::parse(&format!("Scenario(steps: [{ron}])"), "t.ron").unwrap();
    assert_eq!(s.ops().next(), Some(&op));
    assert_eq!(opline::parse("brk 1 0x20000 0").unwrap().op, op);
    let e = opline::parse("brk 1 0x20000").unwrap_err().to_string();
    assert!(
        e.contains("PAGES") && e.contains("brk PID START PAGES"),
        "{e}"
    );
}

#[test]
fn the_heap_grows_in_place_and_keeps_its_pages() {
    for sc in scheme_names() {
        let mut s = run(sc, &["brk 1 0x20000 2", "write 1 0x20000 2"]);
        let heap = s.machine.proc(1).unwrap().mm.vmas[0].id;
        let before = s.machine.pte(1, 0x21000);
        assert_eq!(step(&mut s, "brk 1 0x20000 6"), None);
        assert_eq!(vmas(&s, 1), vec![(0x20000, 0x26000)], "{sc}");
        assert_eq!(
            s.machine.proc(1).unwrap().mm.vmas[0].id,
            heap,
            "{sc}: the same vma"
        );
        assert_eq!(s.machine.pte(1, 0x21000), before, "{sc}");
        assert_eq!(s.machine.proc(1).unwrap().mm.heap, Some((0x20000, 0x26000)));
    }
}

#[test]
fn a_new_heap_is_not_merged_with_the_vma_below_it() {
    for sc in scheme_names() {
        let s = run(sc, &["mmap 1 0x1e000 2", "brk 1 0x20000 2"]);
        assert_eq!(
            vmas(&s, 1),
            vec![(0x1e000, 0x20000), (0x20000, 0x22000)],
            "{sc}: brk makes its own vma where an anonymous mmap would merge"
        );
    }
}

#[test]
fn a_vma_an_mmap_merged_below_the_heap_start_is_expanded_in_place() {
    // Linux 6.18: a heap of 3 pages, 7 anonymous pages mmapped right below its start (one vma
    // with the heap's), brk to 5 pages: still one vma, 12 pages long.
    for sc in scheme_names() {
        let mut s = run(sc, &["brk 1 0x20000 3", "mmap 1 0x19000 7"]);
        assert_eq!(vmas(&s, 1), vec![(0x19000, 0x23000)], "{sc}: mmap merged");
        let id = s.machine.proc(1).unwrap().mm.vmas[0].id;
        assert_eq!(step(&mut s, "brk 1 0x20000 5"), None);
        assert_eq!(vmas(&s, 1), vec![(0x19000, 0x25000)], "{sc}");
        assert_eq!(
            s.machine.proc(1).unwrap().mm.vmas[0].id,
            id,
            "{sc}: in place"
        );
    }
}

#[test]
fn a_shrink_with_nothing_mapped_fails_and_keeps_the_break() {
    // Linux 6.18: the whole heap munmapped, brk to a smaller break returns the old break.
    for sc in scheme_names() {
        let mut s = run(sc, &["brk 1 0x20000 5", "munmap 1 0x20000 5"]);
        shrink_to_0x22000_is_refused(&mut s, sc);
        assert_eq!(s.machine.proc(1).unwrap().mm.heap, Some((0x20000, 0x25000)));
        // Growing from the old break makes a new vma there.
        assert_eq!(step(&mut s, "brk 1 0x20000 6"), None);
        assert_eq!(vmas(&s, 1), vec![(0x25000, 0x26000)], "{sc}");
        // A shrink that meets a vma succeeds and unmaps only what is mapped.
        assert_eq!(step(&mut s, "brk 1 0x20000 1"), None);
        assert!(vmas(&s, 1).is_empty(), "{sc}");
    }
}

#[test]
fn mprotect_that_changes_nothing_leaves_the_heap_apart() {
    // Linux 6.18 (tests/corpus/mprotect_leaves_unchanged_vmas_alone.ron, checked by `check`):
    // mprotect_fixup does nothing to a vma whose flags stay, so the heap vma brk kept apart
    // from the vma below stays apart; a page of that vma changed and changed back merges with
    // both neighbours.
    for sc in scheme_names() {
        let mut s = run(sc, &["mmap 1 0x100000 11", "brk 1 0x10b000 6"]);
        let apart = vec![(0x100000, 0x10b000), (0x10b000, 0x111000)];
        assert_eq!(step(&mut s, "mprotect 1 0x10b000 1 rw"), None);
        assert_eq!(vmas(&s, 1), apart, "{sc}");
        assert_eq!(step(&mut s, "mprotect 1 0x10a000 2 rw"), None);
        assert_eq!(vmas(&s, 1), apart, "{sc}");
        assert_eq!(step(&mut s, "mprotect 1 0x10a000 1 r"), None);
        assert_eq!(
            vmas(&s, 1),
            vec![
                (0x100000, 0x10a000),
                (0x10a000, 0x10b000),
                (0x10b000, 0x111000)
            ],
            "{sc}"
        );
        assert_eq!(step(&mut s, "mprotect 1 0x10a000 1 rw"), None);
        assert_eq!(vmas(&s, 1), vec![(0x100000, 0x111000)], "{sc}");
    }
}

#[test]
fn the_last_vma_mprotect_changes_merges_with_both_neighbours() {
    // Linux 6.18 (tests/corpus/mprotect_merges_the_last_vma_with_both_neighbours.ron, found by
    // `rmapviz fuzz --seed 202612071710`): mprotect_fixup changes and merges one vma at a time,
    // so the rx vma made rw merges with the r part made rw before it and with the heap after it.
    for sc in scheme_names() {
        let s = run(
            sc,
            &[
                "mmap 1 0x51000 3 rx",
                "mmap 1 0x49000 8 r",
                "brk 1 0x54000 4",
                "mprotect 1 0x4f000 7 rw",
            ],
        );
        assert_eq!(
            vmas(&s, 1),
            vec![(0x49000, 0x4f000), (0x4f000, 0x58000)],
            "{sc}"
        );
    }
}

#[test]
fn a_shrink_unmaps_the_tail_and_frees_its_pages() {
    for sc in scheme_names() {
        let mut s = run(sc, &["brk 1 0x20000 4", "write 1 0x20000 4"]);
        let PteVal::Page { page, .. } = s.machine.pte(1, 0x23000) else {
            panic!("no page");
        };
        assert_eq!(step(&mut s, "brk 1 0x20000 1"), None);
        assert_eq!(vmas(&s, 1), vec![(0x20000, 0x21000)], "{sc}");
        assert!(!s.machine.pages.is_alive(page), "{sc}");
        assert_eq!(step(&mut s, "brk 1 0x20000 0"), None);
        assert!(vmas(&s, 1).is_empty(), "{sc}");
        // Growing from nothing makes a new heap vma again, with fresh pages.
        assert_eq!(step(&mut s, "brk 1 0x20000 2"), None);
        assert_eq!(vmas(&s, 1), vec![(0x20000, 0x22000)]);
        assert_eq!(s.machine.pte(1, 0x20000), PteVal::None);
    }
}

#[test]
fn the_heap_must_end_a_page_before_the_next_vma() {
    for sc in scheme_names() {
        let mut s = run(sc, &["brk 1 0x20000 1", "mmap 1 0x30000 1"]);
        let e = step(&mut s, "brk 1 0x20000 16").expect("refused");
        assert!(
            matches!(
                e,
                StepError::BrkNoRoom {
                    vstart: 0x30000,
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(vmas(&s, 1), vec![(0x20000, 0x21000), (0x30000, 0x31000)]);
        assert_eq!(s.machine.proc(1).unwrap().mm.heap, Some((0x20000, 0x21000)));
        assert_eq!(step(&mut s, "brk 1 0x20000 15"), None);
        assert_eq!(vmas(&s, 1), vec![(0x20000, 0x2f000), (0x30000, 0x31000)]);
    }
}

#[test]
fn the_start_is_fixed_until_exec_and_fork_copies_the_heap() {
    let mut s = run("modern", &["brk 1 0x20000 2"]);
    let e = step(&mut s, "brk 1 0x21000 2").expect("refused");
    assert!(
        matches!(e, StepError::BrkStart { heap: 0x20000, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("starts at 0x20000"), "{e}");
    assert_eq!(step(&mut s, "fork 1 2"), None);
    assert_eq!(s.machine.proc(2).unwrap().mm.heap, Some((0x20000, 0x22000)));
    assert_eq!(step(&mut s, "brk 2 0x20000 3"), None);
    assert_eq!(vmas(&s, 2), vec![(0x20000, 0x23000)]);
    assert_eq!(
        vmas(&s, 1),
        vec![(0x20000, 0x22000)],
        "the parent's heap stays"
    );
    assert_eq!(step(&mut s, "exec 2"), None);
    assert_eq!(s.machine.proc(2).unwrap().mm.heap, None);
    assert_eq!(step(&mut s, "brk 2 0x50000 1"), None);
    assert_eq!(vmas(&s, 2), vec![(0x50000, 0x51000)]);
}

#[test]
fn bad_ranges_are_refused_before_anything_changes() {
    let mut s = Simulation::by_name("modern").unwrap();
    let e = step(&mut s, "brk 1 0x20010 1").expect("unaligned");
    assert!(matches!(e, StepError::Unaligned { .. }), "{e}");
    let e = step(&mut s, "brk 1 0x7ffffffff000 2").expect("past the end");
    assert!(matches!(e, StepError::OutOfRange { .. }), "{e}");
    assert_eq!(s.machine.proc(1).unwrap().mm.heap, None);
}

#[test]
fn a_shrink_fails_when_vmas_only_touch_the_range_it_would_unmap() {
    // Linux 6.18 (tests/corpus/brk_shrink_between_vmas.ron, checked by `check`): a shrink needs
    // a vma that overlaps [new break, old break); one that ends at the new break or starts at
    // the old one does not, so brk fails and the break stays.
    for sc in scheme_names() {
        let mut s = run(
            sc,
            &["brk 1 0x20000 5", "munmap 1 0x22000 3", "mmap 1 0x25000 1"],
        );
        shrink_to_0x22000_is_refused(&mut s, sc);
        let apart = vec![(0x20000, 0x22000), (0x25000, 0x26000)];
        assert_eq!(vmas(&s, 1), apart, "{sc}");
        // A page lower the heap vma overlaps the range: its last page is unmapped.
        assert_eq!(step(&mut s, "brk 1 0x20000 1"), None);
        let shrunk = vec![(0x20000, 0x21000), (0x25000, 0x26000)];
        assert_eq!(vmas(&s, 1), shrunk, "{sc}");
    }
}

#[test]
fn a_brk_to_the_current_break_succeeds_and_changes_nothing() {
    // brk(2): when the page-aligned new break equals the old one, brk succeeds at once, before
    // it looks for vmas (even with the whole heap unmapped).
    for sc in scheme_names() {
        let mut s = run(sc, &["brk 1 0x20000 2", "write 1 0x20000 2"]);
        let ptes = s.machine.all_ptes();
        let r = s.step(&opline::parse("brk 1 0x20000 2").unwrap().op, false);
        assert_eq!(r.error, None, "{sc}");
        let stays = "brk: pid 1 heap 0x20000-0x22000: the break stays";
        assert!(r.events.iter().any(|e| e == stays), "{sc}: {:?}", r.events);
        assert_eq!(vmas(&s, 1), vec![(0x20000, 0x22000)], "{sc}");
        assert_eq!(s.machine.all_ptes(), ptes, "{sc}");
        // A vma right at the break leaves no room to grow, but the break may stay.
        assert_eq!(step(&mut s, "mmap 1 0x22000 1 r"), None);
        assert_eq!(step(&mut s, "brk 1 0x20000 2"), None, "{sc}");
        assert_eq!(step(&mut s, "munmap 1 0x20000 2"), None);
        assert_eq!(step(&mut s, "brk 1 0x20000 2"), None, "{sc}");
        assert_eq!(s.machine.proc(1).unwrap().mm.heap, Some((0x20000, 0x22000)));
        assert_eq!(vmas(&s, 1), vec![(0x22000, 0x23000)], "{sc}");
    }
}
