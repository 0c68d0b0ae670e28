//! The quiz (issue 17 item 6): `rmapviz quiz` headless (answers from a file or standard input,
//! results as text or JSON), the TUI's quiz key through the app's keys, and both in a
//! pseudo-terminal. The right answers are the walks of docs/semantics.md §7, written here by
//! hand: S3 under anonmm-naive probes the parent at the old address (MISS), finds the child
//! (HIT) and LOSES the parent's moved pte at 0x81000; under anon-vma both ptes HIT; S1 finds
//! both ptes under every design (anonmm: the indicated parent, then the child).

use std::io::Write;
use std::process::{Command, Stdio};

use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use rmapviz::model::Outcome::{Hit, Miss};
use rmapviz::quiz::{Prediction, parse, questions};
use rmapviz::scenario::Scenario;
use rmapviz::tui::{App, AppOptions, Msg};

mod pty;
use pty::{BIN, Screen};

mod common;
use common::dir::test_dir;
use common::screen::{draw, draw_frame, text};

fn quiz(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .arg("quiz")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_questions_are_the_walks_of_the_semantics() {
    let (s3, _) = Scenario::load("S3").unwrap();
    let naive = questions(&s3, "anonmm-naive").unwrap();
    assert_eq!(naive.len(), 1, "S3 walks once, at its SwapOut");
    let q = &naive[0];
    assert_eq!(q.step, 5);
    let pids: Vec<(u32, _)> = q.candidates.iter().map(|c| (c.pid, c.outcome)).collect();
    assert_eq!(pids, [(1, Miss), (2, Hit)]);
    assert_eq!(q.lost.len(), 1);
    assert_eq!((q.lost[0].pid, q.lost[0].addr), (1, 0x81000));
    let right = Prediction {
        outcomes: vec![Miss, Hit],
        lost: 1,
    };
    assert_eq!(q.mark(&right).points, 3);
    assert_eq!(q.mark(&parse("hh", 2).unwrap()).points, 1, "only the child");
    let av = questions(&s3, "anon-vma").unwrap();
    assert_eq!(av[0].mark(&parse("hh/0", 2).unwrap()).points, 3);
    // S1 under anonmm: the parent, then the child, both HIT.
    let (s1, _) = Scenario::load("S1").unwrap();
    let q = &questions(&s1, "anonmm").unwrap()[0];
    let pids: Vec<(u32, _)> = q.candidates.iter().map(|c| (c.pid, c.outcome)).collect();
    assert_eq!(pids, [(1, Hit), (2, Hit)]);
    assert!(questions(&s1, "no-such-scheme").is_none());
}

#[test]
fn answers_from_standard_input_are_marked_as_text_and_json() {
    let (code, out, err) = quiz(&["S3", "--scheme", "anonmm-naive"], "mh/1\n");
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("walk 1 of 1: step 5 swapout 2 0x11000 under anonmm-naive"),
        "{out}"
    );
    assert!(
        out.contains("LOST 1 (pid 1 0x81000)  you 1  right"),
        "{out}"
    );
    assert!(
        out.ends_with("score: 3/3 points, 1 of 1 walk right\n"),
        "{out}"
    );
    // Predicting anon-vma's walk for anonmm-naive: the MISS and the LOST pte are wrong.
    let (code, out, _) = quiz(&["S3", "--scheme", "anonmm-naive", "--json"], "hh\n");
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["score"]["points"], 1);
    assert_eq!(v["score"]["of"], 3);
    let w = &v["walks"][0];
    assert_eq!(w["candidates"][0]["outcome"], "MISS");
    assert_eq!(w["mark"]["right"], serde_json::json!([false, true]));
    assert_eq!(w["lost"][0]["addr"], 0x81000);
    assert_eq!(w["mark"]["lost_right"], false);
}

#[test]
fn a_scenario_file_and_an_answers_file() {
    let dir = test_dir("quiz-file");
    // S1's shape at other addresses: the parent writes two pages, forks, one page is
    // reclaimed: both ptes HIT under every design.
    let ron = dir.join("fork.ron");
    std::fs::write(
        &ron,
        r#"Scenario(title: "fork then reclaim", steps: [
            Mmap(pid: 1, addr: 0x40000, pages: 2, prot: "rw"),
            Write(pid: 1, addr: 0x40000, pages: 2),
            Fork(pid: 1, child: 2),
            SwapOut(pid: 1, addr: 0x41000),
        ])"#,
    )
    .unwrap();
    let answers = dir.join("answers.txt");
    std::fs::write(&answers, "# the only walk\n\n2h / 0\n").unwrap();
    for scheme in ["pte-chain", "anonmm-naive", "anon-vma", "modern"] {
        let (code, out, err) = quiz(
            &[
                ron.to_str().unwrap(),
                "--scheme",
                scheme,
                "--answers",
                answers.to_str().unwrap(),
            ],
            "",
        );
        assert_eq!(code, 0, "{scheme}: {err}");
        assert!(
            out.ends_with("score: 3/3 points, 1 of 1 walk right\n"),
            "{scheme}: {out}"
        );
    }
    // A bad answer names the file, line and column; too few answers are refused.
    std::fs::write(&answers, "\n  hx\n").unwrap();
    let a = answers.to_str().unwrap();
    let (code, out, err) = quiz(&[ron.to_str().unwrap(), "--answers", a], "");
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains(&format!("{a}:2:4:")), "{err}");
    assert!(
        err.contains("\"x\" is not an outcome") || err.contains("'x' is not an outcome"),
        "{err}"
    );
    std::fs::write(&answers, "").unwrap();
    let (code, _, err) = quiz(&[ron.to_str().unwrap(), "--answers", a], "");
    assert_eq!(code, 2);
    assert!(err.contains("0 answers for 1 walks"), "{err}");
    // A scenario without a walk has nothing to ask.
    let none = dir.join("none.ron");
    std::fs::write(
        &none,
        "Scenario(title: \"no walk\", steps: [Mmap(pid: 1, addr: 0x10000, pages: 1, prot: \"rw\")])",
    )
    .unwrap();
    let (code, _, err) = quiz(&[none.to_str().unwrap(), "--answers", a], "");
    assert_eq!(code, 2);
    assert!(err.contains("no reverse walk"), "{err}");
}

fn key(app: &mut App, c: KeyCode) {
    app.update(Msg::Key(KeyEvent::new(c, KeyModifiers::NONE)));
}

fn screen(app: &App) -> String {
    text(&draw(app, 120, 40))
}

/// The TUI's quiz: `Q`, then → stops before S3's walk on the state it starts from (step 4),
/// takes the prediction, shows the walk and reveals it candidate by candidate.
#[test]
fn the_quiz_key_stops_before_the_walk_and_reveals_it() {
    let (s3, _) = Scenario::load("S3").unwrap();
    let opts = AppOptions {
        scheme: "anonmm-naive",
        step: 4,
        ..AppOptions::default()
    };
    let mut a = App::headless(s3, &opts).unwrap();
    key(&mut a, KeyCode::Char('Q'));
    key(&mut a, KeyCode::Right);
    assert_eq!(a.step(), 4, "stopped before the walk");
    let s = screen(&a);
    assert!(s.contains("quiz: what will the walk find?"), "{s}");
    assert!(s.contains("#1 pid 1"), "{s}");
    assert!(!s.contains("walk MISS"), "nothing revealed yet:\n{s}");
    for c in ['h', 'h'] {
        key(&mut a, KeyCode::Char(c));
    }
    key(&mut a, KeyCode::Enter);
    assert_eq!(a.step(), 5, "the walk is shown");
    assert_eq!(
        a.walk_candidate(),
        Some(0),
        "the first candidate is followed"
    );
    let s = screen(&a);
    assert!(s.contains("walk MISS   WRONG"), "{s}");
    assert!(
        !s.contains("walk HIT"),
        "the second is not revealed yet:\n{s}"
    );
    key(&mut a, KeyCode::Char(' '));
    assert_eq!(a.walk_candidate(), Some(1));
    key(&mut a, KeyCode::Char(' '));
    let s = screen(&a);
    assert!(s.contains("walk HIT    right"), "{s}");
    assert!(s.contains("LOST: pid 1 0x81000"), "{s}");
    assert!(s.contains("this walk 1/3"), "{s}");
    key(&mut a, KeyCode::Enter);
    assert!(!screen(&a).contains("quiz: what"), "closed");
    // Back before the walk and again: a capital letter answers the rest; the score adds up.
    key(&mut a, KeyCode::Left);
    key(&mut a, KeyCode::Right);
    for c in ['m', 'H', '1'] {
        key(&mut a, KeyCode::Char(c));
    }
    key(&mut a, KeyCode::Enter);
    for _ in 0..2 {
        key(&mut a, KeyCode::Char(' '));
    }
    let s = screen(&a);
    assert!(
        s.contains("this walk 3/3; the quiz so far 4/6 points, 1 of 2 walks right"),
        "{s}"
    );
    key(&mut a, KeyCode::Char('Q'));
    assert!(screen(&a).contains("quiz off: 4/6 points"));
}

/// The real binary: the quiz key in the TUI, and `rmapviz quiz` asking on a terminal.
#[test]
fn the_quiz_in_a_terminal() {
    let dir = test_dir("quiz");
    let Some(mut s) = Screen::start(
        &["S3", "--scheme", "anonmm-naive", "--no-journal"],
        &dir.join("state"),
        &dir,
    ) else {
        return;
    };
    s.wait_for("step 0/5");
    s.send("Q");
    s.wait_for("quiz on");
    s.send("lllll");
    s.wait_for("quiz: what will the walk find?");
    assert!(s.rows()[0].contains("step 4/5"), "{}", s.contents());
    s.send("mh1\r");
    s.wait_for("walk MISS   right");
    s.send(" ");
    s.wait_for("walk HIT    right");
    s.send(" ");
    s.wait_for("this walk 3/3");
    s.send("\r");
    s.send("q");
    assert!(s.wait_exit().success());

    let mut cmd = pty::CommandBuilder::new(BIN);
    cmd.args(["quiz", "S3", "--scheme", "anonmm-naive", "--delay", "0"]);
    cmd.cwd(&dir);
    let Some(mut s) = Screen::spawn(cmd) else {
        return;
    };
    s.wait_for("your prediction>");
    s.send("mx\r");
    s.wait_for("try again");
    s.send("mh/1\r");
    s.wait_for("score: 3/3 points, 1 of 1 walk right");
    assert!(s.wait_exit().success());
}

/// The screen's text with the quiz window blanked out (what the panes show around it), and the
/// window's own text.
fn around_quiz(b: &Buffer) -> (String, String) {
    let rows: Vec<Vec<String>> = (0..b.area.height)
        .map(|y| {
            (0..b.area.width)
                .map(|x| b[(x, y)].symbol().to_string())
                .collect()
        })
        .collect();
    let joined = |r: &[String]| r.concat();
    let top = rows
        .iter()
        .position(|r| joined(r).contains("┌ quiz: what will the walk find?"))
        .expect("the quiz window is on screen");
    let left = rows[top].iter().position(|c| c == "┌").unwrap();
    let right = left + rows[top][left..].iter().position(|c| c == "┐").unwrap();
    let bottom = top + rows[top..].iter().position(|r| r[left] == "└").unwrap();
    let mut around = String::new();
    let mut window = String::new();
    for (y, r) in rows.iter().enumerate() {
        for (x, c) in r.iter().enumerate() {
            if (top..=bottom).contains(&y) && (left..=right).contains(&x) {
                window.push_str(c);
                around.push(' ');
            } else {
                around.push_str(c);
            }
        }
        around.push('\n');
        if (top..=bottom).contains(&y) {
            window.push('\n');
        }
    }
    // The compare table's column heads name the outcomes; they are not results.
    (around.replace("cand HIT MISS OUT SKIP LOST", ""), window)
}

/// The outcome words (HIT, MISS, OUT, SKIP, LOST) in `s`, as whole words.
fn outcomes_in(s: &str) -> Vec<&str> {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| ["HIT", "MISS", "OUT", "SKIP", "LOST"].contains(w))
        .collect()
}

/// S3's walk, asked about at step 5 in the TUI, compare mode on so that the compared scheme's
/// panes are on screen too, at 120x40 and at 200x60 (where the narrative and the compare table
/// are not under the quiz window): while the window asks, nothing on the screen tells the walk;
/// while it reveals, every pane tells the candidates revealed and no more, on the state the walk
/// starts from (p2 still mapped twice); once all are revealed, the LOST ptes and the step.
///
/// The walks, from docs/semantics.md (S3): after the mremap the parent's vma is at 0x80000 with
/// vm_pgoff 0x10, so p2 (index 0x11) is at 0x81000 there and at 0x11000 in the child. anon-vma
/// computes the address from the vma: pid 1 0x81000 HIT, then pid 2 0x11000 HIT, page
/// unmapped. anonmm-naive probes each mm at the page's original address 0x11000: pid 1 MISS
/// (nothing is mapped there), pid 2 HIT, and the parent's pte at 0x81000 is LOST.
#[test]
fn the_quiz_shows_only_what_it_has_revealed() {
    const SIZES: [(u16, u16); 2] = [(120, 40), (200, 60)];
    for (scheme, compared) in [("anon-vma", "anonmm-naive"), ("anonmm-naive", "anon-vma")] {
        let (s3, _) = Scenario::load("S3").unwrap();
        let opts = AppOptions {
            scheme,
            compare: Some(compared),
            step: 4,
            ..AppOptions::default()
        };
        let mut a = App::headless(s3, &opts).unwrap();
        key(&mut a, KeyCode::Char('Q'));
        key(&mut a, KeyCode::Right);
        for (w, h) in SIZES {
            let b = draw_frame(&mut a, w, h);
            let (around, window) = around_quiz(&b);
            assert!(
                outcomes_in(&around).is_empty(),
                "{scheme} {w}x{h}: asking, the screen tells the walk: {:?}\n{}",
                outcomes_in(&around),
                text(&b)
            );
            assert_eq!(window.matches("walk ?").count(), 3, "{window}");
        }
        for k in [KeyCode::Char('h'), KeyCode::Char('h'), KeyCode::Enter] {
            key(&mut a, k);
        }
        assert_eq!(a.walk_revealed(), Some(1));
        // Candidate 1: its badge in the graph, its line in the walk pane and in the narrative.
        let (badge, line, told) = if scheme == "anon-vma" {
            ("#1 HIT", "pid 1   HIT  0x81000", "pid 1 0x81000 HIT")
        } else {
            ("#1 MISS", "pid 1   MISS 0x11000", "pid 1 0x11000 MISS")
        };
        for (w, h) in SIZES {
            let b = draw_frame(&mut a, w, h);
            let (around, _) = around_quiz(&b);
            let all = text(&b);
            assert!(around.contains(badge), "{scheme} {w}x{h}: the badge\n{all}");
            assert!(
                around.contains(line),
                "{scheme} {w}x{h}: the walk pane\n{all}"
            );
            if w == 200 {
                assert!(around.contains(told), "{scheme}: the narrative\n{all}");
                assert!(around.contains("compare before step 5's walks"), "{all}");
            }
            // No other outcome: nothing of candidate 2, no LOST pte, no count, no verdict, and
            // the state the walk starts from (p2 mapped by both), not the one it leaves.
            let found = outcomes_in(&around);
            let want = if scheme == "anon-vma" { "HIT" } else { "MISS" };
            assert_eq!(
                found.iter().filter(|o| **o != want).count(),
                0,
                "{scheme} {w}x{h}: more than candidate 1 told: {found:?}\n{all}"
            );
            for hidden in [
                "#2",
                "0x11000 HIT",
                "2 pid 2",
                "unmapped",
                "STILL",
                "p2 map 0",
                "p2 map 1",
            ] {
                assert!(
                    !around.contains(hidden),
                    "{scheme} {w}x{h}: {hidden:?} told\n{all}"
                );
            }
            assert!(around.contains("p2 map 2"), "{scheme} {w}x{h}\n{all}");
            // The compared scheme's walk waits for the end.
            assert!(around.contains("shown once the quiz has"), "{all}");
        }
        // Candidate 2 (a HIT under both), still no LOST pte; then the LOST ptes and the step.
        key(&mut a, KeyCode::Char(' '));
        assert_eq!(a.walk_revealed(), Some(2));
        let (around, _) = around_quiz(&draw_frame(&mut a, 120, 40));
        assert!(around.contains("#2 HIT"), "{scheme}\n{around}");
        assert!(!outcomes_in(&around).contains(&"LOST"), "{around}");
        key(&mut a, KeyCode::Char(' '));
        assert_eq!(a.walk_revealed(), None, "all revealed: the step whole");
        let (around, _) = around_quiz(&draw_frame(&mut a, 120, 40));
        if scheme == "anon-vma" {
            assert!(around.contains("page unmapped"), "{around}");
        } else {
            assert!(around.contains("LOST pid 1 0x81000"), "{around}");
            assert!(around.contains("STILL MAPPED"), "{around}");
        }
    }
}
