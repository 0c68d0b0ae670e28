//! The app's work between keys ([`App::idle`]): freeing views that left the cache, simulating
//! towards the step asked for, building the neighbouring steps' views, simulating the other
//! schemes for the compare table.

use std::time::{Duration, Instant};

use super::App;

impl App {
    /// Work done between keys, for about `budget`: free the views the last keys pushed out of
    /// the cache, simulate the shown schemes to the end, build the neighbouring steps' views,
    /// rebuild the shown schemes' dropped checkpoints, then simulate the other schemes for the
    /// compare table.
    /// Returns true if something was done (the screen may need a redraw).
    pub fn idle(&mut self, budget: Duration) -> bool {
        let start = Instant::now();
        let len = self.len();
        let step = self.step();
        // 0. What the last keys pushed out of the cache.
        if self.views.free_buried() {
            return true;
        }
        // 1. The step asked for: simulate the shown schemes to it, then show it.
        if let Some(n) = self.shown.target() {
            for s in self.shown.schemes() {
                if self.session.simulated(s) < n {
                    let left = budget.saturating_sub(start.elapsed());
                    self.session.simulate_for(s, n, left);
                    return true;
                }
            }
            self.step_to(n);
            return true;
        }
        // 2. The compare table at the current step.
        for i in 0..self.session.schemes().len() {
            if self.session.simulated(i) < step {
                let left = budget.saturating_sub(start.elapsed());
                self.session.simulate_for(i, step, left);
                return true;
            }
        }
        // 3. The neighbours of the shown step, so that stepping is instant.
        for s in self.shown.schemes() {
            for n in [step + 1, step.saturating_sub(1)] {
                if n <= len && n != step && !self.views.has(s, n) {
                    self.prepare_view(s, n);
                    return true;
                }
            }
        }
        // 4. The checkpoints a shown scheme dropped while it was not shown.
        for s in self.shown.schemes() {
            if self.session.fill_checkpoint(s) {
                return true;
            }
        }
        // 5. Everything else, to the end.
        let shown = self.shown.schemes();
        let mut order = shown.clone();
        order.extend((0..self.session.schemes().len()).filter(|i| !shown.contains(i)));
        for i in order {
            if self.session.simulated(i) < len {
                let left = budget.saturating_sub(start.elapsed());
                self.session
                    .simulate_for(i, len, left.max(Duration::from_millis(1)));
                return true;
            }
        }
        false
    }

    /// True when [`App::idle`] has nothing left to do.
    pub fn settled(&self) -> bool {
        let step = self.step();
        self.shown.target().is_none()
            && !self.views.any_buried()
            && self.session.complete()
            && self
                .shown
                .schemes()
                .iter()
                .all(|&s| self.session.checkpoints_complete(s))
            && self.shown.schemes().iter().all(|&s| {
                [step + 1, step.saturating_sub(1)]
                    .iter()
                    .all(|&n| n > self.len() || n == step || self.views.has(s, n))
            })
    }
}
