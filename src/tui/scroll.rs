//! Scrolling: the side panes' offsets (the steps list, the walk, the inspector, the narrative)
//! and the graph's pages, moved by the wheel and the scroll keys.
//!
//! The app keeps each side pane's offset with what the pane showed when it was scrolled (the
//! step, the scheme, the candidate followed, the selected node); once that changes the offset
//! is forgotten and the pane shows its default view again: the start, the candidate followed,
//! the shown step. The drawing only reads the offsets ([`App::side_top`]).
//!
//! A scroll starts from where the pane is: the offset the app holds, else where the last frame
//! drew the pane. The graph's viewport is computed from the state (the same function the
//! drawing uses), never read back from the last frame alone, so that several keys read
//! together each move it (the frame is drawn once after all of them).

use ratatui::layout::Rect;

use super::app::App;
use super::keymap::Action;
use super::render::graph_viewport;

/// A side pane that scrolls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    Steps,
    Walk,
    Inspector,
    Narrative,
}

/// What a side pane's offset belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Anchor {
    step: usize,
    scheme: usize,
    candidate: Option<usize>,
    selected: Option<String>,
}

/// The side panes' offsets the user scrolled to (rows from the top of the pane's text).
#[derive(Clone, Debug, Default)]
pub struct SideScroll {
    offsets: Vec<(Side, Anchor, usize)>,
}

/// Where a scrolled text pane was drawn: for the wheel's hit test and the next scroll.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scrolled {
    /// The whole pane, borders included (the wheel over any of it scrolls it).
    pub area: Rect,
    /// The first row shown of the scrolled text.
    pub top: usize,
    /// How many rows of it are shown.
    pub rows: usize,
    /// The largest useful `top`: the text's last row at the bottom.
    pub max_top: usize,
    /// How many lines of the text the frame built: those in view, and those too wide for the
    /// pane (their wrapping needs them). Not the whole text of a long walk.
    pub built: usize,
    /// How many of those lines, wider than the pane, ratatui wrapped (it goes through every
    /// grapheme of the line, twice a frame): lines of printable ASCII are wrapped by
    /// `render::wrap`, at a fraction of the cost.
    pub wrapped: usize,
}

/// Rows one notch of the wheel scrolls.
pub const WHEEL_ROWS: usize = 3;

impl App {
    fn anchor(&self, side: Side) -> Anchor {
        let mut a = Anchor {
            step: self.step(),
            scheme: self.shown.scheme(),
            candidate: None,
            selected: None,
        };
        match side {
            Side::Steps => a.scheme = 0,
            Side::Walk => a.candidate = self.shown.candidate(),
            Side::Inspector => a.selected = self.selected().map(str::to_string),
            Side::Narrative => {}
        }
        a
    }

    /// The offset the user scrolled `side` to, while the pane still shows what it showed then.
    pub(crate) fn side_top(&self, side: Side) -> Option<usize> {
        let anchor = self.anchor(side);
        self.side_scroll
            .offsets
            .iter()
            .find(|(s, a, _)| *s == side && *a == anchor)
            .map(|&(_, _, top)| top)
    }

    /// Forgets the offsets whose pane now shows something else (called around every message,
    /// so that coming back to the same step or node starts from its default view again).
    pub(crate) fn forget_moved_scrolls(&mut self) {
        let offsets = std::mem::take(&mut self.side_scroll.offsets);
        self.side_scroll.offsets = offsets
            .into_iter()
            .filter(|(side, anchor, _)| *anchor == self.anchor(*side))
            .collect();
    }

    /// Where the last frame drew `side`.
    fn drawn(&self, side: Side) -> Option<Scrolled> {
        match side {
            Side::Steps => self.frame.timeline.map(|(area, first)| {
                let rows = area.height as usize;
                Scrolled {
                    area,
                    top: first,
                    rows,
                    max_top: (self.len() + 1).saturating_sub(rows),
                    built: rows,
                    wrapped: 0,
                }
            }),
            Side::Walk => twins(self.frame.walk, self.frame.compare_walk),
            Side::Inspector => self.frame.inspector,
            Side::Narrative => twins(self.frame.narrative, self.frame.compare_narrative),
        }
    }

    /// The side pane under the screen cell (`column`, `row`) in the last frame (the compared
    /// scheme's walk and events scroll with the shown one's).
    pub(crate) fn side_at(&self, column: u16, row: u16) -> Option<Side> {
        let twin = |d: Option<Scrolled>| d.is_some_and(|d| inside(d.area, column, row));
        if twin(self.frame.compare_walk) {
            return Some(Side::Walk);
        }
        if twin(self.frame.compare_narrative) {
            return Some(Side::Narrative);
        }
        [Side::Steps, Side::Walk, Side::Inspector, Side::Narrative]
            .into_iter()
            .find(|&s| self.drawn(s).is_some_and(|d| inside(d.area, column, row)))
    }

    /// Scrolls `side` by `rows` (up when negative), within its text.
    pub(crate) fn scroll_side(&mut self, side: Side, rows: isize) {
        let Some(d) = self.drawn(side) else { return };
        let from = self.side_top(side).unwrap_or(d.top);
        let top = from.saturating_add_signed(rows).min(d.max_top);
        let anchor = self.anchor(side);
        self.side_scroll.offsets.retain(|(s, _, _)| *s != side);
        self.side_scroll.offsets.push((side, anchor, top));
    }

    /// A scroll key: half the pane's rows, at least one.
    pub(crate) fn scroll_side_page(&mut self, side: Side, down: bool) {
        let Some(d) = self.drawn(side) else { return };
        let n = (d.rows / 2).max(1) as isize;
        self.scroll_side(side, if down { n } else { -n });
    }

    /// The viewport graph pane `i` shows now: its rows area in the last frame and the model
    /// row and column at its top left as the state places them.
    pub(crate) fn graph_view(&self, i: usize) -> Option<(Rect, u32, u16)> {
        let &(r, _, _) = self.frame.graphs.get(i)?;
        let (top, left) = graph_viewport(self, i, r.height as u32, r.width);
        Some((r, top, left))
    }

    /// Moves the graph's viewport to (`top`, `left`), no longer following the selection.
    pub(crate) fn scroll_graph_to(&mut self, top: u32, left: u16) {
        self.selection.scroll_to(top, left);
    }

    /// `PgUp` `PgDn` `<` `>`: the graph by a page (down, up) or half its width (sideways).
    pub(crate) fn page_graph(&mut self, a: Action) {
        let (top, left) = self.selection.scroll();
        let (r, top, left) = self
            .graph_view(0)
            .unwrap_or((Rect::new(0, 0, 40, 10), top, left));
        let page = (r.height as u32).saturating_sub(2).max(1);
        let half = (r.width / 2).max(1);
        let drawn = self.graph_view(0).is_some();
        match a {
            Action::PageDown if drawn => self.scroll_graph_rows(0, true, page),
            Action::PageUp if drawn => self.scroll_graph_rows(0, false, page),
            Action::PageDown => self.scroll_graph_to(top + page, left),
            Action::PageUp => self.scroll_graph_to(top.saturating_sub(page), left),
            Action::ScrollRight => self.scroll_graph_to(top, left.saturating_add(half)),
            Action::ScrollLeft => self.scroll_graph_to(top, left.saturating_sub(half)),
            _ => {}
        }
    }
}

/// A pane and its twin of compare mode, which scroll together: as far as the longer one goes.
fn twins(a: Option<Scrolled>, b: Option<Scrolled>) -> Option<Scrolled> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Scrolled {
            max_top: a.max_top.max(b.max_top),
            rows: a.rows.min(b.rows),
            ..a
        }),
        (a, b) => a.or(b),
    }
}

/// Whether the screen cell (`column`, `row`) is in `r`.
pub(crate) fn inside(r: Rect, column: u16, row: u16) -> bool {
    r.contains(ratatui::layout::Position::new(column, row))
}
