//! One check: the model and the kernel side by side, step by step.

use std::collections::BTreeMap;
use std::time::Instant;

use nix::errno::Errno;

use super::charge::ChargePlan;
use super::cleanup::RunGuard;
use super::compare::{Difference, compare};
use super::driver::Driver;
use super::expected::expected;
use super::files::Files;
use super::protocol::{KernelOutcome, Request};
use super::reclaim::Reclaim;
use super::referenced::{self, YoungReset};
use super::report::{CheckReport, StepCheck, StepVerdict};
use super::{CheckOptions, OracleError, REGION_END, procfs};
use crate::model::{Addr, Machine, Op, PAGE_SIZE, Pid, Prot, PteVal, StepError};
use crate::scenario::Scenario;
use crate::session::Simulation;

/// The scheme the kernel is compared with.
const SCHEME: &str = "modern";

/// Every address range an op touches, as (start, end); none for an op without addresses.
fn op_ranges(op: &Op) -> Vec<(u64, u64)> {
    op.ranges()
        .into_iter()
        .map(|(_, a, p)| (a, a.saturating_add(p.saturating_mul(PAGE_SIZE))))
        .collect()
}

/// Refuses scenarios whose addresses the oracle cannot use: below `vm.mmap_min_addr` (the kernel
/// refuses them for reasons of its own) or at or above [`REGION_END`] (the driven process lives
/// there).
fn check_region(s: &Scenario) -> Result<(), OracleError> {
    let min = std::fs::read_to_string("/proc/sys/vm/mmap_min_addr")
        .ok()
        .and_then(|t| t.trim().parse::<u64>().ok())
        .unwrap_or(65536);
    for (i, op) in s.ops().enumerate() {
        for (a, e) in op_ranges(op) {
            if a < min || e > REGION_END {
                return Err(OracleError::Unsupported(format!(
                    "step {} ({}) uses {a:#x}-{e:#x}, outside {min:#x}-{REGION_END:#x}, the addresses \
                     the oracle can drive (vm.mmap_min_addr is {min:#x}; the driven process lives above)",
                    i + 1,
                    op.to_ron_line()
                )));
            }
        }
    }
    Ok(())
}

/// What the kernel did, as the report says it.
fn describe(o: KernelOutcome) -> String {
    match o {
        KernelOutcome::Ok => "ok".into(),
        KernelOutcome::Errno(e) => format!("{:?}", Errno::from_raw(e)),
        KernelOutcome::Signal { signo, addr } => {
            let name = nix::sys::signal::Signal::try_from(signo)
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|_| format!("signal {signo}"));
            format!("{name} at {addr:#x}")
        }
    }
}

/// Model errors that stop an op before any system call: the kernel has no counterpart to run.
fn no_kernel_counterpart(e: &StepError) -> bool {
    matches!(
        e,
        StepError::NoSuchPid(_)
            | StepError::PidExists(_)
            | StepError::Unaligned { .. }
            | StepError::ZeroPages { .. }
            | StepError::TooManyPages { .. }
            | StepError::OutOfRange { .. }
            | StepError::OffsetWithoutFile
            | StepError::EmptyFileName
    )
}

/// The fault a refused access must raise: (signal, address).
fn expected_fault(e: &StepError) -> Option<(i32, Addr)> {
    match e {
        StepError::Unmapped { addr, .. } | StepError::Protection { addr, .. } => {
            Some((libc::SIGSEGV, *addr))
        }
        StepError::Sigbus { addr, .. } => Some((libc::SIGBUS, *addr)),
        _ => None,
    }
}

/// Compares how the kernel took the op with whether the model refused it.
fn outcome_differences(
    pid: Pid,
    model: Option<&StepError>,
    kernel: KernelOutcome,
) -> Vec<Difference> {
    let d = |expected: String| Difference {
        pid,
        addr: None,
        what: "outcome",
        expected,
        observed: describe(kernel),
    };
    match (model, kernel) {
        (None, KernelOutcome::Ok) => vec![],
        (None, _) => vec![d("success".into())],
        (Some(e), KernelOutcome::Ok) => vec![d(format!("refused ({e})"))],
        (Some(e), KernelOutcome::Signal { signo, addr }) => match expected_fault(e) {
            Some((s, a)) if s == signo && a == addr => vec![],
            Some((s, a)) => vec![d(describe(KernelOutcome::Signal { signo: s, addr: a }))],
            None => vec![d(format!("refused ({e})"))],
        },
        (Some(e), KernelOutcome::Errno(_)) => match expected_fault(e) {
            Some((s, a)) => vec![d(describe(KernelOutcome::Signal { signo: s, addr: a }))],
            None => vec![],
        },
    }
}

/// Where brk(2) itself cannot run (the break cannot be lent: no PR_SET_MM_MAP): the call
/// that does to the driven process's vmas and pages what the model's Brk (already applied to
/// `sim`) did to the scenario's heap, moving its break from `old` to `new`, with mremap (the
/// heap vma expanded in place), mmap (a new heap vma; unlike brk, it merges with a compatible
/// vma right below) and munmap (a shrink). None when the break stays.
fn brk_request(sim: &Simulation, pid: Pid, old: Addr, new: Addr) -> Option<Request> {
    if new < old {
        return Some(Request::Munmap {
            addr: new,
            len: old - new,
        });
    }
    if new == old {
        return None;
    }
    let start = sim
        .machine
        .proc(pid)
        .ok()
        .and_then(|p| p.mm.vma_at(old))
        .map_or(old, |v| v.start);
    Some(if start < old {
        Request::Mremap {
            addr: start,
            old_len: old - start,
            new_len: new - start,
            to: None,
        }
    } else {
        Request::Mmap {
            addr: old,
            len: new - old,
            prot: Prot::RW,
            shared: false,
            file: None,
            offset: 0,
        }
    })
}

/// Whether the model, after a `SwapOut` of `addr` in `pid`, still maps a page there: its
/// reclaim kept the page (only then may the kernel's page stay mapped and the step still be
/// compared).
fn model_keeps_mapped(m: &Machine, pid: Pid, addr: Addr) -> bool {
    matches!(m.pte(pid, addr), PteVal::Page { .. })
}

/// Each pid's model vmas as address ranges.
fn model_ranges(m: &Machine) -> BTreeMap<Pid, Vec<(Addr, Addr)>> {
    m.procs
        .values()
        .map(|p| (p.pid, p.mm.vmas.iter().map(|v| (v.start, v.end)).collect()))
        .collect()
}

struct CheckRun<'g> {
    driver: Driver<'g>,
    files: Files,
    reclaim: Option<Reclaim<'g>>,
    plan: ChargePlan,
}

impl CheckRun<'_> {
    /// Runs `op` (step `i`) on the kernel. Returns the outcome and time, or None with a reason
    /// when the op has no kernel counterpart.
    fn kernel_step(
        &mut self,
        i: usize,
        op: &Op,
        sim: &Simulation,
        err: Option<&StepError>,
        young: Option<Result<Vec<YoungReset>, String>>,
        brk_old: Option<Addr>,
    ) -> Result<Result<(KernelOutcome, u64), String>, OracleError> {
        if let Some(e) = err
            && no_kernel_counterpart(e)
        {
            return Ok(Err(format!(
                "the model refuses it before any system call ({e})"
            )));
        }
        let pid = op.pid();
        let r = match op {
            Op::Spawn { .. } => self.driver.spawn(pid).map(|n| (KernelOutcome::Ok, n))?,
            Op::Fork { child, .. } => self.driver.fork(pid, *child)?,
            Op::Exec { .. } => self.driver.exec(pid)?,
            Op::Exit { .. } => self.driver.exit(pid)?,
            Op::Referenced { .. } => match (young, err) {
                (Some(Ok(resets)), None) => self.clear_young(&resets)?,
                (Some(Ok(_)), Some(e)) => {
                    return Ok(Err(format!("the model refuses it: nothing to walk ({e})")));
                }
                (Some(Err(why)), _) => return Ok(Err(why)),
                (None, _) => return Ok(Err("no plan for the walk".into())),
            },
            Op::SwapOut { addr, .. } => {
                let Some(rec) = self.reclaim.as_mut() else {
                    return Ok(Err("needs --reclaim (the model skips this step too)".into()));
                };
                if let Some(e) = err {
                    return Ok(Err(format!(
                        "the model refuses it: nothing to reclaim ({e})"
                    )));
                }
                let Some(group) = self.plan.group_of_step(i) else {
                    return Ok(Err(format!(
                        "no cgroup holds the page at pid {pid} {addr:#x} (reclaim plan)"
                    )));
                };
                let done = rec.reclaim(group)?;
                let real = self.driver.real_pid(pid);
                // A page the model's reclaim keeps mapped too (a lazily freed page written
                // again, whose dirty pte stops the unmap) is compared like any other step; only
                // a page the model unmapped and the kernel kept is outside the model.
                if !model_keeps_mapped(&sim.machine, pid, *addr)
                    && let Some(real) = real
                    && procfs::present(real, *addr)?
                {
                    let left = rec.usage(group)?;
                    return Ok(Err(format!(
                        "the kernel did not reclaim the page: it is still mapped at pid {pid} \
                         {addr:#x} and its cgroup holds {left} bytes after memory.force_empty \
                         (LRU aging, which the model does not model, can keep a page on the \
                         active list); the model's step is undone"
                    )));
                }
                done
            }
            Op::Mmap(m) => {
                let fd = match &m.file {
                    Some(name) => {
                        if err.is_none()
                            && let Some(f) = sim.machine.file_by_name(name)
                        {
                            let size = f.size;
                            let plan = &self.plan;
                            let rec = &mut self.reclaim;
                            self.files.grow(name, size, &mut |index, write| match (
                                plan.group_of_file_page(name, index),
                                rec.as_mut(),
                            ) {
                                (Some(g), Some(r)) => r.charged(g, write),
                                _ => write(),
                            })?;
                        }
                        Some(self.files.fd(name)?)
                    }
                    None => None,
                };
                self.driver.request_with(
                    pid,
                    &Request::Mmap {
                        addr: m.addr,
                        len: m.pages * PAGE_SIZE,
                        prot: m.prot,
                        shared: m.shared,
                        file: m.file.clone(),
                        offset: m.offset * PAGE_SIZE,
                    },
                    fd,
                )?
            }
            Op::Munmap { addr, pages, .. } => self.driver.request(
                pid,
                &Request::Munmap {
                    addr: *addr,
                    len: pages * PAGE_SIZE,
                },
            )?,
            Op::Mprotect {
                addr, pages, prot, ..
            } => self.driver.request(
                pid,
                &Request::Mprotect {
                    addr: *addr,
                    len: pages * PAGE_SIZE,
                    prot: *prot,
                },
            )?,
            Op::Madvise {
                addr,
                pages,
                advice,
                ..
            } => self.driver.request(
                pid,
                &Request::Madvise {
                    addr: *addr,
                    len: pages * PAGE_SIZE,
                    advice: *advice,
                },
            )?,
            Op::Mremap {
                addr,
                pages,
                new_pages,
                to,
                ..
            } => self.driver.request(
                pid,
                &Request::Mremap {
                    addr: *addr,
                    old_len: pages * PAGE_SIZE,
                    new_len: new_pages.unwrap_or(*pages) * PAGE_SIZE,
                    to: *to,
                },
            )?,
            Op::Brk { start, pages, .. } => {
                if let Some(e @ StepError::BrkStart { .. }) = err {
                    return Ok(Err(format!(
                        "the scenario names another heap start than its first Brk did, which \
                         brk(2) cannot express, so nothing runs ({e})"
                    )));
                }
                let old = brk_old.unwrap_or(*start);
                let new = start + pages * PAGE_SIZE;
                match self.driver.request(
                    pid,
                    &Request::Brk {
                        start: *start,
                        old,
                        new,
                    },
                )? {
                    // The break could not be lent (a kernel without CONFIG_CHECKPOINT_RESTORE
                    // has no PR_SET_MM_MAP): do about the same to the vmas with other calls.
                    (KernelOutcome::Errno(e), _) if e != libc::ENOMEM => {
                        if let Some(me) = err {
                            return Ok(Err(format!(
                                "brk(2) cannot run here (PR_SET_MM_MAP: {}), and a refused \
                                 brk changes nothing ({me})",
                                describe(KernelOutcome::Errno(e))
                            )));
                        }
                        match brk_request(sim, pid, old, new) {
                            Some(req) => self.driver.request(pid, &req)?,
                            None => (KernelOutcome::Ok, 0),
                        }
                    }
                    r => r,
                }
            }
            Op::Read { addr, pages, .. } | Op::Write { addr, pages, .. } => {
                let write = matches!(op, Op::Write { .. });
                match err.and_then(expected_fault) {
                    // A refused access: touch only the faulting page, so nothing else changes.
                    Some((_, a)) => self.access(i, pid, a, 1, write)?,
                    None => self.access(i, pid, *addr, *pages, write)?,
                }
            }
        };
        Ok(Ok(r))
    }

    /// The kernel's side of a Referenced step (see [`referenced`]): for each process that maps
    /// the page, clear its young bits through clear_refs and load again from its other young ptes.
    fn clear_young(&mut self, resets: &[YoungReset]) -> Result<(KernelOutcome, u64), OracleError> {
        use std::io::Write as _;
        let mut nanos = 0;
        for r in resets {
            let Some(real) = self.driver.real_pid(r.pid) else {
                return Err(OracleError::Failed(format!("no process for pid {}", r.pid)));
            };
            let path = format!("/proc/{real}/clear_refs");
            let t = Instant::now();
            std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|mut f| f.write_all(b"1"))
                .map_err(|e| OracleError::Failed(format!("{path}: {e}")))?;
            nanos += t.elapsed().as_nanos() as u64;
            nanos +=
                self.must_succeed(r.pid, &Request::FlushTlb, "the TLB flush after clear_refs")?;
            for &(addr, pages) in &r.reload {
                let load = Request::Access {
                    addr,
                    pages,
                    write: false,
                };
                let what = format!("the load that makes {addr:#x} young again after clear_refs");
                nanos += self.must_succeed(r.pid, &load, &what)?;
            }
        }
        Ok((KernelOutcome::Ok, nanos))
    }

    /// Sends a request that must succeed; returns its time.
    fn must_succeed(&mut self, pid: Pid, req: &Request, what: &str) -> Result<u64, OracleError> {
        match self.driver.request(pid, req)? {
            (KernelOutcome::Ok, n) => Ok(n),
            (o, _) => Err(OracleError::Failed(format!(
                "pid {pid}: {what} failed: {}",
                describe(o)
            ))),
        }
    }

    /// Loads or stores page by page; a page the reclaim plan charges to a cgroup is touched while
    /// the process sits in that cgroup.
    fn access(
        &mut self,
        step: usize,
        pid: Pid,
        addr: Addr,
        pages: u64,
        write: bool,
    ) -> Result<(KernelOutcome, u64), OracleError> {
        let real = self.driver.real_pid(pid);
        let mut total = 0;
        let mut a = addr;
        let end = addr + pages * PAGE_SIZE;
        while a < end {
            // The next page (if any) that must be charged to a cgroup of its own.
            let next = (a..end)
                .step_by(PAGE_SIZE as usize)
                .find_map(|b| self.plan.group_of_fault(step, b).map(|g| (b, g)));
            let (stop, group) = match next {
                Some((b, g)) if b == a => (a + PAGE_SIZE, Some(g)),
                Some((b, _)) => (b, None),
                None => (end, None),
            };
            let req = Request::Access {
                addr: a,
                pages: (stop - a) / PAGE_SIZE,
                write,
            };
            let (o, n) = match (group, self.reclaim.as_mut(), real) {
                (Some(g), Some(r), Some(real)) => {
                    r.enter(g, real)?;
                    let res = self.driver.request(pid, &req);
                    r.leave(real)?;
                    res?
                }
                _ => self.driver.request(pid, &req)?,
            };
            total += n;
            if o != KernelOutcome::Ok {
                return Ok((o, total));
            }
            a = stop;
        }
        Ok((KernelOutcome::Ok, total))
    }
}

/// Runs `scenario` on the kernel and compares every step with the model.
pub fn run_check(
    scenario: &Scenario,
    name: &str,
    opts: &CheckOptions,
) -> Result<CheckReport, OracleError> {
    if !cfg!(target_arch = "x86_64") {
        return Err(OracleError::Unsupported(
            "the driven processes' loads and stores are implemented for x86_64 only".into(),
        ));
    }
    super::limits::check_limits(scenario, &opts.limits).map_err(OracleError::OverLimit)?;
    check_region(scenario)?;
    let access = procfs::probe()?;
    // What killed runs left behind goes first, whatever this run does.
    let cgroups = super::reclaim::memory_cgroup().ok().map(|(_, here)| here);
    for line in super::runs::clean_dead_runs(cgroups.as_deref()) {
        super::cleanup::say(&format!("rmapviz: {line}"));
    }
    // This very executable, even if its file was replaced or removed since it started (a
    // rebuild during a long fuzz run): /proc/self/exe names the running image, not the path.
    let exe = opts
        .driven_exe
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("/proc/self/exe"));
    let plan = if opts.reclaim {
        ChargePlan::new(scenario, SCHEME)
    } else {
        ChargePlan::default()
    };
    let guard = RunGuard::new()?;
    let mut missing: Vec<String> = access.missing.into_iter().collect();
    let reclaim = if opts.reclaim {
        match Reclaim::setup(&guard, plan.groups(), opts.wait) {
            Ok(r) => Some(r),
            // Without reclaim the rest of the check still runs.
            Err(OracleError::Unsupported(m)) => {
                missing.push(format!("{m}; SwapOut steps were not checked"));
                None
            }
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    let reclaiming = reclaim.is_some();
    let files = Files::new();
    let mut run = CheckRun {
        driver: Driver::new(exe, &guard),
        files,
        reclaim,
        plan,
    };
    let mut sim = Simulation::by_name(SCHEME).map_err(|e| OracleError::Failed(e.to_string()))?;
    let mut steps = Vec::new();
    run.driver.spawn(1)?;
    if let Some(r) = run.reclaim.as_mut()
        && let Some(real) = run.driver.real_pid(1)
    {
        r.adopt(real)?;
    }
    let mut prev: Option<(super::Expected, super::Observed)> = None;
    for (i, op) in scenario.ops().enumerate() {
        opts.progress.set_position(i as u64 + 1);
        opts.progress
            .set_message(crate::scenario::opline::format(op));
        // A Referenced step that cannot run on the kernel is skipped in the model too, so that
        // the young bits stay comparable; likewise a SwapOut without --reclaim.
        let young = match op {
            Op::Referenced { pid, addr, .. } => Some(referenced::plan(
                prev.as_ref().map(|(e, o)| (e, o)),
                *pid,
                *addr,
            )),
            _ => None,
        };
        let skip_model =
            matches!(op, Op::SwapOut { .. }) && !reclaiming || matches!(young, Some(Err(_)));
        // Where the heap ended before a Brk: the kernel side needs it to choose its calls.
        let brk_old = match op {
            Op::Brk { pid, .. } => sim.machine.proc(*pid).ok().and_then(|p| p.mm.heap),
            _ => None,
        }
        .map(|(_, end)| end);
        // A SwapOut the kernel does not carry out is undone in the model.
        let undo = (matches!(op, Op::SwapOut { .. }) && !skip_model).then(|| sim.clone());
        let t = Instant::now();
        let err = if skip_model {
            None
        } else {
            sim.step(op, false).error
        };
        let model_nanos = if skip_model {
            0
        } else {
            t.elapsed().as_nanos() as u64
        };
        let kernel = run.kernel_step(i, op, &sim, err.as_ref(), young, brk_old)?;
        if let (Err(_), Some(before), None) = (&kernel, undo, &err) {
            sim = before;
        }
        if let (Op::Spawn { pid, .. }, Ok(_), Some(r)) = (op, &kernel, run.reclaim.as_mut())
            && let Some(real) = run.driver.real_pid(*pid)
        {
            r.adopt(real)?;
        }
        let (mut differences, kernel_text, kernel_nanos, reason) = match kernel {
            Ok((o, n)) => (
                outcome_differences(op.pid(), err.as_ref(), o),
                describe(o),
                n,
                None,
            ),
            Err(reason) => (vec![], "not run".to_string(), 0, Some(reason)),
        };
        let observed = procfs::observe(
            &run.driver.pids(),
            &model_ranges(&sim.machine),
            &|p| run.files.name_of(p),
            access.frames,
        )?;
        let exp = expected(&sim.machine);
        let mut predicted = exp.clone();
        if let Some(inj) = opts.inject
            && inj.step() == i
        {
            inj.apply(&mut predicted);
        }
        let c = compare(&predicted, &observed, prev.as_ref().map(|(e, o)| (e, o)));
        differences.extend(c.differences);
        prev = Some((exp, observed));
        let verdict = if !differences.is_empty() {
            StepVerdict::Differ
        } else if reason.is_some() {
            StepVerdict::NotChecked
        } else {
            StepVerdict::Agree
        };
        steps.push(StepCheck {
            index: i,
            op: op.to_ron_line(),
            verdict,
            reason,
            model_error: err.map(|e| e.to_string()),
            kernel: kernel_text,
            differences,
            compared: c.compared,
            kernel_nanos,
            model_nanos,
        });
    }
    drop(run);
    let cleanup_problems = guard.finish();
    Ok(CheckReport {
        scenario: name.to_string(),
        kernel_release: procfs::kernel_release(),
        reclaim: reclaiming,
        frames: access.frames,
        missing,
        steps,
        cleanup_problems,
    })
}
