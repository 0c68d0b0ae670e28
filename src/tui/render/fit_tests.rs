//! Every column of the graph fits the screen from 80x24 to 240x60 (120x40 is the default size of
//! `rmapviz shot`, and a common terminal): for every built-in scenario, scheme and step, alone
//! and compared with another scheme, the layout drawn is no wider than its pane, the pages column
//! (where the walked page is) is drawn whole on the rows shown, and the walked page and every
//! walk candidate are on the screen whatever rows they are on; in compare mode both schemes'
//! walks have a pane.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use crate::scenario::{BUILTINS, Scenario};
use crate::schemes::scheme_names;
use crate::tui::app::{App, AppOptions};

/// The text of `b` in row `y` from cell `x`, `n` cells.
fn cells(b: &Buffer, x: u16, y: u16, n: u16) -> String {
    (x..x + n).map(|x| b[(x, y)].symbol()).collect()
}

/// The sizes the fit is checked at: the default of `shot`, and the wide terminals where compare
/// mode could put the graphs side by side (issue 16 item 1: at 160 to 200 columns two halves of
/// about 51 columns cut the pages column off).
const SIZES: [(u16, u16); 6] = [
    (80, 24),
    (120, 40),
    (160, 50),
    (180, 50),
    (200, 60),
    (240, 60),
];

/// Draws `app` at `w`x`h` and checks each graph pane: the layout it draws fits its inner width,
/// the column headings are all on the screen, and so is the whole text of every node of the
/// pages column on the rows shown; the walked page and every walk candidate are drawn whole
/// when their rows are shown.
fn check(app: &App, (w, h): (u16, u16), what: &str) {
    let what = &format!("{what} at {w}x{h}");
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut info = None;
    t.draw(|f| info = Some(super::draw_frame(app, f))).unwrap();
    let info = info.unwrap();
    let b = t.backend().buffer();
    // The walks cannot all be whole where the graph panes need more rows than the body has
    // (a row per candidate; S4's checkerboard compared on 80x24 needs 40).
    let too_small = super::graph::rows_for_walks(app).iter().sum::<u16>() + 3 > h;
    assert_eq!(
        info.graphs.len(),
        app.views.panes().len(),
        "{what}: a pane is missing"
    );
    for (((r, top, left), rows), p) in info
        .graphs
        .iter()
        .zip(&info.graph_rows)
        .zip(app.views.panes())
    {
        let l = p.view.fit(r.width);
        assert!(
            l.width <= r.width,
            "{what} {}: a layout {} cells wide in a pane of {} ({})",
            p.sim.scheme_name(),
            l.width,
            r.width,
            l.detail.as_str()
        );
        assert_eq!(*left, 0, "{what}: the graph is scrolled sideways");
        let heading_y = r.y - 1;
        for (c, name) in l.detail.headings().iter().enumerate() {
            let x = r.x + l.columns[c].x;
            assert_eq!(
                cells(b, x, heading_y, name.len() as u16),
                *name,
                "{what}: heading {name} not drawn"
            );
        }
        // The screen row of each model row shown.
        let shown: Vec<u32> = match rows {
            Some(rows) => rows.clone(),
            None => (*top..*top + r.height as u32).collect(),
        };
        let walk = p.view.graph.walk.as_ref();
        let walked: Vec<_> = walk
            .into_iter()
            .flat_map(|w| {
                w.page_node
                    .into_iter()
                    .chain(w.candidate_nodes.iter().flatten().copied())
            })
            .collect();
        let walk_rows = l.rows_of(&walked);
        for pl in l
            .placed
            .iter()
            .filter(|pl| pl.column == 3 || pl.node.is_some_and(|n| walked.contains(&n)))
        {
            let Some(n) = pl.node else { continue };
            let on_walk = walked.contains(&n);
            let Some(k) = shown.iter().position(|&row| row == pl.row) else {
                // Only a walk of more rows than the pane has may leave candidates out, and
                // then the pane is full of the walk's rows and shows the walked page.
                let page_row = walk
                    .and_then(|w| w.page_node)
                    .and_then(|n| l.of(n))
                    .map(|p| p.row);
                let room = shown.len() < walk_rows.len()
                    && shown.iter().all(|r| walk_rows.contains(r))
                    && page_row.is_some_and(|r| shown.contains(&r));
                assert!(
                    !on_walk || (room && too_small),
                    "{what} {}: walk node {} on row {} is not on the screen (rows {shown:?} of the walk's {walk_rows:?})",
                    p.sim.scheme_name(),
                    p.view.graph.node(n).id,
                    pl.row
                );
                continue;
            };
            let text = p.view.graph.node(n).text_at(l.detail);
            let y = r.y + k as u16;
            assert_eq!(
                cells(b, r.x + pl.x, y, pl.width),
                text,
                "{what}: page or walk candidate cut"
            );
        }
    }
    // Compare mode: a walk pane for each scheme, each naming its walked page.
    if let Some(c) = app.shown.compare() {
        for (pane, scheme) in [(info.walk, app.shown.scheme()), (info.compare_walk, c)] {
            let name = app.scheme_names()[scheme];
            let Some(pane) = pane else {
                // The graphs may take the row of the walk panes to show the walks whole (the
                // header says the step, `e` tells the walks).
                let need: u16 = super::graph::rows_for_walks(app).iter().sum();
                assert!(
                    w < crate::tui::render::WIDE && !too_small && need + 5 + 3 > h,
                    "{what}: no walk pane for {name}"
                );
                continue;
            };
            let Some(w) = app.result(scheme).and_then(|r| r.walk.as_ref()) else {
                continue;
            };
            let a = pane.area;
            let text: String = (a.y..a.y + a.height)
                .map(|y| cells(b, a.x, y, a.width))
                .collect();
            assert!(
                text.contains(&format!("walk {name}")) && text.contains(&format!(" {} ", w.page)),
                "{what}: the walk pane of {name} does not show its walk of {}",
                w.page
            );
        }
    }
}

#[test]
fn the_walk_of_every_builtin_is_on_the_screen_from_80x24_to_240x60_alone_and_compared() {
    for (name, sc, scheme, other) in every_builtin_with_the_next_scheme() {
        for compare in [None, Some(other)] {
            let opts = AppOptions {
                scheme,
                compare,
                ..AppOptions::default()
            };
            let mut app = App::headless(sc.clone(), &opts).unwrap();
            for step in 0..=sc.steps.len() {
                app.step_to(step);
                let what = format!("{} step {step} {scheme} compare {compare:?}", name);
                for size in SIZES {
                    check(&app, size, &what);
                }
            }
        }
    }
}

/// Every built-in under every scheme, with the scheme after it in the registry (the first after
/// the last) to compare it with: (the built-in's name, its scenario, the scheme, the other).
fn every_builtin_with_the_next_scheme() -> Vec<(&'static str, Scenario, &'static str, &'static str)>
{
    let schemes = scheme_names();
    let mut out = Vec::new();
    for bi in BUILTINS.iter() {
        let (sc, _) = Scenario::load(bi.name).unwrap();
        for (k, &scheme) in schemes.iter().enumerate() {
            let other = schemes[(k + 1) % schemes.len()];
            out.push((bi.name, sc.clone(), scheme, other));
        }
    }
    out
}

/// S3 at its SwapOut (step 5) under anon-vma, compared with anonmm-naive.
pub(super) fn s3_swapout_compared_with_anonmm_naive() -> App {
    let (sc, _) = Scenario::load("S3").unwrap();
    let opts = AppOptions {
        compare: Some("anonmm-naive"),
        step: 5,
        ..AppOptions::default()
    };
    App::headless(sc, &opts).unwrap()
}

/// Draws `app` at `w`x`h`; the buffer and where the panes went.
pub(super) fn draw_at(app: &App, w: u16, h: u16) -> (Buffer, crate::tui::app::FrameInfo) {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut info = None;
    t.draw(|f| info = Some(super::draw_frame(app, f))).unwrap();
    (t.backend().buffer().clone(), info.unwrap())
}

/// The text of row `y` of `b`.
fn row(b: &Buffer, y: u16) -> String {
    cells(b, 0, y, b.area.width)
}

/// Narrow terminals keep the steps (issue 5: "narrow terminals stack panes"): at 80x24 and
/// 100x30, for every built-in scenario at every step, alone and compared, a steps pane is drawn
/// and one of its lines is the cursor (`▶` and the step's number), in the pane's rows; unless
/// the walk needs the rows (S4's checkerboard at 80x24: 16 candidates), and then the header
/// says the step.
#[test]
fn narrow_terminals_draw_the_steps_with_the_cursor_for_every_builtin() {
    for bi in BUILTINS.iter() {
        let (sc, _) = Scenario::load(bi.name).unwrap();
        for compare in [None, Some("anonmm-naive")] {
            let opts = AppOptions {
                compare,
                ..AppOptions::default()
            };
            let mut app = App::headless(sc.clone(), &opts).unwrap();
            for step in 0..=sc.steps.len() {
                app.step_to(step);
                for (w, h) in [(80, 24), (100, 30)] {
                    let what = format!("{} step {step} compare {compare:?} at {w}x{h}", bi.name);
                    let (b, info) = draw_at(&app, w, h);
                    // The walk comes first: where the graph panes need every row of the body
                    // but the header and the footer to show it whole, the header's step i/n
                    // stands for the steps.
                    let need: u16 = super::graph::rows_for_walks(&app).iter().sum();
                    let body = info.graphs.iter().map(|g| g.0.height + 3).sum::<u16>();
                    if info.timeline.is_none() && need + 5 > body {
                        assert!(row(&b, 0).contains(&format!("step {step}/")), "{what}");
                        continue;
                    }
                    let (r, _) = info
                        .timeline
                        .unwrap_or_else(|| panic!("{what}: no steps pane"));
                    assert!(r.width >= 16 && r.height >= 3, "{what}: steps pane {r:?}");
                    let cursor = format!("▶{step}");
                    let shown = (r.y..r.y + r.height).any(|y| {
                        cells(&b, r.x, y, r.width)
                            .replace(' ', "")
                            .starts_with(&cursor)
                    });
                    assert!(shown, "{what}: the cursor's step is not in the steps pane");
                }
            }
        }
    }
}

/// A click on a step of the narrow layout's steps pane shows that step (FrameInfo.timeline is
/// where the lines are drawn).
#[test]
fn a_click_on_a_step_in_the_narrow_layout_selects_it() {
    use ratatui::crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let (sc, _) = Scenario::load("S3").unwrap();
    let opts = AppOptions {
        step: 5,
        ..AppOptions::default()
    };
    let mut app = App::headless(sc, &opts).unwrap();
    app.mouse = true;
    let (b, info) = draw_at(&app, 80, 24);
    app.frame = info;
    // Step 3 of S3 is the fork: find its line on the screen, left of the walk pane.
    let (x, y) = (0..24)
        .find_map(|y| {
            let line = row(&b, y);
            let x = line.find("3*fork 1→2")?;
            Some((line[..x].chars().count() as u16, y))
        })
        .expect("step 3 on the screen");
    assert!(x < 40, "the fork's line is in the steps pane, left");
    app.update(crate::tui::update::Msg::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: x + 2,
        row: y,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(app.step(), 3, "the click shows step 3");
}

/// The second header line names both schemes of compare mode whenever their names fit (issue 5's
/// header: "the selected scheme (and the second one in compare mode)"), at every built-in's last
/// step, for every scheme beside the next one, from 80 to 120 columns; at 120 columns the eras fit
/// too.
#[test]
fn the_header_names_both_compared_schemes() {
    for (name, sc, scheme, other) in every_builtin_with_the_next_scheme() {
        let opts = AppOptions {
            scheme,
            compare: Some(other),
            step: sc.steps.len(),
            ..AppOptions::default()
        };
        let app = App::headless(sc.clone(), &opts).unwrap();
        for w in [80, 100, 110, 120] {
            let (b, _) = draw_at(&app, w, 40);
            let line = row(&b, 1);
            // "… NAME[ (era)] vs [N ]OTHER[ (era)] ": each name whole, not a prefix of
            // a longer one.
            let (a, z) = line
                .split_once(" vs ")
                .unwrap_or_else(|| panic!("{} at {w}: no vs in {line:?}", name));
            let z = z.trim_start_matches(|c: char| c.is_ascii_digit()).trim();
            let whole = |s: &str, name: &str, at_end: bool| {
                let rest = if at_end {
                    s.strip_prefix(name)
                } else {
                    s.rsplit_once(&format!(" {name}")).map(|(_, r)| r)
                };
                rest.is_some_and(|r| r.is_empty() || r.starts_with(" ("))
            };
            assert!(
                whole(a, scheme, false) && whole(z, other, true),
                "{} {scheme} vs {other} at {w}: {line:?}",
                name
            );
            assert!(!line.contains('…'), "{} at {w}: {line:?}", name);
        }
    }
}

/// S3 at its SwapOut, anon-vma-global compared with anonmm-naive (long eras, a wide graph).
fn global_vs_naive_at_the_swapout() -> App {
    let (sc, _) = Scenario::load("S3").unwrap();
    let opts = AppOptions {
        scheme: "anon-vma-global",
        compare: Some("anonmm-naive"),
        step: 5,
        ..AppOptions::default()
    };
    App::headless(sc, &opts).unwrap()
}

/// The repro of the QA review: at 120 columns anon-vma-global beside anonmm-naive has room for
/// both eras and the op (they were cut to "vs …").
#[test]
fn the_header_at_120_keeps_the_eras_when_they_fit() {
    let app = global_vs_naive_at_the_swapout();
    let (b, _) = draw_at(&app, 120, 40);
    let line = row(&b, 1);
    for part in [
        "SwapOut(pid: 2, addr: 0x11000)",
        "anon-vma-global (hypothetical, 12 Mar 2004)",
        "vs 3 anonmm-naive (Mar 2004)",
    ] {
        assert!(line.contains(part), "{part:?} missing: {line:?}");
    }
}

/// A graph wider than its pane says so on its border, with the keys that scroll sideways: at
/// 64x30, narrower than anonmm-naive's graph of S3 at its tightest (71 cells with its pages
/// column), the compared pane is cut.
#[test]
fn a_graph_cut_on_the_right_says_which_columns_are_shown() {
    let app = global_vs_naive_at_the_swapout();
    let (b, info) = draw_at(&app, 64, 30);
    let (r, _, _) = info.graphs[1];
    let l = app.views.panes()[1].view.fit(r.width);
    assert!(l.width > r.width, "the layout is wider than the pane");
    let border = cells(&b, r.x - 1, r.y + r.height, r.width + 2);
    let want = format!("cols 1-{} of {} < >", r.width, l.width);
    assert!(border.contains(&want), "{want:?} not in {border:?}");
}

/// Issue 16 item 1: at 110x40 the steps and the walk beside the graph left anonmm-naive's graph
/// of S3 cut ("cols 1-64 of 73"); the screen now stacks the panes so that both graphs are
/// whole, and says nothing about columns.
#[test]
fn a_wide_terminal_stacks_the_panes_rather_than_cut_the_graph() {
    let app = global_vs_naive_at_the_swapout();
    let (b, info) = draw_at(&app, 110, 40);
    for (k, (r, _, _)) in info.graphs.iter().enumerate() {
        let l = app.views.panes()[k].view.fit(r.width);
        assert!(
            l.width <= r.width,
            "pane {k}: {} cells in {}",
            l.width,
            r.width
        );
        let border = cells(&b, r.x - 1, r.y + r.height, r.width + 2);
        assert!(!border.contains("cols"), "{border:?}");
    }
    let (t, _) = info.timeline.expect("a steps pane");
    assert!(
        t.y > info.graphs[1].0.y,
        "the steps are below the graphs: {t:?}"
    );
}

/// Issue 17 item 1: compare mode shows both walks. S3 at its SwapOut, anon-vma beside
/// anonmm-naive (docs/semantics.md S3: anon-vma finds both ptes through av1; anonmm-naive probes
/// the parent at the old address 0x11000, a MISS, and its pte at 0x81000 is LOST): each walk
/// pane is titled with its scheme and lists its own outcomes, and the compared scheme's events
/// have a pane beside the shown one's.
#[test]
fn compare_mode_shows_both_walks_and_both_schemes_events() {
    let app = s3_swapout_compared_with_anonmm_naive();
    let (b, info) = draw_at(&app, 160, 50);
    let text = |a: ratatui::layout::Rect| -> String {
        (a.y..a.y + a.height)
            .map(|y| cells(&b, a.x, y, a.width).replace('│', " ") + "\n")
            .collect()
    };
    let shown = text(info.walk.expect("the shown walk").area);
    let twin = text(info.compare_walk.expect("the compared walk").area);
    assert!(shown.contains("walk anon-vma "), "{shown}");
    assert!(shown.contains("1 pid 1   HIT  0x81000"), "{shown}");
    assert!(shown.contains("2 pid 2   HIT  0x11000"), "{shown}");
    assert!(!shown.contains("LOST"), "{shown}");
    assert!(twin.contains("walk anonmm-naive"), "{twin}");
    assert!(twin.contains("1 pid 1   MISS 0x11000"), "{twin}");
    assert!(twin.contains("!! LOST pid 1 0x81000"), "{twin}");
    assert!(twin.contains("STILL MAPPED"), "{twin}");
    let events = text(info.compare_narrative.expect("the compared events").area);
    assert!(events.contains(" anonmm-naive "), "{events}");
    assert!(events.contains("- LOST: pid 1 0x81000"), "{events}");
    // Where there is room for one narrative pane only, it tells both schemes.
    let (b, info) = draw_at(&app, 120, 40);
    let a = info.narrative.expect("a narrative").area;
    assert!(info.compare_narrative.is_none());
    let title = cells(&b, a.x, a.y, a.width);
    assert!(title.contains("anon-vma vs anonmm-naive"), "{title}");
}

/// The graph keeps the walk in view: with the walked page far below the candidates (S4's
/// checkerboard at its first SwapOut, step 11, anonmm: the vma on the first row, the page on the
/// 18th), a
/// pane of fewer rows (100x20) folds the rows between them away and says so on its border.
#[test]
fn a_walk_taller_than_its_pane_is_folded_into_view() {
    let (sc, _) = Scenario::load("S4").unwrap();
    let opts = AppOptions {
        scheme: "anonmm",
        step: 11,
        ..AppOptions::default()
    };
    let app = App::headless(sc, &opts).unwrap();
    let (b, info) = draw_at(&app, 100, 20);
    let (r, _, _) = info.graphs[0];
    let rows = info.graph_rows[0].as_ref().expect("the rows are folded");
    let p = &app.views.panes()[0];
    let l = p.view.fit(r.width);
    let w = p.view.graph.walk.as_ref().unwrap();
    let page = l.of(w.page_node.unwrap()).unwrap();
    assert!(
        page.row >= r.height as u32,
        "the page is below a plain viewport"
    );
    assert!(rows.contains(&page.row));
    for n in w.candidate_nodes.iter().flatten() {
        assert!(rows.contains(&l.of(*n).unwrap().row));
    }
    let border = cells(&b, r.x - 1, r.y + r.height, r.width + 2);
    assert!(
        border.contains(&format!("walk: {} of {} rows", rows.len(), l.height)),
        "{border}"
    );
}
