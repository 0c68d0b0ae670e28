//! Frames and swap entries: the partition of ptes into frames (swap entries) must match the
//! model's partition into pages (swap slots), and across a step a page keeps its frame exactly
//! when the model keeps its page id. Frame numbers and swap offsets themselves never matter.

use std::collections::BTreeMap;
use std::fmt;

use super::super::expected::{ExpPte, Expected};
use super::super::observed::{ObsPte, Observed};
use super::{Difference, diff};
use crate::model::{Addr, PageId, Pid};

/// Tracks a bijection between model identities (pages, slots) and kernel ones (frames, swap
/// entries), reporting each pte that breaks it.
pub(super) struct Partition<M: Ord + Copy + fmt::Display> {
    what: &'static str,
    by_model: BTreeMap<M, (u64, Pid, Addr)>,
    by_kernel: BTreeMap<u64, (M, Pid, Addr)>,
}

impl<M: Ord + Copy + fmt::Display> Partition<M> {
    pub(super) fn new(what: &'static str) -> Self {
        Partition {
            what,
            by_model: BTreeMap::new(),
            by_kernel: BTreeMap::new(),
        }
    }

    pub(super) fn add(&mut self, m: M, k: u64, pid: Pid, addr: Addr, out: &mut Vec<Difference>) {
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

/// Each mapped page's frame, with the first pte that maps it: the model's page ids and the
/// kernel's frame numbers, paired pte by pte (zero page left out).
#[derive(Default)]
pub(super) struct FrameMap {
    by_page: BTreeMap<PageId, (u64, Pid, Addr)>,
    by_pfn: BTreeMap<u64, (PageId, Pid, Addr)>,
}

impl FrameMap {
    pub(super) fn new(e: &Expected, o: &Observed) -> FrameMap {
        let mut m = FrameMap::default();
        for (pid, ep) in &e.procs {
            let Some(op) = o.procs.get(pid) else {
                continue;
            };
            for (a, pte) in &ep.ptes {
                if let (ExpPte::Page { page, .. }, Some(ObsPte::Present { frame: Some(f), .. })) =
                    (pte, op.ptes.get(a))
                    && !f.zero
                {
                    m.by_page.entry(*page).or_insert((f.pfn, *pid, *a));
                    m.by_pfn.entry(f.pfn).or_insert((*page, *pid, *a));
                }
            }
        }
        m
    }
}

/// Frame identity across one step: a page mapped after the previous step and after this one
/// keeps its frame exactly when the model keeps its page id. Returns the differences (at most
/// one per page) and how many pages were compared.
pub(super) fn compare_identity(
    pe: &Expected,
    po: &Observed,
    e: &Expected,
    o: &Observed,
) -> (Vec<Difference>, usize) {
    let before = FrameMap::new(pe, po);
    let now = FrameMap::new(e, o);
    let mut out = Vec::new();
    let mut compared = 0;
    for (page, (pfn, pid, a)) in &now.by_page {
        let kept_page = before.by_page.get(page);
        let kept_frame = before.by_pfn.get(pfn);
        // A lazily freed page (see Expected::lazyfree): reuse or copy is the kernel's choice.
        if pe.lazyfree.contains(page) || kept_frame.is_some_and(|(p, ..)| pe.lazyfree.contains(p)) {
            continue;
        }
        if kept_page.is_some() || kept_frame.is_some() {
            compared += 1;
        }
        match (kept_page, kept_frame) {
            (Some((old_pfn, bp, ba)), _) if old_pfn != pfn => out.push(diff(
                *pid,
                Some(*a),
                "frame identity",
                format!(
                    "the frame {page} had after the previous step (at pid {bp} {ba:#x}): the model kept the page"
                ),
                "a different frame: the kernel copied or replaced the page".to_string(),
            )),
            (_, Some((old_page, bp, ba))) if old_page != page => out.push(diff(
                *pid,
                Some(*a),
                "frame identity",
                format!(
                    "a new frame: the model replaced {old_page} (at pid {bp} {ba:#x} after the previous step) by {page}"
                ),
                format!(
                    "the frame that mapped {old_page} at pid {bp} {ba:#x}: the kernel kept (reused) it"
                ),
            )),
            _ => {}
        }
    }
    (out, compared)
}
