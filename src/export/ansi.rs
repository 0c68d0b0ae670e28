//! `Buffer` -> text with ANSI SGR colours: what `cat` or `less -R` shows like the terminal did.
//!
//! Every style change writes a complete SGR sequence that starts from a reset (`ESC[0;...m`), so
//! each line stands on its own and stays correct when cut out of the file. Colours are written
//! as the TUI asked for them: named colours as the 16 ANSI codes, indexed as `38;5;n`, RGB as
//! `38;2;r;g;b`, so the reader's terminal shows them exactly as it shows the TUI.

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use super::cells::{CellStyle, row_glyphs, trim_trailing_blanks};
use super::palette::ansi_index;

/// The SGR parameters of the modifiers, in ECMA-48 order.
const MODIFIER_CODES: [(Modifier, u8); 9] = [
    (Modifier::BOLD, 1),
    (Modifier::DIM, 2),
    (Modifier::ITALIC, 3),
    (Modifier::UNDERLINED, 4),
    (Modifier::SLOW_BLINK, 5),
    (Modifier::RAPID_BLINK, 6),
    (Modifier::REVERSED, 7),
    (Modifier::HIDDEN, 8),
    (Modifier::CROSSED_OUT, 9),
];

/// Which colour slot a colour is written for.
#[derive(Clone, Copy)]
enum Layer {
    Fg,
    Bg,
    Underline,
}

fn push_colour(out: &mut String, c: Color, slot: Layer) {
    if c == Color::Reset {
        return;
    }
    if let (Some(i), Layer::Fg | Layer::Bg) = (ansi_index(c), slot) {
        let base = match (slot, i < 8) {
            (Layer::Fg, true) => 30,
            (Layer::Fg, false) => 90 - 8,
            (_, true) => 40,
            (_, false) => 100 - 8,
        };
        let _ = write!(out, ";{}", base + u16::from(i));
        return;
    }
    let lead = match slot {
        Layer::Fg => 38,
        Layer::Bg => 48,
        Layer::Underline => 58,
    };
    match c {
        Color::Rgb(r, g, b) => {
            let _ = write!(out, ";{lead};2;{r};{g};{b}");
        }
        Color::Indexed(i) => {
            let _ = write!(out, ";{lead};5;{i}");
        }
        other => {
            if let Some(i) = ansi_index(other) {
                let _ = write!(out, ";{lead};5;{i}");
            }
        }
    }
}

/// The SGR sequence that switches to `style` from any state.
pub fn sgr(style: &CellStyle) -> String {
    let mut out = String::from("\x1b[0");
    for (m, code) in MODIFIER_CODES {
        if style.modifier.contains(m) {
            let _ = write!(out, ";{code}");
        }
    }
    push_colour(&mut out, style.fg, Layer::Fg);
    push_colour(&mut out, style.bg, Layer::Bg);
    if style.modifier.contains(Modifier::UNDERLINED) {
        push_colour(&mut out, style.underline_color, Layer::Underline);
    }
    out.push('m');
    out
}

/// The buffer as ANSI text, each row ending in `\n` with all attributes reset.
pub fn to_ansi(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut row = row_glyphs(buf, y);
        trim_trailing_blanks(&mut row);
        let mut current = CellStyle::PLAIN;
        for (g, style) in row {
            if style != current {
                out.push_str(&sgr(&style));
                current = style;
            }
            out.push_str(if g.symbol.is_empty() { " " } else { g.symbol });
        }
        if current != CellStyle::PLAIN {
            out.push_str("\x1b[0m");
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn sgr_codes_follow_ecma_48() {
        let s = |st: Style| {
            let mut buf = Buffer::empty(Rect::new(0, 0, 1, 1));
            buf.set_string(0, 0, "x", st);
            to_ansi(&buf)
        };
        assert_eq!(s(Style::default()), "x\n");
        assert_eq!(s(Style::default().red()), "\x1b[0;31mx\x1b[0m\n");
        assert_eq!(s(Style::default().light_blue()), "\x1b[0;94mx\x1b[0m\n");
        assert_eq!(s(Style::default().on_dark_gray()), "\x1b[0;100mx\x1b[0m\n");
        assert_eq!(
            s(Style::default().fg(Color::Rgb(1, 2, 3)).bold().reversed()),
            "\x1b[0;1;7;38;2;1;2;3mx\x1b[0m\n"
        );
        assert_eq!(
            s(Style::default().bg(Color::Indexed(236)).underlined()),
            "\x1b[0;4;48;5;236mx\x1b[0m\n"
        );
    }

    #[test]
    fn styles_change_only_where_the_cells_do_and_lines_end_reset() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 2));
        buf.set_string(0, 0, "ab", Style::default().green());
        buf.set_string(2, 0, "c", Style::default());
        buf.set_string(0, 1, "d", Style::default());
        assert_eq!(to_ansi(&buf), "\x1b[0;32mab\x1b[0mc\nd\n");
    }
}
