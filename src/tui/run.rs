//! The interactive loop: one thread, `Msg -> update -> draw`. Between keys the app does its
//! background work in slices ([`App::idle`]: the other schemes for the compare table, the
//! neighbouring steps' graphs), so a key is never kept waiting for more than one slice; with
//! nothing left to do it sleeps until a key, a signal or a resize ([`Input::wait`]).

use std::io::Write;
use std::time::Duration;

use super::app::{App, AppOptions};
use super::input::{Input, Wake};
use super::journal::{self, Journal};
use super::render;
use super::signals::Signals;
use super::terminal::{self, Tui};
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
    /// Colour is off (`--color never`, or `NO_COLOR`): the mono theme stays.
    pub colour_off: bool,
    /// Autoplay's speed at the start, milliseconds per step (one of [`super::app::SPEEDS`]; another is
    /// taken as the nearest slower one).
    pub autoplay_ms: u64,
    /// A message for the status line at the start (a configuration file that was not used).
    pub status: Option<String>,
}

/// A slice of background work between keys.
const IDLE_SLICE: Duration = Duration::from_millis(8);

/// Runs the TUI until the user quits. The terminal is restored whatever happens; a signal or a
/// terminal that went away ends the TUI with an error ([`RunError::Signal`], [`RunError::Gone`])
/// after the journal of typed ops is saved.
pub fn run(scenario: Scenario, opts: &RunOptions) -> Result<(), RunError> {
    let mut app = App::interactive(scenario, &opts.origin, &opts.app)?;
    app.mouse = opts.mouse;
    app.colour_off = opts.colour_off;
    app.playback.set_millis(opts.autoplay_ms);
    if opts.journal
        && let Some(dir) = journal::default_dir()
    {
        match Journal::create(&dir, &opts.origin) {
            Ok(j) => {
                let found = journal::orphans(&dir, j.path());
                app.journal = Some(j);
                if !found.notes.is_empty() {
                    app.set_status(found.notes.join("; "), true);
                }
                app.offer_restores(found.orphans);
            }
            Err(e) => app.set_status(
                format!(
                    "typed ops are not journaled ({}: {e}); :w FILE saves them",
                    dir.display()
                ),
                true,
            ),
        }
    }
    // The configuration file's error first, then what the journals said.
    if let Some(text) = &opts.status {
        let text = match &app.status {
            Some(s) => format!("{text}; {}", s.text),
            None => text.clone(),
        };
        app.set_status(text, true);
    }
    // With NO_COLOR crossterm would turn every colour command into an attribute reset; the mono
    // theme sets no colour, and forcing colour output keeps crossterm from rewriting the ones
    // ratatui emits to reset at the end of a frame.
    // A terminal that does not say it shows 24-bit colour gets the nearest of xterm's 256.
    app.set_colour_depth(super::depth::ColourDepth::detect());
    if app.theme().name == super::theme::ThemeName::Mono {
        ratatui::crossterm::style::force_color_output(true);
    }
    let signals = Signals::start(terminal::restore_from_another_thread)?;
    let mut tui = Tui::enter()?;
    let mut input = Input::stdin();
    let result = event_loop(&mut app, &mut tui, &mut input, &signals);
    if result.is_err() && app.dirty {
        // Keep the step too; the ops were journaled as they were typed.
        app.journal_write();
    }
    drop(tui);
    drop(signals);
    if result.is_ok()
        && app.dirty
        && let Some(j) = &app.journal
        && j.exists()
    {
        say(&format!(
            "rmapviz: typed ops were not saved; they are kept in {} and offered at the next start",
            j.path().display()
        ));
    }
    result
}

/// A line on standard error that may well be gone with the terminal (no panic if it is).
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn event_loop(
    app: &mut App,
    tui: &mut Tui,
    input: &mut Input,
    signals: &Signals,
) -> Result<(), RunError> {
    let gone = |e: std::io::Error| RunError::Gone(format!("writing to the terminal: {e}"));
    let mut dirty = true;
    loop {
        tui.set_mouse(app.mouse).map_err(gone)?;
        if dirty {
            let mut info = Default::default();
            tui.terminal
                .draw(|f| info = render::draw_frame(app, f))
                .map_err(gone)?;
            app.set_frame(info);
            dirty = false;
        }
        if app.should_quit() {
            return Ok(());
        }
        let busy = !app.settled();
        // Idle with nothing to do, the loop sleeps in poll(2) until a key or a signal.
        let wait = if busy {
            Some(Duration::ZERO)
        } else if app.playback.playing() {
            Some(Duration::from_millis(50))
        } else {
            None
        };
        match input.wait(signals, wait) {
            Wake::Events(events) => {
                let msgs: Vec<Msg> = events.into_iter().filter_map(Msg::from_event).collect();
                dirty |= !msgs.is_empty();
                app.update_all(msgs);
                continue;
            }
            Wake::Resize => {
                dirty = true;
                continue;
            }
            Wake::Signal(sig) => return Err(RunError::Signal(sig)),
            Wake::Gone(why) => return Err(RunError::Gone(why)),
            Wake::Timeout => {}
        }
        if app.playback.playing() {
            let before = app.step();
            app.update(Msg::Tick);
            // A new step, or autoplay ending (the footer says whether it plays).
            dirty |= app.step() != before || !app.playback.playing();
        }
        if busy {
            dirty |= app.idle(IDLE_SLICE);
        }
    }
}

/// Why the TUI ended other than by the user quitting.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    App(#[from] super::app::AppError),
    #[error("terminal: {0}")]
    Io(#[from] std::io::Error),
    /// SIGTERM, SIGINT or SIGHUP (the number).
    #[error("ended by {}", super::signals::name(*.0))]
    Signal(i32),
    /// The terminal went away (end of input, a read or write error, a hangup).
    #[error("the terminal went away ({0})")]
    Gone(String),
}
