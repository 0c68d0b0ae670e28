//! Stepping and typing in the TUI, headless: a far step is simulated between keys, keys read
//! together build one view, a typed op goes after the step asked for, and an op whose range is
//! impossible is refused before it is inserted.

mod common;

use common::screen::{draw, s3, text};
use rmapviz::scenario::Scenario;
use rmapviz::tui::{App, AppOptions};

/// A jump far ahead in a large scenario is not simulated inside the key: the screen keeps its
/// step, names the step asked for, and the loop's idle slices simulate to it. Keys pressed
/// meanwhile move from the step asked for.
#[test]
fn a_far_step_is_simulated_between_keys() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use rmapviz::scenario::storm;
    use rmapviz::tui::Msg;
    let key = |c: KeyCode| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    let sc = storm(100, 16);
    let len = sc.steps.len();
    let mut a = App::interactive(
        sc,
        "storm",
        &AppOptions {
            scheme: "modern",
            ..AppOptions::default()
        },
    )
    .unwrap();
    a.update(key(KeyCode::Char('G')));
    assert_eq!(a.step(), 0, "the key itself simulates nothing");
    assert_eq!(a.target().map(|(n, _)| n), Some(len));
    let screen = text(&draw(&a, 120, 40));
    let header = screen.lines().next().unwrap_or_default();
    assert!(
        header.contains(&format!("step 0/{len} → {len}: simulating")),
        "{header}"
    );
    a.update(key(KeyCode::Left));
    assert_eq!(a.target().map(|(n, _)| n), Some(len - 1));
    let mut slices = 0;
    while !a.settled() {
        a.idle(std::time::Duration::from_millis(8));
        slices += 1;
        assert!(slices < 100_000);
    }
    assert_eq!(a.step(), len - 1);
    assert_eq!(a.target(), None);
    // Step len - 1 reclaims a child's private copy: under modern one candidate, the child's own
    // anon_vma, a HIT (docs/semantics.md §7 S2 (a)).
    let w = a.walk().expect("the storm's step (a) walks");
    assert_eq!(w.visits.len(), 1);
    assert_eq!(w.hit, 1);
}

/// Keys read together (a held key the loop fell behind) build the view of the last step they
/// lead to only; each key read on its own builds its step's view.
#[test]
fn keys_read_together_build_one_view() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use rmapviz::scenario::storm;
    use rmapviz::tui::Msg;
    let right = || Msg::Key(KeyEvent::new(KeyCode::Right, KeyModifiers::NONE));
    let settle = |a: &mut App| {
        let mut slices = 0;
        while !a.settled() {
            a.idle(std::time::Duration::from_millis(8));
            slices += 1;
            assert!(slices < 100_000);
        }
    };
    let open = || {
        let mut a = App::interactive(
            storm(30, 16),
            "storm",
            &AppOptions {
                scheme: "pte-chain",
                step: 10,
                ..AppOptions::default()
            },
        )
        .unwrap();
        settle(&mut a);
        a
    };
    // Five keys in one read: step 11 was built between keys (a neighbour), 12 to 14 are
    // passed over, 15 is built.
    let mut a = open();
    let before = a.views_built();
    a.update_all((0..5).map(|_| right()).collect());
    assert_eq!(a.step(), 15);
    assert_eq!(a.target(), None);
    assert_eq!(a.views_built() - before, 1);
    // The same keys one per read: 12, 13, 14 and 15 are built.
    let mut b = open();
    let before = b.views_built();
    for _ in 0..5 {
        b.update_all(vec![right()]);
    }
    assert_eq!(b.step(), 15);
    assert_eq!(b.views_built() - before, 4);
    // Both show the same screen.
    assert_eq!(text(&draw(&a, 120, 40)), text(&draw(&b, 120, 40)));
}

/// A typed op goes after the step asked for even while that step is still being simulated
/// (the screen still shows the step before): `G` then `:fork 1 3` on a session that has
/// simulated nothing yet inserts the fork as step 6 and shows it.
#[test]
fn a_typed_op_goes_after_the_step_asked_for_before_it_is_shown() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use rmapviz::tui::Msg;
    let key = |c| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    let mut a = App::interactive(s3(), "builtin:S3", &AppOptions::default()).unwrap();
    a.update_all(vec![key(KeyCode::Char('G'))]);
    assert_eq!(a.step_asked(), 5);
    let mut typed = vec![key(KeyCode::Char(':'))];
    typed.extend("fork 1 3".chars().map(|c| key(KeyCode::Char(c))));
    typed.push(key(KeyCode::Enter));
    for m in typed {
        a.update_all(vec![m]);
    }
    assert_eq!(a.step(), 6, "the inserted step is shown");
    assert_eq!(a.target(), None);
    let ron = a.scenario().to_ron();
    let fork = ron.find("child: 3").expect("the fork is in the scenario");
    let swapout = ron.find("SwapOut").expect("S3 ends with a swap-out");
    assert!(swapout < fork, "the fork follows S3's last step:\n{ron}");
}

/// A typed op whose address or size is wrong whatever the state (unaligned, no pages, past
/// the end of user space) is refused before it is inserted: nothing changes, the footer says
/// what is wrong.
#[test]
fn impossible_typed_ranges_change_nothing() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use rmapviz::tui::Msg;
    let key = |c: KeyCode| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    let mut a = App::headless(Scenario::empty("typed"), &AppOptions::default()).unwrap();
    for (line, says) in [
        ("mmap 1 0x10001 1", "not page-aligned"),
        ("mmap 1 0x10000 0", "at least 1"),
        ("write 1 0x7ffffffff000 2", "past the end"),
        ("mremap 1 0x10000 1 to=0x20010", "not page-aligned"),
        ("swapout 1 0x10800", "not page-aligned"),
    ] {
        a.update(key(KeyCode::Char(':')));
        for c in line.chars() {
            a.update(key(KeyCode::Char(c)));
        }
        a.update(key(KeyCode::Enter));
        assert_eq!(a.len(), 0, "{line}: nothing inserted");
        // The error above the line, which stays open as typed to be fixed.
        let screen = text(&draw(&a, 120, 40));
        let rows: Vec<&str> = screen.lines().collect();
        let (error, prompt) = (rows[rows.len() - 2], rows[rows.len() - 1]);
        assert!(error.contains(says), "{line}: {error}");
        assert!(error.contains("nothing inserted"), "{line}: {error}");
        assert_eq!(prompt.trim_end(), format!(":{line}"));
        a.update(key(KeyCode::Esc));
    }
    // A possible op goes in.
    for c in ":mmap 1 0x10000 1\r".chars() {
        a.update(key(if c == '\r' {
            KeyCode::Enter
        } else {
            KeyCode::Char(c)
        }));
    }
    assert_eq!(a.len(), 1);
}
