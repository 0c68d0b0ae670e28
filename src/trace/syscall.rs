//! The system calls a trace records, decoded from their number and arguments, and written the
//! way strace writes them for the steps' notes.

use std::fmt::Write as _;

/// A system call the recorder acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    Mmap {
        addr: u64,
        len: u64,
        prot: u64,
        flags: u64,
        fd: i64,
        offset: u64,
    },
    Munmap {
        addr: u64,
        len: u64,
    },
    /// mprotect, and pkey_mprotect (the key does not matter here).
    Mprotect {
        addr: u64,
        len: u64,
        prot: u64,
    },
    Mremap {
        addr: u64,
        old_len: u64,
        new_len: u64,
        flags: u64,
        new_addr: u64,
    },
    Brk {
        addr: u64,
    },
    Madvise {
        addr: u64,
        len: u64,
        advice: u64,
    },
    /// clone, clone3 (flags read from the tracee's `struct clone_args`), fork and vfork.
    Clone {
        flags: u64,
    },
    Execve,
    /// SysV shared memory: not recorded, but worth a warning.
    Shm,
    /// Anything else: faults before it are still observed.
    Other,
}

/// `CLONE_VM`: the child shares the parent's address space.
pub const CLONE_VM: u64 = libc::CLONE_VM as u64;
/// `CLONE_VFORK`.
pub const CLONE_VFORK: u64 = libc::CLONE_VFORK as u64;

/// Decodes a system call from its number and arguments. `clone3_flags` reads the flags of a
/// clone3 call (its first argument points at a `struct clone_args` in the tracee).
pub fn decode(nr: u64, a: [u64; 6], clone3_flags: impl FnOnce(u64) -> Option<u64>) -> Call {
    let nr = nr as libc::c_long;
    match nr {
        libc::SYS_mmap => Call::Mmap {
            addr: a[0],
            len: a[1],
            prot: a[2],
            flags: a[3],
            fd: a[4] as i32 as i64,
            offset: a[5],
        },
        libc::SYS_munmap => Call::Munmap {
            addr: a[0],
            len: a[1],
        },
        libc::SYS_mprotect | libc::SYS_pkey_mprotect => Call::Mprotect {
            addr: a[0],
            len: a[1],
            prot: a[2],
        },
        libc::SYS_mremap => Call::Mremap {
            addr: a[0],
            old_len: a[1],
            new_len: a[2],
            flags: a[3],
            new_addr: a[4],
        },
        libc::SYS_brk => Call::Brk { addr: a[0] },
        libc::SYS_madvise => Call::Madvise {
            addr: a[0],
            len: a[1],
            advice: a[2],
        },
        libc::SYS_clone => Call::Clone { flags: a[0] },
        libc::SYS_clone3 => Call::Clone {
            flags: clone3_flags(a[0]).unwrap_or(0),
        },
        libc::SYS_execve | libc::SYS_execveat => Call::Execve,
        libc::SYS_shmat | libc::SYS_shmdt => Call::Shm,
        _ => other(nr),
    }
}

#[cfg(target_arch = "x86_64")]
fn other(nr: libc::c_long) -> Call {
    match nr {
        libc::SYS_fork => Call::Clone { flags: 0 },
        libc::SYS_vfork => Call::Clone {
            flags: CLONE_VM | CLONE_VFORK,
        },
        _ => Call::Other,
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn other(_nr: libc::c_long) -> Call {
    Call::Other
}

/// Pages covered by `len` bytes, rounded up as the kernel does.
pub fn pages(len: u64) -> u64 {
    len.div_ceil(crate::model::PAGE_SIZE)
}

/// `[(libc::PROT_READ as u64, "PROT_READ"), ...]` from the names alone.
macro_rules! libc_flags {
    ($($name:ident),+) => {
        [$((libc::$name as u64, stringify!($name))),+]
    };
}

fn flags(v: u64, names: &[(u64, &str)], zero: &str) -> String {
    if v == 0 {
        return zero.to_string();
    }
    let mut out = String::new();
    let mut rest = v;
    for &(bit, name) in names {
        if bit != 0 && v & bit == bit {
            if !out.is_empty() {
                out.push('|');
            }
            out.push_str(name);
            rest &= !bit;
        }
    }
    if rest != 0 {
        if !out.is_empty() {
            out.push('|');
        }
        let _ = write!(out, "{rest:#x}");
    }
    out
}

/// `PROT_READ|PROT_WRITE`.
pub fn prot_text(p: u64) -> String {
    flags(
        p,
        &libc_flags![PROT_READ, PROT_WRITE, PROT_EXEC],
        "PROT_NONE",
    )
}

/// `MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS`.
pub fn map_flags_text(f: u64) -> String {
    let kind = match f & 3 {
        1 => "MAP_SHARED",
        2 => "MAP_PRIVATE",
        3 => "MAP_SHARED_VALIDATE",
        _ => "0",
    };
    let rest = flags(
        f & !3,
        &libc_flags![
            MAP_FIXED,
            MAP_ANONYMOUS,
            MAP_GROWSDOWN,
            MAP_DENYWRITE,
            MAP_EXECUTABLE,
            MAP_LOCKED,
            MAP_NORESERVE,
            MAP_POPULATE,
            MAP_NONBLOCK,
            MAP_STACK,
            MAP_HUGETLB,
            MAP_FIXED_NOREPLACE
        ],
        "",
    );
    if rest.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}|{rest}")
    }
}

fn mremap_flags_text(f: u64) -> String {
    flags(
        f,
        &libc_flags![MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP],
        "0",
    )
}

/// The name of an madvise advice.
pub fn advice_text(a: u64) -> String {
    let name = match a as i32 {
        libc::MADV_NORMAL => "MADV_NORMAL",
        libc::MADV_RANDOM => "MADV_RANDOM",
        libc::MADV_SEQUENTIAL => "MADV_SEQUENTIAL",
        libc::MADV_WILLNEED => "MADV_WILLNEED",
        libc::MADV_DONTNEED => "MADV_DONTNEED",
        libc::MADV_FREE => "MADV_FREE",
        libc::MADV_REMOVE => "MADV_REMOVE",
        libc::MADV_DONTFORK => "MADV_DONTFORK",
        libc::MADV_DOFORK => "MADV_DOFORK",
        libc::MADV_MERGEABLE => "MADV_MERGEABLE",
        libc::MADV_UNMERGEABLE => "MADV_UNMERGEABLE",
        libc::MADV_HUGEPAGE => "MADV_HUGEPAGE",
        libc::MADV_NOHUGEPAGE => "MADV_NOHUGEPAGE",
        libc::MADV_DONTDUMP => "MADV_DONTDUMP",
        libc::MADV_DODUMP => "MADV_DODUMP",
        libc::MADV_WIPEONFORK => "MADV_WIPEONFORK",
        libc::MADV_KEEPONFORK => "MADV_KEEPONFORK",
        libc::MADV_COLD => "MADV_COLD",
        libc::MADV_PAGEOUT => "MADV_PAGEOUT",
        libc::MADV_POPULATE_READ => "MADV_POPULATE_READ",
        libc::MADV_POPULATE_WRITE => "MADV_POPULATE_WRITE",
        libc::MADV_DONTNEED_LOCKED => "MADV_DONTNEED_LOCKED",
        libc::MADV_COLLAPSE => "MADV_COLLAPSE",
        _ => return format!("{a:#x}"),
    };
    name.to_string()
}

fn addr_text(a: u64) -> String {
    if a == 0 {
        "NULL".into()
    } else {
        format!("{a:#x}")
    }
}

/// The return value as strace shows it: an address in hex for calls that return one, an
/// errno name for a failure.
fn ret_text(call: &Call, ret: i64) -> String {
    if (-4095..0).contains(&ret) {
        let e = nix::errno::Errno::from_raw((-ret) as i32);
        return format!("-1 {e:?}");
    }
    match call {
        Call::Mmap { .. } | Call::Mremap { .. } | Call::Brk { .. } => format!("{ret:#x}"),
        _ => ret.to_string(),
    }
}

/// The call as strace writes it, with its result: `mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, 3,
/// 0) = 0x7f0000000000`. `name` is used for calls decoded as [`Call::Other`].
pub fn describe(call: &Call, ret: i64) -> String {
    let body = match *call {
        Call::Mmap {
            addr,
            len,
            prot,
            flags,
            fd,
            offset,
        } => format!(
            "mmap({}, {len}, {}, {}, {fd}, {offset:#x})",
            addr_text(addr),
            prot_text(prot),
            map_flags_text(flags)
        ),
        Call::Munmap { addr, len } => format!("munmap({addr:#x}, {len})"),
        Call::Mprotect { addr, len, prot } => {
            format!("mprotect({addr:#x}, {len}, {})", prot_text(prot))
        }
        Call::Mremap {
            addr,
            old_len,
            new_len,
            flags,
            new_addr,
        } => {
            let mut s = format!(
                "mremap({addr:#x}, {old_len}, {new_len}, {}",
                mremap_flags_text(flags)
            );
            if flags & libc::MREMAP_FIXED as u64 != 0 {
                let _ = write!(s, ", {new_addr:#x}");
            }
            s.push(')');
            s
        }
        Call::Brk { addr } => format!("brk({})", addr_text(addr)),
        Call::Madvise { addr, len, advice } => {
            format!("madvise({addr:#x}, {len}, {})", advice_text(advice))
        }
        Call::Clone { flags } if flags & CLONE_VFORK != 0 => "vfork()".into(),
        Call::Clone { flags } if flags & CLONE_VM != 0 => "clone(CLONE_VM|...)".into(),
        Call::Clone { .. } => "fork()".into(),
        Call::Execve => "execve(...)".into(),
        Call::Shm => "shmat/shmdt(...)".into(),
        Call::Other => "syscall(...)".into(),
    };
    format!("{body} = {}", ret_text(call, ret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mmap_is_written_as_strace_writes_it() {
        let c = decode(
            libc::SYS_mmap as u64,
            [0, 8192, 1, 2, 3, 0],
            |_| unreachable!(),
        );
        assert_eq!(
            describe(&c, 0x7f00_0000_0000),
            "mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, 3, 0x0) = 0x7f0000000000"
        );
        let c = decode(
            libc::SYS_mmap as u64,
            [0x7f00_0000_0000, 4096, 3, 0x22 | 0x10, u64::MAX, 0],
            |_| None,
        );
        assert_eq!(
            describe(&c, 0x7f00_0000_0000),
            "mmap(0x7f0000000000, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000000000"
        );
    }

    #[test]
    fn failures_show_the_errno() {
        let c = Call::Munmap {
            addr: 0x1000,
            len: 1,
        };
        assert_eq!(describe(&c, -22), "munmap(0x1000, 1) = -1 EINVAL");
    }

    #[test]
    fn clone3_reads_its_flags_from_the_tracee() {
        let c = decode(libc::SYS_clone3 as u64, [0x5000, 88, 0, 0, 0, 0], |p| {
            assert_eq!(p, 0x5000);
            Some(CLONE_VM | CLONE_VFORK)
        });
        assert_eq!(
            c,
            Call::Clone {
                flags: CLONE_VM | CLONE_VFORK
            }
        );
    }

    #[test]
    fn unknown_flags_are_kept_in_hex() {
        assert_eq!(prot_text(0x1 | 0x100), "PROT_READ|0x100");
        assert_eq!(prot_text(0), "PROT_NONE");
        assert_eq!(advice_text(4), "MADV_DONTNEED");
        assert_eq!(advice_text(9999), "0x270f");
        assert_eq!(pages(1), 1);
        assert_eq!(pages(8192), 2);
        assert_eq!(pages(8193), 3);
    }
}
