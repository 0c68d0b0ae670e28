//! Virtual memory areas and address spaces.

use super::pte::PageTable;
use super::types::{Addr, FileId, MmId, PAGE_SHIFT, PAGE_SIZE, Pid, Prot, VmaId};

/// A vm_area_struct, reduced to what rmap cares about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vma {
    pub id: VmaId,
    pub start: Addr,
    pub end: Addr,
    /// vm_pgoff: for file and shmem vmas the file offset in pages; for anonymous vmas the
    /// start address in pages at mmap time (2.6.7 rule), kept across mremap once faulted.
    pub pgoff: u64,
    pub prot: Prot,
    /// MAP_SHARED.
    pub shared: bool,
    /// The file, or the shmem object of a shared anonymous mapping.
    pub file: Option<FileId>,
    /// Has had an anonymous page (the kernel's `vma->anon_vma != NULL`); decides whether fork
    /// copies the ptes and whether mremap keeps pgoff. Scheme independent.
    pub anon_faulted: bool,
    /// VM_ACCOUNT: the vma's pages are charged to the commit limit. Set for a private mapping
    /// made or mprotected writable; kept when the write permission goes, except on an
    /// anonymous vma that has no anon_vma yet (mprotect_fixup). vmas merge only with equal
    /// flags, so a read-only piece that was writable (the RELRO part of a library's data)
    /// stays apart from its read-only neighbour.
    pub accounted: bool,
}

impl Vma {
    pub fn pages(&self) -> u64 {
        (self.end - self.start) >> PAGE_SHIFT
    }

    pub fn contains(&self, addr: Addr) -> bool {
        self.start <= addr && addr < self.end
    }

    /// A private anonymous vma (the kernel's vma_is_anonymous).
    pub fn is_anonymous(&self) -> bool {
        self.file.is_none()
    }

    /// linear_page_index(): the page offset of `addr` in this vma's pgoff space.
    pub fn linear_index(&self, addr: Addr) -> u64 {
        self.pgoff + ((addr - self.start) >> PAGE_SHIFT)
    }

    /// vma_address(): where a page with index `index` would be mapped in this vma, or None if
    /// the index falls outside it.
    pub fn address_of(&self, index: u64) -> Option<Addr> {
        if index < self.pgoff {
            return None;
        }
        let off = index - self.pgoff;
        if off >= self.pages() {
            return None;
        }
        Some(self.start + off * PAGE_SIZE)
    }

    /// Same range and pgoff: the key of the vma in an i_mmap or anon tree is unchanged.
    pub fn same_key(&self, other: &Vma) -> bool {
        self.start == other.start && self.end == other.end && self.pgoff == other.pgoff
    }

    /// "0x10000-0x14000": the range as events and views print it.
    pub fn span(&self) -> String {
        format!("{:#x}-{:#x}", self.start, self.end)
    }

    /// Last page offset covered, inclusive (the interval-tree key's end).
    pub fn last_pgoff(&self) -> u64 {
        self.pgoff + self.pages() - 1
    }
}

/// An address space: sorted, non-overlapping vmas and page tables.
#[derive(Clone, Debug)]
pub struct Mm {
    pub id: MmId,
    pub vmas: Vec<Vma>,
    pub pt: PageTable,
    /// The heap as brk left it: (mm->start_brk, mm->brk, page-aligned); None until the first Brk
    /// of the address space. fork copies it, exec starts without one.
    pub heap: Option<(Addr, Addr)>,
}

impl Mm {
    pub fn new(id: MmId) -> Self {
        Mm {
            id,
            vmas: Vec::new(),
            pt: PageTable::default(),
            heap: None,
        }
    }

    /// Index of the vma containing `addr`.
    pub fn find(&self, addr: Addr) -> Option<usize> {
        let i = self.vmas.partition_point(|v| v.end <= addr);
        (i < self.vmas.len() && self.vmas[i].start <= addr).then_some(i)
    }

    pub fn vma_at(&self, addr: Addr) -> Option<&Vma> {
        self.find(addr).map(|i| &self.vmas[i])
    }

    pub fn vma_by_id(&self, id: VmaId) -> Option<&Vma> {
        self.vmas.iter().find(|v| v.id == id)
    }

    /// Indices of the vmas overlapping `[start, end)`.
    pub fn overlapping(&self, start: Addr, end: Addr) -> std::ops::Range<usize> {
        let a = self.vmas.partition_point(|v| v.end <= start);
        let b = self.vmas.partition_point(|v| v.start < end);
        a..b.max(a)
    }

    /// Where the run of vmas that starts at or before `addr` and has no hole ends: `addr`
    /// itself when no vma contains it.
    pub fn mapped_run_end(&self, addr: Addr) -> Addr {
        let Some(i) = self.find(addr) else {
            return addr;
        };
        let mut at = self.vmas[i].end;
        for v in &self.vmas[i + 1..] {
            if v.start != at {
                break;
            }
            at = v.end;
        }
        at
    }

    /// Inserts a vma keeping the order.
    pub fn insert(&mut self, v: Vma) -> usize {
        let i = self.vmas.partition_point(|x| x.start < v.start);
        self.vmas.insert(i, v);
        i
    }
}

/// A process: a pid and its current address space.
#[derive(Clone, Debug)]
pub struct Process {
    pub pid: Pid,
    pub mm: Mm,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vma(start: Addr, end: Addr, pgoff: u64) -> Vma {
        Vma {
            id: VmaId(1),
            start,
            end,
            pgoff,
            prot: Prot::RW,
            shared: false,
            file: None,
            anon_faulted: false,
            accounted: true,
        }
    }

    #[test]
    fn a_vma_holds_the_addresses_from_its_start_up_to_but_not_including_its_end() {
        let v = vma(0x10000, 0x12000, 0x10);
        assert!(!v.contains(0xf000));
        assert!(v.contains(0x10000) && v.contains(0x11fff));
        assert!(!v.contains(0x12000));
    }

    #[test]
    fn the_tree_key_is_the_range_and_the_pgoff() {
        let v = vma(0x10000, 0x12000, 0x10);
        let same = Vma {
            id: VmaId(2),
            prot: Prot::R,
            anon_faulted: true,
            ..v.clone()
        };
        assert!(
            v.same_key(&same),
            "id, flags and anon_vma are not in the key"
        );
        assert!(!v.same_key(&vma(0x11000, 0x12000, 0x10)));
        assert!(!v.same_key(&vma(0x10000, 0x13000, 0x10)));
        assert!(!v.same_key(&vma(0x10000, 0x12000, 0x20)));
    }
}
