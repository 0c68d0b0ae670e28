//! `rmapviz trace -- COMMAND`: records a real program's memory-management behaviour as a
//! scenario.
//!
//! # Design
//!
//! * **The tracer** ([`tracer`], Linux): runs the command under ptrace, follows forks, vforks,
//!   clones and execs, and stops every task at each system call's entry and exit, at its exec
//!   and at its exit (while its address space still exists). `PTRACE_O_EXITKILL` kills the
//!   traced program if rmapviz dies.
//! * **The recorder** ([`recorder`]): keeps the `modern` model in step with the kernel. The
//!   memory system calls become ops at their exit (mmap, MAP_FIXED as munmap then mmap, munmap,
//!   mprotect, mremap, brk, madvise that zaps or lazily frees ptes); fork, exec and exit become
//!   Fork, Exec (or Spawn for a vfork child) and Exit; the mappings execve makes are read from
//!   `/proc/PID/maps`. At every stop the process's pagemap is read ([`crate::oracle::procfs`])
//!   and the ptes the model lacks become Read and Write steps ([`faults`]); a stack vma that
//!   starts lower than the model's becomes an mmap below it.
//! * **The check** ([`check`]): with `--check`, after each stop's steps the model is compared
//!   with the observations using the oracle's comparison.
//!
//! The pure parts (system call decoding, fault inference, the check's accounting, file naming)
//! build everywhere; the tracer and recorder need Linux.

pub mod check;
pub mod faults;
pub mod files;
pub mod syscall;

#[cfg(target_os = "linux")]
mod recorder;
#[cfg(target_os = "linux")]
pub mod tracer;

use std::collections::BTreeMap;
use std::fmt;

use crate::oracle::procfs::FrameAccess;
use crate::scenario::Scenario;

pub use check::{CheckPoint, TraceCheck};
pub use files::TracedFile;

/// Limits on what a trace records, so that the traced program cannot decide how much of the
/// machine rmapviz takes. Reaching one stops the trace (the program is killed) and keeps what
/// was recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caps {
    /// Steps recorded.
    pub steps: usize,
    /// vmas in the model, all processes together.
    pub vmas: usize,
    /// Pages in the model.
    pub pages: u64,
    /// Processes alive at once.
    pub processes: usize,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            steps: 200_000,
            vmas: 100_000,
            pages: 1 << 20,
            processes: 1000,
        }
    }
}

/// Counts of a trace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceStats {
    /// Memory and process system calls seen (entries).
    pub syscalls: usize,
    /// Address spaces read (maps and pagemap).
    pub observations: usize,
    /// What could not be recorded, with how often.
    pub warnings: BTreeMap<String, usize>,
}

/// Why a trace could not run.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    /// The machine does not allow tracing (no ptrace, no pagemap, not Linux).
    #[error("{0}")]
    Unsupported(String),
    /// The command could not be started.
    #[error("{0}")]
    Start(String),
    /// Tracing failed on the way.
    #[error("{0}")]
    Trace(String),
}

/// How a trace runs.
#[derive(Clone, Debug, Default)]
pub struct TraceOptions {
    /// Compare the model with the kernel after every stop.
    pub check: bool,
    pub caps: Caps,
    /// SIGINT, SIGTERM and SIGHUP end the trace (killing the program) and keep what was
    /// recorded. For the command line; a library caller keeps its own signal handling.
    pub watch_signals: bool,
    /// Where the traced program's standard output and error go.
    pub output: ProgramOutput,
}

/// Where the traced program writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProgramOutput {
    /// rmapviz's own standard output and error.
    #[default]
    Inherit,
    /// Both to rmapviz's standard error (standard output carries the scenario).
    Stderr,
    /// Nowhere (/dev/null).
    Null,
}

/// How the traced command ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The command's first process exited with this status.
    Exited(i32),
    /// The command's first process was killed by this signal.
    Killed(i32),
    /// The handler stopped the trace (a cap): the program was killed.
    Stopped(String),
    /// rmapviz was asked to stop (SIGINT, SIGTERM, SIGHUP): the program was killed.
    Interrupted(i32),
}

impl Ending {
    /// The trace was cut short (a cap, a signal): the scenario holds what was recorded.
    pub fn cut_short(&self) -> bool {
        matches!(self, Ending::Stopped(_) | Ending::Interrupted(_))
    }
}

/// How the program ended, in words: "the traced program {ending}".
impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ending::Exited(c) => write!(f, "exited with status {c}"),
            Ending::Killed(s) => write!(f, "was killed by signal {s}"),
            Ending::Stopped(why) => write!(f, "was killed: {why}"),
            Ending::Interrupted(s) => {
                write!(
                    f,
                    "was killed: rmapviz got signal {s} and stopped the trace"
                )
            }
        }
    }
}

/// A finished trace.
#[derive(Debug)]
pub struct Trace {
    pub scenario: Scenario,
    /// How the program ended.
    pub ending: Ending,
    pub files: Vec<TracedFile>,
    pub check: Option<TraceCheck>,
    pub stats: TraceStats,
    /// Whether frame numbers were visible (root), and why not when they were not.
    pub access: FrameAccess,
}

/// Shell-quotes `argv` for the title.
pub fn quote_command(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The scenario's `about`: how it was recorded and what that means for reading it.
fn about(command: &str, kernel: &str, processes: u32) -> String {
    format!(
        "Recorded by `rmapviz trace` from `{command}` on Linux {kernel} ({processes} process{}). \
         Steps are the program's memory system calls at their return (mmap; MAP_FIXED as munmap \
         then mmap; munmap, mprotect, mremap, brk; madvise with MADV_DONTNEED or MADV_FREE), fork, \
         exec (the mappings execve makes, read from /proc/PID/maps) and exit; a stack that grew \
         is an mmap below it. Page faults are not system calls: they are only observed at system \
         call boundaries and at exit, in /proc/PID/pagemap, and become Read and Write steps (a \
         zero or file page: a read; an anonymous page: a write; a frame that changed: a \
         copy-on-write); their order between two stops is unknown, and a write to a page already \
         mapped writable, or one that reuses a page, leaves no trace there. pids are renumbered \
         from 1 in creation order; addresses are kept. The vdso and vvar pages are left out: the \
         kernel maps them outside the rmap.",
        if processes == 1 { "" } else { "es" }
    )
}

/// Runs `argv` under ptrace and records it.
#[cfg(target_os = "linux")]
pub fn trace(argv: &[String], opts: &TraceOptions) -> Result<Trace, TraceError> {
    use crate::oracle::procfs::{kernel_release, open_frames, probe};

    let access = probe().map_err(|e| TraceError::Unsupported(e.to_string()))?;
    let (frames, access) = open_frames(access);
    let check = opts.check.then(|| TraceCheck {
        access: access.clone(),
        ..TraceCheck::default()
    });
    let started = tracer::start(argv, opts.output)?;
    let mut rec = recorder::Recorder::new(started.root(), frames, check, opts.caps);
    let ending = tracer::run(started, &mut rec, opts.watch_signals)?;
    if rec.steps_recorded() == 0 {
        return Err(TraceError::Start(
            "the command never started (no exec was seen)".into(),
        ));
    }
    let inner = rec;
    let processes = inner.processes();
    let (steps, files, check, stats) = inner.finish();
    let command = quote_command(argv);
    let scenario = Scenario {
        title: format!("trace: {command}"),
        about: about(&command, &kernel_release(), processes),
        steps,
    };
    Ok(Trace {
        scenario,
        ending,
        files: files.files().to_vec(),
        check,
        stats,
        access,
    })
}

/// Tracing is Linux's.
#[cfg(not(target_os = "linux"))]
pub fn trace(_argv: &[String], _opts: &TraceOptions) -> Result<Trace, TraceError> {
    Err(TraceError::Unsupported(
        "not supported on this platform (it traces with Linux's ptrace)".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_trace_rmapviz_stopped_is_cut_short() {
        let exited = Ending::Exited(3);
        assert!(!exited.cut_short());
        assert_eq!(exited.to_string(), "exited with status 3");
        assert!(!Ending::Killed(9).cut_short());
        let capped = Ending::Stopped("the step cap (10) was reached".into());
        assert!(capped.cut_short());
        assert_eq!(
            capped.to_string(),
            "was killed: the step cap (10) was reached"
        );
        assert!(Ending::Interrupted(2).cut_short());
    }

    #[test]
    fn commands_are_quoted_for_a_shell() {
        let argv: Vec<String> = ["sh", "-c", "ls /usr | wc -l", "it's"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(quote_command(&argv), "sh -c 'ls /usr | wc -l' 'it'\\''s'");
    }
}
