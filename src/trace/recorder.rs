//! The recorder: turns what the tracer reports into scenario steps, keeping the `modern` model
//! in step with the kernel as it goes (the model decides which faults the observed ptes need).
//!
//! pids are renumbered from 1 in creation order; addresses are kept. Threads (and vfork
//! children until they exec) use their process's address space, so their steps are that
//! process's.
//!
//! This file is the state machine of the system-call stops (exec, fork, exit, mmap, brk,
//! madvise, mremap ...); `observe.rs` reads an address space and infers the steps it implies.

mod observe;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::model::{Addr, Advice, MmapArgs, Op, PAGE_SIZE, PageId, Pid, Prot, Step};
use crate::oracle::observed::MapsEntry;
use crate::oracle::procfs::Frames;
use crate::session::Simulation;

use super::check::TraceCheck;
use super::files::{FileTable, probe};
use super::syscall::{Call, describe, pages};
use super::tracer::{Flow, Handler};
use super::{Caps, TraceStats};
use observe::{Snapshot, read_maps};

/// A process of the scenario: an address space and the tasks that use it.
#[derive(Debug)]
struct Tracee {
    tids: BTreeSet<i32>,
    /// The thread group that owns the address space (a vfork child has another).
    tgid: i32,
    snap: Snapshot,
    /// The heap as brk knows it: (`start_brk`, the break last returned by brk), read from
    /// /proc/PID/stat at exec and copied at fork.
    brk: Option<(u64, u64)>,
}

fn tgid_of(tid: i32) -> Option<i32> {
    let s = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
}

/// `start_brk` (field 47 of /proc/PID/stat): the program break right after exec.
fn start_brk(tid: i32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{tid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 1..];
    // Fields after the command are numbered from 3 (the state).
    rest.split_whitespace().nth(47 - 3)?.parse().ok()
}

fn cmdline(tid: i32) -> String {
    let raw = std::fs::read(format!("/proc/{tid}/cmdline")).unwrap_or_default();
    let args: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| format!("{:?}", String::from_utf8_lossy(a)))
        .collect();
    let exe = std::fs::read_link(format!("/proc/{tid}/exe"))
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    format!("execve({exe:?}, [{}])", args.join(", "))
}

fn page_up(a: u64) -> u64 {
    a.div_ceil(PAGE_SIZE) * PAGE_SIZE
}

/// The recorder (the tracer's [`Handler`]).
pub struct Recorder {
    sim: Simulation,
    steps: Vec<Step>,
    procs: BTreeMap<Pid, Tracee>,
    /// Which process each task belongs to.
    tasks: HashMap<i32, Pid>,
    next_pid: Pid,
    files: FileTable,
    frames: Option<Frames>,
    pfn_of: HashMap<PageId, u64>,
    check: Option<TraceCheck>,
    caps: Caps,
    pub(super) stats: TraceStats,
    /// Where the last check point ended.
    checked_to: usize,
    /// Processes that exited, with their last snapshot, until their address space is gone.
    exited: Vec<(Pid, Snapshot)>,
    /// The command's first exec happened: before it, the first task is still a copy of
    /// rmapviz, which the scenario does not hold.
    started: bool,
}

impl Recorder {
    /// A recorder for a program whose first task is `root`; `frames`: frame numbers are
    /// readable; `check`: compare after every stop.
    pub fn new(root: i32, frames: Option<Frames>, check: Option<TraceCheck>, caps: Caps) -> Self {
        let mut procs = BTreeMap::new();
        procs.insert(
            1,
            Tracee {
                tids: [root].into(),
                tgid: root,
                snap: Snapshot::default(),
                brk: None,
            },
        );
        Recorder {
            sim: Simulation::by_name("modern").expect("modern is a scheme"),
            steps: Vec::new(),
            procs,
            tasks: [(root, 1)].into(),
            next_pid: 2,
            files: FileTable::default(),
            frames,
            pfn_of: HashMap::new(),
            check,
            caps,
            stats: TraceStats::default(),
            checked_to: 0,
            exited: Vec::new(),
            started: false,
        }
    }

    /// Steps recorded so far.
    pub fn steps_recorded(&self) -> usize {
        self.steps.len()
    }

    /// Processes the scenario has.
    pub fn processes(&self) -> u32 {
        self.next_pid - 1
    }

    /// The recorded steps, the files seen, the check (if asked for).
    pub fn finish(self) -> (Vec<Step>, FileTable, Option<TraceCheck>, TraceStats) {
        (self.steps, self.files, self.check, self.stats)
    }

    fn warn(&mut self, what: &str) {
        *self.stats.warnings.entry(what.to_string()).or_default() += 1;
    }

    /// Applies `op` to the model and records it with `note`. An op the model refuses is not
    /// recorded (a recorder limit, counted).
    fn emit(&mut self, op: Op, note: String) -> bool {
        let r = self.sim.step(&op, false);
        if let Some(e) = r.error {
            self.warn(&format!(
                "a {} the model refused was left out ({e})",
                op.name()
            ));
            return false;
        }
        self.steps.push(op.with_note(note));
        true
    }

    /// The caps: Stop when one is reached.
    fn caps_flow(&mut self) -> Flow {
        let m = &self.sim.machine;
        let vmas: usize = m.procs.values().map(|p| p.mm.vmas.len()).sum();
        let pages = m.pages.alive_count() as u64;
        let why = if self.steps.len() >= self.caps.steps {
            Some(format!("{} steps (--max-steps)", self.caps.steps))
        } else if vmas >= self.caps.vmas {
            Some(format!("{} vmas (--max-vmas)", self.caps.vmas))
        } else if pages >= self.caps.pages {
            Some(format!("{} pages (--max-pages)", self.caps.pages))
        } else if m.procs.len() >= self.caps.processes {
            Some(format!(
                "{} processes (--max-processes)",
                self.caps.processes
            ))
        } else {
            None
        };
        match why {
            Some(w) => Flow::Stop(format!("the trace reached the cap of {w}")),
            None => Flow::Go,
        }
    }

    fn file_name(&mut self, tid: i32, e: &MapsEntry) -> String {
        if let Some(n) = self.files.known(e) {
            return n.to_string();
        }
        self.files.name(e, || probe(tid, e))
    }

    fn pid_of(&self, tid: i32) -> Option<Pid> {
        if !self.started {
            return None;
        }
        self.tasks.get(&tid).copied()
    }

    fn record_exit(&mut self, pid: Pid, why: String) {
        self.emit(Op::Exit { pid }, why);
        if let Some(p) = self.procs.remove(&pid) {
            self.exited.push((pid, p.snap));
        }
    }

    // ----- the system calls ----------------------------------------------------------------

    fn mmap(&mut self, pid: Pid, tid: i32, call: &Call, ret: i64, desc: String) {
        let Call::Mmap { len, flags, .. } = *call else {
            return;
        };
        let start = ret as u64;
        let n = pages(len);
        let end = start + n * PAGE_SIZE;
        let Some(maps) = read_maps(tid) else {
            return;
        };
        let Some(e) = maps
            .iter()
            .find(|e| e.start <= start && start < e.end)
            .cloned()
        else {
            self.warn("an mmap whose vma /proc/PID/maps no longer showed was left out");
            return;
        };
        if flags & libc::MAP_HUGETLB as u64 != 0 {
            self.warn("MAP_HUGETLB mappings are recorded as 4 KiB pages");
        }
        let occupied = self
            .sim
            .machine
            .proc(pid)
            .map(|p| !p.mm.overlapping(start, end).is_empty())
            .unwrap_or(false);
        if occupied {
            let why = if flags & libc::MAP_FIXED as u64 != 0 {
                "MAP_FIXED: the kernel unmaps what was there first"
            } else {
                "the model still mapped this range (a recorder gap)"
            };
            self.emit(
                Op::Munmap {
                    pid,
                    addr: start,
                    pages: n,
                },
                format!("pid {pid}: {desc}: {why}"),
            );
        }
        let (shared, file, offset) = if e.is_named_anon() {
            (false, None, 0)
        } else if e.is_shmem() {
            (true, None, 0)
        } else {
            let name = self.file_name(tid, &e);
            let off = e.offset / PAGE_SIZE + (start - e.start) / PAGE_SIZE;
            (e.shared, Some(name), off)
        };
        let op = Op::Mmap(MmapArgs {
            pid,
            addr: start,
            pages: n,
            prot: e.prot,
            shared,
            file,
            offset,
        });
        self.emit(op, format!("pid {pid}: {desc}"));
    }

    /// brk returns the new break, or the old one when it fails: the heap changes when the
    /// page-aligned break does.
    fn brk(&mut self, pid: Pid, ret: i64, desc: String) {
        let new = ret as u64;
        let Some(p) = self.procs.get_mut(&pid) else {
            return;
        };
        let Some((start, old)) = p.brk else {
            self.warn("a brk whose heap start was unknown was left out");
            return;
        };
        p.brk = Some((start, new));
        let (heap, o, n) = (page_up(start), page_up(old), page_up(new));
        if n == o || n < heap {
            return;
        }
        let what = if n > o { "grows" } else { "shrinks" };
        self.emit(
            Op::Brk {
                pid,
                start: heap,
                pages: (n - heap) / PAGE_SIZE,
            },
            format!("pid {pid}: {desc}: the heap {what}"),
        );
    }

    /// madvise(MADV_DONTNEED / MADV_FREE), recorded for the parts of the range the model has
    /// mapped, one Madvise per mapped run: Linux advises those and fails with ENOMEM for the
    /// holes, which a scenario step would report as an error.
    fn madvise(&mut self, pid: Pid, call: &Call, desc: String) {
        let Call::Madvise { addr, len, advice } = *call else {
            return;
        };
        let a = advice as i32;
        let how = if a == libc::MADV_DONTNEED || a == libc::MADV_DONTNEED_LOCKED {
            Advice::DontNeed
        } else if a == libc::MADV_FREE {
            Advice::Free
        } else if a == libc::MADV_REMOVE {
            self.warn(
                "madvise(MADV_REMOVE) is recorded as MADV_DONTNEED: the ptes go, but the file's \
                 pages stay cached in the model (the kernel frees its backing store)",
            );
            Advice::DontNeed
        } else {
            return;
        };
        let end = addr.saturating_add(pages(len) * PAGE_SIZE);
        let runs: Vec<(Addr, Addr)> = match self.sim.machine.proc(pid) {
            Ok(p) => {
                let mut runs: Vec<(Addr, Addr)> = Vec::new();
                for v in &p.mm.vmas[p.mm.overlapping(addr, end)] {
                    let (s, e) = (v.start.max(addr), v.end.min(end));
                    match runs.last_mut() {
                        Some(last) if last.1 == s => last.1 = e,
                        _ => runs.push((s, e)),
                    }
                }
                runs
            }
            Err(_) => return,
        };
        for (s, e) in runs {
            self.emit(
                Op::Madvise {
                    pid,
                    addr: s,
                    pages: (e - s) / PAGE_SIZE,
                    advice: how,
                },
                if (s, e) == (addr, end) {
                    format!("pid {pid}: {desc}")
                } else {
                    format!("pid {pid}: {desc}: its mapped part {s:#x}-{e:#x}")
                },
            );
        }
    }

    fn mremap(&mut self, pid: Pid, call: &Call, ret: i64, desc: String) {
        let Call::Mremap {
            addr,
            old_len,
            new_len,
            flags,
            ..
        } = *call
        else {
            return;
        };
        if old_len == 0 {
            self.warn("mremap with old_len 0 (a second mapping of shared memory) was left out");
            return;
        }
        let to = ret as u64;
        let (pages_old, pages_new) = (pages(old_len), pages(new_len));
        let op = Op::Mremap {
            pid,
            addr,
            pages: pages_old,
            new_pages: (pages_new != pages_old).then_some(pages_new),
            to: (to != addr).then_some(to),
        };
        self.emit(op, format!("pid {pid}: {desc}"));
        if flags & libc::MREMAP_DONTUNMAP as u64 != 0 && to != addr {
            self.warn(
                "MREMAP_DONTUNMAP is recorded as a move followed by an anonymous mmap of the old \
                 range",
            );
            self.emit(
                Op::Mmap(MmapArgs {
                    pid,
                    addr,
                    pages: pages_old,
                    prot: Prot::RW,
                    shared: false,
                    file: None,
                    offset: 0,
                }),
                format!("pid {pid}: {desc}: MREMAP_DONTUNMAP leaves the old range mapped, empty"),
            );
        }
    }
}

impl Handler for Recorder {
    fn exec(&mut self, tid: i32, former: i32) -> Flow {
        self.started = true;
        let Some(old) = self.pid_of(former).or_else(|| self.pid_of(tid)) else {
            return Flow::Go;
        };
        self.tasks.remove(&former);
        let tgid = tgid_of(tid).unwrap_or(tid);
        let owner = self.procs.get(&old).map(|p| p.tgid);
        let desc = cmdline(tid);
        let pid = if owner == Some(tgid) {
            // The process itself: its address space is replaced; its other threads are gone.
            if let Some(p) = self.procs.get_mut(&old) {
                p.tids = [tid].into();
            }
            self.tasks.retain(|_, p| *p != old);
            self.emit(
                Op::Exec { pid: old },
                format!("pid {old}: {desc} = 0: a new, empty address space"),
            );
            old
        } else {
            // A vfork (or CLONE_VM) child: it leaves its parent's address space for a new one.
            if let Some(p) = self.procs.get_mut(&old) {
                p.tids.remove(&former);
                p.tids.remove(&tid);
            }
            let pid = self.next_pid;
            self.next_pid += 1;
            self.emit(
                Op::Spawn { pid },
                format!(
                    "pid {pid}: {desc} = 0 in a vfork child of pid {old} (it used pid {old}'s \
                     address space until now): a new, unrelated address space"
                ),
            );
            self.procs.insert(
                pid,
                Tracee {
                    tids: [tid].into(),
                    tgid,
                    snap: Snapshot::default(),
                    brk: None,
                },
            );
            pid
        };
        self.tasks.insert(tid, pid);
        let mut gone = Snapshot::default();
        let heap_start = start_brk(tid);
        if let Some(p) = self.procs.get_mut(&pid) {
            p.brk = heap_start.map(|s| (s, s));
            gone = std::mem::take(&mut p.snap);
        }
        // The frames the old address space mapped are mapped once fewer now.
        self.refresh_frames(pid, &gone, &Snapshot::default());
        let Some(maps) = read_maps(tid) else {
            return Flow::Go;
        };
        let program = std::fs::read_link(format!("/proc/{tid}/exe")).ok();
        for e in &maps {
            // A heap that exec already made (the loader's brk for a bss) starts at start_brk.
            if let Some(s) = heap_start.map(page_up)
                && e.path == "[heap]"
                && e.start == s
            {
                if let Some(p) = self.procs.get_mut(&pid) {
                    p.brk = Some((s, e.end));
                }
                self.emit(
                    Op::Brk {
                        pid,
                        start: s,
                        pages: (e.end - s) / PAGE_SIZE,
                    },
                    format!(
                        "pid {pid}: execve made the heap (read from /proc/PID/maps after the exec)"
                    ),
                );
                continue;
            }
            let (shared, file, offset, what) = if e.is_named_anon() {
                let w = match e.path.as_str() {
                    "[stack]" => "the stack".to_string(),
                    "[heap]" => "the heap".to_string(),
                    _ => "anonymous memory (a bss)".to_string(),
                };
                (false, None, 0, w)
            } else if e.is_shmem() {
                (true, None, 0, "shared anonymous memory".to_string())
            } else {
                let name = self.file_name(tid, e);
                let what = if program.as_deref() == Some(std::path::Path::new(&e.path)) {
                    "the program"
                } else {
                    "the program interpreter"
                };
                (e.shared, Some(name), e.offset / PAGE_SIZE, what.to_string())
            };
            let op = Op::Mmap(MmapArgs {
                pid,
                addr: e.start,
                pages: (e.end - e.start) / PAGE_SIZE,
                prot: e.prot,
                shared,
                file,
                offset,
            });
            self.emit(
                op,
                format!(
                    "pid {pid}: execve mapped {what} (read from /proc/PID/maps after the exec)"
                ),
            );
        }
        self.sync(pid, tid, "after the execve");
        self.check_point();
        self.caps_flow()
    }

    fn syscall_entry(&mut self, tid: i32, call: &Call) -> Flow {
        if matches!(call, Call::Shm) {
            self.warn("SysV shared memory (shmat / shmdt) is not recorded");
        }
        let Some(pid) = self.pid_of(tid) else {
            return Flow::Go;
        };
        if !matches!(call, Call::Other) {
            self.stats.syscalls += 1;
        }
        self.sync(pid, tid, "at a system call");
        self.check_point();
        self.caps_flow()
    }

    fn syscall_exit(&mut self, tid: i32, call: &Call, ret: i64) -> Flow {
        let Some(pid) = self.pid_of(tid) else {
            return Flow::Go;
        };
        // brk reports failure by returning the old break; a madvise that fails with ENOMEM
        // (a hole in its range) has advised the mapped parts.
        let partly = matches!(call, Call::Madvise { .. }) && ret == -(libc::ENOMEM as i64);
        if (-4095..0).contains(&ret) && !matches!(call, Call::Brk { .. }) && !partly {
            return Flow::Go;
        }
        let desc = describe(call, ret);
        match *call {
            Call::Mmap { .. } => self.mmap(pid, tid, call, ret, desc),
            Call::Munmap { addr, len } => {
                self.emit(
                    Op::Munmap {
                        pid,
                        addr,
                        pages: pages(len),
                    },
                    format!("pid {pid}: {desc}"),
                );
            }
            Call::Mprotect { addr, len, prot } => {
                let p = Prot {
                    read: prot & libc::PROT_READ as u64 != 0,
                    write: prot & libc::PROT_WRITE as u64 != 0,
                    exec: prot & libc::PROT_EXEC as u64 != 0,
                };
                if prot & (libc::PROT_GROWSDOWN | libc::PROT_GROWSUP) as u64 != 0 {
                    self.warn("mprotect with PROT_GROWSDOWN is recorded for the range given only");
                }
                self.emit(
                    Op::Mprotect {
                        pid,
                        addr,
                        pages: pages(len),
                        prot: p,
                    },
                    format!("pid {pid}: {desc}"),
                );
            }
            Call::Mremap { .. } => self.mremap(pid, call, ret, desc),
            Call::Brk { .. } => self.brk(pid, ret, desc),
            Call::Madvise { .. } => self.madvise(pid, call, desc),
            _ => return Flow::Go,
        }
        self.sync(pid, tid, "after the system call");
        self.check_point();
        self.caps_flow()
    }

    fn new_task(&mut self, parent: i32, child: i32, call: &Call, shares_mm: bool) -> Flow {
        let Some(pid) = self.pid_of(parent) else {
            return Flow::Go;
        };
        if shares_mm {
            self.tasks.insert(child, pid);
            if let Some(p) = self.procs.get_mut(&pid) {
                p.tids.insert(child);
            }
            return Flow::Go;
        }
        let cpid = self.next_pid;
        self.next_pid += 1;
        let tgid = tgid_of(child).unwrap_or(child);
        let brk = self.procs.get(&pid).and_then(|p| p.brk);
        self.emit(
            Op::Fork { pid, child: cpid },
            format!("pid {pid}: {}", describe(call, cpid as i64)),
        );
        self.procs.insert(
            cpid,
            Tracee {
                tids: [child].into(),
                tgid,
                snap: Snapshot::default(),
                brk,
            },
        );
        self.tasks.insert(child, cpid);
        self.sync(cpid, child, "in the child right after the fork");
        self.check_point();
        self.caps_flow()
    }

    fn exiting(&mut self, tid: i32, status: i32) -> (Flow, bool) {
        let Some(pid) = self.pid_of(tid) else {
            return (Flow::Go, false);
        };
        let last = self
            .procs
            .get(&pid)
            .is_some_and(|p| p.tids.len() == 1 && p.tids.contains(&tid));
        self.sync(pid, tid, "at exit");
        self.tasks.remove(&tid);
        if let Some(p) = self.procs.get_mut(&pid) {
            p.tids.remove(&tid);
        }
        if last {
            let code = if libc::WIFEXITED(status) {
                format!("exit_group({})", libc::WEXITSTATUS(status))
            } else if libc::WIFSIGNALED(status) {
                format!("killed by signal {}", libc::WTERMSIG(status))
            } else {
                "exit".to_string()
            };
            self.record_exit(
                pid,
                format!("pid {pid}: {code}: the address space is torn down"),
            );
        } else {
            self.check_point();
        }
        (self.caps_flow(), last)
    }

    fn settled(&mut self, _tid: i32) -> Flow {
        self.forget_exited();
        self.check_point();
        Flow::Go
    }

    fn gone(&mut self, tid: i32) {
        let Some(pid) = self.tasks.remove(&tid) else {
            return;
        };
        let empty = match self.procs.get_mut(&pid) {
            Some(p) => {
                p.tids.remove(&tid);
                p.tids.is_empty()
            }
            None => false,
        };
        if empty {
            self.record_exit(
                pid,
                format!(
                    "pid {pid}: gone without an exit stop (killed): the address space is torn down"
                ),
            );
            self.forget_exited();
            self.check_point();
        }
    }
}
