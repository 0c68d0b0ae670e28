//! A page table entry, packed into one word, and a radix page table of 512-entry tables.
//!
//! Packing keeps the model near the kernel's own cost: 8 bytes per pte in a dense table, which is
//! what lets a million-pte scenario fit in a few tens of megabytes.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::types::{Addr, PAGE_SHIFT, PageId, SlotId};

const TAG_MASK: u64 = 0b11;
const TAG_PAGE: u64 = 1;
const TAG_ZERO: u64 = 2;
const TAG_SWAP: u64 = 3;
const BIT_WRITE: u64 = 1 << 2;
const BIT_YOUNG: u64 = 1 << 3;
const BIT_DIRTY: u64 = 1 << 4;
const BIT_SWP_EXCL: u64 = 1 << 2;

/// What a pte holds. `None` is the empty pte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PteVal {
    None,
    /// A present pte mapping a page of the model.
    Page {
        page: PageId,
        writable: bool,
        young: bool,
        dirty: bool,
    },
    /// A present, read-only pte mapping the shared zero page.
    Zero {
        young: bool,
    },
    /// A swap entry; `exclusive` is the swap pte's exclusive marker (PageAnonExclusive carried over).
    Swap {
        slot: SlotId,
        exclusive: bool,
    },
}

/// One packed pte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pte(u64);

impl PteVal {
    /// The pte an access leaves: `page` mapped and young (just used), `writable` and `dirty`
    /// as given.
    pub fn young(page: PageId, writable: bool, dirty: bool) -> PteVal {
        PteVal::Page {
            page,
            writable,
            young: true,
            dirty,
        }
    }

    /// The pte a store leaves: `page` mapped writable, young and dirty.
    pub fn written(page: PageId) -> PteVal {
        PteVal::young(page, true, true)
    }

    /// The page this pte maps, if it maps a page of the model.
    pub fn into_page(self) -> Option<PageId> {
        match self {
            PteVal::Page { page, .. } => Some(page),
            _ => None,
        }
    }
}

impl Pte {
    pub const NONE: Pte = Pte(0);

    pub fn pack(v: PteVal) -> Pte {
        match v {
            PteVal::None => Pte(0),
            PteVal::Page {
                page,
                writable,
                young,
                dirty,
            } => Pte(((page.0 as u64) << 32)
                | TAG_PAGE
                | if writable { BIT_WRITE } else { 0 }
                | if young { BIT_YOUNG } else { 0 }
                | if dirty { BIT_DIRTY } else { 0 }),
            PteVal::Zero { young } => Pte(TAG_ZERO | if young { BIT_YOUNG } else { 0 }),
            PteVal::Swap { slot, exclusive } => {
                Pte(((slot.0 as u64) << 32) | TAG_SWAP | if exclusive { BIT_SWP_EXCL } else { 0 })
            }
        }
    }

    pub fn get(self) -> PteVal {
        match self.0 & TAG_MASK {
            TAG_PAGE => PteVal::Page {
                page: PageId((self.0 >> 32) as u32),
                writable: self.0 & BIT_WRITE != 0,
                young: self.0 & BIT_YOUNG != 0,
                dirty: self.0 & BIT_DIRTY != 0,
            },
            TAG_ZERO => PteVal::Zero {
                young: self.0 & BIT_YOUNG != 0,
            },
            TAG_SWAP => PteVal::Swap {
                slot: SlotId((self.0 >> 32) as u32),
                exclusive: self.0 & BIT_SWP_EXCL != 0,
            },
            _ => PteVal::None,
        }
    }

    pub fn is_none(self) -> bool {
        self.0 == 0
    }

    /// The page this pte maps, if it maps a page of the model (not the zero page, not swap).
    pub fn page(self) -> Option<PageId> {
        match self.get() {
            PteVal::Page { page, .. } => Some(page),
            _ => None,
        }
    }
}

const TABLE_BITS: u32 = 9;
const TABLE_LEN: usize = 1 << TABLE_BITS;

#[derive(Clone, Debug)]
struct Table {
    used: u32,
    e: Box<[Pte; TABLE_LEN]>,
}

impl Table {
    fn new() -> Self {
        Table {
            used: 0,
            e: Box::new([Pte::NONE; TABLE_LEN]),
        }
    }
}

/// The page tables of one address space: a map from the upper address bits to 512-entry tables,
/// like a pmd pointing at pte pages. Tables are shared copy-on-write between clones of the model,
/// so keeping history is cheap.
#[derive(Clone, Debug, Default)]
pub struct PageTable {
    tables: BTreeMap<u64, Arc<Table>>,
    count: usize,
}

fn split(addr: Addr) -> (u64, usize) {
    let vpn = addr >> PAGE_SHIFT;
    (vpn >> TABLE_BITS, (vpn as usize) & (TABLE_LEN - 1))
}

impl PageTable {
    /// The pte at `addr` (page aligned).
    pub fn get(&self, addr: Addr) -> Pte {
        let (t, i) = split(addr);
        self.tables.get(&t).map_or(Pte::NONE, |t| t.e[i])
    }

    /// Sets the pte at `addr`, returning the previous one.
    pub fn set(&mut self, addr: Addr, pte: Pte) -> Pte {
        let (t, i) = split(addr);
        if pte.is_none() {
            let Some(tab) = self.tables.get_mut(&t) else {
                return Pte::NONE;
            };
            let old = tab.e[i];
            if old.is_none() {
                return old;
            }
            let tab = Arc::make_mut(tab);
            tab.e[i] = Pte::NONE;
            tab.used -= 1;
            self.count -= 1;
            if tab.used == 0 {
                self.tables.remove(&t);
            }
            return old;
        }
        let tab = Arc::make_mut(
            self.tables
                .entry(t)
                .or_insert_with(|| Arc::new(Table::new())),
        );
        let old = tab.e[i];
        if old.is_none() {
            tab.used += 1;
            self.count += 1;
        }
        tab.e[i] = pte;
        old
    }

    /// Clears the pte at `addr`, returning what it held.
    pub fn take(&mut self, addr: Addr) -> Pte {
        self.set(addr, Pte::NONE)
    }

    /// Number of non-empty ptes.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Every non-empty pte in `[start, end)`, in address order.
    pub fn range(&self, start: Addr, end: Addr) -> Vec<(Addr, Pte)> {
        let mut out = Vec::new();
        if start >= end {
            return out;
        }
        let (t0, _) = split(start);
        let (t1, _) = split(end - 1);
        for (&t, tab) in self.tables.range(t0..=t1) {
            for (i, &p) in tab.e.iter().enumerate() {
                if p.is_none() {
                    continue;
                }
                let addr = ((t << TABLE_BITS) | i as u64) << PAGE_SHIFT;
                if addr >= start && addr < end {
                    out.push((addr, p));
                }
            }
        }
        out
    }

    /// Every non-empty pte, in address order.
    pub fn iter(&self) -> impl Iterator<Item = (Addr, Pte)> + '_ {
        self.tables.iter().flat_map(|(&t, tab)| {
            tab.e
                .iter()
                .enumerate()
                .filter(|(_, p)| !p.is_none())
                .map(move |(i, &p)| (((t << TABLE_BITS) | i as u64) << PAGE_SHIFT, p))
        })
    }

    /// Every address whose pte differs between `self` and `other`, in address order, with the
    /// pte in each. Tables the two share (clones of one history) are skipped without a look.
    pub fn changed(&self, other: &PageTable) -> Vec<(Addr, PteVal, PteVal)> {
        let mut keys: Vec<u64> = self
            .tables
            .keys()
            .chain(other.tables.keys())
            .copied()
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let mut out = Vec::new();
        for t in keys {
            let (a, b) = (self.tables.get(&t), other.tables.get(&t));
            if let (Some(a), Some(b)) = (a, b)
                && Arc::ptr_eq(a, b)
            {
                continue;
            }
            for i in 0..TABLE_LEN {
                let pa = a.map_or(Pte::NONE, |x| x.e[i]);
                let pb = b.map_or(Pte::NONE, |x| x.e[i]);
                if pa != pb {
                    let addr = ((t << TABLE_BITS) | i as u64) << PAGE_SHIFT;
                    out.push((addr, pa.get(), pb.get()));
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
    fn pack_round_trips_every_kind() {
        let vals = [
            PteVal::None,
            PteVal::Page {
                page: PageId(7),
                writable: true,
                young: false,
                dirty: true,
            },
            PteVal::Page {
                page: PageId(u32::MAX),
                writable: false,
                young: true,
                dirty: false,
            },
            PteVal::Zero { young: true },
            PteVal::Zero { young: false },
            PteVal::Swap {
                slot: SlotId(3),
                exclusive: true,
            },
            PteVal::Swap {
                slot: SlotId(0),
                exclusive: false,
            },
        ];
        for v in vals {
            assert_eq!(Pte::pack(v).get(), v);
        }
    }

    #[test]
    fn table_counts_and_ranges() {
        let mut pt = PageTable::default();
        let p = Pte::pack(PteVal::Zero { young: false });
        pt.set(0x10000, p);
        pt.set(0x11000, p);
        pt.set(0x4000_0000, p);
        assert_eq!(pt.len(), 3);
        assert_eq!(pt.range(0x10000, 0x11000).len(), 1);
        assert_eq!(
            pt.iter().map(|(a, _)| a).collect::<Vec<_>>(),
            vec![0x10000, 0x11000, 0x4000_0000]
        );
        assert_eq!(pt.take(0x10000), p);
        assert_eq!(pt.take(0x10000), Pte::NONE);
        assert_eq!(pt.len(), 2);
    }

    #[test]
    fn a_table_whose_last_pte_is_cleared_is_freed() {
        let mut pt = PageTable::default();
        let p = Pte::pack(PteVal::Zero { young: false });
        pt.set(0x10000, p);
        pt.set(0x11000, p);
        assert!(pt.tables.len() == 1 && !pt.is_empty());
        pt.take(0x10000);
        assert_eq!(pt.tables.len(), 1, "one pte is left in the table");
        pt.take(0x11000);
        assert_eq!(pt.tables.len(), 0);
        assert!(pt.is_empty());
    }

    #[test]
    fn changed_lists_each_address_whose_pte_differs() {
        let z = |young| Pte::pack(PteVal::Zero { young });
        let mut a = PageTable::default();
        a.set(0x10000, z(false));
        a.set(0x4000_0000, z(false));
        let mut b = a.clone();
        b.set(0x11000, z(true));
        b.take(0x4000_0000);
        let want = vec![
            (0x11000, PteVal::None, PteVal::Zero { young: true }),
            (0x4000_0000, PteVal::Zero { young: false }, PteVal::None),
        ];
        assert_eq!(
            b.changed(&a),
            want.iter().map(|&(x, o, n)| (x, n, o)).collect::<Vec<_>>()
        );
        assert_eq!(a.changed(&b), want);
        assert!(a.changed(&a.clone()).is_empty());
    }

    #[test]
    fn clones_share_until_written() {
        let mut a = PageTable::default();
        a.set(0x1000, Pte::pack(PteVal::Zero { young: false }));
        let b = a.clone();
        a.set(0x2000, Pte::pack(PteVal::Zero { young: true }));
        assert_eq!(b.len(), 1);
        assert_eq!(a.len(), 2);
    }
}
