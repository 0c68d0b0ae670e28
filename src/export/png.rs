//! SVG -> PNG in pure Rust (resvg), with the shipped font only.
//!
//! resvg has no built-in font and draws no text without one, and a font found on the machine
//! would make the picture depend on the machine. So the font database holds exactly the two
//! faces of [`super::font`], and every generic family (`monospace`, `sans-serif`, ...) is
//! pointed at them.

use std::sync::{Arc, OnceLock};

use ratatui::buffer::Buffer;
use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg::{self, fontdb};

use super::ExportError;
use super::font::{BOLD, FAMILY, REGULAR};
use super::palette::Palette;
use super::svg::{SvgOptions, picture_size, to_svg};

/// The font database every PNG is rendered with (built once).
fn fonts() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_font_data(REGULAR.to_vec());
        db.load_font_data(BOLD.to_vec());
        db.set_monospace_family(FAMILY);
        db.set_sans_serif_family(FAMILY);
        db.set_serif_family(FAMILY);
        db.set_cursive_family(FAMILY);
        db.set_fantasy_family(FAMILY);
        Arc::new(db)
    })
    .clone()
}

/// `svg` rendered with the shipped font, `scale` pixels per SVG pixel: premultiplied RGBA
/// (opaque wherever the picture has a background, which is everywhere).
pub fn svg_to_pixmap(svg: &str, scale: u32) -> Result<Pixmap, ExportError> {
    let opt = usvg::Options {
        font_family: FAMILY.to_string(),
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &opt).map_err(|e| ExportError::Svg(e.to_string()))?;
    let size = tree.size().to_int_size();
    let (w, h) = (size.width() * scale, size.height() * scale);
    let mut pixmap = Pixmap::new(w, h).ok_or(ExportError::Pixmap(w, h))?;
    let s = scale as f32;
    resvg::render(&tree, Transform::from_scale(s, s), &mut pixmap.as_mut());
    Ok(pixmap)
}

/// The buffer as a PNG: its SVG rendered at `scale` (1 gives the SVG's pixel size).
pub fn to_png(
    buf: &Buffer,
    palette: &Palette,
    opts: &SvgOptions,
    scale: u32,
) -> Result<Vec<u8>, ExportError> {
    to_pixmap(buf, palette, opts, scale)?
        .encode_png()
        .map_err(|e| ExportError::Png(e.to_string()))
}

/// The PNG's picture of `buf` as pixels, for the frames of an animated GIF (the same size
/// limit as [`to_png`]).
pub fn to_pixmap(
    buf: &Buffer,
    palette: &Palette,
    opts: &SvgOptions,
    scale: u32,
) -> Result<Pixmap, ExportError> {
    let (w, h) = picture_size(buf.area.width, buf.area.height, opts);
    if u64::from(w) * u64::from(h) * u64::from(scale) * u64::from(scale) > MAX_PIXELS {
        return Err(ExportError::Pixmap(w * scale, h * scale));
    }
    svg_to_pixmap(&to_svg(buf, palette, opts), scale)
}

/// The largest picture rendered (about 400 MB of RGBA).
const MAX_PIXELS: u64 = 100_000_000;

/// The scale used when none is asked for: 2 where the picture stays within the largest one
/// rendered, else 1 (so that every size up to 1000x500 cells gives a PNG by default).
pub fn default_scale(cols: u16, rows: u16, opts: &SvgOptions) -> u32 {
    let (w, h) = picture_size(cols, rows, opts);
    if u64::from(w) * u64::from(h) * 4 > MAX_PIXELS {
        1
    } else {
        2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::font::{BASELINE, CELL_HEIGHT, CELL_WIDTH};
    use crate::export::palette::Rgb;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    fn render(buf: &Buffer, scale: u32) -> Pixmap {
        let palette = Palette {
            fg: Rgb(255, 255, 255),
            bg: Rgb(0, 0, 0),
            ..Palette::default()
        };
        let png = to_png(buf, &palette, &SvgOptions { padding: 0 }, scale).unwrap();
        Pixmap::decode_png(&png).unwrap()
    }

    /// The documented largest size, 1000x500, renders at the default scale (issue 16 item 11:
    /// the default of 2 made it 306 million pixels and an error); 120x40 keeps 2.
    #[test]
    fn the_default_scale_fits_every_documented_size() {
        let opts = SvgOptions::default();
        for (c, r) in [(40, 10), (120, 40), (240, 60), (500, 250), (1000, 500)] {
            let s = default_scale(c, r, &opts);
            let (w, h) = picture_size(c, r, &opts);
            assert!(
                u64::from(w * s) * u64::from(h * s) <= MAX_PIXELS,
                "{c}x{r}: scale {s}"
            );
        }
        assert_eq!(default_scale(120, 40, &opts), 2);
        assert_eq!(default_scale(1000, 500, &opts), 1);
    }

    /// Whether the pixel at (x, y) is mostly ink (white text on black).
    fn ink(p: &Pixmap, x: u32, y: u32) -> bool {
        p.pixel(x, y).is_some_and(|c| c.red() > 100)
    }

    #[test]
    fn text_is_drawn_with_the_shipped_font() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 4, 1));
        buf.set_string(0, 0, "MMMM", Style::default());
        let p = render(&buf, 1);
        assert_eq!((p.width(), p.height()), (4 * CELL_WIDTH, CELL_HEIGHT));
        let lit = (0..p.height())
            .flat_map(|y| (0..p.width()).map(move |x| (x, y)))
            .filter(|&(x, y)| ink(&p, x, y))
            .count();
        assert!(lit > 40, "only {lit} text pixels");
    }

    #[test]
    fn vertical_box_lines_join_from_row_to_row() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 3, 4));
        for y in 0..4 {
            buf.set_string(1, y, "│", Style::default());
        }
        for scale in [1, 2] {
            let p = render(&buf, scale);
            // The stroke is at the middle of column 1; every pixel row from top to bottom must
            // be ink there, including the seams between terminal rows.
            let x = (CELL_WIDTH + CELL_WIDTH / 2) * scale;
            let gaps: Vec<u32> = (0..p.height()).filter(|&y| !ink(&p, x, y)).collect();
            assert!(
                gaps.is_empty(),
                "scale {scale}: gaps at pixel rows {gaps:?}"
            );
        }
    }

    #[test]
    fn horizontal_box_lines_join_from_cell_to_cell() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 5, 1));
        buf.set_string(0, 0, "─────", Style::default());
        let p = render(&buf, 2);
        // The stroke is a little above the baseline; find its row and follow it across.
        let y = (0..p.height())
            .find(|&y| ink(&p, p.width() / 2, y))
            .expect("a horizontal stroke");
        assert!(y < BASELINE * 2);
        let gaps: Vec<u32> = (0..p.width()).filter(|&x| !ink(&p, x, y)).collect();
        assert!(gaps.is_empty(), "gaps at pixel columns {gaps:?}");
    }

    #[test]
    fn same_buffer_same_bytes() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 10, 2));
        buf.set_string(0, 0, "pid 1 ━▶", Style::default());
        let a = to_png(&buf, &Palette::default(), &SvgOptions::default(), 1).unwrap();
        let b = to_png(&buf, &Palette::default(), &SvgOptions::default(), 1).unwrap();
        assert_eq!(a, b);
    }
}
