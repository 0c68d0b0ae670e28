//! The real binary in a pseudo-terminal, read back through a terminal emulator (vt100): start
//! on S3, step, open the help, type an op, save, quit; the saved file replays to the same state
//! as S3 with that op added. Skips (saying why) where no pseudo-terminal can be opened.

use std::path::Path;

mod common;
mod pty;
use common::dir::test_dir;
use pty::{BIN, Screen};

fn replay_json(path: &Path) -> String {
    let out = std::process::Command::new(BIN)
        .args(["replay", path.to_str().unwrap(), "--json", "--state"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn step_help_type_save_quit_and_the_file_replays() {
    let dir = test_dir("main");
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
    want.steps
        .push(rmapviz::model::Op::Fork { pid: 2, child: 3 }.into());
    assert_eq!(got, want);
    let reference = dir.join("reference.ron");
    std::fs::write(&reference, want.to_ron()).unwrap();
    assert_eq!(replay_json(&saved), replay_json(&reference));
}

#[test]
fn unsaved_ops_are_journaled_and_offered_at_the_next_start() {
    let dir = test_dir("journal");
    let state = dir.join("state");
    let Some(mut s) = Screen::start(&["--new"], &state, &dir) else {
        return;
    };
    s.wait_for("step 0/0");
    s.send(":mmap 1 0x10000 4 rw\r");
    s.wait_for("step 1/1");
    // A mistyped op changes nothing and says what was expected; Esc gives the line up.
    s.send(":mmap 1 0x20000\r");
    s.wait_for("expected PAGES");
    s.wait_for("step 1/1");
    s.send("\x1b");
    s.send("q");
    s.wait_for("Typed ops are not saved");
    // Killed while asking: the journal keeps the typed op.
    s.child.kill().unwrap();
    let _ = s.wait_exit();
    assert_eq!(pty::journals(&state).len(), 1);

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
        pty::journals(&state).is_empty(),
        "restoring takes it over, quitting on purpose removes it"
    );
}

/// A session saved with `:w FILE`, edited and then lost (killed) is restored as coming from
/// that file: a bare `:w` saves there again.
#[test]
fn a_restored_session_saves_to_the_file_it_was_saved_as() {
    let dir = test_dir("journal-file");
    let state = dir.join("state");
    let saved = dir.join("saved.ron");
    let Some(mut s) = Screen::start(&["--new"], &state, &dir) else {
        return;
    };
    s.wait_for("step 0/0");
    s.send(":mmap 1 0x10000 4 rw\r");
    s.wait_for("step 1/1");
    s.send(&format!(":w {}\r", saved.display()));
    s.wait_for("wrote");
    s.send(":write 1 0x10000 1\r");
    s.wait_for("step 2/2");
    s.child.kill().unwrap();
    let _ = s.wait_exit();

    let Some(mut s) = Screen::start(&["--new"], &state, &dir) else {
        return;
    };
    s.wait_for("An unsaved session was found");
    s.send("y");
    s.wait_for("step 2/2");
    s.send(":w\r");
    s.wait_for("wrote");
    s.send("q");
    assert!(s.wait_exit().success(), "saved: q quits at once");
    let text = std::fs::read_to_string(&saved).unwrap();
    let sc = rmapviz::scenario::Scenario::parse(&text, "saved").unwrap();
    assert_eq!(sc.steps.len(), 2, "the restored edit was saved to the file");
}

/// Autoplay started on the last step ends at once, and the screen says so (the footer names
/// the keys again instead of "playing"); with colour off, the theme key keeps the mono theme.
#[test]
fn autoplay_at_the_end_stops_and_colour_off_stays_off() {
    let dir = test_dir("autoplay");
    let Some(mut s) = Screen::start(&["S1", "--color", "never"], &dir.join("state"), &dir) else {
        return;
    };
    s.wait_for("step 0/4");
    s.send("G");
    s.wait_for("step 4/4");
    s.send("p");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let footer = s.rows().last().cloned().unwrap_or_default();
        if footer.contains("q quit") && !footer.contains("playing") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "autoplay did not end on the last step: {footer:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    s.send("t");
    s.wait_for("colour is off");
    let raw = String::from_utf8_lossy(&s.raw()).to_string();
    assert!(
        !raw.contains("38;5;") && !raw.contains("38;2;"),
        "no colour was ever sent"
    );
    s.send("q");
    assert!(s.wait_exit().success());
}

/// Keys that arrive in one read (a paste, a fast typist over ssh) apply in order, each to the
/// state the keys before it produced: on S3, `G` moves to step 5, so `:fork 1 3` typed in the
/// same burst goes after step 5 and becomes the current step (README, the command line), as it
/// does when the keys come one by one.
#[test]
fn keys_read_together_insert_a_typed_op_after_the_step_they_moved_to() {
    let dir = test_dir("burst");
    let Some(mut s) = Screen::start(&["--no-journal"], &dir.join("state"), &dir) else {
        return;
    };
    s.wait_for("step 0/5");
    // One write: the TUI reads these bytes together.
    s.send("G:fork 1 3\r");
    s.wait_for("inserted step");
    let footer = s.rows().last().cloned().unwrap_or_default();
    assert!(
        footer.contains("inserted step 6"),
        "the fork goes after step 5: {footer:?}"
    );
    assert!(
        s.rows()[0].contains("step 6/6"),
        "the inserted step is the current one:\n{}",
        s.contents()
    );
    s.send(":w burst.ron\r");
    s.wait_for("wrote burst.ron");
    s.send("q");
    assert!(s.wait_exit().success());
    // The saved scenario: S3's five steps, then the fork.
    let out = std::process::Command::new(BIN)
        .args(["replay", "burst.ron", "--scheme", "anon-vma"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let steps: Vec<&str> = text
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let (n, rest) = l.split_once("  ")?;
            n.parse::<usize>().ok().map(|_| rest.trim())
        })
        .collect();
    assert_eq!(
        steps,
        [
            "Mmap(pid: 1, addr: 0x10000, pages: 4, prot: \"rw\")",
            "Write(pid: 1, addr: 0x10000, pages: 4)",
            "Fork(pid: 1, child: 2)",
            "Mremap(pid: 1, addr: 0x10000, pages: 4, to: 0x80000)",
            "SwapOut(pid: 2, addr: 0x11000)",
            "Fork(pid: 1, child: 3)",
        ],
        "{text}"
    );
}

/// Two sessions at once each keep their own journal: the second is not offered the first's
/// (which still runs) and does not overwrite it. Both killed, the next start offers both, one
/// by one: `n` discards one, `y` restores the other, which becomes that session's journal.
#[test]
fn two_sessions_keep_their_own_journals() {
    let dir = test_dir("two-journals");
    let state = dir.join("state");
    let Some(mut a) = Screen::start(&["--new"], &state, &dir) else {
        return;
    };
    a.wait_for("step 0/0");
    a.send(":mmap 1 0x10000 4 rw\r");
    a.wait_for("step 1/1");
    let Some(mut b) = Screen::start(&["--new"], &state, &dir) else {
        return;
    };
    b.wait_for("step 0/0");
    assert!(
        !b.contents().contains("unsaved session"),
        "the first session still runs: its journal is not offered\n{}",
        b.contents()
    );
    b.send(":mmap 1 0x20000 2 rw\r");
    b.wait_for("step 1/1");
    for s in [&mut a, &mut b] {
        s.child.kill().unwrap();
        let _ = s.wait_exit();
    }
    let texts: Vec<String> = pty::journals(&state)
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert_eq!(texts.len(), 2, "one journal per session");
    assert!(texts.iter().any(|t| t.contains("0x10000")), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("0x20000")), "{texts:?}");

    let Some(mut c) = Screen::start(&["--new"], &state, &dir) else {
        return;
    };
    c.wait_for("An unsaved session was found");
    c.wait_for("1 more after it");
    // The newest first: the second session's. Discarded, the first session's is offered.
    c.send("n");
    c.wait_for("discarded");
    assert!(c.contents().contains("An unsaved session was found"));
    assert!(!c.contents().contains("more after it"));
    c.send("y");
    c.wait_for("restored");
    c.wait_for("step 1/1");
    let j = pty::the_journal(&state);
    assert!(
        j.contains("0x10000") && !j.contains("0x20000"),
        "the restored work is this session's journal now:\n{j}"
    );
    c.send("q");
    c.wait_for("Typed ops are not saved");
    c.send("y");
    assert!(c.wait_exit().success());
    assert!(pty::journals(&state).is_empty());
}

/// A journal that cannot be read is moved aside with a message, and the session's edits never
/// overwrite it.
#[test]
fn an_unreadable_journal_is_moved_aside_with_a_message() {
    let dir = test_dir("bad-journal");
    let state = dir.join("state");
    std::fs::create_dir_all(state.join("rmapviz")).unwrap();
    let bad = "// rmapviz journal: step=1 origin=new\nScenario(steps: [Mmap(pid: 1, addr: 0x10000";
    std::fs::write(state.join("rmapviz/journal.ron"), bad).unwrap();
    let Some(mut s) = Screen::start(&["--new"], &state, &dir) else {
        return;
    };
    s.wait_for("cannot be read");
    s.send(":mmap 1 0x30000 1 rw\r");
    s.wait_for("step 1/1");
    s.child.kill().unwrap();
    let _ = s.wait_exit();
    let aside = state.join("rmapviz/journal.ron.unreadable");
    assert_eq!(
        std::fs::read_to_string(&aside).unwrap(),
        bad,
        "kept as it was"
    );
    assert!(pty::the_journal(&state).contains("0x30000"));
}
