//! Levels of detail of the graph's node texts: a pane too narrow for the full texts gets
//! shorter ones, dropping the least important fields first (the inspector always shows every
//! field). What a student needs stays at every level: the vma range and pgoff, the walk's
//! outcome on each candidate, the LOST marker, the page id and its mapcount.
//!
//! | level     | vma                                  | page                  | object | walk badges                   |
//! |-----------|--------------------------------------|-----------------------|--------|-------------------------------|
//! | `Full`    | range, pgoff, prot, file, pte counts | id, index, mapcount … | label  | `[#1 HIT]` `[LOST 0x11000]`   |
//! | `Brief`   | range, pgoff, prot, file             | id, mapcount          | label  | same                          |
//! | `Compact` | range (end without `0x`), pgoff, file | id, mapcount         | key    | same                          |
//! | `Tight`   | range (end without `0x`), pgoff      | as `Compact`          | key    | `#1 HIT`, `[LOST]`, `◀`, no blank after arrowheads |

/// The widest a node text gets, at every level (a longer label, such as a vma's with a long
/// file name, is cut with an ellipsis; the walk badge after it is kept).
pub const MAX_TEXT: u16 = 48;

/// How much a node's text says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Detail {
    #[default]
    Full,
    Brief,
    Compact,
    Tight,
}

impl Detail {
    /// Every level, most detailed first.
    pub const ALL: [Detail; 4] = [Detail::Full, Detail::Brief, Detail::Compact, Detail::Tight];

    /// The column headings at this level.
    pub fn headings(self) -> [&'static str; 4] {
        match self {
            Detail::Full | Detail::Brief => super::graph::COLUMNS,
            Detail::Compact => ["mm", "vma", "objects", "pages"],
            Detail::Tight => ["mm", "vma", "obj", "page"],
        }
    }

    /// Blank cells between an arrowhead and the node it points at.
    pub fn arrow_gap(self) -> u16 {
        match self {
            Detail::Tight => 0,
            _ => 1,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Detail::Full => "full",
            Detail::Brief => "brief",
            Detail::Compact => "compact",
            Detail::Tight => "tight",
        }
    }
}

/// Where [`cut_to`] cuts `s` for `width` cells: None when `s` fits, else the byte length and
/// the cells of the part kept (before the ellipsis).
fn cut_point(s: &str, width: usize) -> Option<(usize, usize)> {
    use unicode_width::UnicodeWidthChar;
    // Printable ASCII, as most labels are: a cell a byte.
    if is_plain(s) {
        return (s.len() > width).then(|| {
            let w = width.saturating_sub(1);
            (w, w)
        });
    }
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return None;
    }
    let (mut bytes, mut w) = (0, 0);
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw + 1 > width {
            break;
        }
        bytes += c.len_utf8();
        w += cw;
    }
    Some((bytes, w))
}

/// Whether `s` is printable ASCII only (one cell per byte).
fn is_plain(s: &str) -> bool {
    s.bytes().all(|b| (b' '..=b'~').contains(&b))
}

/// `s` cut to at most `width` cells, ending in `ellipsis` (one cell) when something was cut.
pub fn cut_to(s: &str, width: usize, ellipsis: &str) -> String {
    match cut_point(s, width) {
        None => s.to_string(),
        Some((bytes, _)) if width > 0 => format!("{}{ellipsis}", &s[..bytes]),
        Some((bytes, _)) => s[..bytes].to_string(),
    }
}

/// The cells of [`cut_to`]`(s, width, ellipsis)` with a one-cell ellipsis, without making it.
pub fn cut_width(s: &str, width: usize) -> usize {
    use unicode_width::UnicodeWidthStr;
    match cut_point(s, width) {
        None if is_plain(s) => s.len(),
        None => s.width(),
        Some((_, w)) => w + usize::from(width > 0),
    }
}
