//! Applying one op to the machine.

use super::error::StepError;
use super::events::Events;
use super::machine::{Machine, StepCx};
use super::op::Op;
use super::rmap::Scheme;
use super::walk::{Walk, WalkKind};

impl Machine {
    /// Applies `op`. On error nothing has changed, except for an mprotect over a hole that starts
    /// inside a vma ([`StepError::NotFullyMapped`] with `changed_to` past the start: the mapped
    /// prefix was changed, as Linux does) and a madvise that was applied before it failed
    /// ([`StepError::MadviseUnmapped`] with `advised`, [`StepError::MadviseFreeNotAnon`] after
    /// earlier vmas of the range). Returns the walk for SwapOut / Referenced.
    pub fn apply(
        &mut self,
        scheme: &mut dyn Scheme,
        op: &Op,
        ev: &mut Events,
    ) -> Result<Option<Walk>, StepError> {
        let cx = &mut StepCx { scheme, ev };
        let r = match op {
            Op::Spawn { pid, .. } => self.op_spawn(cx, *pid),
            Op::Mmap(a) => self.op_mmap(cx, a),
            Op::Munmap {
                pid, addr, pages, ..
            } => self.op_munmap(cx, *pid, *addr, *pages),
            Op::Mprotect {
                pid,
                addr,
                pages,
                prot,
                ..
            } => self.op_mprotect(cx, *pid, *addr, *pages, *prot),
            Op::Mremap {
                pid,
                addr,
                pages,
                new_pages,
                to,
                ..
            } => self.op_mremap(cx, *pid, *addr, *pages, *new_pages, *to),
            Op::Madvise {
                pid,
                addr,
                pages,
                advice,
            } => self.op_madvise(cx, *pid, *addr, *pages, *advice),
            Op::Brk { pid, start, pages } => self.op_brk(cx, *pid, *start, *pages),
            Op::Read {
                pid, addr, pages, ..
            } => self.op_access(cx, *pid, *addr, *pages, false),
            Op::Write {
                pid, addr, pages, ..
            } => self.op_access(cx, *pid, *addr, *pages, true),
            Op::Fork { pid, child, .. } => self.op_fork(cx, *pid, *child),
            Op::Exec { pid, .. } => self.op_exec_or_exit(cx, *pid, true),
            Op::Exit { pid, .. } => self.op_exec_or_exit(cx, *pid, false),
            Op::SwapOut { pid, addr, .. } => {
                return self.finish(cx, |m, cx| {
                    m.op_walk(cx, *pid, *addr, WalkKind::TryToUnmap).map(Some)
                });
            }
            Op::Referenced { pid, addr, .. } => {
                return self.finish(cx, |m, cx| {
                    m.op_walk(cx, *pid, *addr, WalkKind::PageReferenced)
                        .map(Some)
                });
            }
        };
        self.finish(cx, |_, _| r.map(|_| None))
    }

    fn finish<T>(
        &mut self,
        cx: &mut StepCx,
        f: impl FnOnce(&mut Machine, &mut StepCx) -> Result<T, StepError>,
    ) -> Result<T, StepError> {
        let r = f(self, cx);
        self.settle_counts();
        for (page, rmap) in cx.scheme.drain_page_updates() {
            if self.pages.is_alive(page) {
                self.set_rmap(page, rmap);
            }
        }
        cx.scheme.end_step(self, cx.ev);
        r
    }
}
