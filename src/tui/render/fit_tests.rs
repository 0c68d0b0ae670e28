//! Every column of the graph fits a 120x40 screen (the default size of `rmapviz shot`, and a
//! common terminal) and the wider ones up to 240x60: for every built-in scenario, scheme and
//! step, alone and compared with another scheme, the layout drawn is no wider than its pane, and
//! the pages column (where the walked page is) and the walk's candidates are on the screen.

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
const SIZES: [(u16, u16); 5] = [(120, 40), (160, 50), (180, 50), (200, 60), (240, 60)];

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
    assert_eq!(
        info.graphs.len(),
        app.views.panes().len(),
        "{what}: a pane is missing"
    );
    for ((r, top, left), p) in info.graphs.iter().zip(app.views.panes()) {
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
        let walk = p.view.graph.walk.as_ref();
        let walked: Vec<_> = walk
            .into_iter()
            .flat_map(|w| {
                w.page_node
                    .into_iter()
                    .chain(w.candidate_nodes.iter().flatten().copied())
            })
            .collect();
        for pl in l
            .placed
            .iter()
            .filter(|pl| pl.column == 3 || pl.node.is_some_and(|n| walked.contains(&n)))
        {
            let (Some(n), true) = (pl.node, pl.row >= *top && pl.row < top + r.height as u32)
            else {
                continue;
            };
            let text = p.view.graph.node(n).text_at(l.detail);
            let y = r.y + (pl.row - top) as u16;
            assert_eq!(
                cells(b, r.x + pl.x, y, pl.width),
                text,
                "{what}: page or walk candidate cut"
            );
        }
    }
}

#[test]
fn every_column_of_every_builtin_fits_120x40_to_240x60_alone_and_compared() {
    let schemes = scheme_names();
    for bi in BUILTINS.iter() {
        let (sc, _) = Scenario::load(bi.name).unwrap();
        for (k, scheme) in schemes.iter().enumerate() {
            let other = schemes[(k + 1) % schemes.len()];
            for compare in [None, Some(other)] {
                let opts = AppOptions {
                    scheme,
                    compare,
                    ..AppOptions::default()
                };
                let mut app = App::headless(sc.clone(), &opts).unwrap();
                for step in 0..=sc.steps.len() {
                    app.step_to(step);
                    let what = format!("{} step {step} {scheme} compare {compare:?}", bi.name);
                    for size in SIZES {
                        check(&app, size, &what);
                    }
                }
            }
        }
    }
}

/// Draws `app` at `w`x`h`; the buffer and where the panes went.
fn draw_at(app: &App, w: u16, h: u16) -> (Buffer, crate::tui::app::FrameInfo) {
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
/// and one of its lines is the cursor (`▶` and the step's number), in the pane's rows.
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
    let schemes = scheme_names();
    for bi in BUILTINS.iter() {
        let (sc, _) = Scenario::load(bi.name).unwrap();
        for (k, scheme) in schemes.iter().enumerate() {
            let other = schemes[(k + 1) % schemes.len()];
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
                    .unwrap_or_else(|| panic!("{} at {w}: no vs in {line:?}", bi.name));
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
                    bi.name
                );
                assert!(!line.contains('…'), "{} at {w}: {line:?}", bi.name);
            }
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
/// 110x40 anonmm-naive's graph of S3 (73 cells with its pages column) is cut in the right half
/// of compare mode.
#[test]
fn a_graph_cut_on_the_right_says_which_columns_are_shown() {
    let app = global_vs_naive_at_the_swapout();
    let (b, info) = draw_at(&app, 110, 40);
    let (r, _, _) = info.graphs[1];
    let l = app.views.panes()[1].view.fit(r.width);
    assert!(l.width > r.width, "the layout is wider than the pane");
    let border = cells(&b, r.x - 1, r.y + r.height, r.width + 2);
    let want = format!("cols 1-{} of {} < >", r.width, l.width);
    assert!(border.contains(&want), "{want:?} not in {border:?}");
    // The pane that fits has no such note.
    let (r0, _, _) = info.graphs[0];
    let border0 = cells(&b, r0.x - 1, r0.y + r0.height, r0.width + 2);
    assert!(!border0.contains("cols"), "{border0:?}");
}
