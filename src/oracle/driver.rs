//! The controller's side of the driven processes: starting them, sending requests, following
//! fork, exec and exit.

use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::socket::{AddressFamily, SockFlag, SockType, setsockopt, socketpair, sockopt};
use nix::sys::time::TimeVal;

use super::cleanup::RunGuard;
use super::driven::{recv_message, send_message};
use super::protocol::{KernelOutcome, Reply, Request};
use super::runs::TAG_ENV;
use super::{OracleError, REGION_END};
use crate::model::Pid;

/// The hidden argument that starts rmapviz as a driven process.
pub const DRIVEN_ARG: &str = "__driven-process";

/// How long a driven process may take to answer one request.
const REPLY_TIMEOUT: Duration = Duration::from_secs(60);

struct DrivenProc {
    real: i32,
    sock: OwnedFd,
    /// Set for processes the controller started itself (Spawn), to be waited for.
    child: Option<Child>,
}

/// The scenario's live processes.
pub struct Driver<'g> {
    exe: PathBuf,
    guard: &'g RunGuard,
    procs: BTreeMap<Pid, DrivenProc>,
    /// The one CPU every driven process runs on (see [`pin`]).
    cpu: Option<usize>,
}

/// The first CPU this process may run on.
fn first_cpu() -> Option<usize> {
    let set = nix::sched::sched_getaffinity(nix::unistd::Pid::from_raw(0)).ok()?;
    (0..nix::sched::CpuSet::count()).find(|&c| set.is_set(c).unwrap_or(false))
}

/// Keeps process `real` (and so the children it forks and the images it execs) on `cpu`.
///
/// Whether a write fault reuses a page mapped once or copies it depends on the page's reference
/// count (`wp_can_reuse_anon_folio`), and a new page holds an extra reference while it waits in
/// the per-CPU batch of pages to be put on an LRU list. The fault drains the batch of its own
/// CPU only, so a process that moved to another CPU since it made the page gets a copy. With
/// every driven process on one CPU the batch is always the faulting CPU's, and reuse is
/// decided by the mappings alone, as the model decides it.
fn pin(real: i32, cpu: usize) -> Result<(), OracleError> {
    let mut set = nix::sched::CpuSet::new();
    set.set(cpu).map_err(failed)?;
    nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(real), &set).map_err(|e| {
        failed(format!(
            "cannot keep driven process {real} on CPU {cpu}: {e}"
        ))
    })
}

fn failed(what: impl std::fmt::Display) -> OracleError {
    OracleError::Failed(what.to_string())
}

impl<'g> Driver<'g> {
    pub fn new(exe: PathBuf, guard: &'g RunGuard) -> Self {
        Driver {
            exe,
            guard,
            procs: BTreeMap::new(),
            cpu: first_cpu(),
        }
    }

    /// Real pid of scenario pid `pid`.
    pub fn real_pid(&self, pid: Pid) -> Option<i32> {
        self.procs.get(&pid).map(|p| p.real)
    }

    /// Scenario pids with their real pids.
    pub fn pids(&self) -> Vec<(Pid, i32)> {
        self.procs.iter().map(|(k, p)| (*k, p.real)).collect()
    }

    fn prepare(sock: &OwnedFd) -> Result<(), OracleError> {
        let tv = TimeVal::new(REPLY_TIMEOUT.as_secs() as i64, 0);
        setsockopt(sock, sockopt::ReceiveTimeout, &tv).map_err(failed)
    }

    /// Waits for a new process image's hello. `fresh`: a new image (not a fork child, which has
    /// the scenario's mappings) must have nothing of its own below [`REGION_END`].
    fn hello(pid: Pid, sock: &OwnedFd, fresh: bool) -> Result<i32, OracleError> {
        match recv_message::<Reply>(sock.as_raw_fd()) {
            Ok((
                Reply::Hello {
                    pid: real,
                    lowest_mapping,
                },
                _,
            )) => {
                if fresh && lowest_mapping < REGION_END {
                    return Err(OracleError::Unsupported(format!(
                        "the driven process for pid {pid} has a mapping of its own at {lowest_mapping:#x}, \
                         below {REGION_END:#x} where the scenario's addresses must be free \
                         (is rmapviz built as a position-independent executable?)"
                    )));
                }
                Ok(real)
            }
            Ok((other, _)) => Err(failed(format!(
                "driven process for pid {pid}: expected hello, got {other:?}"
            ))),
            Err(e) => Err(failed(format!(
                "driven process for pid {pid} did not start: {e}"
            ))),
        }
    }

    /// Starts a new, unrelated driven process for `pid` (Spawn, and pid 1 at the start).
    pub fn spawn(&mut self, pid: Pid) -> Result<u64, OracleError> {
        let t = Instant::now();
        let (ours, theirs) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )
        .map_err(failed)?;
        Self::prepare(&ours)?;
        let controller = std::process::id() as libc::pid_t;
        let mut cmd = Command::new(&self.exe);
        cmd.arg(DRIVEN_ARG)
            .env(TAG_ENV, self.guard.tag())
            .stdin(Stdio::from(theirs))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        // SAFETY: between fork and exec the child only makes async-signal-safe calls (prctl,
        // getppid). It dies with the controller (with the thread that started it, which runs
        // the check to its end); processes forked from it see their socket close instead.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0
                    || libc::getppid() != controller
                {
                    return Err(std::io::Error::other("the controller is gone"));
                }
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .map_err(|e| failed(format!("cannot start {}: {e}", self.exe.display())))?;
        let real = child.id() as i32;
        self.guard.add_process(real).map_err(|e| {
            OracleError::Unsupported(format!("pidfd_open: {e} (Linux 5.3 or later is needed)"))
        })?;
        if let Some(cpu) = self.cpu {
            pin(real, cpu)?;
        }
        self.procs.insert(
            pid,
            DrivenProc {
                real,
                sock: ours,
                child: Some(child),
            },
        );
        let p = &self.procs[&pid];
        let hello = Self::hello(pid, &p.sock, true)?;
        if hello != real {
            return Err(failed(format!(
                "pid {pid}: started process {real} but {hello} said hello"
            )));
        }
        Ok(t.elapsed().as_nanos() as u64)
    }

    fn sock(&self, pid: Pid) -> Result<&DrivenProc, OracleError> {
        self.procs
            .get(&pid)
            .ok_or_else(|| failed(format!("no driven process for pid {pid}")))
    }

    /// Sends a request and waits for its Done.
    pub fn request(
        &mut self,
        pid: Pid,
        req: &Request,
    ) -> Result<(KernelOutcome, u64), OracleError> {
        self.request_with(pid, req, None)
    }

    /// Sends a request with descriptor `fd` attached and waits for its Done.
    pub fn request_with(
        &mut self,
        pid: Pid,
        req: &Request,
        fd: Option<RawFd>,
    ) -> Result<(KernelOutcome, u64), OracleError> {
        let p = self.sock(pid)?;
        send_message(p.sock.as_raw_fd(), req, fd)
            .map_err(|e| failed(format!("pid {pid}: cannot send {req:?}: {e}")))?;
        match recv_message::<Reply>(p.sock.as_raw_fd()) {
            Ok((Reply::Done { outcome, nanos }, _)) => Ok((outcome, nanos)),
            Ok((other, _)) => Err(failed(format!(
                "pid {pid}: unexpected reply {other:?} to {req:?}"
            ))),
            Err(e) => Err(failed(format!(
                "pid {pid}: no reply to {req:?}: {e} (did the driven process die?)"
            ))),
        }
    }

    /// fork() in `pid`'s process; `child` is the new scenario pid.
    pub fn fork(&mut self, pid: Pid, child: Pid) -> Result<(KernelOutcome, u64), OracleError> {
        let p = self.sock(pid)?;
        send_message(p.sock.as_raw_fd(), &Request::Fork, None)
            .map_err(|e| failed(format!("pid {pid}: cannot send Fork: {e}")))?;
        let (reply, fd) = recv_message::<Reply>(p.sock.as_raw_fd())
            .map_err(|e| failed(format!("pid {pid}: no reply to Fork: {e}")))?;
        let (real, nanos) = match reply {
            Reply::Forked { child, nanos } => (child, nanos),
            Reply::Done { outcome, nanos } => return Ok((outcome, nanos)),
            other => {
                return Err(failed(format!(
                    "pid {pid}: unexpected reply {other:?} to Fork"
                )));
            }
        };
        self.guard
            .add_process(real)
            .map_err(|e| failed(format!("pidfd_open({real}): {e}")))?;
        let sock = fd.ok_or_else(|| failed(format!("pid {pid}: Fork reply without a socket")))?;
        Self::prepare(&sock)?;
        let hello = Self::hello(child, &sock, false)?;
        self.procs.insert(
            child,
            DrivenProc {
                real,
                sock,
                child: None,
            },
        );
        if hello != real {
            return Err(failed(format!(
                "pid {child}: forked {real} but {hello} said hello"
            )));
        }
        Ok((KernelOutcome::Ok, nanos))
    }

    /// execve() in `pid`'s process: the same process continues with a fresh image.
    pub fn exec(&mut self, pid: Pid) -> Result<(KernelOutcome, u64), OracleError> {
        let t = Instant::now();
        let p = self.sock(pid)?;
        send_message(p.sock.as_raw_fd(), &Request::Exec, None)
            .map_err(|e| failed(format!("pid {pid}: cannot send Exec: {e}")))?;
        match recv_message::<Reply>(p.sock.as_raw_fd()) {
            Ok((
                Reply::Hello {
                    pid: real,
                    lowest_mapping,
                },
                _,
            )) => {
                if real != p.real {
                    return Err(failed(format!(
                        "pid {pid}: exec came back as process {real}"
                    )));
                }
                if lowest_mapping < REGION_END {
                    return Err(OracleError::Unsupported(format!(
                        "after exec, pid {pid} has a mapping of its own at {lowest_mapping:#x}"
                    )));
                }
                Ok((KernelOutcome::Ok, t.elapsed().as_nanos() as u64))
            }
            Ok((Reply::Done { outcome, nanos }, _)) => Ok((outcome, nanos)),
            Ok((other, _)) => Err(failed(format!(
                "pid {pid}: unexpected reply {other:?} to Exec"
            ))),
            Err(e) => Err(failed(format!("pid {pid}: no reply to Exec: {e}"))),
        }
    }

    /// _exit() in `pid`'s process; returns once its address space is gone.
    pub fn exit(&mut self, pid: Pid) -> Result<(KernelOutcome, u64), OracleError> {
        let t = Instant::now();
        let (outcome, _) = self.request(pid, &Request::Exit)?;
        let Some(mut p) = self.procs.remove(&pid) else {
            return Err(failed(format!("no driven process for pid {pid}")));
        };
        if !self.guard.process_exited(p.real, Duration::from_secs(30)) {
            return Err(failed(format!(
                "pid {pid} (process {}) did not exit",
                p.real
            )));
        }
        if let Some(c) = p.child.as_mut() {
            let _ = c.wait();
        }
        Ok((outcome, t.elapsed().as_nanos() as u64))
    }
}
