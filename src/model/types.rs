//! Identifiers, addresses and protection bits shared by the whole model.

use std::fmt;

/// Size of a base page. Every address and length in a scenario is in these units.
pub const PAGE_SIZE: u64 = 4096;
/// log2(PAGE_SIZE).
pub const PAGE_SHIFT: u32 = 12;
/// First address past the user half of an x86_64 address space (47-bit, 4-level page tables).
pub const USER_END: u64 = 0x0000_8000_0000_0000;
/// The end of what a process may map: Linux's `TASK_SIZE_MAX` on x86_64, one page below
/// [`USER_END`] (the top page stays unmapped so that no instruction or access runs into the
/// non-canonical addresses above it). On Linux 6.18, `mmap` of the page at 0x7fffffffe000
/// succeeds and of the one at 0x7ffffffff000 fails with ENOMEM.
pub const TASK_SIZE: u64 = USER_END - PAGE_SIZE;
/// The most pages one op may touch. Keeps a typo from asking for terabytes of model memory.
pub const MAX_OP_PAGES: u64 = 1 << 22;

/// A process id as the scenario names it.
pub type Pid = u32;
/// A user virtual address.
pub type Addr = u64;

/// An id newtype of the model: a `u32` that prints with its prefix (`p3`, `vma2`, `mm1`).
macro_rules! model_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

model_id!(
    /// A page frame of the model. Ids are handed out in creation order and never reused.
    PageId,
    "p"
);
model_id!(
    /// A vma of the model. A split makes a new id for the new piece; ids are never reused.
    VmaId,
    "vma"
);
model_id!(
    /// An address space (mm_struct). Spawn, fork and exec each make a new one.
    MmId,
    "mm"
);
model_id!(
    /// A swap slot.
    SlotId,
    "swap:"
);

/// A file of the scenario's little filesystem, or the shmem object behind a shared anonymous mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// Protection bits of a vma, written as letters from "rwx".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Prot {
    pub read: bool,
    pub write: bool,
    pub exec: bool,
}

impl Prot {
    pub const RW: Prot = Prot {
        read: true,
        write: true,
        exec: false,
    };
    pub const R: Prot = Prot {
        read: true,
        write: false,
        exec: false,
    };

    /// Parses letters from "rwx" in any order, each at most once; "" is PROT_NONE.
    pub fn parse(s: &str) -> Result<Prot, String> {
        let mut p = Prot::default();
        for c in s.chars() {
            let slot = match c {
                'r' => &mut p.read,
                'w' => &mut p.write,
                'x' => &mut p.exec,
                _ => {
                    return Err(format!(
                        "prot \"{s}\": unexpected letter '{c}', expected letters from \"rwx\" (\"\" for none)"
                    ));
                }
            };
            if *slot {
                return Err(format!("prot \"{s}\": letter '{c}' given twice"));
            }
            *slot = true;
        }
        Ok(p)
    }

    /// Readable by a load. On x86-64 a writable or executable page is also readable: the page
    /// tables have no separate read permission. (Only on a CPU with protection keys does Linux
    /// make a mapping of `prot: "x"` alone execute-only, with a key that forbids loads; the
    /// model follows the common case, seen on Linux 6.18 on a CPU without them.)
    pub fn readable(self) -> bool {
        self.read || self.write || self.exec
    }
}

impl fmt::Display for Prot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.read {
            f.write_str("r")?;
        }
        if self.write {
            f.write_str("w")?;
        }
        if self.exec {
            f.write_str("x")?;
        }
        Ok(())
    }
}

/// The advice of a Madvise op: the two that change which ptes exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Advice {
    /// MADV_DONTNEED: zap the range's ptes; the vmas stay.
    DontNeed,
    /// MADV_FREE: free the range's swap entries; its exclusive anonymous pages stay mapped but
    /// may be discarded by reclaim while they are not written again.
    Free,
}

impl Advice {
    /// Every advice, as written.
    pub const NAMES: [&'static str; 2] = ["dontneed", "free"];

    /// The advice as the scenario writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Advice::DontNeed => "dontneed",
            Advice::Free => "free",
        }
    }

    /// Reads "dontneed" or "free" (any case).
    pub fn parse(s: &str) -> Result<Advice, String> {
        match s.to_ascii_lowercase().as_str() {
            "dontneed" => Ok(Advice::DontNeed),
            "free" => Ok(Advice::Free),
            _ => Err(format!(
                "advice \"{s}\": expected one of {}",
                Advice::NAMES
                    .iter()
                    .map(|n| format!("\"{n}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// Formats an address the way the kernel prints them in messages: lower-case hex with 0x.
pub fn hex(a: u64) -> String {
    format!("{a:#x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prot_parses_letters_in_any_order() {
        assert_eq!(Prot::parse("rw").unwrap(), Prot::RW);
        assert_eq!(Prot::parse("wr").unwrap(), Prot::RW);
        assert_eq!(Prot::parse("").unwrap(), Prot::default());
        assert_eq!(Prot::parse("rwx").unwrap().to_string(), "rwx");
    }

    #[test]
    fn prot_rejects_unknown_and_repeated_letters() {
        assert!(Prot::parse("rq").unwrap_err().contains("'q'"));
        assert!(Prot::parse("rr").unwrap_err().contains("twice"));
    }
}
