//! From what /proc shows to scenario steps: a process's address space read from
//! /proc/PID/maps and /proc/PID/pagemap (a [`Snapshot`]), the model brought up to it (stacks
//! that grew down, then the faults the observed ptes need), the other processes' frames read
//! again, and the check of the model against the observations. The system-call stops that
//! call this are in the parent module.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Addr, MmapArgs, Op, PAGE_SIZE, Pid, USER_END};
use crate::oracle::observed::{MapsEntry, ObsPte, Observed, ObservedProc, VmaShape};
use crate::oracle::procfs::read_ptes;

use super::super::check::{CheckPoint, compare_state, discount_outside};
use super::super::faults::{FaultAccess, fault_steps, learn_frames};
use super::Recorder;

/// One process's address space as last observed.
#[derive(Clone, Debug, Default)]
pub(super) struct Snapshot {
    /// The vmas the scenario can hold (no vdso / vvar, nothing past the user address space).
    pub(super) vmas: Vec<MapsEntry>,
    pub(super) ptes: BTreeMap<Addr, ObsPte>,
}

/// Special mappings the model has no counterpart for: the vdso and vvar pages (kernel pages
/// outside the rmap), vsyscall, uprobes.
fn special(e: &MapsEntry) -> bool {
    (e.path.starts_with('[') && !e.is_named_anon() && !e.is_shmem()) || e.end > USER_END
}

pub(super) fn read_maps(tid: i32) -> Option<Vec<MapsEntry>> {
    let text = std::fs::read_to_string(format!("/proc/{tid}/maps")).ok()?;
    Some(
        text.lines()
            .filter_map(MapsEntry::parse)
            .filter(|e| !special(e))
            .collect(),
    )
}

impl Recorder {
    /// Reads the address space `tid` uses.
    pub(super) fn observe(&mut self, tid: i32) -> Option<Snapshot> {
        let vmas = read_maps(tid)?;
        let path = format!("/proc/{tid}/pagemap");
        let pm = std::fs::File::open(&path).ok()?;
        if let Some(f) = self.frames.as_mut() {
            f.forget();
        }
        let ranges = vmas.iter().map(|v| (v.start, v.end)).collect();
        let ptes = read_ptes(&pm, &path, ranges, &mut self.frames).ok()?;
        self.stats.observations += 1;
        Some(Snapshot { vmas, ptes })
    }

    /// Brings the model of `pid` up to the snapshot: stack growth, then faults.
    pub(super) fn catch_up(&mut self, pid: Pid, snap: Snapshot, why: &str) {
        self.grow_stacks(pid, &snap, why);
        let (ops, refused) = fault_steps(&self.sim.machine, pid, &snap.ptes, &self.pfn_of);
        for r in refused {
            self.warn(&format!(
                "a {} fault the model would refuse ({})",
                match r.access {
                    FaultAccess::Read => "read",
                    FaultAccess::Write => "write",
                },
                r.why
            ));
        }
        for op in ops {
            let (kind, n) = match &op {
                Op::Read { pages, .. } => ("read", *pages),
                Op::Write { pages, .. } => ("write", *pages),
                _ => ("fault", 1),
            };
            let note = format!(
                "pid {pid}: {kind} fault{} observed {why}",
                if n == 1 {
                    String::new()
                } else {
                    format!("s on {n} pages")
                }
            );
            self.emit(op, note);
        }
        learn_frames(&self.sim.machine, pid, &snap.ptes, &mut self.pfn_of);
        let old = std::mem::take(&mut self.procs.get_mut(&pid).expect("live").snap);
        self.refresh_frames(pid, &old, &snap);
        if let Some(p) = self.procs.get_mut(&pid) {
            p.snap = snap;
        }
    }

    /// Frames the stopped process mapped before or maps now may have changed their mapcount in
    /// the other processes' (older) snapshots: read them again there.
    pub(super) fn refresh_frames(&mut self, pid: Pid, old: &Snapshot, new: &Snapshot) {
        let Some(frames) = self.frames.as_mut() else {
            return;
        };
        if self.check.is_none() {
            return;
        }
        frames.forget();
        let pfns: BTreeSet<u64> = old
            .ptes
            .values()
            .chain(new.ptes.values())
            .filter_map(|p| match p {
                ObsPte::Present { frame: Some(f), .. } => Some(f.pfn),
                _ => None,
            })
            .collect();
        for (q, p) in self.procs.iter_mut() {
            if *q == pid {
                continue;
            }
            for pte in p.snap.ptes.values_mut() {
                if let ObsPte::Present {
                    frame: Some(f),
                    exclusive,
                    ..
                } = pte
                    && pfns.contains(&f.pfn)
                    && let Some(now) = frames.get(f.pfn)
                {
                    *f = now;
                    *exclusive = f.mapcount == 1;
                }
            }
        }
    }

    /// The kernel grows a stack vma down on a fault below it, with no system call: an
    /// anonymous vma that now starts lower and ends where the model's does is recorded as an
    /// mmap of the new part, which merges with it.
    pub(super) fn grow_stacks(&mut self, pid: Pid, snap: &Snapshot, why: &str) {
        let mut grows = Vec::new();
        if let Ok(p) = self.sim.machine.proc(pid) {
            for e in &snap.vmas {
                if !e.is_named_anon() || e.shared {
                    continue;
                }
                if let Some(v) =
                    p.mm.vmas
                        .iter()
                        .find(|v| v.end == e.end && v.start > e.start)
                    && v.file.is_none()
                    && p.mm.overlapping(e.start, v.start).is_empty()
                {
                    grows.push((e.start, v.start, v.prot, e.path.clone()));
                }
            }
        }
        for (start, old, prot, name) in grows {
            let op = Op::Mmap(MmapArgs {
                pid,
                addr: start,
                pages: (old - start) / PAGE_SIZE,
                prot,
                shared: false,
                file: None,
                offset: 0,
            });
            let note = format!(
                "pid {pid}: the {} grew down to {start:#x} (observed {why}; no system call: the \
                 kernel extends the vma on a fault below it), recorded as an mmap that merges \
                 with it",
                if name.is_empty() { "vma" } else { &name }
            );
            self.emit(op, note);
        }
    }

    /// The observation of every live process, for the check.
    pub(super) fn observed(&self) -> Observed {
        let mut o = Observed {
            procs: BTreeMap::new(),
            frames: self.frames.is_some(),
            young: false,
        };
        for (pid, p) in &self.procs {
            let vmas = p
                .snap
                .vmas
                .iter()
                .map(|e| self.shape(e))
                .collect::<Vec<VmaShape>>();
            o.procs.insert(
                *pid,
                ObservedProc {
                    vmas,
                    ptes: p.snap.ptes.clone(),
                    referenced: BTreeMap::new(),
                },
            );
        }
        o
    }

    pub(super) fn shape(&self, e: &MapsEntry) -> VmaShape {
        e.shape(|p| Some(self.files.known(e).unwrap_or(p).to_string()))
    }

    /// Compares the model with the observations, if asked to, for the steps recorded since the
    /// last check point.
    pub(super) fn check_point(&mut self) {
        if self.check.is_none() || self.checked_to == self.steps.len() {
            return;
        }
        let mut o = self.observed();
        let outside = discount_outside(&mut o);
        let (n, diffs) = compare_state(&self.sim.machine, &o);
        let range = self.checked_to..self.steps.len();
        let what = self.steps[range.end - 1].note.clone().unwrap_or_default();
        self.checked_to = self.steps.len();
        if let Some(c) = self.check.as_mut() {
            c.shared_outside.extend(outside);
            c.points.push(CheckPoint::new(range, what, n, diffs));
        }
    }

    /// Observes `pid` through `tid`, records what happened since, and checks.
    pub(super) fn sync(&mut self, pid: Pid, tid: i32, why: &str) {
        if let Some(snap) = self.observe(tid) {
            self.catch_up(pid, snap, why);
        }
    }

    /// Once an address space is torn down, the frames it mapped are mapped once fewer in the
    /// other processes' snapshots.
    pub(super) fn forget_exited(&mut self) {
        for (pid, snap) in std::mem::take(&mut self.exited) {
            self.refresh_frames(pid, &snap, &Snapshot::default());
        }
    }
}
