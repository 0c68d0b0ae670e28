//! A scenario under several schemes with a step cursor, history and live editing.
//!
//! Every step's result is kept for every scheme. Machine states are checkpointed (every step
//! for small scenarios, every k-th step for large ones); the state after any step is the
//! nearest checkpoint at or before it, replayed forward, so going back costs at most k-1 steps.
//! Only the schemes a front end shows need that ([`Session::keep_checkpoints`]): the others keep
//! their results (the compare table) and their start, and their latest state only while they
//! have steps left to simulate, so that memory grows with one scheme's states, not ten (at the
//! end of the 1000 x 1000 storm a state is about 45 MB). Showing another scheme replays it from
//! its start to the step shown; it then gets its checkpoints back as its states are rebuilt
//! ([`Session::state_after`] fills in those it replays past) or in the background
//! ([`Session::fill_checkpoint`]).
//!
//! Simulation can be lazy ([`Session::lazy`]): each scheme is simulated only as far as it is
//! asked for ([`Session::simulate_to`]) or in slices of time ([`Session::simulate_for`]), so a
//! front end can open a large scenario at once, simulate the scheme it shows first, and the
//! others between keys. [`Session::new`] simulates everything up front.

use std::time::{Duration, Instant};

use super::simulation::{Simulation, StepResult};
use crate::model::Step;
use crate::scenario::Scenario;
use crate::schemes::make_scheme;

/// Steps beyond which checkpoints are thinned out.
const DENSE_STEPS: usize = 256;
/// About how many checkpoints a large scenario keeps per shown scheme.
const SPARSE_CHECKPOINTS: usize = 128;

struct Track {
    results: Vec<StepResult>,
    /// checkpoints[i] = state after `i * interval` steps (index 0: before any step), where kept;
    /// the start is always kept.
    checkpoints: Vec<Option<Simulation>>,
    /// Keeps every checkpoint (a shown scheme); otherwise only the start.
    dense: bool,
    /// The state after `results.len()` steps, where simulation goes on; none for a scheme not
    /// shown that has simulated every step (its results are all the compare table needs).
    frontier: Option<Simulation>,
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
        let mut s = Self::lazy(scenario, schemes);
        for i in 0..s.tracks.len() {
            s.simulate_to(i, s.len());
        }
        s
    }

    /// A session that simulates nothing yet. Unknown names are skipped.
    pub fn lazy(scenario: Scenario, schemes: &[&str]) -> Session {
        let mut s = Session {
            scenario,
            schemes: Vec::new(),
            tracks: Vec::new(),
            interval: 1,
        };
        for name in schemes {
            if let Ok(sc) = make_scheme(name) {
                let start = Simulation::new(sc);
                s.schemes.push(start.scheme_name());
                s.tracks.push(Track {
                    results: Vec::new(),
                    checkpoints: vec![Some(start.clone())],
                    dense: true,
                    frontier: Some(start),
                });
            }
        }
        s.interval = Self::interval_for(s.scenario.steps.len());
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

    /// How many steps of scheme number `scheme` are simulated.
    pub fn simulated(&self, scheme: usize) -> usize {
        self.tracks.get(scheme).map_or(0, |t| t.results.len())
    }

    /// True when every scheme is simulated to the end.
    pub fn complete(&self) -> bool {
        (0..self.tracks.len()).all(|i| self.simulated(i) == self.len())
    }

    fn step_track(&mut self, scheme: usize) {
        // A scheme parked at the end gets its latest state back when the scenario grows.
        if self
            .tracks
            .get(scheme)
            .is_some_and(|t| t.frontier.is_none())
        {
            let at = self.simulated(scheme);
            let sim = self.state_after(scheme, at);
            if let Some(t) = self.tracks.get_mut(scheme) {
                t.frontier = sim;
            }
        }
        let interval = self.interval;
        let Some(t) = self.tracks.get_mut(scheme) else {
            return;
        };
        let i = t.results.len();
        let Some(step) = self.scenario.steps.get(i) else {
            return;
        };
        let Some(frontier) = t.frontier.as_mut() else {
            return;
        };
        t.results.push(frontier.step(&step.op, false));
        if (i + 1) % interval == 0 {
            t.checkpoints.push(t.dense.then(|| checkpoint(frontier)));
        }
        t.park(self.scenario.steps.len());
    }

    /// Keeps every checkpoint of the schemes numbered in `dense` (the ones shown) from now on,
    /// and only the start of the others (and their latest state while they have steps left to
    /// simulate). Results are kept either way.
    pub fn keep_checkpoints(&mut self, dense: &[usize]) {
        let len = self.scenario.steps.len();
        for (i, t) in self.tracks.iter_mut().enumerate() {
            let on = dense.contains(&i);
            if t.dense && !on {
                for c in t.checkpoints.iter_mut().skip(1) {
                    *c = None;
                }
            }
            t.dense = on;
            t.park(len);
        }
    }

    /// Rebuilds the first checkpoint that scheme number `scheme` keeps no more (after it was
    /// not shown for a while), replaying from the one before it; false when none is missing.
    pub fn fill_checkpoint(&mut self, scheme: usize) -> bool {
        let Some(t) = self.tracks.get(scheme).filter(|t| t.dense) else {
            return false;
        };
        let Some(c) = t.checkpoints.iter().position(Option::is_none) else {
            return false;
        };
        self.state_after(scheme, c * self.interval);
        true
    }

    /// Simulates scheme number `scheme` up to (at least) `steps` steps.
    pub fn simulate_to(&mut self, scheme: usize, steps: usize) {
        let steps = steps.min(self.len());
        while self.simulated(scheme) < steps {
            let before = self.simulated(scheme);
            self.step_track(scheme);
            if self.simulated(scheme) == before {
                break;
            }
        }
    }

    /// Whether scheme number `scheme` holds its latest state (see [`Track::frontier`]).
    pub fn holds_latest(&self, scheme: usize) -> bool {
        self.tracks
            .get(scheme)
            .is_some_and(|t| t.frontier.is_some())
    }

    /// Simulates scheme number `scheme` towards `steps` for about `budget`; returns true when it
    /// got there.
    pub fn simulate_for(&mut self, scheme: usize, steps: usize, budget: Duration) -> bool {
        let steps = steps.min(self.len());
        let start = Instant::now();
        while self.simulated(scheme) < steps {
            let before = self.simulated(scheme);
            self.step_track(scheme);
            if self.simulated(scheme) == before || start.elapsed() >= budget {
                break;
            }
        }
        self.simulated(scheme) >= steps
    }

    /// True when scheme number `scheme` keeps every checkpoint it should (see
    /// [`Session::fill_checkpoint`]).
    pub fn checkpoints_complete(&self, scheme: usize) -> bool {
        self.tracks
            .get(scheme)
            .is_none_or(|t| !t.dense || t.checkpoints.iter().all(Option::is_some))
    }

    /// The result of step `step` (0-based) under scheme number `scheme`, if simulated.
    pub fn result(&self, scheme: usize, step: usize) -> Option<&StepResult> {
        self.tracks.get(scheme)?.results.get(step)
    }

    /// The state after `steps` steps (0 = before the first) under scheme number `scheme`,
    /// from the nearest checkpoint kept (steps beyond the simulated ones are simulated on a
    /// copy). A shown scheme keeps the checkpoints missing on the way.
    pub fn state_after(&mut self, scheme: usize, steps: usize) -> Option<Simulation> {
        let interval = self.interval;
        let t = self.tracks.get_mut(scheme)?;
        let steps = steps.min(self.scenario.steps.len());
        if steps == t.results.len()
            && let Some(f) = &t.frontier
        {
            return Some(f.clone());
        }
        let want = (steps / interval).min(t.checkpoints.len() - 1);
        let (ci, mut sim) = t.checkpoints[..=want]
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, c)| c.clone().map(|c| (i, c)))?;
        let mut at = ci * interval;
        for op in self.scenario.ops().take(steps).skip(at) {
            sim.step(op, false);
            at += 1;
            if t.dense && at.is_multiple_of(interval) && at / interval <= want {
                t.checkpoints[at / interval] = Some(checkpoint(&sim));
            }
        }
        Some(sim)
    }

    /// Inserts `step` so that it becomes step `at` (0-based). Results from `at` on are dropped and
    /// simulated again as they are asked for ([`Session::new`]'s eager simulation is not
    /// repeated: call [`Session::simulate_to`]).
    pub fn insert(&mut self, at: usize, step: Step) {
        let at = at.min(self.scenario.steps.len());
        self.scenario.steps.insert(at, step);
        self.truncate(at);
    }

    /// Removes step `at`; results from `at` on are simulated again as they are asked for.
    pub fn remove(&mut self, at: usize) -> Option<Step> {
        if at >= self.scenario.steps.len() {
            return None;
        }
        let step = self.scenario.steps.remove(at);
        self.truncate(at);
        Some(step)
    }

    /// Forgets the results of the steps from `from` on (the scenario changed there).
    fn truncate(&mut self, from: usize) {
        let interval = Self::interval_for(self.scenario.steps.len());
        let from = if interval != self.interval {
            self.interval = interval;
            0
        } else {
            from
        };
        for t in &mut self.tracks {
            if t.results.len() <= from {
                continue;
            }
            let last = (from / self.interval).min(t.checkpoints.len() - 1);
            let Some((ci, start)) = t.checkpoints[..=last]
                .iter()
                .enumerate()
                .rev()
                .find_map(|(i, c)| c.clone().map(|c| (i, c)))
            else {
                continue;
            };
            t.checkpoints.truncate(ci + 1);
            t.results.truncate(ci * self.interval);
            t.frontier = Some(start);
        }
    }
}

impl Track {
    /// Drops the latest state of a scheme not shown once it has simulated all `len` steps.
    fn park(&mut self, len: usize) {
        if !self.dense && self.results.len() == len {
            self.frontier = None;
        }
    }
}

/// A copy of `sim` to keep as a checkpoint. Grouped once here, a checkpoint's pages cost the
/// graph of any state rebuilt from it only the chunks that the replay changed.
fn checkpoint(sim: &Simulation) -> Simulation {
    sim.machine.pages.group_mapped_anon();
    sim.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Op;
    use crate::scenario::storm;

    fn eager_vs_lazy(sc: Scenario) {
        let names = crate::schemes::scheme_names();
        let eager = Session::new(sc.clone(), &names);
        let mut lazy = Session::lazy(sc, &names);
        assert_eq!(lazy.simulated(0), 0);
        for i in 0..names.len() {
            while !lazy.simulate_for(i, lazy.len(), Duration::ZERO) {}
        }
        assert!(lazy.complete());
        for i in 0..names.len() {
            for k in 0..eager.len() {
                let (a, b) = (eager.result(i, k).unwrap(), lazy.result(i, k).unwrap());
                assert_eq!(a.events, b.events);
                assert_eq!(a.totals, b.totals);
            }
        }
    }

    #[test]
    fn lazy_simulation_in_slices_gives_the_eager_results() {
        eager_vs_lazy(Scenario::load("S3").unwrap().0);
        // Large enough for sparse checkpoints.
        eager_vs_lazy(storm(150, 3));
    }

    #[test]
    fn state_after_any_step_matches_a_straight_replay() {
        let sc = storm(150, 3);
        let mut s = Session::new(sc.clone(), &["anon-vma"]);
        for k in [0, 1, 7, 150, 151, 299, sc.steps.len()] {
            let mut sim = Simulation::by_name("anon-vma").unwrap();
            for op in sc.ops().take(k) {
                sim.step(op, false);
            }
            let got = s.state_after(0, k).unwrap();
            assert_eq!(
                got.machine.totals(got.scheme.as_ref()),
                sim.machine.totals(sim.scheme.as_ref()),
                "step {k}"
            );
        }
    }

    /// The totals of a straight replay of the first `k` steps under `scheme`.
    fn replayed(sc: &Scenario, scheme: &str, k: usize) -> crate::model::Totals {
        let mut sim = Simulation::by_name(scheme).unwrap();
        for op in sc.ops().take(k) {
            sim.step(op, false);
        }
        sim.machine.recount(sim.scheme.as_ref())
    }

    #[test]
    fn a_scheme_not_shown_keeps_its_start_and_its_results_and_gets_its_states_back() {
        let sc = storm(150, 3);
        let names = ["anon-vma", "modern"];
        let mut s = Session::lazy(sc.clone(), &names);
        s.keep_checkpoints(&[0]);
        s.simulate_to(0, s.len());
        s.simulate_to(1, s.len());
        let kept = |s: &Session, t: usize| -> Vec<usize> {
            let c = &s.tracks[t].checkpoints;
            (0..c.len()).filter(|&i| c[i].is_some()).collect()
        };
        let n = s.tracks[1].checkpoints.len();
        assert!(n > 16, "sparse checkpoints expected");
        // The shown scheme keeps every checkpoint and its latest state; the other its start
        // and every result, but no state once it has simulated every step.
        assert_eq!(kept(&s, 0), (0..n).collect::<Vec<_>>());
        assert_eq!(kept(&s, 1), [0]);
        assert!(s.holds_latest(0) && !s.holds_latest(1));
        assert_eq!(s.simulated(1), s.len());
        assert_eq!(
            s.result(1, s.len() - 1).unwrap().totals,
            replayed(&sc, "modern", s.len())
        );
        assert!(s.checkpoints_complete(0) && s.checkpoints_complete(1));
        let states_match = |s: &mut Session| {
            for k in [0, 1, 7, 150, 151, 299, sc.steps.len()] {
                let got = s.state_after(1, k).unwrap();
                assert_eq!(
                    got.machine.totals(got.scheme.as_ref()),
                    replayed(&sc, "modern", k),
                    "step {k}"
                );
            }
        };
        // Rebuilt from its start, keeping nothing on the way while not shown.
        states_match(&mut s);
        assert_eq!(kept(&s, 1), [0]);
        // Shown now: the states rebuilt fill in checkpoints, the background the rest; the
        // other scheme drops its checkpoints and its latest state.
        s.keep_checkpoints(&[1]);
        assert_eq!(kept(&s, 0), [0]);
        assert!(!s.holds_latest(0));
        assert!(!s.checkpoints_complete(1));
        // Step 160 is 1 past checkpoint 53 (interval 3); the nearest kept is the start.
        s.state_after(1, 160);
        assert_eq!(kept(&s, 1), (0..=53).collect::<Vec<_>>());
        while s.fill_checkpoint(1) {}
        assert!(s.checkpoints_complete(1));
        states_match(&mut s);
        // An edit re-simulates a scheme from its last checkpoint kept before the edit (the
        // interval stays 3: 304 steps, then 303): the one not shown from its start.
        s.remove(200);
        assert_eq!(s.simulated(0), 0);
        assert_eq!(s.simulated(1), 66 * 3);
        // A scheme without its latest state gets it back when a step is added at the end.
        s.simulate_to(0, s.len());
        assert!(!s.holds_latest(0));
        let end = s.len();
        s.insert(end, Op::Exit { pid: 2 }.into());
        s.simulate_to(0, s.len());
        assert_eq!(s.simulated(0), end + 1);
        let mut grown = s.scenario().clone();
        assert_eq!(
            s.result(0, end).unwrap().totals,
            replayed(&grown, "anon-vma", end + 1)
        );
        grown.steps.pop();
        assert_eq!(
            s.result(0, end - 1).unwrap().totals,
            replayed(&grown, "anon-vma", end)
        );
    }

    #[test]
    fn insert_and_remove_resimulate_what_follows() {
        let (sc, _) = Scenario::load("S3").unwrap();
        let mut s = Session::new(sc.clone(), &["anon-vma"]);
        // Unmap the parent's range before the mremap: the mremap is now refused (flagged, kept).
        s.insert(
            3,
            Op::Munmap {
                pid: 1,
                addr: 0x10000,
                pages: 4,
            }
            .into(),
        );
        assert_eq!(s.len(), sc.steps.len() + 1);
        assert_eq!(s.simulated(0), 3);
        s.simulate_to(0, s.len());
        assert!(s.result(0, 3).unwrap().error.is_none());
        assert!(
            s.result(0, 4).unwrap().error.is_some(),
            "mremap of an unmapped range"
        );
        assert_eq!(s.remove(3).map(|s| s.op.name()), Some("Munmap"));
        s.simulate_to(0, s.len());
        assert!(s.result(0, 3).unwrap().error.is_none());
        assert_eq!(s.scenario(), &sc);
    }
}
