//! A side pane of wrapped text that scrolls: only the lines in view are built and drawn, a
//! pinned part (the walk's verdict) stays at the bottom whatever the offset, and the bottom
//! border says which lines are shown ("lines 1-9 of 1003") when they are not all.
//!
//! The text is a [`Text`]: it says how many lines it has and how wide each is without building
//! them, so that a walk of a thousand candidates costs the rows in view (and the few lines too
//! wide for the pane, whose wrapping needs them built) instead of all of them every frame.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::pane;
use crate::tui::app::App;
use crate::tui::scroll::Scrolled;

/// Which part of the text a pane shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Want {
    /// From this row on (clamped to the text).
    Top(usize),
    /// Line `k` in the middle (the walk's candidate followed).
    Show(usize),
}

/// The lines of a scrolled pane, built one at a time.
pub(crate) trait Text<'a> {
    /// How many lines there are.
    fn count(&self) -> usize;
    /// The width in cells of line `k` unwrapped (what `self.line(k).width()` gives), without
    /// building it.
    fn width(&self, k: usize) -> usize;
    /// Line `k`.
    fn line(&self, k: usize) -> Line<'a>;
}

impl<'a> Text<'a> for Vec<Line<'a>> {
    fn count(&self) -> usize {
        self.len()
    }
    fn width(&self, k: usize) -> usize {
        self[k].width()
    }
    fn line(&self, k: usize) -> Line<'a> {
        self[k].clone()
    }
}

/// The rows line `k` of `text` takes when wrapped to `width` cells; a line wider than that is
/// built (and counted in `built`) to be wrapped.
fn rows_of<'a>(text: &impl Text<'a>, k: usize, width: u16, built: &mut usize) -> usize {
    if text.width(k) <= width as usize {
        1
    } else {
        *built += 1;
        Paragraph::new(text.line(k))
            .wrap(Wrap { trim: false })
            .line_count(width)
    }
}

/// Draws `text` in a pane titled `title` with `pinned` below it, showing the part `want` asks
/// for; returns where the pane is and what it shows.
pub(crate) fn render<'a>(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    title: impl Into<Line<'a>>,
    text: impl Text<'a>,
    pinned: Vec<Line<'a>>,
    want: Want,
) -> Scrolled {
    let block = pane(app, title, false);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut info = Scrolled {
        area,
        ..Scrolled::default()
    };
    let (w, h) = (inner.width, inner.height as usize);
    if w == 0 || h == 0 {
        return info;
    }
    // Lines built to measure their wrapping.
    let mut built = 0;
    let heights: Vec<usize> = (0..text.count())
        .map(|k| rows_of(&text, k, w, &mut built))
        .collect();
    let body: usize = heights.iter().sum();
    let pinned_rows: usize = (0..pinned.len())
        .map(|k| rows_of(&pinned, k, w, &mut built))
        .sum();
    let wrap = Wrap { trim: false };
    if body + pinned_rows <= h {
        info.rows = h;
        info.built = text.count();
        let mut lines: Vec<Line> = (0..text.count()).map(|k| text.line(k)).collect();
        lines.extend(pinned);
        frame.render_widget(Paragraph::new(lines).wrap(wrap), inner);
        return info;
    }
    // The pinned part keeps at least one row for the text above it.
    let pin_h = pinned_rows.min(h - 1);
    let view_h = h - pin_h;
    let max_top = body.saturating_sub(view_h);
    let top = match want {
        Want::Top(t) => t,
        Want::Show(k) => {
            let start: usize = heights.iter().take(k).sum();
            let own = heights.get(k).copied().unwrap_or(1);
            start.saturating_sub(view_h.saturating_sub(own) / 2)
        }
    }
    .min(max_top);
    // The first line in view, and how many of its rows are above the pane.
    let (mut first, mut above) = (0, 0);
    while first < heights.len() && above + heights[first] <= top {
        above += heights[first];
        first += 1;
    }
    let skip = top - above;
    let mut covered = 0;
    let visible: Vec<Line> = heights
        .iter()
        .enumerate()
        .skip(first)
        .take_while(|(_, rows)| {
            let more = covered < skip + view_h;
            covered += **rows;
            more
        })
        .map(|(k, _)| text.line(k))
        .collect();
    info.built = built + visible.len();
    let body_area = Rect {
        height: view_h as u16,
        ..inner
    };
    frame.render_widget(
        Paragraph::new(visible)
            .wrap(wrap)
            .scroll((skip.min(u16::MAX as usize) as u16, 0)),
        body_area,
    );
    if pin_h > 0 {
        let pin_area = Rect {
            y: inner.y + view_h as u16,
            height: pin_h as u16,
            ..inner
        };
        frame.render_widget(Paragraph::new(pinned).wrap(wrap), pin_area);
    }
    more_hint(app, frame, area, top + 1, (top + view_h).min(body), body);
    info.top = top;
    info.rows = view_h;
    info.max_top = max_top;
    info
}

/// "lines a-b of n" on the bottom border (shorter, or nothing, in a narrow pane).
fn more_hint(app: &App, frame: &mut Frame, area: Rect, a: usize, b: usize, n: usize) {
    let room = area.width.saturating_sub(4) as usize;
    let hint = [format!(" lines {a}-{b} of {n} "), format!(" {a}-{b}/{n} ")]
        .into_iter()
        .find(|s| s.len() <= room);
    if let Some(hint) = hint
        && area.height > 0
    {
        let x = area.x + area.width - hint.len() as u16 - 2;
        let y = area.y + area.height - 1;
        frame
            .buffer_mut()
            .set_stringn(x, y, &hint, hint.len(), app.theme.dim);
    }
}
