//! mmap, munmap, mprotect and mremap.

use super::error::StepError;
use super::machine::{Machine, StepCx};
use super::op::MmapArgs;
use super::pte::PteVal;
use super::rmap::{NewVma, PteMove, ReshapedVma, VmaOrigin};
use super::types::{Addr, PAGE_SHIFT, PAGE_SIZE, Pid, Prot, hex};
use super::vma::Vma;
use super::vmatree::Span;

impl Machine {
    pub(crate) fn op_mmap(&mut self, cx: &mut StepCx, a: &MmapArgs) -> Result<(), StepError> {
        let end = Self::check_range("pages", a.addr, a.pages)?;
        let p = self.proc(a.pid)?;
        if let Some(v) = p.mm.vmas[p.mm.overlapping(a.addr, end)].first() {
            return Err(StepError::Overlap {
                pid: a.pid,
                start: a.addr,
                end,
                vstart: v.start,
                vend: v.end,
            });
        }
        match a.file.as_deref() {
            None if a.offset != 0 => return Err(StepError::OffsetWithoutFile),
            Some("") => return Err(StepError::EmptyFileName),
            _ => {}
        }
        if a.offset > super::types::USER_END >> PAGE_SHIFT {
            return Err(StepError::OutOfRange {
                start: a.offset << PAGE_SHIFT,
                pages: a.pages,
            });
        }

        // Validated: from here on nothing fails.
        let (file, pgoff, kind) = match (a.file.as_deref(), a.shared) {
            (Some(name), shared) => {
                let f = self.file_for_mmap(name, a.offset + a.pages);
                (
                    Some(f),
                    a.offset,
                    if shared {
                        "shared file"
                    } else {
                        "private file"
                    },
                )
            }
            (None, true) => (Some(self.new_shmem(a.pages)), 0, "shared anonymous (shmem)"),
            (None, false) => (None, a.addr >> PAGE_SHIFT, "private anonymous"),
        };
        let id = self.new_vma_id();
        let new = Vma {
            id,
            start: a.addr,
            end,
            pgoff,
            prot: a.prot,
            shared: a.shared,
            file,
            anon_faulted: false,
            accounted: a.prot.write && !a.shared,
        };
        let fname = file
            .map(|f| format!(" of \"{}\" at page {}", self.file(f).name, pgoff))
            .unwrap_or_default();
        cx.ev.push(format!(
            "mmap: pid {} {}-{} \"{}\" {kind}{fname}, vm_pgoff {}",
            a.pid,
            hex(a.addr),
            hex(end),
            a.prot,
            hex(pgoff)
        ));

        self.place_vma(cx, a.pid, new, VmaOrigin::Mmap, "new range");
        Ok(())
    }

    pub(crate) fn op_munmap(
        &mut self,
        cx: &mut StepCx,
        pid: Pid,
        addr: Addr,
        pages: u64,
    ) -> Result<(), StepError> {
        let end = Self::check_range("pages", addr, pages)?;
        self.proc(pid)?;
        self.unmap_range(cx, Span::new(pid, addr, end));
        Ok(())
    }

    /// do_munmap on a validated range: split at the ends, zap, unlink, remove.
    pub(crate) fn unmap_range(&mut self, cx: &mut StepCx, Span { pid, start, end }: Span) {
        let r = self
            .proc(pid)
            .expect("validated")
            .mm
            .overlapping(start, end);
        if r.is_empty() {
            cx.ev.push(format!(
                "munmap: pid {pid} has nothing mapped in {}-{}",
                hex(start),
                hex(end)
            ));
            return;
        }
        self.split_at_bounds(cx, Span::new(pid, start, end), false);
        let r = self
            .proc(pid)
            .expect("validated")
            .mm
            .overlapping(start, end);
        let n = r.len();
        let first = r.start;
        let mut zapped = 0;
        for _ in 0..n {
            let v = self.proc(pid).expect("validated").mm.vmas[first].clone();
            zapped += self.zap_range(cx, Span::new(pid, v.start, v.end));
            cx.scheme.vma_removed(self, pid, &v, cx.ev);
            self.mm_mut(pid).vmas.remove(first);
        }
        cx.ev.push(format!(
            "munmap: pid {pid} {}-{}: removed {n} vma{}, zapped {zapped} pte{}",
            hex(start),
            hex(end),
            if n == 1 { "" } else { "s" },
            if zapped == 1 { "" } else { "s" }
        ));
    }

    pub(crate) fn op_mprotect(
        &mut self,
        cx: &mut StepCx,
        pid: Pid,
        addr: Addr,
        pages: u64,
        prot: Prot,
    ) -> Result<(), StepError> {
        let end = Self::check_range("pages", addr, pages)?;
        let p = self.proc(pid)?;
        // do_mprotect_pkey: a range that does not start inside a vma is refused at once; a hole
        // further on stops the loop over the vmas with ENOMEM after the vmas before the hole
        // were changed (Linux keeps that prefix changed).
        let mapped_to = p.mm.mapped_run_end(addr).min(end);
        if mapped_to == addr {
            return Err(StepError::NotFullyMapped {
                pid,
                start: addr,
                end,
                changed_to: addr,
            });
        }
        cx.ev.push(format!(
            "mprotect: pid {pid} {}-{} to \"{prot}\"",
            hex(addr),
            hex(mapped_to)
        ));
        self.mprotect_mapped(cx, pid, addr, mapped_to, prot);
        if mapped_to < end {
            cx.ev.push(format!(
                "mprotect: nothing is mapped at {}: ENOMEM, the range before it stays changed",
                hex(mapped_to)
            ));
            return Err(StepError::NotFullyMapped {
                pid,
                start: addr,
                end,
                changed_to: mapped_to,
            });
        }
        Ok(())
    }

    /// mprotect of a range that is fully mapped, as mprotect_fixup on each vma in it: a vma
    /// whose protection stays is left alone (its flags do not change, so it is neither split
    /// nor merged, even with a compatible neighbour it was never merged with, such as a heap
    /// vma brk made beside it); the part of a vma that changes is split off at the range's
    /// ends, changed with its ptes, and merged with the vmas next to it where the rules allow
    /// (vma_modify_flags).
    fn mprotect_mapped(&mut self, cx: &mut StepCx, pid: Pid, addr: Addr, end: Addr, prot: Prot) {
        // The vma that `a` falls inside, if it changes.
        let split_at = |m: &Machine, a: Addr| {
            let mm = &m.proc(pid).expect("validated").mm;
            mm.find(a)
                .filter(|&i| mm.vmas[i].start < a && mm.vmas[i].prot != prot)
        };
        if let Some(i) = split_at(self, addr) {
            self.split_vma(cx, pid, i, addr, true);
        }
        if let Some(i) = split_at(self, end) {
            self.split_vma(cx, pid, i, end, false);
        }
        let r = self.proc(pid).expect("validated").mm.overlapping(addr, end);
        let mut changed = Vec::new();
        for i in r {
            let before = self.proc(pid).expect("validated").mm.vmas[i].clone();
            if before.prot == prot {
                continue;
            }
            let mut after = before.clone();
            after.prot = prot;
            if prot.write && !after.shared {
                after.accounted = true;
            } else if !prot.write && after.file.is_none() && !after.anon_faulted {
                after.accounted = false;
            }
            self.mm_mut(pid).vmas[i] = after.clone();
            self.reprotect_ptes(pid, &after, before.prot);
            cx.scheme
                .vma_changed(self, ReshapedVma::resized(pid, &before, &after), cx.ev);
            changed.push(after.start);
        }
        // Each changed vma, in address order, merges with the vma before it and then with the
        // vma after it (vma_modify_flags). One already merged into the vma before it is that
        // vma now, which still tries the vma after it: the kernel changes and merges one vma
        // at a time, so the last vma changed may merge with both neighbours at once.
        for start in changed {
            let Some(i) = self.proc(pid).expect("validated").mm.find(start) else {
                continue;
            };
            self.merge_with_neighbours(cx, pid, i);
        }
    }

    /// change_protection: write permission removed makes every pte read-only; write permission
    /// added makes exclusive anonymous pages writable again (the kernel skips the fault for them).
    fn reprotect_ptes(&mut self, pid: Pid, v: &Vma, old: Prot) {
        if old.write == v.prot.write {
            return;
        }
        let ptes = self
            .proc(pid)
            .expect("validated")
            .mm
            .pt
            .range(v.start, v.end);
        for (a, pte) in ptes {
            if let PteVal::Page {
                page, young, dirty, ..
            } = pte.get()
            {
                let pg = self.pages.get(page);
                let writable = v.prot.write && (v.shared || (pg.is_anon() && pg.is_exclusive()));
                self.update_pte(
                    pid,
                    a,
                    PteVal::Page {
                        page,
                        writable,
                        young,
                        dirty,
                    },
                );
            }
        }
    }

    pub(crate) fn op_mremap(
        &mut self,
        cx: &mut StepCx,
        pid: Pid,
        addr: Addr,
        pages: u64,
        new_pages: Option<u64>,
        to: Option<Addr>,
    ) -> Result<(), StepError> {
        let end = Self::check_range("pages", addr, pages)?;
        let new_pages = new_pages.unwrap_or(pages);
        Self::check_range("new_pages", addr, new_pages)?;
        let p = self.proc(pid)?;
        // The kernel looks up the vma at `addr` first: none there is EFAULT.
        let Some(vi) = p.mm.find(addr) else {
            return Err(StepError::MremapNoVma { pid, addr });
        };
        let in_one_vma = p.mm.vmas[vi].end >= end;
        // Linux 6.17+ (d23cb648e365, "permit mremap() move of multiple VMAs"): a move with
        // MREMAP_FIXED that keeps the size may span several vmas, gaps included, as long as the
        // range starts inside a vma; each vma is moved on its own, keeping its offset in the range.
        let multi_move = to.is_some() && new_pages == pages && !in_one_vma;
        // Only a move or a growth needs the old range inside one vma (check_prep_vma); an mremap
        // in place that keeps the size returns at once and one that shrinks unmaps the tail,
        // whatever vmas or holes the range spans.
        let needs_one_vma = new_pages > pages || (to.is_some() && !multi_move);
        if needs_one_vma && !in_one_vma {
            return Err(StepError::MremapSpan {
                pid,
                start: addr,
                end,
            });
        }
        let vma = p.mm.vmas[vi].clone();
        let new_len = new_pages * PAGE_SIZE;
        match to {
            None => {
                if new_pages > pages {
                    // (check_range refused a new end past the user address space above.)
                    let new_end = addr + new_len;
                    if vma.end != end {
                        return Err(StepError::MremapNoRoom {
                            start: addr,
                            end,
                            new_end,
                            why: format!(
                                "the range ends inside the vma {}-{}",
                                hex(vma.start),
                                hex(vma.end)
                            ),
                        });
                    }
                    if let Some(n) = p.mm.vmas.get(vi + 1).filter(|n| n.start < new_end) {
                        return Err(StepError::MremapNoRoom {
                            start: addr,
                            end,
                            new_end,
                            why: format!("the vma {}-{} is in the way", hex(n.start), hex(n.end)),
                        });
                    }
                }
            }
            Some(to) => {
                let to_end = Self::check_range("new_pages", to, new_pages)?;
                if to < end && addr < to_end {
                    return Err(StepError::MremapOverlap {
                        start: addr,
                        end,
                        to,
                        to_end,
                    });
                }
            }
        }

        // Validated.
        match to {
            None if new_pages < pages => {
                cx.ev.push(format!(
                    "mremap: pid {pid} shrinks {}-{} to {} pages",
                    hex(addr),
                    hex(end),
                    new_pages
                ));
                self.unmap_range(cx, Span::new(pid, addr + new_len, end));
            }
            None if new_pages == pages => {
                cx.ev.push(format!(
                    "mremap: pid {pid} {}-{}: same size, nothing to do (the kernel does not look past the vma at the start)",
                    hex(addr),
                    hex(end)
                ));
            }
            None => {
                let mut after = vma.clone();
                after.end = addr + new_len;
                cx.ev.push(format!(
                    "mremap: pid {pid} grows {}-{} in place to {}; vm_pgoff stays {}",
                    hex(vma.start),
                    hex(vma.end),
                    hex(after.end),
                    hex(vma.pgoff)
                ));
                self.resize_vma(cx, pid, vi, &vma, &after);
                // vma_merge_extend: the growth merges with a vma that starts at its new end.
                self.try_merge(cx, pid, vi);
            }
            Some(to) if multi_move => {
                let pieces: Vec<(Addr, Addr)> = {
                    let mm = &self.proc(pid).expect("validated").mm;
                    mm.vmas[mm.overlapping(addr, end)]
                        .iter()
                        .map(|v| (v.start.max(addr), v.end.min(end)))
                        .collect()
                };
                cx.ev.push(format!(
                    "mremap: pid {pid} moves {} vmas of {}-{} one by one",
                    pieces.len(),
                    hex(addr),
                    hex(end)
                ));
                for (s, e) in pieces {
                    let n = (e - s) >> PAGE_SHIFT;
                    self.mremap_move(cx, pid, s, n, n, to + (s - addr));
                }
            }
            Some(to) => self.mremap_move(cx, pid, addr, pages, new_pages, to),
        }
        Ok(())
    }

    /// move_vma: unmap the destination, copy_vma, move the ptes, unmap the source.
    fn mremap_move(
        &mut self,
        cx: &mut StepCx,
        pid: Pid,
        addr: Addr,
        pages: u64,
        new_pages: u64,
        to: Addr,
    ) {
        let to_end = to + new_pages * PAGE_SIZE;
        if !self
            .proc(pid)
            .expect("validated")
            .mm
            .overlapping(to, to_end)
            .is_empty()
        {
            cx.ev.push(format!(
                "mremap: MREMAP_FIXED unmaps whatever was at {}-{}",
                hex(to),
                hex(to_end)
            ));
            self.unmap_range(cx, Span::new(pid, to, to_end));
        }
        let mut pages = pages;
        if new_pages < pages {
            self.unmap_range(
                cx,
                Span::new(pid, addr + new_pages * PAGE_SIZE, addr + pages * PAGE_SIZE),
            );
            pages = new_pages;
        }
        let end = addr + pages * PAGE_SIZE;
        let src = {
            let mm = &self.proc(pid).expect("validated").mm;
            mm.vmas[mm.find(addr).expect("validated")].clone()
        };

        // anonmm (rmap 11): pages shared with another mm are copied before their ptes move.
        if cx.scheme.mremap_copies_shared() {
            let cows = self.break_shared_cow(cx, pid, &src, addr, end);
            if cows > 0 {
                cx.ev.push(format!("mremap moved {cows} cows"));
            }
        }

        let keep_pgoff = src.anon_faulted || src.file.is_some();
        let src_pgoff = src.linear_index(addr);
        let pgoff = if keep_pgoff {
            src_pgoff
        } else {
            to >> PAGE_SHIFT
        };
        let mut dst = Vma {
            id: self.new_vma_id(),
            start: to,
            end: to_end,
            pgoff,
            ..src.clone()
        };
        cx.ev.push(format!(
            "copy_vma: pid {pid} {}-{} -> {}-{}, vm_pgoff {} ({})",
            hex(addr),
            hex(end),
            hex(to),
            hex(to_end),
            hex(pgoff),
            if keep_pgoff {
                "kept: the vma has pages"
            } else {
                "reset to the new address: never faulted"
            }
        ));

        dst.anon_faulted = src.anon_faulted;
        self.place_vma(cx, pid, dst, VmaOrigin::Move { from: &src }, "moved range");

        // move_page_tables.
        let ptes = self.proc(pid).expect("validated").mm.pt.range(addr, end);
        let moved = ptes.len();
        for (a, pte) in ptes {
            let na = to + (a - addr);
            let v = pte.get();
            self.mm_mut(pid).pt.take(a);
            self.mm_mut(pid).pt.set(na, pte);
            if let PteVal::Page { page, .. } = v {
                cx.scheme.pte_unmapped(self, pid, a, page, cx.ev);
                cx.scheme.pte_mapped(self, pid, na, page, cx.ev);
                let pg = self.pages.get(page);
                if pg.is_anon()
                    && pg.mapcount() == 1
                    && let Some(r) =
                        cx.scheme
                            .pte_moved(self, PteMove::new(pid, a, na, page), cx.ev)
                {
                    self.set_rmap(page, r);
                }
            }
        }
        cx.ev.push(format!(
            "move_page_tables: moved {moved} pte{}",
            if moved == 1 { "" } else { "s" }
        ));
        self.unmap_range(cx, Span::new(pid, addr, end));
    }

    /// Forces a copy of every anonymous page in `[start, end)` of `pid` that another pte also
    /// maps (make_page_exclusive in rmap 11). Returns how many pages were copied.
    fn break_shared_cow(
        &mut self,
        cx: &mut StepCx,
        pid: Pid,
        vma: &Vma,
        start: Addr,
        end: Addr,
    ) -> usize {
        let ptes = self.proc(pid).expect("validated").mm.pt.range(start, end);
        let mut n = 0;
        for (a, pte) in ptes {
            if let PteVal::Page { page, .. } = pte.get() {
                let pg = self.pages.get(page);
                if pg.is_anon() && pg.mapcount() > 1 {
                    self.cow_copy(cx, pid, a, Some(page), vma.prot.write);
                    n += 1;
                }
            }
        }
        n
    }

    /// Puts a new vma into `pid`'s mm: merged into the vma before and/or after it when the
    /// rules allow (vma_merge_new_range), else inserted as its own vma.
    /// A moved vma is linked first (copy_vma) and then merged with its neighbours, so the scheme
    /// sees its rmap state carried over before any merge decision.
    fn place_vma(
        &mut self,
        cx: &mut StepCx,
        pid: Pid,
        new: Vma,
        origin: VmaOrigin<'_>,
        what: &str,
    ) {
        if let VmaOrigin::Move { .. } = origin {
            let i = self.mm_mut(pid).insert(new.clone());
            cx.scheme
                .vma_added(self, NewVma::new(pid, &new, origin), cx.ev);
            self.merge_with_neighbours(cx, pid, i);
            return;
        }
        let mm = &self.proc(pid).expect("validated").mm;
        let i = mm.vmas.partition_point(|v| v.start < new.start);
        let prev = i
            .checked_sub(1)
            .map(|j| mm.vmas[j].clone())
            .filter(|v| v.end == new.start);
        let next = mm.vmas.get(i).cloned().filter(|v| v.start == new.end);
        if let Some(p) = prev.filter(|p| self.can_merge(cx.scheme, pid, p, &new)) {
            let mut grown = p.clone();
            grown.end = new.end;
            grown.anon_faulted |= new.anon_faulted;
            cx.ev.push(format!(
                "vma_merge: the {what} extends pid {pid} vma {}",
                p.span()
            ));
            self.resize_vma(cx, pid, i - 1, &p, &grown);
            if next
                .as_ref()
                .is_some_and(|n| self.can_merge(cx.scheme, pid, &grown, n))
            {
                self.try_merge(cx, pid, i - 1);
            }
        } else if let Some(n) = next.filter(|n| self.can_merge(cx.scheme, pid, &new, n)) {
            let mut grown = n.clone();
            grown.start = new.start;
            grown.pgoff = new.pgoff;
            grown.anon_faulted |= new.anon_faulted;
            cx.ev.push(format!(
                "vma_merge: the {what} extends pid {pid} vma {} downwards",
                n.span()
            ));
            self.resize_vma(cx, pid, i, &n, &grown);
        } else {
            self.mm_mut(pid).insert(new.clone());
            cx.scheme
                .vma_added(self, NewVma::new(pid, &new, origin), cx.ev);
        }
    }
}
