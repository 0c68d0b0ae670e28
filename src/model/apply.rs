//! Applying one op to the machine.

use super::error::StepError;
use super::events::Events;
use super::machine::Machine;
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
        let r = match op {
            Op::Spawn { pid, .. } => self.op_spawn(scheme, ev, *pid),
            Op::Mmap(a) => self.op_mmap(scheme, ev, a),
            Op::Munmap {
                pid, addr, pages, ..
            } => self.op_munmap(scheme, ev, *pid, *addr, *pages),
            Op::Mprotect {
                pid,
                addr,
                pages,
                prot,
                ..
            } => self.op_mprotect(scheme, ev, *pid, *addr, *pages, *prot),
            Op::Mremap {
                pid,
                addr,
                pages,
                new_pages,
                to,
                ..
            } => self.op_mremap(scheme, ev, *pid, *addr, *pages, *new_pages, *to),
            Op::Madvise {
                pid,
                addr,
                pages,
                advice,
            } => self.op_madvise(scheme, ev, *pid, *addr, *pages, *advice),
            Op::Brk { pid, start, pages } => self.op_brk(scheme, ev, *pid, *start, *pages),
            Op::Read {
                pid, addr, pages, ..
            } => self.op_access(scheme, ev, *pid, *addr, *pages, false),
            Op::Write {
                pid, addr, pages, ..
            } => self.op_access(scheme, ev, *pid, *addr, *pages, true),
            Op::Fork { pid, child, .. } => self.op_fork(scheme, ev, *pid, *child),
            Op::Exec { pid, .. } => self.op_exec_or_exit(scheme, ev, *pid, true),
            Op::Exit { pid, .. } => self.op_exec_or_exit(scheme, ev, *pid, false),
            Op::SwapOut { pid, addr, .. } => {
                return self.finish(scheme, ev, |m, s, e| {
                    m.op_walk(s, e, *pid, *addr, WalkKind::TryToUnmap).map(Some)
                });
            }
            Op::Referenced { pid, addr, .. } => {
                return self.finish(scheme, ev, |m, s, e| {
                    m.op_walk(s, e, *pid, *addr, WalkKind::PageReferenced)
                        .map(Some)
                });
            }
        };
        self.finish(scheme, ev, |_, _, _| r.map(|_| None))
    }

    fn finish<T>(
        &mut self,
        scheme: &mut dyn Scheme,
        ev: &mut Events,
        f: impl FnOnce(&mut Machine, &mut dyn Scheme, &mut Events) -> Result<T, StepError>,
    ) -> Result<T, StepError> {
        let r = f(self, scheme, ev);
        self.settle_counts();
        for (page, rmap) in scheme.drain_page_updates() {
            if self.pages.is_alive(page) {
                self.set_rmap(page, rmap);
            }
        }
        scheme.end_step(self, ev);
        r
    }
}
