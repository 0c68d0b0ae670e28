//! The scenario's little filesystem: named files with page caches, and shmem objects.
//!
//! A named file starts with every page in the page cache, as if it had just been written, so a
//! read fault shows fault-around. Pages are given ids lazily, the first time a pte maps one.
//! A shmem object (behind a shared anonymous mapping) has no pages until they are touched.

use std::collections::{BTreeMap, BTreeSet};

use super::types::{FileId, PageId, SlotId};

/// What the page cache holds at one offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheEntry {
    Page(PageId),
    /// A shmem page that went to swap.
    Swap(SlotId),
}

#[derive(Clone, Debug)]
pub struct File {
    pub id: FileId,
    pub name: String,
    pub shmem: bool,
    /// Size in pages (i_size); an access at or past it is SIGBUS.
    pub size: u64,
    cache: BTreeMap<u64, CacheEntry>,
    /// Offsets of a named file that reclaim dropped from the cache.
    evicted: BTreeSet<u64>,
}

/// Whether an offset is in the page cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cached {
    /// A page with an id.
    Page(PageId),
    /// Cached, but no pte has mapped it yet, so it has no id.
    Unmaterialized,
    /// A shmem page in swap.
    Swap(SlotId),
    /// Not in the cache: a fault must read it (or, for shmem, allocate it).
    Absent,
}

impl File {
    pub fn new(id: FileId, name: String, shmem: bool, size: u64) -> Self {
        File {
            id,
            name,
            shmem,
            size,
            cache: BTreeMap::new(),
            evicted: BTreeSet::new(),
        }
    }

    pub fn lookup(&self, index: u64) -> Cached {
        match self.cache.get(&index) {
            Some(CacheEntry::Page(p)) => Cached::Page(*p),
            Some(CacheEntry::Swap(s)) => Cached::Swap(*s),
            None if !self.shmem && index < self.size && !self.evicted.contains(&index) => {
                Cached::Unmaterialized
            }
            None => Cached::Absent,
        }
    }

    /// Puts a page into the cache at `index`.
    pub fn insert(&mut self, index: u64, page: PageId) {
        self.evicted.remove(&index);
        self.cache.insert(index, CacheEntry::Page(page));
    }

    /// Reclaim dropped the page at `index` (named files).
    pub fn evict(&mut self, index: u64) {
        self.cache.remove(&index);
        if !self.shmem {
            self.evicted.insert(index);
        }
    }

    /// Reclaim moved the shmem page at `index` to swap.
    pub fn to_swap(&mut self, index: u64, slot: SlotId) {
        self.cache.insert(index, CacheEntry::Swap(slot));
    }

    /// Pages of the cache that have ids.
    pub fn cached_pages(&self) -> impl Iterator<Item = (u64, PageId)> + '_ {
        self.cache.iter().filter_map(|(&i, e)| match e {
            CacheEntry::Page(p) => Some((i, *p)),
            CacheEntry::Swap(_) => None,
        })
    }

    /// Grows the file (a named file grows to cover every mapping made of it).
    pub fn grow_to(&mut self, pages: u64) {
        self.size = self.size.max(pages);
    }
}
