//! The ptrace loop: starts the command as a tracee, follows forks, vforks, clones and execs, and
//! hands every stop that matters to a [`Handler`].
//!
//! Every task stops at each system call's entry and exit (`PTRACE_SYSCALL`, decoded with
//! `PTRACE_GET_SYSCALL_INFO`), at fork / vfork / clone and exec events, and when it exits
//! (`PTRACE_EVENT_EXIT`, while its address space still exists). `PTRACE_O_EXITKILL` kills every
//! tracee if rmapviz dies, however it dies.

use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::ptrace::{self, Event, Options};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid as NixPid, fork};

use super::TraceError;
use super::syscall::{CLONE_VFORK, CLONE_VM, Call, decode};

/// What the handler wants after a stop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Flow {
    Go,
    /// Stop tracing: kill the traced program (the reason is reported).
    Stop(String),
}

/// What the recorder is told.
pub trait Handler {
    /// `tid` finished an execve (`former` is the tid that called it, different when a thread
    /// of a multi-threaded process did).
    fn exec(&mut self, tid: i32, former: i32) -> Flow;
    /// `tid` is about to run `call`.
    fn syscall_entry(&mut self, tid: i32, call: &Call) -> Flow;
    /// `call` of `tid` returned `ret`.
    fn syscall_exit(&mut self, tid: i32, call: &Call, ret: i64) -> Flow;
    /// `parent` made `child`; `shares_mm` for threads and vfork / CLONE_VM children. `call` is
    /// the parent's call.
    fn new_task(&mut self, parent: i32, child: i32, call: &Call, shares_mm: bool) -> Flow;
    /// `tid` is exiting with wait status `status`; its address space still exists. Returns
    /// whether this was the last task of its address space (then [`Handler::settled`] is called
    /// once the kernel has torn the address space down).
    fn exiting(&mut self, tid: i32, status: i32) -> (Flow, bool);
    /// The last task of an address space is gone (or a zombie): its mm no longer exists.
    fn settled(&mut self, tid: i32) -> Flow;
    /// `tid` was reaped (it may not have reported an exit, e.g. when killed).
    fn gone(&mut self, tid: i32);
}

pub use super::Ending;

/// Every live tracee, shared with the signal watcher so that it can kill them.
type Live = Arc<Mutex<HashSet<i32>>>;

fn kill_all(live: &Live) {
    if let Ok(l) = live.lock() {
        for &t in l.iter() {
            let _ = kill(NixPid::from_raw(t), Signal::SIGKILL);
        }
    }
}

/// Looks the command up in PATH (as execvp would), before forking, so that the child only has
/// to exec and a missing command gets a clear message.
fn resolve(cmd: &str) -> Result<std::path::PathBuf, TraceError> {
    if cmd.contains('/') {
        return Ok(cmd.into());
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    for dir in std::env::split_paths(&path) {
        let p = dir.join(cmd);
        if let Ok(m) = std::fs::metadata(&p)
            && m.is_file()
        {
            use std::os::unix::fs::PermissionsExt;
            if m.permissions().mode() & 0o111 != 0 {
                return Ok(p);
            }
        }
    }
    Err(TraceError::Start(format!(
        "{cmd}: command not found in PATH"
    )))
}

/// A command started under ptrace, stopped before its exec.
pub struct Started {
    root: NixPid,
    /// The child writes the errno of a failed exec here.
    pipe: OwnedFd,
}

impl Started {
    /// The first task's tid.
    pub fn root(&self) -> i32 {
        self.root.as_raw()
    }
}

/// Starts `argv` stopped under ptrace, its output sent where `output` says.
pub fn start(argv: &[String], output: super::ProgramOutput) -> Result<Started, TraceError> {
    let first = argv
        .first()
        .ok_or_else(|| TraceError::Start("no command given (rmapviz trace -- COMMAND)".into()))?;
    let path = resolve(first)?;
    let cpath = CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| TraceError::Start(format!("{first}: the path holds a NUL byte")))?;
    let cargs: Vec<CString> = argv
        .iter()
        .map(|a| CString::new(a.as_bytes()))
        .collect::<Result<_, _>>()
        .map_err(|_| TraceError::Start("an argument holds a NUL byte".into()))?;
    let null = match output {
        super::ProgramOutput::Null => Some(
            std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/null")
                .map_err(|e| TraceError::Start(format!("/dev/null: {e}")))?,
        ),
        _ => None,
    };
    let (rd, wr): (OwnedFd, OwnedFd) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| TraceError::Start(format!("cannot make a pipe: {e}")))?;
    // SAFETY: the child only calls async-signal-safe functions (ptrace, raise, execv, write,
    // _exit) on data prepared before the fork.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            drop(rd);
            // SAFETY: dup2 on descriptors we own, in the child before exec.
            unsafe {
                match (&null, output) {
                    (Some(n), _) => {
                        libc::dup2(n.as_raw_fd(), 1);
                        libc::dup2(n.as_raw_fd(), 2);
                    }
                    (None, super::ProgramOutput::Stderr) => {
                        libc::dup2(2, 1);
                    }
                    _ => {}
                }
            }
            let _ = ptrace::traceme();
            let _ = nix::sys::signal::raise(Signal::SIGSTOP);
            let e = nix::unistd::execv(&cpath, &cargs)
                .err()
                .unwrap_or(Errno::ENOEXEC);
            let code = (e as i32).to_ne_bytes();
            // SAFETY: writing four bytes from a local buffer to our end of the pipe.
            unsafe {
                libc::write(wr.as_raw_fd(), code.as_ptr().cast(), code.len());
                libc::_exit(127)
            }
        }
        Ok(ForkResult::Parent { child }) => {
            drop(wr);
            match waitpid(child, Some(WaitPidFlag::__WALL | WaitPidFlag::__WNOTHREAD)) {
                Ok(WaitStatus::Stopped(_, Signal::SIGSTOP)) => {}
                Ok(other) => {
                    return Err(TraceError::Start(format!(
                        "the child did not stop for ptrace ({other:?}): is ptrace allowed here \
                         (/proc/sys/kernel/yama/ptrace_scope)?"
                    )));
                }
                Err(e) => return Err(TraceError::Start(format!("waitpid: {e}"))),
            }
            let opts = Options::PTRACE_O_TRACESYSGOOD
                | Options::PTRACE_O_TRACEFORK
                | Options::PTRACE_O_TRACEVFORK
                | Options::PTRACE_O_TRACECLONE
                | Options::PTRACE_O_TRACEEXEC
                | Options::PTRACE_O_TRACEEXIT
                | Options::PTRACE_O_EXITKILL;
            if let Err(e) = ptrace::setoptions(child, opts) {
                let _ = kill(child, Signal::SIGKILL);
                return Err(TraceError::Start(format!(
                    "ptrace(PTRACE_SETOPTIONS): {e}: is ptrace allowed here?"
                )));
            }
            Ok(Started {
                root: child,
                pipe: rd,
            })
        }
        Err(e) => Err(TraceError::Start(format!("fork: {e}"))),
    }
}

/// The errno the child wrote if its execv failed (read once every tracee is gone, so the pipe's
/// other end is closed).
fn exec_error(fd: &OwnedFd) -> Option<Errno> {
    let mut b = [0u8; 4];
    match nix::unistd::read(fd, &mut b) {
        Ok(4) => Some(Errno::from_raw(i32::from_ne_bytes(b))),
        _ => None,
    }
}

/// Waits until `tid` is a zombie or gone, so that its address space is torn down (at most one
/// second: a task that takes longer is compared as it is).
fn wait_torn_down(tid: i32) {
    let deadline = Instant::now() + Duration::from_secs(1);
    let path = format!("/proc/{tid}/stat");
    loop {
        let state = std::fs::read_to_string(&path).ok().and_then(|s| {
            s.rfind(')')
                .and_then(|i| s[i + 1..].split_whitespace().next().map(String::from))
        });
        match state.as_deref() {
            None | Some("Z") | Some("X") => return,
            _ if Instant::now() > deadline => return,
            _ => std::thread::sleep(Duration::from_micros(200)),
        }
    }
}

/// The tracer's own bookkeeping.
struct Loop<'h, H: Handler> {
    h: &'h mut H,
    live: Live,
    root: NixPid,
    /// The call each task is in (entered, not yet returned).
    pending: HashMap<i32, Call>,
    /// Children announced by their parent's event, not yet seen stopped.
    expected: HashSet<i32>,
    /// Children seen stopped before their parent's event.
    early: HashSet<i32>,
    stopping: Option<Ending>,
    ending: Option<Ending>,
}

impl<H: Handler> Loop<'_, H> {
    fn flow(&mut self, f: Flow) {
        if let Flow::Stop(why) = f
            && self.stopping.is_none()
        {
            self.stopping = Some(Ending::Stopped(why));
            kill_all(&self.live);
        }
    }

    fn active(&self) -> bool {
        self.stopping.is_none()
    }

    fn resume(&self, tid: i32, sig: Option<Signal>) {
        // A tracee killed meanwhile (ESRCH) reports its death through waitpid.
        let _ = ptrace::syscall(NixPid::from_raw(tid), sig);
    }

    fn add_live(&self, tid: i32) {
        if let Ok(mut l) = self.live.lock() {
            l.insert(tid);
        }
    }

    fn syscall_stop(&mut self, tid: i32) {
        let pid = NixPid::from_raw(tid);
        let Ok(info) = ptrace::syscall_info(pid) else {
            return;
        };
        match info.op {
            libc::PTRACE_SYSCALL_INFO_ENTRY => {
                // SAFETY: op ENTRY says the union holds `entry`.
                let e = unsafe { info.u.entry };
                let call = decode(e.nr, e.args, |p| {
                    ptrace::read(pid, p as ptrace::AddressType)
                        .ok()
                        .map(|v| v as u64)
                });
                if self.active() {
                    let f = self.h.syscall_entry(tid, &call);
                    self.flow(f);
                }
                self.pending.insert(tid, call);
            }
            libc::PTRACE_SYSCALL_INFO_EXIT => {
                // SAFETY: op EXIT says the union holds `exit`.
                let x = unsafe { info.u.exit };
                if let Some(call) = self.pending.remove(&tid)
                    && self.active()
                    && !matches!(call, Call::Other | Call::Clone { .. } | Call::Execve)
                {
                    let f = self.h.syscall_exit(tid, &call, x.sval);
                    self.flow(f);
                }
            }
            _ => {}
        }
    }

    fn child_started(&mut self, child: i32) {
        self.add_live(child);
        if self.early.remove(&child) {
            self.resume(child, None);
        } else {
            self.expected.insert(child);
        }
    }

    fn event(&mut self, tid: i32, event: i32) {
        let pid = NixPid::from_raw(tid);
        let ev = |e: Event| e as i32;
        if event == ev(Event::PTRACE_EVENT_FORK)
            || event == ev(Event::PTRACE_EVENT_VFORK)
            || event == ev(Event::PTRACE_EVENT_CLONE)
        {
            if let Ok(child) = ptrace::getevent(pid) {
                let child = child as i32;
                let call = self.pending.get(&tid).copied().unwrap_or(Call::Clone {
                    flags: if event == ev(Event::PTRACE_EVENT_VFORK) {
                        CLONE_VM | CLONE_VFORK
                    } else {
                        0
                    },
                });
                let shares = match call {
                    Call::Clone { flags } => flags & CLONE_VM != 0,
                    _ => false,
                } || event == ev(Event::PTRACE_EVENT_VFORK);
                if self.active() {
                    let f = self.h.new_task(tid, child, &call, shares);
                    self.flow(f);
                }
                self.child_started(child);
            }
        } else if event == ev(Event::PTRACE_EVENT_EXEC) {
            let former = ptrace::getevent(pid).map(|f| f as i32).unwrap_or(tid);
            if former != tid {
                if let Some(c) = self.pending.remove(&former) {
                    self.pending.insert(tid, c);
                }
                if let Ok(mut l) = self.live.lock() {
                    l.remove(&former);
                }
            }
            if self.active() {
                let f = self.h.exec(tid, former);
                self.flow(f);
            }
        } else if event == ev(Event::PTRACE_EVENT_EXIT) {
            let status = ptrace::getevent(pid).map(|s| s as i32).unwrap_or(0);
            if self.active() {
                let (f, last) = self.h.exiting(tid, status);
                self.flow(f);
                if last {
                    self.resume(tid, None);
                    wait_torn_down(tid);
                    if self.active() {
                        let f = self.h.settled(tid);
                        self.flow(f);
                    }
                    return;
                }
            }
        }
        self.resume(tid, None);
    }

    fn run(&mut self, interrupted: &AtomicI32, pipe: &OwnedFd) -> Result<Ending, TraceError> {
        self.add_live(self.root.as_raw());
        self.resume(self.root.as_raw(), None);
        loop {
            let sig = interrupted.load(Ordering::SeqCst);
            if sig != 0 && self.stopping.is_none() {
                self.stopping = Some(Ending::Interrupted(sig));
                kill_all(&self.live);
            }
            let st = match waitpid(None, Some(WaitPidFlag::__WALL | WaitPidFlag::__WNOTHREAD)) {
                Ok(s) => s,
                Err(Errno::EINTR) => continue,
                Err(Errno::ECHILD) => break,
                Err(e) => return Err(TraceError::Trace(format!("waitpid: {e}"))),
            };
            match st {
                WaitStatus::PtraceSyscall(p) => {
                    self.syscall_stop(p.as_raw());
                    self.resume(p.as_raw(), None);
                }
                WaitStatus::PtraceEvent(p, _, event) => self.event(p.as_raw(), event),
                WaitStatus::Stopped(p, sig) => {
                    let t = p.as_raw();
                    if sig == Signal::SIGSTOP && self.expected.remove(&t) {
                        self.resume(t, None);
                    } else if sig == Signal::SIGSTOP
                        && !self.live.lock().map(|l| l.contains(&t)).unwrap_or(true)
                    {
                        // A new child stopped before its parent's event: wait for the event.
                        self.early.insert(t);
                    } else if matches!(ptrace::getsiginfo(p), Err(Errno::EINVAL)) {
                        // A group-stop (SIGSTOP, SIGTSTP from outside): the tracee is let go on.
                        self.resume(t, None);
                    } else {
                        self.resume(t, Some(sig));
                    }
                }
                WaitStatus::Exited(p, code) => {
                    self.reaped(p.as_raw());
                    if p == self.root && self.ending.is_none() {
                        self.ending = Some(Ending::Exited(code));
                    }
                }
                WaitStatus::Signaled(p, sig, _) => {
                    self.reaped(p.as_raw());
                    if p == self.root && self.ending.is_none() {
                        self.ending = Some(Ending::Killed(sig as i32));
                    }
                }
                _ => {}
            }
        }
        if let Some(e) = exec_error(pipe) {
            return Err(TraceError::Start(format!("cannot run the command: {e}")));
        }
        Ok(self
            .stopping
            .take()
            .or(self.ending.take())
            .unwrap_or(Ending::Exited(0)))
    }

    fn reaped(&mut self, tid: i32) {
        if let Ok(mut l) = self.live.lock() {
            l.remove(&tid);
        }
        // A child that stopped before its parent's fork event waits for that event; if the
        // parent is gone it never comes: let such children go.
        for t in std::mem::take(&mut self.early) {
            self.add_live(t);
            self.resume(t, None);
        }
        self.pending.remove(&tid);
        self.h.gone(tid);
    }
}

/// Runs the started command until every task is gone, telling `h` what happens. With
/// `watch_signals`, SIGINT, SIGTERM and SIGHUP kill the traced program and end the trace (the
/// handler keeps what it recorded); a front end sets it, a library caller that shares its
/// process with other work does not.
pub fn run<H: Handler>(
    started: Started,
    h: &mut H,
    watch_signals: bool,
) -> Result<Ending, TraceError> {
    let Started { root, pipe } = started;
    let live: Live = Arc::new(Mutex::new(HashSet::new()));
    let interrupted = Arc::new(AtomicI32::new(0));
    let watcher = if watch_signals {
        let mut signals = signal_hook::iterator::Signals::new([
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
        ])
        .map_err(|e| TraceError::Trace(format!("cannot watch signals: {e}")))?;
        let handle = signals.handle();
        let live = live.clone();
        let interrupted = interrupted.clone();
        let thread = std::thread::spawn(move || {
            if let Some(sig) = signals.forever().next() {
                interrupted.store(sig, Ordering::SeqCst);
                kill_all(&live);
            }
        });
        Some((handle, thread))
    } else {
        None
    };
    let mut l = Loop {
        h,
        live: live.clone(),
        root,
        pending: HashMap::new(),
        expected: HashSet::new(),
        early: HashSet::new(),
        stopping: None,
        ending: None,
    };
    let r = l.run(&interrupted, &pipe);
    if let Some((handle, thread)) = watcher {
        handle.close();
        let _ = thread.join();
    }
    r
}
