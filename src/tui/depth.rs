//! The colours the terminal can show. The themes are exact RGB (the exports paint them as
//! they are); a terminal that does not say it takes 24-bit colour (`COLORTERM=truecolor` or
//! `24bit`, as VTE, kitty, iTerm2, Alacritty and WezTerm set it) gets each colour as the
//! nearest of xterm's 256 instead, which every colour terminal of the last twenty years shows
//! (macOS Terminal before version 2.14, the Linux console through `TERM=linux` aside).

use ratatui::style::{Color, Style};

use super::theme::Theme;

/// How colours are sent to the terminal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColourDepth {
    /// 24-bit RGB, as the themes define them.
    #[default]
    TrueColor,
    /// The nearest of the xterm 256-colour palette's 240 fixed colours.
    Indexed,
}

impl ColourDepth {
    /// The colour depth of a terminal whose `COLORTERM` is `colorterm`.
    pub fn from_colorterm(colorterm: Option<&str>) -> ColourDepth {
        match colorterm.map(str::to_ascii_lowercase).as_deref() {
            Some("truecolor" | "24bit") => ColourDepth::TrueColor,
            _ => ColourDepth::Indexed,
        }
    }

    /// The colour depth of the terminal the TUI runs in.
    pub fn detect() -> ColourDepth {
        ColourDepth::from_colorterm(std::env::var("COLORTERM").ok().as_deref())
    }
}

/// The levels of the xterm colour cube (colours 16 to 231).
const CUBE: [u8; 6] = [0, 95, 135, 175, 215, 255];

/// The xterm colour nearest to (r, g, b), among the 6x6x6 cube and the 24 greys (232 to 255;
/// the first 16 colours are left out, since terminals redefine them).
pub fn nearest_256(r: u8, g: u8, b: u8) -> u8 {
    let dist = |c: (u8, u8, u8)| {
        let d = |a: u8, b: u8| (i32::from(a) - i32::from(b)).pow(2);
        d(c.0, r) + d(c.1, g) + d(c.2, b)
    };
    let level = |v: u8| {
        (0..CUBE.len())
            .min_by_key(|&i| (i32::from(CUBE[i]) - i32::from(v)).abs())
            .unwrap_or(0)
    };
    let (ri, gi, bi) = (level(r), level(g), level(b));
    let cube = (CUBE[ri], CUBE[gi], CUBE[bi]);
    let cube_index = 16 + 36 * ri + 6 * gi + bi;
    // The grey of the ramp nearest to the mean: 8 + 10k closest to sum / 3.
    let sum = u32::from(r) + u32::from(g) + u32::from(b);
    let k = (sum.saturating_sub(9) / 30).min(23) as u8;
    let grey = 8 + 10 * k;
    if dist((grey, grey, grey)) < dist(cube) {
        232 + k
    } else {
        cube_index as u8
    }
}

fn indexed(c: Color) -> Color {
    match c {
        Color::Rgb(r, g, b) => Color::Indexed(nearest_256(r, g, b)),
        other => other,
    }
}

fn style(s: Style) -> Style {
    Style {
        fg: s.fg.map(indexed),
        bg: s.bg.map(indexed),
        underline_color: s.underline_color.map(indexed),
        ..s
    }
}

impl Theme {
    /// This theme as a terminal of colour `depth` can show it.
    pub fn at_depth(self, depth: ColourDepth) -> Theme {
        if depth == ColourDepth::TrueColor {
            return self;
        }
        let mut t = self;
        t.fg = indexed(t.fg);
        t.bg = indexed(t.bg);
        for s in t.styles_mut() {
            *s = style(*s);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::ThemeName;

    /// xterm's colours 16 to 255, as the picture exports paint them (cube and grey ramp).
    fn xterm() -> Vec<(u8, (u8, u8, u8))> {
        let p = crate::export::palette::Palette::from_theme(&Theme::new(ThemeName::Dark));
        (16..=255u8)
            .map(|i| {
                let c = p.indexed(i);
                (i, (c.0, c.1, c.2))
            })
            .collect()
    }

    fn dist(a: (u8, u8, u8), b: (u8, u8, u8)) -> i32 {
        let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).pow(2);
        d(a.0, b.0) + d(a.1, b.1) + d(a.2, b.2)
    }

    #[test]
    fn palette_colours_map_to_themselves() {
        for (i, c) in xterm() {
            let got = nearest_256(c.0, c.1, c.2);
            let back = xterm()[got as usize - 16].1;
            assert_eq!(back, c, "colour {i} came back as {got}");
        }
    }

    #[test]
    fn every_theme_colour_gets_a_nearest_xterm_colour() {
        let all = xterm();
        for name in ThemeName::ALL {
            let t = Theme::new(name).at_depth(ColourDepth::Indexed);
            assert_eq!(t.name, name);
            let (mut t, mut rgb) = (t, Theme::new(name));
            let styles: Vec<Style> = t.styles_mut().into_iter().map(|s| *s).collect();
            let orig: Vec<Style> = rgb.styles_mut().into_iter().map(|s| *s).collect();
            for (s, o) in styles.iter().zip(orig) {
                assert_eq!(s.add_modifier, o.add_modifier, "{name}: modifiers kept");
                for (c, oc) in [(s.fg, o.fg), (s.bg, o.bg)] {
                    match (c, oc) {
                        (Some(Color::Indexed(i)), Some(Color::Rgb(r, g, b))) => {
                            let best = all.iter().map(|&(_, x)| dist(x, (r, g, b))).min();
                            let got = all[i as usize - 16].1;
                            assert_eq!(Some(dist(got, (r, g, b))), best, "{name}: {r},{g},{b}");
                        }
                        (Some(Color::Rgb(..)), _) => panic!("{name}: an RGB colour left"),
                        (c, o) => assert_eq!(c, o, "{name}: a colour that is not RGB is kept"),
                    }
                }
            }
        }
    }

    #[test]
    fn only_truecolor_terminals_get_rgb() {
        assert_eq!(
            ColourDepth::from_colorterm(Some("truecolor")),
            ColourDepth::TrueColor
        );
        assert_eq!(
            ColourDepth::from_colorterm(Some("24bit")),
            ColourDepth::TrueColor
        );
        assert_eq!(ColourDepth::from_colorterm(Some("")), ColourDepth::Indexed);
        assert_eq!(ColourDepth::from_colorterm(None), ColourDepth::Indexed);
        assert_eq!(
            Theme::new(ThemeName::Dark).at_depth(ColourDepth::TrueColor),
            Theme::new(ThemeName::Dark)
        );
    }
}
