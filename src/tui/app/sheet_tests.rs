//! The graph pane of a graph cut into bands shows one band at a time (README "Bands of a large
//! graph"): the storm of 1000 children of one page has one spine row per process (its vma; no
//! mm -> object edges), 1001 rows, so it is cut into six bands of whole processes, each ending
//! at the process that brings it to 200 rows: pids 1-200, 201-400, 401-600, 601-800, 801-1000,
//! and pid 1001.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use crate::model::Op;
use crate::scenario::{Scenario, storm};
use crate::tui::Msg;
use crate::tui::app::{App, AppOptions, Focus, FrameInfo};
use crate::tui::render;
use crate::view::NodeKind;

const W: u16 = 120;
const H: u16 = 40;

/// The storm's vma (scenario::generate's `STORM_BASE`).
const BASE: u64 = 0x1000_0000;

fn app_of(sc: Scenario, scheme: &str) -> App {
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

/// Draws `a`, hands it the frame (as the event loop does), returns the screen's lines.
fn draw(a: &mut App) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(W, H)).unwrap();
    let mut info = FrameInfo::default();
    t.draw(|f| info = render::draw_frame(a, f)).unwrap();
    a.set_frame(info);
    let b = t.backend().buffer();
    (0..H)
        .map(|y| (0..W).map(|x| b[(x, y)].symbol()).collect())
        .collect()
}

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// The graph pane's title line (its top border).
fn title(a: &App, screen: &[String]) -> String {
    let r = a.frame.graphs[0].0;
    screen[r.y as usize - 2].clone()
}

/// Whether node `id` is drawn in the main graph pane of the last frame: the band shown holds
/// it, and its row is among the rows drawn.
fn drawn(a: &App, id: &str) -> bool {
    let (r, top, left) = a.frame.graphs[0];
    let Some(s) = a.sheet(0, Some(r.width)) else {
        return false;
    };
    let Some(pl) = s.graph.find(id).and_then(|n| s.layout.of(n)) else {
        return false;
    };
    let rows = match a.frame.graph_rows.first().and_then(Option::as_ref) {
        Some(rows) => rows.contains(&pl.row),
        None => pl.row >= top && pl.row < top + r.height as u32,
    };
    rows && pl.x >= left
}

#[test]
fn paging_past_a_band_shows_the_next_bands_first_rows_and_back() {
    let mut a = app_of(storm(1000, 1), "anon-vma");
    let screen = draw(&mut a);
    // The last step's walk is of the parent's page: the first band.
    assert!(
        title(&a, &screen).contains("band 1/6 · pids 1-200"),
        "{}",
        screen.join("\n")
    );
    let mut pages = 0;
    let screen = loop {
        a.update(key(KeyCode::PageDown));
        let screen = draw(&mut a);
        pages += 1;
        if !title(&a, &screen).contains("band 1/6") || pages > 60 {
            break screen;
        }
    };
    let t = title(&a, &screen);
    assert!(t.contains("band 2/6 · pids 201-400"), "{t}");
    // Only bands were laid out, never the whole graph.
    let view = &a.views.main().unwrap().view;
    assert_eq!(view.layouts_made(), 0);
    assert!(view.band_layouts_made() >= 2);
    // The next band from its first row: its first process, not the first band's.
    assert_eq!(a.frame.graphs[0].1, 0);
    assert!(drawn(&a, "pid201"), "{}", screen.join("\n"));
    assert!(!drawn(&a, "pid200"));
    // The rows note counts the band's rows.
    let height = a.sheet(0, None).unwrap().layout.height;
    let bottom = &screen[(a.frame.graphs[0].0.bottom()) as usize];
    assert!(bottom.contains(&format!(" of {height} ")), "{bottom}");
    // PageUp at the band's first row: the first band's last rows.
    a.update(key(KeyCode::PageUp));
    let screen = draw(&mut a);
    assert!(title(&a, &screen).contains("band 1/6"));
    assert!(drawn(&a, "pid200"), "{}", screen.join("\n"));
    assert!(!drawn(&a, "pid1"));
    // The wheel goes on to the second band as well.
    a.mouse = true;
    let r = a.frame.graphs[0].0;
    for _ in 0..40 {
        a.update(Msg::Mouse(MouseEvent {
            kind: MouseEventKind::ScrollDown,
            column: r.x + 2,
            row: r.y + 2,
            modifiers: KeyModifiers::NONE,
        }));
        draw(&mut a);
    }
    let screen = draw(&mut a);
    assert!(
        title(&a, &screen).contains("band 2/6"),
        "{}",
        title(&a, &screen)
    );
}

#[test]
fn down_from_a_bands_last_process_selects_the_next_bands_first() {
    let mut a = app_of(storm(1000, 1), "anon-vma");
    draw(&mut a);
    assert!(a.select("pid200"));
    a.focus = Focus::Graph;
    draw(&mut a);
    a.update(key(KeyCode::Down));
    let screen = draw(&mut a);
    assert_eq!(a.selected(), Some("pid201"));
    assert!(title(&a, &screen).contains("band 2/6 · pids 201-400"));
    assert!(drawn(&a, "pid201"));
    a.update(key(KeyCode::Up));
    let screen = draw(&mut a);
    assert_eq!(a.selected(), Some("pid200"));
    assert!(title(&a, &screen).contains("band 1/6"));
    assert!(drawn(&a, "pid200"));
}

#[test]
fn a_search_for_a_node_of_a_far_band_shows_that_band_with_it_selected() {
    let mut a = app_of(storm(1000, 1), "anon-vma");
    draw(&mut a);
    a.update(key(KeyCode::Char('/')));
    for c in "pid950".chars() {
        a.update(key(KeyCode::Char(c)));
    }
    a.update(key(KeyCode::Enter));
    let screen = draw(&mut a);
    assert_eq!(a.selected(), Some("pid950"));
    assert!(
        title(&a, &screen).contains("band 5/6 · pids 801-1000"),
        "{}",
        title(&a, &screen)
    );
    assert!(drawn(&a, "pid950"), "{}", screen.join("\n"));
    // A node also in other bands (the family's anon_vma is in all six) keeps the band.
    let shared = {
        let view = &a.views.main().unwrap().view;
        let bands = view.bands().expect("cut into bands");
        let g = &view.graph;
        let n = g
            .graph
            .node_indices()
            .find(|&n| g.node(n).kind == NodeKind::Object && bands.count(n) == 6)
            .expect("the family's anon_vma");
        g.node(n).id.clone()
    };
    assert!(a.select(&shared));
    let screen = draw(&mut a);
    assert!(title(&a, &screen).contains("band 5/6"), "{shared}");
    assert!(drawn(&a, &shared), "{shared}\n{}", screen.join("\n"));
    // Selecting a node of the first band goes back to it.
    assert!(a.select("pid3"));
    let screen = draw(&mut a);
    assert!(title(&a, &screen).contains("band 1/6"));
    assert!(drawn(&a, "pid3"));
}

#[test]
fn a_click_in_the_second_band_selects_that_node_of_the_whole_graph() {
    let mut a = app_of(storm(1000, 1), "anon-vma");
    a.mouse = true;
    draw(&mut a);
    assert!(a.select("pid210"));
    let screen = draw(&mut a);
    assert!(title(&a, &screen).contains("band 2/6"));
    // Another process of the band on the screen, and where its mm is drawn, from the band's
    // layout and the frame's viewport.
    let (r, top, left) = a.frame.graphs[0];
    assert_eq!(a.frame.graph_rows[0], None, "rows not folded");
    let id = (201..=400)
        .map(|pid| format!("pid{pid}"))
        .find(|id| id != "pid210" && drawn(&a, id))
        .expect("another process of the band in view");
    let s = a.sheet(0, Some(r.width)).unwrap();
    let pl = s.layout.of(s.graph.find(&id).unwrap()).unwrap().clone();
    let (column, row) = (
        r.x + pl.x.saturating_sub(left) + 1,
        r.y + (pl.row - top) as u16,
    );
    a.update(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(a.selected(), Some(id.as_str()));
    // A node of the whole graph: the inspector finds it there.
    let whole = &a.views.main().unwrap().view.graph;
    assert!(whole.find(&id).is_some());
    let screen = draw(&mut a);
    assert!(title(&a, &screen).contains("band 2/6"));
}

#[test]
fn a_walk_of_a_page_in_a_far_band_is_shown_in_that_band() {
    // Reclaim of child 950's copy under anon-vma-chain: the page hangs off the child's own
    // anon_vma, in its band only (pids 801-1000).
    let mut sc = storm(1000, 1);
    sc.steps.push(
        Op::SwapOut {
            pid: 950,
            addr: BASE,
        }
        .into(),
    );
    let mut a = app_of(sc, "anon-vma-chain");
    let screen = draw(&mut a);
    let p = a.views.main().unwrap();
    let w = p.view.graph.walk.as_ref().expect("a walk");
    let page = p
        .view
        .graph
        .node(w.page_node.expect("a walked page"))
        .id
        .clone();
    assert!(
        title(&a, &screen).contains("band 5/6 · pids 801-1000"),
        "{}",
        title(&a, &screen)
    );
    assert!(drawn(&a, &page), "{page}\n{}", screen.join("\n"));
    assert!(drawn(&a, "pid950"), "{}", screen.join("\n"));
}

#[test]
fn following_the_walks_first_candidate_shows_its_band() {
    // The reclaim of the parent's page under anon-vma scans the family's 1001 vmas on the
    // anon_vma's list, newest first (docs/semantics.md §7 S2 (b)): the first candidate is
    // child 1001's vma, the last (the HIT) the parent's.
    let mut a = app_of(storm(1000, 1), "anon-vma");
    draw(&mut a);
    assert_eq!(a.candidates(), 1001);
    a.update(key(KeyCode::Char('n')));
    assert_eq!(a.walk_candidate(), Some(0));
    let screen = draw(&mut a);
    let id = a.selected().expect("the candidate's vma").to_string();
    let whole = &a.views.main().unwrap().view.graph;
    let n = whole.find(&id).expect("a node of the whole graph");
    assert_eq!(whole.node(n).order.0, 1001, "{id}");
    assert!(
        title(&a, &screen).contains("band 6/6 · pid 1001"),
        "{}",
        title(&a, &screen)
    );
    assert!(drawn(&a, &id), "{id}\n{}", screen.join("\n"));
    // The last candidate, the parent's vma: back in the first band.
    a.set_walk_candidate(Some(1000));
    let screen = draw(&mut a);
    let id = a.selected().expect("the candidate's vma").to_string();
    assert!(
        title(&a, &screen).contains("band 1/6"),
        "{}",
        title(&a, &screen)
    );
    assert!(drawn(&a, &id), "{id}\n{}", screen.join("\n"));
}
