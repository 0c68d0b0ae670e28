//! One scenario under several schemes, with what each scheme holds at the end: the input of
//! `rmapviz compare`.

use super::replay::{SchemeRun, replay_observed};
use crate::model::Cost;
use crate::scenario::Scenario;

/// One scheme's replay and its state after the last step.
#[derive(Clone, Debug)]
pub struct ComparedRun {
    pub run: SchemeRun,
    /// The rmap metadata held after the last step, line by line.
    pub cost: Cost,
    /// Pages made during the replay (anonymous and page cache), freed ones included.
    pub pages_made: u64,
}

/// Every scheme's replay of one scenario.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub runs: Vec<ComparedRun>,
}

impl Comparison {
    /// Replays `scenario` under each named scheme (unknown names are skipped).
    pub fn new(scenario: &Scenario, schemes: &[&str]) -> Comparison {
        Self::observed(scenario, schemes, &mut || {})
    }

    /// As [`Comparison::new`], calling `after_step` after each step of each scheme.
    pub fn observed(
        scenario: &Scenario,
        schemes: &[&str],
        after_step: &mut dyn FnMut(),
    ) -> Comparison {
        let runs = schemes
            .iter()
            .filter_map(|s| replay_observed(scenario, s, false, after_step))
            .map(|(run, sim)| ComparedRun {
                cost: sim.scheme.cost(&sim.machine.census()),
                pages_made: u64::from(sim.machine.pages.made()),
                run,
            })
            .collect();
        Comparison { runs }
    }

    /// Pages `run` made beyond the scheme that made the fewest (e.g. anonmm's mremap copies).
    pub fn pages_copied(&self, run: &ComparedRun) -> u64 {
        let least = self.runs.iter().map(|r| r.pages_made).min().unwrap_or(0);
        run.pages_made - least
    }

    /// True when some step was refused under some scheme.
    pub fn any_refused(&self) -> bool {
        self.runs.iter().any(|r| r.run.failures() > 0)
    }
}
