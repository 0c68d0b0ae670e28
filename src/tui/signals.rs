//! Signals while the TUI owns the terminal. SIGTERM, SIGINT and SIGHUP end the TUI: a watcher
//! thread receives them and wakes the event loop (a byte on a socket that the loop polls along
//! with the terminal), which saves the journal, gives the terminal back and exits. Should the
//! loop not have done so within [`GRACE`] (stuck in a long computation, or writing to a terminal
//! that no longer reads), the watcher restores what it can itself and ends the process, so none
//! of the three is ever ignored. SIGWINCH only wakes the loop to redraw.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGWINCH};
use signal_hook::iterator::{Handle, Signals as SignalIter};

/// How long the event loop has to end after a terminating signal before the watcher ends the
/// process itself.
pub const GRACE: Duration = Duration::from_millis(1500);
/// How long the watcher waits for its own restore of the terminal (which may block writing to a
/// terminal nobody reads) before it exits regardless.
const RESTORE_WAIT: Duration = Duration::from_millis(300);

/// What the signals asked for since the last look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pending {
    Nothing,
    /// The terminal changed size.
    Resize,
    /// End now (the signal's number).
    Terminate(i32),
}

#[derive(Default)]
struct Shared {
    /// The first terminating signal received, 0 for none.
    terminate: AtomicI32,
    resized: AtomicBool,
    /// The loop has given the terminal back: the watcher has nothing left to guard.
    done: AtomicBool,
}

/// The watcher of SIGTERM, SIGINT, SIGHUP and SIGWINCH; dropping it stops the watch.
pub struct Signals {
    shared: Arc<Shared>,
    wake: UnixStream,
    handle: Handle,
    thread: Option<JoinHandle<()>>,
}

impl Signals {
    /// Starts watching. `restore` is what the watcher calls to give the terminal back when the
    /// loop did not end in time.
    pub fn start(restore: fn()) -> io::Result<Signals> {
        let (wake, notify) = UnixStream::pair()?;
        wake.set_nonblocking(true)?;
        notify.set_nonblocking(true)?;
        let mut iter = SignalIter::new([SIGTERM, SIGINT, SIGHUP, SIGWINCH])?;
        let handle = iter.handle();
        let shared = Arc::new(Shared::default());
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("rmapviz-signals".into())
            .spawn(move || {
                let mut notify = notify;
                for sig in iter.forever() {
                    if sig == SIGWINCH {
                        s.resized.store(true, Ordering::SeqCst);
                        let _ = notify.write(&[0]);
                        continue;
                    }
                    let _ =
                        s.terminate
                            .compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst);
                    let _ = notify.write(&[0]);
                    let start = Instant::now();
                    while start.elapsed() < GRACE {
                        if s.done.load(Ordering::SeqCst) {
                            return;
                        }
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    if !s.done.load(Ordering::SeqCst) {
                        exit_now(restore, sig);
                    }
                }
            })?;
        Ok(Signals {
            shared,
            wake,
            handle,
            thread: Some(thread),
        })
    }

    /// The descriptor that becomes readable when a signal arrived.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.wake.as_fd()
    }

    /// Empties the wake-up socket and says what is pending (ending wins over a resize).
    pub fn take(&self) -> Pending {
        let mut buf = [0u8; 64];
        while matches!((&self.wake).read(&mut buf), Ok(n) if n > 0) {}
        let sig = self.shared.terminate.load(Ordering::SeqCst);
        if sig != 0 {
            Pending::Terminate(sig)
        } else if self.shared.resized.swap(false, Ordering::SeqCst) {
            Pending::Resize
        } else {
            Pending::Nothing
        }
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        self.shared.done.store(true, Ordering::SeqCst);
        self.handle.close();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Restores the terminal from another thread (so a blocked write cannot keep the process
/// alive), waits a little for it, and exits with the shell's status for death by `sig`.
fn exit_now(restore: fn(), sig: i32) -> ! {
    let (tx, rx) = std::sync::mpsc::channel();
    let _ = std::thread::Builder::new().spawn(move || {
        restore();
        let _ = tx.send(());
    });
    let _ = rx.recv_timeout(RESTORE_WAIT);
    std::process::exit(128 + sig)
}

/// The name of a signal this module handles, for messages.
pub fn name(sig: i32) -> &'static str {
    match sig {
        SIGTERM => "SIGTERM",
        SIGINT => "SIGINT",
        SIGHUP => "SIGHUP",
        SIGWINCH => "SIGWINCH",
        _ => "a signal",
    }
}
