//! Line glyphs from direction masks: light box drawing for
//! ordinary edges, heavy for the walk path, and plain ASCII for `--ascii`; the stroke of an
//! edge's kind ([`Stroke`]) makes lines that skip a column dashed and links between rmap
//! objects double ([`cell`] picks the glyph of one drawn cell).

use super::cells::{Cell, E, N, S, W};

/// How the lines of one kind of edge are drawn (see
/// [`EdgeKind::stroke`](super::graph::EdgeKind::stroke)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stroke {
    /// `─ │`: an edge between neighbouring columns.
    Solid,
    /// `┄ ┆`: an edge that skips a column, through a row of its own there.
    Dashed,
    /// `═ ║`: a link between two rmap objects, in the gutter before the objects' texts.
    Double,
}

impl Stroke {
    pub const ALL: [Stroke; 3] = [Stroke::Solid, Stroke::Dashed, Stroke::Double];

    pub fn as_str(self) -> &'static str {
        match self {
            Stroke::Solid => "solid",
            Stroke::Dashed => "dashed",
            Stroke::Double => "double",
        }
    }

    /// A horizontal and a vertical piece of the stroke, as the graph draws them off the walk's
    /// path or on it, for the legend.
    pub fn sample(self, style: LineStyle, on_path: bool) -> String {
        let piece = |mask: u8| {
            let mut c = Cell {
                x: 0,
                mask,
                path: if on_path { mask } else { 0 },
                arrow: false,
                solid: 0,
                dashed: 0,
                double: 0,
            };
            c.add_stroke(self);
            cell(&c, style)
        };
        [piece(E | W), piece(E | W), piece(N | S)].iter().collect()
    }
}

/// Which set of glyphs to draw lines with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineStyle {
    Light,
    Heavy,
    Ascii,
}

/// Box-drawing glyphs indexed by `mask | heavy << 4`: every mix of light and heavy arms that
/// Unicode's box-drawing block has (all of them, for one to four arms).
const BOX: &str = " ╵╶└╷│┌├╴┘─┴┐┤┬┼ ╹ ┖ ╿ ┞ ┚ ┸ ┦ ╀  ╺┕  ┍┝  ╼┶  ┮┾   ┗   ┡   ┺   ╄    ╻╽┎┟    ┒┧┰╁     ┃ ┠     ┨ ╂      ┏┢      ┲╆       ┣       ╊        ╸┙╾┵┑┥┭┽         ┛ ┹ ┩ ╃          ━┷  ┯┿           ┻   ╇            ┓┪┱╅             ┫ ╉              ┳╈               ╋";

fn box_char(index: usize) -> char {
    BOX.chars().nth(index).unwrap_or(' ')
}

/// The glyph for a cell with direction bits `mask` (N=1, E=2, S=4, W=8), of which the arms in
/// `heavy` are drawn heavy (the walk path). `LineStyle::Heavy` draws every arm heavy.
pub fn line(mask: u8, heavy: u8, style: LineStyle) -> char {
    let m = mask & (N | E | S | W);
    match style {
        LineStyle::Light => box_char((m | ((heavy & m) << 4)) as usize),
        LineStyle::Heavy => box_char((m | (m << 4)) as usize),
        LineStyle::Ascii => {
            let vertical = m & (N | S) != 0;
            let horizontal = m & (E | W) != 0;
            let hot = heavy & m != 0;
            match (vertical, horizontal, hot) {
                (false, false, _) => ' ',
                (true, false, _) => '|',
                (false, true, false) => '-',
                (false, true, true) => '=',
                (true, true, false) => '+',
                (true, true, true) => '#',
            }
        }
    }
}

/// All-double glyphs by direction mask.
const DOUBLE: &str = " ║═╚║║╔╠═╝═╩╗╣╦╬";
/// Double verticals with light horizontals.
const DOUBLE_V: &str = " ║─╙║║╓╟─╜─╨╖╢╥╫";
/// Double horizontals with light verticals.
const DOUBLE_H: &str = " │═╘││╒╞═╛═╧╕╡╤╪";
/// Dashed straight lines: light horizontal, light vertical, heavy horizontal, heavy vertical.
const DASHED: [char; 4] = ['┄', '┆', '┅', '┇'];

fn nth(table: &str, i: u8) -> char {
    table.chars().nth(i as usize).unwrap_or(' ')
}

/// The glyph of one drawn cell: its arrowhead, or its arms in the stroke of the edges through
/// it. Double arms (links between rmap objects) are drawn double whatever else crosses them;
/// a straight piece that only dashed edges use is dashed (heavy on the walk path); every other
/// cell is [`line`]'s light or heavy glyph.
pub fn cell(c: &Cell, style: LineStyle) -> char {
    if c.arrow {
        return arrow(style);
    }
    let m = c.mask & (N | E | S | W);
    let vertical = m & (N | S) != 0;
    let horizontal = m & (E | W) != 0;
    if c.double & m != 0 {
        if style == LineStyle::Ascii {
            return match (vertical, horizontal) {
                (true, false) => '!',
                (false, true) => '~',
                _ => '+',
            };
        }
        let table = match (c.double & (N | S) != 0, c.double & (E | W) != 0) {
            (true, true) => DOUBLE,
            (true, false) => DOUBLE_V,
            _ => DOUBLE_H,
        };
        return nth(table, m);
    }
    let straight = m == E | W || m == N | S;
    let path = c.path & m;
    if straight && c.solid & m == 0 && c.dashed & m == m && (path == 0 || path == m) {
        let heavy = path != 0 || style == LineStyle::Heavy;
        return match (style, m == E | W, heavy) {
            (LineStyle::Ascii, _, true) => line(m, path, style),
            (LineStyle::Ascii, true, false) => '.',
            (LineStyle::Ascii, false, false) => ':',
            (_, true, false) => DASHED[0],
            (_, false, false) => DASHED[1],
            (_, true, true) => DASHED[2],
            (_, false, true) => DASHED[3],
        };
    }
    line(m, c.path, style)
}

/// The arms and the stroke of a glyph that [`cell`] draws (None for an arrowhead, a blank or
/// any other character): Unicode box drawing only.
pub fn arms_of(ch: char) -> Option<(u8, Stroke)> {
    if let Some(i) = DASHED.iter().position(|&d| d == ch) {
        return Some((if i % 2 == 0 { E | W } else { N | S }, Stroke::Dashed));
    }
    if !matches!(ch, ' ' | '─' | '│') {
        for table in [DOUBLE, DOUBLE_V, DOUBLE_H] {
            if let Some(i) = table.chars().position(|g| g == ch) {
                // Half lines have no double glyph: the tables repeat the full line there.
                let m = match ch {
                    '║' => N | S,
                    '═' => E | W,
                    _ => i as u8,
                };
                return Some((m, Stroke::Double));
            }
        }
    }
    mask_of(ch).map(|(m, _)| (m, Stroke::Solid))
}

/// The arrowhead into a node on the right.
pub fn arrow(style: LineStyle) -> char {
    match style {
        LineStyle::Ascii => '>',
        _ => '▶',
    }
}

/// The arms of a box-drawing glyph: (directions, heavy directions); None for a character that
/// is not one of [`line`]'s glyphs.
pub fn mask_of(c: char) -> Option<(u8, u8)> {
    if c == ' ' {
        return None;
    }
    BOX.chars()
        .position(|g| g == c)
        .map(|i| ((i & 15) as u8, (i >> 4) as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_arm_mix_has_its_own_glyph_and_maps_back() {
        let mut seen = std::collections::HashSet::new();
        for m in 1..16u8 {
            for h in 0..16u8 {
                if h & !m != 0 {
                    continue;
                }
                let c = line(m, h, LineStyle::Light);
                assert!(seen.insert(c), "{c} used twice");
                assert_eq!(mask_of(c), Some((m, h)), "{c}");
            }
        }
        // 80 mixes: sum over arm sets of 2^arms, minus the empty set.
        assert_eq!(seen.len(), 80);
    }

    #[test]
    fn box_glyphs_connect_where_the_bits_say() {
        assert_eq!(line(E | W, 0, LineStyle::Light), '─');
        assert_eq!(line(N | S, 0, LineStyle::Light), '│');
        assert_eq!(line(S | W, 0, LineStyle::Light), '┐');
        assert_eq!(line(N | E | S | W, 0, LineStyle::Heavy), '╋');
        // A heavy horizontal crossing a light lane.
        assert_eq!(line(N | E | S | W, E | W, LineStyle::Light), '┿');
        assert_eq!(line(E | S | W, E | W, LineStyle::Light), '┯');
        assert_eq!(line(N | W, 0, LineStyle::Ascii), '+');
        assert_eq!(line(E | W, 0, LineStyle::Ascii), '-');
        assert_eq!(line(E | W, E | W, LineStyle::Ascii), '=');
    }
}
