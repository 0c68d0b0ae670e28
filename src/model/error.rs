//! Why the kernel would refuse an op. A refused step leaves the state unchanged, except an
//! mprotect whose range has a hole after its start: Linux changes the vmas before the hole and
//! then fails with ENOMEM, and so does the model ([`StepError::NotFullyMapped`]).

use thiserror::Error;

use super::types::{Addr, MAX_OP_PAGES, Pid};

/// A step the kernel would refuse, with the errno or signal it would give.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum StepError {
    #[error("no process with pid {0}")]
    NoSuchPid(Pid),
    #[error("pid {0} already exists")]
    PidExists(Pid),
    #[error("{what} {addr:#x} is not page-aligned (a multiple of 0x1000)")]
    Unaligned { what: &'static str, addr: Addr },
    #[error("{what} must be at least 1")]
    ZeroPages { what: &'static str },
    #[error("{what} {pages} is too large (at most {max} pages per op)", max = MAX_OP_PAGES)]
    TooManyPages { what: &'static str, pages: u64 },
    #[error(
        "{start:#x} + {pages} pages goes past the end of the user address space (0x7ffffffff000)"
    )]
    OutOfRange { start: Addr, pages: u64 },
    #[error(
        "mmap: {start:#x}-{end:#x} overlaps the vma {vstart:#x}-{vend:#x} of pid {pid} (MAP_FIXED_NOREPLACE: EEXIST)"
    )]
    Overlap {
        pid: Pid,
        start: Addr,
        end: Addr,
        vstart: Addr,
        vend: Addr,
    },
    #[error("mmap: offset is only meaningful with file")]
    OffsetWithoutFile,
    #[error("mmap: file name must not be empty")]
    EmptyFileName,
    #[error("SIGSEGV: pid {pid} has nothing mapped at {addr:#x}")]
    Unmapped { pid: Pid, addr: Addr },
    #[error(
        "SIGSEGV: pid {pid} cannot {access} {addr:#x}: vma {vstart:#x}-{vend:#x} is mapped \"{prot}\""
    )]
    Protection {
        pid: Pid,
        access: &'static str,
        addr: Addr,
        vstart: Addr,
        vend: Addr,
        prot: String,
    },
    #[error(
        "SIGBUS: pid {pid} touched {addr:#x}, page {index} of \"{file}\", which has only {size} pages"
    )]
    Sigbus {
        pid: Pid,
        addr: Addr,
        file: String,
        index: u64,
        size: u64,
    },
    /// `changed_to` is where the kernel stopped: like Linux, the mapped range `start..changed_to`
    /// before the first hole was changed (nothing when it equals `start`).
    #[error("mprotect: {start:#x}-{end:#x} is not fully mapped in pid {pid} (ENOMEM){}",
        if changed_to > start {
            format!("; {start:#x}-{changed_to:#x}, before the hole, was changed, as Linux does")
        } else {
            String::new()
        })]
    NotFullyMapped {
        pid: Pid,
        start: Addr,
        end: Addr,
        changed_to: Addr,
    },
    /// madvise applies to the mapped parts of its range, then fails for the holes.
    #[error(
        "madvise: {start:#x}-{end:#x} is not fully mapped in pid {pid} (ENOMEM){}",
        if *advised { "; its mapped parts were advised, as Linux does" } else { "" }
    )]
    MadviseUnmapped {
        pid: Pid,
        start: Addr,
        end: Addr,
        advised: bool,
    },
    #[error(
        "madvise(MADV_FREE): the vma {vstart:#x}-{vend:#x} of pid {pid} is not private anonymous memory (EINVAL)"
    )]
    MadviseFreeNotAnon { pid: Pid, vstart: Addr, vend: Addr },
    #[error(
        "brk: the heap of pid {pid} starts at {heap:#x}, not {start:#x} (its first Brk after exec or spawn fixed it)"
    )]
    BrkStart { pid: Pid, start: Addr, heap: Addr },
    #[error(
        "brk: pid {pid} cannot grow its heap to {end:#x}: the vma {vstart:#x}-{vend:#x} is in the way (the heap must end a page before the next vma; brk returns the old break)"
    )]
    BrkNoRoom {
        pid: Pid,
        end: Addr,
        vstart: Addr,
        vend: Addr,
    },
    #[error(
        "brk: pid {pid} cannot shrink its heap to {new:#x}: nothing is mapped between {new:#x} and the break {old:#x} (brk returns the old break)"
    )]
    BrkNothingMapped { pid: Pid, new: Addr, old: Addr },
    #[error("mremap: pid {pid} has no vma at {addr:#x} (EFAULT)")]
    MremapNoVma { pid: Pid, addr: Addr },
    #[error(
        "mremap: {start:#x}-{end:#x} is not inside one vma of pid {pid}: only a move that keeps the size may span vmas (EFAULT)"
    )]
    MremapSpan { pid: Pid, start: Addr, end: Addr },
    #[error(
        "mremap: cannot grow {start:#x}-{end:#x} in place to {new_end:#x}: {why}; give `to` to move it (ENOMEM)"
    )]
    MremapNoRoom {
        start: Addr,
        end: Addr,
        new_end: Addr,
        why: String,
    },
    #[error(
        "mremap: destination {to:#x}-{to_end:#x} overlaps the source {start:#x}-{end:#x} (EINVAL)"
    )]
    MremapOverlap {
        start: Addr,
        end: Addr,
        to: Addr,
        to_end: Addr,
    },
    #[error("{op}: pid {pid} has no page at {addr:#x}{why}")]
    NoPage {
        op: &'static str,
        pid: Pid,
        addr: Addr,
        why: &'static str,
    },
    #[error("{op}: the pte of pid {pid} at {addr:#x} is already a swap entry ({slot})")]
    AlreadySwapped {
        op: &'static str,
        pid: Pid,
        addr: Addr,
        slot: String,
    },
    #[error("{op}: pid {pid} maps the shared zero page at {addr:#x}, which reclaim never touches")]
    ZeroPage {
        op: &'static str,
        pid: Pid,
        addr: Addr,
    },
}
