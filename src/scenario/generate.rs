//! Generated scenarios.

use super::Scenario;
use crate::model::{MmapArgs, Op, PAGE_SIZE};

/// Base address of the storm's vma.
const STORM_BASE: u64 = 0x1000_0000;

/// Rik van Riel's copy-on-write storm (docs/semantics.md §5.4): a parent with a vma of `pages`
/// written pages forks `children` children, every child writes every page, then reclaim looks
/// at (a) a child's copy and (b) the parent's original.
pub fn storm(children: u32, pages: u64) -> Scenario {
    let mut steps = vec![
        Op::Mmap(MmapArgs {
            pid: 1,
            addr: STORM_BASE,
            pages,
            prot: crate::model::Prot::RW,
            shared: false,
            file: None,
            offset: 0,
        })
        .with_note(format!("the parent's {pages}-page private anonymous vma")),
        Op::Write {
            pid: 1,
            addr: STORM_BASE,
            pages,
        }
        .with_note("the parent writes every page: anon_vma_prepare"),
    ];
    for c in 0..children {
        steps.push(
            Op::Fork {
                pid: 1,
                child: c + 2,
            }
            .into(),
        );
    }
    for c in 0..children {
        steps.push(
            Op::Write {
                pid: c + 2,
                addr: STORM_BASE,
                pages,
            }
            .into(),
        );
    }
    let last = STORM_BASE + (pages - 1) * PAGE_SIZE;
    if children > 0 {
        steps.push(Op::SwapOut { pid: 2, addr: last }.with_note(
            "(a) a child's private copy: anon-vma scans the whole family, anon_vma_chain one vma",
        ));
    }
    steps.push(
        Op::SwapOut {
            pid: 1,
            addr: STORM_BASE,
        }
        .with_note(
            "(b) the parent's original: every scheme that searches by vma probes every child",
        ),
    );
    Scenario {
        title: format!("copy-on-write storm: {children} children x {pages} pages"),
        about: format!(
            "Rik van Riel, Jan 2010: \"In a workload with 1000 child processes and a VMA with 1000 anonymous pages per \
             process that get COWed, this leads to a system with a million anonymous pages in the same anon_vma.\" \
             Generated: {children} children, {pages} pages."
        ),
        steps,
    }
}
