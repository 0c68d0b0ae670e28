//! The selected node is readable in every theme: each cell of its text has a WCAG contrast
//! ratio of at least 4.5 (level AA) between the colours it is painted in, whatever else marks
//! the node (the walked page, a candidate followed with `n`, a LOST pte, an outcome badge).
//! Colours are resolved as the picture exports paint them ([`Palette`]): `REVERSED` swaps,
//! `Reset` is the theme's default (for `mono`, and `NO_COLOR` which selects it, xterm's
//! default light gray on black).

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::export::palette::Palette;
use crate::scenario::Scenario;
use crate::tui::app::{App, AppOptions};
use crate::tui::theme::ThemeName;

const AA: f64 = 4.5;

/// Draws `app` at 120x40 and returns the lowest contrast over the cells of the selected node
/// in the first graph pane, and over the highlighted lines of the steps list (the cursor) and
/// of the compare table (the scheme shown).
fn lowest_contrast(app: &App) -> (f64, f64) {
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut info = None;
    t.draw(|f| info = Some(super::draw_frame(app, f))).unwrap();
    let info = info.unwrap();
    let b = t.backend().buffer();
    let pal = Palette::from_theme(app.theme());
    let contrast = |x: u16, y: u16| {
        let c = &b[(x, y)];
        let s = pal.shown(c.fg, c.bg, c.modifier);
        s.fg.contrast(s.bg)
    };
    let (r, top, left) = info.graphs[0];
    let p = &app.views.panes()[0];
    let l = p.view.fit(r.width);
    let n = p.view.graph.find(app.selected().unwrap()).unwrap();
    let pl = l.of(n).unwrap();
    assert!(
        pl.row >= top && pl.row < top + r.height as u32,
        "selection not shown"
    );
    let y = r.y + (pl.row - top) as u16;
    let node = (pl.x - left..pl.end() - left)
        .map(|x| contrast(r.x + x, y))
        .fold(f64::MAX, f64::min);
    let (tr, first) = info.timeline.unwrap();
    let ty = tr.y + (app.step() - first) as u16;
    let line = |y: u16, r: ratatui::layout::Rect| {
        (r.x..r.x + r.width)
            .map(|x| contrast(x, y))
            .fold(f64::MAX, f64::min)
    };
    let (cr, first) = info.compare.unwrap();
    let table = line(cr.y + (app.shown.scheme() - first) as u16, cr);
    (node, line(ty, tr).min(table))
}

#[test]
fn the_selected_node_has_aa_contrast_in_every_theme() {
    // NO_COLOR and --color never select the mono theme (cli::settings).
    let (s3, _) = Scenario::load("S3").unwrap();
    // S3's SwapOut (step 5): under anonmm-naive the walk MISSes the parent and a pte is LOST,
    // under anon-vma it HITs both (docs/semantics.md §7 S3).
    for theme in ThemeName::ALL {
        for scheme in ["anonmm-naive", "anon-vma", "pte-chain"] {
            let opts = AppOptions {
                scheme,
                step: 5,
                theme,
                ..AppOptions::default()
            };
            let mut app = App::headless(s3.clone(), &opts).unwrap();
            let ids: Vec<String> = {
                let g = &app.views.panes()[0].view.graph;
                g.graph
                    .node_indices()
                    .map(|i| g.node(i).id.clone())
                    .collect()
            };
            for id in &ids {
                assert!(app.select(id));
                let (node, steps) = lowest_contrast(&app);
                assert!(node >= AA, "{theme} {scheme}: selected {id} at {node:.2}:1");
                assert!(
                    steps >= AA,
                    "{theme} {scheme}: highlighted line at {steps:.2}:1"
                );
            }
            // A candidate followed with n is selected and drawn as the current one.
            for k in 0..app.candidates() {
                app.set_walk_candidate(Some(k));
                let (node, _) = lowest_contrast(&app);
                assert!(node >= AA, "{theme} {scheme}: candidate {k} at {node:.2}:1");
            }
        }
    }
}

/// Every style that paints text, in every theme, is readable on the theme's background (or on
/// its own, for the badges and bars that set one): dimmed text (group nodes such as "512 pages",
/// SKIP outcomes, the walk's starting field) and error text included. Borders and edges are
/// lines, not text, and may be fainter.
#[test]
fn every_text_style_has_aa_contrast_in_every_theme() {
    use ratatui::style::Color;
    for name in ThemeName::ALL {
        let t = crate::tui::Theme::new(name);
        let pal = Palette::from_theme(&t);
        let text_styles = [
            ("text", t.text),
            ("dim", t.dim),
            ("title", t.title),
            ("header", t.header),
            ("mm", t.mm),
            ("vma", t.vma),
            ("object", t.object),
            ("page", t.page),
            ("group", t.group),
            ("path", t.path),
            ("current", t.current),
            ("walked", t.walked),
            ("hit", t.hit),
            ("miss", t.miss),
            ("out", t.out),
            ("skip", t.skip),
            ("lost", t.lost),
            ("selected", t.selected),
            ("error", t.error),
            ("info", t.info),
            ("key", t.key),
        ];
        for (what, s) in text_styles {
            let shown = pal.shown(
                s.fg.unwrap_or(Color::Reset),
                s.bg.unwrap_or(Color::Reset),
                s.add_modifier,
            );
            let c = shown.fg.contrast(shown.bg);
            assert!(c >= AA, "{name}: {what} text at {c:.2}:1");
        }
    }
}
