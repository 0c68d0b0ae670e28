//! The comparison: a pure function from the model's prediction and the kernel's observation
//! (after this step, and after the previous one) to the differences between them.
//!
//! Checked, per live process: the vmas (range, protection, private/shared, what backs them, the
//! file offset); per pte: empty / present / swapped, the zero page, anonymous vs file, the
//! exclusive bit (mapcount 1); per frame: kpagecount against the model's mapcount; the partition
//! of ptes into frames and swap entries: two ptes share a frame (a swap entry) in the kernel
//! exactly when they share a page (a swap slot) in the model; frame identity across steps: a page
//! mapped after the previous step and after this one keeps its frame exactly when the model keeps
//! its page id (copy-on-write reuse against copy, mremap moving rather than copying); and per vma
//! the young ptes against `Referenced:` of `/proc/PID/smaps`. Frame numbers and swap offsets
//! themselves are never compared. Without frame numbers (no CAP_SYS_ADMIN) only the pagemap flags
//! and the vmas are compared.

mod frames;
mod vmas;

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use super::expected::{ExpPte, Expected};
use super::observed::{ObsPte, Observed};
use crate::model::{Addr, PageId, Pid, SlotId};
use frames::{Partition, compare_identity};
use vmas::{compare_vmas, compare_young};

/// One thing the kernel shows differently from the model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub pid: Pid,
    /// The pte's address or the vma's start, or None for the process itself.
    pub addr: Option<Addr>,
    /// What was compared: "process", "vma", "pte", "zero page", "anon", "exclusive",
    /// "mapcount", "frame", "frame identity", "swap entry", "referenced", "outcome".
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

/// What one step's comparison looked at (the report's `compared`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Compared {
    /// Live processes on either side.
    pub processes: usize,
    /// vmas compared with `/proc/PID/maps` (start, end, protection, sharing, backing, offset).
    pub vmas: usize,
    /// Non-empty ptes on either side.
    pub ptes: usize,
    /// Pages mapped after the previous step and after this one (on either side) whose frame
    /// identity across the step was compared.
    pub frame_identity: usize,
    /// vmas whose young ptes were compared with `Referenced:` of `/proc/PID/smaps`.
    pub referenced: usize,
    /// Present ptes in those vmas whose page something outside the scenario aged (PG_idle, as
    /// DAMON's sampling leaves it): smaps may or may not count them, so they were not predicted.
    pub referenced_aged: usize,
}

/// The result of comparing one step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepComparison {
    pub differences: Vec<Difference>,
    pub compared: Compared,
}

/// Every difference between the prediction and the observation after a step. `prev` is the
/// prediction and observation after the step before (None at the first step), for frame identity.
pub fn compare(e: &Expected, o: &Observed, prev: Option<(&Expected, &Observed)>) -> StepComparison {
    let mut c = StepComparison::default();
    let procs: BTreeSet<Pid> = e.procs.keys().chain(o.procs.keys()).copied().collect();
    c.compared.processes = procs.len();
    c.differences = compare_state(e, o, &mut c.compared);
    if let Some((pe, po)) = prev
        && o.frames
    {
        let (d, n) = compare_identity(pe, po, e, o);
        c.differences.extend(d);
        c.compared.frame_identity = n;
    }
    c
}

/// The differences within one step's state.
fn compare_state(e: &Expected, o: &Observed, compared: &mut Compared) -> Vec<Difference> {
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
        compared.vmas += compare_vmas(pid, &ep.vmas, &op.vmas, &mut out);
        if o.young {
            let (vmas, aged) = compare_young(pid, ep, op, &mut out);
            compared.referenced += vmas;
            compared.referenced_aged += aged;
        }
        let mut addrs: Vec<Addr> = ep.ptes.keys().chain(op.ptes.keys()).copied().collect();
        addrs.sort_unstable();
        addrs.dedup();
        compared.ptes += addrs.len();
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
                        ..
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
    use crate::oracle::observed::{Backing, Frame, KPF_ANON, ObservedProc, VmaShape};
    use std::collections::BTreeMap;

    fn vma() -> VmaShape {
        VmaShape {
            start: 0x10000,
            end: 0x12000,
            prot: Prot::RW,
            shared: false,
            backing: Backing::Anon,
            offset: 0,
        }
    }

    fn page(id: u32, mapcount: u32) -> ExpPte {
        ExpPte::Page {
            page: PageId(id),
            anon: true,
            mapcount,
            young: false,
        }
    }

    fn present(pfn: u64, mapcount: u64) -> ObsPte {
        ObsPte::Present {
            frame: Some(Frame::decode(pfn, mapcount, KPF_ANON)),
            exclusive: mapcount == 1,
            file: false,
        }
    }

    /// Sets the model's pte of `pid` at `addr`.
    fn set_exp(e: &mut Expected, pid: Pid, addr: Addr, pte: ExpPte) {
        e.procs.get_mut(&pid).unwrap().ptes.insert(addr, pte);
    }

    /// Sets the kernel's pte of `pid` at `addr`.
    fn set_obs(o: &mut Observed, pid: Pid, addr: Addr, pte: ObsPte) {
        o.procs.get_mut(&pid).unwrap().ptes.insert(addr, pte);
    }

    /// docs/semantics.md §6.2 step 1: after fork parent and child map the same frames, mapcount 2.
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
                    referenced: BTreeMap::new(),
                },
            );
        }
        (e, o)
    }

    #[test]
    fn agreement_gives_no_difference() {
        let (e, o) = after_fork();
        assert_eq!(compare(&e, &o, None).differences, vec![]);
    }

    #[test]
    fn a_frame_the_model_shares_but_the_kernel_split_is_reported() {
        let (e, mut o) = after_fork();
        // The child got its own frame for page 2 (as a copy-on-write break would do).
        let c = o.procs.get_mut(&2).unwrap();
        c.ptes.insert(0x11000, present(0x777, 1));
        set_obs(&mut o, 1, 0x11000, present(0x501, 1));
        let d = compare(&e, &o, None).differences;
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
            set_obs(&mut o, p, 0x11000, present(0x500, 2));
        }
        let d = compare(&e, &o, None).differences;
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
            set_obs(&mut o, p, 0x10000, present(0x9999, 2));
        }
        assert_eq!(compare(&e, &o, None).differences, vec![]);
    }

    #[test]
    fn state_class_zero_page_and_swap_entries_are_compared() {
        let (mut e, mut o) = after_fork();
        // Model: both swapped to one slot; kernel: two different swap entries.
        for p in [1, 2] {
            set_exp(&mut e, p, 0x10000, ExpPte::Swap { slot: SlotId(0) });
        }
        set_obs(&mut o, 1, 0x10000, ObsPte::Swapped { entry: Some(0x20) });
        set_obs(&mut o, 2, 0x10000, ObsPte::Swapped { entry: Some(0x40) });
        // Model: zero page; kernel: an anonymous page.
        set_exp(&mut e, 1, 0x11000, ExpPte::Zero);
        // Model: nothing; kernel: a pte.
        set_obs(&mut o, 2, 0x13000, present(0x600, 1));
        let d = compare(&e, &o, None).differences;
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
        assert_eq!(compare(&e, &o, None).differences, vec![]);
        o.procs.get_mut(&1).unwrap().ptes.insert(
            0x10000,
            ObsPte::Present {
                frame: None,
                exclusive: true,
                file: false,
            },
        );
        let d = only_difference(&e, &o);
        assert_eq!(d.what, "exclusive");
    }

    #[test]
    fn vmas_and_processes_are_compared() {
        let (e, mut o) = after_fork();
        o.procs.get_mut(&1).unwrap().vmas[0].prot = Prot::R;
        o.procs.remove(&2);
        let d = compare(&e, &o, None).differences;
        assert!(
            d.iter()
                .any(|d| d.pid == 1 && d.what == "vma" && d.addr == Some(0x10000)),
            "{d:?}"
        );
        assert!(d.iter().any(|d| d.pid == 2 && d.what == "process"), "{d:?}");
    }

    #[test]
    fn the_file_offset_of_a_vma_is_compared() {
        let (mut e, mut o) = after_fork();
        for v in [
            &mut e.procs.get_mut(&1).unwrap().vmas[0],
            &mut o.procs.get_mut(&1).unwrap().vmas[0],
        ] {
            v.backing = Backing::File("lib".into());
            v.offset = 3;
        }
        for p in [1, 2] {
            for pte in e.procs.get_mut(&p).unwrap().ptes.values_mut() {
                if let ExpPte::Page { anon, .. } = pte {
                    *anon = false;
                }
            }
            for pte in o.procs.get_mut(&p).unwrap().ptes.values_mut() {
                if let ObsPte::Present {
                    frame: Some(f),
                    file,
                    ..
                } = pte
                {
                    f.anon = false;
                    *file = true;
                }
            }
        }
        assert_eq!(compare(&e, &o, None).differences, vec![]);
        o.procs.get_mut(&1).unwrap().vmas[0].offset = 4;
        let d = only_difference(&e, &o);
        assert_eq!((d.what, d.addr), ("vma", Some(0x10000)));
        assert!(
            d.expected.contains("at page 3") && d.observed.contains("at page 4"),
            "{d:?}"
        );
    }

    /// After the child's write to page 2 (docs/semantics.md §6.2 step 2): the child maps a new
    /// frame, the parent keeps the original, now exclusive.
    fn after_child_write() -> (Expected, Observed) {
        let (mut e, mut o) = after_fork();
        set_exp(&mut e, 1, 0x11000, page(2, 1));
        set_exp(&mut e, 2, 0x11000, page(3, 1));
        set_obs(&mut o, 1, 0x11000, present(0x501, 1));
        set_obs(&mut o, 2, 0x11000, present(0x777, 1));
        (e, o)
    }

    /// The one difference `compare` finds between `e` and `o` (fails unless there is exactly
    /// one).
    fn only_difference(e: &Expected, o: &Observed) -> Difference {
        let d = compare(e, o, None).differences;
        assert_eq!(d.len(), 1, "{d:?}");
        d[0].clone()
    }

    /// `d` is one frame-identity difference, at pid 1's 0x11000, whose kernel side says `says`.
    fn one_frame_identity_difference(d: &[Difference], says: &str) {
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(
            (d[0].pid, d[0].addr, d[0].what),
            (1, Some(0x11000), "frame identity")
        );
        assert!(d[0].observed.contains(says), "{d:?}");
    }

    #[test]
    fn frame_identity_across_a_step_is_compared() {
        let (e0, o0) = after_fork();
        let (e1, o1) = after_child_write();
        let c = compare(&e1, &o1, Some((&e0, &o0)));
        assert_eq!(c.differences, vec![]);
        // Pages 1 and 2 were mapped before and after, page 3 is new.
        assert_eq!(c.compared.frame_identity, 2);
        // The kernel copied where the model kept the page (the parent's page 2 got a new frame).
        let mut copied = o1.clone();
        set_obs(&mut copied, 1, 0x11000, present(0x888, 1));
        let d = compare(&e1, &copied, Some((&e0, &o0))).differences;
        one_frame_identity_difference(&d, "different frame");
        // The model copied where the kernel reused: the writer's page got a new id, the frame
        // stayed (as do_wp_page's reuse of a page mapped once does).
        let mut e_copy = e1.clone();
        set_exp(&mut e_copy, 1, 0x11000, page(9, 1));
        let d = compare(&e_copy, &o1, Some((&e1, &o1))).differences;
        one_frame_identity_difference(&d, "kept (reused)");
        // Without frame numbers nothing is compared across steps.
        let mut blind = o1.clone();
        blind.frames = false;
        assert_eq!(
            compare(&e_copy, &blind, Some((&e1, &o1)))
                .compared
                .frame_identity,
            0
        );
    }

    #[test]
    fn a_lazily_freed_page_may_be_reused_or_copied() {
        // Linux 6.18 both reused and copied a page MADV_FREE had marked, on the same scenario
        // (`tests/corpus/madvise_free_then_copy_on_write.ron`): not compared.
        let (e0, o0) = after_fork();
        let (e1, o1) = after_child_write();
        let mut copied = o1.clone();
        set_obs(&mut copied, 1, 0x11000, present(0x888, 1));
        let mut lazy = e0.clone();
        lazy.lazyfree.insert(PageId(2));
        let c = compare(&e1, &copied, Some((&lazy, &o0)));
        assert_eq!(c.differences, vec![]);
        assert_eq!(c.compared.frame_identity, 1, "page 1 only");
        // Not marked: the same observation is a difference.
        assert_eq!(compare(&e1, &copied, Some((&e0, &o0))).differences.len(), 1);
    }

    #[test]
    fn young_ptes_are_compared_with_smaps_referenced() {
        let (mut e, mut o) = after_fork();
        o.young = true;
        // The parent's ptes are young, the child's old (copy_present_pte makes them old).
        for pte in e.procs.get_mut(&1).unwrap().ptes.values_mut() {
            if let ExpPte::Page { young, .. } = pte {
                *young = true;
            }
        }
        o.procs.get_mut(&1).unwrap().referenced.insert(0x10000, 2);
        let c = compare(&e, &o, None);
        assert_eq!(c.differences, vec![]);
        assert_eq!(c.compared.referenced, 2);
        // A page with PG_referenced counts whatever its pte's young bit.
        if let Some(ObsPte::Present { frame: Some(f), .. }) =
            o.procs.get_mut(&2).unwrap().ptes.get_mut(&0x10000)
        {
            f.referenced = true;
        }
        let d = only_difference(&e, &o);
        assert_eq!((d.pid, d.what), (2, "referenced"));
        assert!(d.expected.starts_with("1 referenced pte"), "{d:?}");
        o.procs.get_mut(&2).unwrap().referenced.insert(0x10000, 1);
        assert_eq!(compare(&e, &o, None).differences, vec![]);
        // The model's young bit where the kernel's is clear.
        o.procs.get_mut(&1).unwrap().referenced.insert(0x10000, 1);
        let d = only_difference(&e, &o);
        assert_eq!(d.observed, "smaps Referenced: 4 kB (1 page)");
    }

    /// DAMON's sampling (kdamond, physical addresses) moves a young bit from a pte to the folio,
    /// where smaps counts it in every process that maps the page: a page with PG_idle may or may
    /// not be counted, whatever the model says of its ptes; the others are still predicted.
    #[test]
    fn a_page_aged_outside_the_scenario_may_be_referenced_or_not() {
        let (e, mut o) = after_fork();
        o.young = true;
        let set_idle = |o: &mut Observed, pid: Pid, addr: Addr| {
            if let Some(ObsPte::Present { frame: Some(f), .. }) =
                o.procs.get_mut(&pid).and_then(|p| p.ptes.get_mut(&addr))
            {
                f.idle = true;
            }
        };
        // Every pte old in the model; the child's first page counted by smaps.
        o.procs.get_mut(&2).unwrap().referenced.insert(0x10000, 1);
        let d = compare(&e, &o, None).differences;
        assert_eq!(d.len(), 1, "not idle: a difference: {d:?}");
        set_idle(&mut o, 2, 0x10000);
        assert_eq!(
            compare(&e, &o, None).differences,
            vec![],
            "idle: either way"
        );
        o.procs.get_mut(&2).unwrap().referenced.insert(0x10000, 0);
        assert_eq!(
            compare(&e, &o, None).differences,
            vec![],
            "idle: either way"
        );
        // One idle page allows one more, not two.
        o.procs.get_mut(&2).unwrap().referenced.insert(0x10000, 2);
        let d = only_difference(&e, &o);
        assert!(
            d.expected
                .contains("and up to 1 more: 1 page aged outside the scenario"),
            "{d:?}"
        );
    }
}
