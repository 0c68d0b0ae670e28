//! `Buffer` -> SVG, written by rmapviz itself so the picture looks like a terminal.
//!
//! The picture is one grid of [`CELL_WIDTH`] x [`CELL_HEIGHT`] pixel cells inside a padding of
//! the default background. Backgrounds are rectangles (one per run of equal colour, drawn with
//! crisp edges so neighbours do not show seams); the text of each terminal row is one `<text>`
//! element whose `<tspan>`s carry one style each and place every character on its cell with an
//! explicit `x`, so the grid holds even in a viewer that substitutes another monospace font.
//! Blank cells are not written. The cell height and baseline come from the shipped font
//! ([`super::font`]) so box-drawing characters join from row to row. Underline and strike-through
//! are one-pixel rectangles. Colours are exact RGB from the [`Palette`].

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

use super::cells::{Glyph, Run, row_glyphs, row_runs};
use super::font::{BASELINE, CELL_HEIGHT, CELL_WIDTH, FAMILY_LIST, FONT_SIZE};
use super::markup::escape;
use super::palette::{Palette, Rgb};

/// Layout of the picture around the cell grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SvgOptions {
    /// Pixels of default background around the grid on every side.
    pub padding: u32,
}

impl Default for SvgOptions {
    fn default() -> Self {
        SvgOptions { padding: 8 }
    }
}

/// Width and height in pixels of the SVG of a `cols` x `rows` buffer.
pub fn picture_size(cols: u16, rows: u16, opts: &SvgOptions) -> (u32, u32) {
    (
        u32::from(cols) * CELL_WIDTH + 2 * opts.padding,
        u32::from(rows) * CELL_HEIGHT + 2 * opts.padding,
    )
}

/// The buffer as a standalone SVG document.
pub fn to_svg(buf: &Buffer, palette: &Palette, opts: &SvgOptions) -> String {
    let (w, h) = picture_size(buf.area.width, buf.area.height, opts);
    let mut out = String::with_capacity(64 * 1024);
    out.push_str(&document_start(w, h));
    write_picture(&mut out, buf, palette, opts);
    out.push_str("</svg>\n");
    out
}

/// The XML declaration and the `<svg>` start tag of a `w` x `h` pixel document.
pub fn document_start(w: u32, h: u32) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\n"
    )
}

/// The picture of the buffer (its background, the cells' backgrounds, the text, the lines),
/// the content of an `<svg>` element or of one frame of an animation.
pub fn write_picture(out: &mut String, buf: &Buffer, palette: &Palette, opts: &SvgOptions) {
    let (w, h) = picture_size(buf.area.width, buf.area.height, opts);
    let pad = opts.padding;
    let _ = writeln!(
        out,
        r#"<rect width="{w}" height="{h}" fill="{}"/>"#,
        palette.bg.hex()
    );

    out.push_str("<g shape-rendering=\"crispEdges\">\n");
    for y in 0..buf.area.height {
        write_backgrounds(out, buf, y, palette, pad);
    }
    out.push_str("</g>\n");

    let _ = writeln!(
        out,
        r#"<g font-family="{}" font-size="{FONT_SIZE}" fill="{}">"#,
        escape(FAMILY_LIST),
        palette.fg.hex()
    );
    let mut lines = String::new();
    for y in 0..buf.area.height {
        let top = pad + u32::from(y) * CELL_HEIGHT;
        let _ = write!(out, r#"<text y="{}">"#, top + BASELINE);
        for run in row_runs(buf, y) {
            write_run_text(out, &run, palette, pad);
            write_run_lines(&mut lines, &run, palette, pad, top);
        }
        out.push_str("</text>\n");
    }
    out.push_str("</g>\n");
    if !lines.is_empty() {
        out.push_str("<g shape-rendering=\"crispEdges\">\n");
        out.push_str(&lines);
        out.push_str("</g>\n");
    }
}

/// Background rectangles of row `y`: one per run of cells showing the same non-default colour.
fn write_backgrounds(out: &mut String, buf: &Buffer, y: u16, palette: &Palette, pad: u32) {
    let mut spans: Vec<(u16, u16, Rgb)> = Vec::new();
    for (g, style) in row_glyphs(buf, y) {
        let bg = palette.shown(style.fg, style.bg, style.modifier).bg;
        match spans.last_mut() {
            Some((x, w, c)) if *c == bg && *x + *w == g.x => *w += g.width,
            _ => spans.push((g.x, g.width, bg)),
        }
    }
    let top = pad + u32::from(y) * CELL_HEIGHT;
    for (x, width, c) in spans {
        if c == palette.bg {
            continue;
        }
        let _ = writeln!(
            out,
            r#"<rect x="{}" y="{top}" width="{}" height="{CELL_HEIGHT}" fill="{}"/>"#,
            pad + u32::from(x) * CELL_WIDTH,
            u32::from(width) * CELL_WIDTH,
            c.hex()
        );
    }
}

/// Splits a run into pieces written as one `<tspan>` each: words of one-character, one-column
/// symbols (placed character by character), and any wider or composed symbol on its own.
fn pieces<'a, 'b>(run: &'b Run<'a>) -> Vec<&'b [Glyph<'a>]> {
    let mut out = Vec::new();
    let g = &run.glyphs;
    let mut i = 0;
    while i < g.len() {
        if g[i].is_blank() {
            i += 1;
            continue;
        }
        let simple = |x: &Glyph<'_>| x.width == 1 && x.symbol.chars().count() == 1 && !x.is_blank();
        let mut j = i + 1;
        if simple(&g[i]) {
            while j < g.len() && simple(&g[j]) {
                j += 1;
            }
        }
        out.push(&g[i..j]);
        i = j;
    }
    out
}

fn write_run_text(out: &mut String, run: &Run<'_>, palette: &Palette, pad: u32) {
    let st = &run.style;
    let shown = palette.shown(st.fg, st.bg, st.modifier);
    if !shown.text_visible {
        return;
    }
    let mut attrs = String::new();
    if shown.fg != palette.fg {
        let _ = write!(attrs, r#" fill="{}""#, shown.fg.hex());
    }
    if st.modifier.contains(Modifier::BOLD) {
        attrs.push_str(r#" font-weight="bold""#);
    }
    if st.modifier.contains(Modifier::ITALIC) {
        attrs.push_str(r#" font-style="italic""#);
    }
    for piece in pieces(run) {
        let xs: Vec<String> = piece
            .iter()
            .map(|g| (pad + u32::from(g.x) * CELL_WIDTH).to_string())
            .collect();
        let text: String = piece.iter().map(|g| g.symbol).collect();
        let _ = write!(
            out,
            r#"<tspan x="{}"{attrs}>{}</tspan>"#,
            xs.join(" "),
            escape(&text)
        );
    }
}

/// Underline and strike-through of a run, as one-pixel rectangles.
fn write_run_lines(out: &mut String, run: &Run<'_>, palette: &Palette, pad: u32, top: u32) {
    let st = &run.style;
    let shown = palette.shown(st.fg, st.bg, st.modifier);
    let x = pad + u32::from(run.x()) * CELL_WIDTH;
    let width = u32::from(run.width()) * CELL_WIDTH;
    if st.modifier.contains(Modifier::UNDERLINED) {
        let colour = match st.underline_color {
            Color::Reset => shown.fg,
            c => palette.fg_of(c),
        };
        let _ = writeln!(
            out,
            r#"<rect x="{x}" y="{}" width="{width}" height="1" fill="{}"/>"#,
            top + BASELINE + 1,
            colour.hex()
        );
    }
    if st.modifier.contains(Modifier::CROSSED_OUT) && shown.text_visible {
        let _ = writeln!(
            out,
            r#"<rect x="{x}" y="{}" width="{width}" height="1" fill="{}"/>"#,
            top + BASELINE - 4,
            shown.fg.hex()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;
    use ratatui::widgets::{Block, Widget};

    fn sample() -> Buffer {
        let mut buf = Buffer::empty(Rect::new(0, 0, 12, 4));
        Block::bordered().title("mm <&>").render(buf.area, &mut buf);
        buf.set_string(
            1,
            1,
            "pid 1",
            Style::default().fg(Color::Rgb(0xff, 0x88, 0)).bold(),
        );
        buf.set_string(7, 1, "▶", Style::default().on_blue());
        buf.set_string(1, 2, "ok", Style::default().underlined().crossed_out());
        buf
    }

    fn parse(svg: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(svg).expect("well-formed XML")
    }

    #[test]
    fn declares_its_size_and_has_one_text_element_per_row() {
        let buf = sample();
        let svg = to_svg(&buf, &Palette::default(), &SvgOptions { padding: 8 });
        let doc = parse(&svg);
        let root = doc.root_element();
        assert_eq!(root.attribute("width"), Some("124")); // 12 * 9 + 16
        assert_eq!(root.attribute("height"), Some("84")); // 4 * 17 + 16
        let texts: Vec<_> = root
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .collect();
        assert_eq!(texts.len(), 4);
        let ys: Vec<_> = texts.iter().map(|t| t.attribute("y").unwrap()).collect();
        assert_eq!(ys, ["22", "39", "56", "73"]);
    }

    #[test]
    fn characters_sit_on_their_cells_with_exact_colours() {
        let buf = sample();
        let svg = to_svg(&buf, &Palette::default(), &SvgOptions { padding: 0 });
        let doc = parse(&svg);
        let spans: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("tspan"))
            .collect();
        let pid = spans.iter().find(|s| s.text() == Some("pid")).unwrap();
        assert_eq!(pid.attribute("x"), Some("9 18 27"));
        assert_eq!(pid.attribute("fill"), Some("#ff8800"));
        assert_eq!(pid.attribute("font-weight"), Some("bold"));
        let one = spans.iter().find(|s| s.text() == Some("1")).unwrap();
        assert_eq!(one.attribute("x"), Some("45"));
        // The title's markup characters are escaped and parse back.
        assert!(spans.iter().any(|s| s.text() == Some("┌mm")));
        assert!(spans.iter().any(|s| s.text() == Some("<&>────┐")));
        // The blue background of the arrow's cell is a rectangle at column 7, row 1.
        let blue = doc
            .descendants()
            .find(|n| n.has_tag_name("rect") && n.attribute("fill") == Some("#0000ee"))
            .unwrap();
        assert_eq!(
            (
                blue.attribute("x"),
                blue.attribute("y"),
                blue.attribute("width")
            ),
            (Some("63"), Some("17"), Some("9"))
        );
    }

    #[test]
    fn underline_and_strike_through_are_drawn_as_lines() {
        let svg = to_svg(&sample(), &Palette::default(), &SvgOptions { padding: 0 });
        let doc = parse(&svg);
        let one_px: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("rect") && n.attribute("height") == Some("1"))
            .map(|n| (n.attribute("x").unwrap(), n.attribute("y").unwrap()))
            .collect();
        // Row 2 starts at y 34: underline one pixel below the baseline (34 + 14 + 1), strike
        // four above it.
        assert_eq!(one_px, [("9", "49"), ("9", "44")]);
    }

    #[test]
    fn wide_and_composed_symbols_get_their_own_position() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 1));
        buf.set_string(0, 0, "a漢bc", Style::default());
        let svg = to_svg(&buf, &Palette::default(), &SvgOptions { padding: 0 });
        let doc = parse(&svg);
        let spans: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("tspan"))
            .map(|n| (n.text().unwrap(), n.attribute("x").unwrap()))
            .collect();
        assert_eq!(spans, [("a", "0"), ("漢", "9"), ("bc", "27 36")]);
    }
}
