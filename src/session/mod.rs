//! Running scenarios: one [`Simulation`] per scheme, headless replays, and the interactive
//! [`Session`] with history and live editing.

mod history;
mod replay;
mod simulation;

pub use history::Session;
pub use replay::{SchemeRun, replay};
pub use simulation::{Simulation, StepResult};
