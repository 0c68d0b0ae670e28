//! `anon-vma-global` and `anon-vma-global-prio`: one anonymous object per exec family holding
//! every anonymous vma of every member (docs/semantics.md §3.5; Andrea Arcangeli, 12 and 13 Mar
//! 2004). A design that never existed in code: the choices below are this model's.
//!
//! What a page points to: the family object (`mapping`) and its linear page index (`index`), as
//! in anon-vma (§3.4). A vma's anonymous pgoff is its mmap address in pages and survives mremap.
//!
//! The family (DERIVED): an exec family is the mm made by exec (or spawn) and every mm forked from
//! it, directly or not. Its object is allocated lazily, at the first anonymous fault of any member
//! (as anon_vma_prepare does), not eagerly at exec or fork: a family that never writes anonymous
//! memory costs nothing, and the walk results are the same. From then on every private vma of
//! every member that gets an anonymous page joins it, including vmas a member creates after fork
//! (the difference from anon-vma, where such a vma gets an anon_vma of its own); fork, split and
//! mremap copies of a linked vma join at once. The object is freed when its last vma leaves; the
//! next fault in the family makes a new one.
//!
//! What the walk visits (walk order, chosen here):
//! - `anon-vma-global`: the family's list, newest first (`list_add` at the head, as the 2004
//!   anon_vma code linked vmas), vma_address() making those out of range OUT: every anonymous
//!   vma of every member, "very old vma segments in other address spaces" included (Andrea).
//! - `anon-vma-global-prio`: the same vmas in a prio_tree keyed by pgoff range, walked by a
//!   stabbing query at the page's index: in order of start pgoff, equal starts in insertion order
//!   (a vma whose range changes is re-inserted). No OUT, but every member whose vma covers the
//!   index is still probed: copy-on-write copies in other address spaces are MISSes a tree cannot
//!   filter, "because the vma ranges could match fine in all address spaces" (Andrea, [A0312b]).
//!
//! Both stop after `mapcount` hits.
//!
//! What each op changes: first anonymous fault: the vma joins the family object (allocated if
//! the family has none). Fork, split, mremap move: the new vma joins the same object. Merge: needs
//! a linear pgoff (the object is shared by the whole family anyway). munmap, exit, exec: the vma
//! leaves; an empty object is freed. COW copies and swap-ins point at the family object.
//!
//! File pages: the i_mmap lists of 2004 (before prio_tree, §3.2): a hypothetical design of
//! 12 Mar 2004 gets the file structure of its date.
//!
//! Memory (§4, DERIVED): per vma the anon_vma fields of anon-vma (12 B / 24 B; for `-prio` a
//! prio_tree node and the pointer, 20 B / 40 B) and the 2004 i_mmap list linkage (8 B / 16 B);
//! per family one object of 12 B / 24 B (a lock and a list head or prio_tree root). "would save 8
//! bytes per vma of anonvma objects" (Andrea): fewer objects than anon-vma, same per-vma fields.

use std::collections::HashMap;

use super::MmOrigin;
use super::file_rmap::{FileStructure, WithFiles};
use super::anon_vma::{AnonVmaScheme, Flavor};
use crate::model::{MmId, Pid};
use super::SchemeInfo;

/// The `anon-vma-global` design as the CLI, the TUI and the docs name it.
pub static ANON_VMA_GLOBAL: SchemeInfo = SchemeInfo {
    name: "anon-vma-global",
    design: "one anon object per exec family holding every anon vma",
    era: "hypothetical, 12 Mar 2004",
    summary: "like anon-vma, but vmas a member creates after fork join the family object too",
    spec: "§3.5",
    object_based: true,
    compare_with: None,
    make: || WithFiles::boxed(anon_vma_global(), FileStructure::List),
};

/// The `anon-vma-global-prio` design as the CLI, the TUI and the docs name it.
pub static ANON_VMA_GLOBAL_PRIO: SchemeInfo = SchemeInfo {
    name: "anon-vma-global-prio",
    design: "anon-vma-global with a pgoff tree on top",
    era: "hypothetical, 12 Mar 2004",
    summary: "the family object filtered by pgoff; still misses on copy-on-write copies",
    spec: "§3.5",
    object_based: true,
    compare_with: None,
    make: || WithFiles::boxed(anon_vma_global_prio(), FileStructure::List),
};

/// The exec families and their objects.
#[derive(Clone, Debug, Default)]
pub(super) struct Families {
    of_mm: HashMap<MmId, u32>,
    /// family -> its object, while it has one.
    object: HashMap<u32, u32>,
    /// family -> the pid whose exec (or spawn) started it.
    founder: HashMap<u32, Pid>,
    next: u32,
}

impl Families {
    /// A new mm joins its parent's family (fork) or starts one (spawn, exec).
    pub(super) fn mm_created(&mut self, pid: Pid, mm: MmId, origin: MmOrigin) {
        let family = match origin {
            MmOrigin::Fork { parent_mm, .. } => self.of_mm.get(&parent_mm).copied(),
            MmOrigin::Spawn | MmOrigin::Exec => None,
        };
        let family = family.unwrap_or_else(|| {
            self.next += 1;
            self.founder.insert(self.next, pid);
            self.next
        });
        self.of_mm.insert(mm, family);
    }

    pub(super) fn mm_destroyed(&mut self, mm: MmId) {
        self.of_mm.remove(&mm);
    }

    pub(super) fn family_of(&self, mm: MmId) -> Option<u32> {
        self.of_mm.get(&mm).copied()
    }

    pub(super) fn object(&self, family: u32) -> Option<u32> {
        self.object.get(&family).copied()
    }

    pub(super) fn set_object(&mut self, family: u32, av: u32) {
        self.object.insert(family, av);
    }

    /// The object `av` was freed: its family has none until the next fault.
    pub(super) fn object_freed(&mut self, av: u32) {
        self.object.retain(|_, a| *a != av);
    }

    /// "exec family of pid N" for the object `av`.
    pub(super) fn describe(&self, av: u32) -> Option<String> {
        let (&family, _) = self.object.iter().find(|&(_, &a)| a == av)?;
        let pid = self.founder.get(&family)?;
        Some(format!("family {family} (exec or spawn of pid {pid})"))
    }
}

/// A fresh `anon-vma-global`.
pub fn anon_vma_global() -> AnonVmaScheme {
    AnonVmaScheme::new(Flavor::Global)
}

/// A fresh `anon-vma-global-prio`.
pub fn anon_vma_global_prio() -> AnonVmaScheme {
    AnonVmaScheme::new(Flavor::GlobalPrio)
}
