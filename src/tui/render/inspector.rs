//! The fields of the selected node, and what changed on it since the step before.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::asciify;
use super::scrolled::{self, Want};
use crate::model::VmaId;
use crate::tui::app::App;
use crate::tui::scroll::{Scrolled, Side};
use crate::view::nodes::{pte_stats, vma_fields};
use crate::view::{Detail, NodeKind};

pub fn render(app: &App, frame: &mut Frame, area: Rect) -> Scrolled {
    let t = &app.theme;
    let mut lines = Vec::new();
    let pane_ = app.views.panes().first();
    let node = pane_.and_then(|p| {
        let id = app.selected()?;
        p.view.graph.find(id).map(|n| p.view.graph.node(n))
    });
    let title = match node {
        // A group's id is for the program; its label says what it holds.
        Some(n) if n.kind.is_group() => format!(" {} ", n.label_at(Detail::Compact)),
        Some(n) => format!(" {} {} ", n.kind.as_str(), n.id),
        None => " inspector ".to_string(),
    };
    match (node, pane_) {
        (Some(n), Some(p)) => {
            let mut fields = n.fields.list().into_owned();
            // Large graphs leave the pte counts out; count them for the one vma shown here.
            if n.kind == NodeKind::Vma && !fields.iter().any(|(k, _)| k == "ptes") {
                let id = n.id.trim_start_matches("vma").parse().ok().map(VmaId);
                if let Some((pid, v)) = id.and_then(|id| p.sim.machine.find_vma(id)) {
                    let s = pte_stats(&p.sim.machine, pid, v);
                    fields.extend(
                        vma_fields(&p.sim.machine, pid, v, Some(&s))
                            .into_iter()
                            .filter(|(k, _)| k == "ptes"),
                    );
                }
            }
            let key_w = fields
                .iter()
                .map(|(k, _)| k.len())
                .max()
                .unwrap_or(0)
                .min(16);
            for (k, v) in &fields {
                lines.push(Line::from(vec![
                    Span::styled(format!("{k:<key_w$} "), t.dim),
                    Span::styled(asciify(v, app.ascii), t.text),
                ]));
            }
            if let Some(b) = n.walk.badge() {
                let style = if n.walk.lost.is_empty() {
                    t.path
                } else {
                    t.lost
                };
                lines.push(Line::styled(format!("walk {b}"), style));
            }
            // What changed on the node since the step before (the graph underlines it).
            for note in p.changes.notes(&n.id) {
                lines.push(Line::styled(
                    asciify(&format!("changed: {note}"), app.ascii),
                    t.info,
                ));
            }
            if n.kind.is_group() {
                lines.push(Line::styled(
                    "Enter (in the graph) expands the group",
                    t.dim,
                ));
            }
            // The node's links with their kinds (the graph's lines do not say them): a ring,
            // an avc, a parent, a pte chain.
            for l in links(&p.view.graph, &n.id) {
                lines.push(Line::styled(asciify(&l, app.ascii), t.dim));
            }
        }
        _ => lines.push(Line::styled("nothing selected", t.dim)),
    }
    let want = Want::Top(app.side_top(Side::Inspector).unwrap_or(0));
    scrolled::render(app, frame, area, title, lines, Vec::new(), want)
}

/// The links of node `id`, each as `-> av1 (avc)` (from the node) or `<- pid 1 (ring)` (to it):
/// the node at the other end and what the scheme calls the link, else the link's kind.
fn links(g: &crate::view::Graph, id: &str) -> Vec<String> {
    use petgraph::Direction::{Incoming, Outgoing};
    use petgraph::visit::EdgeRef;
    let Some(n) = g.find(id) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (dir, arrow) in [(Outgoing, "->"), (Incoming, "<-")] {
        for e in g.graph.edges_directed(n, dir) {
            let other = if dir == Outgoing {
                e.target()
            } else {
                e.source()
            };
            let w = e.weight();
            let kind = if w.label.is_empty() {
                w.kind.as_str()
            } else {
                w.label.as_str()
            };
            out.push(format!("{arrow} {} ({kind})", g.node(other).id));
        }
    }
    out
}
