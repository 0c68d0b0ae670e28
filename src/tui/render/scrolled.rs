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
use super::wrap::{self, Wrapped};
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

/// A line wider than its pane: wrapped here ([`wrap::wrap`], printable ASCII), or left for
/// ratatui to wrap.
type Wide<'a> = Result<Wrapped<'a>, Line<'a>>;

/// Line `k` of `text` wrapped to `width` cells, when it is wider than that (it is built,
/// counted in `built`; a line left to ratatui is counted in `wrapped`).
fn wide_line<'a>(
    text: &impl Text<'a>,
    k: usize,
    width: u16,
    count: &mut Count,
) -> Option<Wide<'a>> {
    if text.width(k) <= width as usize {
        return None;
    }
    count.built += 1;
    Some(wrap::wrap(text.line(k), width).inspect_err(|_| count.wrapped += 1))
}

/// What a frame of a pane did: lines built, lines ratatui wrapped.
#[derive(Default)]
struct Count {
    built: usize,
    wrapped: usize,
}

/// The rows a wide line takes.
fn rows_of(w: &Wide, width: u16) -> usize {
    match w {
        Ok(w) => w.len(),
        Err(line) => Paragraph::new(line.clone())
            .wrap(Wrap { trim: false })
            .line_count(width),
    }
}

/// The heights of the lines of `text` in `width` cells; the wide ones kept, by line number.
fn measure<'a>(
    text: &impl Text<'a>,
    width: u16,
    count: &mut Count,
) -> (Vec<usize>, Vec<(usize, Wide<'a>)>) {
    let mut wide = Vec::new();
    let heights = (0..text.count())
        .map(|k| match wide_line(text, k, width, count) {
            Some(w) => {
                let rows = rows_of(&w, width);
                wide.push((k, w));
                rows
            }
            None => 1,
        })
        .collect();
    (heights, wide)
}

/// Rows `rows` of line `k` as drawn (all of it when ratatui wraps it).
fn drawn<'a>(
    text: &impl Text<'a>,
    k: usize,
    wide: &[(usize, Wide<'a>)],
    rows: std::ops::Range<usize>,
    out: &mut Vec<Line<'a>>,
) {
    match wide.iter().find(|(i, _)| *i == k) {
        Some((_, Ok(w))) => out.extend(w.rows(rows)),
        Some((_, Err(line))) => out.push(line.clone()),
        None => out.push(text.line(k)),
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
    // Lines built to measure their wrapping, kept to be drawn.
    let mut count = Count::default();
    let (heights, wide) = measure(&text, w, &mut count);
    let body: usize = heights.iter().sum();
    let (pinned_heights, pinned_wide) = measure(&pinned, w, &mut count);
    let pinned_rows: usize = pinned_heights.iter().sum();
    let mut pin_lines = Vec::new();
    for k in 0..pinned.len() {
        drawn(&pinned, k, &pinned_wide, 0..usize::MAX, &mut pin_lines);
    }
    let wrap = Wrap { trim: false };
    if body + pinned_rows <= h {
        info.rows = h;
        info.built = text.count();
        info.wrapped = count.wrapped;
        let mut lines: Vec<Line> = Vec::new();
        for k in 0..text.count() {
            drawn(&text, k, &wide, 0..usize::MAX, &mut lines);
        }
        lines.extend(pin_lines);
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
    // The lines in view, and of each the rows in view: the rows above the pane are all the
    // first line's; a line wrapped here gives only its rows in view, ratatui scrolls past the
    // rest.
    let mut covered = 0;
    let mut scroll = skip;
    let mut visible = Vec::new();
    let mut in_view = 0;
    for (k, &height) in heights.iter().enumerate().skip(first) {
        if covered >= skip + view_h {
            break;
        }
        let rows = if k == first && matches!(wide.iter().find(|(i, _)| *i == k), Some((_, Ok(_)))) {
            scroll = 0;
            skip..skip + view_h
        } else {
            0..(skip + view_h - covered)
        };
        drawn(&text, k, &wide, rows, &mut visible);
        covered += height;
        in_view += 1;
    }
    info.built = count.built + in_view;
    info.wrapped = count.wrapped;
    let body_area = Rect {
        height: view_h as u16,
        ..inner
    };
    frame.render_widget(
        Paragraph::new(visible)
            .wrap(wrap)
            .scroll((scroll.min(u16::MAX as usize) as u16, 0)),
        body_area,
    );
    if pin_h > 0 {
        let pin_area = Rect {
            y: inner.y + view_h as u16,
            height: pin_h as u16,
            ..inner
        };
        frame.render_widget(Paragraph::new(pin_lines).wrap(wrap), pin_area);
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
