//! The driven process: one scenario pid, doing exactly what the controller asks, nothing else.
//!
//! It talks over fd 0, a `SOCK_SEQPACKET` socket. It never allocates scenario memory of its own,
//! and it leaves all addresses below [`super::REGION_END`] to the scenario.

use std::ffi::CString;
use std::io::{IoSlice, IoSliceMut};
use std::num::NonZeroUsize;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;
use std::time::Instant;

use nix::errno::Errno;
use nix::sys::mman::{MRemapFlags, MapFlags, MmapAdvise, ProtFlags};
use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::socket::{
    AddressFamily, ControlMessage, MsgFlags, SockFlag, SockType, recvmsg, sendmsg, socketpair,
};
use nix::unistd::ForkResult;

use super::access::{install_fault_handler, touch};
use super::protocol::{KernelOutcome, MAX_MESSAGE, Reply, Request};
use crate::model::{Advice, PAGE_SIZE, Prot};

/// The control socket of a driven process.
const CONTROL_FD: RawFd = 0;

/// Sends one message, with `fd` attached if given.
pub fn send_message<T: serde::Serialize>(
    sock: RawFd,
    msg: &T,
    fd: Option<RawFd>,
) -> nix::Result<()> {
    let bytes = serde_json::to_vec(msg).map_err(|_| Errno::EINVAL)?;
    let fds = fd.map(|f| [f]);
    let cmsgs: Vec<ControlMessage<'_>> = fds
        .as_ref()
        .map(|f| ControlMessage::ScmRights(f))
        .into_iter()
        .collect();
    loop {
        match sendmsg::<()>(
            sock,
            &[IoSlice::new(&bytes)],
            &cmsgs,
            MsgFlags::empty(),
            None,
        ) {
            // A signal handler ran (any thread's: the check also runs inside test harnesses and
            // next to the cleanup thread); nothing was sent, so send again.
            Err(Errno::EINTR) => continue,
            r => return r.map(|_| ()),
        }
    }
}

/// Receives one message and the fd attached to it, if any. Err(ECONNRESET) at end of stream.
pub fn recv_message<T: serde::de::DeserializeOwned>(
    sock: RawFd,
) -> nix::Result<(T, Option<OwnedFd>)> {
    let mut buf = vec![0u8; MAX_MESSAGE];
    let mut cbuf = nix::cmsg_space!([RawFd; 2]);
    let (n, fd) = {
        let mut iov = [IoSliceMut::new(&mut buf)];
        // With SO_RCVTIMEO set, recvmsg is never restarted after a signal handler runs, even
        // with SA_RESTART (signal(7)): it fails with EINTR, having received nothing. Retry.
        let msg = loop {
            match recvmsg::<()>(sock, &mut iov, Some(&mut cbuf), MsgFlags::MSG_CMSG_CLOEXEC) {
                Err(Errno::EINTR) => continue,
                r => break r?,
            }
        };
        let mut fd = None;
        for c in msg.cmsgs()? {
            if let nix::sys::socket::ControlMessageOwned::ScmRights(fds) = c {
                for f in fds {
                    // SAFETY: SCM_RIGHTS hands us a new descriptor that nobody else owns.
                    let owned = unsafe { OwnedFd::from_raw_fd(f) };
                    if fd.is_none() {
                        fd = Some(owned);
                    }
                }
            }
        }
        (msg.bytes, fd)
    };
    if n == 0 {
        return Err(Errno::ECONNRESET);
    }
    let v = serde_json::from_slice(&buf[..n]).map_err(|_| Errno::EPROTO)?;
    Ok((v, fd))
}

fn prot_flags(p: Prot) -> ProtFlags {
    let mut f = ProtFlags::PROT_NONE;
    if p.read {
        f |= ProtFlags::PROT_READ;
    }
    if p.write {
        f |= ProtFlags::PROT_WRITE;
    }
    if p.exec {
        f |= ProtFlags::PROT_EXEC;
    }
    f
}

fn ptr(addr: u64) -> Result<NonNull<std::ffi::c_void>, Errno> {
    NonNull::new(addr as usize as *mut std::ffi::c_void).ok_or(Errno::EINVAL)
}

fn len(n: u64) -> Result<NonZeroUsize, Errno> {
    NonZeroUsize::new(n as usize).ok_or(Errno::EINVAL)
}

fn outcome(r: Result<(), Errno>) -> KernelOutcome {
    match r {
        Ok(()) => KernelOutcome::Ok,
        Err(e) => KernelOutcome::Errno(e as i32),
    }
}

/// The mmap of a request; `file`: the descriptor that came with it (a file mapping). The
/// descriptor is closed after the call: the mapping holds the file, and every mapping of it is
/// of the controller's one open file.
fn do_mmap(
    addr: u64,
    n: u64,
    prot: Prot,
    shared: bool,
    file: Option<OwnedFd>,
    offset: u64,
) -> Result<(), Errno> {
    let hint = NonZeroUsize::new(addr as usize);
    let flags = MapFlags::MAP_FIXED_NOREPLACE
        | if shared {
            MapFlags::MAP_SHARED
        } else {
            MapFlags::MAP_PRIVATE
        };
    let got = match file {
        Some(fd) => {
            // SAFETY: MAP_FIXED_NOREPLACE never replaces an existing mapping, and the range is
            // below REGION_END, where this process has nothing of its own.
            unsafe {
                nix::sys::mman::mmap(hint, len(n)?, prot_flags(prot), flags, &fd, offset as i64)?
            }
        }
        // SAFETY: as above.
        None => unsafe { nix::sys::mman::mmap_anonymous(hint, len(n)?, prot_flags(prot), flags)? },
    };
    if got.as_ptr() as u64 != addr {
        // A kernel without MAP_FIXED_NOREPLACE treats it as a hint: undo and refuse.
        // SAFETY: `got` is the mapping just made.
        unsafe { nix::sys::mman::munmap(got, n as usize)? };
        return Err(Errno::EEXIST);
    }
    Ok(())
}

/// More pages than x86 flushes one by one (`tlb_single_page_flush_ceiling`, 33): dropping them
/// makes the kernel flush this process's whole TLB.
const TLB_FLUSH_PAGES: usize = 64;

/// Flushes this process's TLB: writes a private scratch mapping of [`TLB_FLUSH_PAGES`] pages,
/// placed by the kernel above the scenario's range, and drops its pages with MADV_DONTNEED, whose
/// TLB flush covers more than the per-page ceiling and so flushes the whole address space. After
/// clear_refs a load only sets a young bit again if the TLB no longer holds the translation
/// (clear_refs itself does not flush).
fn flush_tlb() -> Result<(), Errno> {
    let n = TLB_FLUSH_PAGES * PAGE_SIZE as usize;
    // SAFETY: a new anonymous mapping where the kernel chooses (never below REGION_END in a
    // driven process, whose mappings all lie far above), used only here and unmapped below.
    let m = unsafe {
        nix::sys::mman::mmap_anonymous(
            None,
            len(n as u64)?,
            ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
            MapFlags::MAP_PRIVATE,
        )?
    };
    let base = m.as_ptr() as *mut u8;
    for i in 0..TLB_FLUSH_PAGES {
        // SAFETY: inside the writable mapping just made.
        unsafe { base.add(i * PAGE_SIZE as usize).write_volatile(1) };
    }
    // SAFETY: advice and unmapping of the scratch mapping made above, nothing else.
    let r = unsafe { nix::sys::mman::madvise(m, n, MmapAdvise::MADV_DONTNEED) };
    // SAFETY: as above.
    unsafe { nix::sys::mman::munmap(m, n)? };
    r
}

/// Runs one request, with the descriptor that came with it; returns the reply.
fn handle(req: &Request, fd: Option<OwnedFd>) -> Reply {
    let t = Instant::now();
    let done = |outcome: KernelOutcome, t: Instant| Reply::Done {
        outcome,
        nanos: t.elapsed().as_nanos() as u64,
    };
    match req {
        Request::Mmap {
            addr,
            len: n,
            prot,
            shared,
            file,
            offset,
        } => {
            let r = match (file, fd) {
                (Some(_), None) => Err(Errno::EBADF),
                (None, _) => do_mmap(*addr, *n, *prot, *shared, None, *offset),
                (Some(_), fd) => do_mmap(*addr, *n, *prot, *shared, fd, *offset),
            };
            done(outcome(r), t)
        }
        Request::Munmap { addr, len: n } => {
            // SAFETY: the controller only sends ranges below REGION_END (the scenario's own).
            let r = ptr(*addr).and_then(|p| unsafe { nix::sys::mman::munmap(p, *n as usize) });
            done(outcome(r), t)
        }
        Request::Mprotect { addr, len: n, prot } => {
            // SAFETY: as for munmap.
            let r = ptr(*addr).and_then(|p| unsafe {
                nix::sys::mman::mprotect(p, *n as usize, prot_flags(*prot))
            });
            done(outcome(r), t)
        }
        Request::Madvise {
            addr,
            len: n,
            advice,
        } => {
            let how = match advice {
                Advice::DontNeed => MmapAdvise::MADV_DONTNEED,
                Advice::Free => MmapAdvise::MADV_FREE,
            };
            // SAFETY: as for munmap: the scenario's own range.
            let r =
                ptr(*addr).and_then(|p| unsafe { nix::sys::mman::madvise(p, *n as usize, how) });
            done(outcome(r), t)
        }
        Request::Mremap {
            addr,
            old_len,
            new_len,
            to,
        } => {
            let r = ptr(*addr).and_then(|p| {
                let (flags, dest) = match to {
                    Some(to) => (
                        MRemapFlags::MREMAP_MAYMOVE | MRemapFlags::MREMAP_FIXED,
                        Some(ptr(*to)?),
                    ),
                    None => (MRemapFlags::empty(), None),
                };
                // SAFETY: source and destination are below REGION_END (the scenario's own).
                unsafe {
                    nix::sys::mman::mremap(p, *old_len as usize, *new_len as usize, flags, dest)
                }
                .map(drop)
            });
            done(outcome(r), t)
        }
        Request::Access { addr, pages, write } => {
            let mut o = KernelOutcome::Ok;
            for i in 0..*pages {
                if let Some((signo, fault)) = touch(addr + i * PAGE_SIZE, *write) {
                    o = KernelOutcome::Signal { signo, addr: fault };
                    break;
                }
            }
            done(o, t)
        }
        Request::FlushTlb => done(outcome(flush_tlb()), t),
        Request::Brk { start, old, new } => {
            let (outcome, nanos) = super::heap::scenario_brk(*start, *old, *new);
            Reply::Done { outcome, nanos }
        }
        Request::Fork | Request::Exec | Request::Exit => unreachable!("handled by the loop"),
    }
}

fn lowest_mapping() -> u64 {
    std::fs::read_to_string("/proc/self/maps")
        .ok()
        .and_then(|s| {
            s.lines()
                .filter_map(|l| {
                    l.split('-')
                        .next()
                        .and_then(|a| u64::from_str_radix(a, 16).ok())
                })
                .min()
        })
        .unwrap_or(0)
}

/// No transparent huge pages in this process and the images it forks and execs
/// (`PR_SET_THP_DISABLE`, inherited by both), so every page stays 4 KiB as in the model.
/// A flag of the mm, not of each vma: `MADV_NOHUGEPAGE` on each mapping would set
/// `VM_NOHUGEPAGE`, which brk's heap vma lacks, and vmas merge only with equal flags.
fn disable_thp() -> Result<(), Errno> {
    // SAFETY: PR_SET_THP_DISABLE takes integers only.
    let r = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1 as libc::c_ulong, 0, 0, 0) };
    if r == 0 { Ok(()) } else { Err(Errno::last()) }
}

/// The driven process's main loop. Never returns.
pub fn driven_main() -> ! {
    if install_fault_handler().is_err() || disable_thp().is_err() {
        // SAFETY: _exit is always safe to call.
        unsafe { libc::_exit(3) };
    }
    // Children of driven processes are reaped automatically.
    // SAFETY: SIG_IGN is not a handler; no code runs on SIGCHLD.
    let _ = unsafe { signal(Signal::SIGCHLD, SigHandler::SigIgn) };
    let hello = Reply::Hello {
        pid: std::process::id() as i32,
        lowest_mapping: lowest_mapping(),
    };
    if send_message(CONTROL_FD, &hello, None).is_err() {
        // SAFETY: as above.
        unsafe { libc::_exit(3) };
    }
    loop {
        let Ok((req, fd)) = recv_message::<Request>(CONTROL_FD) else {
            // The controller is gone: so are we.
            // SAFETY: as above.
            unsafe { libc::_exit(0) };
        };
        let reply = match req {
            Request::Exit => {
                let done = Reply::Done {
                    outcome: KernelOutcome::Ok,
                    nanos: 0,
                };
                let _ = send_message(CONTROL_FD, &done, None);
                // SAFETY: as above.
                unsafe { libc::_exit(0) };
            }
            Request::Exec => Some(exec_self()),
            Request::Fork => fork_self(),
            ref r => Some(handle(r, fd)),
        };
        if let Some(reply) = reply
            && send_message(CONTROL_FD, &reply, None).is_err()
        {
            // SAFETY: as above.
            unsafe { libc::_exit(0) };
        }
    }
}

/// execve of this same binary in driven mode; only returns (a reply) if execve failed.
fn exec_self() -> Reply {
    let t = Instant::now();
    let exe = CString::new("/proc/self/exe").unwrap_or_default();
    let args = [
        CString::new("rmapviz").unwrap_or_default(),
        CString::new(super::driver::DRIVEN_ARG).unwrap_or_default(),
    ];
    let e = nix::unistd::execv(&exe, &args)
        .err()
        .unwrap_or(Errno::EINVAL);
    Reply::Done {
        outcome: KernelOutcome::Errno(e as i32),
        nanos: t.elapsed().as_nanos() as u64,
    }
}

/// fork(): the child continues the loop on a new socket (after saying Hello on it); the parent
/// replies with the other end attached. Returns a reply still to be sent, if any.
fn fork_self() -> Option<Reply> {
    let pair = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    );
    let Ok((ours, theirs)) = pair else {
        return Some(Reply::Done {
            outcome: KernelOutcome::Errno(Errno::last() as i32),
            nanos: 0,
        });
    };
    let t = Instant::now();
    // SAFETY: this process is single-threaded, so the child may run any code after fork.
    match unsafe { nix::unistd::fork() } {
        Err(e) => Some(Reply::Done {
            outcome: KernelOutcome::Errno(e as i32),
            nanos: 0,
        }),
        Ok(ForkResult::Child) => {
            drop(ours);
            let raw = theirs.into_raw_fd();
            // SAFETY: dup2 onto fd 0 replaces the parent's socket in this process only.
            if unsafe { libc::dup2(raw, CONTROL_FD) } < 0 {
                // SAFETY: as above.
                unsafe { libc::_exit(3) };
            }
            // SAFETY: raw is ours and no longer needed after dup2.
            unsafe { libc::close(raw) };
            let hello = Reply::Hello {
                pid: std::process::id() as i32,
                lowest_mapping: lowest_mapping(),
            };
            if send_message(CONTROL_FD, &hello, None).is_err() {
                // SAFETY: as above.
                unsafe { libc::_exit(3) };
            }
            // Back to the loop: the next request comes on the new socket.
            None
        }
        Ok(ForkResult::Parent { child }) => {
            let nanos = t.elapsed().as_nanos() as u64;
            drop(theirs);
            let reply = Reply::Forked {
                child: child.as_raw(),
                nanos,
            };
            // The socket travels with the reply; the caller sends nothing else.
            if send_message(CONTROL_FD, &reply, Some(ours.as_raw_fd())).is_err() {
                // SAFETY: as above.
                unsafe { libc::_exit(0) };
            }
            drop(ours);
            None
        }
    }
}
