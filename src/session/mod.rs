//! Running scenarios: one [`Simulation`] per scheme, headless replays, and the interactive
//! [`Session`] with history and live editing.

mod compare;
mod diff;
mod history;
mod replay;
mod simulation;

pub use compare::{ComparedRun, Comparison};
pub use diff::{
    DiffError, MmChange, ObjectChange, ObjectDelta, PageChange, PageState, PteChange, PteHow,
    StateDiff, VmaChange,
};
pub use history::Session;
pub use replay::{SchemeRun, replay, replay_observed, replay_to_end};
#[cfg(test)]
pub(crate) use simulation::modern_after;
pub use simulation::{Simulation, StepResult};
