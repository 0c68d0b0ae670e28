//! The step views the app has built: the graph panes shown now, and a cache of the views of
//! recently shown (scheme, step) pairs, with the options they were built with. Part of
//! [`super::App`]; the rule it keeps: every cached view was built with the current options
//! (expanded groups, focus on the walk), so changing them empties the cache.
//!
//! While the quiz reveals a step's walk, the panes show the state the walk starts from (the
//! step before): the shown scheme's with the walk marked as far as it is revealed, the compared
//! scheme's without a walk, and nothing changed yet.

use std::collections::HashMap;
use std::sync::Arc;

use super::super::cache::{CachedView, ViewCache};
use crate::session::{Session, Simulation, StateDiff};
use crate::view::{BuildOptions, Changes, Detail, StepView};

/// Views pushed out of the cache wait to be freed between keys ([`ViewStore::free_buried`]): a
/// step view of the storm holds thousands of nodes and its state a thousand processes, and
/// freeing them took a millisecond or two of the key that pushed them out. At most this many
/// wait (keys that come faster than the loop idles free the rest at once).
const GRAVEYARD_SIZE: usize = 8;

/// One graph pane's content: a scheme at the current step.
#[derive(Clone)]
pub struct Pane {
    /// The scheme's number in the session.
    pub scheme: usize,
    pub view: Arc<StepView>,
    pub sim: Arc<Simulation>,
    /// What changed since the step before (nothing at the start).
    pub changes: Arc<Changes>,
}

/// The panes shown and the views cached.
pub struct ViewStore {
    panes: Vec<Pane>,
    cache: ViewCache,
    options: BuildOptions,
    /// Views to free between keys (see [`GRAVEYARD_SIZE`]); headless stores free at once.
    graveyard: Vec<CachedView>,
    /// Headless: every scheme simulated up to the step shown before it is drawn, nothing left
    /// for between keys.
    eager: bool,
    /// Step views built so far (not found in the cache).
    built: u64,
    /// The level of detail the last view built was laid out at: the first guess for the next.
    last_detail: Detail,
    /// What changed at each (scheme, step) shown, since the step before.
    changes: HashMap<(usize, usize), Arc<Changes>>,
    /// The view of a walk being revealed: (scheme, step, candidates revealed) and the view.
    revealing: Option<((usize, usize, usize), Arc<StepView>)>,
}

impl ViewStore {
    pub fn new(eager: bool) -> ViewStore {
        ViewStore {
            panes: Vec::new(),
            cache: ViewCache::default(),
            options: BuildOptions::default(),
            graveyard: Vec::new(),
            eager,
            built: 0,
            last_detail: Detail::Full,
            changes: HashMap::new(),
            revealing: None,
        }
    }

    /// Whether the store simulates and builds everything at once (headless).
    pub fn eager(&self) -> bool {
        self.eager
    }

    /// The graph panes: the shown scheme's, then the compared one's.
    pub fn panes(&self) -> &[Pane] {
        &self.panes
    }

    /// The main graph pane.
    pub fn main(&self) -> Option<&Pane> {
        self.panes.first()
    }

    /// The level of detail the last view built was laid out at (the first guess for a band
    /// laid out when drawn).
    pub fn last_detail(&self) -> Detail {
        self.last_detail
    }

    /// How many step views were built (the costly part of a key).
    pub fn built(&self) -> u64 {
        self.built
    }

    /// Whether the view of scheme `scheme` at step `step` is ready.
    pub fn has(&self, scheme: usize, step: usize) -> bool {
        self.cache.contains((scheme, step))
    }

    /// The options views are built with.
    pub fn options(&self) -> &BuildOptions {
        &self.options
    }

    /// Whether group `id` is shown member by member.
    pub fn is_expanded(&self, id: &str) -> bool {
        self.options.expanded.contains(id)
    }

    /// Shows group `id` member by member (true) or folded.
    pub fn set_expanded(&mut self, id: &str, expanded: bool) {
        let changed = if expanded {
            self.options.expanded.insert(id.to_string())
        } else {
            self.options.expanded.remove(id)
        };
        if changed {
            self.forget_all();
        }
    }

    /// Whether the graphs show only the walk path and the nodes next to it.
    pub fn focus_walk(&self) -> bool {
        self.options.focus_walk
    }

    pub fn set_focus_walk(&mut self, on: bool) {
        if self.options.focus_walk != on {
            self.options.focus_walk = on;
            self.forget_all();
        }
    }

    /// The view of scheme `scheme` at step `step`, built (and the scheme simulated that far)
    /// unless cached. A pane `width` cells wide gets it laid out at once, so that a view built
    /// between keys needs no layout when drawn.
    pub fn view(
        &mut self,
        session: &mut Session,
        (scheme, step): (usize, usize),
        width: Option<u16>,
    ) -> CachedView {
        if let Some(v) = self.cache.get((scheme, step)) {
            return v;
        }
        self.built += 1;
        session.simulate_to(scheme, step);
        let sim = session
            .state_after(scheme, step)
            .expect("scheme number in range");
        let walk = step
            .checked_sub(1)
            .and_then(|i| session.result(scheme, i))
            .and_then(|r| r.walk.clone());
        let view = StepView::from_rmap(
            &sim.machine,
            sim.scheme.as_ref(),
            sim.scheme.rmap_graph(&sim.machine),
            walk.as_ref(),
            &self.options,
        );
        if let Some(w) = width {
            // A graph cut into bands is shown a band at a time (`super::sheet`): the walked
            // page's, where a step with a walk puts the selection, else the first.
            let laid = match view.bands() {
                Some(bands) => {
                    let walked = view.graph.walk.as_ref().and_then(|w| w.page_node);
                    let b = walked.and_then(|n| bands.home(n)).unwrap_or(0);
                    view.band_fit_from(b, w, self.last_detail)
                }
                None => Some(view.fit_from(w, self.last_detail)),
            };
            if let Some(l) = laid {
                self.last_detail = l.detail;
            }
        }
        let v = (Arc::new(view), Arc::new(sim));
        let gone = self.cache.put((scheme, step), v.clone());
        self.bury(gone);
        v
    }

    /// Shows `schemes` at `step` in the graph panes; with `revealed` candidates of the first
    /// scheme's walk, at the state before the step (see the module's comment). A headless
    /// store simulates every scheme to `step` first when the screen has the compare `table`.
    pub fn show(
        &mut self,
        session: &mut Session,
        schemes: &[usize],
        (step, revealed): (usize, Option<usize>),
        width: Option<u16>,
        table: bool,
    ) {
        // Only the shown schemes keep a history of states to rebuild steps from.
        session.keep_checkpoints(schemes);
        if self.eager && table {
            for i in 0..session.schemes().len() {
                session.simulate_to(i, step);
            }
        }
        if let (Some(k), Some(before)) = (revealed, step.checked_sub(1)) {
            self.show_revealing(session, schemes, (before, k), width);
            return;
        }
        self.panes = schemes
            .iter()
            .map(|&s| {
                let (view, sim) = self.view(session, (s, step), width);
                let changes = self.changes(session, (s, step), (&view, &sim));
                Pane {
                    scheme: s,
                    view,
                    sim,
                    changes,
                }
            })
            .collect();
    }

    /// The panes at step `before`, the first scheme's with the first `k` candidates of the
    /// next step's walk marked.
    fn show_revealing(
        &mut self,
        session: &mut Session,
        schemes: &[usize],
        (before, k): (usize, usize),
        width: Option<u16>,
    ) {
        let unchanged = Arc::new(Changes::default());
        let mut panes = Vec::with_capacity(schemes.len());
        for (i, &s) in schemes.iter().enumerate() {
            let (mut view, sim) = self.view(session, (s, before), width);
            if i == 0 {
                view = self.revealing_view(session, (s, before + 1, k), &sim);
            }
            panes.push(Pane {
                scheme: s,
                view,
                sim,
                changes: unchanged.clone(),
            });
        }
        self.panes = panes;
    }

    /// The view of `sim` (the state before step `step` of scheme `scheme`) with the first `k`
    /// candidates of the step's walk marked, found again or built.
    fn revealing_view(
        &mut self,
        session: &mut Session,
        (scheme, step, k): (usize, usize, usize),
        sim: &Simulation,
    ) -> Arc<StepView> {
        if let Some((key, v)) = &self.revealing
            && *key == (scheme, step, k)
        {
            return v.clone();
        }
        self.built += 1;
        session.simulate_to(scheme, step);
        let walk = session
            .result(scheme, step - 1)
            .and_then(|r| r.walk.as_ref())
            .map(|w| w.first(k));
        let view = Arc::new(StepView::new(
            &sim.machine,
            sim.scheme.as_ref(),
            walk.as_ref(),
            &self.options,
        ));
        self.revealing = Some(((scheme, step, k), view.clone()));
        view
    }

    /// What changed at step `step` of scheme `scheme` (whose state is `sim`) since the step
    /// before, found again or worked out.
    fn changes(
        &mut self,
        session: &mut Session,
        (scheme, step): (usize, usize),
        (view, sim): (&StepView, &Simulation),
    ) -> Arc<Changes> {
        if let Some(c) = self.changes.get(&(scheme, step)) {
            return c.clone();
        }
        let diff = match step.checked_sub(1) {
            // The step before is at hand when it was shown or prepared (stepping forward):
            // its state and rmap objects need not be rebuilt.
            Some(before) => match self.cache.peek((scheme, before)) {
                Some((was, prev)) => StateDiff::between_with(prev, sim, was.rmap(), view.rmap()),
                // Else only the state before is rebuilt: the state shown and its rmap side are
                // the view's (`Session::diff` would replay the step's state from its checkpoint
                // again and make the rmap side of both).
                None => match session.state_after(scheme, before) {
                    Some(prev) => {
                        let was = prev.scheme.rmap_graph(&prev.machine);
                        StateDiff::between_with(&prev, sim, &was, view.rmap())
                    }
                    None => Default::default(),
                },
            },
            None => Default::default(),
        };
        let c = Arc::new(Changes::new(diff, &sim.machine));
        // Few are shown at a time: keep the ones of the last steps visited.
        if self.changes.len() >= 64 {
            self.changes.clear();
        }
        self.changes.insert((scheme, step), c.clone());
        c
    }

    /// The scenario changed from step `at` (0-based) on: the views after it are stale.
    pub fn forget_after(&mut self, at: usize) {
        self.changes.retain(|&(_, step), _| step <= at);
        self.revealing = None;
        let gone = self.cache.forget_after(at);
        self.bury(gone);
    }

    fn forget_all(&mut self) {
        self.revealing = None;
        let gone = self.cache.clear();
        self.bury(gone);
    }

    /// Keeps `gone` to be freed between keys (an eager store frees it now).
    fn bury(&mut self, gone: Vec<CachedView>) {
        if self.eager {
            return;
        }
        self.graveyard.extend(gone);
        if self.graveyard.len() > GRAVEYARD_SIZE {
            let keep = self.graveyard.len() - GRAVEYARD_SIZE;
            self.graveyard.drain(..keep);
        }
    }

    /// Frees the views pushed out of the cache; true if there were any.
    pub fn free_buried(&mut self) -> bool {
        let any = !self.graveyard.is_empty();
        self.graveyard.clear();
        any
    }

    /// Whether views wait to be freed.
    pub fn any_buried(&self) -> bool {
        !self.graveyard.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::ViewStore;
    use crate::scenario::{Scenario, storm};
    use crate::schemes::scheme_names;
    use crate::session::Session;

    /// Stepping forward, what changed at each step comes from the step before's view and
    /// state, kept in the cache: it must be the difference `Session::diff` makes from states
    /// rebuilt from the checkpoints (the storm has more than 256 steps: sparse checkpoints).
    /// Stepping back finds no view of the step before and takes the session's way.
    #[test]
    fn the_changes_from_the_cached_step_before_are_the_sessions_diff() {
        for sc in [Scenario::load("S3").unwrap().0, storm(130, 2)] {
            let names = scheme_names();
            let len = sc.steps.len();
            for s in 0..names.len() {
                let mut fresh = Session::lazy(sc.clone(), &names);
                let forward = (0..=len).collect::<Vec<_>>();
                let back = (len.saturating_sub(12)..=len).rev().collect();
                for steps in [forward, back] {
                    let mut session = Session::lazy(sc.clone(), &names);
                    let mut store = ViewStore::new(false);
                    for n in steps {
                        store.show(&mut session, &[s], (n, None), Some(120), true);
                        let got = &store.panes()[0].changes.diff;
                        let want = match n.checked_sub(1) {
                            Some(b) => fresh.diff(s, b, n).unwrap(),
                            None => Default::default(),
                        };
                        assert_eq!(got, &want, "{} {}, step {n}", sc.title, names[s]);
                    }
                }
            }
        }
    }
}
