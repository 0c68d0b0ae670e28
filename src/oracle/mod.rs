//! The kernel oracle: runs a scenario for real on the running Linux kernel and compares what
//! `/proc` shows after every step with the `modern` scheme's model (`rmapviz check`).
//!
//! # Design
//!
//! * **Driven processes.** Every scenario pid is a real process running `rmapviz` in a hidden
//!   "driven process" mode ([`driven`]). It owns nothing but its control socket (a `SOCK_SEQPACKET`
//!   pair, one message per request) and waits for requests: `mmap` / `munmap` / `mprotect` /
//!   `mremap` at the scenario's exact addresses (`MAP_FIXED_NOREPLACE`,
//!   `MREMAP_MAYMOVE | MREMAP_FIXED`; no huge pages: `PR_SET_THP_DISABLE`), `brk` on a break
//!   lent to the scenario's heap for the one call ([`heap`]), one-byte loads and
//!   stores for `Read` / `Write`, `fork`, `execve` and `_exit`. `Fork` really forks the driven
//!   process: the child keeps a fresh socket pair and the parent hands the other end to the
//!   controller with `SCM_RIGHTS`. `Exec` re-executes `/proc/self/exe` in driven mode, so the pid
//!   keeps going with a fresh image; `Spawn` starts a new, unrelated driven process. Driven
//!   processes are single-threaded, so forking them is safe, and they exit on their own when the
//!   controller's end of the socket closes (the ones the controller starts also die with it,
//!   `PR_SET_PDEATHSIG`). The scenario's files are memfds ([`files`]): nothing on disk.
//! * **Limits** ([`limits`]): the bytes of the files, the pages touched and the processes alive
//!   at once are capped; a scenario over a cap is refused before anything runs.
//! * **Faults.** Loads and stores are single instructions whose faults (SIGSEGV, SIGBUS) a
//!   handler in the driven process catches and skips, reporting the signal and address; the
//!   check goes on. A step the model refuses is run only as far as the model's error points
//!   (one access at the faulting address, or the system call), and is compared for the error.
//! * **Observation** ([`procfs`]): after every step, `/proc/PID/smaps` (or `maps`) and `/proc/PID/pagemap` of
//!   every live scenario process, and `/proc/kpagecount` and `/proc/kpageflags` for every frame.
//! * **Comparison** ([`compare`]): a pure function from the model's prediction ([`expected`])
//!   and the kernel's observation ([`observed`]) to differences. Raw frame numbers and swap
//!   offsets are never compared, only which ptes share them.
//! * **Reclaim** ([`reclaim`], [`charge`]): with `--reclaim`, a temporary swap file and one
//!   memory cgroup (v1, `memory.force_empty`) per reclaimed page; see [`charge`] for how exactly
//!   the scenario's target page, and nothing else, is charged to that cgroup.
//! * **Cleanup** ([`cleanup`], [`runs`]): every process, swap file, cgroup and file is
//!   registered before it is made and removed on every path: normal end, error, panic, SIGINT,
//!   SIGTERM. Every run keeps a locked record of what it makes; what a run killed with SIGKILL
//!   leaves, the next check removes, judging the run over by its record's lock.
//!
//! Everything that needs Linux lives behind `cfg(target_os = "linux")`; the pure parts
//! (prediction, observation types, comparison, report, charge plan) build everywhere.

pub mod charge;
pub mod compare;
pub mod expected;
pub mod limits;
pub mod observed;
pub mod protocol;
pub mod referenced;
pub mod report;

#[cfg(target_os = "linux")]
mod access;
#[cfg(target_os = "linux")]
pub mod cleanup;
#[cfg(target_os = "linux")]
pub mod driven;
#[cfg(target_os = "linux")]
mod driver;
#[cfg(target_os = "linux")]
mod files;
#[cfg(target_os = "linux")]
mod heap;
#[cfg(target_os = "linux")]
pub mod procfs;
#[cfg(target_os = "linux")]
pub mod reclaim;
#[cfg(target_os = "linux")]
mod run;
#[cfg(target_os = "linux")]
pub mod runs;

pub use compare::{Compared, Difference, StepComparison, compare};
pub use expected::{ExpPte, Expected, ExpectedProc, Injection, expected};
pub use limits::{Limits, check_limits};
pub use observed::{Backing, Frame, ObsPte, Observed, ObservedProc, VmaShape};
pub use report::{CheckReport, StepCheck, StepVerdict};

#[cfg(target_os = "linux")]
pub use run::run_check;

use std::path::PathBuf;

/// Exit status: every checked step agrees.
pub const EXIT_AGREE: u8 = 0;
/// Exit status: some step differs.
pub const EXIT_DIFFER: u8 = 1;
/// Exit status: the machine does not allow the (full) check.
pub const EXIT_UNSUPPORTED: u8 = 77;
/// Exit status: another `check --reclaim` held the machine's reclaim lock past `--wait`.
pub const EXIT_BUSY: u8 = 75;

/// The first address the oracle will not touch: scenario addresses must lie below it, where the
/// driven process (a PIE binary, its heap, libraries and stack live far above) has nothing.
pub const REGION_END: u64 = 0x1000_0000_0000;

/// How `check` runs.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// Really reclaim for `SwapOut` steps (swap file + memory cgroups); needs root.
    pub reclaim: bool,
    /// How much of the machine the scenario may use ([`limits`]).
    pub limits: Limits,
    /// How long `--reclaim` waits for another run's reclaim lock (None: as long as it takes).
    pub wait: Option<std::time::Duration>,
    /// The rmapviz executable that driven processes run. Default: the running executable.
    pub driven_exe: Option<PathBuf>,
    /// Test hook: a deliberately wrong model prediction, to show the check can fail.
    pub inject: Option<Injection>,
    /// Moved one step at a time (hidden by default).
    pub progress: crate::progress::Progress,
}

/// Why the check cannot run here at all (before any process was started).
#[derive(Debug, thiserror::Error)]
pub enum OracleError {
    /// The machine does not allow the check; the message says exactly what is missing.
    #[error("{0}")]
    Unsupported(String),
    /// Something failed while setting up or driving the processes.
    #[error("{0}")]
    Failed(String),
    /// The scenario would use more of the machine than allowed ([`limits`]); nothing ran.
    #[error("{0}")]
    OverLimit(String),
    /// Another run held the reclaim lock for longer than `--wait`.
    #[error("{0}")]
    Busy(String),
}
