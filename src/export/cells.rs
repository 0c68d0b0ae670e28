//! Walking a ratatui `Buffer` the way a terminal shows it: row by row, skipping the cells hidden
//! behind a double-width symbol, grouped into runs of one style.

use ratatui::buffer::{Buffer, Cell, CellWidth};
use ratatui::style::{Color, Modifier};

/// Everything about a cell's look except its symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CellStyle {
    pub fg: Color,
    pub bg: Color,
    pub underline_color: Color,
    pub modifier: Modifier,
}

impl CellStyle {
    fn of(cell: &Cell) -> Self {
        CellStyle {
            fg: cell.fg,
            bg: cell.bg,
            underline_color: cell.underline_color,
            modifier: cell.modifier,
        }
    }

    /// The default look: no colours, no modifiers.
    pub const PLAIN: CellStyle = CellStyle {
        fg: Color::Reset,
        bg: Color::Reset,
        underline_color: Color::Reset,
        modifier: Modifier::empty(),
    };

    /// Whether a blank cell of this style looks different from the default background.
    pub fn marks_blank(&self) -> bool {
        self.bg != Color::Reset
            || self
                .modifier
                .intersects(Modifier::REVERSED | Modifier::UNDERLINED | Modifier::CROSSED_OUT)
    }
}

/// One visible cell: its column, its symbol and how many columns it covers (at least 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Glyph<'a> {
    pub x: u16,
    pub symbol: &'a str,
    pub width: u16,
}

impl Glyph<'_> {
    /// A blank cell (a space or nothing).
    pub fn is_blank(&self) -> bool {
        self.symbol.is_empty() || self.symbol == " "
    }
}

/// A run of adjacent visible cells of one row that share a style.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run<'a> {
    pub style: CellStyle,
    pub glyphs: Vec<Glyph<'a>>,
}

impl Run<'_> {
    /// First column of the run.
    pub fn x(&self) -> u16 {
        self.glyphs.first().map_or(0, |g| g.x)
    }

    /// Columns covered.
    pub fn width(&self) -> u16 {
        self.glyphs.iter().map(|g| g.width).sum()
    }

    /// The run's text, symbols concatenated.
    pub fn text(&self) -> String {
        self.glyphs.iter().map(|g| g.symbol).collect()
    }
}

/// The visible cells of row `y` (relative to the buffer's area), left to right.
pub fn row_glyphs(buf: &Buffer, y: u16) -> Vec<(Glyph<'_>, CellStyle)> {
    let area = buf.area;
    let mut out = Vec::with_capacity(usize::from(area.width));
    let mut x = 0u16;
    while x < area.width {
        let cell = &buf[(area.x + x, area.y + y)];
        let width = cell.cell_width().clamp(1, area.width - x);
        out.push((
            Glyph {
                x,
                symbol: cell.symbol(),
                width,
            },
            CellStyle::of(cell),
        ));
        x += width;
    }
    out
}

/// Row `y` as runs of one style each, covering the whole row.
pub fn row_runs(buf: &Buffer, y: u16) -> Vec<Run<'_>> {
    let mut runs: Vec<Run<'_>> = Vec::new();
    for (g, style) in row_glyphs(buf, y) {
        match runs.last_mut() {
            Some(r) if r.style == style => r.glyphs.push(g),
            _ => runs.push(Run {
                style,
                glyphs: vec![g],
            }),
        }
    }
    runs
}

/// Drops the blank cells at the end of a row that look like the default background.
pub fn trim_trailing_blanks(row: &mut Vec<(Glyph<'_>, CellStyle)>) {
    while let Some((g, s)) = row.last() {
        if g.is_blank() && !s.marks_blank() {
            row.pop();
        } else {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn a_double_width_symbol_hides_the_next_cell() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 1));
        buf.set_string(0, 0, "a漢b", Style::default());
        let g: Vec<_> = row_glyphs(&buf, 0)
            .into_iter()
            .map(|(g, _)| (g.x, g.symbol, g.width))
            .collect();
        assert_eq!(
            g,
            vec![
                (0, "a", 1),
                (1, "漢", 2),
                (3, "b", 1),
                (4, " ", 1),
                (5, " ", 1)
            ]
        );
    }

    #[test]
    fn runs_split_where_the_style_changes() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 8, 1));
        buf.set_string(0, 0, "ab", Style::default().red());
        buf.set_string(2, 0, "cd", Style::default().red().bold());
        let runs = row_runs(&buf, 0);
        let texts: Vec<_> = runs.iter().map(|r| (r.x(), r.text())).collect();
        assert_eq!(
            texts,
            vec![(0, "ab".into()), (2, "cd".into()), (4, "    ".into())]
        );
        assert_eq!(runs[1].style.modifier, Modifier::BOLD);
        assert_eq!(runs[2].width(), 4);
    }

    #[test]
    fn trailing_blanks_go_unless_they_show_a_colour() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 2));
        buf.set_string(0, 0, "ab", Style::default());
        buf.set_string(0, 1, "ab  ", Style::default().on_blue());
        let mut r0 = row_glyphs(&buf, 0);
        trim_trailing_blanks(&mut r0);
        assert_eq!(r0.len(), 2);
        let mut r1 = row_glyphs(&buf, 1);
        trim_trailing_blanks(&mut r1);
        assert_eq!(r1.len(), 4);
    }

    #[test]
    fn rows_are_relative_to_an_offset_area() {
        let mut buf = Buffer::empty(Rect::new(3, 2, 4, 2));
        buf.set_string(3, 3, "xy", Style::default());
        let texts: Vec<_> = row_runs(&buf, 1).iter().map(|r| r.text()).collect();
        assert_eq!(texts, vec!["xy  ".to_string()]);
    }
}
