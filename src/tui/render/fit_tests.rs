//! Every column of the graph fits a 120x40 screen (the default size of `rmapviz shot`, and a
//! common terminal): for every built-in scenario, scheme and step, alone and compared with
//! another scheme, the layout drawn is no wider than its pane, and the pages column (where the
//! walked page is) is on the screen.

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

/// Draws `app` at 120x40 and checks each graph pane: the layout it draws fits its inner width,
/// the column headings are all on the screen, and so is the whole text of every node of the
/// pages column on the rows shown.
fn check(app: &App, what: &str) {
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut info = None;
    t.draw(|f| info = Some(super::draw_frame(app, f))).unwrap();
    let info = info.unwrap();
    let b = t.backend().buffer();
    assert_eq!(
        info.graphs.len(),
        app.panes.len(),
        "{what}: a pane is missing"
    );
    for ((r, top, left), p) in info.graphs.iter().zip(&app.panes) {
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
        for pl in l.placed.iter().filter(|pl| pl.column == 3) {
            let (Some(n), true) = (pl.node, pl.row >= *top && pl.row < top + r.height as u32)
            else {
                continue;
            };
            let text = p.view.graph.node(n).text_at(l.detail);
            let y = r.y + (pl.row - top) as u16;
            assert_eq!(
                cells(b, r.x + pl.x, y, pl.width),
                text,
                "{what}: page node cut"
            );
        }
    }
}

#[test]
fn every_column_of_every_builtin_fits_120x40_alone_and_compared() {
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
                    check(&app, &what);
                }
            }
        }
    }
}
