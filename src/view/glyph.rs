//! Line glyphs from direction masks: light box drawing for
//! ordinary edges, heavy for the walk path, and plain ASCII for `--ascii`.

use super::route::{E, N, S, W};

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
