//! Scrolling, drawn headless through `TestBackend` with the panes' rectangles of the last draw
//! (`render::draw_frame`) handed back to the app as the event loop does: the walk pane keeps the
//! candidate followed with `n` / `N` in view and its verdict on its last lines; the wheel
//! scrolls the pane under the pointer (and only that pane); the scroll keys; several `PgDn`
//! read together each move the graph a page.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use rmapviz::scenario::{Scenario, storm};
use rmapviz::tui::app::FrameInfo;
use rmapviz::tui::{App, AppOptions, Msg, render};

/// Children of the storm: its last step walks the parent's anon_vma, which lists the parent's
/// vma and the 30 children's (docs/semantics.md §7 S2 (b): N MISS + 1 HIT under anon-vma).
const CHILDREN: u32 = 30;

fn storm_app(scheme: &str) -> App {
    storm_of(CHILDREN, scheme)
}

fn storm_of(children: u32, scheme: &str) -> App {
    let sc = storm(children, 16);
    let step = sc.steps.len();
    App::headless(
        sc,
        &AppOptions {
            scheme,
            step,
            ..AppOptions::default()
        },
    )
    .unwrap()
}

/// Draws `app` at `w`x`h`, hands it the panes' rectangles, returns the screen.
fn draw(app: &mut App, w: u16, h: u16) -> (Buffer, FrameInfo) {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut info = FrameInfo::default();
    t.draw(|f| info = render::draw_frame(app, f)).unwrap();
    app.set_frame(info.clone());
    (t.backend().buffer().clone(), info)
}

/// The text inside `r`, line by line.
fn text_in(b: &Buffer, r: Rect) -> String {
    let mut s = String::new();
    for y in r.y..r.y + r.height {
        for x in r.x..r.x + r.width {
            s.push_str(b[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn wheel(down: bool, r: Rect) -> Msg {
    Msg::Mouse(MouseEvent {
        kind: if down {
            MouseEventKind::ScrollDown
        } else {
            MouseEventKind::ScrollUp
        },
        column: r.x + r.width / 2,
        row: r.y + r.height / 2,
        modifiers: KeyModifiers::NONE,
    })
}

/// `/` and `what`, typed.
fn find(a: &mut App, what: &str) {
    a.update(key(KeyCode::Char('/')));
    for c in what.chars() {
        a.update(key(KeyCode::Char(c)));
    }
    a.update(key(KeyCode::Enter));
}

/// The walk pane's text and rectangle.
fn walk_pane(app: &mut App) -> (String, Rect) {
    let (b, info) = draw(app, 120, 40);
    let r = info.walk.expect("a walk pane at 120x40").area;
    (text_in(&b, r), r)
}

/// The row of candidate `k` (1-based) as the walk pane writes it, marked as followed or not.
fn row(k: usize, followed: bool) -> String {
    format!("{}{k:>2} pid", if followed { "▶" } else { " " })
}

#[test]
fn the_walk_pane_keeps_the_candidate_followed_and_the_verdict_in_view() {
    let mut a = storm_app("anon-vma");
    let n = a.candidates();
    assert_eq!(n, CHILDREN as usize + 1, "§7 S2 (b)");
    let (walk, r) = walk_pane(&mut a);
    assert!(
        n > r.height as usize,
        "the walk is longer than the pane: {walk}"
    );
    // Nothing followed: the start of the walk, and the verdict.
    assert!(walk.contains(&row(1, false)), "{walk}");
    assert!(!walk.contains(&row(n, false)), "{walk}");
    assert!(walk.contains("1 HIT 30 MISS"), "{walk}");
    // N: the last candidate.
    a.update(key(KeyCode::Char('N')));
    let (walk, _) = walk_pane(&mut a);
    assert!(walk.contains(&format!("candidate {n}/{n}")), "{walk}");
    assert!(walk.contains(&row(n, true)), "{walk}");
    assert!(walk.contains("1 HIT 30 MISS"), "{walk}");
    // Back to no candidate (n after the last), then k presses of n: candidate k.
    a.update(key(KeyCode::Char('n')));
    for k in 1..=n {
        a.update(key(KeyCode::Char('n')));
        let (walk, _) = walk_pane(&mut a);
        assert!(walk.contains(&row(k, true)), "candidate {k}: {walk}");
        assert!(walk.contains("1 HIT 30 MISS"), "candidate {k}: {walk}");
    }
}

#[test]
fn the_walk_pane_says_which_lines_it_shows() {
    let mut a = storm_app("anon-vma");
    let (b, info) = draw(&mut a, 120, 40);
    let r = info.walk.unwrap().area;
    let bottom = text_in(
        &b,
        Rect {
            y: r.y + r.height - 1,
            height: 1,
            ..r
        },
    );
    // Two heading lines and a line per candidate scroll; the verdict is pinned below them.
    let lines = 2 + a.candidates();
    assert!(bottom.contains(&format!("of {lines}")), "{bottom}");
}

#[test]
fn the_wheel_scrolls_the_pane_under_it_and_not_the_graph() {
    let mut a = storm_app("anon-vma");
    a.update(key(KeyCode::Char('m')));
    let (before, info) = draw(&mut a, 120, 40);
    let graph = info.graphs[0];
    let walk_r = info.walk.unwrap().area;
    a.update(wheel(true, walk_r));
    let (after, info2) = draw(&mut a, 120, 40);
    assert_eq!(info2.graphs[0], graph, "the graph did not move");
    let walk = text_in(&after, walk_r);
    assert!(!walk.contains(&row(1, false)), "scrolled: {walk}");
    assert!(walk.contains(&row(4, false)), "three rows down: {walk}");
    assert!(walk.contains("1 HIT 30 MISS"), "the verdict stays: {walk}");
    // Up again: the start.
    a.update(wheel(false, walk_r));
    let (back, _) = draw(&mut a, 120, 40);
    assert_eq!(text_in(&back, walk_r), text_in(&before, walk_r));

    // The steps list scrolls its list; the step shown stays.
    let (tl, first) = info.timeline.unwrap();
    let step = a.step();
    a.update(wheel(false, tl));
    let (_, info3) = draw(&mut a, 120, 40);
    assert_eq!(a.step(), step);
    assert_eq!(info3.timeline.unwrap().1, first - 3);
    assert_eq!(info3.graphs[0], graph, "the graph did not move");

    // Over the compare table or the header: nothing moves (at 120x60: at 120x40 the table
    // gives its rows to the graph, which shows the 31 candidates of the walk whole).
    let (screen, info) = draw(&mut a, 120, 60);
    a.update(wheel(true, info.compare.unwrap().0));
    a.update(wheel(true, Rect::new(0, 0, 120, 2)));
    let (same, _) = draw(&mut a, 120, 60);
    assert_eq!(same, screen);
}

#[test]
fn the_wheel_and_the_keys_scroll_the_narrative_to_its_end() {
    // S3 at its SwapOut under anonmm-naive: the moved pte is LOST and try_to_unmap fails
    // (docs/semantics.md §7 S3); the narrative says so in its last lines.
    let s3 = Scenario::load("S3").unwrap().0;
    let opts = AppOptions {
        scheme: "anonmm-naive",
        step: 5,
        ..AppOptions::default()
    };
    for by_key in [false, true] {
        let mut a = App::headless(s3.clone(), &opts).unwrap();
        a.update(key(KeyCode::Char('m')));
        let (b, info) = draw(&mut a, 120, 40);
        let r = info.narrative.expect("a narrative pane at 120x40").area;
        assert!(!text_in(&b, r).contains("try_to_unmap failed"));
        let graph = text_in(&b, info.graphs[0].0);
        for _ in 0..10 {
            a.update(if by_key {
                key(KeyCode::Char(')'))
            } else {
                wheel(true, r)
            });
        }
        let (b, _) = draw(&mut a, 120, 40);
        let narr = text_in(&b, r);
        assert!(narr.contains("try_to_unmap failed"), "{narr}");
        assert!(narr.contains("LOST"), "{narr}");
        assert_eq!(
            text_in(&b, info.graphs[0].0),
            graph,
            "the graph did not move"
        );
        // Another step forgets the offset; coming back shows the start again.
        a.update(key(KeyCode::Left));
        a.update(key(KeyCode::Right));
        let (b, _) = draw(&mut a, 120, 40);
        assert!(!text_in(&b, r).contains("try_to_unmap failed"));
    }
}

#[test]
fn the_inspector_scrolls_and_forgets_its_offset_with_the_selection() {
    let mut a = storm_app("anon-vma");
    a.update(key(KeyCode::Char('m')));
    assert!(a.select("av1"));
    let (b, info) = draw(&mut a, 120, 40);
    let r = info.inspector.unwrap().area;
    let start = text_in(&b, r);
    assert!(start.contains("of "), "it says there is more: {start}");
    a.update(key(KeyCode::Char('}')));
    let (b, _) = draw(&mut a, 120, 40);
    let moved = text_in(&b, r);
    assert_ne!(moved, start);
    a.update(wheel(false, r));
    a.update(wheel(false, r));
    a.update(wheel(false, r));
    let (b, _) = draw(&mut a, 120, 40);
    assert_eq!(text_in(&b, r), start, "the wheel scrolls it back up");
    // Scrolled, then another node found with / and av1 again: the top.
    a.update(key(KeyCode::Char('}')));
    find(&mut a, "pid1");
    assert_eq!(a.selected(), Some("pid1"));
    find(&mut a, "av1");
    assert_eq!(a.selected(), Some("av1"));
    let (b, _) = draw(&mut a, 120, 40);
    assert_eq!(text_in(&b, r), start, "a new selection starts at the top");
}

#[test]
fn page_downs_read_together_each_move_a_page() {
    // 101 mm rows: three pages of the graph pane fit in them.
    let pgdn = || key(KeyCode::PageDown);
    let mut apart = storm_of(100, "anon-vma");
    let (_, info) = draw(&mut apart, 120, 40);
    let (_, top0, _) = info.graphs[0];
    for _ in 0..3 {
        apart.update_all(vec![pgdn()]);
        draw(&mut apart, 120, 40);
    }
    let (_, info) = draw(&mut apart, 120, 40);
    let (r, top_apart, _) = info.graphs[0];
    let page = r.height as u32 - 2;
    assert_eq!(top_apart, top0 + 3 * page);

    let mut together = storm_of(100, "anon-vma");
    draw(&mut together, 120, 40);
    together.update_all(vec![pgdn(), pgdn(), pgdn()]);
    let (_, info) = draw(&mut together, 120, 40);
    assert_eq!(info.graphs[0].1, top_apart);
    // And back up.
    together.update_all(vec![key(KeyCode::PageUp), key(KeyCode::PageUp)]);
    let (_, info) = draw(&mut together, 120, 40);
    assert_eq!(info.graphs[0].1, top0 + page);
}
