//! A scenario under several schemes with a step cursor, history and live editing.
//!
//! Every step's result is kept for every scheme. Machine states are checkpointed (every step
//! for small scenarios, every k-th step for large ones); the state after any step is the
//! nearest checkpoint at or before it, replayed forward, so going back costs at most k-1 steps.

use super::simulation::{Simulation, StepResult};
use crate::model::Op;
use crate::scenario::Scenario;
use crate::schemes::make_scheme;

/// Steps beyond which checkpoints are thinned out.
const DENSE_STEPS: usize = 256;
/// About how many checkpoints a large scenario keeps per scheme.
const SPARSE_CHECKPOINTS: usize = 128;

struct Track {
    results: Vec<StepResult>,
    /// checkpoints[i] = state after `i * interval` steps (index 0: before any step).
    checkpoints: Vec<Simulation>,
}

/// A scenario being stepped through, under several schemes at once.
pub struct Session {
    scenario: Scenario,
    schemes: Vec<&'static str>,
    tracks: Vec<Track>,
    interval: usize,
}

impl Session {
    /// Simulates every step of `scenario` under each named scheme. Unknown names are skipped.
    pub fn new(scenario: Scenario, schemes: &[&str]) -> Session {
        let mut s = Session {
            scenario,
            schemes: Vec::new(),
            tracks: Vec::new(),
            interval: 1,
        };
        for name in schemes {
            if let Some(sc) = make_scheme(name) {
                s.schemes.push(sc.info().name);
                s.tracks.push(Track {
                    results: Vec::new(),
                    checkpoints: vec![Simulation::new(sc)],
                });
            }
        }
        s.interval = Self::interval_for(s.scenario.steps.len());
        s.resimulate_from(0);
        s
    }

    fn interval_for(steps: usize) -> usize {
        if steps <= DENSE_STEPS {
            1
        } else {
            steps.div_ceil(SPARSE_CHECKPOINTS)
        }
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn schemes(&self) -> &[&'static str] {
        &self.schemes
    }

    pub fn len(&self) -> usize {
        self.scenario.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scenario.steps.is_empty()
    }

    /// The result of step `step` (0-based) under scheme number `scheme`.
    pub fn result(&self, scheme: usize, step: usize) -> Option<&StepResult> {
        self.tracks.get(scheme)?.results.get(step)
    }

    /// The state after `steps` steps (0 = before the first) under scheme number `scheme`.
    pub fn state_after(&self, scheme: usize, steps: usize) -> Option<Simulation> {
        let t = self.tracks.get(scheme)?;
        let steps = steps.min(self.scenario.steps.len());
        let ci = (steps / self.interval).min(t.checkpoints.len() - 1);
        let mut sim = t.checkpoints[ci].clone();
        for op in &self.scenario.steps[ci * self.interval..steps] {
            sim.step(op, false);
        }
        Some(sim)
    }

    /// Inserts `op` so that it becomes step `at` (0-based) and re-simulates from there.
    pub fn insert(&mut self, at: usize, op: Op) {
        let at = at.min(self.scenario.steps.len());
        self.scenario.steps.insert(at, op);
        self.resimulate_from(at);
    }

    /// Removes step `at` and re-simulates from there.
    pub fn remove(&mut self, at: usize) -> Option<Op> {
        if at >= self.scenario.steps.len() {
            return None;
        }
        let op = self.scenario.steps.remove(at);
        self.resimulate_from(at);
        Some(op)
    }

    /// Recomputes results and checkpoints of every step from `from` on.
    fn resimulate_from(&mut self, from: usize) {
        let interval = Self::interval_for(self.scenario.steps.len());
        let from = if interval != self.interval {
            self.interval = interval;
            for t in &mut self.tracks {
                t.checkpoints.truncate(1);
            }
            0
        } else {
            from
        };
        for t in &mut self.tracks {
            let ci = (from / self.interval).min(t.checkpoints.len() - 1);
            t.checkpoints.truncate(ci + 1);
            let start = ci * self.interval;
            t.results.truncate(start);
            let mut sim = t.checkpoints[ci].clone();
            for (i, op) in self.scenario.steps.iter().enumerate().skip(start) {
                t.results.push(sim.step(op, false));
                if (i + 1) % self.interval == 0 {
                    t.checkpoints.push(sim.clone());
                }
            }
        }
    }
}
