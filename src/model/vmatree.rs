//! Splitting, merging and removing vmas: the kernel's __split_vma, vma_merge and
//! remove_vma, with the scheme consulted and told at each change.

use super::machine::{Machine, StepCx};
use super::rmap::{NewVma, ReshapedVma, Scheme, VmaOrigin};
use super::types::{Addr, PAGE_SHIFT, Pid, hex};
use super::vma::Vma;

/// `[start, end)` of process `pid`'s address space, a range an op has checked: page-aligned,
/// inside the user address space, of a process that exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub pid: Pid,
    pub start: Addr,
    pub end: Addr,
}

impl Span {
    pub(crate) fn new(pid: Pid, start: Addr, end: Addr) -> Span {
        Span { pid, start, end }
    }
}

impl Machine {
    /// Whether `prev` and `next` (adjacent) may become one vma: the same flags and file, file
    /// offsets that continue, and the scheme's rmap rule.
    pub(crate) fn can_merge(&self, scheme: &dyn Scheme, pid: Pid, prev: &Vma, next: &Vma) -> bool {
        if prev.end != next.start
            || prev.prot != next.prot
            || prev.shared != next.shared
            || prev.file != next.file
            || prev.accounted != next.accounted
        {
            return false;
        }
        if prev.file.is_some() && prev.pgoff + prev.pages() != next.pgoff {
            return false;
        }
        scheme.can_merge(self, pid, prev, next)
    }

    /// __split_vma at `at`. With `new_below` the new vma is the lower part and the original keeps
    /// the upper part; otherwise the new vma is the upper part. Returns the new vma's index.
    pub(crate) fn split_vma(
        &mut self,
        cx: &mut StepCx,
        pid: Pid,
        idx: usize,
        at: Addr,
        new_below: bool,
    ) -> usize {
        let before = self.proc(pid).expect("validated").mm.vmas[idx].clone();
        debug_assert!(before.start < at && at < before.end);
        let id = self.new_vma_id();
        let off = (at - before.start) >> PAGE_SHIFT;
        let mut orig = before.clone();
        let mut new = before.clone();
        new.id = id;
        if new_below {
            new.end = at;
            orig.start = at;
            orig.pgoff = before.pgoff + off;
        } else {
            new.start = at;
            new.pgoff = before.pgoff + off;
            orig.end = at;
        }
        let mm = self.mm_mut(pid);
        mm.vmas[idx] = orig.clone();
        let new_idx = mm.insert(new.clone());
        cx.ev.push(format!(
            "__split_vma: pid {pid} {}-{} split at {} into {}-{} and {}-{}",
            hex(before.start),
            hex(before.end),
            hex(at),
            hex(before.start),
            hex(at),
            hex(at),
            hex(before.end)
        ));
        // As __split_vma: the new piece is linked (anon_vma_clone) before the original is
        // re-keyed in the trees with its new range.
        let origin = VmaOrigin::Split { from: &orig };
        cx.scheme
            .vma_added(self, NewVma::new(pid, &new, origin), cx.ev);
        cx.scheme
            .vma_changed(self, ReshapedVma::resized(pid, &before, &orig), cx.ev);
        new_idx
    }

    /// Vma `idx` of `pid` takes new bounds in place (`before` becomes `after`, same id), and
    /// the scheme hears of it.
    pub(crate) fn resize_vma(
        &mut self,
        cx: &mut StepCx,
        pid: Pid,
        idx: usize,
        before: &Vma,
        after: &Vma,
    ) {
        self.mm_mut(pid).vmas[idx] = after.clone();
        cx.scheme
            .vma_changed(self, ReshapedVma::resized(pid, before, after), cx.ev);
    }

    /// Merges the vmas at `idx` and `idx + 1` if allowed. Returns true when merged.
    pub(crate) fn try_merge(&mut self, cx: &mut StepCx, pid: Pid, idx: usize) -> bool {
        let mm = &self.proc(pid).expect("validated").mm;
        if idx + 1 >= mm.vmas.len() {
            return false;
        }
        let (prev, next) = (mm.vmas[idx].clone(), mm.vmas[idx + 1].clone());
        if !self.can_merge(cx.scheme, pid, &prev, &next) {
            return false;
        }
        let mut kept = prev.clone();
        kept.end = next.end;
        kept.anon_faulted = prev.anon_faulted || next.anon_faulted;
        cx.ev.push(format!(
            "vma_merge: pid {pid} {}-{} and {}-{} become {}-{}",
            hex(prev.start),
            hex(prev.end),
            hex(next.start),
            hex(next.end),
            hex(kept.start),
            hex(kept.end)
        ));
        self.mm_mut(pid).vmas[idx] = kept.clone();
        let change = ReshapedVma {
            pid,
            before: &prev,
            after: &kept,
            merged: Some(&next),
        };
        cx.scheme.vma_changed(self, change, cx.ev);
        self.mm_mut(pid).vmas.remove(idx + 1);
        true
    }

    /// Merges the vma at index `i` with the vma before it, then what results with the vma after
    /// it, each where they may merge: vma_merge of a vma that changed or was placed.
    pub(crate) fn merge_with_neighbours(&mut self, cx: &mut StepCx, pid: Pid, i: usize) {
        let i = if i > 0 && self.try_merge(cx, pid, i - 1) {
            i - 1
        } else {
            i
        };
        self.try_merge(cx, pid, i);
    }

    /// Zaps every pte in `[start, end)` of `pid`.
    pub(crate) fn zap_range(&mut self, cx: &mut StepCx, Span { pid, start, end }: Span) -> usize {
        let addrs: Vec<Addr> = self
            .proc(pid)
            .expect("validated")
            .mm
            .pt
            .range(start, end)
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        for &a in &addrs {
            self.zap_pte(cx, pid, a);
        }
        addrs.len()
    }

    /// Splits vmas so that `start` and `end` fall on vma boundaries, the way munmap does
    /// (the new vma is the upper part at both ends).
    pub(crate) fn split_at_bounds(
        &mut self,
        cx: &mut StepCx,
        Span { pid, start, end }: Span,
        below_at_start: bool,
    ) {
        if let Some(i) = self.proc(pid).expect("validated").mm.find(start)
            && self.proc(pid).expect("validated").mm.vmas[i].start < start
        {
            self.split_vma(cx, pid, i, start, below_at_start);
        }
        if let Some(i) = self.proc(pid).expect("validated").mm.find(end)
            && self.proc(pid).expect("validated").mm.vmas[i].start < end
        {
            self.split_vma(cx, pid, i, end, false);
        }
    }
}
