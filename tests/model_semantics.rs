//! The model against what the real kernel was observed to do (docs/semantics.md §6.2, §6.2b:
//! Linux 6.18 read through /proc/PID/pagemap): faults, fork, copy-on-write, mremap, merging,
//! reclaim and swap-in. Ranges across vmas and holes and the refused ops are in
//! `model_ranges.rs`.

mod common;

use common::model::*;
use rmapviz::model::{Cached, Op, PageId, Prot, PteVal, StepError, page_list};

#[test]
fn read_of_untouched_anonymous_memory_maps_the_zero_page_and_a_write_replaces_it() {
    for sc in BOTH {
        let mut s = sim(sc);
        ok(&mut s, mmap(1, 0x10000, 2, "rw"));
        ok(&mut s, read(1, 0x10000, 1));
        assert!(matches!(pte(&s, 1, 0x10000), PteVal::Zero { .. }));
        assert!(
            !s.machine.proc(1).unwrap().mm.vmas[0].anon_faulted,
            "a read fault makes no anon_vma"
        );
        // A read through the zero page's pte does not fault: the pte keeps the zero page.
        ok(&mut s, read(1, 0x10000, 1));
        assert!(matches!(pte(&s, 1, 0x10000), PteVal::Zero { .. }), "{sc}");
        assert_eq!(s.machine.pages.made(), 0, "{sc}: no page is allocated");
        ok(&mut s, write(1, 0x10000, 1));
        let p = page(&s, 1, 0x10000);
        assert_eq!(s.machine.pages.get(p).mapcount(), 1);
    }
}

#[test]
fn fork_copies_ptes_only_of_private_vmas_with_anonymous_pages() {
    for sc in BOTH {
        let mut s = sim(sc);
        ok(&mut s, mmap(1, 0x10000, 1, "rw")); // written: copied
        ok(&mut s, mmap(1, 0x20000, 1, "rw")); // only read: zero page, no anon_vma: not copied
        ok(&mut s, mmap_shmem(1, 0x30000, 1));
        ok(&mut s, mmap_file(1, 0x40000, 1, "f", true));
        ok(&mut s, mmap_file(1, 0x50000, 1, "g", false));
        ok(&mut s, mmap(1, 0x60000, 2, "rw")); // written once, then a read: zero page in a vma with anon_vma
        ok(&mut s, write(1, 0x10000, 1));
        ok(&mut s, read(1, 0x20000, 1));
        ok(&mut s, write(1, 0x30000, 1));
        ok(&mut s, write(1, 0x40000, 1));
        ok(&mut s, read(1, 0x50000, 1));
        ok(&mut s, write(1, 0x60000, 1));
        ok(&mut s, read(1, 0x61000, 1));
        ok(&mut s, fork(1, 2));
        assert_eq!(page(&s, 2, 0x10000), page(&s, 1, 0x10000));
        for a in [0x20000, 0x30000, 0x40000, 0x50000] {
            assert_eq!(
                pte(&s, 2, a),
                PteVal::None,
                "{sc}: {a:#x} must not be copied"
            );
        }
        assert!(matches!(pte(&s, 2, 0x61000), PteVal::Zero { .. }), "{sc}");
        let p = page(&s, 1, 0x10000);
        assert_eq!(s.machine.pages.get(p).mapcount(), 2);
        assert!(!s.machine.pages.get(p).is_exclusive());
        assert!(
            matches!(
                pte(&s, 1, 0x10000),
                PteVal::Page {
                    writable: false,
                    ..
                }
            ),
            "write-protected in the parent"
        );
    }
}

#[test]
fn copy_on_write_in_the_child_leaves_the_parent_sole_mapper() {
    // docs/semantics.md §6.2 step 2: the child's write gives it a new frame; the parent's keeps count 1.
    let mut s = sim("modern");
    ok(&mut s, mmap(1, 0x10000, 4, "rw"));
    ok(&mut s, write(1, 0x10000, 4));
    ok(&mut s, fork(1, 2));
    let orig = page(&s, 1, 0x10000);
    ok(&mut s, write(2, 0x10000, 1));
    assert_ne!(page(&s, 2, 0x10000), orig);
    assert_eq!(s.machine.pages.get(orig).mapcount(), 1);
    // The parent writes its now-unshared page: reused in place, no copy.
    ok(&mut s, write(1, 0x10000, 1));
    assert_eq!(page(&s, 1, 0x10000), orig);
}

#[test]
fn mremap_keeps_sharing_and_pgoff() {
    // §6.2 step 3: at the new address the same frames, count 2.
    for sc in BOTH {
        let mut s = sim(sc);
        ok(&mut s, mmap(1, 0x10000, 4, "rw"));
        ok(&mut s, write(1, 0x10000, 4));
        ok(&mut s, fork(1, 2));
        let p1 = page(&s, 1, 0x11000);
        ok(
            &mut s,
            Op::Mremap {
                pid: 1,
                addr: 0x10000,
                pages: 4,
                new_pages: None,
                to: Some(0x80000),
            },
        );
        assert_eq!(page(&s, 1, 0x81000), p1);
        assert_eq!(page(&s, 2, 0x11000), p1);
        assert_eq!(s.machine.pages.get(p1).mapcount(), 2);
        let v = s.machine.proc(1).unwrap().mm.vmas[0].clone();
        assert_eq!(
            (v.start, v.pgoff),
            (0x80000, 0x10),
            "{sc}: a faulted vma keeps vm_pgoff"
        );
    }
}

#[test]
fn vma_merging_follows_the_kernel() {
    for sc in BOTH {
        let mut s = sim(sc);
        // (b) a faulted B moved right after a faulted A keeps its pgoff: no merge.
        ok(&mut s, mmap(1, 0x18000, 4, "rw"));
        ok(&mut s, mmap(1, 0x38000, 4, "rw"));
        ok(&mut s, write(1, 0x18000, 4));
        ok(&mut s, write(1, 0x38000, 4));
        ok(
            &mut s,
            Op::Mremap {
                pid: 1,
                addr: 0x38000,
                pages: 4,
                new_pages: None,
                to: Some(0x1c000),
            },
        );
        assert_eq!(s.machine.proc(1).unwrap().mm.vmas.len(), 2, "{sc}");
        // (c) an unfaulted C moved after B: pgoff reset to the new address, still no merge.
        ok(&mut s, mmap(1, 0x42000, 4, "rw"));
        ok(
            &mut s,
            Op::Mremap {
                pid: 1,
                addr: 0x42000,
                pages: 4,
                new_pages: None,
                to: Some(0x20000),
            },
        );
        let vmas = s.machine.proc(1).unwrap().mm.vmas.clone();
        assert_eq!(vmas.len(), 3, "{sc}");
        assert_eq!(vmas[2].pgoff, 0x20, "{sc}: pgoff reset to the new address");
        // (d) mprotect one page of A: three pieces, pgoffs linear; (e) back: one vma again.
        ok(
            &mut s,
            Op::Mprotect {
                pid: 1,
                addr: 0x19000,
                pages: 1,
                prot: Prot::R,
            },
        );
        let vmas = s.machine.proc(1).unwrap().mm.vmas.clone();
        assert_eq!(vmas.len(), 5, "{sc}");
        assert_eq!(
            (vmas[0].pgoff, vmas[1].pgoff, vmas[2].pgoff),
            (0x18, 0x19, 0x1a),
            "{sc}"
        );
        ok(
            &mut s,
            Op::Mprotect {
                pid: 1,
                addr: 0x19000,
                pages: 1,
                prot: Prot::RW,
            },
        );
        assert_eq!(s.machine.proc(1).unwrap().mm.vmas.len(), 3, "{sc}");
        // Plain neighbours made by mmap merge at once.
        ok(&mut s, mmap(1, 0x60000, 2, "rw"));
        ok(&mut s, mmap(1, 0x62000, 2, "rw"));
        assert_eq!(s.machine.proc(1).unwrap().mm.vmas.len(), 4, "{sc}");
    }
}

#[test]
fn a_new_or_moved_vma_merges_with_the_vmas_on_both_sides() {
    // vma_merge_new_range: an mmap that fills the hole between two compatible vmas, and a range
    // moved back between the two halves it was taken from, leave one vma.
    // tests/corpus/merge_on_both_sides.ron makes the same steps and agrees with Linux 6.18
    // under `rmapviz check`.
    for sc in BOTH {
        let mut s = sim(sc);
        ok(&mut s, mmap(1, 0x10000, 2, "rw"));
        ok(&mut s, mmap(1, 0x14000, 2, "rw"));
        ok(&mut s, mmap(1, 0x12000, 2, "rw"));
        assert_eq!(vma_ranges(&s, 1), [(0x10000, 0x16000)], "{sc}");
        ok(&mut s, mmap(1, 0x20000, 4, "rw"));
        ok(&mut s, write(1, 0x20000, 4));
        let p = page(&s, 1, 0x21000);
        ok(&mut s, mremap(1, 0x21000, 1, None, 0x80000));
        ok(&mut s, mremap(1, 0x80000, 1, None, 0x21000));
        assert_eq!(
            vma_ranges(&s, 1),
            [(0x10000, 0x16000), (0x20000, 0x24000)],
            "{sc}"
        );
        assert_eq!(page(&s, 1, 0x21000), p, "{sc}");
    }
}

#[test]
fn a_moved_vma_merges_with_its_neighbours_and_no_further() {
    // copy_vma merges the moved range with the vma before it and the vma after it, no further:
    // the heap that brk keeps apart from the vma below it stays apart
    // (tests/corpus/merge_on_both_sides.ron, pid 3, agrees with Linux 6.18 under `check`).
    for sc in BOTH {
        let mut s = sim(sc);
        ok(&mut s, mmap(1, 0x3ed000, 7, "rw"));
        let brk = Op::Brk {
            pid: 1,
            start: 0x3f4000,
            pages: 7,
        };
        ok(&mut s, brk);
        ok(&mut s, mmap(1, 0x80000, 1, "rw"));
        ok(&mut s, mremap(1, 0x80000, 1, None, 0x3ec000));
        let want = [(0x3ec000, 0x3f4000), (0x3f4000, 0x3fb000)];
        assert_eq!(vma_ranges(&s, 1), want, "{sc}");
    }
}

#[test]
fn a_vma_merged_into_a_faulted_neighbour_has_its_anon_vma() {
    // A new vma merged into a neighbour that has an anon_vma (or into two neighbours, one with an
    // anon_vma) is part of a vma with an anon_vma:
    // fork copies its ptes (vma_needs_copy; tests/corpus/merge_on_both_sides.ron, checked on
    // Linux 6.18) and mremap keeps its vm_pgoff (copy_vma, docs/semantics.md §6.2).
    for sc in BOTH {
        let mut s = sim(sc);
        ok(&mut s, mmap(1, 0x30000, 1, "rw"));
        ok(&mut s, write(1, 0x30000, 1));
        ok(&mut s, mmap(1, 0x31000, 1, "rw"));
        ok(&mut s, mmap(1, 0x41000, 1, "rw"));
        ok(&mut s, write(1, 0x41000, 1));
        ok(&mut s, mmap(1, 0x40000, 1, "rw"));
        // And the three-way merge of an mmap that fills the hole after a faulted vma.
        ok(&mut s, mmap(1, 0x50000, 1, "rw"));
        ok(&mut s, write(1, 0x50000, 1));
        ok(&mut s, mmap(1, 0x52000, 1, "rw"));
        ok(&mut s, mmap(1, 0x51000, 1, "rw"));
        assert_eq!(
            vma_ranges(&s, 1),
            [(0x30000, 0x32000), (0x40000, 0x42000), (0x50000, 0x53000)],
            "{sc}"
        );
        ok(&mut s, fork(1, 2));
        for a in [0x30000, 0x41000, 0x50000] {
            assert_eq!(page(&s, 2, a), page(&s, 1, a), "{sc}: {a:#x}");
        }
        ok(&mut s, mremap(1, 0x30000, 2, None, 0x80000));
        ok(&mut s, mremap(1, 0x40000, 2, None, 0x90000));
        let pgoffs: Vec<_> = s
            .machine
            .proc(1)
            .unwrap()
            .mm
            .vmas
            .iter()
            .map(|v| (v.start, v.pgoff))
            .collect();
        let want = [(0x50000, 0x50), (0x80000, 0x30), (0x90000, 0x40)];
        assert_eq!(pgoffs, want, "{sc}");
    }
}

#[test]
fn a_new_vma_merges_only_with_a_vma_of_the_same_file_at_the_next_offset() {
    // The model's part of the merge test, the same under every design: the same file (or none)
    // and, for a file, an offset that continues. tests/corpus/merge_needs_one_file_and_linear_offsets.ron
    // makes the same mmaps and agrees with Linux 6.18 under `rmapviz check`.
    for sc in rmapviz::schemes::scheme_names() {
        let mut s = sim(sc);
        ok(&mut s, mmap_ro_file(1, 0x10000, 1, "a", 0));
        ok(&mut s, mmap_ro_file(1, 0x11000, 1, "b", 1));
        ok(&mut s, mmap_ro_file(1, 0x20000, 1, "f", 4));
        ok(&mut s, mmap_ro_file(1, 0x21000, 1, "f", 7));
        ok(&mut s, mmap_ro_file(1, 0x22000, 1, "f", 8));
        ok(&mut s, mmap(1, 0x30000, 1, "r"));
        ok(&mut s, mmap_ro_file(1, 0x31000, 1, "g", 0x31));
        let apart = [(0x10000, 0x11000), (0x11000, 0x12000), (0x20000, 0x21000)];
        let rest = [(0x21000, 0x23000), (0x30000, 0x31000), (0x31000, 0x32000)];
        assert_eq!(vma_ranges(&s, 1), [apart, rest].concat(), "{sc}");
    }
}

#[test]
fn an_mremap_growth_in_place_merges_with_the_vma_it_reaches() {
    // vma_merge_extend: a growth in place is placed like a new range between the vma's end and
    // the new end, so it merges with a vma that starts at the new end when they may merge.
    // Found while measuring vmatree.rs's mutants: the model left two vmas, Linux 6.18 one
    // (tests/corpus/mremap_growth_merges_with_the_next_vma.ron, now agreed under `check`).
    for sc in BOTH {
        let mut s = sim(sc);
        ok(&mut s, mmap(1, 0x10000, 2, "rw"));
        ok(&mut s, write(1, 0x10000, 1));
        ok(&mut s, mmap(1, 0x20000, 1, "rw"));
        ok(&mut s, mremap_in_place(1, 0x10000, 2, 16));
        assert_eq!(vma_ranges(&s, 1), [(0x10000, 0x21000)], "{sc}");
        ok(&mut s, mmap(1, 0x40000, 2, "rw"));
        ok(&mut s, mmap(1, 0x50000, 1, "r"));
        ok(&mut s, mremap_in_place(1, 0x40000, 2, 16));
        let want = [(0x10000, 0x21000), (0x40000, 0x50000), (0x50000, 0x51000)];
        assert_eq!(vma_ranges(&s, 1), want, "{sc}");
        ok(&mut s, fork(1, 2));
        assert_eq!(page(&s, 2, 0x10000), page(&s, 1, 0x10000), "{sc}");
    }
}

#[test]
fn reclaim_of_a_shared_page_leaves_the_same_swap_entry_in_every_sharer_and_swapin_shares_it() {
    // §6.2 steps 4-7.
    for sc in BOTH {
        let mut s = sim(sc);
        ok(&mut s, mmap(1, 0x10000, 2, "rw"));
        ok(&mut s, write(1, 0x10000, 2));
        ok(&mut s, fork(1, 2));
        ok(
            &mut s,
            Op::SwapOut {
                pid: 1,
                addr: 0x11000,
            },
        );
        let (a, b) = (pte(&s, 1, 0x11000), pte(&s, 2, 0x11000));
        assert!(matches!(a, PteVal::Swap { .. }), "{sc}: {a:?}");
        let slot = |p: PteVal| match p {
            PteVal::Swap { slot, .. } => slot,
            _ => unreachable!(),
        };
        assert_eq!(slot(a), slot(b), "{sc}: one swap entry for both");
        ok(&mut s, read(2, 0x11000, 1));
        let p = page(&s, 2, 0x11000);
        assert_eq!(s.machine.pages.get(p).mapcount(), 1);
        assert!(matches!(pte(&s, 1, 0x11000), PteVal::Swap { .. }));
        ok(&mut s, read(1, 0x11000, 1));
        assert_eq!(
            page(&s, 1, 0x11000),
            p,
            "{sc}: the parent maps the swap-cache page"
        );
        assert_eq!(s.machine.pages.get(p).mapcount(), 2);
        ok(&mut s, Op::Exit { pid: 2 });
        assert_eq!(s.machine.pages.get(p).mapcount(), 1);
    }
}

#[test]
fn fault_around_maps_the_cached_16_page_window_and_shared_writes_map_one_page() {
    let mut s = sim("modern");
    ok(&mut s, mmap_file(1, 0x100000, 20, "lib.so", false));
    ok(&mut s, read(1, 0x100000, 1));
    assert_eq!(
        s.machine.proc(1).unwrap().mm.pt.len(),
        16,
        "§6.2b: 16 ptes for a one-page read"
    );
    ok(&mut s, mmap_file(1, 0x200000, 20, "data", true));
    ok(&mut s, write(1, 0x203000, 1));
    assert_eq!(
        s.machine
            .proc(1)
            .unwrap()
            .mm
            .pt
            .range(0x200000, 0x214000)
            .len(),
        1
    );
    // Both processes reading the same file map the same page-cache pages.
    ok(&mut s, fork(1, 2));
    ok(&mut s, read(2, 0x100000, 1));
    assert_eq!(page(&s, 2, 0x100000), page(&s, 1, 0x100000));
}

#[test]
fn a_swap_in_maps_the_page_writable_only_for_an_exclusive_swap_entry() {
    // do_swap_page (mm/memory.c): the pte is made writable (in a writable vma) and the page
    // exclusive only when the swap entry was exclusive, that is the page was mapped once when it
    // was reclaimed. A page read back for a shared entry is mapped read-only, even by the last
    // holder of the entry (the swap cache holds the page too), and the write that follows reuses
    // it: no swap entry refers to its slot any more, so do_wp_page frees the slot and keeps the
    // page (`check` on Linux 6.18 sees the frame kept).
    let swap_out = |pid, addr| Op::SwapOut { pid, addr };
    let writable = |s: &rmapviz::session::Simulation, pid, a| match pte(s, pid, a) {
        PteVal::Page { writable, .. } => writable,
        other => panic!("pid {pid} {a:#x}: {other:?}"),
    };
    for sc in BOTH {
        let mut s = sim(sc);
        ok(&mut s, mmap(1, 0x10000, 3, "rw"));
        ok(&mut s, write(1, 0x10000, 3));
        ok(&mut s, swap_out(1, 0x10000));
        ok(&mut s, read(1, 0x10000, 1));
        assert!(writable(&s, 1, 0x10000), "{sc}: an exclusive entry");
        assert!(s.machine.pages.get(page(&s, 1, 0x10000)).is_exclusive());
        // An exclusive entry in a vma made read-only: exclusive, but not writable.
        ok(&mut s, swap_out(1, 0x12000));
        let prot = Prot::R;
        ok(
            &mut s,
            Op::Mprotect {
                pid: 1,
                addr: 0x12000,
                pages: 1,
                prot,
            },
        );
        ok(&mut s, read(1, 0x12000, 1));
        assert!(!writable(&s, 1, 0x12000), "{sc}: a read-only vma");
        assert!(s.machine.pages.get(page(&s, 1, 0x12000)).is_exclusive());
        // A shared page: both ptes become one swap entry, not exclusive.
        ok(&mut s, fork(1, 2));
        ok(&mut s, swap_out(1, 0x11000));
        ok(&mut s, read(2, 0x11000, 1));
        let p = page(&s, 2, 0x11000);
        assert!(
            !writable(&s, 2, 0x11000),
            "{sc}: the first reader of a shared entry"
        );
        assert!(!s.machine.pages.get(p).is_exclusive(), "{sc}");
        ok(&mut s, Op::Exit { pid: 2 });
        ok(&mut s, read(1, 0x11000, 1));
        assert_eq!(page(&s, 1, 0x11000), p, "{sc}: the swap-cache page");
        assert!(
            !writable(&s, 1, 0x11000),
            "{sc}: the last holder of the entry"
        );
        assert!(!s.machine.pages.get(p).is_exclusive(), "{sc}");
        ok(&mut s, write(1, 0x11000, 1));
        assert_eq!(page(&s, 1, 0x11000), p, "{sc}: reused, not copied");
        assert!(writable(&s, 1, 0x11000), "{sc}");
    }
}

#[test]
fn page_referenced_counts_the_young_ptes_that_map_the_page_and_clears_them() {
    // tests/corpus/referenced_clears_every_mapper.ron, whose young bits `check` compares with
    // Linux 6.18: 3 young ptes (pid 1's write, both children's loads), then 2 (pid 1's and the
    // moved pte of pid 3), then 1 (pid 1's; a fork child's ptes start old).
    let text = include_str!("corpus/referenced_clears_every_mapper.ron");
    for sc in BOTH {
        let r = common::run_ron(text, sc);
        let referenced: Vec<u32> = common::walks(&r).iter().map(|w| w.referenced).collect();
        assert_eq!(referenced, vec![3, 2, 1], "{sc}");
    }
}

#[test]
fn reclaim_drops_a_file_page_from_the_page_cache_and_writes_a_shmem_page_to_swap() {
    // shrink_folio_list: a file page that no pte maps any more after try_to_unmap is dropped
    // from the page cache, and the next fault reads it back from the file into a new page; a
    // shmem page has no file behind it and goes to swap (shmem_writeout), where the next fault
    // finds it. `check --reclaim` compares the frames (tests/corpus/shmem_swapped_twice.ron).
    let swap_out = |pid, addr| Op::SwapOut { pid, addr };
    let cached = |s: &rmapviz::session::Simulation, addr| {
        let vma = s.machine.proc(1).unwrap().mm.vma_at(addr).unwrap();
        s.machine
            .file(vma.file.unwrap())
            .lookup(vma.linear_index(addr))
    };
    for sc in BOTH {
        let mut s = sim(sc);
        ok(&mut s, mmap_file(1, 0x100000, 1, "lib.so", false));
        ok(&mut s, read(1, 0x100000, 1));
        let p = page(&s, 1, 0x100000);
        ok(&mut s, swap_out(1, 0x100000));
        assert_eq!(pte(&s, 1, 0x100000), PteVal::None, "{sc}");
        assert!(!s.machine.pages.is_alive(p), "{sc}: freed");
        assert!(matches!(cached(&s, 0x100000), Cached::Absent), "{sc}");
        ok(&mut s, read(1, 0x100000, 1));
        assert_ne!(page(&s, 1, 0x100000), p, "{sc}: read back into a new page");
        ok(&mut s, mmap_shmem(1, 0x200000, 1));
        ok(&mut s, write(1, 0x200000, 1));
        let p = page(&s, 1, 0x200000);
        ok(&mut s, swap_out(1, 0x200000));
        assert!(!s.machine.pages.is_alive(p), "{sc}: freed");
        assert!(matches!(cached(&s, 0x200000), Cached::Swap(_)), "{sc}");
        assert_eq!(s.machine.swap.used(), 1, "{sc}");
    }
}

#[test]
fn reclaim_writes_back_a_file_page_written_through_a_shared_mapping_and_drops_a_clean_one() {
    // A write through a MAP_SHARED file mapping dirties the pte; try_to_unmap_one moves the pte's
    // dirty bit to the page (folio_mark_dirty), and shrink_folio_list writes a dirty page back
    // to its file (pageout) before it drops it from the page cache. A page that was only read,
    // like the one the next read brings back from the file, is clean and dropped as it is.
    for sc in BOTH {
        let mut s = sim(sc);
        let swap_out = |s: &mut rmapviz::session::Simulation| {
            let op = Op::SwapOut {
                pid: 1,
                addr: 0x100000,
            };
            let r = s.step(&op, false);
            assert_eq!(r.error, None, "{sc}");
            let pageout: Vec<String> = r
                .events
                .into_iter()
                .filter(|e| e.starts_with("pageout: \"data\""))
                .collect();
            assert_eq!(pageout.len(), 1, "{sc}: {pageout:?}");
            pageout[0].clone()
        };
        ok(&mut s, mmap_file(1, 0x100000, 1, "data", true));
        ok(&mut s, write(1, 0x100000, 1));
        let e = swap_out(&mut s);
        assert!(
            e.ends_with("written back, then dropped from the page cache"),
            "{sc}: {e}"
        );
        ok(&mut s, read(1, 0x100000, 1));
        let e = swap_out(&mut s);
        assert!(
            e.ends_with("clean, dropped from the page cache"),
            "{sc}: {e}"
        );
    }
}

#[test]
fn fork_and_exit_count_the_ptes_they_copy_and_zap() {
    // dup_mmap copies the ptes of private vmas that have anonymous pages (vma_needs_copy): here
    // a page, a swap entry and the zero page; a private file vma only read has none and is
    // skipped. The page becomes shared copy-on-write; a second fork shares it once more.
    // exit_mmap zaps every pte of the child.
    let mut s = sim("modern");
    ok(&mut s, mmap(1, 0x10000, 4, "rw"));
    ok(&mut s, write(1, 0x10000, 2));
    ok(&mut s, read(1, 0x12000, 1));
    ok(
        &mut s,
        Op::SwapOut {
            pid: 1,
            addr: 0x11000,
        },
    );
    ok(&mut s, mmap_file(1, 0x20000, 2, "lib.so", false));
    ok(&mut s, read(1, 0x20000, 1));
    let mut events = |op: Op| {
        let r = s.step(&op, false);
        assert_eq!(r.error, None, "{op}");
        r.events
    };
    let first = "dup_mmap: pid 1 -> 2: 2 vmas, 3 ptes copied, 1 page shared copy-on-write";
    assert!(events(fork(1, 2)).iter().any(|e| e == first));
    let second = format!(
        "{} (1 of them already shared)",
        first.replace("-> 2", "-> 3")
    );
    assert!(events(fork(1, 3)).contains(&second));
    let exit = events(Op::Exit { pid: 3 });
    assert!(
        exit.iter()
            .any(|e| e.contains("zapped 3 ptes, removed 2 vmas")),
        "{exit:#?}"
    );
}

#[test]
fn munmap_counts_the_vmas_it_removes_and_the_ptes_it_zaps() {
    // do_vmi_munmap splits the vmas at the ends of the range, and unmap_region zaps every pte
    // of the vmas in between: pages, zero-page ptes and swap entries alike.
    let mut s = sim("modern");
    ok(&mut s, mmap(1, 0x10000, 4, "rw"));
    ok(&mut s, mmap(1, 0x14000, 4, "r"));
    ok(&mut s, write(1, 0x10000, 3));
    ok(&mut s, read(1, 0x13000, 1));
    ok(&mut s, read(1, 0x14000, 1));
    ok(
        &mut s,
        Op::SwapOut {
            pid: 1,
            addr: 0x12000,
        },
    );
    let r = s.step(
        &Op::Munmap {
            pid: 1,
            addr: 0x11000,
            pages: 5,
        },
        false,
    );
    assert_eq!(r.error, None);
    let want = "munmap: pid 1 0x11000-0x16000: removed 2 vmas, zapped 4 ptes";
    assert!(r.events.iter().any(|e| e == want), "{:#?}", r.events);
    // Only the page below the range is still mapped.
    assert!(matches!(pte(&s, 1, 0x10000), PteVal::Page { .. }));
    assert_eq!(s.machine.all_ptes().len(), 1);
}

#[test]
fn a_read_fault_names_the_page_it_faulted_and_the_neighbours_fault_around_mapped() {
    // do_read_fault maps the faulting page, and do_fault_around the other pages of its 16-pte
    // window that are in the page cache (all of a file's pages, until reclaim drops some).
    let mut s = sim("modern");
    ok(&mut s, mmap_file(1, 0x100000, 20, "lib.so", false));
    let events = |s: &mut rmapviz::session::Simulation, addr: u64| {
        let r = s.step(&read(1, addr, 1), false);
        assert_eq!(r.error, None);
        r.events
    };
    let pages = |s: &rmapviz::session::Simulation, r: std::ops::Range<u64>, but: u64| {
        let v: Vec<PageId> = r
            .filter(|&i| i != but)
            .map(|i| page(s, 1, i * 0x1000))
            .collect();
        page_list(&v)
    };
    let ev = events(&mut s, 0x103000);
    let faulted = page_list(&[page(&s, 1, 0x103000)]);
    let read = format!("do_read_fault: page-cache page mapped read-only: 1 page ({faulted})");
    let around = format!(
        "do_fault_around: cached neighbour mapped too: 15 pages ({})",
        pages(&s, 0x100..0x110, 0x103)
    );
    assert!(ev.contains(&read) && ev.contains(&around), "{ev:#?}");
    // The next window, 0x110000-0x114000, is cut at the vma's end: the page and 3 neighbours.
    let ev = events(&mut s, 0x112000);
    let around = format!(
        "do_fault_around: cached neighbour mapped too: 3 pages ({})",
        pages(&s, 0x110..0x114, 0x112)
    );
    assert!(ev.contains(&around), "{ev:#?}");
}

#[test]
fn growing_a_shared_anonymous_mapping_does_not_grow_its_shmem_object() {
    let mut s = sim("modern");
    ok(&mut s, mmap_shmem(1, 0x10000, 2));
    ok(
        &mut s,
        Op::Mremap {
            pid: 1,
            addr: 0x10000,
            pages: 2,
            new_pages: Some(4),
            to: None,
        },
    );
    assert!(matches!(
        err(&mut s, write(1, 0x12000, 1)),
        StepError::Sigbus { .. }
    ));
    ok(&mut s, write(1, 0x11000, 1));
}
