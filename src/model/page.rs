//! Page frames of the model and the store that holds them.
//!
//! A page carries the two words the kernel's rmap lives in: `mapping` and `index`. What they mean
//! depends on the scheme (an anon_vma, an anonmm, a vma; a linear page index or a user address);
//! for file and shmem pages they are the file and the page offset, in every scheme.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use super::pageset::PageSet;
use super::types::{FileId, PageId, SlotId};

const F_ALIVE: u8 = 1;
const F_ANON: u8 = 2;
const F_EXCLUSIVE: u8 = 4;
const F_DIRTY: u8 = 8;
const F_LAZYFREE: u8 = 16;

/// The rmap words of a page: `page->mapping` and `page->index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PageRmap {
    /// The scheme's mapping object id (0 = none). For file pages: the file.
    pub mapping: u32,
    /// The scheme's index: a linear page index, a user address, or a file offset in pages.
    pub index: u64,
}

/// One page frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
    /// PG_dirty, the page's own flag, not a pte's dirty bit (docs/semantics.md §6.2c). A
    /// page-cache page is dirtied by a write fault through a shared mapping and by reclaim or a
    /// zap that finds a dirty pte; an anonymous page only when a pte's dirtiness moves to it in
    /// reclaim (try_to_unmap, add_to_swap) or when it leaves the swap cache while still in use,
    /// never by a write fault. MADV_FREE clears it.
    pub fn is_dirty(&self) -> bool {
        self.flags & F_DIRTY != 0
    }
    /// Freed lazily with MADV_FREE (the kernel clears PG_swapbacked): while it stays clean,
    /// reclaim discards it instead of writing it to swap.
    pub fn is_lazyfree(&self) -> bool {
        self.flags & F_LAZYFREE != 0
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

/// A run of [`CHUNK`] page slots, shared copy-on-write between clones of the store, with the
/// mapped anonymous pages of the chunk grouped by mapping word, computed when first asked for
/// and forgotten when a page of the chunk changes. Clones of a machine (history checkpoints, the
/// states rebuilt from them) share unchanged chunks and so their groups.
#[derive(Clone, Debug, Default)]
struct Chunk {
    pages: Vec<Page>,
    mapped_anon: OnceLock<Vec<(u32, PageSet)>>,
}

impl Chunk {
    /// The live anonymous pages of the chunk with a mapcount, by mapping word (sorted).
    fn mapped_anon(&self, base: usize) -> &[(u32, PageSet)] {
        self.mapped_anon.get_or_init(|| {
            let mut by: Vec<(u32, PageSet)> = Vec::new();
            for (i, p) in self.pages.iter().enumerate() {
                if p.flags & (F_ALIVE | F_ANON) != F_ALIVE | F_ANON || p.mapcount == 0 {
                    continue;
                }
                let id = (base + i) as u32;
                let mapping = p.rmap.mapping;
                // Pages of one mapping tend to be allocated together: look at the last one first.
                match by.iter_mut().rev().find(|(m, _)| *m == mapping) {
                    Some((_, s)) => s.push_run(id, id),
                    None => {
                        let mut s = PageSet::new();
                        s.push_run(id, id);
                        by.push((mapping, s));
                    }
                }
            }
            by.sort_unstable_by_key(|(m, _)| *m);
            by
        })
    }
}

/// Every page ever made in a replay, by id. Chunks are shared copy-on-write between clones.
#[derive(Clone, Debug, Default)]
pub struct PageStore {
    chunks: Vec<Arc<Chunk>>,
    len: u32,
    alive: u32,
    mapped: u32,
}

impl PageStore {
    fn slot(&self, id: PageId) -> Option<&Page> {
        let i = id.0 as usize;
        self.chunks
            .get(i / CHUNK)
            .and_then(|c| c.pages.get(i % CHUNK))
    }

    fn chunk_mut(&mut self, c: usize) -> &mut Vec<Page> {
        let c = Arc::make_mut(&mut self.chunks[c]);
        c.mapped_anon.take();
        &mut c.pages
    }

    fn slot_mut(&mut self, id: PageId) -> &mut Page {
        let i = id.0 as usize;
        &mut self.chunk_mut(i / CHUNK)[i % CHUNK]
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
            self.chunks.push(Arc::new(Chunk {
                pages: Vec::with_capacity(CHUNK),
                mapped_anon: OnceLock::new(),
            }));
        }
        let c = self.chunk_mut(i / CHUNK);
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
    pub fn set_lazyfree(&mut self, id: PageId, on: bool) {
        self.slot_mut(id).set_flag(F_LAZYFREE, on);
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
            c.pages
                .iter()
                .enumerate()
                .filter(|(_, p)| p.is_alive())
                .map(move |(i, _)| PageId((ci * CHUNK + i) as u32))
        })
    }

    /// The live anonymous pages mapped by at least one pte, grouped by their mapping word (what
    /// each scheme's objects are keyed by). Costs a scan of the chunks changed since they were
    /// last grouped, plus a few words per chunk.
    pub fn mapped_anon(&self) -> BTreeMap<u32, PageSet> {
        let mut out: BTreeMap<u32, PageSet> = BTreeMap::new();
        for (ci, c) in self.chunks.iter().enumerate() {
            for (mapping, set) in c.mapped_anon(ci * CHUNK) {
                out.entry(*mapping).or_default().append(set);
            }
        }
        out
    }

    /// Groups every chunk's mapped anonymous pages now, so that [`PageStore::mapped_anon`] of
    /// this store and of its clones costs only the chunks changed after this call.
    pub fn group_mapped_anon(&self) {
        for (ci, c) in self.chunks.iter().enumerate() {
            c.mapped_anon(ci * CHUNK);
        }
    }

    /// The pages whose frame differs between `self` and `other` (made, freed, remapped, its
    /// mapcount changed ...), in id order, each as it is in `self` and in `other` (a page made
    /// in only one of them is dead in the other). Chunks the two stores share (clones of one
    /// history) are skipped without a look.
    pub fn changed(&self, other: &PageStore) -> Vec<(PageId, Page, Page)> {
        let mut out = Vec::new();
        let n = self.chunks.len().max(other.chunks.len());
        for ci in 0..n {
            let (a, b) = (self.chunks.get(ci), other.chunks.get(ci));
            if let (Some(a), Some(b)) = (a, b)
                && Arc::ptr_eq(a, b)
            {
                continue;
            }
            let len = a
                .map_or(0, |c| c.pages.len())
                .max(b.map_or(0, |c| c.pages.len()));
            for i in 0..len {
                let id = PageId((ci * CHUNK + i) as u32);
                let (pa, pb) = (self.get(id), other.get(id));
                if pa != pb {
                    out.push((id, pa, pb));
                }
            }
        }
        out
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
        // Freeing a dead page again changes nothing.
        s.free(a);
        assert_eq!(s.alive_count(), 2);
        assert!(!s.is_alive(a));
    }

    #[test]
    fn each_flag_of_a_page_reads_back_alone() {
        // A new anonymous page is alive, anonymous and exclusive (do_anonymous_page adds it with
        // RMAP_EXCLUSIVE), a new page-cache page only alive; neither is dirty nor lazily freed
        // until someone says so. Each flag set and cleared changes that flag and no other.
        let mut s = PageStore::default();
        let (a, f) = (s.alloc_anon(), s.alloc_file(FileId(0), 0));
        let flags = |s: &PageStore, id| {
            let p = s.get(id);
            [
                p.is_alive(),
                p.is_anon(),
                p.is_exclusive(),
                p.is_dirty(),
                p.is_lazyfree(),
            ]
        };
        assert_eq!(flags(&s, a), [true, true, true, false, false]);
        assert_eq!(flags(&s, f), [true, false, false, false, false]);
        s.set_dirty(a, true);
        s.set_dirty(f, true);
        assert_eq!(flags(&s, a), [true, true, true, true, false]);
        assert_eq!(flags(&s, f), [true, false, false, true, false]);
        s.set_exclusive(a, false);
        s.set_lazyfree(a, true);
        s.set_dirty(a, false);
        assert_eq!(flags(&s, a), [true, true, false, false, true]);
        s.free(f);
        assert!(!s.get(f).is_alive() && !s.is_alive(f));
    }

    #[test]
    fn a_page_cache_page_names_its_file_in_page_mapping() {
        // A page-cache page's page->mapping is its file's address_space in every scheme, never
        // "none" (mapping word 0), whichever file it is, the first one too; page->index is its
        // offset in the file, in pages.
        let mut s = PageStore::default();
        let (f0, f1) = (s.alloc_file(FileId(0), 5), s.alloc_file(FileId(1), 0));
        let (p0, p1) = (s.get(f0), s.get(f1));
        assert_eq!((p0.file(), p1.file()), (Some(FileId(0)), Some(FileId(1))));
        assert_ne!(p0.rmap().mapping, 0);
        assert_ne!(p1.rmap().mapping, 0);
        assert_ne!(p0.rmap().mapping, p1.rmap().mapping);
        assert_eq!((p0.rmap().index, p1.rmap().index), (5, 0));
    }

    #[test]
    fn page_is_small() {
        assert!(std::mem::size_of::<Page>() <= 32);
    }

    fn groups(s: &PageStore) -> Vec<(u32, Vec<(u32, u32)>)> {
        s.mapped_anon()
            .into_iter()
            .map(|(m, set)| (m, set.runs().to_vec()))
            .collect()
    }

    #[test]
    fn mapped_anon_groups_follow_changes_in_clones_and_originals() {
        let mut s = PageStore::default();
        // Pages 1..=3000 over three chunks: mapping 7 for the first 2000, 9 for the rest;
        // page 5 is never mapped, page 6 is a file page.
        for i in 1..=3000u32 {
            let id = if i == 6 {
                s.alloc_file(FileId(0), 0)
            } else {
                s.alloc_anon()
            };
            let mapping = if i <= 2000 { 7 } else { 9 };
            s.set_rmap(id, PageRmap { mapping, index: 0 });
            if i != 5 {
                s.inc_map(id);
            }
        }
        let before = vec![(7, vec![(1, 4), (7, 2000)]), (9, vec![(2001, 3000)])];
        s.group_mapped_anon();
        assert_eq!(groups(&s), before);
        let mut c = s.clone();
        // The clone unmaps one page and moves another; the original keeps its groups.
        c.dec_map(PageId(1500));
        c.set_rmap(
            PageId(2500),
            PageRmap {
                mapping: 7,
                index: 0,
            },
        );
        c.free(PageId(3000));
        assert_eq!(groups(&s), before);
        assert_eq!(
            groups(&c),
            vec![
                (7, vec![(1, 4), (7, 1499), (1501, 2000), (2500, 2500)]),
                (9, vec![(2001, 2499), (2501, 2999)]),
            ]
        );
        // And the other way round.
        s.inc_map(PageId(5));
        assert_eq!(groups(&s)[0], (7, vec![(1, 5), (7, 2000)]));
        assert_eq!(groups(&c)[0].1[0], (1, 4));
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
        // Every live page is listed by its own id, past the first chunk too.
        for id in [1, 1500, 2999] {
            s.free(PageId(id));
        }
        let want: Vec<PageId> = (2..=3000)
            .filter(|&i| i != 1500 && i != 2999)
            .map(PageId)
            .collect();
        assert_eq!(s.alive_ids().collect::<Vec<_>>(), want);
    }

    #[test]
    fn a_store_holds_more_than_a_million_pages() {
        // A storm's million copy-on-write faults make a page each: page ids pass 2^20, and each
        // page still reads back as made.
        let mut s = PageStore::default();
        let n = (1 << 20) + 2;
        for _ in 0..n {
            s.alloc_anon();
        }
        let last = PageId(n);
        s.inc_map(last);
        assert_eq!((s.made(), s.alive_count(), s.mapped_count()), (n, n, 1));
        assert!(s.is_alive(last) && s.get(last).mapcount() == 1);
        assert!(!s.is_alive(PageId(n + 1)));
    }

    #[test]
    fn changed_lists_each_page_that_differs_by_its_id_in_every_chunk() {
        // Pages 1..=2000 over two chunks; then the clone maps page 3, frees page 1500 and makes
        // page 2001, which the original never made (it is dead there).
        let mut a = PageStore::default();
        for _ in 0..2000 {
            a.alloc_anon();
        }
        let mut b = a.clone();
        b.inc_map(PageId(3));
        b.free(PageId(1500));
        assert_eq!(b.alloc_anon(), PageId(2001));
        let summary = |v: Vec<(PageId, Page, Page)>| {
            v.into_iter()
                .map(|(id, x, y)| {
                    (
                        id.0,
                        (x.is_alive(), x.mapcount()),
                        (y.is_alive(), y.mapcount()),
                    )
                })
                .collect::<Vec<_>>()
        };
        let want = vec![
            (3, (true, 0), (true, 1)),
            (1500, (true, 0), (false, 0)),
            (2001, (false, 0), (true, 0)),
        ];
        assert_eq!(summary(a.changed(&b)), want);
        assert_eq!(
            summary(b.changed(&a)),
            want.iter().map(|&(i, x, y)| (i, y, x)).collect::<Vec<_>>()
        );
        assert!(a.changed(&a.clone()).is_empty());
    }
}
