//! The vmas an rmap object links (an anon_vma's list, a file's i_mmap, an anonymous
//! address_space's tree), each with its insertion number: a tree keeps equal keys in insertion
//! order, and a vma whose range or pgoff changed is taken out and put back behind its equals
//! (docs/semantics.md §2.2: equal starts in insertion order). [`super::interval`] answers the
//! walk's query over them.

use crate::model::{MmId, Pid, VmaId};

/// A vma linked on an rmap object: whose it is, and when it went in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkedVma {
    pub pid: Pid,
    pub mm: MmId,
    pub vma: VmaId,
    /// Its insertion number (from [`InsertionOrder`]).
    pub seq: u64,
}

/// The insertion numbers of one scheme's trees: each is later than every one given before.
#[derive(Clone, Copy, Debug, Default)]
pub struct InsertionOrder(u64);

impl InsertionOrder {
    /// The number of the entry inserted now.
    pub fn next_seq(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }

    /// `pid`'s vma `vma` (of mm `mm`), linked now.
    pub fn link(&mut self, pid: Pid, mm: MmId, vma: VmaId) -> LinkedVma {
        LinkedVma {
            pid,
            mm,
            vma,
            seq: self.next_seq(),
        }
    }

    /// The vma `vma` of `linked`, if there, is re-inserted: it goes behind every entry linked
    /// before, its equals included.
    pub fn relink(&mut self, linked: &mut [LinkedVma], vma: VmaId) {
        if let Some(e) = linked.iter_mut().find(|e| e.vma == vma) {
            e.seq = self.next_seq();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relinked_vma_goes_behind_every_vma_linked_before_it() {
        let mut order = InsertionOrder::default();
        let mut l: Vec<LinkedVma> = (0..3).map(|i| order.link(1, MmId(1), VmaId(i))).collect();
        let later = order.link(2, MmId(2), VmaId(9));
        order.relink(&mut l, VmaId(0));
        assert!(l[0].seq > l[2].seq && l[0].seq > later.seq);
        assert!(l[1].seq < l[2].seq);
        // A vma not linked there changes nothing.
        let before = l.clone();
        order.relink(&mut l, VmaId(7));
        assert_eq!(l, before);
    }
}
