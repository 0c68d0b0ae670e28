#![allow(dead_code)]
//! The real binary in a pseudo-terminal, its output read back through a terminal emulator
//! (vt100) and kept as raw bytes too. The child is killed and reaped on every path (a failed
//! assertion included), so tests leave no orphan behind.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use portable_pty::CommandBuilder;
use portable_pty::{Child, ExitStatus, MasterPty, PtySize, native_pty_system};

pub const BIN: &str = env!("CARGO_BIN_EXE_rmapviz");
pub const ROWS: u16 = 40;
pub const COLS: u16 = 120;

/// How the binary is started.
pub struct Start<'a> {
    pub args: &'a [&'a str],
    /// `XDG_STATE_HOME` (where the journal goes).
    pub state: &'a Path,
    pub cwd: &'a Path,
    /// Make the pty the child's controlling terminal (then closing it sends SIGHUP).
    pub controlling_tty: bool,
    /// `XDG_CONFIG_HOME` (where the configuration file is looked for); None: a directory with
    /// no configuration, so that the user's own file never changes a test.
    pub config: Option<&'a Path>,
    /// More environment variables.
    pub env: &'a [(&'a str, &'a str)],
}

pub struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Option<std::fs::File>,
    master: Option<Box<dyn MasterPty + Send>>,
    stop: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
    pub child: Box<dyn Child + Send + Sync>,
}

impl Screen {
    /// Starts `rmapviz ARGS` on a 120x40 pty; None (after saying why) where no pty can be had.
    pub fn start(args: &[&str], state: &Path, cwd: &Path) -> Option<Screen> {
        Screen::start_with(&Start {
            args,
            state,
            cwd,
            controlling_tty: true,
            config: None,
            env: &[],
        })
    }

    pub fn start_with(s: &Start) -> Option<Screen> {
        let mut cmd = CommandBuilder::new(BIN);
        cmd.args(s.args);
        cmd.cwd(s.cwd);
        cmd.env("TERM", "xterm-256color");
        cmd.env("XDG_STATE_HOME", s.state);
        let no_config = s.state.join("no-config");
        cmd.env("XDG_CONFIG_HOME", s.config.unwrap_or(&no_config));
        cmd.env_remove("NO_COLOR");
        for (k, v) in s.env {
            cmd.env(k, v);
        }
        cmd.set_controlling_tty(s.controlling_tty);
        Screen::spawn(cmd)
    }

    /// Starts any command (its own environment, the pty's size) on a fresh pty; None (after
    /// saying why) where no pty can be had.
    pub fn spawn(cmd: CommandBuilder) -> Option<Screen> {
        let pty = native_pty_system();
        let pair = match pty.openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        }) {
            Ok(p) => p,
            Err(e) => {
                println!("skipped: cannot open a pseudo-terminal: {e}");
                return None;
            }
        };
        let child = pair.slave.spawn_command(cmd).expect("spawn the command");
        drop(pair.slave);
        let master = pair.master;
        let fd = master.as_raw_fd().expect("the master's descriptor");
        // Our own descriptors for reading and writing, so that closing the master is ours to do.
        let dup = |fd| {
            // SAFETY: dup of an open descriptor; the result is owned by the OwnedFd.
            let d = unsafe { libc::dup(fd) };
            assert!(d >= 0, "dup: {}", std::io::Error::last_os_error());
            unsafe { OwnedFd::from_raw_fd(d) }
        };
        let read_fd = dup(fd);
        let writer = std::fs::File::from(dup(fd));
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZeroU16::new(ROWS).unwrap(),
            std::num::NonZeroU16::new(COLS).unwrap(),
            0,
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, r, st) = (Arc::clone(&parser), Arc::clone(&raw), Arc::clone(&stop));
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while !st.load(Ordering::SeqCst) {
                let mut pfd = libc::pollfd {
                    fd: read_fd.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one valid pollfd.
                let n = unsafe { libc::poll(&mut pfd, 1, 50) };
                if n <= 0 {
                    continue;
                }
                // SAFETY: reads into a valid buffer of its length.
                let n =
                    unsafe { libc::read(read_fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
                if n <= 0 {
                    // EIO: every slave descriptor is closed (the child ended).
                    break;
                }
                let bytes = &buf[..n as usize];
                r.lock().unwrap().extend_from_slice(bytes);
                p.lock().unwrap().process(bytes);
            }
        });
        Some(Screen {
            parser,
            raw,
            writer: Some(writer),
            master: Some(master),
            stop,
            reader: Some(reader),
            child,
        })
    }

    pub fn contents(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// The screen's rows as text, one string per row (every cell one char: the TUI draws no
    /// wide characters).
    pub fn rows(&self) -> Vec<String> {
        let p = self.parser.lock().unwrap();
        p.screen().rows(0, COLS).collect()
    }

    /// Row and column (0-based) of the first place `what` is on screen and `ok` accepts.
    pub fn find(&self, what: &str, ok: impl Fn(u16, u16) -> bool) -> Option<(u16, u16)> {
        for (r, line) in self.rows().iter().enumerate() {
            let chars: Vec<char> = line.chars().collect();
            let w: Vec<char> = what.chars().collect();
            for c in 0..chars.len().saturating_sub(w.len() - 1) {
                if chars[c..c + w.len()] == w[..] && ok(r as u16, c as u16) {
                    return Some((r as u16, c as u16));
                }
            }
        }
        None
    }

    /// The background colour of the cell at `row`, `col` (0-based).
    pub fn bg_at(&self, row: u16, col: u16) -> Option<vt100::Color> {
        let p = self.parser.lock().unwrap();
        p.screen().cell(row, col).map(|c| c.bgcolor())
    }

    /// The background colour of the cell at `row`, `col` once the frame has painted it: the
    /// text a test waits for can arrive before the rest of its frame (the frame is written in
    /// chunks), so this polls until the cell's background is set (not `Default`), for as long
    /// as `wait_for` waits; a cell still unpainted then fails the test.
    pub fn painted_bg_at(&self, row: u16, col: u16) -> vt100::Color {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            match self.bg_at(row, col) {
                Some(vt100::Color::Default) => {}
                Some(c) => return c,
                None => panic!("no cell at row {row}, column {col}"),
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "the cell at row {row}, column {col} was never given a background; the screen:\n{}",
            self.contents()
        );
    }

    /// Everything the child wrote so far.
    pub fn raw(&self) -> Vec<u8> {
        self.raw.lock().unwrap().clone()
    }

    pub fn wait_for(&self, what: &str) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if self.contents().contains(what) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "\"{what}\" never appeared; the screen:\n{}",
            self.contents()
        );
    }

    pub fn send(&mut self, keys: &str) {
        use std::io::Write;
        let w = self.writer.as_mut().expect("the pty is open");
        w.write_all(keys.as_bytes()).unwrap();
        w.flush().unwrap();
        std::thread::sleep(Duration::from_millis(120));
    }

    pub fn pid(&self) -> i32 {
        self.child.process_id().expect("the child's pid") as i32
    }

    /// Sends signal `sig` to the child.
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on our own child.
        let r = unsafe { libc::kill(self.pid(), sig) };
        assert_eq!(r, 0, "kill: {}", std::io::Error::last_os_error());
    }

    /// Closes the master side of the pty (as a terminal emulator that is closed does).
    pub fn close_master(&mut self) {
        self.stop_reader();
        self.writer = None;
        self.master = None;
    }

    fn stop_reader(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.reader.take() {
            let _ = t.join();
        }
    }

    /// The child's exit status if it ends within `limit`.
    pub fn exit_within(&mut self, limit: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return Some(s);
            }
            if start.elapsed() > limit {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn wait_exit(&mut self) -> ExitStatus {
        match self.exit_within(Duration::from_secs(20)) {
            Some(s) => s,
            None => panic!("rmapviz did not quit:\n{}", self.contents()),
        }
    }

    /// After the child ended: lets the reader take the last bytes, then stops it.
    pub fn drain(&mut self) {
        let start = Instant::now();
        while self.reader.as_ref().is_some_and(|t| !t.is_finished())
            && start.elapsed() < Duration::from_secs(2)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stop_reader();
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SAFETY: kill(2) on our own child, which has not been reaped.
            unsafe {
                libc::kill(self.pid(), libc::SIGKILL);
            }
            let _ = self.child.wait();
        }
        self.stop_reader();
    }
}

/// The journals (`journal-*.ron`) under the state directory `state`, by name.
pub fn journals(state: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(state.join("rmapviz"))
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    let n = p.file_name().unwrap_or_default().to_string_lossy();
                    n.starts_with("journal-") && n.ends_with(".ron")
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The one journal under `state`, read (fails if there is not exactly one).
pub fn the_journal(state: &Path) -> String {
    let js = journals(state);
    assert_eq!(js.len(), 1, "one journal: {js:?}");
    std::fs::read_to_string(&js[0]).unwrap()
}
