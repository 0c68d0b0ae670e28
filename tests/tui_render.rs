//! The TUI drawn headless through `TestBackend`: snapshots of the default scenario (text, and
//! styles where the highlight matters), any terminal size, random op sequences typed live. How
//! keys and typed ops move the steps is in `tui_steps.rs`.

use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Modifier;

mod common;

use common::screen::{draw, s3, text};
use rmapviz::scenario::Scenario;
use rmapviz::tui::{App, AppOptions, ThemeName, render};

fn app(opts: &AppOptions) -> App {
    App::headless(s3(), opts).unwrap()
}

/// The screen with every cell drawn bold or reversed shown as `#` (the highlight layer): the
/// walk path, the selection, LOST badges. Plain text snapshots cannot see these.
fn highlight(b: &Buffer) -> String {
    let mut s = String::new();
    for y in 0..b.area.height {
        for x in 0..b.area.width {
            let c = &b[(x, y)];
            let m = c.modifier;
            s.push(if m.contains(Modifier::REVERSED) {
                'R'
            } else if m.contains(Modifier::BOLD) {
                'B'
            } else {
                '.'
            });
        }
        s.push('\n');
    }
    s
}

fn at(step: usize) -> AppOptions<'static> {
    AppOptions {
        step,
        ..AppOptions::default()
    }
}

#[test]
fn s3_at_120x40() {
    for step in [0, 3, 5] {
        let b = draw(&app(&at(step)), 120, 40);
        insta::assert_snapshot!(format!("s3_120x40_step{step}"), text(&b));
    }
}

#[test]
fn s3_at_80x24() {
    for step in [1, 5] {
        let b = draw(&app(&at(step)), 80, 24);
        insta::assert_snapshot!(format!("s3_80x24_step{step}"), text(&b));
    }
}

#[test]
fn s3_compare_mode() {
    let names = App::headless(s3(), &at(0)).unwrap().scheme_names().to_vec();
    let other = if names.contains(&"anonmm-naive") {
        "anonmm-naive"
    } else {
        "modern"
    };
    let opts = AppOptions {
        step: 5,
        compare: Some(other),
        ..AppOptions::default()
    };
    let a = app(&opts);
    insta::assert_snapshot!("s3_compare_120x40_step5", text(&draw(&a, 120, 40)));
    insta::assert_snapshot!("s3_compare_80x24_step5", text(&draw(&a, 80, 24)));
}

/// Choosing, with Tab or a number key, the scheme that compare mode shows beside the main one
/// swaps the two panes instead of drawing one scheme twice.
#[test]
fn choosing_the_compared_scheme_swaps_the_panes() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use rmapviz::tui::Msg;
    let key = |c: KeyCode| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    let mut a = app(&AppOptions {
        step: 5,
        scheme: "anon-vma",
        compare: Some("anonmm-naive"),
        ..AppOptions::default()
    });
    let names = a.scheme_names().to_vec();
    let number = |n: &str| names.iter().position(|x| *x == n).unwrap();
    let digit = |i: usize| KeyCode::Char(char::from(b'0' + ((i + 1) % 10) as u8));

    a.update(key(digit(number("anonmm-naive"))));
    assert_eq!(a.scheme_name(), "anonmm-naive");
    assert_eq!(a.compared_name(), Some("anon-vma"));

    // Tab walks the list; landing on the compared scheme swaps again.
    while a.scheme_name() != "anon-vma" {
        a.update(key(KeyCode::Tab));
        assert_ne!(Some(a.scheme_name()), a.compared_name());
    }
    let before = names[(number("anon-vma") + names.len() - 1) % names.len()];
    assert_eq!(a.compared_name(), Some(before));

    a.update(key(KeyCode::BackTab));
    assert_eq!(a.scheme_name(), before);
    assert_eq!(a.compared_name(), Some("anon-vma"));
    let header = text(&draw(&a, 120, 40));
    let first = header.lines().nth(1).unwrap_or_default();
    assert!(
        first.contains(&format!("vs {} anon-vma", number("anon-vma") + 1)),
        "{first}"
    );
}

/// pte-chain keeps a page's ptes in its `pte` union, not in page->mapping
/// (docs/semantics.md §3.1); the walk pane names the field the walk starts from.
#[test]
fn the_walk_pane_names_the_field_the_walk_starts_from() {
    let screen = |scheme: &str| {
        text(&draw(
            &app(&AppOptions {
                step: 5,
                scheme,
                ..AppOptions::default()
            }),
            120,
            40,
        ))
    };
    let chain = screen("pte-chain");
    assert!(chain.contains("page->pte: chain p2"), "{chain}");
    assert!(!chain.contains("page->mapping"), "{chain}");
    assert!(screen("anon-vma").contains("page->mapping: av1"));
}

/// The storm of 1000 children of 1 page at its last step under anon-vma: the reclaim of a
/// child's copy, a walk of 1001 candidates.
fn storm_reclaim_under_anon_vma() -> App {
    let sc = rmapviz::scenario::storm(1000, 1);
    let opts = AppOptions {
        scheme: "anon-vma",
        step: sc.steps.len(),
        ..AppOptions::default()
    };
    let a = App::headless(sc, &opts).unwrap();
    assert_eq!(a.candidates(), 1001);
    a
}

/// A walk of more than 999 candidates keeps each candidate on one row of the 30-column walk
/// pane: the storm's reclaim of a child's copy under anon-vma scans the whole family, 1001
/// vmas (docs/semantics.md §7 S2 (a)), the last of them the HIT.
#[test]
fn a_walk_of_a_thousand_candidates_keeps_one_row_each() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use rmapviz::tui::Msg;
    let mut a = storm_reclaim_under_anon_vma();
    a.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('N'),
        KeyModifiers::SHIFT,
    )));
    assert_eq!(a.walk_candidate(), Some(1000));
    // The walk pane is 30 cells wide wherever the layout puts it (the storm's graph is too wide
    // for the pane beside the steps and the walk, so the panes are stacked under it).
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut at = None;
    t.draw(|f| at = render::draw_frame(&a, f).walk.map(|w| w.area))
        .unwrap();
    let at = at.expect("a walk pane");
    assert_eq!(at.width, 30);
    let screen = text(t.backend().buffer());
    let walk: Vec<String> = screen
        .lines()
        .skip(at.y as usize)
        .take(at.height as usize)
        .map(|l| l.chars().skip(at.x as usize).take(30).collect())
        .collect();
    let row_of = |n: &str| {
        walk.iter()
            .find(|l| {
                let l = l.trim_start_matches(['│', '▶', '>', ' ']);
                l.split_whitespace().next() == Some(n)
            })
            .cloned()
            .unwrap_or_else(|| panic!("no row for candidate {n}:\n{}", walk.join("\n")))
    };
    let last = row_of("1001");
    assert!(
        last.contains("HIT") && last.contains("0x10000000"),
        "{last}"
    );
    let before = row_of("1000");
    assert!(
        before.contains("MISS") && before.contains("0x10000000"),
        "{before}"
    );
    // Rows that leave out the word "pid" come under a heading that names the column (at the
    // top of the list, shown when no candidate is followed).
    if !last.contains("pid") {
        a.set_walk_candidate(None);
        // At 120x60, where the walk pane has the rows for the heading above the verdict.
        let mut t = Terminal::new(TestBackend::new(120, 60)).unwrap();
        let mut at = None;
        t.draw(|f| at = render::draw_frame(&a, f).walk.map(|w| w.area))
            .unwrap();
        let at = at.expect("a walk pane");
        let top = text(t.backend().buffer());
        let heading = top
            .lines()
            .map(|l| l.chars().skip(at.x as usize).take(30).collect::<String>())
            .any(|l| l.contains("# pid"));
        assert!(heading, "{top}");
    }
}

/// A frame of a walk of 1001 candidates builds the walk pane's lines it shows, not the other
/// thousand: the pane says how many lines it built (`Scrolled::built`), and that count is
/// bounded by the rows on screen wherever the pane is scrolled to, while the bottom border
/// still counts every line ("lines a-b of 1004").
#[test]
fn a_long_walk_builds_only_the_lines_in_view() {
    let mut a = storm_reclaim_under_anon_vma();
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    for cand in [None, Some(0), Some(500), Some(1000)] {
        a.set_walk_candidate(cand);
        let mut info = None;
        t.draw(|f| info = Some(render::draw_frame(&a, f))).unwrap();
        let walk = info.unwrap().walk.expect("a walk pane at 120x40");
        // Two lines about the page, a heading, 1001 candidates.
        assert_eq!(walk.max_top + walk.rows, 1004, "{cand:?}");
        assert!(
            walk.built <= walk.rows + 1,
            "{cand:?}: {} lines built for {} rows",
            walk.built,
            walk.rows
        );
        assert!(walk.built >= walk.rows, "{cand:?}: {walk:?}");
    }
}

#[test]
fn s3_walk_highlight_in_mono() {
    // The mono theme keeps the walk visible through modifiers only (NO_COLOR).
    let opts = AppOptions {
        step: 5,
        theme: ThemeName::Mono,
        walk_candidate: Some(1),
        ..AppOptions::default()
    };
    let b = draw(&app(&opts), 120, 40);
    insta::assert_snapshot!("s3_mono_highlight_step5", highlight(&b));
    for y in 0..b.area.height {
        for x in 0..b.area.width {
            assert_eq!(
                b[(x, y)].fg,
                ratatui::style::Color::Reset,
                "mono sets no colour"
            );
        }
    }
}

#[test]
fn s3_styles_of_the_walk_in_colour() {
    let opts = AppOptions {
        step: 5,
        walk_candidate: Some(0),
        ..AppOptions::default()
    };
    insta::assert_debug_snapshot!("s3_dark_buffer_step5", draw(&app(&opts), 100, 30));
}

#[test]
fn ascii_mode_draws_only_ascii() {
    let opts = AppOptions {
        step: 5,
        ascii: true,
        ..AppOptions::default()
    };
    let b = draw(&app(&opts), 120, 40);
    let t = text(&b);
    assert!(t.is_ascii(), "{t}");
    insta::assert_snapshot!("s3_ascii_120x40_step5", t);
}

#[test]
fn tiny_terminals_say_what_they_need() {
    let b = draw(&app(&at(5)), 30, 8);
    let t = text(&b).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(t.contains("needs a terminal of at least 40x10"), "{t}");
    for (w, h) in [(1, 1), (2, 1), (1, 3), (39, 9), (40, 10), (41, 11)] {
        draw(&app(&at(5)), w, h);
    }
}

#[test]
fn headless_errors_are_typed() {
    let bad = AppOptions {
        scheme: "nope",
        ..AppOptions::default()
    };
    assert!(
        App::headless(s3(), &bad)
            .err()
            .unwrap()
            .to_string()
            .contains("unknown scheme \"nope\"")
    );
    let far = at(99);
    assert!(
        App::headless(s3(), &far)
            .err()
            .unwrap()
            .to_string()
            .contains("out of range")
    );
    let cand = AppOptions {
        step: 4,
        walk_candidate: Some(0),
        ..AppOptions::default()
    };
    assert!(
        App::headless(s3(), &cand)
            .err()
            .unwrap()
            .to_string()
            .contains("candidate 0")
    );
}

#[test]
fn the_recorder_api_steps_and_follows_candidates() {
    let mut a = app(&at(0));
    assert_eq!(a.candidates(), 0);
    a.step_to(5);
    assert_eq!(a.step(), 5);
    // docs/semantics.md §7 S3: anon-vma finds both ptes: two candidates.
    assert_eq!(a.candidates(), 2);
    a.set_walk_candidate(Some(1));
    assert_eq!(a.walk_candidate(), Some(1));
    a.set_walk_candidate(Some(7));
    assert_eq!(a.walk_candidate(), Some(1), "out of range is ignored");
    a.step_to(99);
    assert_eq!(a.step(), a.len());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_size_and_any_step_renders(w in 1u16..200, h in 1u16..70, step in 0usize..=5, cmp in any::<bool>(), ascii in any::<bool>()) {
        let opts = AppOptions {
            step,
            compare: cmp.then_some("modern"),
            ascii,
            ..AppOptions::default()
        };
        let a = app(&opts);
        draw(&a, w, h);
    }

    #[test]
    fn random_typed_ops_render(
        ops in proptest::collection::vec((0usize..6, 1u32..4, 0u64..8, 1u64..4), 1..12),
        w in 20u16..160, h in 8u16..50)
    {
        let mut a = App::headless(Scenario::empty("p"), &AppOptions::default()).unwrap();
        for (kind, pid, page, n) in ops {
            let addr = 0x10000 + page * 0x1000;
            let line = match kind {
                0 => format!("mmap {pid} {addr:#x} {n} rw"),
                1 => format!("write {pid} {addr:#x} {n}"),
                2 => format!("fork {pid} {}", pid + 1),
                3 => format!("swapout {pid} {addr:#x}"),
                4 => format!("mremap {pid} {addr:#x} {n} to={:#x}", addr + 0x100000),
                _ => format!("munmap {pid} {addr:#x} {n}"),
            };
            a.run_command(&line);
            draw(&a, w, h);
        }
        prop_assert!(!a.is_empty());
    }
}

/// `? help` and `q quit` stay in the footer at every size and focus, alone and compared: the
/// other keys give way to them (issue 16 item 5: 80x24 dropped both, 100x30 dropped `q quit`).
#[test]
fn the_footer_keeps_help_and_quit_at_every_size() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use rmapviz::tui::Msg;
    for compare in [None, Some("modern")] {
        let mut a = app(&AppOptions {
            step: 5,
            compare,
            ..AppOptions::default()
        });
        for focus_graph in [false, true] {
            if focus_graph {
                a.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
            }
            for (w, h) in [(40, 10), (80, 24), (100, 30), (120, 40), (200, 60)] {
                let t = text(&draw(&a, w, h));
                let footer = t.lines().last().unwrap_or_default();
                for k in ["? help", "q quit"] {
                    assert!(
                        footer.contains(k),
                        "{w}x{h} {compare:?} graph {focus_graph}: {footer}"
                    );
                }
            }
        }
    }
}

/// In a scenario of 2004 steps, the steps pane's title is never cut into another number
/// ("steps 0/200" for step 0 of 2004), and a fork's row says which fork it is (issue 16 item 7).
#[test]
fn a_long_scenario_keeps_its_step_count_and_names_each_fork() {
    let s = rmapviz::scenario::storm(1000, 1);
    let n = s.steps.len();
    assert!(n >= 2000, "{n}");
    // The last fork: pid 1 makes child 1001.
    let last_fork = s
        .steps
        .iter()
        .rposition(|st| matches!(st.op, rmapviz::model::Op::Fork { .. }))
        .unwrap()
        + 1;
    for step in [0, last_fork] {
        let a = App::headless(s.clone(), &at(step)).unwrap();
        for (w, h) in [(80, 24), (100, 30), (120, 40), (160, 50), (200, 60)] {
            let t = text(&draw(&a, w, h));
            // Every "a/b" on the screen outside the header, b being a step count, is whole (the
            // graph pane's "band 1/5" of a graph cut into bands counts bands, not steps).
            for line in t.lines().skip(2) {
                let chars: Vec<char> = line.chars().collect();
                for (i, c) in chars.iter().enumerate() {
                    if *c != '/' || i == 0 || !chars[i - 1].is_ascii_digit() {
                        continue;
                    }
                    let before: String = chars[..i].iter().collect();
                    let number = before.trim_end_matches(|c: char| c.is_ascii_digit());
                    if number.ends_with("band ") {
                        continue;
                    }
                    let after: String = chars[i + 1..]
                        .iter()
                        .take_while(|c| c.is_ascii_digit())
                        .collect();
                    if !after.is_empty() {
                        assert_eq!(after, n.to_string(), "{w}x{h} step {step}: {line}");
                    }
                }
            }
            let body: String = t.lines().skip(2).collect::<Vec<_>>().join("\n");
            assert!(
                body.contains(&format!(" {step}/{n} ")),
                "{w}x{h}: the steps title says step {step} of {n}\n{t}"
            );
            if step == last_fork {
                assert!(t.contains("fork 1→1001"), "{w}x{h}:\n{t}");
            }
        }
    }
}

/// Stepping to a walk step moves the inspector to the walked page, as `--step 5`, `shot` and
/// the README's picture show it (issue 16 item 6: it stayed on "mm pid1").
#[test]
fn the_inspector_follows_the_walk_when_stepping_to_it() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use rmapviz::tui::Msg;
    let key = |c| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    let inspects_p2 = |a: &App| text(&draw(a, 120, 40)).contains("┌ page p2 ");
    // At step 3 (after the fork) the graph opens on its first node, not p2.
    let mut a = app(&at(3));
    assert!(!inspects_p2(&a));
    a.update(key(KeyCode::Right));
    a.update(key(KeyCode::Right));
    assert_eq!(a.step(), 5);
    assert!(inspects_p2(&a), "{}", text(&draw(&a, 120, 40)));
    // A node chosen at the walk step stays chosen while the step does not change.
    a.update(key(KeyCode::Enter));
    a.update(key(KeyCode::Left));
    assert!(!inspects_p2(&a));
    a.update(key(KeyCode::Char('c')));
    assert_eq!(a.step(), 5);
    assert!(!inspects_p2(&a));
}

/// Below 29 lines a narrow screen has no narrative pane; `e` shows the step in words in a window
/// and `Esc` closes it (issue 16 item 5).
#[test]
fn a_key_shows_the_narrative_where_it_has_no_pane() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use rmapviz::tui::Msg;
    let key = |c| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    let mut a = app(&at(5));
    let note = "Reclaim p2, the page at 0x11000.";
    let shows = |a: &App| text(&draw(a, 80, 24)).contains(note);
    assert!(!shows(&a), "no narrative pane at 80x24");
    a.update(key(KeyCode::Char('e')));
    assert!(shows(&a), "{}", text(&draw(&a, 80, 24)));
    // Stepping under the window keeps it open on the new step.
    a.update(key(KeyCode::Left));
    assert_eq!(a.step(), 4);
    assert!(text(&draw(&a, 80, 24)).contains("The parent moves the range."));
    a.update(key(KeyCode::Right));
    assert!(shows(&a));
    a.update(key(KeyCode::Esc));
    assert!(!shows(&a));
    a.update(key(KeyCode::Char('e')));
    a.update(key(KeyCode::Char('e')));
    assert!(!shows(&a));
}

/// An error longer than the footer is wrapped over up to three lines, not cut with "…"
/// (issue 16 item 11: ":w" into a long missing directory lost the reason at 120 columns).
#[test]
fn a_long_error_is_shown_whole() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use rmapviz::tui::Msg;
    let mut a = app(&at(5));
    let path = format!("/nonexistent-rmapviz-dir/{}/s.ron", "long".repeat(20));
    for c in format!(":w {path}").chars() {
        a.update(Msg::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
    }
    a.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    let t = text(&draw(&a, 120, 40));
    let bottom: String = t
        .lines()
        .rev()
        .take(3)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert!(bottom.contains(&path[..60]), "{t}");
    assert!(bottom.contains("No such file or directory"), "{t}");
    assert!(!bottom.contains('…'), "{t}");
    // The rest of the screen is still drawn above it.
    assert!(
        t.lines().nth(1).unwrap_or_default().contains("SwapOut"),
        "{t}"
    );
}

/// The inspector names the kind of every link of the selected node (issue 16 item 9: the ring
/// of anonmm, an avc, a parent link were only in the DOT export): S9 at step 6 under anonmm,
/// anonmm1 is on a ring with the child's anonmm2 (docs/semantics.md §7 S9: the ring of the family).
#[test]
fn the_inspector_names_the_kinds_of_the_links() {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use rmapviz::tui::Msg;
    let (sc, _) = Scenario::load("S9").unwrap();
    let mut a = App::headless(
        sc,
        &AppOptions {
            step: 6,
            scheme: "anonmm",
            ..AppOptions::default()
        },
    )
    .unwrap();
    for c in "/anonmm1".chars() {
        a.update(Msg::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
    }
    a.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    let t = text(&draw(&a, 120, 40));
    assert!(t.contains("┌ object anonmm1 "), "{t}");
    assert!(t.contains("anonmm2 (ring)"), "{t}");
}

/// A frame of the storm's walk of 1001 candidates costs what it shows. The graph pane lays its
/// graph out once, when the view is built for the pane's width (as between keys), and a frame
/// makes no other layout, not even to learn whether the graph fits beside the other panes; it
/// draws the rows in view of the layout, not its 1000-odd rows. The narrative's walk in one line
/// (30,000 characters) is wrapped without ratatui's grapheme wrapper (`Scrolled::wrapped`).
#[test]
fn a_frame_of_a_big_walk_lays_out_nothing_and_draws_the_rows_in_view() {
    for (w, h) in [(120, 40), (200, 60)] {
        let mut a = storm_reclaim_under_anon_vma();
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        let mut draw_once = |a: &App| {
            let mut info = None;
            t.draw(|f| info = Some(render::draw_frame(a, f))).unwrap();
            info.unwrap()
        };
        // The first frame tells the app the pane's width; views built after it are laid out
        // for it.
        let first = draw_once(&a);
        a.set_frame(first);
        a.set_scheme("anon-vma-global").unwrap();
        assert_eq!(a.candidates(), 1001);
        for frame in 0..3 {
            let info = draw_once(&a);
            assert_eq!(info.graph_work.len(), 1);
            let work = info.graph_work[0];
            assert_eq!(work.layouts, 0, "{w}x{h}, frame {frame}: {work:?}");
            let rows = info.graphs[0].0.height as usize;
            assert!(work.rows > 0 && work.rows <= rows, "{w}x{h}: {work:?}");
            let n = info.narrative.expect("a narrative pane");
            assert_eq!(n.wrapped, 0, "{w}x{h}: {n:?}");
            assert!(
                n.max_top > 0,
                "the walk line takes more rows than the pane: {n:?}"
            );
            a.set_frame(info);
        }
    }
}
