//! The terminal's input, read by the TUI itself: one poll(2) on standard input and on the
//! signal watcher's socket, then a read and a parse of the bytes into crossterm events.
//!
//! crossterm 0.29's own reader retries a terminal that went away forever (a read that returns 0
//! or EIO is neither an event nor "would block"), which spins a core and never returns to the
//! loop, so signals went unseen (crossterm-rs/crossterm#793). Here EOF, a read error and
//! POLLHUP / POLLERR all say [`Wake::Gone`], and the loop ends. The bytes are parsed by
//! `terminput` (crossterm's escape-sequence parser, published on its own) and converted to
//! crossterm's event types, which the rest of the TUI uses.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

use ratatui::crossterm::event::Event;

use super::signals::{Pending, Signals};

/// Why [`Input::wait`] returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wake {
    /// Terminal events, in the order they came.
    Events(Vec<Event>),
    /// The terminal changed size.
    Resize,
    /// SIGTERM, SIGINT or SIGHUP (its number).
    Signal(i32),
    /// The terminal is gone; the text says how it was noticed.
    Gone(String),
    /// Nothing happened within the timeout.
    Timeout,
}

/// Bytes to events, across reads: an escape sequence split between two reads is completed by
/// the second.
#[derive(Debug, Default)]
pub struct Parser {
    buf: Vec<u8>,
}

/// A pending sequence this long is garbage: it is dropped.
const MAX_SEQUENCE: usize = 256;

impl Parser {
    /// The events completed by `bytes`. A lone ESC is the Esc key unless more bytes came with
    /// it in the same read (then it starts a sequence), as terminals send them.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut out = Vec::new();
        for (i, &b) in bytes.iter().enumerate() {
            self.buf.push(b);
            let more = i + 1 < bytes.len();
            if more && self.buf == [0x1b] {
                continue;
            }
            match terminput::Event::parse_from(&self.buf) {
                Ok(Some(e)) => {
                    if let Ok(e) = terminput_crossterm::to_crossterm(e) {
                        out.push(e);
                    }
                    self.buf.clear();
                }
                Ok(None) if self.buf.len() < MAX_SEQUENCE => {}
                Ok(None) | Err(_) => self.buf.clear(),
            }
        }
        out
    }
}

/// Standard input as the TUI reads it.
pub struct Input {
    fd: RawFd,
    parser: Parser,
}

impl Input {
    /// Reads standard input (the caller made sure it is the terminal).
    pub fn stdin() -> Input {
        Input {
            fd: io::stdin().as_raw_fd(),
            parser: Parser::default(),
        }
    }

    /// Waits up to `timeout` (None: as long as it takes) for input or a signal.
    pub fn wait(&mut self, signals: &Signals, timeout: Option<Duration>) -> Wake {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let ms = deadline.map_or(-1, |d| {
                let left = d.saturating_duration_since(Instant::now());
                // Round up, so that a wait never ends early and spins.
                left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32
            });
            let mut fds = [
                libc::pollfd {
                    fd: self.fd,
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: signals.fd().as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            // SAFETY: `fds` is a valid array of two pollfd for the duration of the call.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Wake::Gone(format!("waiting for input: {e}"));
            }
            if fds[1].revents != 0 {
                match signals.take() {
                    Pending::Terminate(sig) => return Wake::Signal(sig),
                    Pending::Resize => return Wake::Resize,
                    Pending::Nothing => {}
                }
            }
            let rev = fds[0].revents;
            if rev & libc::POLLIN != 0 {
                match self.read() {
                    Ok(events) if !events.is_empty() => return Wake::Events(events),
                    // Part of a sequence: wait for the rest.
                    Ok(_) => {}
                    Err(why) => return Wake::Gone(why),
                }
            } else if rev & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
                return Wake::Gone("the terminal hung up".into());
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Wake::Timeout;
            }
        }
    }

    /// One read of what is there (poll said there is something).
    fn read(&mut self) -> Result<Vec<Event>, String> {
        let mut buf = [0u8; 1024];
        loop {
            // SAFETY: `buf` is valid for writes of its length.
            let n = unsafe { libc::read(self.fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                return Ok(self.parser.feed(&buf[..n as usize]));
            }
            if n == 0 {
                return Err("end of input from the terminal".into());
            }
            let e = io::Error::last_os_error();
            match e.kind() {
                io::ErrorKind::Interrupted => continue,
                io::ErrorKind::WouldBlock => return Ok(Vec::new()),
                _ => return Err(format!("reading the terminal: {e}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::{
        KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
    };

    fn key(e: &Event) -> (KeyCode, KeyModifiers, KeyEventKind) {
        match e {
            Event::Key(KeyEvent {
                code,
                modifiers,
                kind,
                ..
            }) => (*code, *modifiers, *kind),
            other => panic!("not a key: {other:?}"),
        }
    }

    #[test]
    fn keys_arrows_and_a_lone_escape() {
        let mut p = Parser::default();
        let ev = p.feed(b"l\x1b[C:");
        let got: Vec<_> = ev.iter().map(key).collect();
        assert_eq!(
            got,
            [
                (KeyCode::Char('l'), KeyModifiers::NONE, KeyEventKind::Press),
                (KeyCode::Right, KeyModifiers::NONE, KeyEventKind::Press),
                (KeyCode::Char(':'), KeyModifiers::NONE, KeyEventKind::Press),
            ]
        );
        // ESC alone in its read is the Esc key; Shift-Tab is CSI Z; Ctrl-C is 0x03.
        assert_eq!(key(&p.feed(b"\x1b")[0]).0, KeyCode::Esc);
        assert_eq!(key(&p.feed(b"\x1b[Z")[0]).0, KeyCode::BackTab);
        let c = p.feed(b"\x03");
        assert_eq!(
            (key(&c[0]).0, key(&c[0]).1),
            (KeyCode::Char('c'), KeyModifiers::CONTROL)
        );
    }

    #[test]
    fn a_sequence_split_between_reads_is_completed() {
        let mut p = Parser::default();
        assert!(p.feed(b"\x1b[").is_empty());
        assert!(p.feed(b"<0;12").is_empty());
        let ev = p.feed(b";7M\x1b[<0;12;7m");
        assert_eq!(ev.len(), 2);
        match (&ev[0], &ev[1]) {
            (Event::Mouse(down), Event::Mouse(up)) => {
                // SGR coordinates are 1-based; crossterm's are 0-based.
                assert_eq!((down.column, down.row), (11, 6));
                assert_eq!(down.kind, MouseEventKind::Down(MouseButton::Left));
                assert_eq!(up.kind, MouseEventKind::Up(MouseButton::Left));
            }
            other => panic!("not two mouse events: {other:?}"),
        }
        // The wheel.
        let ev = p.feed(b"\x1b[<65;3;4M");
        assert!(matches!(&ev[0], Event::Mouse(m) if m.kind == MouseEventKind::ScrollDown));
    }

    #[test]
    fn garbage_is_dropped_and_parsing_goes_on() {
        let mut p = Parser::default();
        let mut junk = vec![0x1b, b'['];
        junk.extend(std::iter::repeat_n(b'1', MAX_SEQUENCE + 10));
        let _ = p.feed(&junk);
        let ev = p.feed(b"q");
        assert_eq!(key(&ev[0]).0, KeyCode::Char('q'));
    }
}
