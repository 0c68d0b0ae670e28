//! The program's allocator: mimalloc, except in the kernel oracle's driven processes.
//!
//! A step's graph is thousands of small allocations (node texts, inspector fields) made and
//! freed whole, step after step. glibc's malloc spent about half of `record`'s time on the
//! 1000 x 1000 storm sorting and merging the chunks a freed graph left, at the next large
//! allocation; mimalloc does not (README, "Speed and memory").
//!
//! A driven process (`rmapviz check`'s stand-in for a scenario's process, started with
//! [`crate::oracle::runs::TAG_ENV`] in its environment) must have nothing of its own below the
//! scenario's addresses, and mimalloc places its memory from 2 TiB up: there, and in the
//! processes forked from it, the system's allocator is used. The choice is made once, at the
//! first allocation (before `main`, when nothing else runs), and never changes, so every block
//! is freed by the allocator that made it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU8, Ordering};

/// The global allocator of the binary and the benchmarks: `#[global_allocator] static A:
/// Allocator = Allocator;`.
pub struct Allocator;

const UNDECIDED: u8 = 0;
const SYSTEM: u8 = 1;
const MIMALLOC: u8 = 2;

static CHOICE: AtomicU8 = AtomicU8::new(UNDECIDED);

/// Whether this process uses the system's allocator (a driven process).
fn system() -> bool {
    match CHOICE.load(Ordering::Relaxed) {
        SYSTEM => true,
        MIMALLOC => false,
        _ => {
            let system = driven();
            let c = if system { SYSTEM } else { MIMALLOC };
            CHOICE.store(c, Ordering::Relaxed);
            system
        }
    }
}

/// Whether the oracle's tag is in the environment, read without allocating.
#[cfg(target_os = "linux")]
fn driven() -> bool {
    const NAME: &[u8] = crate::oracle::runs::TAG_ENV.as_bytes();
    let mut name = [0u8; 64];
    if NAME.len() >= name.len() {
        return false;
    }
    name[..NAME.len()].copy_from_slice(NAME);
    // SAFETY: `name` ends with a NUL; nothing sets the environment before the first allocation.
    !unsafe { libc::getenv(name.as_ptr().cast()) }.is_null()
}

#[cfg(not(target_os = "linux"))]
fn driven() -> bool {
    false
}

// SAFETY: every call goes to one of two allocators that uphold `GlobalAlloc`'s contract, the
// same one for the whole life of the process (see `system`).
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if system() {
            unsafe { System.alloc(l) }
        } else {
            unsafe { mimalloc::MiMalloc.alloc(l) }
        }
    }

    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        if system() {
            unsafe { System.alloc_zeroed(l) }
        } else {
            unsafe { mimalloc::MiMalloc.alloc_zeroed(l) }
        }
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        if system() {
            unsafe { System.dealloc(p, l) }
        } else {
            unsafe { mimalloc::MiMalloc.dealloc(p, l) }
        }
    }

    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        if system() {
            unsafe { System.realloc(p, l, n) }
        } else {
            unsafe { mimalloc::MiMalloc.realloc(p, l, n) }
        }
    }
}
