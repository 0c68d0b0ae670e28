//! What an op says about itself before it runs: the errors of its addresses and sizes, which
//! the TUI asks for before it changes anything (`Op::range_error`), and whether it runs an rmap
//! walk (`Op::is_walk`). Both must agree with what the machine does when it applies the op.

use std::collections::BTreeSet;

use rmapviz::model::{OpKind, StepError};
use rmapviz::scenario::Scenario;
use rmapviz::session::Simulation;

/// The ops of `ron`, a list of steps in scenario syntax.
fn ops(ron: &str) -> Vec<rmapviz::model::Op> {
    Scenario::parse(&format!("Scenario(steps: [{ron}])"), "t.ron")
        .unwrap()
        .ops()
        .cloned()
        .collect()
}

/// A machine where pid 1 maps 0x10000-0x12000, written.
fn machine() -> Simulation {
    let mut s = Simulation::by_name("modern").unwrap();
    for op in ops("Mmap(pid: 1, addr: 0x10000, pages: 2), Write(pid: 1, addr: 0x10000, pages: 2)") {
        assert!(s.step(&op, false).error.is_none(), "{op}");
    }
    s
}

/// The end of what a process may map on x86-64 with 4-level page tables (TASK_SIZE_MAX: 128 TiB
/// less the top page; on Linux 6.18 an mmap of the page at 0x7ffffffff000 fails with ENOMEM).
const TASK_SIZE: u64 = 0x7fff_ffff_f000;

#[test]
fn a_bad_address_or_size_is_named_before_the_op_runs_and_the_machine_refuses_it_alike() {
    // mmap(2), munmap(2), mprotect(2), madvise(2), mremap(2): an address that is not a multiple
    // of the page size and a length of 0 are EINVAL; a range past TASK_SIZE is ENOMEM. The
    // error names the argument that is wrong (`pages`, or mremap's `new_pages`).
    let last = TASK_SIZE - 0x1000;
    let cases = [
        (
            "Mmap(pid: 1, addr: 0x20800, pages: 1)".to_string(),
            StepError::Unaligned {
                what: "addr",
                addr: 0x20800,
            },
        ),
        (
            "Munmap(pid: 1, addr: 0x10000, pages: 0)".to_string(),
            StepError::ZeroPages { what: "pages" },
        ),
        (
            format!("Write(pid: 1, addr: {last:#x}, pages: 2)"),
            StepError::OutOfRange {
                start: last,
                pages: 2,
            },
        ),
        (
            "Mremap(pid: 1, addr: 0x10000, pages: 2, new_pages: 0)".to_string(),
            StepError::ZeroPages { what: "new_pages" },
        ),
        (
            format!("Mremap(pid: 1, addr: 0x10000, pages: 2, new_pages: 3, to: {last:#x})"),
            StepError::OutOfRange {
                start: last,
                pages: 3,
            },
        ),
        (
            format!(
                "Madvise(pid: 1, addr: 0x10000, pages: {}, advice: \"dontneed\")",
                1u64 << 23
            ),
            StepError::TooManyPages {
                what: "pages",
                pages: 1 << 23,
            },
        ),
        (
            // A heap of no pages still starts at a page boundary (mm->start_brk).
            "Brk(pid: 1, start: 0x20800, pages: 0)".to_string(),
            StepError::Unaligned {
                what: "addr",
                addr: 0x20800,
            },
        ),
        (
            "SwapOut(pid: 1, addr: 0x10800)".to_string(),
            StepError::Unaligned {
                what: "addr",
                addr: 0x10800,
            },
        ),
    ];
    for (ron, want) in cases {
        let op = ops(&ron).remove(0);
        assert_eq!(op.range_error(), Some(want.clone()), "{ron}");
        let mut s = machine();
        assert_eq!(s.step(&op, false).error, Some(want), "{ron}: the machine");
    }
    // Ops whose ranges are fine, or that name none, have nothing to say before they run.
    for ron in [
        "Mmap(pid: 1, addr: 0x20000, pages: 1)",
        "Mremap(pid: 1, addr: 0x10000, pages: 2, new_pages: 3, to: 0x40000)",
        "Fork(pid: 1, child: 2)",
        "Exit(pid: 1)",
    ] {
        let op = ops(ron).remove(0);
        assert_eq!(op.range_error(), None, "{ron}");
    }
}

#[test]
fn an_op_may_span_4194304_pages_and_no_more() {
    // README's scenario format: the model refuses an op over more than 4194304 pages (16 GiB).
    let big = 1u64 << 22;
    let op = ops(&format!("Mmap(pid: 1, addr: 0x100000000, pages: {big})")).remove(0);
    assert_eq!(op.range_error(), None);
    let mut s = machine();
    assert_eq!(s.step(&op, false).error, None);
    let op = ops(&format!(
        "Munmap(pid: 1, addr: 0x100000000, pages: {})",
        big + 1
    ))
    .remove(0);
    let want = StepError::TooManyPages {
        what: "pages",
        pages: big + 1,
    };
    assert_eq!(op.range_error(), Some(want.clone()));
    assert_eq!(s.step(&op, false).error, Some(want));
}

#[test]
fn exactly_swap_out_and_referenced_walk_the_rmap() {
    // Reclaim (try_to_unmap) and page_referenced are the rmap walks; no other op walks.
    let steps = ops(r#"
        Mmap(pid: 1, addr: 0x10000, pages: 4),
        Write(pid: 1, addr: 0x10000, pages: 4),
        Read(pid: 1, addr: 0x10000, pages: 1),
        Fork(pid: 1, child: 2),
        Mprotect(pid: 1, addr: 0x10000, pages: 1, prot: "r"),
        Mremap(pid: 1, addr: 0x13000, pages: 1, to: 0x30000),
        Madvise(pid: 1, addr: 0x11000, pages: 1, advice: "dontneed"),
        Referenced(pid: 1, addr: 0x12000),
        SwapOut(pid: 1, addr: 0x12000),
        Brk(pid: 1, start: 0x50000, pages: 1),
        Munmap(pid: 1, addr: 0x10000, pages: 1),
        Spawn(pid: 3),
        Exec(pid: 2),
        Exit(pid: 3),
    "#);
    let mut s = Simulation::by_name("modern").unwrap();
    let mut kinds = BTreeSet::new();
    for op in &steps {
        let r = s.step(op, false);
        assert!(r.error.is_none(), "{op}: {:?}", r.error);
        assert_eq!(
            op.is_walk(),
            r.walk.is_some(),
            "{op}: is_walk against the walk the step ran"
        );
        assert_eq!(
            op.is_walk(),
            matches!(op.kind(), OpKind::SwapOut | OpKind::Referenced),
            "{op}"
        );
        kinds.insert(op.kind());
    }
    assert_eq!(
        kinds,
        OpKind::ALL.iter().copied().collect(),
        "every kind of op"
    );
}

#[test]
fn an_op_is_shown_as_its_line_of_scenario_ron() {
    // What error messages and the step list show: the op as written in a scenario, addresses in
    // hex, without a note.
    for ron in [
        "Fork(pid: 1, child: 2)",
        "Write(pid: 1, addr: 0x10000, pages: 2)",
        "SwapOut(pid: 2, addr: 0x11000)",
    ] {
        let op = ops(ron).remove(0);
        assert_eq!(op.to_string(), ron);
    }
}

#[test]
fn a_note_with_control_characters_is_written_escaped_and_reads_back_the_same() {
    // A scenario written by rmapviz is text: a control character in a note (a bell, an escape
    // sequence pasted in) is written as a RON escape, never raw, and reads back the same.
    let note = "bell\u{7}, escape\u{1b}[2J, delete\u{7f}, tab\t";
    let step = ops("Fork(pid: 1, child: 2)").remove(0).with_note(note);
    let ron = step.to_ron();
    assert!(!ron.chars().any(char::is_control), "{ron:?}");
    let back = Scenario::parse(&format!("Scenario(steps: [{ron}])"), "t.ron").unwrap();
    assert_eq!(back.steps[0].note.as_deref(), Some(note));
    assert_eq!(back.steps[0].op, step.op);
}
