//! Spawn, Fork, Exec and Exit.

use super::error::StepError;
use super::machine::{Machine, StepCx};
use super::pte::PteVal;
use super::rmap::{MmOrigin, NewVma, VmaOrigin};
use super::types::Pid;
use super::vmatree::Span;
use crate::util::counted;

impl Machine {
    pub(crate) fn op_spawn(&mut self, cx: &mut StepCx, pid: Pid) -> Result<(), StepError> {
        if self.procs.contains_key(&pid) {
            return Err(StepError::PidExists(pid));
        }
        let mm = self.create_process(cx, pid, MmOrigin::Spawn);
        cx.ev.push(format!(
            "spawn: pid {pid} starts with an empty address space ({mm})"
        ));
        Ok(())
    }

    /// dup_mmap: the child gets a copy of every vma; ptes are copied only for private vmas that
    /// have anonymous pages (vma_needs_copy), and copied anonymous pages become shared and
    /// write-protected in both.
    pub(crate) fn op_fork(
        &mut self,
        cx: &mut StepCx,
        pid: Pid,
        child: Pid,
    ) -> Result<(), StepError> {
        let parent = self.proc(pid)?;
        if self.procs.contains_key(&child) {
            return Err(StepError::PidExists(child));
        }
        let parent_mm = parent.mm.id;
        let vmas = parent.mm.vmas.clone();
        let heap = parent.mm.heap;
        self.create_process(
            cx,
            child,
            MmOrigin::Fork {
                parent: pid,
                parent_mm,
            },
        );
        self.mm_mut(child).heap = heap;
        let mut copied = 0usize;
        let mut shared_now = 0usize;
        let mut shared_before = 0usize;
        for pv in &vmas {
            let mut cv = pv.clone();
            cv.id = self.new_vma_id();
            self.mm_mut(child).insert(cv.clone());
            let origin = VmaOrigin::Fork {
                parent: pid,
                from: pv,
            };
            cx.scheme
                .vma_added(self, NewVma::new(child, &cv, origin), cx.ev);
            if pv.shared || !pv.anon_faulted {
                continue;
            }
            for (a, pte) in self
                .proc(pid)
                .expect("validated")
                .mm
                .pt
                .range(pv.start, pv.end)
            {
                match pte.get() {
                    PteVal::Page {
                        page, young, dirty, ..
                    } => {
                        let pg = self.pages.get(page);
                        if pg.is_anon() {
                            if pg.is_exclusive() {
                                shared_now += 1;
                            } else {
                                shared_before += 1;
                            }
                            self.pages.set_exclusive(page, false);
                        }
                        self.update_pte(
                            pid,
                            a,
                            PteVal::Page {
                                page,
                                writable: false,
                                young,
                                dirty,
                            },
                        );
                        self.install_pte(
                            cx,
                            child,
                            a,
                            PteVal::Page {
                                page,
                                writable: false,
                                young: false,
                                dirty,
                            },
                        );
                    }
                    PteVal::Zero { .. } => {
                        self.install_pte(cx, child, a, PteVal::Zero { young: false })
                    }
                    PteVal::Swap { slot, .. } => {
                        self.update_pte(
                            pid,
                            a,
                            PteVal::Swap {
                                slot,
                                exclusive: false,
                            },
                        );
                        self.install_pte(
                            cx,
                            child,
                            a,
                            PteVal::Swap {
                                slot,
                                exclusive: false,
                            },
                        );
                    }
                    PteVal::None => continue,
                }
                copied += 1;
            }
        }
        // Every anonymous page whose pte was copied is shared copy-on-write now; some already
        // were (an earlier fork): they are mapped once more.
        let already = match shared_before {
            0 => String::new(),
            n => format!(" ({n} of them already shared)"),
        };
        cx.ev.push(format!(
            "dup_mmap: pid {pid} -> {child}: {}, {} copied, {} shared copy-on-write{already}",
            counted(vmas.len() as u64, "vma", "vmas"),
            counted(copied as u64, "pte", "ptes"),
            counted((shared_now + shared_before) as u64, "page", "pages"),
        ));
        Ok(())
    }

    /// exec and exit: the address space is torn down and the process removed; exec then gives
    /// the same pid a fresh, empty address space.
    pub(crate) fn op_exec_or_exit(
        &mut self,
        cx: &mut StepCx,
        pid: Pid,
        exec: bool,
    ) -> Result<(), StepError> {
        self.proc(pid)?;
        self.teardown(cx, pid, if exec { "exec" } else { "exit" });
        self.remove_process(pid);
        if exec {
            let mm = self.create_process(cx, pid, MmOrigin::Exec);
            cx.ev.push(format!(
                "exec: pid {pid} continues in a fresh, empty address space ({mm})"
            ));
        } else {
            cx.ev.push(format!("exit: pid {pid} is gone"));
        }
        Ok(())
    }

    /// exit_mmap: zap every pte, then unlink every vma, then the mm is gone.
    fn teardown(&mut self, cx: &mut StepCx, pid: Pid, why: &str) {
        let vmas = self.proc(pid).expect("validated").mm.vmas.clone();
        let mut zapped = 0;
        for v in &vmas {
            zapped += self.zap_range(cx, Span::new(pid, v.start, v.end));
        }
        for v in &vmas {
            cx.scheme.vma_removed(self, pid, v, cx.ev);
        }
        let mm = self.proc(pid).expect("validated").mm.id;
        self.mm_mut(pid).vmas.clear();
        cx.ev.push(format!(
            "exit_mmap ({why}): pid {pid} {mm}: zapped {zapped} pte{}, removed {} vma{}",
            if zapped == 1 { "" } else { "s" },
            vmas.len(),
            if vmas.len() == 1 { "" } else { "s" }
        ));
        cx.scheme.mm_destroyed(self, pid, mm, cx.ev);
    }
}
