//! The model on ranges that cross vmas and holes, against what the real kernel was observed to
//! do (docs/semantics.md §6.2, §6.2b, and `rmapviz check` on Linux 6.18): the step errors of
//! refused ops, mremap and mprotect over several vmas and gaps, fault-around at the edges of a
//! vma and of a page table, reads past the end of a file, VM_ACCOUNT and merging.

mod common;

use common::model::*;
use rmapviz::model::{MmapArgs, Op, Prot, PteVal, StepError, page_list};
use rmapviz::session::Simulation;

#[test]
fn refused_ops_name_the_reason_and_change_nothing() {
    let mut s = sim("modern");
    ok(&mut s, mmap(1, 0x10000, 4, "r"));
    ok(&mut s, mmap(1, 0x20000, 2, "rw"));
    ok(&mut s, write(1, 0x20000, 1));
    let before = s.machine.all_ptes();
    assert!(matches!(
        err(&mut s, write(1, 0x10000, 1)),
        StepError::Protection { .. }
    ));
    assert!(matches!(
        err(&mut s, write(1, 0x30000, 1)),
        StepError::Unmapped { .. }
    ));
    // A write that would fault part-way is refused as a whole.
    assert!(matches!(
        err(&mut s, write(1, 0x21000, 3)),
        StepError::Unmapped { addr: 0x22000, .. }
    ));
    assert!(matches!(
        err(&mut s, write(9, 0x20000, 1)),
        StepError::NoSuchPid(9)
    ));
    assert!(matches!(
        err(&mut s, write(1, 0x20010, 1)),
        StepError::Unaligned { .. }
    ));
    assert!(matches!(
        err(&mut s, write(1, 0x20000, 0)),
        StepError::ZeroPages { .. }
    ));
    assert!(matches!(
        err(&mut s, mmap(1, 0x11000, 1, "rw")),
        StepError::Overlap { .. }
    ));
    ok(&mut s, fork(1, 2));
    assert!(matches!(err(&mut s, fork(1, 2)), StepError::PidExists(2)));
    assert!(matches!(
        err(
            &mut s,
            Op::Mremap {
                pid: 1,
                addr: 0x10000,
                pages: 8,
                new_pages: Some(9),
                to: Some(0x80000),
            }
        ),
        StepError::MremapSpan { .. }
    ));
    assert!(matches!(
        err(
            &mut s,
            Op::SwapOut {
                pid: 1,
                addr: 0x11000,
            }
        ),
        StepError::NoPage { .. }
    ));
    ok(&mut s, read(1, 0x11000, 1));
    assert!(matches!(
        err(
            &mut s,
            Op::SwapOut {
                pid: 1,
                addr: 0x11000,
            }
        ),
        StepError::ZeroPage { .. }
    ));
    let msg = err(&mut s, write(1, 0x10000, 1)).to_string();
    assert!(msg.contains("SIGSEGV") && msg.contains("0x10000"), "{msg}");
    let after: Vec<_> = s
        .machine
        .all_ptes()
        .into_iter()
        .filter(|(p, _, _)| *p == 1)
        .collect();
    let mut expected: Vec<_> = before;
    expected.push((1, 0x11000, PteVal::Zero { young: true }));
    expected.sort_by_key(|(p, a, _)| (*p, *a));
    let after_sorted = {
        let mut a = after;
        a.sort_by_key(|(p, a, _)| (*p, *a));
        a
    };
    assert_eq!(after_sorted.len(), expected.len());
}

#[test]
fn the_top_page_of_the_user_half_is_never_mapped() {
    // x86-64 with 4-level page tables: TASK_SIZE_MAX is 128 TiB less one page. Observed on Linux
    // 6.18 with mmap(MAP_FIXED_NOREPLACE) of one anonymous page: at 0x7fffffffe000 it succeeds,
    // at 0x7ffffffff000 it fails with ENOMEM. A range that would end past 0x7ffffffff000 is out
    // of range for every op, and nothing is mapped.
    let mut s = sim("modern");
    assert_eq!(
        err(&mut s, mmap(1, 0x7fff_ffff_f000, 1, "rw")),
        StepError::OutOfRange {
            start: 0x7fff_ffff_f000,
            pages: 1
        }
    );
    assert_eq!(vma_ranges(&s, 1), vec![]);
    ok(&mut s, mmap(1, 0x7fff_ffff_e000, 1, "rw"));
    ok(&mut s, write(1, 0x7fff_ffff_e000, 1));
    assert_eq!(
        vma_ranges(&s, 1),
        vec![(0x7fff_ffff_e000, 0x7fff_ffff_f000)]
    );
    assert!(matches!(
        err(&mut s, write(1, 0x7fff_ffff_e000, 2)),
        StepError::OutOfRange { .. }
    ));
}

#[test]
fn an_mmap_refuses_an_offset_without_a_file_an_empty_name_and_an_offset_past_user_space() {
    // A scenario's mmap must say what it maps: an offset means a file, a file has a name, and
    // the offset (in pages) is at most the size of the user address space. Each is refused
    // with its own error, and nothing is mapped.
    let limit = rmapviz::model::USER_END >> 12;
    let with = |addr: u64, file: Option<&str>, offset: u64| {
        Op::Mmap(MmapArgs {
            pid: 1,
            addr,
            pages: 2,
            prot: Prot::R,
            shared: false,
            file: file.map(Into::into),
            offset,
        })
    };
    let mut s = sim("modern");
    assert_eq!(
        err(&mut s, with(0x10000, None, 2)),
        StepError::OffsetWithoutFile
    );
    assert_eq!(
        err(&mut s, with(0x10000, Some(""), 0)),
        StepError::EmptyFileName
    );
    assert_eq!(
        err(&mut s, with(0x10000, Some("f"), limit + 1)),
        StepError::OutOfRange {
            start: (limit + 1) << 12,
            pages: 2
        }
    );
    assert!(s.machine.proc(1).unwrap().mm.vmas.is_empty());
    // The largest offset is taken, and an anonymous mapping without one.
    ok(&mut s, with(0x10000, Some("f"), limit));
    ok(&mut s, with(0x20000, None, 0));
}

#[test]
fn a_size_keeping_mremap_move_may_span_several_vmas_and_gaps() {
    // Found by `rmapviz check S7` on Linux 6.18 and confirmed with a small C program: since
    // Linux 6.17 (d23cb648e365, "mm/mremap: permit mremap() move of multiple VMAs") an mremap
    // with MREMAP_MAYMOVE | MREMAP_FIXED that keeps the size may span several vmas and gaps
    // between them. Each vma is moved on its own, keeping its offset in the range; the
    // destination of a gap is left alone. A range starting in a gap, or a resize, is EFAULT.
    for sc in BOTH {
        let mut s = sim(sc);
        ok(&mut s, mmap(1, 0x10000, 4, "rw"));
        ok(&mut s, mmap(1, 0x15000, 4, "rw"));
        ok(&mut s, mmap(1, 0x84000, 1, "r")); // where the gap lands
        ok(&mut s, write(1, 0x10000, 4));
        ok(&mut s, write(1, 0x15000, 4));
        let moved = page(&s, 1, 0x15000);
        ok(&mut s, mremap(1, 0x10000, 9, None, 0x80000));
        assert_eq!(
            vma_ranges(&s, 1),
            vec![(0x80000, 0x84000), (0x84000, 0x85000), (0x85000, 0x89000)],
            "{sc}"
        );
        assert_eq!(
            page(&s, 1, 0x85000),
            moved,
            "{sc}: ptes move with their vma"
        );
        assert_eq!(pte(&s, 1, 0x15000), PteVal::None, "{sc}");
        // A range that starts in a gap, and a multi-vma move that resizes: EFAULT.
        ok(&mut s, munmap_op(1, 0x84000, 1));
        assert!(matches!(
            err(&mut s, mremap(1, 0x84000, 2, None, 0x300000)),
            StepError::MremapNoVma { .. }
        ));
        assert!(matches!(
            err(&mut s, mremap(1, 0x80000, 6, Some(8), 0x400000)),
            StepError::MremapSpan { .. }
        ));
        // And one that shrinks (`tests/corpus/mremap_move_resize_spans.ron`: Linux 6.18 unmaps
        // neither the tail nor the destination).
        assert!(matches!(
            err(&mut s, mremap(1, 0x80000, 9, Some(7), 0x500000)),
            StepError::MremapSpan { .. }
        ));
    }
}

#[test]
fn an_mremap_may_move_a_range_to_the_pages_right_after_or_before_it() {
    // mremap_to refuses a destination that overlaps the source (EINVAL); one that only touches
    // it, starting at the source's end or ending at its start, is not an overlap. The ptes move
    // with the range. The same steps agree with Linux 6.18 under `rmapviz check`.
    let mut s = sim("modern");
    ok(&mut s, mmap(1, 0x10000, 2, "rw"));
    ok(&mut s, write(1, 0x10000, 2));
    let p = page(&s, 1, 0x11000);
    ok(&mut s, mremap(1, 0x10000, 2, None, 0x12000));
    assert_eq!(vma_ranges(&s, 1), vec![(0x12000, 0x14000)]);
    assert_eq!(page(&s, 1, 0x13000), p);
    ok(&mut s, mremap(1, 0x12000, 2, None, 0x10000));
    assert_eq!(vma_ranges(&s, 1), vec![(0x10000, 0x12000)]);
    assert_eq!(page(&s, 1, 0x11000), p);
    assert!(matches!(
        err(&mut s, mremap(1, 0x10000, 2, None, 0x11000)),
        StepError::MremapOverlap { .. }
    ));
}

#[test]
fn a_move_unmaps_what_was_at_the_destination_and_a_shrinking_move_drops_the_tail() {
    // mremap_to with MREMAP_FIXED: do_munmap of the destination first, then a shrink unmaps the
    // source past the new size, then move_vma moves what is left. A move that keeps the size has
    // no tail to unmap. The same steps agree with Linux 6.18 under `rmapviz check`.
    let mut s = sim("modern");
    ok(&mut s, mmap(1, 0x10000, 4, "rw"));
    ok(&mut s, write(1, 0x10000, 4));
    let kept = [page(&s, 1, 0x10000), page(&s, 1, 0x11000)];
    let dropped = [page(&s, 1, 0x12000), page(&s, 1, 0x13000)];
    ok(&mut s, mmap(1, 0x40000, 2, "r"));
    ok(&mut s, read(1, 0x40000, 2));
    let r = s.step(&mremap(1, 0x10000, 4, Some(2), 0x40000), false);
    assert_eq!(r.error, None);
    let tail = "munmap: pid 1 0x12000-0x14000: removed 1 vma, zapped 2 ptes";
    assert!(r.events.iter().any(|e| e == tail), "{:#?}", r.events);
    assert_eq!(vma_ranges(&s, 1), vec![(0x40000, 0x42000)]);
    assert_eq!([page(&s, 1, 0x40000), page(&s, 1, 0x41000)], kept);
    assert!(dropped.iter().all(|&p| !s.machine.pages.is_alive(p)));
    assert_eq!(s.machine.all_ptes().len(), 2, "the zero-page ptes are gone");
    let r = s.step(&mremap(1, 0x40000, 2, None, 0x50000), false);
    assert_eq!(r.error, None);
    assert!(
        !r.events.iter().any(|e| e.contains("nothing mapped")),
        "{:#?}",
        r.events
    );
    assert_eq!(vma_ranges(&s, 1), vec![(0x50000, 0x52000)]);
}

fn munmap_op(pid: u32, addr: u64, pages: u64) -> Op {
    Op::Munmap { pid, addr, pages }
}

/// The addresses of `pid`'s ptes in `[start, end)`.
fn pte_addrs(s: &Simulation, pid: u32, start: u64, end: u64) -> Vec<u64> {
    s.machine
        .proc(pid)
        .unwrap()
        .mm
        .pt
        .range(start, end)
        .into_iter()
        .map(|(a, _)| a)
        .collect()
}

#[test]
fn fault_around_starts_at_an_unaligned_vma_start_and_stops_at_the_page_table() {
    // docs/semantics.md §8.1 (do_fault_around): the 16-pte window starts at
    // max(ALIGN_DOWN(addr, 64 KiB), vma start, page-table start) and ends at
    // min(window start + 16 ptes, vma end, page-table end).
    let mut s = sim("modern");
    // A 20-page private file vma at 0x13000, inside the aligned window 0x10000-0x20000: a read of
    // its first page maps 16 ptes from the vma's start, 0x13000-0x23000 (the aligned window cut
    // at the vma would hold 13).
    ok(&mut s, mmap_ro_file(1, 0x13000, 20, "f", 0));
    ok(&mut s, read(1, 0x13000, 1));
    let want: Vec<u64> = (0..16).map(|i| 0x13000 + i * 0x1000).collect();
    assert_eq!(pte_addrs(&s, 1, 0, 0x100000), want);
    // An 8-page vma at 0x1ff000 straddles the page tables' 2 MiB boundary at 0x200000: the window
    // of a read at 0x1ff000 is cut there (one pte), and a read at 0x200000 maps the vma's pages
    // in the next page table, 0x200000-0x207000.
    ok(&mut s, mmap_ro_file(1, 0x1ff000, 8, "g", 3));
    ok(&mut s, read(1, 0x1ff000, 1));
    assert_eq!(pte_addrs(&s, 1, 0x100000, 0x300000), vec![0x1ff000]);
    ok(&mut s, read(1, 0x200000, 1));
    let want: Vec<u64> = std::iter::once(0x1ff000)
        .chain((0..7).map(|i| 0x200000 + i * 0x1000))
        .collect();
    assert_eq!(pte_addrs(&s, 1, 0x100000, 0x300000), want);
}

#[test]
fn fault_around_past_the_first_window_starts_at_the_aligned_address() {
    // The window starts at ALIGN_DOWN(addr, 64 KiB) when that is above the vma's start and the
    // page table's start (docs/semantics.md §8.1). tests/corpus/fault_around_unaligned.ron reads
    // the same way and agrees with Linux 6.18.
    let mut s = sim("modern");
    ok(&mut s, mmap_ro_file(1, 0x100000, 40, "big", 0));
    ok(&mut s, read(1, 0x113000, 1));
    let want: Vec<u64> = (0x110..0x120).map(|i| i * 0x1000).collect();
    assert_eq!(pte_addrs(&s, 1, 0, 0x200000), want);
    // A vma that starts 3 pages into an aligned window, read in its second window: from 0x20000
    // to the vma's end at 0x27000.
    ok(&mut s, mmap_ro_file(1, 0x13000, 20, "lib", 0));
    ok(&mut s, read(1, 0x25000, 1));
    let want: Vec<u64> = (0x20..0x27).map(|i| i * 0x1000).collect();
    assert_eq!(pte_addrs(&s, 1, 0, 0x100000), want);
}

#[test]
fn an_mremap_in_place_that_does_not_grow_may_span_vmas_and_holes() {
    // docs/semantics.md §8.1: an mremap that keeps the size and does not move succeeds on 6.18
    // even where the range spans two vmas or a hole. Linux looks only for a vma at the start
    // (EFAULT without one); a shrink unmaps the tail past the new size, whatever it spans.
    let mut s = sim("modern");
    ok(&mut s, mmap(1, 0x10000, 2, "rw"));
    ok(&mut s, mmap(1, 0x12000, 2, "r"));
    ok(&mut s, write(1, 0x10000, 2));
    let before = vma_ranges(&s, 1);
    // Keeping the size, the kernel returns at once: no shrink, nothing unmapped.
    let r = s.step(&mremap_in_place(1, 0x10000, 4, 4), false); // two vmas
    assert_eq!(r.error, None);
    assert!(
        r.events.len() == 1 && r.events[0].contains("same size, nothing to do"),
        "{:#?}",
        r.events
    );
    ok(&mut s, mremap_in_place(1, 0x10000, 6, 6)); // two vmas and a hole
    assert_eq!(vma_ranges(&s, 1), before, "nothing moves");
    assert!(matches!(pte(&s, 1, 0x11000), PteVal::Page { .. }));
    // A shrink over both vmas and the hole: everything from 0x13000 on is unmapped.
    ok(&mut s, mremap_in_place(1, 0x11000, 6, 2));
    assert_eq!(
        vma_ranges(&s, 1),
        vec![(0x10000, 0x12000), (0x12000, 0x13000)]
    );
    // No vma at the start: EFAULT; a growth across vmas: still EFAULT.
    assert!(matches!(
        err(&mut s, mremap_in_place(1, 0x20000, 1, 1)),
        StepError::MremapNoVma { addr: 0x20000, .. }
    ));
    assert!(matches!(
        err(&mut s, mremap_in_place(1, 0x10000, 3, 4)),
        StepError::MremapSpan { .. }
    ));
}

#[test]
fn an_mremap_grows_in_place_up_to_the_next_vma() {
    // mremap_at / vma_expandable: a growth without MREMAP_MAYMOVE extends the vma in place when
    // nothing is mapped between its end and the new end; a vma that starts right at the new end
    // is no obstacle, one that starts below it is (ENOMEM). The range must end at the vma's end.
    // The same steps agree with Linux 6.18 under `rmapviz check`.
    let mut s = sim("modern");
    ok(&mut s, mmap(1, 0x10000, 2, "rw"));
    ok(&mut s, mmap(1, 0x20000, 1, "r"));
    ok(&mut s, mremap_in_place(1, 0x10000, 2, 4));
    assert_eq!(
        vma_ranges(&s, 1),
        vec![(0x10000, 0x14000), (0x20000, 0x21000)]
    );
    ok(&mut s, mremap_in_place(1, 0x10000, 4, 16));
    assert_eq!(
        vma_ranges(&s, 1),
        vec![(0x10000, 0x20000), (0x20000, 0x21000)]
    );
    assert!(matches!(
        err(&mut s, mremap_in_place(1, 0x10000, 16, 17)),
        StepError::MremapNoRoom {
            new_end: 0x21000,
            ..
        }
    ));
    assert!(matches!(
        err(&mut s, mremap_in_place(1, 0x10000, 8, 9)),
        StepError::MremapNoRoom { end: 0x18000, .. }
    ));
    // Past the end of the user address space: the new size is out of range.
    let last = 0x7fff_ffff_e000;
    ok(&mut s, mmap(1, last, 1, "rw"));
    assert_eq!(
        err(&mut s, mremap_in_place(1, last, 1, 2)),
        StepError::OutOfRange {
            start: last,
            pages: 2
        }
    );
}

fn mprotect(pid: u32, addr: u64, pages: u64, prot: &str) -> Op {
    Op::Mprotect {
        pid,
        addr,
        pages,
        prot: Prot::parse(prot).unwrap(),
    }
}

#[test]
fn mprotect_back_to_writable_maps_writable_only_exclusive_anonymous_and_shared_pages() {
    // change_protection: taking write away makes every pte read-only. Giving it back makes a pte
    // writable at once only where no write fault is needed (can_change_pte_writable): in a
    // private vma an exclusive anonymous page; a page shared copy-on-write since a fork and a
    // page-cache page keep faulting. A shared vma without write notification (shmem) takes the
    // writable protection into every pte.
    let mut s = sim("modern");
    ok(&mut s, mmap(1, 0x20000, 1, "rw"));
    ok(&mut s, write(1, 0x20000, 1));
    ok(&mut s, fork(1, 2)); // 0x20000 is now shared copy-on-write
    ok(&mut s, mmap(1, 0x10000, 1, "rw"));
    ok(&mut s, write(1, 0x10000, 1)); // exclusive
    ok(&mut s, mmap_file(1, 0x30000, 1, "lib.so", false));
    ok(&mut s, read(1, 0x30000, 1)); // the page-cache page
    ok(&mut s, mmap_shmem(1, 0x40000, 1));
    ok(&mut s, write(1, 0x40000, 1));
    let writable = |s: &Simulation, a| match pte(s, 1, a) {
        PteVal::Page { writable, .. } => writable,
        other => panic!("{a:#x}: {other:?}"),
    };
    for a in [0x10000, 0x20000, 0x30000, 0x40000] {
        ok(&mut s, mprotect(1, a, 1, "r"));
        assert!(!writable(&s, a), "{a:#x} read-only");
        ok(&mut s, mprotect(1, a, 1, "rw"));
    }
    let got: Vec<bool> = [0x10000, 0x20000, 0x30000, 0x40000]
        .into_iter()
        .map(|a| writable(&s, a))
        .collect();
    assert_eq!(got, [true, false, false, true]);
}

#[test]
fn an_mprotect_over_a_hole_changes_the_mapped_prefix_and_fails() {
    // docs/semantics.md §8.1: mprotect over a range with a hole at its end returns ENOMEM after it
    // has already changed the mapped prefix. A range that starts in a hole changes nothing.
    let mut s = sim("modern");
    ok(&mut s, mmap(1, 0x10000, 4, "rw"));
    ok(&mut s, mmap(1, 0x16000, 2, "rw"));
    ok(&mut s, write(1, 0x10000, 4));
    let e = err(&mut s, mprotect(1, 0x11000, 4, "r"));
    assert!(
        matches!(
            e,
            StepError::NotFullyMapped {
                changed_to: 0x14000,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("ENOMEM"), "{e}");
    let rw = String::from("rw");
    let r = String::from("r");
    assert_eq!(
        vma_prots(&s, 1),
        vec![
            (0x10000, 0x11000, rw.clone()),
            (0x11000, 0x14000, r.clone()),
            (0x16000, 0x18000, rw.clone()),
        ]
    );
    // The prefix really is read-only: a write there faults.
    assert!(matches!(
        err(&mut s, write(1, 0x12000, 1)),
        StepError::Protection { .. }
    ));
    // A hole in the middle: the vmas before it are changed (and merge again), not those after.
    ok(&mut s, mprotect(1, 0x16000, 2, "r"));
    assert!(matches!(
        err(&mut s, mprotect(1, 0x10000, 8, "rw")),
        StepError::NotFullyMapped {
            changed_to: 0x14000,
            ..
        }
    ));
    assert_eq!(
        vma_prots(&s, 1),
        vec![(0x10000, 0x14000, rw), (0x16000, 0x18000, r.clone())]
    );
    // Starting in a hole: nothing changes.
    let before = vma_prots(&s, 1);
    assert!(matches!(
        err(&mut s, mprotect(1, 0xf000, 3, "r")),
        StepError::NotFullyMapped {
            changed_to: 0xf000,
            ..
        }
    ));
    assert_eq!(vma_prots(&s, 1), before);
}

/// VM_ACCOUNT (mprotect_fixup), seen on 6.18 with `rmapviz check`: a private file vma that was
/// writable and has an anon_vma keeps VM_ACCOUNT when made read-only, so it does not merge with
/// its read-only neighbour (a library's RELRO piece); an anonymous vma without an anon_vma drops
/// VM_ACCOUNT with the write permission and merges; shared vmas are never accounted.
#[test]
fn a_once_writable_piece_with_anonymous_pages_stays_apart_from_its_read_only_neighbour() {
    let vmas = |s: &Simulation| vma_ranges(s, 1);
    let mprotect = |addr, pages, prot: &str| Op::Mprotect {
        pid: 1,
        addr,
        pages,
        prot: Prot::parse(prot).unwrap(),
    };
    let mut s = sim("modern");
    let mut data = mmap_file(1, 0x104000, 4, "lib.so", false);
    if let Op::Mmap(MmapArgs { offset, .. }) = &mut data {
        *offset = 4;
    }
    let mut text = mmap_file(1, 0x100000, 4, "lib.so", false);
    if let Op::Mmap(MmapArgs { prot, .. }) = &mut text {
        *prot = Prot::R;
    }
    ok(&mut s, text);
    ok(&mut s, data);
    ok(&mut s, write(1, 0x104000, 1));
    ok(&mut s, mprotect(0x104000, 4, "r"));
    assert_eq!(vmas(&s), vec![(0x100000, 0x104000), (0x104000, 0x108000)]);

    // Anonymous, never written: read-only again, it merges.
    let mut s = sim("modern");
    let anon = |addr, prot: &str| {
        Op::Mmap(MmapArgs {
            pid: 1,
            addr,
            pages: 2,
            prot: Prot::parse(prot).unwrap(),
            shared: false,
            file: None,
            offset: 0,
        })
    };
    ok(&mut s, anon(0x200000, "r"));
    ok(&mut s, anon(0x202000, "rw"));
    ok(&mut s, mprotect(0x202000, 2, "r"));
    assert_eq!(vmas(&s), vec![(0x200000, 0x204000)]);
    ok(&mut s, anon(0x300000, "r"));
    ok(&mut s, anon(0x302000, "r"));
    ok(&mut s, mprotect(0x302000, 2, "rw"));
    ok(&mut s, mprotect(0x302000, 2, "r"));
    assert_eq!(vmas(&s), vec![(0x200000, 0x204000), (0x300000, 0x304000)]);
    // Anonymous and written: it keeps VM_ACCOUNT.
    ok(&mut s, anon(0x400000, "r"));
    ok(&mut s, anon(0x402000, "rw"));
    ok(&mut s, write(1, 0x402000, 1));
    ok(&mut s, mprotect(0x402000, 2, "r"));
    assert_eq!(vmas(&s).len(), 4);
}

#[test]
fn a_mapping_of_prot_x_alone_can_be_read() {
    // Seen on Linux 6.18 (x86-64, no protection keys), found by `rmapviz fuzz --seed 1`: the
    // page tables have no read permission of their own, so PROT_EXEC implies PROT_READ.
    let mut s = sim("modern");
    ok(&mut s, mmap(1, 0x14000, 2, "x"));
    ok(&mut s, read(1, 0x14000, 1));
    assert!(matches!(pte(&s, 1, 0x14000), PteVal::Zero { .. }));
    assert!(matches!(
        err(&mut s, write(1, 0x15000, 1)),
        StepError::Protection { .. }
    ));
}

#[test]
fn a_read_past_the_end_of_a_file_maps_the_cached_window_before_the_sigbus() {
    // Seen on Linux 6.18, found by `rmapviz fuzz --seed 1`: do_read_fault runs
    // do_fault_around before filemap_fault finds the page past the end of the file.
    let mut s = sim("modern");
    ok(&mut s, mmap_file(1, 0x30000, 2, "f", false));
    ok(
        &mut s,
        Op::Mremap {
            pid: 1,
            addr: 0x30000,
            pages: 2,
            new_pages: Some(5),
            to: Some(0x50000),
        },
    );
    let r = s.step(&read(1, 0x52000, 2), false);
    assert!(matches!(
        r.error,
        Some(StepError::Sigbus { addr: 0x52000, .. })
    ));
    assert_eq!(pte_addrs(&s, 1, 0x50000, 0x55000), vec![0x50000, 0x51000]);
    let mapped = page_list(&[page(&s, 1, 0x50000), page(&s, 1, 0x51000)]);
    let line = format!("do_fault_around: cached page mapped before the SIGBUS: 2 pages ({mapped})");
    assert!(r.events.contains(&line), "{:#?}", r.events);
    // A write fault past the end maps nothing (no fault-around for writes).
    let mut s = sim("modern");
    ok(&mut s, mmap_file(1, 0x30000, 1, "g", false));
    ok(&mut s, mremap_in_place(1, 0x30000, 1, 3));
    assert!(matches!(
        err(&mut s, write(1, 0x31000, 1)),
        StepError::Sigbus { .. }
    ));
    assert_eq!(pte_addrs(&s, 1, 0x30000, 0x33000), Vec::<u64>::new());
}

/// A private mapping of a 2-page file, read (so both pages are mapped), grown in place to 4
/// pages, then written or read at its third page, past the end of the file: SIGBUS.
fn touched_past_the_end(scheme: &str, write_past_the_end: bool) -> Simulation {
    let mut s = sim(scheme);
    ok(&mut s, mmap_file(1, 0x30000, 2, "f", false));
    ok(&mut s, read(1, 0x30000, 1));
    ok(&mut s, mremap_in_place(1, 0x30000, 2, 4));
    let past = if write_past_the_end {
        write(1, 0x32000, 1)
    } else {
        read(1, 0x32000, 1)
    };
    assert!(matches!(err(&mut s, past), StepError::Sigbus { .. }));
    s
}

#[test]
fn a_write_past_the_end_of_a_file_gives_the_vma_an_anon_vma_so_fork_copies_its_ptes() {
    // Seen on Linux 6.18 (tests/corpus/cow_fault_past_the_end_prepares_the_anon_vma.ron, found
    // by `rmapviz fuzz --seed 202612071710`): do_cow_fault prepares the anon_vma before
    // __do_fault raises SIGBUS, so the private file vma has one and fork copies its file ptes
    // (vma_needs_copy). A read past the end prepares nothing: fork copies no pte.
    for (write_past_the_end, copied) in [(true, vec![0x30000, 0x31000]), (false, vec![])] {
        let mut s = touched_past_the_end("modern", write_past_the_end);
        ok(&mut s, fork(1, 2));
        assert_eq!(
            pte_addrs(&s, 2, 0x30000, 0x34000),
            copied,
            "write: {write_past_the_end}"
        );
    }
}

#[test]
fn the_anon_vma_prepared_before_the_sigbus_is_in_the_rmap_graph() {
    // Linux 6.18's do_cow_fault calls vmf_anon_prepare, and __anon_vma_prepare allocates the
    // vma's anon_vma and the anon_vma_chain that links them, before __do_fault raises the
    // SIGBUS; nothing frees them after it (docs/semantics.md §6.2b). So every design whose
    // anon_vma belongs to a vma holds one linked to the vma, though no anonymous page exists.
    // A read past the end prepares nothing. (The vma is also linked to the file's
    // address_space, in every case.)
    for scheme in ["modern", "anon-vma-chain", "anon-vma"] {
        for write_past_the_end in [true, false] {
            let s = touched_past_the_end(scheme, write_past_the_end);
            let vma = s
                .machine
                .proc(1)
                .ok()
                .and_then(|p| p.mm.vma_at(0x30000))
                .map(|v| v.id)
                .expect("the file vma");
            let g = s.scheme.rmap_graph(&s.machine);
            let linked: Vec<&str> = g
                .vma_links
                .iter()
                .filter(|(v, _, _)| *v == vma)
                .map(|&(_, o, _)| g.objects[o].kind)
                .filter(|&k| k != "address_space")
                .collect();
            let expected: Vec<&str> = if write_past_the_end {
                vec!["anon_vma"]
            } else {
                vec![]
            };
            assert_eq!(linked, expected, "{scheme}, write: {write_past_the_end}");
        }
    }
}

#[test]
fn the_step_says_the_vma_got_its_anon_vma_only_when_it_had_none() {
    // The narrative of a refused write past the end of a file: the first one prepares the
    // vma's anon_vma (do_cow_fault, docs/semantics.md §6.2b) and says so; a second one finds it
    // prepared, so saying it again would be false.
    let mut s = touched_past_the_end("modern", false);
    let said = |events: &[String]| {
        events
            .iter()
            .filter(|e| e.contains("gets its anon_vma before the SIGBUS"))
            .count()
    };
    for (attempt, expected) in [(1, 1), (2, 0)] {
        let r = s.step(&write(1, 0x32000, 1), false);
        assert!(matches!(r.error, Some(StepError::Sigbus { .. })));
        assert_eq!(
            said(&r.events),
            expected,
            "write {attempt}: {:#?}",
            r.events
        );
    }
}

#[test]
fn vmas_that_differ_in_vm_account_do_not_merge() {
    // Seen on Linux 6.18 (small C programs and `rmapviz fuzz --seed 1`): mprotect_fixup
    // charges a private vma made writable (VM_ACCOUNT) and keeps the charge when it is made
    // read-only again, unless it is anonymous without an anon_vma; mmap charges a private
    // writable mapping. Vmas whose VM_ACCOUNT differs never merge.
    let mut s = sim("modern");
    ok(&mut s, mmap(1, 0x10000, 4, "rw"));
    ok(&mut s, write(1, 0x10000, 1));
    ok(&mut s, mprotect(1, 0x12000, 2, "r"));
    ok(&mut s, mmap(1, 0x14000, 1, "r"));
    assert_eq!(
        vma_ranges(&s, 1),
        vec![(0x10000, 0x12000), (0x12000, 0x14000), (0x14000, 0x15000)]
    );
    // No anon_vma: made read-only, the charge goes; the faulted piece keeps it.
    ok(&mut s, mmap(1, 0x20000, 4, "rw"));
    ok(&mut s, mprotect(1, 0x22000, 1, "r"));
    ok(&mut s, write(1, 0x23000, 1));
    ok(&mut s, mprotect(1, 0x20000, 4, "r"));
    assert_eq!(
        vma_ranges(&s, 1)[3..],
        [(0x20000, 0x23000), (0x23000, 0x24000)]
    );
    // Made writable and then inaccessible without an anon_vma: all four merge again.
    ok(&mut s, mmap(1, 0x40000, 4, "r"));
    ok(&mut s, mprotect(1, 0x42000, 1, "rw"));
    assert_eq!(vma_ranges(&s, 1).len(), 8);
    ok(&mut s, mprotect(1, 0x40000, 4, ""));
    assert_eq!(vma_ranges(&s, 1)[5..], [(0x40000, 0x44000)]);
}
