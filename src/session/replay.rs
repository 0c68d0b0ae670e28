//! Headless replay of a whole scenario under one or more schemes.

use super::simulation::{Simulation, StepResult};
use crate::scenario::Scenario;
use crate::schemes::make_scheme;

/// Every step of a scenario under one scheme.
#[derive(Clone, Debug)]
pub struct SchemeRun {
    pub scheme: &'static str,
    pub steps: Vec<StepResult>,
}

impl SchemeRun {
    /// Number of steps that were refused.
    pub fn failures(&self) -> usize {
        self.steps.iter().filter(|s| s.error.is_some()).count()
    }
}

/// Replays `scenario` under the scheme called `scheme`; None if there is no such scheme.
pub fn replay(scenario: &Scenario, scheme: &str, with_ptes: bool) -> Option<SchemeRun> {
    replay_to_end(scenario, scheme, with_ptes).map(|(run, _)| run)
}

/// As [`replay`], and also the simulation in its state after the last step.
pub fn replay_to_end(
    scenario: &Scenario,
    scheme: &str,
    with_ptes: bool,
) -> Option<(SchemeRun, Simulation)> {
    replay_observed(scenario, scheme, with_ptes, &mut || {})
}

/// As [`replay_to_end`], calling `after_step` after each step (to show progress).
pub fn replay_observed(
    scenario: &Scenario,
    scheme: &str,
    with_ptes: bool,
    after_step: &mut dyn FnMut(),
) -> Option<(SchemeRun, Simulation)> {
    let mut sim = Simulation::new(make_scheme(scheme).ok()?);
    let steps = scenario
        .ops()
        .map(|op| {
            let r = sim.step(op, with_ptes);
            after_step();
            r
        })
        .collect();
    let run = SchemeRun {
        scheme: sim.scheme_name(),
        steps,
    };
    Some((run, sim))
}
