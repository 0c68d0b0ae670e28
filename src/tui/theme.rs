//! Colour themes with semantic roles: exact RGB colours, so that the
//! exports can paint the same colours, and a monochrome theme that keeps every highlight through
//! bold, reverse and underline only (for `NO_COLOR`, `--color never` and terminals without colour).
//! Colour is never the only cue: the walk is also drawn with heavy lines and marked with badges.

use ratatui::style::{Color, Modifier, Style};
use std::fmt;
use std::str::FromStr;

/// The built-in themes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ThemeName {
    Dark,
    Light,
    /// Blue and orange instead of green and red (safe for the common colour-vision deficiencies).
    ColorBlind,
    /// No colour at all: bold, reverse and underline.
    Mono,
}

impl ThemeName {
    pub const ALL: [ThemeName; 4] = [
        ThemeName::Dark,
        ThemeName::Light,
        ThemeName::ColorBlind,
        ThemeName::Mono,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ThemeName::Dark => "dark",
            ThemeName::Light => "light",
            ThemeName::ColorBlind => "colorblind",
            ThemeName::Mono => "mono",
        }
    }

    /// The next theme, for the theme key.
    pub fn next(self) -> ThemeName {
        let i = Self::ALL.iter().position(|&t| t == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }
}

impl fmt::Display for ThemeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown theme name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown theme \"{0}\" (expected dark, light, colorblind or mono)")]
pub struct UnknownTheme(pub String);

impl FromStr for ThemeName {
    type Err = UnknownTheme;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "dark" => Ok(ThemeName::Dark),
            "light" => Ok(ThemeName::Light),
            "colorblind" | "colour-blind" | "color-blind" | "cvd" => Ok(ThemeName::ColorBlind),
            "mono" | "none" | "monochrome" => Ok(ThemeName::Mono),
            _ => Err(UnknownTheme(s.to_string())),
        }
    }
}

/// Styles by role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Theme {
    pub name: ThemeName,
    /// Default text and background (what exports use for `Color::Reset`).
    pub fg: Color,
    pub bg: Color,
    pub text: Style,
    pub dim: Style,
    pub border: Style,
    /// Pane titles.
    pub title: Style,
    /// The header line.
    pub header: Style,
    /// The focused pane's border.
    pub focus_border: Style,
    /// Node kinds.
    pub mm: Style,
    pub vma: Style,
    pub object: Style,
    pub page: Style,
    pub group: Style,
    /// Ordinary edges.
    pub edge: Style,
    /// Nodes and edges on the walk path.
    pub path: Style,
    /// The walk candidate being followed (`n` / `N`).
    pub current: Style,
    /// The walked page.
    pub walked: Style,
    /// Outcomes.
    pub hit: Style,
    pub miss: Style,
    pub out: Style,
    pub skip: Style,
    /// LOST ptes: loud.
    pub lost: Style,
    /// The selected node, step or row.
    pub selected: Style,
    /// A refused step.
    pub error: Style,
    /// Status messages.
    pub info: Style,
    /// Keys in the footer and help.
    pub key: Style,
    /// A graph node that changed since the previous step (a new one is bold besides): not a
    /// colour, so that it shows over whatever colour the node has.
    pub changed: Style,
}

const fn rgb(hex: u32) -> Color {
    Color::Rgb((hex >> 16) as u8, (hex >> 8) as u8, hex as u8)
}

fn fg(c: Color) -> Style {
    Style::new().fg(c)
}

impl Theme {
    pub fn new(name: ThemeName) -> Theme {
        match name {
            ThemeName::Dark => Self::coloured(
                name,
                Colours {
                    fg: rgb(0xd8dee9),
                    bg: rgb(0x1d2128),
                    dim: rgb(0x818a9c),
                    border: rgb(0x4c566a),
                    accent: rgb(0xebcb8b),
                    mm: rgb(0x88c0d0),
                    vma: rgb(0xa3be8c),
                    object: rgb(0xb48ead),
                    page: rgb(0xd8dee9),
                    hit: rgb(0xa3be8c),
                    miss: rgb(0xd08770),
                    out: rgb(0x81a1c1),
                    lost: rgb(0xff5555),
                    lost_fg: rgb(0x1d2128),
                    select_fg: rgb(0x1d2128),
                    select_bg: rgb(0x88c0d0),
                },
            ),
            ThemeName::Light => Self::coloured(
                name,
                Colours {
                    fg: rgb(0x24292f),
                    bg: rgb(0xfafafa),
                    dim: rgb(0x6a737d),
                    border: rgb(0xaab1ba),
                    accent: rgb(0xb35900),
                    mm: rgb(0x0b5cad),
                    vma: rgb(0x1a7f37),
                    object: rgb(0x8250df),
                    page: rgb(0x24292f),
                    hit: rgb(0x1a7f37),
                    miss: rgb(0xbc4c00),
                    out: rgb(0x0550ae),
                    lost: rgb(0xcf222e),
                    lost_fg: rgb(0xffffff),
                    select_fg: rgb(0x24292f),
                    select_bg: rgb(0xc8e1ff),
                },
            ),
            // Okabe-Ito colours: blue / orange / sky / vermillion tell apart for deuteranopia and
            // protanopia.
            ThemeName::ColorBlind => Self::coloured(
                name,
                Colours {
                    fg: rgb(0xe8e8e8),
                    bg: rgb(0x202020),
                    dim: rgb(0x8a8a8a),
                    border: rgb(0x5a5a5a),
                    accent: rgb(0xe69f00),
                    mm: rgb(0x56b4e9),
                    vma: rgb(0x009e73),
                    object: rgb(0xcc79a7),
                    page: rgb(0xe8e8e8),
                    hit: rgb(0x56b4e9),
                    miss: rgb(0xe69f00),
                    out: rgb(0xf0e442),
                    // Okabe-Ito vermillion (0xd55e00) lightened to read as text on the background.
                    lost: rgb(0xe06a10),
                    lost_fg: rgb(0x000000),
                    select_fg: rgb(0x202020),
                    select_bg: rgb(0xe8e8e8),
                },
            ),
            ThemeName::Mono => {
                let plain = Style::new();
                let bold = Style::new().add_modifier(Modifier::BOLD);
                let rev = Style::new().add_modifier(Modifier::REVERSED);
                Theme {
                    name,
                    fg: Color::Reset,
                    bg: Color::Reset,
                    text: plain,
                    dim: plain,
                    border: plain,
                    title: bold,
                    header: bold,
                    focus_border: bold,
                    mm: plain,
                    vma: plain,
                    object: plain,
                    page: plain,
                    group: plain.add_modifier(Modifier::ITALIC),
                    edge: plain,
                    path: bold,
                    current: rev.add_modifier(Modifier::BOLD),
                    walked: rev,
                    hit: bold,
                    miss: plain.add_modifier(Modifier::UNDERLINED),
                    out: plain,
                    skip: plain,
                    lost: rev.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                    // Reverse video, underlined so that it shows on a node that is already
                    // reversed (the walked page).
                    selected: rev.add_modifier(Modifier::UNDERLINED),
                    error: bold.add_modifier(Modifier::UNDERLINED),
                    info: bold,
                    key: bold,
                    changed: plain.add_modifier(Modifier::UNDERLINED),
                }
            }
        }
    }

    fn coloured(name: ThemeName, p: Colours) -> Theme {
        let bold = Modifier::BOLD;
        Theme {
            name,
            fg: p.fg,
            bg: p.bg,
            text: fg(p.fg),
            dim: fg(p.dim),
            border: fg(p.border),
            title: fg(p.accent).add_modifier(bold),
            header: fg(p.fg).add_modifier(bold),
            focus_border: fg(p.accent),
            mm: fg(p.mm),
            vma: fg(p.vma),
            object: fg(p.object),
            page: fg(p.page),
            group: fg(p.dim).add_modifier(Modifier::ITALIC),
            edge: fg(p.dim),
            path: fg(p.accent).add_modifier(bold),
            current: Style::new().fg(p.bg).bg(p.accent).add_modifier(bold),
            walked: Style::new().fg(p.bg).bg(p.accent),
            hit: fg(p.hit).add_modifier(bold),
            miss: fg(p.miss),
            out: fg(p.out),
            skip: fg(p.dim),
            lost: Style::new()
                .fg(p.lost_fg)
                .bg(p.lost)
                .add_modifier(bold | Modifier::UNDERLINED),
            // Both colours set, no REVERSED: whatever the node's own style, the selection
            // reads as dark text on a light bar (light on dark would vanish on nodes whose
            // style already sets the background, such as the walked page).
            selected: Style::new()
                .fg(p.select_fg)
                .bg(p.select_bg)
                .add_modifier(bold),
            error: fg(p.lost).add_modifier(bold),
            info: fg(p.accent),
            key: fg(p.accent).add_modifier(bold),
            changed: Style::new().add_modifier(Modifier::UNDERLINED),
        }
    }
}

/// A theme's colours, by what they colour.
struct Colours {
    fg: Color,
    bg: Color,
    dim: Color,
    border: Color,
    accent: Color,
    mm: Color,
    vma: Color,
    object: Color,
    page: Color,
    hit: Color,
    miss: Color,
    out: Color,
    lost: Color,
    /// Text on the LOST badge's background (at least 4.5:1 against it).
    lost_fg: Color,
    /// The selected node, step or row: text and bar.
    select_fg: Color,
    select_bg: Color,
}

impl Theme {
    /// Every style of the theme, by role (for going over all of them: a palette conversion,
    /// the tests).
    pub(crate) fn styles_mut(&mut self) -> [&mut Style; 25] {
        [
            &mut self.text,
            &mut self.dim,
            &mut self.border,
            &mut self.title,
            &mut self.header,
            &mut self.focus_border,
            &mut self.mm,
            &mut self.vma,
            &mut self.object,
            &mut self.page,
            &mut self.group,
            &mut self.edge,
            &mut self.path,
            &mut self.current,
            &mut self.walked,
            &mut self.hit,
            &mut self.miss,
            &mut self.out,
            &mut self.skip,
            &mut self.lost,
            &mut self.selected,
            &mut self.error,
            &mut self.info,
            &mut self.key,
            &mut self.changed,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn styles(t: &Theme) -> Vec<Style> {
        let mut t = t.clone();
        t.styles_mut().into_iter().map(|s| *s).collect()
    }

    #[test]
    fn names_parse_and_print() {
        for t in ThemeName::ALL {
            assert_eq!(t.as_str().parse::<ThemeName>(), Ok(t));
        }
        assert!(
            "neon"
                .parse::<ThemeName>()
                .unwrap_err()
                .to_string()
                .contains("mono")
        );
    }

    #[test]
    fn mono_uses_no_colour_and_keeps_highlights_as_modifiers() {
        // crossterm 0.29 with NO_COLOR resets attributes on every colour command
        // so the mono theme must not set a single colour.
        let t = Theme::new(ThemeName::Mono);
        for s in styles(&t) {
            assert_eq!(s.fg, None);
            assert_eq!(s.bg, None);
        }
        for s in [t.path, t.current, t.walked, t.lost, t.selected, t.hit] {
            assert!(
                !s.add_modifier.is_empty(),
                "{s:?} must stand out without colour"
            );
        }
        assert_ne!(t.lost, t.path);
    }

    #[test]
    fn coloured_themes_use_exact_rgb() {
        for name in [ThemeName::Dark, ThemeName::Light, ThemeName::ColorBlind] {
            let t = Theme::new(name);
            assert!(matches!(t.fg, Color::Rgb(..)) && matches!(t.bg, Color::Rgb(..)));
            for s in styles(&t) {
                for c in [s.fg, s.bg].into_iter().flatten() {
                    assert!(matches!(c, Color::Rgb(..)), "{name}: {c:?}");
                }
            }
            // The walk's outcomes keep distinct colours.
            assert_ne!(t.hit.fg, t.miss.fg);
            assert_ne!(t.lost.bg, t.path.bg);
        }
    }
}
