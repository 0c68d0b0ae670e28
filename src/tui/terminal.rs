//! The terminal's lifecycle, all in one place: raw mode, the alternate screen, mouse capture,
//! and getting every one of them undone on quit, on error, on panic, on a signal
//! ([`super::signals`]) and when the terminal went away.

use std::io::{self, Stdout, Write};
use std::mem::ManuallyDrop;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::Command;
use ratatui::crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::crossterm::{cursor, execute};

/// The terminal while the TUI owns it; dropping it gives the terminal back.
pub struct Tui {
    /// Never dropped: ratatui's `Terminal` shows the cursor when dropped and, if it cannot (the
    /// terminal is gone), reports it with `eprintln!`, which panics when standard error went
    /// with the terminal. [`restore`] has shown the cursor already.
    pub terminal: ManuallyDrop<Terminal<CrosstermBackend<Stdout>>>,
    mouse: bool,
}

/// What gives the screen back: mouse capture off, the main screen, the cursor shown.
pub fn restore_sequence() -> String {
    let mut s = String::new();
    let _ = DisableMouseCapture.write_ansi(&mut s);
    let _ = LeaveAlternateScreen.write_ansi(&mut s);
    let _ = cursor::Show.write_ansi(&mut s);
    s
}

/// Puts the terminal back as it was (idempotent; used by drop and by the panic hook). Errors
/// are ignored: a terminal that went away cannot be restored, and that is no reason to fail.
pub fn restore() {
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    let _ = out.write_all(restore_sequence().as_bytes());
    let _ = out.flush();
}

/// [`restore`] for the signal watcher when the event loop is stuck: it writes to the descriptor
/// directly, since the stuck loop may hold the lock of `io::stdout()`.
pub fn restore_from_another_thread() {
    let _ = disable_raw_mode();
    let seq = restore_sequence();
    let mut bytes = seq.as_bytes();
    while !bytes.is_empty() {
        // SAFETY: writes from a valid buffer to standard output, which stays open.
        let n = unsafe { libc::write(libc::STDOUT_FILENO, bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            break;
        }
        bytes = &bytes[n as usize..];
    }
}

impl Tui {
    /// Takes the terminal: raw mode, alternate screen, a panic hook that restores it first.
    pub fn enter() -> io::Result<Tui> {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            prev(info);
        }));
        enable_raw_mode()?;
        let mut out = io::stdout();
        if let Err(e) = execute!(out, EnterAlternateScreen) {
            restore();
            return Err(e);
        }
        let terminal = match Terminal::new(CrosstermBackend::new(out)) {
            Ok(t) => t,
            Err(e) => {
                restore();
                return Err(e);
            }
        };
        Ok(Tui {
            terminal: ManuallyDrop::new(terminal),
            mouse: false,
        })
    }

    /// Turns mouse capture on or off.
    pub fn set_mouse(&mut self, on: bool) -> io::Result<()> {
        if on != self.mouse {
            if on {
                execute!(self.terminal.backend_mut(), EnableMouseCapture)?;
            } else {
                execute!(self.terminal.backend_mut(), DisableMouseCapture)?;
            }
            self.mouse = on;
        }
        Ok(())
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        restore();
    }
}
