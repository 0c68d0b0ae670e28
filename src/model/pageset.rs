//! A set of page ids held as sorted runs of consecutive ids, so that a million pages that were
//! allocated together cost a few words. The page store hands out the mapped anonymous pages of
//! each mapping word this way ([`super::PageStore::mapped_anon`]), and the graph groups them
//! without looking at each page.

use smallvec::{SmallVec, smallvec};

use super::types::PageId;

/// Page ids as sorted, disjoint, non-adjacent runs `first..=last`. One run is held inline: the
/// pages of one mapping in one chunk, or one page, cost no allocation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageSet {
    runs: SmallVec<[(u32, u32); 1]>,
    len: usize,
}

impl PageSet {
    pub fn new() -> PageSet {
        PageSet::default()
    }

    /// The set of one page.
    pub fn one(p: PageId) -> PageSet {
        PageSet {
            runs: smallvec![(p.0, p.0)],
            len: 1,
        }
    }

    /// The set of the ids yielded, in any order, duplicates ignored.
    pub fn from_ids(ids: impl IntoIterator<Item = PageId>) -> PageSet {
        let mut v: Vec<u32> = ids.into_iter().map(|p| p.0).collect();
        v.sort_unstable();
        v.dedup();
        let mut s = PageSet::new();
        for id in v {
            s.push_run(id, id);
        }
        s
    }

    /// Adds the run `first..=last`, which must come after every id already in the set.
    pub fn push_run(&mut self, first: u32, last: u32) {
        debug_assert!(first <= last);
        match self.runs.last_mut() {
            Some(r) if first <= r.1 => {
                debug_assert!(false, "runs pushed out of order: {first} after {}", r.1);
            }
            Some(r) if first == r.1 + 1 => r.1 = last,
            _ => self.runs.push((first, last)),
        }
        self.len += (last - first) as usize + 1;
    }

    /// Adds every id of `other`, whose ids must all come after this set's.
    pub fn append(&mut self, other: &PageSet) {
        for &(a, b) in &other.runs {
            self.push_run(a, b);
        }
    }

    /// The union of the two sets.
    pub fn union(&self, other: &PageSet) -> PageSet {
        PageSet::union_all([self, other])
    }

    /// The union of all the sets (one sort of all their runs).
    pub fn union_all<'a>(sets: impl IntoIterator<Item = &'a PageSet>) -> PageSet {
        let mut runs: Vec<(u32, u32)> = sets
            .into_iter()
            .flat_map(|s| s.runs.iter().copied())
            .collect();
        runs.sort_unstable();
        let mut out = PageSet::new();
        for (a, b) in runs {
            match out.runs.last() {
                Some(&(_, last)) if b <= last => {}
                Some(&(_, last)) if a <= last => out.push_run(last + 1, b),
                _ => out.push_run(a, b),
            }
        }
        out
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The smallest id.
    pub fn first(&self) -> Option<PageId> {
        self.runs.first().map(|r| PageId(r.0))
    }

    /// The largest id.
    pub fn last(&self) -> Option<PageId> {
        self.runs.last().map(|r| PageId(r.1))
    }

    pub fn contains(&self, p: PageId) -> bool {
        let i = self.runs.partition_point(|r| r.1 < p.0);
        self.runs.get(i).is_some_and(|r| r.0 <= p.0)
    }

    /// The runs, in id order, as (first, last) inclusive.
    pub fn runs(&self) -> &[(u32, u32)] {
        &self.runs
    }

    /// Every id, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = PageId> + '_ {
        self.runs.iter().flat_map(|&(a, b)| (a..=b).map(PageId))
    }

    /// The ids compactly, as the narrative and the inspector show them: "p1-p4, p9", and after
    /// eight runs ", ... (N pages in all)".
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for (k, &(a, b)) in self.runs.iter().enumerate() {
            if k == 8 {
                out.push_str(&format!(", ... ({} pages in all)", self.len));
                break;
            }
            if k > 0 {
                out.push_str(", ");
            }
            if b > a {
                out.push_str(&format!("p{a}-p{b}"));
            } else {
                out.push_str(&format!("p{a}"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[u32]) -> Vec<PageId> {
        v.iter().copied().map(PageId).collect()
    }

    #[test]
    fn runs_merge_and_count() {
        let s = PageSet::from_ids(ids(&[7, 3, 1, 2, 3, 9, 8]));
        assert_eq!(s.runs(), &[(1, 3), (7, 9)]);
        assert_eq!(s.len(), 6);
        assert_eq!((s.first(), s.last()), (Some(PageId(1)), Some(PageId(9))));
        assert_eq!(s.iter().collect::<Vec<_>>(), ids(&[1, 2, 3, 7, 8, 9]));
        for (p, inside) in [
            (0, false),
            (1, true),
            (3, true),
            (4, false),
            (6, false),
            (9, true),
        ] {
            assert_eq!(s.contains(PageId(p)), inside, "p{p}");
        }
        assert!(!PageSet::new().contains(PageId(0)));
        assert!(PageSet::new().is_empty() && !s.is_empty());
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "runs pushed out of order: 3 after 5")]
    fn a_run_pushed_before_the_last_id_is_a_bug_that_debug_builds_catch() {
        // push_run's contract: each run comes after every id already in the set (page ids are
        // pushed in order). A caller that breaks it would leave the runs unsorted and contains
        // wrong, so debug builds stop there.
        let mut s = PageSet::one(PageId(5));
        s.push_run(3, 4);
    }

    #[test]
    fn append_joins_adjacent_runs() {
        let mut a = PageSet::from_ids(ids(&[1, 2]));
        a.append(&PageSet::from_ids(ids(&[3, 5])));
        assert_eq!(a.runs(), &[(1, 3), (5, 5)]);
        assert_eq!(a.len(), 4);
    }

    #[test]
    fn union_of_overlapping_sets() {
        let a = PageSet::from_ids(ids(&[1, 2, 3, 10]));
        let b = PageSet::from_ids(ids(&[2, 4, 9, 20]));
        let u = a.union(&b);
        assert_eq!(u, PageSet::from_ids(ids(&[1, 2, 3, 4, 9, 10, 20])));
        assert_eq!(u.len(), 7);
        // A run that starts at the last id of the one before and goes on past it.
        let (c, d) = (
            PageSet::from_ids(ids(&[1, 2, 3])),
            PageSet::from_ids(ids(&[3, 4, 5])),
        );
        let u = c.union(&d);
        assert_eq!((u.runs(), u.len()), (&[(1, 5)][..], 5));
    }

    #[test]
    fn describe_shows_eight_runs_then_the_total() {
        assert_eq!(
            PageSet::from_ids(ids(&[3, 1, 2, 7])).describe(),
            "p1-p3, p7"
        );
        let many = PageSet::from_ids((0..20).map(|i| PageId(i * 2)));
        assert_eq!(
            many.describe(),
            "p0, p2, p4, p6, p8, p10, p12, p14, ... (20 pages in all)"
        );
    }
}
