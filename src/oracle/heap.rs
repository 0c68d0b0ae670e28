//! The scenario's heap in a driven process: brk(2) itself, on a break lent for one call.
//!
//! A driven process's own break (`mm->start_brk`, `mm->brk`) belongs to its allocator and lies
//! where its exec put it, far above the scenario's addresses. To run a scenario's `Brk` with
//! the kernel's own `brk` (which does what no mmap / mremap / munmap sequence does: a new heap
//! vma is never merged with the vma below it, a shrink with nothing mapped fails), the process
//! moves its break to the scenario's heap with `prctl(PR_SET_MM, PR_SET_MM_MAP)` (which only
//! sets the fields; no privilege is needed while the executable stays the same, but the
//! kernel must be built with CONFIG_CHECKPOINT_RESTORE), makes the one brk call, and moves it
//! back at once. Nothing allocates in between (the process is single-threaded), so its
//! allocator never sees the lent break.

use std::time::Instant;

use nix::errno::Errno;

use super::protocol::KernelOutcome;

/// `struct prctl_mm_map` of `<linux/prctl.h>` (104 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct MmMap {
    start_code: u64,
    end_code: u64,
    start_data: u64,
    end_data: u64,
    start_brk: u64,
    brk: u64,
    start_stack: u64,
    arg_start: u64,
    arg_end: u64,
    env_start: u64,
    env_end: u64,
    auxv: u64,
    auxv_size: u32,
    /// `-1`: the executable is not changed.
    exe_fd: u32,
}

/// The fields of `/proc/self/stat` (`stat` is its text) that `PR_SET_MM_MAP` sets, with `brk`,
/// which the file does not show. None when the text is not as proc(5) describes it.
fn parse_stat(stat: &str, brk: u64) -> Option<MmMap> {
    // Field 2, the command, is in parentheses and may hold anything: count after its end.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 of proc(5).
    let f = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some(MmMap {
        start_code: f(26)?,
        end_code: f(27)?,
        start_data: f(45)?,
        end_data: f(46)?,
        start_brk: f(47)?,
        brk,
        start_stack: f(28)?,
        arg_start: f(48)?,
        arg_end: f(49)?,
        env_start: f(50)?,
        env_end: f(51)?,
        auxv: 0,
        auxv_size: 0,
        exe_fd: u32::MAX,
    })
}

/// brk(2) as a system call (not glibc's `brk`, which keeps its own idea of the break).
fn sys_brk(addr: u64) -> u64 {
    // SAFETY: brk only moves the break; the addresses it may map or unmap are the scenario's
    // heap, below REGION_END, where this process has nothing of its own.
    unsafe { libc::syscall(libc::SYS_brk, addr) as u64 }
}

fn set_mm_map(m: &MmMap) -> Result<(), Errno> {
    // SAFETY: PR_SET_MM_MAP reads `size_of::<MmMap>()` bytes from a valid pointer; the struct
    // is laid out as the kernel's.
    let r = unsafe {
        libc::prctl(
            libc::PR_SET_MM,
            libc::PR_SET_MM_MAP as libc::c_ulong,
            m as *const MmMap as libc::c_ulong,
            std::mem::size_of::<MmMap>() as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    if r == 0 { Ok(()) } else { Err(Errno::last()) }
}

/// What brk did to the scenario's heap: the break moved from `old` to `new` (Ok), brk returned
/// another break (ENOMEM, as glibc's `brk` says it: the kernel refused), or the break could not
/// be lent (any other errno, from PR_SET_MM_MAP: nothing changed). `start` is the heap's
/// `start_brk`. Returns the outcome and the time of the brk call alone.
pub fn scenario_brk(start: u64, old: u64, new: u64) -> (KernelOutcome, u64) {
    let stat = match std::fs::read_to_string("/proc/self/stat") {
        Ok(s) => s,
        Err(e) => {
            return (
                KernelOutcome::Errno(e.raw_os_error().unwrap_or(libc::EIO)),
                0,
            );
        }
    };
    let Some(own) = parse_stat(&stat, sys_brk(0)) else {
        return (KernelOutcome::Errno(libc::EPROTO), 0);
    };
    let lent = MmMap {
        start_brk: start,
        brk: old,
        ..own
    };
    // From here to the restore nothing allocates.
    if let Err(e) = set_mm_map(&lent) {
        return (KernelOutcome::Errno(e as i32), 0);
    }
    let t = Instant::now();
    let got = sys_brk(new);
    let nanos = t.elapsed().as_nanos() as u64;
    if set_mm_map(&own).is_err() {
        // The allocator's break is lost (it cannot be: these values were valid a moment ago):
        // this process cannot go on safely; the controller sees it die.
        // SAFETY: _exit is always safe to call.
        unsafe { libc::_exit(4) };
    }
    if got == new {
        (KernelOutcome::Ok, nanos)
    } else {
        (KernelOutcome::Errno(libc::ENOMEM), nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_struct_is_the_kernels_size() {
        assert_eq!(std::mem::size_of::<MmMap>(), 104);
    }

    #[test]
    fn stat_fields_are_counted_after_the_command() {
        // A command with spaces and a parenthesis, then fields 3.. numbered by their value.
        let mut s = "1234 (a) b (c) R".to_string();
        for n in 4..=52 {
            s.push_str(&format!(" {}", n * 1000));
        }
        let m = parse_stat(&s, 7).unwrap();
        assert_eq!(
            (m.start_code, m.end_code, m.start_stack),
            (26000, 27000, 28000)
        );
        assert_eq!(
            (m.start_data, m.end_data, m.start_brk),
            (45000, 46000, 47000)
        );
        assert_eq!(
            (m.arg_start, m.arg_end, m.env_start, m.env_end),
            (48000, 49000, 50000, 51000)
        );
        assert_eq!((m.brk, m.exe_fd, m.auxv_size), (7, u32::MAX, 0));
        assert_eq!(parse_stat("1 (x) R 1 2", 0), None, "too few fields");
    }
}
