//! madvise(MADV_DONTNEED) and madvise(MADV_FREE): the advice that changes which ptes exist.
//!
//! Like Linux (madvise_walk_vmas), the advice applies to every vma the range overlaps, and a
//! range with holes fails with ENOMEM once the mapped parts were advised. Neither advice
//! changes a vma, so no scheme is asked anything about vmas: the ptes go through the same zap
//! as munmap's, with the same rmap hooks.

use super::error::StepError;
use super::machine::{Machine, StepCx};
use super::pte::PteVal;
use super::types::{Addr, Advice, Pid, hex};
use super::vmatree::Span;

impl Machine {
    pub(crate) fn op_madvise(
        &mut self,
        cx: &mut StepCx,
        pid: Pid,
        addr: Addr,
        pages: u64,
        advice: Advice,
    ) -> Result<(), StepError> {
        let end = Self::check_range("pages", addr, pages)?;
        let p = self.proc(pid)?;
        let pieces: Vec<(Addr, Addr, bool)> = p.mm.vmas[p.mm.overlapping(addr, end)]
            .iter()
            .map(|v| {
                (
                    v.start.max(addr),
                    v.end.min(end),
                    v.is_anonymous() && !v.shared,
                )
            })
            .collect();
        let covered: u64 = pieces.iter().map(|(s, e, _)| e - s).sum();
        if pieces.is_empty() {
            return Err(StepError::MadviseUnmapped {
                pid,
                start: addr,
                end,
                advised: false,
            });
        }
        for &(s, e, anonymous) in &pieces {
            match advice {
                Advice::DontNeed => {
                    let n = self.zap_range(cx, Span::new(pid, s, e));
                    cx.ev.push(format!(
                        "madvise(MADV_DONTNEED): pid {pid} {}-{}: zapped {n} pte{}, the vma stays",
                        hex(s),
                        hex(e),
                        if n == 1 { "" } else { "s" }
                    ));
                }
                Advice::Free => {
                    if !anonymous {
                        let v = self
                            .proc(pid)
                            .expect("validated")
                            .mm
                            .vma_at(s)
                            .expect("a piece of a vma");
                        return Err(StepError::MadviseFreeNotAnon {
                            pid,
                            vstart: v.start,
                            vend: v.end,
                        });
                    }
                    self.free_lazily(cx, Span::new(pid, s, e));
                }
            }
        }
        if covered < end - addr {
            return Err(StepError::MadviseUnmapped {
                pid,
                start: addr,
                end,
                advised: true,
            });
        }
        Ok(())
    }

    /// madvise_free_pte_range: swap entries are freed; an anonymous page gets a clean, old pte
    /// and is marked lazily freeable, so that reclaim may discard it while no pte is dirtied
    /// again. A page in the swap cache or with PG_dirty set is skipped, its pte left young and
    /// dirty, when another pte maps it (folio_mapcount != 1) or, in the swap cache, when another
    /// swap entry still holds its slot; otherwise it leaves the swap cache and PG_dirty is
    /// cleared. A page with neither is marked even when another process maps it (Linux 6.18,
    /// measured with `check`), and reclaim then discards only the ptes it finds clean. The zero
    /// page is left as it is (docs/semantics.md §6.2c).
    fn free_lazily(&mut self, cx: &mut StepCx, Span { pid, start, end }: Span) {
        let ptes = self.proc(pid).expect("validated").mm.pt.range(start, end);
        let (mut freed, mut lazy, mut kept, mut kept_dirty) = (0, 0, 0, 0);
        for (a, pte) in ptes {
            match pte.get() {
                PteVal::Swap { .. } => {
                    self.zap_pte(cx, pid, a);
                    freed += 1;
                }
                PteVal::Page { page, writable, .. } => {
                    let pg = self.pages.get(page);
                    if !pg.is_anon() {
                        continue;
                    }
                    if pg.swap_slot().is_some() || pg.is_dirty() {
                        let held = pg.swap_slot().is_some_and(|slot| self.swap.refs(slot) > 0);
                        if pg.mapcount() > 1 || held {
                            if pg.swap_slot().is_some() {
                                kept += 1;
                            } else {
                                kept_dirty += 1;
                            }
                            continue;
                        }
                    }
                    if let Some(slot) = pg.swap_slot() {
                        self.swap.set_cache_page(slot, None);
                        self.pages.set_swap(page, None);
                        self.swap.put(slot);
                    }
                    self.pages.set_lazyfree(page, true);
                    self.pages.set_dirty(page, false);
                    self.update_pte(
                        pid,
                        a,
                        PteVal::Page {
                            page,
                            writable,
                            young: false,
                            dirty: false,
                        },
                    );
                    lazy += 1;
                }
                PteVal::Zero { .. } | PteVal::None => {}
            }
        }
        cx.ev.push(format!(
            "madvise(MADV_FREE): pid {pid} {}-{}: {lazy} page{} freed lazily (still mapped, pte clean and old), {freed} swap entr{} freed{}{}",
            hex(start),
            hex(end),
            if lazy == 1 { "" } else { "s" },
            if freed == 1 { "y" } else { "ies" },
            if kept == 0 {
                String::new()
            } else {
                format!("; {kept} page{} in the swap cache kept", if kept == 1 { "" } else { "s" })
            },
            if kept_dirty == 0 {
                String::new()
            } else {
                format!(
                    "; {kept_dirty} dirty page{} mapped elsewhere kept",
                    if kept_dirty == 1 { "" } else { "s" }
                )
            }
        ));
    }
}
