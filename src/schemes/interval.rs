//! Stabbing queries over intervals kept in a balanced search tree, with a count of the tree
//! nodes a query touches.
//!
//! The kernel's interval trees (3.7+) are augmented red-black trees ordered by start, each node
//! knowing the largest end in its subtree; prio_tree (2.6.7 - 3.6) answers the same query.
//! Here the tree is the perfectly balanced one over the sorted intervals, which visits the same
//! O(log n + m) nodes a well-balanced kernel tree would; results come in start order, equal
//! starts in insertion order.

use crate::model::Vma;

/// One interval `[first, last]` (inclusive, in pages) with its insertion sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    pub first: u64,
    pub last: u64,
    pub seq: u64,
}

/// The vmas that contain the page at `point` of their object (a file's page offset, an
/// anon_vma's index): each vma covers `[vm_pgoff, its last page]` and comes with its insertion
/// sequence number.
pub fn stab_vmas<'a>(vmas: impl IntoIterator<Item = (&'a Vma, u64)>, point: u64) -> Stab {
    let ivs: Vec<Interval> = vmas
        .into_iter()
        .map(|(v, seq)| Interval {
            first: v.pgoff,
            last: v.last_pgoff(),
            seq,
        })
        .collect();
    stab(&ivs, point)
}

/// The result of a stabbing query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stab {
    /// Indices into the caller's slice of the intervals that contain the point, in tree order.
    pub hits: Vec<usize>,
    /// Tree nodes visited.
    pub visited: u32,
}

/// Finds the intervals of `items` that contain `point`. `items` may be in any order.
pub fn stab(items: &[Interval], point: u64) -> Stab {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| (items[i].first, items[i].seq));
    let sorted: Vec<Interval> = order.iter().map(|&i| items[i]).collect();
    let mut max_last = vec![0u64; sorted.len()];
    build(&sorted, 0, sorted.len(), &mut max_last);
    let mut s = Stab::default();
    query(&sorted, &max_last, 0, sorted.len(), point, &mut s);
    s.hits = s.hits.into_iter().map(|i| order[i]).collect();
    s
}

fn build(v: &[Interval], lo: usize, hi: usize, max_last: &mut [u64]) -> u64 {
    if lo >= hi {
        return 0;
    }
    let mid = lo + (hi - lo) / 2;
    let m = v[mid]
        .last
        .max(build(v, lo, mid, max_last))
        .max(build(v, mid + 1, hi, max_last));
    max_last[mid] = m;
    m
}

fn query(v: &[Interval], max_last: &[u64], lo: usize, hi: usize, point: u64, s: &mut Stab) {
    if lo >= hi {
        return;
    }
    let mid = lo + (hi - lo) / 2;
    s.visited += 1;
    if max_last[mid] < point {
        return; // nothing in this subtree reaches the point
    }
    query(v, max_last, lo, mid, point, s);
    if v[mid].first <= point {
        if point <= v[mid].last {
            s.hits.push(mid);
        }
        query(v, max_last, mid + 1, hi, point, s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(first: u64, last: u64, seq: u64) -> Interval {
        Interval { first, last, seq }
    }

    #[test]
    fn finds_exactly_the_containing_intervals_in_start_then_insertion_order() {
        let items = [
            iv(10, 13, 0),
            iv(0, 3, 1),
            iv(10, 13, 2),
            iv(12, 20, 3),
            iv(14, 15, 4),
        ];
        let s = stab(&items, 12);
        assert_eq!(s.hits, vec![0, 2, 3]);
        assert!(s.visited >= 3);
        assert!(stab(&items, 30).hits.is_empty());
        assert_eq!(stab(&[], 1), Stab::default());
    }

    #[test]
    fn a_query_touches_few_nodes_among_many_disjoint_intervals() {
        let items: Vec<Interval> = (0..2048).map(|i| iv(i * 2, i * 2, i)).collect();
        let s = stab(&items, 1000);
        assert_eq!(s.hits, vec![500]);
        assert!(s.visited <= 2 * 12, "visited {}", s.visited);
    }
}
