//! The real binary in a pseudo-terminal when the terminal goes away or a signal comes: it must
//! end promptly (never spin, never ignore SIGTERM / SIGINT / SIGHUP), with a non-zero status,
//! the journal of typed ops saved, and the terminal given back (alternate screen left, cursor
//! shown, mouse capture off). Skips (saying why) where no pseudo-terminal can be opened.

use std::time::Duration;

mod common;
mod pty;
use common::dir::test_dir;
use pty::{Screen, Start};

/// How long the process may take to end. The watcher's grace is 1.5 s and the loop normally
/// ends at once; the rest is room for a loaded machine.
const PROMPTLY: Duration = Duration::from_secs(4);

const LEAVE_ALTERNATE_SCREEN: &str = "\x1b[?1049l";
const SHOW_CURSOR: &str = "\x1b[?25h";
const MOUSE_ON: &str = "\x1b[?1000h";
const MOUSE_OFF: &str = "\x1b[?1000l";

fn last(hay: &str, needle: &str) -> Option<usize> {
    hay.rfind(needle)
}

/// The output ends by leaving the alternate screen and showing the cursor, and (with the mouse
/// captured) turns capture off after it was last turned on.
fn assert_restored(raw: &[u8], mouse: bool) {
    let out = String::from_utf8_lossy(raw);
    let leave = last(&out, LEAVE_ALTERNATE_SCREEN).expect("the alternate screen is left");
    let tail = &out[leave + LEAVE_ALTERNATE_SCREEN.len()..];
    // Then only the cursor shown and the message on standard error (no escape sequence).
    assert!(
        tail.starts_with(SHOW_CURSOR),
        "the cursor is shown: {tail:?}"
    );
    assert!(
        !tail.replace(SHOW_CURSOR, "").contains('\x1b'),
        "nothing but showing the cursor follows leaving the alternate screen: {tail:?}"
    );
    if mouse {
        let on = last(&out, MOUSE_ON).expect("mouse capture was turned on");
        let off = last(&out, MOUSE_OFF).expect("mouse capture is turned off");
        assert!(
            off > on,
            "mouse capture turned off after it was last turned on"
        );
        assert!(
            off < leave,
            "mouse capture off before the alternate screen is left"
        );
    }
}

#[test]
fn closing_the_terminal_ends_the_process() {
    // With the pty as controlling terminal (the kernel sends SIGHUP when it closes) and without
    // (then only the end of input says it: EOF, EIO, POLLHUP).
    for controlling_tty in [true, false] {
        let dir = test_dir(&format!("hangup-{controlling_tty}"));
        let Some(mut s) = Screen::start_with(&Start {
            args: &["--no-journal"],
            state: &dir.join("state"),
            cwd: &dir,
            controlling_tty,
            config: None,
            env: &[],
        }) else {
            return;
        };
        s.wait_for("step 0/5");
        s.send("l");
        s.wait_for("step 1/5");
        s.close_master();
        let status = s.exit_within(PROMPTLY).unwrap_or_else(|| {
            panic!("rmapviz kept running after its terminal closed (controlling tty: {controlling_tty})")
        });
        assert!(!status.success(), "a lost terminal is not a normal quit");
        // 128 + SIGHUP, as a shell reports a hangup (README, "Exit status").
        assert_eq!(status.exit_code(), 129, "{status:?}");
    }
}

#[test]
fn sigterm_sigint_and_sighup_end_it_and_give_the_terminal_back() {
    for (sig, name) in [
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGINT, "SIGINT"),
        (libc::SIGHUP, "SIGHUP"),
    ] {
        for mouse in [false, true] {
            let dir = test_dir(&format!("signal-{sig}-{mouse}"));
            let args: &[&str] = if mouse { &["--mouse"] } else { &[] };
            let Some(mut s) = Screen::start(args, &dir.join("state"), &dir) else {
                return;
            };
            s.wait_for("step 0/5");
            // A typed op, unsaved: the journal must keep it.
            s.send(":mmap 1 0x200000 2 rw\r");
            s.wait_for("step 1/6");
            // A step that is not an edit: only the save at the signal records it.
            s.send("l");
            s.wait_for("step 2/6");
            s.signal(sig);
            let status = s
                .exit_within(PROMPTLY)
                .unwrap_or_else(|| panic!("rmapviz ignored {name}"));
            assert_eq!(
                status.exit_code(),
                128 + sig as u32,
                "{name}: the status of death by the signal ({status:?})"
            );
            s.drain();
            assert_restored(&s.raw(), mouse);
            let journal = pty::the_journal(&dir.join("state"));
            assert!(
                journal.contains("0x200000"),
                "{name}: the journal has the typed op:\n{journal}"
            );
            assert!(
                journal
                    .lines()
                    .next()
                    .is_some_and(|l| l.contains("step=2 ")),
                "{name}: the journal was saved at the signal, with the step shown:\n{journal}"
            );
        }
    }
}
