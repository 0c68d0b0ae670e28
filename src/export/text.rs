//! `Buffer` -> plain text: one line per row, trailing blanks dropped, no styles.

use ratatui::buffer::Buffer;

use super::cells::row_glyphs;

/// The buffer's text, each row ending in `\n`.
pub fn to_text(buf: &Buffer) -> String {
    let mut out =
        String::with_capacity(usize::from(buf.area.width + 1) * usize::from(buf.area.height));
    for y in 0..buf.area.height {
        let mut row = row_glyphs(buf, y);
        while row.last().is_some_and(|(g, _)| g.is_blank()) {
            row.pop();
        }
        for (g, _) in row {
            out.push_str(if g.symbol.is_empty() { " " } else { g.symbol });
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
    use ratatui::widgets::{Block, Widget};

    #[test]
    fn one_line_per_row_without_styles_or_trailing_blanks() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 8, 3));
        Block::bordered().title("mm").render(buf.area, &mut buf);
        buf.set_string(1, 1, "vma", Style::default().yellow().bold());
        assert_eq!(to_text(&buf), "┌mm────┐\n│vma   │\n└──────┘\n");
        let mut blank = Buffer::empty(Rect::new(0, 0, 4, 2));
        blank.set_string(0, 0, "x", Style::default().on_red());
        assert_eq!(to_text(&blank), "x\n\n");
    }
}
