//! Everything a check sets up, registered before it exists (in the run's record on disk too,
//! [`super::runs`]), and removed on every path: when the run ends (its guard is dropped, also
//! on error or panic) or on SIGINT / SIGTERM / SIGHUP (a signal thread cleans every active run,
//! then exits with 128 + the signal). What SIGKILL leaves, the next check removes
//! ([`super::runs::clean_dead_runs`]).
//!
//! Processes are held by pidfd, so a kill can never hit a recycled pid.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Once};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::OracleError;
use super::runs::{Made, Record};

/// What one run has set up.
#[derive(Default)]
struct Resources {
    /// Started processes by pid, with their pidfds.
    procs: BTreeMap<i32, OwnedFd>,
    /// Swap files that are active (swapon'd), to swapoff.
    swaps: Vec<PathBuf>,
    /// Where the controller must be put back (a cgroup.procs file) if it moved itself.
    home_cgroup: Option<PathBuf>,
    /// Cgroup directories to remove, in creation order (removed in reverse).
    cgroups: Vec<PathBuf>,
    /// Files and directories to remove, in creation order (removed in reverse).
    paths: Vec<PathBuf>,
    /// The run's record, removed last.
    record: Option<Record>,
    /// A lock held until everything else is released (the machine-wide reclaim lock).
    lock: Option<nix::fcntl::Flock<std::fs::File>>,
}

static RUNS: Mutex<BTreeMap<u64, Resources>> = Mutex::new(BTreeMap::new());
static NEXT: AtomicU64 = AtomicU64::new(1);
static SIGNALS: Once = Once::new();

fn runs() -> MutexGuard<'static, BTreeMap<u64, Resources>> {
    RUNS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Opens a pidfd for `pid`.
pub fn pidfd_open(pid: i32) -> std::io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the descriptor was just created and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// A line on standard error (no panic if it is gone).
pub fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Sends SIGKILL to the process behind `fd`.
pub fn pidfd_kill(fd: &OwnedFd) {
    // SAFETY: pidfd_send_signal on a valid pidfd with no siginfo.
    unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            fd.as_raw_fd(),
            libc::SIGKILL,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
}

/// Waits until the process behind `fd` has exited (its address space is gone). False on timeout.
pub fn wait_exited(fd: &OwnedFd, timeout: Duration) -> bool {
    let end = Instant::now() + timeout;
    loop {
        let left = end.saturating_duration_since(Instant::now());
        let ms = PollTimeout::from(left.as_millis().min(1000) as u16);
        let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, ms) {
            Ok(n) if n > 0 => return true,
            Ok(_) if left.is_zero() => return false,
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(_) => return false,
        }
    }
}

fn reap(pid: i32) {
    // Our own children (spawned processes) become zombies until waited for; others give ECHILD.
    let _ = nix::sys::wait::waitpid(
        nix::unistd::Pid::from_raw(pid),
        Some(nix::sys::wait::WaitPidFlag::WNOHANG),
    );
}

fn release(r: Resources) -> Vec<String> {
    let mut problems = Vec::new();
    for fd in r.procs.values() {
        pidfd_kill(fd);
    }
    for (pid, fd) in &r.procs {
        if !wait_exited(fd, Duration::from_secs(10)) {
            problems.push(format!("process {pid} did not exit after SIGKILL"));
        }
        reap(*pid);
    }
    for s in &r.swaps {
        if let Err(e) = super::reclaim::swap_off(s) {
            problems.push(format!("swapoff {}: {e}", s.display()));
        }
    }
    if let Some(home) = &r.home_cgroup
        && let Err(e) = std::fs::write(home, std::process::id().to_string())
    {
        problems.push(format!("{}: {e}", home.display()));
    }
    for c in r.cgroups.iter().rev() {
        if let Err(e) = remove_cgroup(c) {
            problems.push(e);
        }
    }
    for p in r.paths.iter().rev() {
        if let Err(e) = remove_path(p) {
            problems.push(e);
        }
    }
    if let Some(rec) = r.record
        && problems.is_empty()
    {
        // With problems the record stays, for the next check to try again.
        rec.remove();
    }
    drop(r.lock);
    problems
}

/// Removes memory cgroup `c` and the cgroups in it (a cgroup whose processes are exiting
/// cannot be removed at once: tried for two seconds).
pub fn remove_cgroup(c: &Path) -> Result<(), String> {
    if let Ok(rd) = std::fs::read_dir(c) {
        for e in rd.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                remove_cgroup(&e.path())?;
            }
        }
    }
    let mut last = None;
    for _ in 0..200 {
        match std::fs::remove_dir(c) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => last = Some(e),
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Err(format!(
        "rmdir {}: {}",
        c.display(),
        last.map_or(String::new(), |e| e.to_string())
    ))
}

/// Removes file or directory `p` (a symlink itself, never what it points to).
pub fn remove_path(p: &Path) -> Result<(), String> {
    let res = match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(p),
        Ok(_) => std::fs::remove_file(p),
        Err(e) => Err(e),
    };
    match res {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("remove {}: {e}", p.display()))
        }
        _ => Ok(()),
    }
}

/// Removes everything of every active run, then exits (the signal path). The lock on the runs
/// is held until the process exits, so a main thread that finishes meanwhile waits in
/// [`RunGuard`]'s drop instead of ending the process half-way through the cleanup.
fn release_all_and_exit(code: i32) -> ! {
    let mut g = runs();
    for (_, r) in std::mem::take(&mut *g) {
        for p in release(r) {
            say(&format!("rmapviz: cleanup: {p}"));
        }
    }
    std::process::exit(code)
}

fn install_signal_thread() {
    SIGNALS.call_once(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        if let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) {
            std::thread::spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    say(&format!(
                        "rmapviz: signal {sig}: removing what the check set up"
                    ));
                    release_all_and_exit(128 + sig);
                }
            });
        }
    });
}

/// The resources of one run; dropping it removes them all.
pub struct RunGuard {
    id: u64,
    tag: String,
}

impl RunGuard {
    /// Starts a run, with its record (and, once per process, the signal thread).
    pub fn new() -> Result<RunGuard, OracleError> {
        install_signal_thread();
        let (tag, record) = Record::create()?;
        let id = NEXT.fetch_add(1, Ordering::SeqCst);
        runs().insert(
            id,
            Resources {
                record,
                ..Resources::default()
            },
        );
        Ok(RunGuard { id, tag })
    }

    /// The run's tag: in the names of what it makes, and in its processes' environment.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    fn with<T>(&self, f: impl FnOnce(&mut Resources) -> T) -> T {
        let mut g = runs();
        let r = g.entry(self.id).or_default();
        f(r)
    }

    /// Lists `m` in the run's record, before it is made.
    fn note(&self, m: Made) -> Result<(), OracleError> {
        self.with(|r| match r.record.as_mut() {
            Some(rec) => rec
                .note(&m)
                .map_err(|e| OracleError::Failed(format!("the run's record: {e}"))),
            None => Ok(()),
        })
    }

    /// Registers a started process by pid; returns false if its pidfd could not be opened.
    pub fn add_process(&self, pid: i32) -> std::io::Result<()> {
        let fd = pidfd_open(pid)?;
        self.with(|r| r.procs.insert(pid, fd));
        Ok(())
    }

    /// Waits for a process that is exiting by itself, then forgets it.
    pub fn process_exited(&self, pid: i32, timeout: Duration) -> bool {
        let fd = self.with(|r| r.procs.remove(&pid));
        let ok = fd.as_ref().is_none_or(|fd| wait_exited(fd, timeout));
        reap(pid);
        if !ok && let Some(fd) = fd {
            self.with(|r| r.procs.insert(pid, fd));
        }
        ok
    }

    /// A swap file about to be made (and turned on): turned off and removed at the end.
    pub fn add_swap(&self, p: PathBuf) -> Result<(), OracleError> {
        self.note(Made::Swap(p.clone()))?;
        self.with(|r| r.paths.push(p));
        Ok(())
    }

    /// The swap file `p` was turned on.
    pub fn swap_is_on(&self, p: PathBuf) {
        self.with(|r| r.swaps.push(p));
    }

    /// Holds `lock` until everything the run made is removed.
    pub fn hold(&self, lock: nix::fcntl::Flock<std::fs::File>) {
        self.with(|r| r.lock = Some(lock));
    }

    pub fn set_home_cgroup(&self, procs_file: PathBuf) {
        self.with(|r| r.home_cgroup = Some(procs_file));
    }

    /// A memory cgroup about to be made.
    pub fn add_cgroup(&self, p: PathBuf) -> Result<(), OracleError> {
        self.note(Made::Cgroup(p.clone()))?;
        self.with(|r| r.cgroups.push(p));
        Ok(())
    }

    /// A file or directory about to be made.
    pub fn add_path(&self, p: PathBuf) -> Result<(), OracleError> {
        self.note(Made::Path(p.clone()))?;
        self.with(|r| r.paths.push(p));
        Ok(())
    }

    /// Removes everything now; returns what could not be removed.
    pub fn finish(self) -> Vec<String> {
        let r = runs().remove(&self.id);
        std::mem::forget(self);
        r.map(release).unwrap_or_default()
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        let r = runs().remove(&self.id);
        if let Some(r) = r {
            for p in release(r) {
                say(&format!("rmapviz: cleanup: {p}"));
            }
        }
    }
}
