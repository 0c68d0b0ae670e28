//! The messages between the controller and a driven process: one JSON document per
//! `SOCK_SEQPACKET` message.

use serde::{Deserialize, Serialize};

use crate::model::{Advice, Prot};

/// What the controller asks a driven process to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// mmap(addr, len, prot, MAP_FIXED_NOREPLACE | MAP_PRIVATE or MAP_SHARED, file or
    /// anonymous, offset). (The process has transparent huge pages off: PR_SET_THP_DISABLE.)
    Mmap {
        addr: u64,
        len: u64,
        prot: Prot,
        shared: bool,
        /// The scenario's name of the file; its descriptor comes with the request.
        file: Option<String>,
        offset: u64,
    },
    Munmap {
        addr: u64,
        len: u64,
    },
    Mprotect {
        addr: u64,
        len: u64,
        prot: Prot,
    },
    /// madvise(addr, len, MADV_DONTNEED or MADV_FREE).
    Madvise {
        addr: u64,
        len: u64,
        advice: Advice,
    },
    /// mremap(addr, old_len, new_len, to ? MREMAP_MAYMOVE | MREMAP_FIXED : 0, to).
    Mremap {
        addr: u64,
        old_len: u64,
        new_len: u64,
        to: Option<u64>,
    },
    /// brk(new) with the process's break lent to the scenario's heap (`start_brk` = `start`,
    /// `brk` = `old`) for the call. Done(Ok): the break is `new`; Done(Errno(ENOMEM)): brk
    /// returned another break (it refused); Done(Errno(e)), any other e: the break could not
    /// be lent (PR_SET_MM_MAP failed with e) and nothing ran.
    Brk {
        start: u64,
        old: u64,
        new: u64,
    },
    /// One-byte loads (or stores) at the start of each of `pages` pages from `addr`; stops at
    /// the first fault.
    Access {
        addr: u64,
        pages: u64,
        write: bool,
    },
    /// Flush the process's TLB (a scratch mapping above the scenario's range, written and
    /// dropped with MADV_DONTNEED), so that the next load sets a pte's young bit again.
    FlushTlb,
    /// fork(); the reply carries the child's end of a new socket pair.
    Fork,
    /// execve(/proc/self/exe) in driven mode; the new image says Hello.
    Exec,
    /// _exit(0), after replying.
    Exit,
}

/// How the kernel took a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KernelOutcome {
    Ok,
    /// The system call failed with this errno.
    Errno(i32),
    /// A load or store raised this signal at this address.
    Signal {
        signo: i32,
        addr: u64,
    },
}

/// What a driven process answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    /// Sent once by every new process image.
    Hello {
        pid: i32,
        /// The lowest address of any mapping the process has of its own.
        lowest_mapping: u64,
    },
    /// The request ran; `nanos` is the wall time of the system calls or accesses alone.
    Done { outcome: KernelOutcome, nanos: u64 },
    /// fork() returned `child` in the parent; the message carries a socket for the child.
    Forked { child: i32, nanos: u64 },
}

/// Largest message either side sends.
pub const MAX_MESSAGE: usize = 4096;
