//! `trace --check`: after each stop's steps, the `modern` model against what the kernel showed,
//! with the oracle's comparison ([`crate::oracle::compare`]): vmas, ptes, the zero page,
//! anonymous or file, mapcounts and exclusive bits, and the partition of ptes into frames and
//! swap entries.
//!
//! One adjustment: a file page's kpagecount also counts the processes outside the trace that map
//! it (every process maps libc). For a file frame mapped outside, the mapcount compared is the
//! number of traced ptes that map it (the partition already checks which ptes those are), and
//! its exclusive bit is the one those ptes alone would give.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::ops::Range;

use crate::model::{Addr, Machine, Pid};
use crate::oracle::observed::{ObsPte, Observed};
use crate::oracle::procfs::FrameAccess;
use crate::oracle::{Difference, compare, expected};

/// How many differences a check point keeps to show.
const KEEP: usize = 6;

/// The comparison after one stop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckPoint {
    /// The steps recorded at this stop (0-based, end exclusive).
    pub steps: Range<usize>,
    /// What the stop was (the note of its last step).
    pub what: String,
    /// ptes compared: every (pid, address) that either side maps.
    pub ptes: usize,
    /// ptes with at least one difference.
    pub differing: usize,
    /// Processes whose vmas differ.
    pub vmas_differ: Vec<Pid>,
    /// The first differences.
    pub differences: Vec<Difference>,
    /// All differences, before keeping the first few.
    pub all_differences: usize,
}

/// Every check point of a trace.
#[derive(Clone, Debug, Default)]
pub struct TraceCheck {
    pub points: Vec<CheckPoint>,
    /// Whether frame numbers were visible (root; without them only pagemap flags are compared),
    /// and what the check could not see, in words.
    pub access: FrameAccess,
    /// File frames that processes outside the trace also mapped (see the module doc).
    pub shared_outside: BTreeSet<u64>,
}

/// Makes a file frame's mapcount and exclusive bit those of the traced ptes alone, where
/// processes outside the trace map it too. Returns the frames adjusted.
pub fn discount_outside(o: &mut Observed) -> BTreeSet<u64> {
    let mut traced: BTreeMap<u64, u64> = BTreeMap::new();
    for p in o.procs.values() {
        for pte in p.ptes.values() {
            if let ObsPte::Present { frame: Some(f), .. } = pte
                && !f.anon
                && !f.zero
            {
                *traced.entry(f.pfn).or_default() += 1;
            }
        }
    }
    let mut adjusted = BTreeSet::new();
    for p in o.procs.values_mut() {
        for pte in p.ptes.values_mut() {
            if let ObsPte::Present {
                frame: Some(f),
                exclusive,
                ..
            } = pte
                && !f.anon
                && !f.zero
            {
                let n = traced.get(&f.pfn).copied().unwrap_or(0);
                if f.mapcount > n {
                    f.mapcount = n;
                    *exclusive = n == 1;
                    adjusted.insert(f.pfn);
                }
            }
        }
    }
    adjusted
}

/// Compares the model with an observation: (ptes compared, differences). Frame identity
/// across steps is not compared: the processes are observed at different moments.
pub fn compare_state(m: &Machine, o: &Observed) -> (usize, Vec<Difference>) {
    let e = expected(m);
    let mut keys: BTreeSet<(Pid, Addr)> = BTreeSet::new();
    for (pid, p) in &e.procs {
        keys.extend(p.ptes.keys().map(|a| (*pid, *a)));
    }
    for (pid, p) in &o.procs {
        keys.extend(p.ptes.keys().map(|a| (*pid, *a)));
    }
    (keys.len(), compare(&e, o, None).differences)
}

/// Differences about a whole vma or process rather than one pte.
fn about_vmas(d: &Difference) -> bool {
    matches!(d.what, "vma" | "vmas" | "process" | "referenced")
}

impl CheckPoint {
    /// A check point from the comparison's result.
    pub fn new(steps: Range<usize>, what: String, ptes: usize, diffs: Vec<Difference>) -> Self {
        let differing: BTreeSet<(Pid, Addr)> = diffs
            .iter()
            .filter(|d| !about_vmas(d))
            .filter_map(|d| d.addr.map(|a| (d.pid, a)))
            .collect();
        let vmas_differ: BTreeSet<Pid> = diffs
            .iter()
            .filter(|d| about_vmas(d))
            .map(|d| d.pid)
            .collect();
        let all_differences = diffs.len();
        CheckPoint {
            steps,
            what,
            ptes,
            differing: differing.len(),
            vmas_differ: vmas_differ.into_iter().collect(),
            differences: diffs.into_iter().take(KEEP).collect(),
            all_differences,
        }
    }

    pub fn agrees(&self) -> bool {
        self.all_differences == 0
    }
}

impl TraceCheck {
    /// ptes compared over every check point.
    pub fn total_ptes(&self) -> usize {
        self.points.iter().map(|p| p.ptes).sum()
    }

    /// ptes that differed, over every check point.
    pub fn total_differing(&self) -> usize {
        self.points.iter().map(|p| p.differing).sum()
    }

    /// The share of compared ptes that agreed, in percent (100 when nothing was compared).
    pub fn agreement(&self) -> f64 {
        let n = self.total_ptes();
        if n == 0 {
            100.0
        } else {
            100.0 * (n - self.total_differing()) as f64 / n as f64
        }
    }

    /// Check points where some process's vmas differed.
    pub fn vma_points(&self) -> usize {
        self.points
            .iter()
            .filter(|p| !p.vmas_differ.is_empty())
            .count()
    }

    /// The report: one line per check point that differs (with its first differences), then the
    /// totals; `all` lists the agreeing ones too.
    pub fn text(&self, all: bool) -> String {
        let mut out = String::new();
        for p in &self.points {
            let steps = if p.steps.len() == 1 {
                format!("step {}", p.steps.start + 1)
            } else {
                format!("steps {}-{}", p.steps.start + 1, p.steps.end)
            };
            if p.agrees() {
                if all {
                    let _ = writeln!(out, "{steps}: agree ({} ptes): {}", p.ptes, p.what);
                }
                continue;
            }
            let _ = writeln!(
                out,
                "{steps}: DIFFERS ({} of {} ptes{}): {}",
                p.differing,
                p.ptes,
                if p.vmas_differ.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", vmas of pid {}",
                        p.vmas_differ
                            .iter()
                            .map(|v| v.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
                p.what
            );
            for d in &p.differences {
                let _ = writeln!(out, "    {d}");
            }
            if p.all_differences > p.differences.len() {
                let _ = writeln!(
                    out,
                    "    ... {} more",
                    p.all_differences - p.differences.len()
                );
            }
        }
        let agree = self.points.iter().filter(|p| p.agrees()).count();
        let _ = writeln!(
            out,
            "check: {agree} of {} check points agree; {} of {} observed ptes agree ({:.2}%); vmas differ at {} check points",
            self.points.len(),
            self.total_ptes() - self.total_differing(),
            self.total_ptes(),
            self.agreement(),
            self.vma_points()
        );
        if !self.shared_outside.is_empty() {
            let _ = writeln!(
                out,
                "check: {} file frames were also mapped by processes outside the trace; their mapcount was compared as the traced ptes' count",
                self.shared_outside.len()
            );
        }
        if let Some(m) = &self.access.missing {
            let _ = writeln!(out, "check: {m}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MmapArgs, Op, Prot};
    use crate::oracle::observed::{Backing, Frame, ObservedProc, VmaShape};
    use crate::session::Simulation;

    fn file_pte(pfn: u64, mapcount: u64) -> ObsPte {
        ObsPte::Present {
            frame: Some(Frame::decode(pfn, mapcount, 0)),
            exclusive: mapcount == 1,
            file: true,
        }
    }

    /// pid 1 maps one page of "lib" and read it: the model's state.
    fn model() -> Machine {
        let mut s = Simulation::by_name("modern").unwrap();
        for op in [
            Op::Mmap(MmapArgs {
                pid: 1,
                addr: 0x10000,
                pages: 1,
                prot: Prot::R,
                shared: false,
                file: Some("lib".into()),
                offset: 0,
            }),
            Op::Read {
                pid: 1,
                addr: 0x10000,
                pages: 1,
            },
        ] {
            assert!(s.step(&op, false).error.is_none());
        }
        s.machine
    }

    fn observed(pte: ObsPte) -> Observed {
        let mut o = Observed {
            frames: true,
            ..Observed::default()
        };
        o.procs.insert(
            1,
            ObservedProc {
                vmas: vec![VmaShape {
                    start: 0x10000,
                    end: 0x11000,
                    prot: Prot::R,
                    shared: false,
                    backing: Backing::File("lib".into()),
                    offset: 0,
                }],
                ptes: [(0x10000, pte)].into(),
                referenced: Default::default(),
            },
        );
        o
    }

    #[test]
    fn a_file_page_mapped_outside_the_trace_agrees_once_discounted() {
        let m = model();
        // kpagecount 7: six other processes map the same libc page.
        let mut o = observed(file_pte(42, 7));
        let (n, d) = compare_state(&m, &o);
        assert_eq!(n, 1);
        assert!(d.iter().any(|d| d.what == "mapcount"), "{d:?}");
        let adjusted = discount_outside(&mut o);
        assert_eq!(adjusted.into_iter().collect::<Vec<_>>(), vec![42]);
        let (_, d) = compare_state(&m, &o);
        assert_eq!(d, vec![]);
    }

    #[test]
    fn fewer_mappings_than_traced_ptes_is_still_a_difference() {
        let m = model();
        // kpagecount 0 cannot be: the traced pte itself maps the frame.
        let mut o = observed(file_pte(42, 0));
        assert!(discount_outside(&mut o).is_empty());
        let (_, d) = compare_state(&m, &o);
        assert!(d.iter().any(|d| d.what == "mapcount"), "{d:?}");
    }

    #[test]
    fn agreement_counts_each_differing_pte_once() {
        let diffs = vec![
            Difference {
                pid: 1,
                addr: Some(0x10000),
                what: "mapcount",
                expected: "1".into(),
                observed: "2".into(),
            },
            Difference {
                pid: 1,
                addr: Some(0x10000),
                what: "exclusive",
                expected: "1".into(),
                observed: "0".into(),
            },
            Difference {
                pid: 2,
                addr: Some(0x7000),
                what: "vma",
                expected: "a".into(),
                observed: "b".into(),
            },
        ];
        let p = CheckPoint::new(0..3, "x".into(), 200, diffs);
        assert_eq!(p.differing, 1);
        assert_eq!(p.vmas_differ, vec![2]);
        let c = TraceCheck {
            points: vec![p, CheckPoint::new(3..4, "y".into(), 200, vec![])],
            ..TraceCheck::default()
        };
        assert_eq!(c.total_ptes(), 400);
        assert!((c.agreement() - 99.75).abs() < 1e-9);
        let t = c.text(false);
        assert!(
            t.contains("steps 1-3: DIFFERS (1 of 200 ptes, vmas of pid 2): x"),
            "{t}"
        );
        assert!(!t.contains("step 4"), "{t}");
        assert!(t.contains("399 of 400 observed ptes agree (99.75%)"), "{t}");
    }
}
