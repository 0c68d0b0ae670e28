//! Drawing: a pure function of the [`App`] (trippy's style: one render function per pane, each
//! in its own file). [`draw`] is what the terminal loop and the exports call; [`draw_frame`]
//! also returns where the panes went, for mouse hit-testing.

mod chosen;
mod compare;
mod footer;
mod graph;
mod header;
mod help;
mod inspector;
pub mod legend;
mod narrative;
mod overlay;
mod popup;
mod quiz;
mod scrolled;
mod timeline;
mod walk;
mod wrap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::border;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::app::{App, FrameInfo, GraphWork, Mode};
pub(crate) use graph::viewport as graph_viewport;
use narrative::Told;

/// Below this size the screen only says what size it needs.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;
/// From this width on, the steps list and the walk / inspector column sit beside the graph.
pub const WIDE: u16 = 110;
/// From this width on, the two graph panes of compare mode sit side by side.
pub const SIDE_BY_SIDE: u16 = 100;
/// From this width on, the steps list and the walk / inspector column get their full widths.
pub const ROOMY: u16 = 150;

/// Draws the whole screen for `app` into `frame`.
pub fn draw(app: &App, frame: &mut Frame) {
    draw_frame(app, frame);
}

/// The panes of one frame.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Screen {
    pub header: Rect,
    pub timeline: Option<Rect>,
    pub graphs: Vec<Rect>,
    pub walk: Option<Rect>,
    pub inspector: Option<Rect>,
    pub narrative: Option<Rect>,
    pub compare: Option<Rect>,
    pub footer: Rect,
    /// Compare mode: the compared scheme's walk, beside the shown one's.
    pub compare_walk: Option<Rect>,
    /// Compare mode: the compared scheme's events in a pane of their own (else the narrative
    /// pane tells both schemes).
    pub compare_narrative: Option<Rect>,
}

/// A pane of a [`Screen`] beside or below the graph that [`Screen::place`] fills.
#[derive(Clone, Copy, Debug)]
enum PaneSlot {
    Timeline,
    Walk,
    CompareWalk,
    Inspector,
}

impl Screen {
    /// Splits `area` in `direction`, one part a pane, each pane with its own constraint.
    fn place<const N: usize>(
        &mut self,
        area: Rect,
        direction: Direction,
        panes: [(PaneSlot, Constraint); N],
    ) {
        let layout = Layout::new(direction, panes.map(|(_, c)| c));
        for (r, (pane, _)) in area.layout::<N>(&layout).into_iter().zip(panes) {
            let slot = match pane {
                PaneSlot::Timeline => &mut self.timeline,
                PaneSlot::Walk => &mut self.walk,
                PaneSlot::CompareWalk => &mut self.compare_walk,
                PaneSlot::Inspector => &mut self.inspector,
            };
            *slot = Some(r);
        }
    }
}

/// A narrative pane at least this wide is split in two in compare mode, one scheme each.
const SPLIT_NARRATIVE: u16 = 84;

/// Whether every graph pane of `s` shows the whole width of its graph at the tightest level of
/// detail (so that the walked page and the candidates are not cut at the side).
fn graphs_fit(app: &App, s: &Screen) -> bool {
    s.graphs
        .iter()
        .enumerate()
        .take(app.views.panes().len())
        .all(|(i, r)| app.sheet_min_width(i) <= r.width.saturating_sub(2))
}

/// Puts the narrative in `r`: one pane, or in compare mode two side by side when `r` is wide
/// enough.
fn place_narrative(app: &App, r: Rect, s: &mut Screen) {
    if app.shown.compare().is_some() && r.width >= SPLIT_NARRATIVE {
        let [a, b] = r.layout(&Layout::horizontal([Constraint::Fill(1); 2]));
        s.narrative = Some(a);
        s.compare_narrative = Some(b);
    } else {
        s.narrative = Some(r);
    }
}

/// Splits `area` into panes: wide terminals put the steps left and the walk and inspector right
/// of the graph; narrow ones stack the panes (see [`narrow`]), and so do wide ones at a walk
/// whose graph would be cut at the side beside the steps and the walk (the whole width keeps the
/// walked page and the candidates on the screen; steps without a walk keep the panes in place).
pub fn screen(app: &App, area: Rect) -> Screen {
    let s = screen_at(app, area, area.width >= WIDE);
    let walks = app
        .views
        .panes()
        .iter()
        .any(|p| p.view.graph.walk.is_some());
    if area.width >= WIDE && walks && !graphs_fit(app, &s) {
        let stacked = screen_at(app, area, false);
        if graphs_fit(app, &stacked) {
            return stacked;
        }
    }
    s
}

fn screen_at(app: &App, area: Rect, wide: bool) -> Screen {
    use Constraint::{Fill, Percentage};
    use PaneSlot::{CompareWalk, Inspector, Walk};
    let [header, body, footer] = area.layout(&Layout::vertical([
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(footer::height(app, area)),
    ]));
    let schemes = app.scheme_names().len() as u16;
    let mut s = Screen {
        header,
        footer,
        ..Screen::default()
    };
    let compare_h = schemes + 3;
    if wide {
        let bottom_h = if body.height >= 28 {
            compare_h.max(6)
        } else if body.height >= 16 {
            4
        } else {
            0
        };
        // The walks must be whole in the graph panes: the narrative and the compare table
        // give way (`e` still shows the narrative).
        let need: u16 = graph::rows_for_walks(app).iter().sum();
        let bottom_h = match body.height.saturating_sub(need) {
            _ if need > body.height => bottom_h,
            room if room >= bottom_h => bottom_h,
            room if room >= 4 && bottom_h > 0 => 4,
            _ => 0,
        };
        let [middle, bottom] = body.layout(&Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length(bottom_h),
        ]));
        // Below ROOMY the steps and the walk give the graph some of their width: at 120
        // columns every column of the built-in scenarios' graphs fits (fixed widths, so that
        // the panes do not move as the steps go by).
        let (tl_w, side_w) = if area.width >= ROOMY {
            (22, 32)
        } else {
            (14, 30)
        };
        // A scenario of a hundred steps or more widens the steps by three cells per extra digit
        // (the step number, a parent and a child pid may each have it), so that its rows still
        // say which fork they are (`▶1002*fork 1→1001`).
        let digits = app.len().max(1).ilog10() as u16 + 1;
        let tl_w = tl_w + 3 * digits.saturating_sub(2);
        let [tl, graph, side] = middle.layout(&Layout::horizontal([
            Constraint::Length(tl_w),
            Constraint::Fill(1),
            Constraint::Length(side_w),
        ]));
        if app.shown.compare().is_some() {
            // Both walks, one above the other, the inspector below them.
            let panes = [
                (Walk, Fill(2)),
                (CompareWalk, Fill(2)),
                (Inspector, Fill(1)),
            ];
            s.place(side, Direction::Vertical, panes);
        } else {
            let panes = [(Walk, Percentage(55)), (Inspector, Percentage(45))];
            s.place(side, Direction::Vertical, panes);
        }
        s.timeline = Some(tl);
        s.graphs = split_graphs(app, graph, graph.width >= SIDE_BY_SIDE);
        if bottom_h >= 6 {
            let [narr, cmp] = bottom.layout(&Layout::horizontal([
                Constraint::Fill(1),
                Constraint::Length(76.min(bottom.width / 2 + 16)),
            ]));
            place_narrative(app, narr, &mut s);
            s.compare = Some(cmp);
        } else if bottom_h > 0 {
            place_narrative(app, bottom, &mut s);
        }
    } else {
        narrow(app, body, compare_h, &mut s);
        s.graphs = split_graphs(app, s.graphs[0], false);
    }
    s
}

/// The graph panes in `r`: one, or in compare mode two, side by side where `wide` allows and
/// both graphs fit half the width, else one above the other.
pub(crate) fn split_graphs(app: &App, r: Rect, wide: bool) -> Vec<Rect> {
    if app.shown.compare().is_none() {
        return vec![r];
    }
    // Side by side only where both graphs fit half the width whole (at their tightest
    // level of detail): a graph cut at the side would hide the walked page and the
    // candidates, so a wide terminal stacks them rather than show less.
    let half = (r.width / 2).saturating_sub(2);
    let wide = wide && (0..app.views.panes().len()).all(|i| app.sheet_min_width(i) <= half);
    // Stacked, each pane gets the rows its walk needs, and half the rest.
    let need = graph::rows_for_walks(app);
    let (na, nb) = (
        need.first().copied().unwrap_or(0),
        need.get(1).copied().unwrap_or(0),
    );
    let a_h = if r.height >= na + nb {
        na + (r.height - na - nb) / 2
    } else {
        r.height / 2
    };
    let l = if wide {
        Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)])
    } else {
        Layout::vertical([Constraint::Length(a_h), Constraint::Fill(1)])
    };
    let [a, b] = r.layout(&l);
    vec![a, b]
}

/// The panes of a terminal narrower than [`WIDE`], stacked: the graph on top keeps most of the
/// height; below it a row of the steps (the cursor's step and its neighbours), the walk and the
/// inspector side by side, then the narrative and the compare table as the height allows. The
/// row grows with the height (more steps around the cursor); only below 15 lines does the graph
/// have the body to itself (the header still says the step and its op).
fn narrow(app: &App, body: Rect, compare_h: u16, s: &mut Screen) {
    use Constraint::{Fill, Length, Percentage};
    use PaneSlot::{CompareWalk, Inspector, Timeline, Walk};
    let h = body.height;
    // The two graph panes of compare mode (stacked: side by side they would be too narrow for
    // the graph's columns) need more height before the narrative and the table take some.
    let extra = if app.shown.compare().is_some() { 6 } else { 0 };
    let row_h = match h {
        0..12 => 0,
        12..18 => 5,
        _ => (7 + h.saturating_sub(40) / 8).min(11),
    };
    let mut narr_h = if h >= 26 + extra { 4 } else { 0 };
    let mut cmp_h = if h >= 34 + extra { compare_h } else { 0 };
    let mut row_h = row_h;
    // The walks must be whole in the graph panes: the panes below give way, the compare table
    // first, then the narrative, then the row shrinks to 5 lines and goes (the header still says
    // the step; `e` shows the narrative).
    // A walk that cannot be whole even so (more candidates than the screen has rows) changes
    // nothing: the graph folds its rows, the walk pane lists every candidate.
    let need: u16 = graph::rows_for_walks(app).iter().sum();
    let graph_h = |row: u16, narr: u16, cmp: u16| h.saturating_sub(row + narr + cmp);
    if need <= h {
        if graph_h(row_h, narr_h, cmp_h) < need {
            cmp_h = 0;
        }
        if graph_h(row_h, narr_h, cmp_h) < need {
            narr_h = 0;
        }
        if graph_h(row_h, narr_h, cmp_h) < need && row_h > 5 {
            row_h = 5;
        }
        if graph_h(row_h, narr_h, cmp_h) < need {
            row_h = 0;
        }
    }
    let [graph, row, narr, cmp] = body.layout(&Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(row_h),
        Constraint::Length(narr_h),
        Constraint::Length(cmp_h),
    ]));
    s.graphs = vec![graph];
    // In compare mode the row shows both walks beside the steps and the inspector gives way (its
    // fields are one `Enter` away in a wider terminal, and the graph labels say most of them).
    let compare = app.shown.compare().is_some();
    let third = if compare { CompareWalk } else { Inspector };
    if row_h > 0 && row.width >= 16 + 60 {
        // The walk and the third pane keep the widths they have beside a wide graph (their lines
        // are made for 28 cells); the steps get the rest, at least 16 cells.
        let panes = [(Timeline, Fill(1)), (Walk, Length(30)), (third, Length(30))];
        s.place(row, Direction::Horizontal, panes);
    } else if row_h > 0 && compare {
        let panes = [
            (Timeline, Percentage(30)),
            (Walk, Percentage(35)),
            (third, Percentage(35)),
        ];
        s.place(row, Direction::Horizontal, panes);
    } else if row_h > 0 {
        let panes = [(Timeline, Percentage(40)), (Walk, Percentage(60))];
        s.place(row, Direction::Horizontal, panes);
    }
    if narr_h > 0 {
        place_narrative(app, narr, s);
    }
    s.compare = (cmp_h > 0).then_some(cmp);
}

/// Draws the screen and returns where its panes are.
pub fn draw_frame(app: &App, frame: &mut Frame) -> FrameInfo {
    let area = frame.area();
    let bg = Block::new().style(app.theme.text.bg(app.theme.bg));
    frame.render_widget(bg, area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(app, frame, area);
        return FrameInfo::default();
    }
    let made: Vec<usize> = app
        .views
        .panes()
        .iter()
        .map(|p| p.view.layouts_made() + p.view.band_layouts_made())
        .collect();
    let chosen = app.pane_set();
    let s = match chosen {
        Some(set) => chosen::screen(app, area, set, app.presenter),
        None => screen(app, area),
    };
    let mut info = FrameInfo::default();
    if s.header.height > 0 {
        header::render(app, frame, s.header);
    }
    if let Some(r) = s.timeline {
        info.timeline = Some(timeline::render(app, frame, r));
    }
    for (i, r) in s.graphs.iter().enumerate() {
        let (r, top, left, rows, drawn) = graph::render(app, frame, *r, i);
        info.graphs.push((r, top, left));
        info.graph_rows.push(rows);
        info.graph_work.push(GraphWork {
            layouts: app
                .views
                .panes()
                .get(i)
                .map_or(0, |p| p.view.layouts_made() + p.view.band_layouts_made())
                - made.get(i).copied().unwrap_or(0),
            rows: drawn,
        });
    }
    info.walk = s
        .walk
        .map(|r| walk::render(app, frame, r, app.shown.scheme()));
    if let (Some(r), Some(c)) = (s.compare_walk, app.shown.compare()) {
        info.compare_walk = Some(walk::render(app, frame, r, c));
    }
    info.inspector = s.inspector.map(|r| inspector::render(app, frame, r));
    let told = if app.presenter {
        Told::Caption
    } else if s.compare_narrative.is_some() {
        Told::Shown
    } else {
        Told::Both
    };
    info.narrative = s.narrative.map(|r| narrative::render(app, frame, r, told));
    info.compare_narrative = s
        .compare_narrative
        .map(|r| narrative::render(app, frame, r, Told::Compared));
    if let Some(r) = s.compare {
        info.compare = Some(compare::render(app, frame, r));
    }
    if s.footer.height > 0 {
        footer::render(app, frame, s.footer);
    }
    match &app.mode {
        Mode::Help { scroll } => help::render(app, frame, area, *scroll),
        Mode::Legend { scroll } => {
            info.legend_end = Some(legend::render(app, frame, area, &s.graphs, *scroll));
        }
        Mode::Narrative => {
            // The narrative over the graph, as wide as the help and as tall as the screen
            // allows, for a screen too small to give it a pane (or a lecture that wants it big).
            let w = area.width.saturating_sub(4).min(100);
            let h = area.height.saturating_sub(4).clamp(3, 16);
            let r = popup::window(area, &s.graphs, w.min(76).max(w.min(40)), h);
            frame.render_widget(Clear, r);
            info.narrative = Some(narrative::render(app, frame, r, Told::Both));
            info.compare_narrative = None;
        }
        Mode::ConfirmQuit | Mode::OfferRestore => popup::render(app, frame, area, &s.graphs),
        Mode::Quiz => quiz::render(app, frame, area),
        Mode::Overlay => info.overlay = overlay::render(app, frame, area),
        _ => {}
    }
    info
}

fn too_small(app: &App, frame: &mut Frame, area: Rect) {
    let text = format!(
        "rmapviz needs a terminal of at least {MIN_WIDTH}x{MIN_HEIGHT} (this one is {}x{})",
        area.width, area.height
    );
    let p = Paragraph::new(Line::styled(text, app.theme.info)).wrap(Wrap { trim: true });
    frame.render_widget(p, area);
}

/// The border characters: box drawing, or ASCII for `--ascii`.
pub(crate) fn border_set(ascii: bool) -> border::Set<'static> {
    if ascii {
        border::Set {
            top_left: "+",
            top_right: "+",
            bottom_left: "+",
            bottom_right: "+",
            vertical_left: "|",
            vertical_right: "|",
            horizontal_top: "-",
            horizontal_bottom: "-",
        }
    } else {
        border::PLAIN
    }
}

/// A pane's frame with its title.
pub(crate) fn pane<'a>(app: &App, title: impl Into<Line<'a>>, focused: bool) -> Block<'a> {
    let style: Style = if focused {
        app.theme.focus_border
    } else {
        app.theme.border
    };
    Block::bordered()
        .border_set(border_set(app.ascii))
        .border_style(style)
        .title(title.into().style(app.theme.title))
}

/// `s` cut to `width` cells with an ellipsis.
pub(crate) fn cut(s: &str, width: usize, ascii: bool) -> String {
    crate::view::detail::cut_to(s, width, if ascii { "~" } else { "…" })
}

/// Replaces the few non-ASCII characters the panes use, for `--ascii`.
pub(crate) fn asciify(s: &str, ascii: bool) -> String {
    if !ascii {
        return s.to_string();
    }
    s.chars()
        .map(|c| match c {
            '▶' | '→' => '>',
            '◀' | '←' => '<',
            '↑' => '^',
            '↓' => 'v',
            '…' => '~',
            '·' => '.',
            '✗' => 'x',
            c if c.is_ascii() => c,
            _ => '?',
        })
        .collect()
}

#[cfg(test)]
mod contrast_tests;
#[cfg(test)]
mod fit_tests;
#[cfg(test)]
mod legend_tests;
