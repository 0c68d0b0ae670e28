//! The monospace font every picture is drawn with, and the cell geometry derived from it.
//!
//! DejaVu Sans Mono (regular and bold) ships in `assets/fonts/` with its licence and is embedded
//! in the binary; PNGs are rendered with these faces only, never with the machine's fonts, so a
//! picture is the same on every machine.
//!
//! Geometry, in the font's units (2048 per em): every glyph advances 1233; the box-drawing
//! glyphs (`│ ┃ ║ ┼ █ ...`) reach from 512 below the baseline to 1921 above it, 49 units more
//! than the ascent plus descent (1901 + 483). At a font size of 9 * 2048 / 1233 px a glyph
//! advances exactly [`CELL_WIDTH`] = 9 px and a box-drawing glyph covers 14.02 px above the
//! baseline and 3.74 px below. A [`CELL_HEIGHT`] of 17 px with the baseline [`BASELINE`] = 14 px
//! below the top of the cell lies inside that span, so vertical strokes of neighbouring rows
//! overlap by a fraction of a pixel instead of leaving a gap, and horizontal strokes (which
//! reach 20 units past each side of the advance) join the same way.

/// DejaVu Sans Mono, regular.
pub const REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansMono.ttf");
/// DejaVu Sans Mono, bold.
pub const BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansMono-Bold.ttf");

/// The family name inside the font files.
pub const FAMILY: &str = "DejaVu Sans Mono";

/// The `font-family` written into SVG and HTML: the shipped face first, then common monospace
/// faces for viewers that do not have it.
pub const FAMILY_LIST: &str =
    "'DejaVu Sans Mono', 'Bitstream Vera Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace";

/// Width of one terminal cell in pixels (the font's advance at [`FONT_SIZE`]).
pub const CELL_WIDTH: u32 = 9;
/// Height of one terminal cell in pixels.
pub const CELL_HEIGHT: u32 = 17;
/// Distance from the top of a cell to the text baseline, in pixels.
pub const BASELINE: u32 = 14;
/// The font size, as written in SVG and HTML: 9 * 2048 / 1233 px, rounded to 4 decimals.
pub const FONT_SIZE: &str = "14.9489";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_font_size_makes_the_advance_one_cell() {
        let size: f64 = FONT_SIZE.parse().unwrap();
        let advance = 1233.0 / 2048.0 * size;
        assert!((advance - f64::from(CELL_WIDTH)).abs() < 1e-3, "{advance}");
        // The box-drawing span (-512 .. 1921 units) must contain the cell around the baseline.
        let above = 1921.0 / 2048.0 * size;
        let below = 512.0 / 2048.0 * size;
        assert!(above >= f64::from(BASELINE));
        assert!(below >= f64::from(CELL_HEIGHT - BASELINE));
    }

    #[test]
    fn the_shipped_files_are_truetype_fonts() {
        for data in [REGULAR, BOLD] {
            assert_eq!(
                &data[..4],
                &[0, 1, 0, 0],
                "a TrueType font starts 00 01 00 00"
            );
            assert!(data.len() > 100_000);
        }
    }
}
