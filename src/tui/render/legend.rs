//! The `L` legend: what every line, mark and colour of the graphs shown means. Its entries are
//! made from the definitions the graph pane draws with, for the graphs on the screen: each edge
//! kind's stroke ([`EdgeKind::stroke`], drawn by [`glyph::cell`]), the walk's badges
//! ([`WalkMark::badge_at`]), the nodes' styles ([`node_style`]), the theme's line styles. A
//! test checks that every glyph and style a graph pane draws has its entry.

use std::collections::BTreeSet;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::graph::{node_style, text_styles};
use super::walk::outcome_style;
use super::{asciify, pane, popup};
use crate::model::Outcome;
use crate::tui::app::App;
use crate::tui::keymap::Action;
use crate::tui::keynames::first_key;
use crate::view::glyph::{self, LineStyle, Stroke};
use crate::view::{Change, Detail, EdgeKind, Graph, NodeKind, Visited, WalkMark};

/// One entry: a sample as the graph draws it (styled pieces) and what it means.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub sample: Vec<(String, Style)>,
    pub text: String,
}

/// The legend's sections, each a title and its entries, for the graphs shown now.
pub fn sections(app: &App) -> Vec<(&'static str, Vec<Entry>)> {
    let graphs: Vec<&Graph> = app.views.panes().iter().map(|p| &p.view.graph).collect();
    vec![
        ("Lines (edges, by kind)", lines(app, &graphs)),
        ("Nodes (colours)", nodes(app)),
        ("Marks and badges", marks(app, &graphs)),
    ]
}

fn line_style(app: &App) -> LineStyle {
    if app.ascii {
        LineStyle::Ascii
    } else {
        LineStyle::Light
    }
}

fn entry(sample: Vec<(String, Style)>, text: impl Into<String>) -> Entry {
    Entry {
        sample,
        text: text.into(),
    }
}

/// The edge kinds drawn, each in its stroke and named by the scheme's words for its links;
/// the arrowhead; the walk's path and the candidate followed.
fn lines(app: &App, graphs: &[&Graph]) -> Vec<Entry> {
    let t = &app.theme;
    let style = line_style(app);
    let mut out = Vec::new();
    for kind in EdgeKind::ALL {
        let labels: BTreeSet<&str> = graphs
            .iter()
            .flat_map(|g| g.graph.edge_weights())
            .filter(|e| e.kind == kind)
            .map(|e| e.label.as_str())
            .collect();
        if labels.is_empty() {
            continue;
        }
        // The scheme's names for the links, without what names one link alone (a pte's pid and
        // address: "pte 0x81000", "pte.direct: pid 1 0x10000").
        let mut names: Vec<String> = labels
            .iter()
            .map(|l| {
                let head = l.split(':').next().unwrap_or_default();
                head.split(' ')
                    .take_while(|w| !w.contains(|c: char| c.is_ascii_digit()) && *w != "pid")
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|l| !l.is_empty())
            .collect();
        names.sort();
        names.dedup();
        let named = match names.len() {
            0 => String::new(),
            1..=3 => format!(" ({})", names.join(", ")),
            n => format!(" ({}, ... {n} names)", names[..2].join(", ")),
        };
        let stroke = kind.stroke();
        out.push(entry(
            vec![(stroke.sample(style, false), t.edge)],
            format!(
                "{}{named}, {}: {}",
                kind.as_str(),
                stroke.as_str(),
                kind.meaning()
            ),
        ));
    }
    out.push(entry(
        vec![(glyph::arrow(style).to_string(), t.edge)],
        "arrowhead: the edge leads into the node on its right",
    ));
    // The strokes of the edges on the walk's path, as the path draws them.
    let on_path: BTreeSet<Stroke> = graphs
        .iter()
        .flat_map(|g| g.graph.edge_weights())
        .filter(|e| e.on_path)
        .map(|e| e.kind.stroke())
        .collect();
    let path_samples = |st: Style| -> Vec<(String, Style)> {
        let mut v = Vec::new();
        for s in &on_path {
            if !v.is_empty() {
                v.push((" ".to_string(), st));
            }
            v.push((s.sample(style, true), st));
        }
        v
    };
    if !on_path.is_empty() {
        out.push(entry(
            path_samples(t.path),
            "the walk: the edges it followed from the page to each candidate, heavier and in \
             the walk's colour (a link between objects stays double)",
        ));
    }
    if app.shown.candidate().is_some() {
        out.push(entry(
            path_samples(t.current),
            "the candidate followed with n / N: its route and its node",
        ));
    }
    out
}

/// What each kind of node is.
fn kind_meaning(k: NodeKind) -> &'static str {
    match k {
        NodeKind::Mm => "an address space (mm_struct), by the pid running in it",
        NodeKind::Vma => "a vma: its addresses, pgoff and protection",
        NodeKind::Object => "an rmap object of the scheme (anon_vma, anonmm, address_space, chain)",
        NodeKind::Page => "a physical page",
        NodeKind::VmaGroup => "a run of alike vmas as one node (Enter expands it)",
        NodeKind::PageGroup => "an object's pages as one node (Enter expands it)",
        NodeKind::ObjectGroup => "alike rmap objects as one node (Enter expands it)",
    }
}

/// The node styles drawn: each kind, on the walk's path or not, the walked page, the selection;
/// each also as it looks when it changed at this step (underlined) or is new (bold too), where
/// the graphs shown have such nodes.
fn nodes(app: &App) -> Vec<Entry> {
    let panes = app.views.panes();
    let mut seen: Vec<(NodeKind, bool, bool, u8)> = panes
        .iter()
        .flat_map(|p| {
            p.view.graph.graph.node_weights().map(|n| {
                let change = match p.changes.of(n) {
                    None => 0,
                    Some(Change::Changed) => 1,
                    Some(Change::New) => 2,
                };
                (
                    n.kind,
                    n.walk.on_path && !n.walk.walked,
                    n.walk.walked,
                    change,
                )
            })
        })
        .collect();
    let order = |k: NodeKind| k.column() * 2 + usize::from(k.is_group());
    seen.sort_by_key(|&(k, p, w, c)| (w, p, order(k), k.as_str(), c));
    seen.dedup();
    let mut out: Vec<Entry> = Vec::new();
    let mut last: Option<(NodeKind, bool, bool)> = None;
    for (kind, on_path, walked, change) in seen {
        let mut probe = crate::view::Node {
            kind,
            ..sample_node()
        };
        probe.walk.on_path = on_path || walked;
        probe.walk.walked = walked;
        let how = [None, Some(Change::Changed), Some(Change::New)][usize::from(change)];
        let piece = (kind.as_str().to_string(), text_styles(app, &probe, how).0);
        if last == Some((kind, on_path, walked)) {
            if let Some(e) = out.last_mut() {
                e.sample.push((" ".to_string(), Style::default()));
                e.sample.push(piece);
                let more = if how == Some(Change::New) {
                    "; bold and underlined: new at this step"
                } else {
                    "; underlined: changed since the previous step"
                };
                e.text.push_str(more);
            }
            continue;
        }
        last = Some((kind, on_path, walked));
        let mut text = if walked {
            "the page the walk is about".to_string()
        } else if on_path {
            format!("{} on the walk's path", kind.as_str())
        } else {
            kind_meaning(kind).to_string()
        };
        match how {
            Some(Change::Changed) => {
                text.push_str(" (underlined: changed since the previous step)")
            }
            Some(Change::New) => text.push_str(" (bold and underlined: new at this step)"),
            None => {}
        }
        out.push(entry(vec![piece], text));
    }
    if let Some((p, n)) = app.selected().and_then(|id| {
        panes
            .iter()
            .find_map(|p| p.view.graph.find(id).map(|i| (p, p.view.graph.node(i))))
    }) {
        out.push(entry(
            vec![(
                n.kind.as_str().to_string(),
                text_styles(app, n, p.changes.of(n)).0,
            )],
            "the selected node (the inspector shows it)",
        ));
    }
    out
}

fn sample_node() -> crate::view::Node {
    crate::view::Node {
        id: String::new(),
        kind: NodeKind::Mm,
        label: String::new(),
        short: Default::default(),
        fields: Vec::new().into(),
        walk: WalkMark::default(),
        count: 1,
        grouping: Default::default(),
        addrs: None,
        order: (0, 0),
    }
}

/// What an outcome means.
pub fn outcome_meaning(o: Outcome) -> &'static str {
    match o {
        Outcome::Hit => "found the pte that maps the page",
        Outcome::Miss => "looked in the page tables: the pte is not there",
        Outcome::Out => "the page's index is outside the vma: not looked at",
        Outcome::Skip => "skipped without looking (a dead mm)",
    }
}

/// The badges and marks the graphs show: each outcome met, LOST ptes, the walked page, a
/// structure the walk freed, and the words of page and group labels.
fn marks(app: &App, graphs: &[&Graph]) -> Vec<Entry> {
    let t = &app.theme;
    let nodes = || graphs.iter().flat_map(|g| g.graph.node_weights());
    let badge = |m: &WalkMark, d: Detail| m.badge_at(d).unwrap_or_default();
    let both = |m: &WalkMark| {
        let (full, tight) = (badge(m, Detail::Full), badge(m, Detail::Tight));
        if full == tight {
            full
        } else {
            format!("{full} {tight}")
        }
    };
    let mut out = Vec::new();
    let outcomes: Vec<Outcome> = [Outcome::Hit, Outcome::Miss, Outcome::Out, Outcome::Skip]
        .into_iter()
        .filter(|&o| nodes().any(|n| n.walk.visits.iter().any(|v| v.outcome == o)))
        .collect();
    for (i, &o) in outcomes.iter().enumerate() {
        let m = WalkMark {
            visits: vec![Visited {
                candidate: 2,
                outcome: o,
            }],
            ..WalkMark::default()
        };
        let text = if i == 0 {
            format!(
                "{o}: {}; #3 is the walk's 3rd candidate, its place in the walk's order (never a \
                 count); n / N follow the candidates",
                outcome_meaning(o)
            )
        } else {
            format!("{o}: {}", outcome_meaning(o))
        };
        out.push(entry(
            vec![(badge(&m, Detail::Full), outcome_style(t, o))],
            text,
        ));
    }
    if nodes().any(|n| !n.walk.lost.is_empty()) {
        let m = WalkMark {
            lost: vec![0x81000],
            ..WalkMark::default()
        };
        out.push(entry(
            vec![(both(&m), t.lost)],
            "LOST: a pte at this address maps the page, but the walk never visited it (the tight \
             level leaves the address to the walk pane)",
        ));
    }
    if nodes().any(|n| n.walk.walked) {
        let m = WalkMark {
            walked: true,
            ..WalkMark::default()
        };
        out.push(entry(
            vec![(both(&m), t.walked)],
            "the page the walk is about (◀ where the pane is narrow)",
        ));
    }
    let gone = nodes().find(|n| {
        n.fields
            .list()
            .iter()
            .any(|(k, v)| k == "kind" && v == "walked, gone")
    });
    if let Some(n) = gone {
        let marks: Vec<&str> = [n.label.as_str(), n.short[2].as_str()]
            .iter()
            .filter_map(|l| l.split_once(' ').map(|(_, m)| m))
            .collect();
        out.push(entry(
            vec![(marks.join(" "), node_style(app, n))],
            "a structure the walk used and freed (a page's pte chain, gone with its last pte)",
        ));
    }
    if nodes().any(|n| n.kind == NodeKind::Page) {
        out.push(entry(
            vec![("map 2".to_string(), t.page)],
            "the page's mapcount: how many ptes map it (idx: its index, in pages; excl: \
             exclusive to one mm; swap:N its swap slot)",
        ));
    }
    if nodes().any(|n| n.kind.is_group()) {
        out.push(entry(
            vec![("+ 512".to_string(), t.group)],
            "a group: this many nodes folded into one (Enter on it expands it)",
        ));
    }
    out
}

/// The cells of the samples' column: a longer sample has a line of its own above its meaning.
const SAMPLE: usize = 13;

/// The legend as lines `width` cells wide: each sample in a column of its own, its meaning
/// wrapped beside it.
pub fn text(app: &App, width: u16) -> Vec<Line<'static>> {
    let t = &app.theme;
    let room = (width as usize).saturating_sub(SAMPLE + 1).max(16);
    let indent = || Span::raw(" ".repeat(SAMPLE + 1));
    let mut out = Vec::new();
    for (title, entries) in sections(app) {
        if entries.is_empty() {
            continue;
        }
        out.push(Line::styled(title.to_string(), t.title));
        for e in entries {
            let mut first = vec![Span::raw(" ")];
            let mut used = 1;
            for (s, st) in &e.sample {
                let s = asciify(s, app.ascii);
                used += s.width();
                first.push(Span::styled(s, *st));
            }
            if used > SAMPLE {
                out.push(Line::from(std::mem::take(&mut first)));
                first.push(indent());
            } else {
                first.push(Span::raw(" ".repeat(SAMPLE + 1 - used)));
            }
            let text = asciify(&e.text, app.ascii);
            for (k, piece) in wrap(&text, room).into_iter().enumerate() {
                if k == 0 {
                    first.push(Span::styled(piece, t.text));
                    out.push(Line::from(std::mem::take(&mut first)));
                } else {
                    out.push(Line::from(vec![indent(), Span::styled(piece, t.text)]));
                }
            }
        }
        out.push(Line::raw(""));
    }
    out.pop();
    out
}

/// `s` cut into lines of at most `w` cells at spaces (a word longer than `w` on its own line).
fn wrap(s: &str, w: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    for word in s.split(' ') {
        let Some(last) = out.last_mut() else { break };
        if !last.is_empty() && last.width() + 1 + word.width() > w {
            out.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    out
}

/// The legend over the graphs, scrolled `scroll` lines down (as far as its end); returns the
/// last scroll position that still fills the window.
pub fn render(app: &App, frame: &mut Frame, area: Rect, graphs: &[Rect], scroll: u16) -> u16 {
    let w = area.width.saturating_sub(4).min(100);
    let lines = text(app, w.saturating_sub(2));
    let h = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
    let r = popup::window(area, graphs, w, h);
    let inner = r.height.saturating_sub(2);
    let end = (lines.len() as u16).saturating_sub(inner);
    let scroll = scroll.min(end);
    let key = first_key(Action::Legend, app.ascii);
    let more = if (lines.len() as u16) > inner {
        let (up, down) = if app.ascii {
            ("Up", "Down")
        } else {
            ("↑", "↓")
        };
        format!(
            " {}-{} of {}, {up}/{down} scroll,",
            scroll + 1,
            (scroll + inner).min(lines.len() as u16),
            lines.len()
        )
    } else {
        String::new()
    };
    let title = format!(" legend {more} {key} or Esc closes ");
    frame.render_widget(Clear, r);
    let block = pane(app, title, true).style(app.theme.text.bg(app.theme.bg));
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), r);
    end
}
