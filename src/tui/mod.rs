//! The interactive terminal UI (issue 5): one thread, `Msg -> update -> draw`.
//!
//! - [`app`]: the state, and [`App::headless`] for drawing without a terminal (its work between
//!   keys in `app/idle.rs`); `cache`: the step views kept for the steps shown last;
//! - [`update`]: messages (keys, mouse, ticks) and what they do; [`command`]: the `:` line;
//!   `edit`: typed ops and deletions, undo and redo; [`quiz`]: the quiz key;
//!   `mouse`: clicks and the wheel; [`scroll`]: the side panes' offsets and the graph's pages;
//!   [`overlay`]: the text pages over the screen (a difference between steps, the claims);
//!   [`panes`]: which panes a screen shows (presenter mode, slides);
//! - [`keymap`]: the one key table behind dispatch, footer and help; [`keynames`]: how its keys
//!   are written in the footer and the help;
//! - [`render`]: one function per pane, pure reads of the app;
//! - [`theme`]: colours by role ([`depth`]: as the terminal can show them); [`journal`]: the crash-safe record of live edits (`restore`: offering the journals of ended sessions);
//! - [`terminal`], [`input`], [`signals`] and [`run`]: the terminal's lifecycle, its input,
//!   the signals and the event loop (the only places that touch the terminal).

pub mod app;
mod cache;
pub mod command;
pub mod depth;
mod edit;
pub mod input;
pub mod journal;
pub mod keymap;
pub mod keynames;
mod mouse;
pub mod overlay;
pub mod panes;
pub mod quiz;
pub mod render;
mod restore;
pub mod run;
pub mod scroll;
pub mod signals;
pub mod terminal;
pub mod theme;
pub mod update;

pub use app::{App, AppError, AppOptions, DEFAULT_SCHEME, GraphWork};
pub use run::{RunError, RunOptions, run};
pub use theme::{Theme, ThemeName};
pub use update::Msg;
