//! Everything a check sets up, registered the moment it exists, and removed on every path: when
//! the run ends (its guard is dropped, also on error or panic) or on SIGINT / SIGTERM / SIGHUP
//! (a signal thread cleans every active run, then exits with 128 + the signal).
//!
//! Processes are held by pidfd, so a kill can never hit a recycled pid.

use std::collections::BTreeMap;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Once};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

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

fn pidfd_kill(fd: &OwnedFd) {
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
        let mut last = None;
        for _ in 0..200 {
            match std::fs::remove_dir(c) {
                Ok(()) => {
                    last = None;
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    last = None;
                    break;
                }
                Err(e) => last = Some(e),
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if let Some(e) = last {
            problems.push(format!("rmdir {}: {e}", c.display()));
        }
    }
    for p in r.paths.iter().rev() {
        let res = if p.is_dir() {
            std::fs::remove_dir_all(p)
        } else {
            std::fs::remove_file(p)
        };
        if let Err(e) = res
            && e.kind() != std::io::ErrorKind::NotFound
        {
            problems.push(format!("remove {}: {e}", p.display()));
        }
    }
    problems
}

/// Removes everything of every active run, then exits (the signal path). The lock on the runs
/// is held until the process exits, so a main thread that finishes meanwhile waits in
/// [`RunGuard`]'s drop instead of ending the process half-way through the cleanup.
fn release_all_and_exit(code: i32) -> ! {
    let mut g = runs();
    for (_, r) in std::mem::take(&mut *g) {
        for p in release(r) {
            eprintln!("rmapviz: cleanup: {p}");
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
                    eprintln!("rmapviz: signal {sig}: removing what the check set up");
                    release_all_and_exit(128 + sig);
                }
            });
        }
    });
}

/// The resources of one run; dropping it removes them all.
pub struct RunGuard {
    id: u64,
}

impl RunGuard {
    /// Starts a run (and, once per process, the signal thread).
    pub fn new() -> RunGuard {
        install_signal_thread();
        let id = NEXT.fetch_add(1, Ordering::SeqCst);
        runs().insert(id, Resources::default());
        RunGuard { id }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Resources) -> T) -> T {
        let mut g = runs();
        let r = g.entry(self.id).or_default();
        f(r)
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

    pub fn add_swap(&self, p: PathBuf) {
        self.with(|r| r.swaps.push(p));
    }

    pub fn set_home_cgroup(&self, procs_file: PathBuf) {
        self.with(|r| r.home_cgroup = Some(procs_file));
    }

    pub fn add_cgroup(&self, p: PathBuf) {
        self.with(|r| r.cgroups.push(p));
    }

    pub fn add_path(&self, p: PathBuf) {
        self.with(|r| r.paths.push(p));
    }

    /// Removes everything now; returns what could not be removed.
    pub fn finish(self) -> Vec<String> {
        let r = runs().remove(&self.id);
        std::mem::forget(self);
        r.map(release).unwrap_or_default()
    }
}

impl Default for RunGuard {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        let r = runs().remove(&self.id);
        if let Some(r) = r {
            for p in release(r) {
                eprintln!("rmapviz: cleanup: {p}");
            }
        }
    }
}
