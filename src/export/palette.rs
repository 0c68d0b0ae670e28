//! Colours: how a cell's ratatui colours become exact RGB for the picture formats.
//!
//! A terminal decides itself what `Color::Red` or `Color::Reset` look like; a picture cannot, so
//! the exporters resolve every colour through a [`Palette`]: `Reset` becomes the theme's default
//! foreground or background, the sixteen named colours come from the palette, the 256-colour
//! indices follow xterm's cube and grey ramp, and `Color::Rgb` is kept exactly.

use ratatui::style::{Color, Modifier};

/// An exact 24-bit colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb`, lower case.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// Relative luminance, as WCAG 2 defines it (sRGB channels linearised, weighted
    /// 0.2126 / 0.7152 / 0.0722).
    pub fn luminance(self) -> f64 {
        let lin = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(self.0) + 0.7152 * lin(self.1) + 0.0722 * lin(self.2)
    }

    /// The WCAG 2 contrast ratio of this colour against `other`, from 1 (none) to 21 (black
    /// on white); text needs at least 4.5 (level AA).
    pub fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// This colour moved `num/den` of the way towards `to` (integer arithmetic, so every
    /// machine gets the same bytes).
    pub fn mix(self, to: Rgb, num: u16, den: u16) -> Rgb {
        let m = |a: u8, b: u8| -> u8 {
            let (a, b) = (u16::from(a), u16::from(b));
            ((a * (den - num) + b * num + den / 2) / den) as u8
        };
        Rgb(m(self.0, to.0), m(self.1, to.1), m(self.2, to.2))
    }
}

/// What `Reset` and the indexed colours mean in a picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Palette {
    /// The default foreground (`Color::Reset` as a foreground).
    pub fg: Rgb,
    /// The default background (`Color::Reset` as a background).
    pub bg: Rgb,
    /// The sixteen ANSI colours: black, red, green, yellow, blue, magenta, cyan, gray, then
    /// the bright ones (dark gray, light red, ... white).
    pub ansi: [Rgb; 16],
}

/// xterm's default sixteen colours.
const XTERM_16: [Rgb; 16] = [
    Rgb(0x00, 0x00, 0x00),
    Rgb(0xcd, 0x00, 0x00),
    Rgb(0x00, 0xcd, 0x00),
    Rgb(0xcd, 0xcd, 0x00),
    Rgb(0x00, 0x00, 0xee),
    Rgb(0xcd, 0x00, 0xcd),
    Rgb(0x00, 0xcd, 0xcd),
    Rgb(0xe5, 0xe5, 0xe5),
    Rgb(0x7f, 0x7f, 0x7f),
    Rgb(0xff, 0x00, 0x00),
    Rgb(0x00, 0xff, 0x00),
    Rgb(0xff, 0xff, 0x00),
    Rgb(0x5c, 0x5c, 0xff),
    Rgb(0xff, 0x00, 0xff),
    Rgb(0x00, 0xff, 0xff),
    Rgb(0xff, 0xff, 0xff),
];

impl Default for Palette {
    /// Light gray on black with xterm's sixteen colours.
    fn default() -> Self {
        Palette {
            fg: XTERM_16[7],
            bg: XTERM_16[0],
            ansi: XTERM_16,
        }
    }
}

impl Palette {
    /// The palette of a TUI theme: its exact default foreground and background (themes without
    /// colours, such as `mono`, keep the default palette's), and xterm's sixteen colours.
    pub fn from_theme(theme: &crate::tui::Theme) -> Palette {
        let base = Palette::default();
        Palette {
            fg: base.resolve(theme.fg).unwrap_or(base.fg),
            bg: base.resolve(theme.bg).unwrap_or(base.bg),
            ansi: base.ansi,
        }
    }
}

/// The index of a named colour in the sixteen ANSI colours, if it is one.
pub fn ansi_index(c: Color) -> Option<u8> {
    Some(match c {
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
        _ => return None,
    })
}

/// The foreground and background a cell shows, after `REVERSED`, `DIM` and `HIDDEN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CellColours {
    pub fg: Rgb,
    pub bg: Rgb,
    /// False for `HIDDEN` text: the background alone is drawn.
    pub text_visible: bool,
}

impl Palette {
    /// The colour `c` as a foreground (`Reset` is the default foreground).
    pub fn fg_of(&self, c: Color) -> Rgb {
        self.resolve(c).unwrap_or(self.fg)
    }

    /// The colour `c` as a background (`Reset` is the default background).
    pub fn bg_of(&self, c: Color) -> Rgb {
        self.resolve(c).unwrap_or(self.bg)
    }

    /// `None` for `Reset`.
    fn resolve(&self, c: Color) -> Option<Rgb> {
        if let Some(i) = ansi_index(c) {
            return Some(self.ansi[usize::from(i)]);
        }
        match c {
            Color::Rgb(r, g, b) => Some(Rgb(r, g, b)),
            Color::Indexed(i) => Some(self.indexed(i)),
            _ => None,
        }
    }

    /// xterm's 256 colours: the sixteen of the palette, a 6x6x6 cube, then 24 grays.
    pub fn indexed(&self, i: u8) -> Rgb {
        match i {
            0..=15 => self.ansi[usize::from(i)],
            16..=231 => {
                let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
                let n = i - 16;
                Rgb(level(n / 36), level((n / 6) % 6), level(n % 6))
            }
            _ => {
                let v = 8 + 10 * (i - 232);
                Rgb(v, v, v)
            }
        }
    }

    /// What a cell with these colours and modifiers looks like. `DIM` text is drawn two thirds
    /// of the way from the background to the foreground, as most terminals do.
    pub fn shown(&self, fg: Color, bg: Color, modifier: Modifier) -> CellColours {
        let (mut f, mut b) = (self.fg_of(fg), self.bg_of(bg));
        if modifier.contains(Modifier::REVERSED) {
            std::mem::swap(&mut f, &mut b);
        }
        if modifier.contains(Modifier::DIM) {
            f = f.mix(b, 1, 3);
        }
        CellColours {
            fg: f,
            bg: b,
            text_visible: !modifier.contains(Modifier::HIDDEN),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_means_the_default_colours_and_rgb_is_exact() {
        let p = Palette {
            fg: Rgb(1, 2, 3),
            bg: Rgb(4, 5, 6),
            ansi: XTERM_16,
        };
        assert_eq!(p.fg_of(Color::Reset), Rgb(1, 2, 3));
        assert_eq!(p.bg_of(Color::Reset), Rgb(4, 5, 6));
        assert_eq!(p.fg_of(Color::Rgb(0x12, 0x34, 0x56)).hex(), "#123456");
        assert_eq!(p.bg_of(Color::LightRed), Rgb(0xff, 0, 0));
    }

    #[test]
    fn contrast_ratios_match_wcag() {
        // WCAG 2.x: black on white is 21:1, a colour against itself 1:1; #767676 on white is
        // the well-known lightest gray that passes AA (4.54:1).
        let (black, white) = (Rgb(0, 0, 0), Rgb(255, 255, 255));
        assert!((black.contrast(white) - 21.0).abs() < 1e-9);
        assert!((white.contrast(black) - 21.0).abs() < 1e-9);
        assert!((Rgb(0x3a, 0x3a, 0x3a).contrast(Rgb(0x3a, 0x3a, 0x3a)) - 1.0).abs() < 1e-9);
        let g = Rgb(0x76, 0x76, 0x76).contrast(white);
        assert!((4.50..4.60).contains(&g), "{g}");
        assert!(Rgb(0x77, 0x77, 0x77).contrast(white) < 4.5);
    }

    #[test]
    fn indexed_colours_follow_xterm() {
        let p = Palette::default();
        // xterm's 256-colour table: 16 is black, 21 is pure blue (0,0,255), 196 pure red,
        // 231 white, 232 the darkest gray (8,8,8), 255 the lightest (238,238,238).
        assert_eq!(p.indexed(16), Rgb(0, 0, 0));
        assert_eq!(p.indexed(21), Rgb(0, 0, 255));
        assert_eq!(p.indexed(196), Rgb(255, 0, 0));
        assert_eq!(p.indexed(231), Rgb(255, 255, 255));
        assert_eq!(p.indexed(232), Rgb(8, 8, 8));
        assert_eq!(p.indexed(255), Rgb(238, 238, 238));
        assert_eq!(p.indexed(9), p.ansi[9]);
    }

    #[test]
    fn reversed_swaps_and_dim_fades_towards_the_background() {
        let p = Palette::default();
        let s = p.shown(Color::Rgb(200, 0, 0), Color::Reset, Modifier::REVERSED);
        assert_eq!((s.fg, s.bg), (p.bg, Rgb(200, 0, 0)));
        let d = p.shown(Color::Rgb(90, 90, 90), Color::Rgb(0, 0, 0), Modifier::DIM);
        assert_eq!(d.fg, Rgb(60, 60, 60));
        assert!(
            !p.shown(Color::Reset, Color::Reset, Modifier::HIDDEN)
                .text_visible
        );
    }
}
