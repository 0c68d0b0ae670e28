//! Page frames of the model and the store that holds them.
//!
//! A page carries the two words the kernel's rmap lives in: `mapping` and `index`. What they mean
//! depends on the scheme (an anon_vma, an anonmm, a vma; a linear page index or a user address);
//! for file and shmem pages they are the file and the page offset, in every scheme.

use std::sync::Arc;

use super::types::{FileId, PageId, SlotId};

const F_ALIVE: u8 = 1;
const F_ANON: u8 = 2;
const F_EXCLUSIVE: u8 = 4;
const F_DIRTY: u8 = 8;

/// The rmap words of a page: `page->mapping` and `page->index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PageRmap {
    /// The scheme's mapping object id (0 = none). For file pages: the file.
    pub mapping: u32,
    /// The scheme's index: a linear page index, a user address, or a file offset in pages.
    pub index: u64,
}

/// One page frame.
#[derive(Clone, Copy, Debug, Default)]
pub struct Page {
    rmap: PageRmap,
    file: u32,
    mapcount: u32,
    swap: u32,
    flags: u8,
}

impl Page {
    pub fn is_alive(&self) -> bool {
        self.flags & F_ALIVE != 0
    }
    /// Anonymous (private) page, as opposed to a page of a file or of shmem.
    pub fn is_anon(&self) -> bool {
        self.flags & F_ANON != 0
    }
    /// PageAnonExclusive: certainly mapped by one pte only, may be written without a copy.
    pub fn is_exclusive(&self) -> bool {
        self.flags & F_EXCLUSIVE != 0
    }
    pub fn is_dirty(&self) -> bool {
        self.flags & F_DIRTY != 0
    }
    pub fn mapcount(&self) -> u32 {
        self.mapcount
    }
    pub fn rmap(&self) -> PageRmap {
        self.rmap
    }
    /// The file or shmem object a non-anonymous page belongs to.
    pub fn file(&self) -> Option<FileId> {
        if self.file == 0 {
            None
        } else {
            Some(FileId(self.file - 1))
        }
    }
    /// The swap slot whose swap-cache page this is.
    pub fn swap_slot(&self) -> Option<SlotId> {
        if self.swap == 0 {
            None
        } else {
            Some(SlotId(self.swap - 1))
        }
    }

    fn set_flag(&mut self, f: u8, on: bool) {
        if on {
            self.flags |= f;
        } else {
            self.flags &= !f;
        }
    }
}

const CHUNK: usize = 1024;

/// Every page ever made in a replay, by id. Chunks are shared copy-on-write between clones.
#[derive(Clone, Debug, Default)]
pub struct PageStore {
    chunks: Vec<Arc<Vec<Page>>>,
    len: u32,
    alive: u32,
    mapped: u32,
}

impl PageStore {
    fn slot(&self, id: PageId) -> Option<&Page> {
        let i = id.0 as usize;
        self.chunks.get(i / CHUNK).and_then(|c| c.get(i % CHUNK))
    }

    fn slot_mut(&mut self, id: PageId) -> &mut Page {
        let i = id.0 as usize;
        let c = Arc::make_mut(&mut self.chunks[i / CHUNK]);
        &mut c[i % CHUNK]
    }

    /// Makes a new page. Ids count up from 1 and are never reused.
    pub fn alloc_anon(&mut self) -> PageId {
        self.push(Page {
            flags: F_ALIVE | F_ANON | F_EXCLUSIVE,
            ..Page::default()
        })
    }

    /// Makes a new page-cache page of `file` at offset `index`.
    pub fn alloc_file(&mut self, file: FileId, index: u64) -> PageId {
        self.push(Page {
            rmap: PageRmap {
                mapping: file.0 + 1,
                index,
            },
            file: file.0 + 1,
            flags: F_ALIVE,
            ..Page::default()
        })
    }

    fn push(&mut self, p: Page) -> PageId {
        self.len += 1;
        self.alive += 1;
        let id = self.len; // ids start at 1
        let i = id as usize;
        while i / CHUNK >= self.chunks.len() {
            self.chunks.push(Arc::new(Vec::with_capacity(CHUNK)));
        }
        let c = Arc::make_mut(&mut self.chunks[i / CHUNK]);
        while c.len() < i % CHUNK {
            c.push(Page::default());
        }
        c.push(p);
        PageId(id)
    }

    /// The page, dead or alive. Unknown ids give a dead page.
    pub fn get(&self, id: PageId) -> Page {
        self.slot(id).copied().unwrap_or_default()
    }

    pub fn is_alive(&self, id: PageId) -> bool {
        self.slot(id).is_some_and(Page::is_alive)
    }

    pub fn set_rmap(&mut self, id: PageId, r: PageRmap) {
        self.slot_mut(id).rmap = r;
    }
    pub fn set_exclusive(&mut self, id: PageId, on: bool) {
        self.slot_mut(id).set_flag(F_EXCLUSIVE, on);
    }
    pub fn set_dirty(&mut self, id: PageId, on: bool) {
        self.slot_mut(id).set_flag(F_DIRTY, on);
    }
    pub fn set_swap(&mut self, id: PageId, slot: Option<SlotId>) {
        self.slot_mut(id).swap = slot.map_or(0, |s| s.0 + 1);
    }
    pub fn inc_map(&mut self, id: PageId) {
        let p = self.slot_mut(id);
        p.mapcount += 1;
        if p.mapcount == 1 {
            self.mapped += 1;
        }
    }
    /// Drops one mapping; returns the new mapcount.
    pub fn dec_map(&mut self, id: PageId) -> u32 {
        let p = self.slot_mut(id);
        let was = p.mapcount;
        p.mapcount = was.saturating_sub(1);
        let now = p.mapcount;
        if was == 1 {
            self.mapped -= 1;
        }
        now
    }
    /// Frees the page; its id stays dead for the rest of the replay.
    pub fn free(&mut self, id: PageId) {
        let p = self.slot_mut(id);
        if p.flags & F_ALIVE != 0 {
            p.flags &= !F_ALIVE;
            self.alive -= 1;
        }
    }

    /// Number of pages ever made (anonymous and page cache), dead or alive.
    pub fn made(&self) -> u32 {
        self.len
    }

    /// Number of live pages.
    pub fn alive_count(&self) -> u32 {
        self.alive
    }

    /// Number of pages mapped by at least one pte.
    pub fn mapped_count(&self) -> u32 {
        self.mapped
    }

    /// Ids of every live page, in id order.
    pub fn alive_ids(&self) -> impl Iterator<Item = PageId> + '_ {
        self.chunks.iter().enumerate().flat_map(|(ci, c)| {
            c.iter()
                .enumerate()
                .filter(|(_, p)| p.is_alive())
                .map(move |(i, _)| PageId((ci * CHUNK + i) as u32))
        })
    }

    /// Bytes of model memory held by the store.
    pub fn approx_bytes(&self) -> usize {
        self.chunks.len() * (CHUNK * std::mem::size_of::<Page>() + 40)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_start_at_one_and_are_never_reused() {
        let mut s = PageStore::default();
        let a = s.alloc_anon();
        let b = s.alloc_anon();
        assert_eq!((a, b), (PageId(1), PageId(2)));
        s.free(a);
        assert_eq!(s.alloc_anon(), PageId(3));
        assert!(!s.is_alive(a));
        assert_eq!(s.alive_count(), 2);
        assert_eq!(s.alive_ids().collect::<Vec<_>>(), vec![b, PageId(3)]);
        assert_eq!(s.made(), 3);
    }

    #[test]
    fn page_is_small() {
        assert!(std::mem::size_of::<Page>() <= 32);
    }

    #[test]
    fn store_spans_chunks() {
        let mut s = PageStore::default();
        for _ in 0..3000 {
            s.alloc_anon();
        }
        let last = PageId(3000);
        s.inc_map(last);
        assert_eq!(s.get(last).mapcount(), 1);
        let c = s.clone();
        s.inc_map(last);
        assert_eq!(c.get(last).mapcount(), 1);
        assert_eq!(s.get(last).mapcount(), 2);
    }
}
