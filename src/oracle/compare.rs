//! The comparison: a pure function from the model's prediction and the kernel's observation to
//! the differences between them.
//!
//! Checked, per live process: the vmas (range, protection, private/shared, what backs them); per
//! pte: empty / present / swapped, the zero page, anonymous vs file, the exclusive bit (mapcount
//! 1); per frame: kpagecount against the model's mapcount; and the partition of ptes into frames
//! and swap entries: two ptes share a frame (a swap entry) in the kernel exactly when they share a
//! page (a swap slot) in the model. Frame numbers and swap offsets themselves are never compared.
//! Without frame numbers (no CAP_SYS_ADMIN) only the pagemap flags are compared.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::expected::{ExpPte, Expected};
use super::observed::{ObsPte, Observed};
use crate::model::{Addr, PageId, Pid, SlotId};

/// One thing the kernel shows differently from the model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub pid: Pid,
    /// The pte's address, or None for process-level differences (vmas, the process itself).
    pub addr: Option<Addr>,
    /// What was compared: "process", "vmas", "pte", "zero page", "anon", "exclusive",
    /// "mapcount", "frame", "swap entry", "outcome".
    pub what: &'static str,
    pub expected: String,
    pub observed: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pid {}", self.pid)?;
        if let Some(a) = self.addr {
            write!(f, " {a:#x}")?;
        }
        write!(
            f,
            ": {}: expected {}, observed {}",
            self.what, self.expected, self.observed
        )
    }
}

fn diff(
    pid: Pid,
    addr: Option<Addr>,
    what: &'static str,
    expected: impl Into<String>,
    observed: impl Into<String>,
) -> Difference {
    Difference {
        pid,
        addr,
        what,
        expected: expected.into(),
        observed: observed.into(),
    }
}

fn describe_exp(e: Option<&ExpPte>) -> String {
    match e {
        None => "no pte".into(),
        Some(ExpPte::Zero) => "the zero page".into(),
        Some(ExpPte::Page { page, anon, .. }) => {
            format!(
                "present ({} page {page})",
                if *anon { "anonymous" } else { "file" }
            )
        }
        Some(ExpPte::Swap { slot }) => format!("swapped ({slot})"),
    }
}

fn describe_obs(o: Option<&ObsPte>) -> String {
    match o {
        None => "no pte".into(),
        Some(ObsPte::Present { file, .. }) => {
            format!("present ({})", if *file { "file" } else { "anonymous" })
        }
        Some(ObsPte::Swapped { .. }) => "swapped".into(),
    }
}

fn class(e: Option<&ExpPte>) -> u8 {
    match e {
        None => 0,
        Some(ExpPte::Zero | ExpPte::Page { .. }) => 1,
        Some(ExpPte::Swap { .. }) => 2,
    }
}

fn obs_class(o: Option<&ObsPte>) -> u8 {
    match o {
        None => 0,
        Some(ObsPte::Present { .. }) => 1,
        Some(ObsPte::Swapped { .. }) => 2,
    }
}

/// Tracks a bijection between model identities (pages, slots) and kernel ones (frames, swap
/// entries), reporting each pte that breaks it.
struct Partition<M: Ord + Copy + fmt::Display> {
    what: &'static str,
    by_model: BTreeMap<M, (u64, Pid, Addr)>,
    by_kernel: BTreeMap<u64, (M, Pid, Addr)>,
}

impl<M: Ord + Copy + fmt::Display> Partition<M> {
    fn new(what: &'static str) -> Self {
        Partition {
            what,
            by_model: BTreeMap::new(),
            by_kernel: BTreeMap::new(),
        }
    }

    fn add(&mut self, m: M, k: u64, pid: Pid, addr: Addr, out: &mut Vec<Difference>) {
        let first_m = *self.by_model.entry(m).or_insert((k, pid, addr));
        let first_k = *self.by_kernel.entry(k).or_insert((m, pid, addr));
        if first_m.0 != k {
            out.push(diff(
                pid,
                Some(addr),
                self.what,
                format!(
                    "the same {} as pid {} {:#x} (model {m})",
                    self.what, first_m.1, first_m.2
                ),
                format!("a different {}", self.what),
            ));
        } else if first_k.0 != m {
            out.push(diff(
                pid,
                Some(addr),
                self.what,
                format!(
                    "a {} of its own (model {m}), not the one of pid {} {:#x} (model {})",
                    self.what, first_k.1, first_k.2, first_k.0
                ),
                format!(
                    "the same {} as pid {} {:#x}",
                    self.what, first_k.1, first_k.2
                ),
            ));
        }
    }
}

/// Every difference between the prediction and the observation.
pub fn compare(e: &Expected, o: &Observed) -> Vec<Difference> {
    let mut out = Vec::new();
    for pid in e.procs.keys() {
        if !o.procs.contains_key(pid) {
            out.push(diff(*pid, None, "process", "alive", "no such process"));
        }
    }
    for pid in o.procs.keys() {
        if !e.procs.contains_key(pid) {
            out.push(diff(*pid, None, "process", "no such process", "alive"));
        }
    }
    let mut frames: Partition<PageId> = Partition::new("frame");
    let mut swaps: Partition<SlotId> = Partition::new("swap entry");
    for (pid, ep) in &e.procs {
        let Some(op) = o.procs.get(pid) else {
            continue;
        };
        let pid = *pid;
        if ep.vmas != op.vmas {
            let show = |v: &[super::observed::VmaShape]| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.iter()
                        .map(|x| x.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            out.push(diff(pid, None, "vmas", show(&ep.vmas), show(&op.vmas)));
        }
        let mut addrs: Vec<Addr> = ep.ptes.keys().chain(op.ptes.keys()).copied().collect();
        addrs.sort_unstable();
        addrs.dedup();
        for a in addrs {
            let ex = ep.ptes.get(&a);
            let ob = op.ptes.get(&a);
            if class(ex) != obs_class(ob) {
                out.push(diff(
                    pid,
                    Some(a),
                    "pte",
                    describe_exp(ex),
                    describe_obs(ob),
                ));
                continue;
            }
            match (ex, ob) {
                (
                    Some(ExpPte::Zero),
                    Some(ObsPte::Present {
                        frame, file: fbit, ..
                    }),
                ) => match frame {
                    Some(f) if !f.zero => out.push(diff(
                        pid,
                        Some(a),
                        "zero page",
                        "the zero page",
                        format!(
                            "a {} page",
                            if f.anon { "anonymous" } else { "non-anonymous" }
                        ),
                    )),
                    None if *fbit => out.push(diff(
                        pid,
                        Some(a),
                        "zero page",
                        "the zero page",
                        "a file page",
                    )),
                    _ => {}
                },
                (
                    Some(ExpPte::Page {
                        page,
                        anon,
                        mapcount,
                    }),
                    Some(ObsPte::Present {
                        frame,
                        exclusive,
                        file,
                    }),
                ) => {
                    let kind = |anon: bool| if anon { "anonymous" } else { "file" };
                    if *anon == *file {
                        out.push(diff(
                            pid,
                            Some(a),
                            "anon",
                            format!("a {} page", kind(*anon)),
                            format!("a {} page (pagemap bit 61)", kind(!*file)),
                        ));
                    }
                    if (*mapcount == 1) != *exclusive {
                        out.push(diff(
                            pid,
                            Some(a),
                            "exclusive",
                            format!(
                                "exclusive bit {} (mapcount {mapcount})",
                                u8::from(*mapcount == 1)
                            ),
                            format!("exclusive bit {}", u8::from(*exclusive)),
                        ));
                    }
                    if let Some(f) = frame {
                        if f.zero {
                            out.push(diff(
                                pid,
                                Some(a),
                                "zero page",
                                format!("page {page}"),
                                "the zero page",
                            ));
                            continue;
                        }
                        if f.anon != *anon {
                            out.push(diff(
                                pid,
                                Some(a),
                                "anon",
                                format!("a {} page", kind(*anon)),
                                format!("a {} page (kpageflags ANON)", kind(f.anon)),
                            ));
                        }
                        if f.mapcount != u64::from(*mapcount) {
                            out.push(diff(
                                pid,
                                Some(a),
                                "mapcount",
                                format!("mapcount {mapcount}"),
                                format!("kpagecount {}", f.mapcount),
                            ));
                        }
                        frames.add(*page, f.pfn, pid, a, &mut out);
                    }
                }
                (Some(ExpPte::Swap { slot }), Some(ObsPte::Swapped { entry: Some(k) })) => {
                    swaps.add(*slot, *k, pid, a, &mut out);
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Prot;
    use crate::oracle::expected::ExpectedProc;
    use crate::oracle::observed::{Backing, Frame, ObservedProc, VmaShape};

    fn vma() -> VmaShape {
        VmaShape {
            start: 0x10000,
            end: 0x12000,
            prot: Prot::RW,
            shared: false,
            backing: Backing::Anon,
        }
    }

    fn page(id: u32, mapcount: u32) -> ExpPte {
        ExpPte::Page {
            page: PageId(id),
            anon: true,
            mapcount,
        }
    }

    fn present(pfn: u64, mapcount: u64) -> ObsPte {
        ObsPte::Present {
            frame: Some(Frame {
                pfn,
                mapcount,
                anon: true,
                zero: false,
            }),
            exclusive: mapcount == 1,
            file: false,
        }
    }

    /// rmap-semantics.md §6.2 step 1: after fork parent and child map the same frames, mapcount 2.
    fn after_fork() -> (Expected, Observed) {
        let mut e = Expected::default();
        let mut o = Observed {
            frames: true,
            ..Observed::default()
        };
        for pid in [1, 2] {
            e.procs.insert(
                pid,
                ExpectedProc {
                    vmas: vec![vma()],
                    ptes: [(0x10000, page(1, 2)), (0x11000, page(2, 2))].into(),
                },
            );
            o.procs.insert(
                pid,
                ObservedProc {
                    vmas: vec![vma()],
                    ptes: [(0x10000, present(0x500, 2)), (0x11000, present(0x501, 2))].into(),
                },
            );
        }
        (e, o)
    }

    #[test]
    fn agreement_gives_no_difference() {
        let (e, o) = after_fork();
        assert_eq!(compare(&e, &o), vec![]);
    }

    #[test]
    fn a_frame_the_model_shares_but_the_kernel_split_is_reported() {
        let (e, mut o) = after_fork();
        // The child got its own frame for page 2 (as a copy-on-write break would do).
        let c = o.procs.get_mut(&2).unwrap();
        c.ptes.insert(0x11000, present(0x777, 1));
        o.procs
            .get_mut(&1)
            .unwrap()
            .ptes
            .insert(0x11000, present(0x501, 1));
        let d = compare(&e, &o);
        assert!(
            d.iter()
                .any(|d| d.what == "frame" && d.pid == 2 && d.addr == Some(0x11000)),
            "{d:?}"
        );
        assert!(d.iter().any(|d| d.what == "mapcount"), "{d:?}");
        assert!(d.iter().any(|d| d.what == "exclusive"), "{d:?}");
    }

    #[test]
    fn two_model_pages_on_one_frame_are_reported() {
        let (e, mut o) = after_fork();
        for p in [1, 2] {
            o.procs
                .get_mut(&p)
                .unwrap()
                .ptes
                .insert(0x11000, present(0x500, 2));
        }
        let d = compare(&e, &o);
        assert!(
            d.iter()
                .any(|d| d.what == "frame" && d.observed.contains("same frame")),
            "{d:?}"
        );
    }

    #[test]
    fn raw_frame_numbers_do_not_matter() {
        let (e, mut o) = after_fork();
        for p in [1, 2] {
            o.procs
                .get_mut(&p)
                .unwrap()
                .ptes
                .insert(0x10000, present(0x9999, 2));
        }
        assert_eq!(compare(&e, &o), vec![]);
    }

    #[test]
    fn state_class_zero_page_and_swap_entries_are_compared() {
        let (mut e, mut o) = after_fork();
        // Model: both swapped to one slot; kernel: two different swap entries.
        for p in [1, 2] {
            e.procs
                .get_mut(&p)
                .unwrap()
                .ptes
                .insert(0x10000, ExpPte::Swap { slot: SlotId(0) });
        }
        o.procs
            .get_mut(&1)
            .unwrap()
            .ptes
            .insert(0x10000, ObsPte::Swapped { entry: Some(0x20) });
        o.procs
            .get_mut(&2)
            .unwrap()
            .ptes
            .insert(0x10000, ObsPte::Swapped { entry: Some(0x40) });
        // Model: zero page; kernel: an anonymous page.
        e.procs
            .get_mut(&1)
            .unwrap()
            .ptes
            .insert(0x11000, ExpPte::Zero);
        // Model: nothing; kernel: a pte.
        o.procs
            .get_mut(&2)
            .unwrap()
            .ptes
            .insert(0x13000, present(0x600, 1));
        let d = compare(&e, &o);
        let whats: Vec<_> = d.iter().map(|d| (d.pid, d.what)).collect();
        assert!(whats.contains(&(2, "swap entry")), "{d:?}");
        assert!(whats.contains(&(1, "zero page")), "{d:?}");
        assert!(whats.contains(&(2, "pte")), "{d:?}");
    }

    #[test]
    fn without_frame_numbers_only_flags_are_compared() {
        let (e, mut o) = after_fork();
        o.frames = false;
        for p in o.procs.values_mut() {
            for pte in p.ptes.values_mut() {
                *pte = ObsPte::Present {
                    frame: None,
                    exclusive: false,
                    file: false,
                };
            }
        }
        assert_eq!(compare(&e, &o), vec![]);
        o.procs.get_mut(&1).unwrap().ptes.insert(
            0x10000,
            ObsPte::Present {
                frame: None,
                exclusive: true,
                file: false,
            },
        );
        let d = compare(&e, &o);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].what, "exclusive");
    }

    #[test]
    fn vmas_and_processes_are_compared() {
        let (e, mut o) = after_fork();
        o.procs.get_mut(&1).unwrap().vmas[0].prot = Prot::R;
        o.procs.remove(&2);
        let d = compare(&e, &o);
        assert!(d.iter().any(|d| d.pid == 1 && d.what == "vmas"), "{d:?}");
        assert!(d.iter().any(|d| d.pid == 2 && d.what == "process"), "{d:?}");
    }
}
