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
    let mut sim = Simulation::new(make_scheme(scheme)?);
    let steps = scenario
        .steps
        .iter()
        .map(|op| sim.step(op, with_ptes))
        .collect();
    Some(SchemeRun {
        scheme: sim.scheme_name(),
        steps,
    })
}
