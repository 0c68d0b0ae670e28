//! `Buffer` -> a self-contained HTML page: one `<pre>` whose spans carry the cells' exact
//! colours through a small generated style sheet. No scripts, no external resources; the text
//! can be selected and copied. The font and the line height are those of the SVG, so box-drawing
//! characters join where the viewer has DejaVu Sans Mono.

use std::collections::HashMap;
use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use super::cells::{CellStyle, row_glyphs, trim_trailing_blanks};
use super::font::{CELL_HEIGHT, FAMILY_LIST, FONT_SIZE};
use super::markup::escape;
use super::palette::{Palette, Rgb};

/// What a span looks like in CSS terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Look {
    fg: Rgb,
    bg: Rgb,
    bold: bool,
    italic: bool,
    underline: Option<Rgb>,
    strike: bool,
    hidden: bool,
}

impl Look {
    fn of(style: &CellStyle, palette: &Palette) -> Look {
        let shown = palette.shown(style.fg, style.bg, style.modifier);
        let m = style.modifier;
        Look {
            fg: shown.fg,
            bg: shown.bg,
            bold: m.contains(Modifier::BOLD),
            italic: m.contains(Modifier::ITALIC),
            underline: m
                .contains(Modifier::UNDERLINED)
                .then(|| match style.underline_color {
                    Color::Reset => shown.fg,
                    c => palette.fg_of(c),
                }),
            strike: m.contains(Modifier::CROSSED_OUT),
            hidden: !shown.text_visible,
        }
    }

    fn css(&self, palette: &Palette) -> String {
        let mut css = String::new();
        if self.fg != palette.fg {
            let _ = write!(css, "color:{};", self.fg.hex());
        }
        if self.bg != palette.bg {
            let _ = write!(css, "background:{};", self.bg.hex());
        }
        if self.bold {
            css.push_str("font-weight:bold;");
        }
        if self.italic {
            css.push_str("font-style:italic;");
        }
        let mut lines = Vec::new();
        if self.underline.is_some() {
            lines.push("underline");
        }
        if self.strike {
            lines.push("line-through");
        }
        if !lines.is_empty() {
            let _ = write!(css, "text-decoration:{};", lines.join(" "));
        }
        if let Some(c) = self.underline {
            let _ = write!(css, "text-decoration-color:{};", c.hex());
        }
        if self.hidden {
            css.push_str("color:transparent;");
        }
        css
    }
}

/// The buffer as an HTML page titled `title`.
pub fn to_html(buf: &Buffer, palette: &Palette, title: &str) -> String {
    let plain = Look::of(&CellStyle::PLAIN, palette);
    let mut classes: HashMap<Look, usize> = HashMap::new();
    let mut order: Vec<Look> = Vec::new();
    let mut body = String::new();
    for y in 0..buf.area.height {
        let mut row = row_glyphs(buf, y);
        trim_trailing_blanks(&mut row);
        let mut open: Option<Look> = None;
        for (g, style) in row {
            let look = Look::of(&style, palette);
            if open != Some(look) {
                if open.is_some_and(|l| l != plain) {
                    body.push_str("</span>");
                }
                if look != plain {
                    let next = order.len();
                    let n = *classes.entry(look).or_insert(next);
                    if n == next {
                        order.push(look);
                    }
                    let _ = write!(body, r#"<span class="c{n}">"#);
                }
                open = Some(look);
            }
            body.push_str(&escape(if g.symbol.is_empty() { " " } else { g.symbol }));
        }
        if open.is_some_and(|l| l != plain) {
            body.push_str("</span>");
        }
        body.push('\n');
    }

    let mut out = String::with_capacity(body.len() + 2048);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(out, "<title>{}</title>", escape(title));
    out.push_str("<style>\n");
    let _ = writeln!(
        out,
        "body {{ margin: 0; padding: 16px; background: {bg}; }}\n\
         pre {{ margin: 0; display: inline-block; color: {fg}; background: {bg}; \
         font-family: {FAMILY_LIST}; font-size: {FONT_SIZE}px; line-height: {CELL_HEIGHT}px; }}\n\
         pre span {{ white-space: pre; }}",
        bg = palette.bg.hex(),
        fg = palette.fg.hex(),
    );
    for (n, look) in order.iter().enumerate() {
        let _ = writeln!(out, ".c{n} {{ {} }}", look.css(palette));
    }
    out.push_str("</style>\n</head>\n<body>\n<pre>");
    out.push_str(&body);
    out.push_str("</pre>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn spans_carry_exact_colours_through_classes() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 10, 2));
        buf.set_string(0, 0, "a<b", Style::default().fg(Color::Rgb(1, 2, 3)).bold());
        buf.set_string(4, 0, "c", Style::default().fg(Color::Rgb(1, 2, 3)).bold());
        buf.set_string(0, 1, "d", Style::default().reversed());
        let palette = Palette {
            fg: Rgb(0xee, 0xee, 0xee),
            bg: Rgb(0x11, 0x11, 0x11),
            ..Palette::default()
        };
        let html = to_html(&buf, &palette, "S3 & co");
        assert!(html.contains("<title>S3 &amp; co</title>"));
        assert!(html.contains(".c0 { color:#010203;font-weight:bold; }"));
        assert!(html.contains(".c1 { color:#111111;background:#eeeeee; }"));
        assert!(html.contains(
            "<pre><span class=\"c0\">a&lt;b</span> <span class=\"c0\">c</span>\n\
             <span class=\"c1\">d</span>\n</pre>"
        ));
        assert!(
            !html.contains("http"),
            "self-contained: no external references"
        );
    }
}
