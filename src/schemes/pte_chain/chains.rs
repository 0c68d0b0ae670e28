//! pte-chain's per-page rmap words and chains, stored for a million pages: each page's word is
//! empty, one `pte.direct` pte, or the index of its chain of recorded ptes; the words are kept
//! in chunks of 1024, shared copy-on-write between the states of a session, each with a cached
//! summary of its runs of direct pages and its chained pages.

use std::sync::{Arc, OnceLock};

use super::NRPTE;
use crate::model::{Addr, MmId, PAGE_SHIFT, PageId};

/// One recorded pte: (mm << 36) | virtual page number (a 47-bit address has a 35-bit vpn); mm
/// ids stay below 2^26, leaving the two top bits to [`Chains`].
pub(super) type PteRef = u64;

pub(super) fn pack(mm: MmId, addr: Addr) -> PteRef {
    (u64::from(mm.0) << 36) | (addr >> PAGE_SHIFT)
}

pub(super) fn unpack(r: PteRef) -> (MmId, Addr) {
    (MmId((r >> 36) as u32), (r & ((1 << 36) - 1)) << PAGE_SHIFT)
}

/// The `pte` union of one page, as read from the store.
#[derive(Clone, Copy, Debug, Default)]
pub(super) enum Chain<'a> {
    #[default]
    Empty,
    Direct(PteRef),
    /// Chain blocks; entries in reverse walk order, so the last element is the head block's
    /// first used slot and an insertion is a push.
    Blocks(&'a [PteRef]),
}

impl Chain<'_> {
    /// Blocks allocated: the head holds 1 to NRPTE entries, every other block NRPTE.
    pub(super) fn blocks(&self) -> usize {
        match self {
            Chain::Blocks(v) => v.len().div_ceil(NRPTE),
            _ => 0,
        }
    }

    /// Entries in walk order.
    pub(super) fn entries(&self) -> Vec<PteRef> {
        match self {
            Chain::Empty => Vec::new(),
            Chain::Direct(r) => vec![*r],
            Chain::Blocks(v) => v.iter().rev().copied().collect(),
        }
    }
}

pub(super) const CHUNK: usize = 1024;
/// A page's word holds the index of its chain in [`Chains::lists`].
pub(super) const LIST_BIT: u64 = 1 << 63;
/// A page's word holds its one pte (pte.direct); a word of 0 holds nothing.
pub(super) const DIRECT_BIT: u64 = 1 << 62;

/// A chunk of page words, shared copy-on-write between clones, with its summary for the view
/// (computed when first asked for, forgotten when a word changes; clones of the scheme, such as
/// history checkpoints and the states rebuilt from them, share unchanged chunks and so their
/// summaries).
#[derive(Clone, Debug)]
pub(super) struct WordChunk {
    words: Vec<u64>,
    summary: OnceLock<Summary>,
}

/// A chunk's pages as the view wants them.
#[derive(Clone, Debug, Default)]
pub(super) struct Summary {
    /// Pages in `pte.direct` as runs: pages `page..page + len` hold the consecutive ptes
    /// `first..first + len` of one mm (a process's copy-on-write copies of consecutive pages).
    pub(super) direct: Vec<DirectRun>,
    /// Pages that own a chain.
    pub(super) chained: Vec<PageId>,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct DirectRun {
    pub(super) page: u32,
    pub(super) first: PteRef,
    pub(super) len: u32,
}

impl WordChunk {
    pub(super) fn new() -> WordChunk {
        WordChunk {
            words: vec![0; CHUNK],
            summary: OnceLock::new(),
        }
    }

    pub(super) fn summary(&self, base: usize) -> &Summary {
        self.summary.get_or_init(|| {
            let mut s = Summary::default();
            for (i, &w) in self.words.iter().enumerate() {
                let page = (base + i) as u32;
                if w & LIST_BIT != 0 {
                    s.chained.push(PageId(page));
                } else if w & DIRECT_BIT != 0 {
                    let r = w & !DIRECT_BIT;
                    match s.direct.last_mut() {
                        Some(run)
                            if run.page + run.len == page
                                && run.first + u64::from(run.len) == r =>
                        {
                            run.len += 1
                        }
                        _ => s.direct.push(DirectRun {
                            page,
                            first: r,
                            len: 1,
                        }),
                    }
                }
            }
            s
        })
    }
}

/// The chains by page id: one word per page (empty, pte.direct, or the index of a chain), in
/// chunks shared copy-on-write between clones (history checkpoints), and the chains themselves,
/// each shared copy-on-write too. A page costs the model 8 bytes here, as `pte` cost the kernel
/// one word of `struct page`; only pages mapped more than once own a chain.
#[derive(Clone, Debug, Default)]
pub(super) struct Chains {
    words: Vec<Arc<WordChunk>>,
    lists: Vec<Arc<Vec<PteRef>>>,
    /// Indexes of `lists` whose chain was freed, for reuse.
    free: Vec<usize>,
}

impl Chains {
    pub(super) fn word(&self, p: PageId) -> u64 {
        let i = p.0 as usize;
        self.words
            .get(i / CHUNK)
            .and_then(|c| c.words.get(i % CHUNK))
            .copied()
            .unwrap_or(0)
    }

    pub(super) fn set_word(&mut self, p: PageId, w: u64) {
        let i = p.0 as usize;
        while self.words.len() <= i / CHUNK {
            self.words.push(Arc::new(WordChunk::new()));
        }
        let c = Arc::make_mut(&mut self.words[i / CHUNK]);
        c.words[i % CHUNK] = w;
        c.summary.take();
    }

    /// Every chunk's summary, in page order.
    pub(super) fn summaries(&self) -> impl Iterator<Item = &Summary> + '_ {
        self.words
            .iter()
            .enumerate()
            .map(|(ci, c)| c.summary(ci * CHUNK))
    }

    pub(super) fn decode(&self, w: u64) -> Chain<'_> {
        if w & LIST_BIT != 0 {
            Chain::Blocks(&self.lists[(w & !LIST_BIT) as usize])
        } else if w & DIRECT_BIT != 0 {
            Chain::Direct(w & !DIRECT_BIT)
        } else {
            Chain::Empty
        }
    }

    pub(super) fn get(&self, p: PageId) -> Chain<'_> {
        self.decode(self.word(p))
    }

    /// The chain of `p`, which must have one.
    pub(super) fn list_mut(&mut self, p: PageId) -> Option<&mut Vec<PteRef>> {
        let w = self.word(p);
        (w & LIST_BIT != 0).then(|| Arc::make_mut(&mut self.lists[(w & !LIST_BIT) as usize]))
    }

    pub(super) fn set_direct(&mut self, p: PageId, r: PteRef) {
        self.free_list_of(p);
        self.set_word(p, r | DIRECT_BIT);
    }

    pub(super) fn set_list(&mut self, p: PageId, v: Vec<PteRef>) {
        self.free_list_of(p);
        let idx = match self.free.pop() {
            Some(i) => {
                self.lists[i] = Arc::new(v);
                i
            }
            None => {
                self.lists.push(Arc::new(v));
                self.lists.len() - 1
            }
        };
        self.set_word(p, idx as u64 | LIST_BIT);
    }

    pub(super) fn clear(&mut self, p: PageId) {
        self.free_list_of(p);
        if self.word(p) != 0 {
            self.set_word(p, 0);
        }
    }

    pub(super) fn free_list_of(&mut self, p: PageId) {
        let w = self.word(p);
        if w & LIST_BIT != 0 {
            let i = (w & !LIST_BIT) as usize;
            self.lists[i] = Arc::default();
            self.free.push(i);
        }
    }

    /// The ptes recorded in chains (a freed chain is empty).
    /// Chain blocks held by every chain, counted from the chains (the scheme keeps the same
    /// number up to date as chains grow and shrink).
    pub(super) fn blocks_in_use(&self) -> u64 {
        self.lists.iter().map(|l| l.len().div_ceil(NRPTE) as u64).sum()
    }

    pub(super) fn in_chains(&self) -> usize {
        self.lists.iter().map(|l| l.len()).sum()
    }
}
