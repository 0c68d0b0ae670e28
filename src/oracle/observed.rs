//! What the kernel shows after a step, decoded from `/proc/PID/maps` (or `/proc/PID/smaps`),
//! `/proc/PID/pagemap`, `/proc/kpagecount` and `/proc/kpageflags` (bit layout from the kernel's
//! `Documentation/admin-guide/mm/pagemap.rst`, docs/semantics.md §6.1).

use std::collections::BTreeMap;
use std::fmt;

use crate::model::{Addr, Pid, Prot};

/// pagemap bit 63: page present.
pub const PM_PRESENT: u64 = 1 << 63;
/// pagemap bit 62: page swapped.
pub const PM_SWAP: u64 = 1 << 62;
/// pagemap bit 61: file page or shared anonymous.
pub const PM_FILE: u64 = 1 << 61;
/// pagemap bit 56: page exclusively mapped (mapcount 1).
pub const PM_EXCLUSIVE: u64 = 1 << 56;
/// pagemap bits 0-54: the frame number, or swap type (0-4) and offset (5-54).
pub const PM_PFN_MASK: u64 = (1 << 55) - 1;
/// kpageflags bit 2: PG_referenced (the folio's own flag, not a pte's young bit).
pub const KPF_REFERENCED: u64 = 1 << 2;
/// kpageflags bit 12: anonymous page.
pub const KPF_ANON: u64 = 1 << 12;
/// kpageflags bit 24: the shared zero page.
pub const KPF_ZERO_PAGE: u64 = 1 << 24;
/// kpageflags bit 25: PG_idle, set by whoever ages pages outside the rmap walks the scenario
/// runs (DAMON's physical-address monitoring, `/sys/kernel/mm/page_idle/bitmap`).
pub const KPF_IDLE: u64 = 1 << 25;

/// What backs a vma.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backing {
    /// Private anonymous memory.
    Anon,
    /// Shared anonymous memory (a shmem object).
    Shmem,
    /// A file of the scenario, by its scenario name.
    File(String),
}

/// A vma as both sides can describe it: a line of `/proc/PID/maps`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmaShape {
    pub start: Addr,
    pub end: Addr,
    pub prot: Prot,
    pub shared: bool,
    pub backing: Backing,
    /// The offset column in pages: `vm_pgoff` of a file or shmem vma; 0 for private anonymous
    /// memory (Linux 6.x shows no `vm_pgoff` for it).
    pub offset: u64,
}

impl fmt::Display for VmaShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:#x}-{:#x} \"{}\" {}",
            self.start,
            self.end,
            self.prot,
            if self.shared { "shared" } else { "private" }
        )?;
        match &self.backing {
            Backing::Anon => f.write_str(" anonymous")?,
            Backing::Shmem => f.write_str(" shmem")?,
            Backing::File(n) => write!(f, " file \"{n}\"")?,
        }
        if self.offset != 0 || self.backing != Backing::Anon {
            write!(f, " at page {}", self.offset)?;
        }
        Ok(())
    }
}

/// The frame behind a present pte, from `/proc/kpagecount` and `/proc/kpageflags`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame {
    pub pfn: u64,
    pub mapcount: u64,
    pub anon: bool,
    pub zero: bool,
    /// PG_referenced (kpageflags REFERENCED): `/proc/PID/smaps` counts such a page as
    /// referenced whatever its pte's young bit.
    pub referenced: bool,
    /// PG_idle (kpageflags IDLE): something outside the scenario aged this page. DAMON, when it
    /// samples a page, clears the young bit of every pte that maps it and moves it to the
    /// folio's own young flag, which smaps then counts in every process that maps the page, and
    /// which the `clear_refs` of any one of them clears for all. So whether smaps counts such a
    /// page as referenced no longer follows from its ptes.
    pub idle: bool,
}

impl Frame {
    /// The frame `pfn` as the kernel shows it: `mapcount` from `/proc/kpagecount`, `flags`
    /// from `/proc/kpageflags` (only the bits [`Frame`] keeps are read).
    pub fn decode(pfn: u64, mapcount: u64, flags: u64) -> Frame {
        Frame {
            pfn,
            mapcount,
            anon: flags & KPF_ANON != 0,
            zero: flags & KPF_ZERO_PAGE != 0,
            referenced: flags & KPF_REFERENCED != 0,
            idle: flags & KPF_IDLE != 0,
        }
    }
}

/// One non-empty pte as pagemap shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObsPte {
    /// Present. `frame` is None when frame numbers are hidden (no CAP_SYS_ADMIN).
    Present {
        frame: Option<Frame>,
        exclusive: bool,
        file: bool,
    },
    /// A swap entry: (type, offset) packed as pagemap shows it; None when hidden.
    Swapped { entry: Option<u64> },
}

/// One live scenario process.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedProc {
    pub vmas: Vec<VmaShape>,
    pub ptes: BTreeMap<Addr, ObsPte>,
    /// `Referenced:` of `/proc/PID/smaps` in pages, by vma start: the present ptes of the vma
    /// that are young or map a page with PG_referenced (empty when smaps was not read).
    pub referenced: BTreeMap<Addr, u64>,
}

/// The kernel's state after one step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observed {
    pub procs: BTreeMap<Pid, ObservedProc>,
    /// Frame numbers (and so kpagecount / kpageflags) were visible.
    pub frames: bool,
    /// `/proc/PID/smaps` was read: `referenced` holds every vma's young ptes.
    pub young: bool,
}

/// Decodes one pagemap entry. `frame` looks up the frame of a present entry (None when frame
/// numbers are hidden). Returns None for an empty pte.
pub fn decode_pagemap(entry: u64, frame: impl FnOnce(u64) -> Option<Frame>) -> Option<ObsPte> {
    let bits = entry & PM_PFN_MASK;
    if entry & PM_PRESENT != 0 {
        Some(ObsPte::Present {
            frame: if bits != 0 { frame(bits) } else { None },
            exclusive: entry & PM_EXCLUSIVE != 0,
            file: entry & PM_FILE != 0,
        })
    } else if entry & PM_SWAP != 0 {
        Some(ObsPte::Swapped {
            entry: (bits != 0).then_some(bits),
        })
    } else {
        None
    }
}

/// Which file a mapping maps, as `/proc/PID/maps` names it: the device and the inode (0 for
/// anonymous memory). Two paths name the same file when these are equal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DevInode {
    /// The device as the kernel prints it (`fd:01`, major:minor in hex).
    pub dev: String,
    pub inode: u64,
}

/// `fd:01:1312`.
impl fmt::Display for DevInode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.dev, self.inode)
    }
}

/// One line of `/proc/PID/maps`, every field decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapsEntry {
    pub start: Addr,
    pub end: Addr,
    pub prot: Prot,
    pub shared: bool,
    /// The file offset in bytes.
    pub offset: u64,
    pub file: DevInode,
    /// The path or the kernel's name for the mapping (`[stack]`, `[vdso]`), "" for none.
    pub path: String,
}

impl MapsEntry {
    /// Parses one line.
    pub fn parse(line: &str) -> Option<MapsEntry> {
        let mut it = line.split_whitespace();
        let range = it.next()?;
        let perms = it.next()?.as_bytes();
        let offset = u64::from_str_radix(it.next()?, 16).ok()?;
        let dev = it.next()?.to_string();
        let inode: u64 = it.next()?.parse().ok()?;
        let path = it.collect::<Vec<_>>().join(" ");
        let (s, e) = range.split_once('-')?;
        let start = u64::from_str_radix(s, 16).ok()?;
        let end = u64::from_str_radix(e, 16).ok()?;
        if perms.len() < 4 {
            return None;
        }
        Some(MapsEntry {
            start,
            end,
            prot: Prot {
                read: perms[0] == b'r',
                write: perms[1] == b'w',
                exec: perms[2] == b'x',
            },
            shared: perms[3] == b's',
            offset,
            file: DevInode { dev, inode },
            path,
        })
    }

    /// Anonymous memory the kernel names without a file: the heap, the stack, and names given
    /// with `prctl(PR_SET_VMA_ANON_NAME)`.
    pub fn is_named_anon(&self) -> bool {
        self.file.inode == 0
            && (self.path.is_empty()
                || self.path == "[heap]"
                || self.path.starts_with("[stack")
                || self.path.starts_with("[anon:"))
    }

    /// Shared anonymous memory (shmem behind `MAP_SHARED | MAP_ANONYMOUS`, SysV segments).
    pub fn is_shmem(&self) -> bool {
        self.path.starts_with("/dev/zero")
            || self.path.starts_with("/SYSV")
            || self.path.starts_with("[anon_shmem:")
    }

    /// What backs the vma; `file_name` maps a path to the scenario's name for it (None: keep
    /// the path).
    pub fn backing(&self, file_name: impl Fn(&str) -> Option<String>) -> Backing {
        if self.is_named_anon() {
            Backing::Anon
        } else if self.is_shmem() {
            Backing::Shmem
        } else {
            Backing::File(file_name(&self.path).unwrap_or_else(|| self.path.clone()))
        }
    }

    /// The vma as both sides describe it.
    pub fn shape(&self, file_name: impl Fn(&str) -> Option<String>) -> VmaShape {
        VmaShape {
            start: self.start,
            end: self.end,
            prot: self.prot,
            shared: self.shared,
            backing: self.backing(file_name),
            offset: self.offset / crate::model::PAGE_SIZE,
        }
    }
}

/// Parses one line of `/proc/PID/maps` into a vma shape. `file_name` maps a path to the
/// scenario's name for it (None: not one of the scenario's files).
pub fn parse_maps_line(line: &str, file_name: impl Fn(&str) -> Option<String>) -> Option<VmaShape> {
    MapsEntry::parse(line).map(|e| e.shape(file_name))
}

/// Parses `/proc/PID/smaps`: every vma (as [`parse_maps_line`]) with its `Referenced:` field
/// in pages (0 when the field is missing).
pub fn parse_smaps(text: &str, file_name: impl Fn(&str) -> Option<String>) -> Vec<(VmaShape, u64)> {
    let mut out: Vec<(VmaShape, u64)> = Vec::new();
    for line in text.lines() {
        let Some(first) = line.split_whitespace().next() else {
            continue;
        };
        if first.ends_with(':') {
            if first == "Referenced:"
                && let Some(last) = out.last_mut()
            {
                let kb: u64 = line
                    .split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                last.1 = kb * 1024 / crate::model::PAGE_SIZE;
            }
        } else if let Some(v) = parse_maps_line(line, &file_name) {
            out.push((v, 0));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kpageflags_decode_by_the_documented_bits() {
        // pagemap.rst, /proc/kpageflags: 2 REFERENCED, 12 ANON, 24 ZERO_PAGE, 25 IDLE.
        let f = Frame::decode(0x42, 3, 1 << 12 | 1 << 2 | 1 << 5);
        assert_eq!((f.pfn, f.mapcount), (0x42, 3));
        assert_eq!(
            (f.anon, f.zero, f.referenced, f.idle),
            (true, false, true, false)
        );
        let f = Frame::decode(0x43, 1, 1 << 24 | 1 << 25);
        assert_eq!(
            (f.anon, f.zero, f.referenced, f.idle),
            (false, true, false, true)
        );
    }

    #[test]
    fn pagemap_entries_decode_by_the_documented_bits() {
        // pagemap.rst: bit 63 present, 62 swapped, 61 file/shared-anon, 56 exclusive, 0-54 PFN.
        let f = |pfn| Some(Frame::decode(pfn, 1, KPF_ANON));
        assert_eq!(decode_pagemap(0, f), None);
        let e = decode_pagemap(PM_PRESENT | PM_EXCLUSIVE | 0x1234, f).unwrap();
        assert_eq!(
            e,
            ObsPte::Present {
                frame: f(0x1234),
                exclusive: true,
                file: false
            }
        );
        // Without CAP_SYS_ADMIN the PFN reads 0: no frame.
        let e = decode_pagemap(PM_PRESENT | PM_FILE, f).unwrap();
        assert_eq!(
            e,
            ObsPte::Present {
                frame: None,
                exclusive: false,
                file: true
            }
        );
        let e = decode_pagemap(PM_SWAP | (7 << 5) | 1, f).unwrap();
        assert_eq!(
            e,
            ObsPte::Swapped {
                entry: Some((7 << 5) | 1)
            }
        );
    }

    #[test]
    fn maps_lines_give_range_prot_sharing_and_backing() {
        let v = parse_maps_line("00010000-00014000 rw-p 00000000 00:00 0 ", |_| None).unwrap();
        assert_eq!((v.start, v.end), (0x10000, 0x14000));
        assert_eq!(v.prot, Prot::RW);
        assert!(!v.shared);
        assert_eq!(v.backing, Backing::Anon);
        let v = parse_maps_line(
            "00030000-00031000 r--s 00000000 00:01 1234   /dev/zero (deleted)",
            |_| None,
        )
        .unwrap();
        assert!(v.shared);
        assert_eq!(v.prot, Prot::R);
        assert_eq!(v.backing, Backing::Shmem);
        let v = parse_maps_line(
            "00040000-00041000 ---p 00002000 00:1a 99 /dev/shm/x/data.bin",
            |p| p.strip_prefix("/dev/shm/x/").map(String::from),
        )
        .unwrap();
        assert_eq!(v.prot, Prot::default());
        assert_eq!(v.backing, Backing::File("data.bin".into()));
        assert_eq!(v.offset, 2, "the offset column, in pages");
    }

    #[test]
    fn smaps_gives_each_vma_with_its_referenced_pages() {
        let text = "\
00010000-00014000 rw-p 00000000 00:00 0 
Size:                 16 kB
Rss:                  16 kB
Referenced:            8 kB
Anonymous:            16 kB
VmFlags: rd wr mr mw me ac nh 
00020000-00021000 r--s 00003000 00:1a 99                                 /dev/shm/x/f
Size:                  4 kB
Referenced:            4 kB
VmFlags: rd sh mr mw me ms 
7f0000000000-7f0000001000 r-xp 00000000 00:00 0 
Size:                  4 kB
";
        let v = parse_smaps(text, |p| p.strip_prefix("/dev/shm/x/").map(String::from));
        assert_eq!(v.len(), 3);
        assert_eq!((v[0].0.start, v[0].1), (0x10000, 2));
        assert_eq!(v[1].0.backing, Backing::File("f".into()));
        assert_eq!((v[1].0.offset, v[1].1), (3, 1));
        assert_eq!(v[2].1, 0, "no Referenced: line");
    }

    #[test]
    fn the_heap_the_stack_and_named_anonymous_memory_are_anonymous() {
        for name in ["[heap]", "[stack]", "[anon:glibc: malloc]"] {
            let line = format!("7ffc1000-7ffc3000 rw-p 00000000 00:00 0    {name}");
            let e = MapsEntry::parse(&line).unwrap();
            assert_eq!(e.backing(|_| None), Backing::Anon, "{name}");
            assert_eq!(e.path, name);
        }
        let e = MapsEntry::parse(
            "7f00a000-7f00c000 r-xp 00026000 fd:01 1312 /usr/lib/x86_64-linux-gnu/libc.so.6",
        )
        .unwrap();
        assert_eq!(
            (e.offset, e.file.dev.as_str(), e.file.inode),
            (0x26000, "fd:01", 1312)
        );
        assert_eq!(
            e.backing(|_| None),
            Backing::File("/usr/lib/x86_64-linux-gnu/libc.so.6".into())
        );
        // The vdso is neither anonymous nor a file the scenario can name.
        let e = MapsEntry::parse("7ffd000-7fff000 r-xp 00000000 00:00 0  [vdso]").unwrap();
        assert!(!e.is_named_anon());
    }
}
