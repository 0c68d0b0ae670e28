//! For the lecture hall (issue 17 items 3, 4 and 8): what changed at each step marked on the
//! graph and listed, the difference between any two steps in a page (`d`, `:diff`), presenter
//! mode (`P`, `shot --presenter`), the panes chosen for slides (`shot --panes`, `--no-footer`)
//! and the claims page (`C`, `:claims`), drawn headless at 80x24 and 120x40.

use std::process::Command;

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Modifier;

use rmapviz::scenario::Scenario;
use rmapviz::tui::{App, AppOptions, Msg};

mod common;
use common::screen::{draw_frame as draw, text};

fn app_at(step: usize) -> App {
    let opts = AppOptions {
        step,
        ..AppOptions::default()
    };
    App::headless(Scenario::load("S3").unwrap().0, &opts).unwrap()
}

fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
    }
}

/// Types the command line `line` (":" and what follows), runs it, and reads the screen at
/// 120x40.
fn command(app: &mut App, line: &str) -> String {
    press(app, line);
    key(app, KeyCode::Enter);
    text(&draw(app, 120, 40))
}

fn key(app: &mut App, code: KeyCode) {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

/// The modifiers of the cells where `word` is written on the screen (its first occurrence).
fn modifiers_of(b: &Buffer, word: &str) -> Option<Vec<Modifier>> {
    let lines: Vec<String> = text(b).lines().map(str::to_string).collect();
    for (y, l) in lines.iter().enumerate() {
        if let Some(at) = l.find(word) {
            let x0 = l[..at].chars().count() as u16;
            return Some(
                (0..word.chars().count() as u16)
                    .map(|i| b[(x0 + i, y as u16)].modifier)
                    .collect(),
            );
        }
    }
    None
}

#[test]
fn the_fork_step_marks_what_it_made_and_changed() {
    // After fork 1 2: the child's mm and vma are new (bold, underlined); the parent's vma (its
    // ptes write-protected), av1 (one more vma) and the pages (mapcount 2) changed
    // (underlined). Before the fork, at the start, nothing is marked.
    let mut a = app_at(3);
    let b = draw(&mut a, 120, 40);
    let new = modifiers_of(&b, "pid 2 ").unwrap();
    assert!(
        new.iter()
            .take(5)
            .all(|m| m.contains(Modifier::UNDERLINED | Modifier::BOLD))
    );
    let changed = modifiers_of(&b, "av1 (2 vmas)").unwrap();
    assert!(
        changed.iter().all(|m| m.contains(Modifier::UNDERLINED)),
        "{changed:?}"
    );
    assert!(changed.iter().all(|m| !m.contains(Modifier::BOLD)));
    let page = modifiers_of(&b, "p3 idx 0x12 map 2").unwrap();
    assert!(page.iter().all(|m| m.contains(Modifier::UNDERLINED)));
    // The narrative says it in words (a wide screen keeps it on one line).
    let t = text(&draw(&mut a, 240, 60));
    assert!(
        t.contains("changed: +1 mm (pid 2), +1 vma, 4 ptes copied, 4 ptes bits changed, 4 pages map 1->2, 1 object relinked"),
        "{t}"
    );
    let mut start = app_at(0);
    let b = draw(&mut start, 120, 40);
    let graph_rows: Vec<Modifier> = (3..10)
        .flat_map(|y| (14..90).map(move |x| (x, y)))
        .map(|(x, y)| b[(x, y)].modifier)
        .collect();
    assert!(graph_rows.iter().all(|m| !m.contains(Modifier::UNDERLINED)));
}

#[test]
fn the_reclaim_step_lists_the_freed_page() {
    // p2's both ptes went to swap under anon-vma, and p2 was freed: it has no node to mark, the
    // narrative says so.
    let mut a = app_at(5);
    let t = text(&draw(&mut a, 240, 60));
    assert!(t.contains("changed: 2 ptes swapped out"), "{t}");
    assert!(t.contains("freed: p2"), "{t}");
}

#[test]
fn the_diff_page_at_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut a = app_at(3);
        press(&mut a, "d");
        let t = text(&draw(&mut a, w, h));
        assert!(
            t.contains("from step 2 (write 1 0x10000 4) to step 3 (fork 1 2)"),
            "{t}"
        );
        assert!(t.contains("pid 2 0x10000 p1 r (from pid 1 0x10000)"), "{t}");
        if h == 40 {
            // The fork links the child's vma (vma2) to the parent's anon_vma: named, as is
            // the count of its vmas.
            assert!(t.contains("anon_vma_node from vma2 added"), "{t}");
            assert!(t.contains("vmas: 1 -> 2"), "{t}");
        }
        insta::assert_snapshot!(format!("diff_page_s3_step3_{w}x{h}"), t);
    }
}

#[test]
fn the_diff_page_moves_and_scrolls_and_any_two_steps_can_be_asked() {
    let mut a = app_at(4);
    press(&mut a, "d");
    let t = text(&draw(&mut a, 80, 24));
    assert!(
        t.contains("ptes moved (4)") && t.contains("pid 1 0x80000 p1 r (from 0x10000)"),
        "{t}"
    );
    // <- moves to the difference one step earlier: the fork.
    key(&mut a, KeyCode::Left);
    let t = text(&draw(&mut a, 80, 24));
    assert!(t.contains("to step 3 (fork 1 2)"), "{t}");
    // Scrolling stops at the last line.
    for _ in 0..50 {
        key(&mut a, KeyCode::Down);
    }
    let t = text(&draw(&mut a, 80, 24));
    assert!(t.contains("~ anon_vma av1 (1 vma) -> av1 (2 vmas)"), "{t}");
    press(&mut a, "d");
    assert!(!text(&draw(&mut a, 80, 24)).contains("diff 2 -> 3"));
    // :diff 0 5: everything the scenario made, from the start.
    let t = command(&mut a, ":diff 0 5");
    assert!(
        t.contains("from the start to step 5 (swapout 2 0x11000)"),
        "{t}"
    );
    assert!(t.contains("ptes new (8)"), "{t}");
    key(&mut a, KeyCode::Esc);
    // A step out of range: the line stays open with the reason.
    let t = command(&mut a, ":diff 2 9");
    assert!(
        t.contains("step 9 is out of range: the scenario has 5 steps"),
        "{t}"
    );
    assert!(t.contains(":diff 2 9"), "{t}");
    key(&mut a, KeyCode::Esc);
    let t = command(&mut a, ":diff x");
    assert!(
        t.contains("diff I [J]: what changed from step I to step J"),
        "{t}"
    );
}

#[test]
fn presenter_mode_at_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut a = app_at(5);
        let with_footer = text(&draw(&mut a, w, h));
        assert!(with_footer.contains("? help"));
        press(&mut a, "P");
        let t = text(&draw(&mut a, w, h));
        assert!(!t.contains("? help"), "no footer:\n{t}");
        assert!(!t.contains("steps 5/5") && !t.contains("inspector"), "{t}");
        assert!(
            t.contains("Reclaim p2, the page at 0x11000."),
            "the note:\n{t}"
        );
        assert!(t.contains("[#2 HIT]"), "the walk on the graph:\n{t}");
        insta::assert_snapshot!(format!("presenter_s3_step5_{w}x{h}"), t);
        // Stepping keeps presenter mode; P leaves it.
        key(&mut a, KeyCode::Left);
        assert!(text(&draw(&mut a, w, h)).contains("The parent moves the range."));
        press(&mut a, "P");
        let t = text(&draw(&mut a, w, h));
        assert!(
            t.contains("presenter mode off") && t.contains("steps 4/5"),
            "{t}"
        );
    }
}

#[test]
fn presenter_mode_in_compare_mode_tells_both_schemes() {
    let mut a = app_at(5);
    press(&mut a, "cP");
    let t = text(&draw(&mut a, 120, 40));
    assert!(
        t.contains("anonmm-naive:") && t.contains("pid 1 0x81000 LOST"),
        "{t}"
    );
    assert!(t.contains("changed: 1 pte swapped out, p2 map 2->1"), "{t}");
}

#[test]
fn the_claims_page_at_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut a = app_at(0);
        press(&mut a, "C");
        let t = text(&draw(&mut a, w, h));
        assert!(t.contains("Andrea Arcangeli, \"Re: anon_vma RFC2\""), "{t}");
        assert!(
            t.contains("1. anonmm cannot reach a vma that mremap moved"),
            "{t}"
        );
        insta::assert_snapshot!(format!("claims_page_{w}x{h}"), t);
        // Scrolled to the end: the fifth claim and its verdict, computed as the headless
        // command computes them.
        key(&mut a, KeyCode::End);
        let t = text(&draw(&mut a, w, h));
        assert!(t.contains("=> holds"), "{t}");
        key(&mut a, KeyCode::Esc);
        assert!(!text(&draw(&mut a, w, h)).contains("claims, checked now"));
    }
    let mut a = app_at(0);
    press(&mut a, ":claims");
    key(&mut a, KeyCode::Enter);
    assert!(text(&draw(&mut a, 80, 24)).contains("claims, checked now"));
}

/// Every line of `rmapviz claims --width 100` is on the TUI's page (a window 102 cells wide at
/// 120 columns wraps the text at 100 too), so the two are the same content.
#[test]
fn the_claims_page_holds_what_the_command_prints() {
    let out = Command::new(env!("CARGO_BIN_EXE_rmapviz"))
        .args(["claims", "--width", "100"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let printed = String::from_utf8(out.stdout).unwrap();
    let mut a = app_at(0);
    press(&mut a, "C");
    let mut seen = String::new();
    for _ in 0..40 {
        seen.push_str(&text(&draw(&mut a, 120, 40)));
        key(&mut a, KeyCode::PageDown);
    }
    for l in printed.lines().filter(|l| !l.trim().is_empty()) {
        assert!(seen.contains(l.trim_end()), "missing from the page: {l}");
    }
}

fn rmapviz(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rmapviz"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn shot_chooses_panes_for_slides() {
    let shot = |extra: &[&str]| {
        let mut args = vec!["shot", "S3", "--step", "5", "-o", "-", "--format", "txt"];
        args.extend_from_slice(extra);
        let out = rmapviz(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let all = shot(&[]);
    assert!(all.contains("? help"));
    let no_footer = shot(&["--no-footer"]);
    assert!(!no_footer.contains("? help") && no_footer.contains("steps 5/5"));
    let two = shot(&["--panes", "graph,narrative"]);
    assert!(!two.contains("steps 5/5") && !two.contains("? help") && !two.contains("rmapviz: S3"));
    assert!(
        two.contains("[#2 HIT]") && two.contains("Reclaim p2"),
        "{two}"
    );
    let presenter = shot(&["--presenter"]);
    assert!(presenter.contains("rmapviz: S3") && !presenter.contains("? help"));
    // Keys before the shot: the diff page.
    let keyed = shot(&["--keys", "d"]);
    assert!(keyed.contains("ptes swapped out (2)"), "{keyed}");
}

#[test]
fn shot_refuses_bad_panes_and_keys() {
    let fails = |args: &[&str], says: &str| {
        let out = rmapviz(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    };
    let base = ["shot", "S3", "--step", "5", "-o", "-"];
    fn with<'a>(base: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
        let mut v = base.to_vec();
        v.extend_from_slice(extra);
        v
    }
    fails(
        &with(&base, &["--panes", "graph,legend"]),
        "unknown pane \"legend\"",
    );
    fails(&with(&base, &["--keys", "ab<Enter"]), "column 3");
    fails(&with(&base, &["--keys", "<Fly>"]), "unknown key <Fly>");
    fails(
        &with(&base, &["--presenter", "--panes", "graph"]),
        "cannot be used with",
    );
    // Keys cannot write files.
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("x.ron");
    let keys = format!(":w {}<Enter>", target.display());
    let out = rmapviz(&with(&base, &["--format", "txt", "--keys", &keys]));
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("cannot write files"));
    assert!(!target.exists());
}
