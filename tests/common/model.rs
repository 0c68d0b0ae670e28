//! The ops and checks the model's tests are written with (`model_semantics.rs`,
//! `model_ranges.rs`).

use rmapviz::model::{MmapArgs, Op, PageId, Prot, PteVal, StepError};
use rmapviz::session::Simulation;

pub fn sim(scheme: &str) -> Simulation {
    Simulation::by_name(scheme).unwrap()
}

pub fn mmap(pid: u32, addr: u64, pages: u64, prot: &str) -> Op {
    Op::Mmap(MmapArgs {
        pid,
        addr,
        pages,
        prot: Prot::parse(prot).unwrap(),
        shared: false,
        file: None,
        offset: 0,
    })
}

pub fn mmap_file(pid: u32, addr: u64, pages: u64, file: &str, shared: bool) -> Op {
    Op::Mmap(MmapArgs {
        pid,
        addr,
        pages,
        prot: Prot::RW,
        shared,
        file: Some(file.into()),
        offset: 0,
    })
}

/// A private read-only mapping of `pages` pages of `file` from page `offset` on.
pub fn mmap_ro_file(pid: u32, addr: u64, pages: u64, file: &str, offset: u64) -> Op {
    Op::Mmap(MmapArgs {
        pid,
        addr,
        pages,
        prot: Prot::R,
        shared: false,
        file: Some(file.into()),
        offset,
    })
}

/// A shared anonymous mapping (a shmem object behind it).
pub fn mmap_shmem(pid: u32, addr: u64, pages: u64) -> Op {
    Op::Mmap(MmapArgs {
        pid,
        addr,
        pages,
        prot: Prot::RW,
        shared: true,
        file: None,
        offset: 0,
    })
}

pub fn write(pid: u32, addr: u64, pages: u64) -> Op {
    Op::Write { pid, addr, pages }
}

pub fn read(pid: u32, addr: u64, pages: u64) -> Op {
    Op::Read { pid, addr, pages }
}

pub fn fork(pid: u32, child: u32) -> Op {
    Op::Fork { pid, child }
}

/// An mremap that moves the range to `to` (MREMAP_MAYMOVE | MREMAP_FIXED), resized to
/// `new_pages` if given.
pub fn mremap(pid: u32, addr: u64, pages: u64, new_pages: Option<u64>, to: u64) -> Op {
    Op::Mremap {
        pid,
        addr,
        pages,
        new_pages,
        to: Some(to),
    }
}

/// An mremap without MREMAP_MAYMOVE: the range grows or shrinks where it is.
pub fn mremap_in_place(pid: u32, addr: u64, pages: u64, new_pages: u64) -> Op {
    Op::Mremap {
        pid,
        addr,
        pages,
        new_pages: Some(new_pages),
        to: None,
    }
}

pub fn ok(s: &mut Simulation, op: Op) {
    let r = s.step(&op, false);
    assert!(r.error.is_none(), "{op}: {:?}", r.error);
}

pub fn err(s: &mut Simulation, op: Op) -> StepError {
    let r = s.step(&op, false);
    r.error.unwrap_or_else(|| panic!("{op} should be refused"))
}

pub fn pte(s: &Simulation, pid: u32, addr: u64) -> PteVal {
    s.machine.pte(pid, addr)
}

pub fn page(s: &Simulation, pid: u32, addr: u64) -> PageId {
    match pte(s, pid, addr) {
        PteVal::Page { page, .. } => page,
        other => panic!("pid {pid} {addr:#x}: {other:?}"),
    }
}

/// (start, end, protection letters such as "rw") of each of `pid`'s vmas, in address order.
pub fn vma_prots(s: &Simulation, pid: u32) -> Vec<(u64, u64, String)> {
    s.machine
        .proc(pid)
        .unwrap()
        .mm
        .vmas
        .iter()
        .map(|v| (v.start, v.end, v.prot.to_string()))
        .collect()
}

/// (start, end) of each of `pid`'s vmas, in address order.
pub fn vma_ranges(s: &Simulation, pid: u32) -> Vec<(u64, u64)> {
    vma_prots(s, pid)
        .into_iter()
        .map(|(start, end, _)| (start, end))
        .collect()
}

pub const BOTH: [&str; 2] = ["modern", "anon-vma"];
