//! The walk contract (docs/semantics.md §2.2): what a reverse walk visits and finds.

use serde::Serialize;
use std::fmt;

use super::types::{Addr, MmId, PageId, Pid, VmaId};

/// Which walk: reclaim's unmap, or the referenced check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum WalkKind {
    #[serde(rename = "try_to_unmap")]
    TryToUnmap,
    #[serde(rename = "page_referenced")]
    PageReferenced,
}

impl WalkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WalkKind::TryToUnmap => "try_to_unmap",
            WalkKind::PageReferenced => "page_referenced",
        }
    }
}

/// The outcome of one visited candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Outcome {
    /// The pte at the computed address maps the page.
    #[serde(rename = "HIT")]
    Hit,
    /// Page tables walked at the computed address, but the pte is none, swap or another page.
    #[serde(rename = "MISS")]
    Miss,
    /// Rejected by arithmetic alone: the page's index falls outside the vma.
    #[serde(rename = "OUT")]
    Out,
    /// Skipped without looking (a dead mm).
    #[serde(rename = "SKIP")]
    Skip,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Hit => "HIT",
            Outcome::Miss => "MISS",
            Outcome::Out => "OUT",
            Outcome::Skip => "SKIP",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One candidate a scheme produces, before the model looks at the page tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub pid: Pid,
    pub mm: MmId,
    /// The vma visited (object-based schemes), or None where the candidate is a whole mm or a pte.
    pub vma: Option<VmaId>,
    /// The address computed for the page in this candidate; None means OUT (outside the vma).
    pub addr: Option<Addr>,
    /// Skipped without looking (dead mm, rss 0).
    pub skip: bool,
    /// The structure the candidate came from ("av2", "anonmm3", "i_mmap lib.so", "chain").
    pub via: String,
}

/// What a scheme's walk visits, in the kernel's order.
#[derive(Clone, Debug, Default)]
pub struct WalkPlan {
    pub candidates: Vec<Candidate>,
    /// Structure nodes or list entries the lookup touched besides the candidates.
    pub nodes_visited: u32,
    /// The structure is a list: the walk touches one entry per candidate it visits, so the
    /// model counts the entries up to the early exit instead of `nodes_visited`.
    pub nodes_per_candidate: bool,
    /// The object the page's mapping points at ("av1", "anonmm2", "i_mmap lib.so").
    pub object: String,
}

impl WalkPlan {
    /// The walk of a page whose rmap object is gone: no candidates, the object named
    /// "`object` (freed)".
    pub fn freed(object: &str) -> WalkPlan {
        WalkPlan {
            object: format!("{object} (freed)"),
            ..WalkPlan::default()
        }
    }
}

/// One visited candidate, classified.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Visit {
    pub pid: Pid,
    pub vma_start: Option<Addr>,
    pub vma_end: Option<Addr>,
    pub addr: Option<Addr>,
    pub outcome: Outcome,
    #[serde(skip)]
    pub vma: Option<VmaId>,
    #[serde(skip)]
    pub via: String,
}

/// A pte that maps the page but that the walk never produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Lost {
    pub pid: Pid,
    pub addr: Addr,
}

/// A finished walk.
#[derive(Clone, Debug)]
pub struct Walk {
    pub kind: WalkKind,
    pub page: PageId,
    /// The page's mapcount when the walk began (the early-exit target).
    pub mapcount: u32,
    pub object: String,
    pub visits: Vec<Visit>,
    pub lost: Vec<Lost>,
    pub hit: u32,
    pub miss: u32,
    pub out: u32,
    pub skip: u32,
    /// try_to_unmap: no pte maps the page any more. page_referenced: every pte was found.
    pub unmapped_all: bool,
    /// Candidates the scheme would have produced, visited or not (the early exit stops short).
    pub planned: u32,
    pub nodes_visited: u32,
    /// page_referenced: ptes whose young bit was set.
    pub referenced: u32,
}

impl Walk {
    /// Number of candidates visited.
    pub fn candidates(&self) -> u32 {
        self.visits.len() as u32
    }

    /// The walk as far as its first `k` candidates (all of them when it has fewer): their
    /// outcomes counted, no LOST pte and no verdict yet (`unmapped_all` false, nothing
    /// `referenced`). What a quiz shows while it reveals a walk candidate by candidate.
    pub fn first(&self, k: usize) -> Walk {
        let visits: Vec<Visit> = self.visits.iter().take(k).cloned().collect();
        let count = |o: Outcome| visits.iter().filter(|v| v.outcome == o).count() as u32;
        Walk {
            kind: self.kind,
            page: self.page,
            mapcount: self.mapcount,
            object: self.object.clone(),
            hit: count(Outcome::Hit),
            miss: count(Outcome::Miss),
            out: count(Outcome::Out),
            skip: count(Outcome::Skip),
            visits,
            lost: Vec::new(),
            unmapped_all: false,
            planned: self.planned,
            nodes_visited: self.nodes_visited,
            referenced: 0,
        }
    }

    /// The ptes the walk found mapping the page, as (pid, address), in visit order.
    pub fn hit_ptes(&self) -> impl Iterator<Item = (Pid, Addr)> + '_ {
        self.visits
            .iter()
            .filter(|v| v.outcome == Outcome::Hit)
            .filter_map(|v| v.addr.map(|a| (v.pid, a)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_kinds_are_named_after_the_kernel_functions() {
        assert_eq!(WalkKind::TryToUnmap.as_str(), "try_to_unmap");
        assert_eq!(WalkKind::PageReferenced.as_str(), "page_referenced");
    }

    #[test]
    fn the_walk_of_a_page_whose_object_is_gone_visits_nothing_and_says_so() {
        let w = WalkPlan::freed("anonmm3");
        assert_eq!(w.object, "anonmm3 (freed)");
        assert!(w.candidates.is_empty());
        assert_eq!(w.nodes_visited, 0);
    }

    #[test]
    fn the_first_k_candidates_count_only_their_own_outcomes() {
        let visit = |outcome| Visit {
            pid: 1,
            vma_start: None,
            vma_end: None,
            addr: None,
            outcome,
            vma: None,
            via: String::new(),
        };
        let w = Walk {
            kind: WalkKind::TryToUnmap,
            page: PageId(0),
            mapcount: 2,
            object: "av1".into(),
            visits: [
                Outcome::Miss,
                Outcome::Hit,
                Outcome::Out,
                Outcome::Skip,
                Outcome::Hit,
            ]
            .map(visit)
            .to_vec(),
            lost: vec![Lost {
                pid: 2,
                addr: 0x1000,
            }],
            hit: 2,
            miss: 1,
            out: 1,
            skip: 1,
            unmapped_all: true,
            planned: 6,
            nodes_visited: 3,
            referenced: 2,
        };
        let f = w.first(3);
        assert_eq!((f.hit, f.miss, f.out, f.skip), (1, 1, 1, 0));
        assert_eq!(f.candidates(), 3);
        assert!(f.lost.is_empty() && !f.unmapped_all && f.referenced == 0);
        let all = w.first(9);
        assert_eq!((all.hit, all.miss, all.out, all.skip), (2, 1, 1, 1));
    }
}
