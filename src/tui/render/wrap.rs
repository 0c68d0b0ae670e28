//! Word wrapping of a line of printable ASCII without ratatui's grapheme machinery.
//!
//! A line wider than its pane is wrapped to be measured and again to be drawn. ratatui's
//! wrapper splits the text into graphemes and looks each up in Unicode tables: for the walk in
//! one line of a walk of a thousand candidates (30,000 characters, the narrative's), that was
//! most of a frame. A line of printable ASCII is wrapped here instead, by the same rules as
//! ratatui's `WordWrapper` without trimming (`Wrap { trim: false }`), into rows that each fit
//! the width: ratatui then draws them as they are, and only the rows in view are drawn. Any
//! other line (a tab, a character beyond ASCII) is left to ratatui.

use std::ops::Range;

use ratatui::text::{Line, Span};

/// A line wrapped here: the line and where each of its rows starts and ends.
pub(crate) struct Wrapped<'a> {
    line: Line<'a>,
    ranges: Vec<(usize, usize)>,
}

impl<'a> Wrapped<'a> {
    /// How many rows the line wraps to.
    pub(crate) fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Rows `rows` of the line, each a line that fits the width (only these are built).
    pub(crate) fn rows(&self, rows: Range<usize>) -> impl Iterator<Item = Line<'a>> + '_ {
        let rows = rows.start.min(self.len())..rows.end.min(self.len());
        self.ranges[rows].iter().map(|&r| slice(&self.line, r))
    }
}

/// `line` wrapped to `width` cells when it is printable ASCII; else the line back (and for a
/// width of 0), for ratatui to wrap.
pub(crate) fn wrap(line: Line<'_>, width: u16) -> Result<Wrapped<'_>, Line<'_>> {
    let ascii = |s: &str| s.bytes().all(|b| (0x20..0x7f).contains(&b));
    if width == 0 || !line.spans.iter().all(|s| ascii(&s.content)) {
        return Err(line);
    }
    let text: Vec<u8> = line.spans.iter().flat_map(|s| s.content.bytes()).collect();
    let ranges = ranges(&text, width as usize);
    Ok(Wrapped { line, ranges })
}

/// A stretch of the text (bytes): where it starts and how long it is.
#[derive(Clone, Copy, Default)]
struct Extent {
    start: usize,
    len: usize,
}

impl Extent {
    fn end(self) -> usize {
        self.start + self.len
    }
    /// Adds the stretch `r`, which starts where this one ends (or this one is empty).
    fn append(&mut self, r: Extent) {
        if r.len == 0 {
            return;
        }
        if self.len == 0 {
            *self = r;
        } else {
            debug_assert_eq!(self.end(), r.start);
            self.len += r.len;
        }
    }
}

/// The byte ranges of the rows `text` (printable ASCII, every character one cell) wraps to in
/// `w` cells: ratatui's word wrapping without trimming, step by step (a row ends before the
/// word that would not fit; a word longer than a row is cut; the blanks where a row ends are
/// dropped as far as they would have filled it).
fn ranges(text: &[u8], w: usize) -> Vec<(usize, usize)> {
    let mut rows = Vec::new();
    let mut line = Extent::default();
    let mut blanks = Extent::default();
    let mut word = Extent::default();
    let mut after_word = false;
    for (i, &b) in text.iter().enumerate() {
        let blank = b == b' ';
        let word_found = after_word && blank;
        let overflow = line.len == 0 && word.len + blanks.len + 1 > w;
        if word_found || overflow {
            line.append(blanks);
            line.append(word);
            blanks = Extent::default();
            word = Extent::default();
        }
        if line.len >= w || line.len + blanks.len + word.len >= w {
            let room = w.saturating_sub(line.len);
            rows.push((line.start, line.end()));
            line = Extent::default();
            // The blanks that would have filled the row end with it.
            let gone = blanks.len.min(room);
            blanks.start += gone;
            blanks.len -= gone;
            if blank && blanks.len == 0 {
                continue;
            }
        }
        let run = if blank { &mut blanks } else { &mut word };
        if run.len == 0 {
            run.start = i;
        }
        run.len += 1;
        after_word = !blank;
    }
    line.append(blanks);
    line.append(word);
    if line.len > 0 || rows.is_empty() {
        rows.push((line.start, line.end()));
    }
    rows
}

/// The part `start..end` of `line`'s text (bytes of its spans laid end to end), with the styles
/// of the spans it crosses and the line's own style and alignment.
fn slice<'a>(line: &Line<'a>, (start, end): (usize, usize)) -> Line<'a> {
    let mut spans = Vec::new();
    let mut at = 0;
    for s in &line.spans {
        let (a, b) = (at, at + s.content.len());
        at = b;
        let (lo, hi) = (start.max(a), end.min(b));
        if lo < hi {
            spans.push(Span::styled(s.content[lo - a..hi - a].to_string(), s.style));
        }
    }
    Line {
        style: line.style,
        alignment: line.alignment,
        spans,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Style};
    use ratatui::widgets::{Paragraph, Widget, Wrap};

    /// What ratatui draws for `lines` wrapped (without trimming) in `w` cells: every cell of
    /// every row, symbol and style.
    fn drawn(lines: Vec<Line>, w: u16) -> (usize, Buffer) {
        let p = Paragraph::new(lines).wrap(Wrap { trim: false });
        let h = p.line_count(w);
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h as u16));
        p.render(buf.area, &mut buf);
        (h, buf)
    }

    fn all_rows(line: &Line<'static>, w: u16) -> Vec<Line<'static>> {
        let wrapped = wrap(line.clone(), w).expect("ASCII");
        let n = wrapped.len();
        let rows: Vec<Line> = wrapped.rows(0..n).collect();
        // Any run of rows is those rows.
        assert_eq!(
            wrapped.rows(n / 2..n + 3).collect::<Vec<_>>(),
            rows[n / 2..]
        );
        rows
    }

    /// A small deterministic generator of test lines: words of 1 to 12 letters or digits, runs
    /// of 1 to 4 blanks, blanks at the start and the end, split into spans of two styles.
    struct LineGen(u64);
    impl LineGen {
        fn next(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
        fn line(&mut self) -> Line<'static> {
            let mut text = String::new();
            for _ in 0..self.next(30) {
                let blank = self.next(3) == 0;
                let n = if blank {
                    1 + self.next(4)
                } else {
                    1 + self.next(12)
                };
                for _ in 0..n {
                    text.push(if blank {
                        ' '
                    } else {
                        b"ab0x-:,()"[self.next(9) as usize] as char
                    });
                }
                if !blank && self.next(2) == 0 {
                    text.push(' ');
                }
            }
            let cut = self.next(text.len() as u64 + 1) as usize;
            let styles = [Style::new().fg(Color::Red), Style::new().fg(Color::Blue)];
            Line::from(vec![
                Span::styled(text[..cut].to_string(), styles[0]),
                Span::styled(text[cut..].to_string(), styles[1]),
            ])
            .style(Style::new().bg(Color::Black))
        }
    }

    /// The rows drawn from [`rows`] are, cell for cell, what ratatui draws wrapping the line
    /// itself, and as many: on thousands of generated lines at every width from 1 to 40.
    #[test]
    fn rows_draw_what_ratatui_wraps() {
        let mut g = LineGen(0x9e37_79b9_7f4a_7c15);
        for case in 0..3000 {
            let line = g.line();
            let w = 1 + (case % 40) as u16;
            let rows = all_rows(&line, w);
            assert!(
                rows.iter().all(|r| r.width() <= w as usize),
                "{line:?} in {w}"
            );
            let (h, want) = drawn(vec![line.clone()], w);
            assert_eq!(rows.len(), h, "{line:?} in {w}");
            let (_, got) = drawn(rows, w);
            assert_eq!(got, want, "{line:?} in {w}");
        }
    }

    /// The cases the rules single out: a word longer than the row, blanks where a row ends,
    /// leading and trailing blanks, an empty line, a row exactly full.
    #[test]
    fn edge_cases_wrap_as_ratatui_does() {
        for text in [
            "",
            " ",
            "abcdefghij",
            "ab cd",
            "ab    cd",
            "   ab",
            "ab   ",
            "abc def ghi",
            "a b c d e f g h",
            "pid 2 0x7f0000000000 HIT, pid 3 0x7f0000000000 HIT",
        ] {
            for w in 1..=12 {
                let line = Line::raw(text);
                let rows = all_rows(&line, w);
                let (h, want) = drawn(vec![line.clone()], w);
                assert_eq!(rows.len(), h, "{text:?} in {w}");
                assert_eq!(drawn(rows, w).1, want, "{text:?} in {w}");
            }
        }
    }

    /// A line that is not printable ASCII is left to ratatui.
    #[test]
    fn other_lines_are_left_to_ratatui() {
        assert!(wrap(Line::raw("a → b"), 3).is_err());
        assert!(wrap(Line::raw("a\tb"), 3).is_err());
        assert!(wrap(Line::raw("ab"), 0).is_err());
    }
}
