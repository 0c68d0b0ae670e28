//! brk: the heap vma grows and shrinks at its end.
//!
//! As Linux 6.x's brk(2): the heap starts at `mm->start_brk` (placed by exec; in a scenario the
//! first Brk of an address space names it). A shrink unmaps the pages past the new break the
//! way munmap does, and fails (brk returns the old break) when no vma lies between the new
//! break and the old one. A growth must leave a page free before the next vma (otherwise brk
//! fails and returns the old break). Then `do_brk_flags` expands in place the vma that ends at
//! the old break and reaches into the heap (`vma_prev_limit` from `start_brk`: it may start
//! below the heap, as when an mmap below the heap merged with it) when it could merge with the
//! new range (same flags, the scheme's rmap rule), keeping its anon_vma; otherwise it makes a
//! new vma, which is never merged with a neighbour: a vma that ends at the heap's start while
//! the heap is empty is not the heap's and stays apart (unlike an anonymous mmap there).
//! Measured on Linux 6.18 with brk(2) itself (docs/semantics.md).

use super::error::StepError;
use super::machine::{Machine, StepCx};
use super::rmap::{NewVma, VmaOrigin};
use super::types::{Addr, PAGE_SHIFT, PAGE_SIZE, Pid, Prot, hex};
use super::vma::Vma;
use super::vmatree::Span;

impl Machine {
    pub(crate) fn op_brk(
        &mut self,
        cx: &mut StepCx,
        pid: Pid,
        start: Addr,
        pages: u64,
    ) -> Result<(), StepError> {
        Self::check_range("pages", start, pages.max(1))?;
        let new = start + pages * PAGE_SIZE;
        let p = self.proc(pid)?;
        let old = match p.mm.heap {
            Some((heap, _)) if heap != start => {
                return Err(StepError::BrkStart { pid, start, heap });
            }
            Some((_, end)) => end,
            None => start,
        };
        if new < old && !p.mm.vmas.iter().any(|v| v.end > new && v.start < old) {
            return Err(StepError::BrkNothingMapped { pid, new, old });
        }
        if new > old {
            let limit = new.saturating_add(PAGE_SIZE);
            if let Some(v) = p.mm.vmas.iter().find(|v| v.end > old && v.start < limit) {
                return Err(StepError::BrkNoRoom {
                    pid,
                    end: new,
                    vstart: v.start,
                    vend: v.end,
                });
            }
        }

        // Validated: from here on nothing fails.
        self.mm_mut(pid).heap = Some((start, new));
        if new < old {
            cx.ev.push(format!(
                "brk: pid {pid} heap shrinks from {} to {}",
                hex(old),
                hex(new)
            ));
            self.unmap_range(cx, Span::new(pid, new, old));
        } else if new == old {
            cx.ev.push(format!(
                "brk: pid {pid} heap {}-{}: the break stays",
                hex(start),
                hex(new)
            ));
        } else {
            self.grow_heap(cx, pid, start, old, new);
        }
        Ok(())
    }

    /// do_brk_flags: expand the heap vma that ends at `old`, or make a new one.
    fn grow_heap(&mut self, cx: &mut StepCx, pid: Pid, start: Addr, old: Addr, new: Addr) {
        let piece = Vma {
            id: self.new_vma_id(),
            start: old,
            end: new,
            pgoff: old >> PAGE_SHIFT,
            prot: Prot::RW,
            shared: false,
            file: None,
            anon_faulted: false,
            accounted: true,
        };
        let mm = &self.proc(pid).expect("validated").mm;
        let heap_vma = mm
            .find(old.wrapping_sub(1))
            .filter(|&i| old > start && mm.vmas[i].end == old);
        if let Some(i) = heap_vma.filter(|&i| {
            let v = mm.vmas[i].clone();
            self.can_merge(cx.scheme, pid, &v, &piece)
        }) {
            let before = mm.vmas[i].clone();
            let mut after = before.clone();
            after.end = new;
            cx.ev.push(format!(
                "brk: pid {pid} heap grows to {}: the heap vma {}-{} is expanded in place (it keeps its anon_vma)",
                hex(new),
                hex(before.start),
                hex(before.end)
            ));
            self.resize_vma(cx, pid, i, &before, &after);
        } else {
            cx.ev.push(format!(
                "brk: pid {pid} heap grows to {}: a new vma {}-{} \"rw\" private anonymous",
                hex(new),
                hex(old),
                hex(new)
            ));
            self.mm_mut(pid).insert(piece.clone());
            cx.scheme
                .vma_added(self, NewVma::new(pid, &piece, VmaOrigin::Mmap), cx.ev);
        }
    }
}
