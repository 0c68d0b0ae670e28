//! The node selected in the graph, by id (kept across steps and schemes), and where the graph
//! is scrolled to when it does not follow the selection. Part of [`super::App`]; the rule it
//! keeps: the selection is always a node of the graph shown, or nothing when the graph is
//! empty ([`Selection::keep_in`]).

use crate::view::StepView;

/// The selected node and the graph's viewport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    id: Option<String>,
    /// Keep the selection in view (else the graph stays at `scroll`).
    follow: bool,
    /// The graph's top row and left column when not following the selection.
    scroll: (u32, u16),
    /// The step the selection was last kept at: stepping to another step that has a walk moves
    /// the selection to the walked page, so the inspector follows the walk.
    step: Option<usize>,
    /// The band of a graph cut into bands the main pane shows ([`super::sheet`]): where the
    /// selection was last seen, or where the graph was scrolled to.
    band: usize,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            id: None,
            follow: true,
            scroll: (0, 0),
            step: None,
            band: 0,
        }
    }
}

impl Selection {
    /// The selected node's id.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Whether the graph keeps the selection in view.
    pub fn follows(&self) -> bool {
        self.follow
    }

    /// The graph's top row and left column while it does not follow the selection.
    pub fn scroll(&self) -> (u32, u16) {
        self.scroll
    }

    /// The band the main pane showed last ([`super::sheet`]).
    pub fn band(&self) -> usize {
        self.band
    }

    /// The main pane shows band `b` (settled after a key, or scrolled to).
    pub fn set_band(&mut self, b: usize) {
        self.band = b;
    }

    /// Selects node `id` and brings it into view.
    pub fn select(&mut self, id: String) {
        self.id = Some(id);
        self.follow = true;
    }

    /// Brings the selection back into view (the graph follows it again).
    pub fn follow_again(&mut self) {
        self.follow = true;
    }

    /// Selects node `id` where the graph is (a click on it).
    pub fn point_at(&mut self, id: String) {
        self.id = Some(id);
    }

    /// The graph scrolled to (`top`, `left`): it stops following the selection.
    pub fn scroll_to(&mut self, top: u32, left: u16) {
        self.follow = false;
        self.scroll = (top, left);
    }

    /// Forgets the selection; [`Selection::keep_in`] then selects as a fresh view does.
    pub fn reset(&mut self) {
        self.id = None;
        self.follow = true;
    }

    /// Selects node `id` of `view`, or the group that holds it. False when it has neither.
    pub fn find_in(&mut self, view: &StepView, id: &str) -> bool {
        let g = &view.graph;
        match g.find(id).or_else(|| g.group_of(id)) {
            Some(n) => {
                self.select(g.node(n).id.clone());
                true
            }
            None => false,
        }
    }

    /// Keeps the selection on a node of `view`, the graph of step `step`: the walked page when
    /// the step changed to one with a walk; else the same id, or the group that now holds it,
    /// or the walked page, or the first node laid out.
    pub fn keep_in(&mut self, view: &StepView, step: usize) {
        let g = &view.graph;
        let walked = g.walk.as_ref().and_then(|w| w.page_node);
        let stepped = self.step.replace(step).is_some_and(|s| s != step);
        if let Some(n) = walked.filter(|_| stepped) {
            self.select(g.node(n).id.clone());
            return;
        }
        if self.id.as_deref().is_some_and(|id| g.find(id).is_some()) {
            return;
        }
        let regrouped = self.id.as_deref().and_then(|id| g.group_of(id));
        let first = || super::sheet::first_id(view).and_then(|id| g.find(id));
        self.id = regrouped
            .or(walked)
            .or_else(first)
            .map(|n| g.node(n).id.clone());
    }
}
