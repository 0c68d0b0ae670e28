//! Tests of the edge kinds as the graph draws them: every kind in a stroke and a place of its
//! own, on every built-in step under every scheme.

use std::collections::{BTreeSet, HashMap};

use super::cells::{E, N, S, W, raster};
use super::glyph::{self, LineStyle, Stroke};
use super::graph::EdgeKind;
use super::layout::layout;
use super::tests::every_builtin_graph;

/// Which part of the graph a cell at `x` is in: the number of columns after the first that
/// start at or before it (0: the mm column and the gap after it; 1: the vma column, the gap
/// after it and the links' gutter; 2: the objects column and the gap after it).
fn region(l: &super::Layout, x: u16) -> u8 {
    (1..4).filter(|&k| l.columns[k].x <= x).count() as u8
}

#[test]
fn every_edge_kind_is_drawn_in_a_stroke_and_place_of_its_own() {
    // For each kind: the regions its lines cross, and the strokes of the straight pieces only
    // its edges draw.
    let mut seen: HashMap<EdgeKind, (BTreeSet<u8>, BTreeSet<Stroke>)> = HashMap::new();
    every_builtin_graph(|g, at| {
        let l = layout(g);
        let mut kinds: HashMap<(u32, u16), BTreeSet<EdgeKind>> = HashMap::new();
        for r in &l.routes {
            for s in &r.segs {
                for (at, _) in raster(s, false, false) {
                    kinds.entry(at).or_default().insert(g.graph[r.edge].kind);
                }
            }
        }
        for (row, cells) in l.cells.iter().enumerate() {
            for c in cells {
                let Some(ks) = kinds.get(&(row as u32, c.x)) else {
                    continue;
                };
                let [kind] = ks.iter().copied().collect::<Vec<_>>()[..] else {
                    continue;
                };
                let e = seen.entry(kind).or_default();
                e.0.insert(region(&l, c.x));
                let m = c.mask & (N | E | S | W);
                if c.arrow || (m != E | W && m != N | S) {
                    continue;
                }
                let ch = glyph::cell(c, LineStyle::Light);
                let (arms, stroke) = glyph::arms_of(ch).unwrap_or_else(|| panic!("{at}: {ch:?}"));
                assert_eq!(arms, m, "{at}: {ch:?}");
                assert_eq!(stroke, kind.stroke(), "{at}: {kind:?} drawn {ch:?}");
                e.1.insert(stroke);
            }
        }
    });
    for k in EdgeKind::ALL {
        assert!(seen.contains_key(&k), "{k:?} never drawn by a built-in");
    }
    let kinds: Vec<_> = seen.iter().collect();
    for (i, (a, sa)) in kinds.iter().enumerate() {
        for (b, sb) in &kinds[i + 1..] {
            assert_ne!(sa, sb, "{a:?} and {b:?} are drawn alike");
        }
    }
    // The places, as the layout is meant to be: mm -> vma in the first gap, vma -> object in
    // the second, object -> page in the third; the edges that skip a column through it too;
    // links between objects in the gutter before the objects, double.
    let want: [(EdgeKind, &[u8], Stroke); 6] = [
        (EdgeKind::MmVma, &[0], Stroke::Solid),
        (EdgeKind::VmaObject, &[1], Stroke::Solid),
        (EdgeKind::MmObject, &[0, 1], Stroke::Dashed),
        (EdgeKind::PageObject, &[2], Stroke::Solid),
        (EdgeKind::VmaPage, &[1, 2], Stroke::Dashed),
        (EdgeKind::ObjectObject, &[1], Stroke::Double),
    ];
    for (k, regions, stroke) in want {
        let (r, s) = &seen[&k];
        assert_eq!(r.iter().copied().collect::<Vec<_>>(), regions, "{k:?}");
        assert_eq!(s.iter().copied().collect::<Vec<_>>(), [stroke], "{k:?}");
    }
}

#[test]
fn every_glyph_of_every_stroke_maps_back_to_its_arms() {
    use super::cells::Cell;
    for stroke in Stroke::ALL {
        for m in 1..16u8 {
            let mut c = Cell {
                x: 0,
                mask: m,
                path: 0,
                arrow: false,
                solid: 0,
                dashed: 0,
                double: 0,
            };
            c.add_stroke(stroke);
            let ch = glyph::cell(&c, LineStyle::Light);
            let (arms, got) = glyph::arms_of(ch).unwrap_or_else(|| panic!("{ch:?}"));
            // Half lines and dashed corners have no glyph of their own: a half line is drawn
            // whole, a dashed corner solid.
            let whole = match m {
                N | S => N | S,
                E | W => E | W,
                m => m,
            };
            let want = match stroke {
                Stroke::Double => whole,
                _ => m,
            };
            assert_eq!(arms, want, "{stroke:?} {m:#06b}: {ch:?}");
            let straight = m == E | W || m == N | S;
            let want_stroke = if stroke == Stroke::Dashed && !straight {
                Stroke::Solid
            } else {
                stroke
            };
            assert_eq!(got, want_stroke, "{stroke:?} {m:#06b}: {ch:?}");
        }
    }
}
