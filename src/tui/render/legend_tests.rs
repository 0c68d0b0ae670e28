//! The legend covers the graph: every glyph, style and badge a graph pane draws, on every
//! built-in step under every scheme, has its entry in the legend made for that screen.

use std::collections::HashSet;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Modifier, Style};

use super::legend::sections;
use crate::scenario::{BUILTINS, Scenario};
use crate::schemes::scheme_names;
use crate::tui::app::{App, AppOptions};
use crate::view::glyph::{Stroke, arms_of, mask_of};

/// What a line glyph is: its stroke, and whether it is heavy (the walk's path).
fn line_class(c: char) -> Option<(Stroke, bool)> {
    let (_, stroke) = arms_of(c)?;
    let heavy = mask_of(c).is_some_and(|(_, h)| h != 0) || matches!(c, '┅' | '┇');
    Some((stroke, heavy))
}

fn look(s: Style) -> (Option<Color>, Modifier) {
    (s.fg, s.add_modifier)
}

/// The words of the graph's marks that the legend must explain when a pane shows them.
const MARKS: [&str; 9] = [
    "HIT", "MISS", "OUT", "SKIP", "LOST", "◀", "<walked>", "✗", "(gone)",
];

fn check(app: &App, what: &str) {
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut info = None;
    t.draw(|f| info = Some(super::draw_frame(app, f))).unwrap();
    let info = info.unwrap();
    let buf = t.backend().buffer().clone();
    let legend = sections(app);
    let entries: Vec<_> = legend.iter().flat_map(|(_, es)| es.iter()).collect();
    let mut classes = HashSet::new();
    let mut looks = HashSet::new();
    for e in &entries {
        for (s, st) in &e.sample {
            looks.insert(look(*st));
            for c in s.chars() {
                if let Some(k) = line_class(c) {
                    classes.insert((k, look(*st)));
                }
            }
        }
    }
    let said: String = entries
        .iter()
        .flat_map(|e| {
            e.sample
                .iter()
                .map(|(s, _)| s.as_str())
                .chain([e.text.as_str()])
        })
        .collect::<Vec<_>>()
        .join(" ");
    for &(r, _, _) in &info.graphs {
        let mut shown = String::new();
        for y in r.y..r.y + r.height {
            for x in r.x..r.x + r.width {
                let cell = &buf[(x, y)];
                let sym = cell.symbol();
                shown.push_str(sym);
                let Some(c) = sym.chars().next().filter(|&c| c != ' ') else {
                    continue;
                };
                let l = (Some(cell.fg), cell.modifier);
                assert!(
                    looks.contains(&l),
                    "{what}: {c:?} at {x},{y} drawn {l:?}, a style the legend does not show"
                );
                if let Some(k) = line_class(c) {
                    assert!(
                        classes.contains(&(k, l)),
                        "{what}: line {c:?} at {x},{y} ({k:?}, {l:?}) has no legend entry"
                    );
                }
            }
            shown.push('\n');
        }
        for m in MARKS {
            assert!(
                !shown.contains(m) || said.contains(m),
                "{what}: the graph shows {m}, the legend does not explain it"
            );
        }
        if shown.contains(" map ") {
            assert!(
                said.contains("map 2") && said.contains("mapcount"),
                "{what}"
            );
        }
        if shown.contains('#') {
            assert!(
                said.contains("#3") && said.contains("never a count"),
                "{what}"
            );
        }
    }
}

#[test]
fn every_glyph_style_and_badge_a_graph_draws_is_in_the_legend() {
    for b in BUILTINS.iter() {
        let sc = Scenario::load(b.name).unwrap().0;
        for scheme in scheme_names() {
            for step in 0..=sc.steps.len() {
                let opts = AppOptions {
                    scheme,
                    step,
                    ..AppOptions::default()
                };
                let mut app = App::headless(sc.clone(), &opts).unwrap();
                check(&app, &format!("{} step {step} {scheme}", b.name));
                // Following a candidate draws it in a style of its own.
                if app.candidates() > 0 {
                    app.set_walk_candidate(Some(0));
                    check(
                        &app,
                        &format!("{} step {step} {scheme} candidate 1", b.name),
                    );
                }
            }
        }
    }
}

#[test]
fn the_legend_names_the_schemes_links_and_the_ring_is_double() {
    let sc = Scenario::load("S9").unwrap().0;
    let opts = AppOptions {
        scheme: "anonmm",
        step: 6,
        ..AppOptions::default()
    };
    let app = App::headless(sc, &opts).unwrap();
    let lines = &sections(&app)[0].1;
    let ring = lines
        .iter()
        .find(|e| e.text.starts_with("object->object (ring)"))
        .expect("the ring explained");
    assert!(ring.sample[0].0.contains('═') && ring.sample[0].0.contains('║'));
    let mm = lines
        .iter()
        .find(|e| e.text.starts_with("mm->object"))
        .expect("mm -> anonmm explained");
    assert!(mm.sample[0].0.contains('┄') && mm.text.contains("dashed"));
}
