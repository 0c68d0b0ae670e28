//! Progress of long work on standard error: the one place the headless commands show it.
//!
//! A command that may take seconds (`record`, `check`, `replay` of a big scenario, a fuzz run,
//! a trace) starts a [`Progress`] with the number of units it will do and moves it as they are
//! done:
//!
//! ```no_run
//! let progress = rmapviz::progress::Progress::new("record S3", Some(6), "frame");
//! for step in 0..6 {
//!     progress.set_message(format!("step {step}"));
//!     // ... the work of one frame ...
//!     progress.inc(1);
//! }
//! progress.finish(); // or drop it: the line is cleared either way
//! ```
//!
//! Nothing is shown when standard error is not a terminal, after [`set_quiet`] (`--quiet`), or
//! while the work is younger than [`DELAY`] (short work does not flash a bar). The handle is
//! cheap to clone and to call from the work's loop; a hidden one does nothing. Library code
//! takes a `Progress` (a hidden one by default: [`Progress::hidden`]) and never decides whether
//! it is shown.

use std::borrow::Cow;
use std::fmt;
use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Work shorter than this shows nothing.
pub const DELAY: Duration = Duration::from_millis(300);

/// How often a shown bar is redrawn by itself (its elapsed time moves while one unit is long).
const TICK: Duration = Duration::from_millis(200);

static QUIET: AtomicBool = AtomicBool::new(false);

/// `--quiet`: no progress at all for the rest of the process.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether progress may be shown: standard error is a terminal and `--quiet` was not given.
pub fn enabled() -> bool {
    !QUIET.load(Ordering::Relaxed) && std::io::stderr().is_terminal()
}

/// A handle on one piece of long work (see the module's documentation).
#[derive(Clone, Default)]
pub struct Progress {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    bar: ProgressBar,
    started: Instant,
    shown: AtomicBool,
}

impl Progress {
    /// Work called `what` (`"check S3"`) of `len` units named `unit` (`"step"`: the line reads
    /// `check S3 [====>   ] step 3 of 5 ...`); `None` when the total is not known beforehand.
    pub fn new(what: &str, len: Option<u64>, unit: &str) -> Progress {
        if !enabled() {
            return Progress::hidden();
        }
        let template = match len {
            Some(_) => format!(
                "{{prefix}} [{{bar:30}}] {unit} {{pos}} of {{len}}  {{elapsed}}  {{wide_msg}}"
            ),
            None => format!("{{spinner}} {{prefix}} {unit} {{pos}}  {{elapsed}}  {{wide_msg}}"),
        };
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ")
            .tick_chars("-\\|/ ");
        // Hidden until the work is older than DELAY.
        let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::hidden())
            .with_style(style)
            .with_prefix(printable(what));
        Progress {
            inner: Some(Arc::new(Inner {
                bar,
                started: Instant::now(),
                shown: AtomicBool::new(false),
            })),
        }
    }

    /// A handle that shows nothing (the default).
    pub fn hidden() -> Progress {
        Progress { inner: None }
    }

    /// Whether this handle may draw (it still waits for [`DELAY`]).
    pub fn is_active(&self) -> bool {
        self.inner.is_some()
    }

    /// `n` more units done.
    pub fn inc(&self, n: u64) {
        if let Some(i) = self.live() {
            i.bar.inc(n);
        }
    }

    /// `pos` units done.
    pub fn set_position(&self, pos: u64) {
        if let Some(i) = self.live() {
            i.bar.set_position(pos);
        }
    }

    /// The total is `len` units after all.
    pub fn set_length(&self, len: u64) {
        if let Some(i) = self.live() {
            i.bar.set_length(len);
        }
    }

    /// What is being done now, after the count (`"fork 1 2"`).
    pub fn set_message(&self, message: impl Into<Cow<'static, str>>) {
        if let Some(i) = self.live() {
            let message = message.into();
            if message.chars().any(char::is_control) {
                i.bar.set_message(printable(&message));
            } else {
                i.bar.set_message(message);
            }
        }
    }

    /// Runs `f` with the bar taken off the screen, for a line that must be printed while the
    /// work goes on (the bar is redrawn below it).
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.inner {
            Some(i) => i.bar.suspend(f),
            None => f(),
        }
    }

    /// The work is done: the bar's line is cleared (dropping the last handle does the same).
    pub fn finish(&self) {
        if let Some(i) = &self.inner {
            i.bar.finish_and_clear();
        }
    }

    /// The shown bar, drawn from now on once the work is older than [`DELAY`].
    fn live(&self) -> Option<&Inner> {
        let i = self.inner.as_deref()?;
        if !i.shown.load(Ordering::Relaxed)
            && i.started.elapsed() >= DELAY
            && !i.shown.swap(true, Ordering::Relaxed)
        {
            i.bar
                .set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
            i.bar.enable_steady_tick(TICK);
        }
        Some(i)
    }
}

/// `text` with its control characters (a file name's ESC) as `?`: the bar's line is drawn
/// as it is.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner {
            None => f.write_str("Progress(hidden)"),
            Some(i) => write!(f, "Progress({:?}, {})", i.bar.prefix(), i.bar.position()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_gives_a_hidden_handle_whatever_the_terminal() {
        set_quiet(true);
        let p = Progress::new("work", Some(3), "step");
        set_quiet(false);
        assert!(!p.is_active());
        // Every call is harmless on a hidden handle.
        p.inc(1);
        p.set_message("x");
        p.set_position(2);
        assert_eq!(p.suspend(|| 7), 7);
        p.finish();
    }

    #[test]
    fn hidden_is_the_default() {
        assert!(!Progress::default().is_active());
        assert!(!Progress::hidden().is_active());
    }
}
