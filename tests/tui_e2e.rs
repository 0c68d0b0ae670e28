//! The real binary in a pseudo-terminal, read back through a terminal emulator (vt100): start
//! on S3, step, open the help, type an op, save, quit; the saved file replays to the same state
//! as S3 with that op added. Skips (saying why) where no pseudo-terminal can be opened.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const BIN: &str = env!("CARGO_BIN_EXE_rmapviz");

struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Screen {
    fn start(args: &[&str], state: &Path, cwd: &Path) -> Option<Screen> {
        let pty = native_pty_system();
        let pair = match pty.openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        }) {
            Ok(p) => p,
            Err(e) => {
                println!("skipped: cannot open a pseudo-terminal: {e}");
                return None;
            }
        };
        let mut cmd = CommandBuilder::new(BIN);
        cmd.args(args);
        cmd.cwd(cwd);
        cmd.env("TERM", "xterm-256color");
        cmd.env("XDG_STATE_HOME", state);
        cmd.env_remove("NO_COLOR");
        let child = pair.slave.spawn_command(cmd).expect("spawn rmapviz");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZeroU16::new(40).unwrap(),
            std::num::NonZeroU16::new(120).unwrap(),
            0,
        )));
        let p = Arc::clone(&parser);
        std::thread::spawn(move || {
            let _master = pair.master;
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                p.lock().unwrap().process(&buf[..n]);
            }
        });
        Some(Screen {
            parser,
            writer,
            child,
        })
    }

    fn contents(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, what: &str) {
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

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(120));
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "rmapviz did not quit:\n{}",
                self.contents()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rmapviz-e2e-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn replay_json(path: &Path) -> String {
    let out = std::process::Command::new(BIN)
        .args(["replay", path.to_str().unwrap(), "--json", "--state"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn step_help_type_save_quit_and_the_file_replays() {
    let dir = tempdir("main");
    let Some(mut s) = Screen::start(&[], &dir.join("state"), &dir) else {
        return;
    };
    s.wait_for("S3: fork, then mremap");
    s.wait_for("step 0/5");
    for _ in 0..5 {
        s.send("l");
    }
    s.wait_for("step 5/5");
    s.wait_for("try_to_unmap p2");
    s.send("?");
    s.wait_for("Keys everywhere");
    s.send("?");
    s.send(":fork 2 3\r");
    s.wait_for("step 6/6");
    s.wait_for("inserted step 6");
    s.send(":w saved.ron\r");
    s.wait_for("wrote saved.ron");
    s.send("q");
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}");

    // The saved file is S3 with the typed op, and replays to the same state.
    let saved = dir.join("saved.ron");
    let got = rmapviz::scenario::Scenario::read(&saved).expect("readable RON");
    let (mut want, _) = rmapviz::scenario::Scenario::load("S3").unwrap();
    want.steps.push(rmapviz::model::Op::Fork {
        pid: 2,
        child: 3,
        note: None,
    });
    assert_eq!(got, want);
    let reference = dir.join("reference.ron");
    std::fs::write(&reference, want.to_ron()).unwrap();
    assert_eq!(replay_json(&saved), replay_json(&reference));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unsaved_ops_are_journaled_and_offered_at_the_next_start() {
    let dir = tempdir("journal");
    let state = dir.join("state");
    let Some(mut s) = Screen::start(&["--new"], &state, &dir) else {
        return;
    };
    s.wait_for("step 0/0");
    s.send(":mmap 1 0x10000 4 rw\r");
    s.wait_for("step 1/1");
    // A mistyped op changes nothing and says what was expected.
    s.send(":mmap 1 0x20000\r");
    s.wait_for("expected PAGES");
    s.wait_for("step 1/1");
    s.send("q");
    s.wait_for("Typed ops are not saved");
    // Killed while asking: the journal keeps the typed op.
    s.child.kill().unwrap();
    let _ = s.wait_exit();
    assert!(state.join("rmapviz").join("journal.ron").is_file());

    let Some(mut s) = Screen::start(&["--new"], &state, &dir) else {
        return;
    };
    s.wait_for("An unsaved session was found");
    s.send("y");
    s.wait_for("step 1/1");
    s.wait_for("restored");
    s.send("q");
    s.wait_for("Typed ops are not saved");
    s.send("y");
    assert!(s.wait_exit().success());
    assert!(
        !state.join("rmapviz").join("journal.ron").exists(),
        "quitting on purpose removes it"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
