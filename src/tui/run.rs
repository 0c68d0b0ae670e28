//! The interactive loop: one thread, `Msg -> update -> draw`. Between keys the app does its
//! background work in slices ([`App::idle`]: the other schemes for the compare table, the
//! neighbouring steps' graphs), so a key is never kept waiting for more than one slice.

use std::time::Duration;

use ratatui::crossterm::event;

use super::app::{App, AppOptions, Mode};
use super::journal::{self, Journal};
use super::render;
use super::terminal::Tui;
use super::update::Msg;
use crate::scenario::Scenario;

/// How the interactive TUI starts.
#[derive(Clone, Debug)]
pub struct RunOptions<'a> {
    pub app: AppOptions<'a>,
    /// Where the scenario came from ("builtin:S3", a path, "new").
    pub origin: String,
    pub mouse: bool,
    /// Journal edits under the user's state directory (off for `--no-journal`).
    pub journal: bool,
}

/// A slice of background work between keys.
const IDLE_SLICE: Duration = Duration::from_millis(8);

/// Runs the TUI until the user quits. Errors are terminal errors; the terminal is restored
/// whatever happens.
pub fn run(scenario: Scenario, opts: &RunOptions) -> Result<(), RunError> {
    let mut app = App::interactive(scenario, &opts.origin, &opts.app)?;
    app.mouse = opts.mouse;
    if opts.journal
        && let Some(path) = journal::default_path()
    {
        let j = Journal::new(path);
        if let Some(e) = j.read() {
            app.mode = Mode::OfferRestore(Box::new(e));
        }
        app.journal = Some(j);
    }
    // With NO_COLOR crossterm would turn every colour command into an attribute reset; the mono
    // theme sets no colour, and forcing colour output keeps crossterm from rewriting the ones
    // ratatui emits to reset at the end of a frame.
    if app.theme().name == super::theme::ThemeName::Mono {
        ratatui::crossterm::style::force_color_output(true);
    }
    let mut tui = Tui::enter()?;
    let result = event_loop(&mut app, &mut tui);
    drop(tui);
    if app.dirty
        && let Some(j) = &app.journal
        && j.read().is_some()
    {
        eprintln!(
            "rmapviz: typed ops were not saved; they are kept in {} and offered at the next start",
            j.path().display()
        );
    }
    result
}

fn event_loop(app: &mut App, tui: &mut Tui) -> Result<(), RunError> {
    let mut dirty = true;
    loop {
        tui.set_mouse(app.mouse)?;
        if dirty {
            let mut info = Default::default();
            tui.terminal.draw(|f| info = render::draw_frame(app, f))?;
            app.frame = info;
            dirty = false;
        }
        if app.should_quit() {
            return Ok(());
        }
        if tui.terminated() {
            app.update(Msg::Terminate);
            continue;
        }
        let busy = !app.settled();
        let wait = if busy {
            Duration::ZERO
        } else if app.playing {
            Duration::from_millis(50)
        } else {
            Duration::from_millis(250)
        };
        if event::poll(wait)? {
            if let Some(m) = Msg::from_event(event::read()?) {
                app.update(m);
                dirty = true;
            }
            continue;
        }
        if app.playing {
            let before = app.step();
            app.update(Msg::Tick);
            dirty |= app.step() != before;
        }
        if busy {
            dirty |= app.idle(IDLE_SLICE);
        }
    }
}

/// Why the TUI could not run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    App(#[from] super::app::AppError),
    #[error("terminal: {0}")]
    Io(#[from] std::io::Error),
}
