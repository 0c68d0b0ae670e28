//! `rmapviz [FILE_OR_BUILTIN]`: the interactive TUI.

use std::io::IsTerminal;

use super::args::TuiArgs;
use super::output::say;
use super::settings::Settings;
use super::{CliError, EXIT_BAD_INPUT, EXIT_OK};
use crate::scenario::{DEFAULT_BUILTIN, Scenario};
use crate::tui::{AppOptions, RunError, RunOptions};

/// Exit status of the TUI when its terminal went away without a signal (EOF or an error on the
/// terminal): the status of a hangup (128 + SIGHUP).
pub const EXIT_TERMINAL_GONE: u8 = 129;

pub fn run(scenario: Option<String>, a: &TuiArgs) -> Result<u8, CliError> {
    let (scenario, origin) = if a.new {
        if scenario.is_some() {
            return Err(CliError::input(
                "--new starts from an empty scenario: name no scenario with it",
            ));
        }
        (Scenario::empty("a new scenario"), "new".to_string())
    } else {
        let name = scenario.unwrap_or_else(|| DEFAULT_BUILTIN.to_string());
        let (sc, origin) = Scenario::load(&name)?;
        let origin = if std::path::Path::new(&name).is_file() {
            name
        } else {
            origin
        };
        (sc, origin)
    };
    let settings = Settings::resolve(&a.prefs)?;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(CliError::input(
            "the interactive TUI needs a terminal; for output to a file or a pipe use `rmapviz replay`",
        ));
    }
    // A bad configuration file never keeps the TUI from starting: it starts with the defaults
    // (and the flags), says so here (seen after it ends) and in its status line.
    let mut status = None;
    if let Some(e) = settings.file_error() {
        say(&format!("rmapviz: {e} (config file not used)"));
        status = Some(format!("config file not used: {e}"));
    }
    for note in &settings.notes {
        say(&format!("rmapviz: {note}"));
        status.get_or_insert_with(|| note.clone());
    }
    let opts = RunOptions {
        app: AppOptions {
            scheme: settings.scheme.value,
            compare: settings.compare.value,
            step: a.step,
            theme: settings.drawn_theme(),
            ascii: settings.ascii.value,
            walk_candidate: None,
        },
        origin,
        mouse: settings.mouse.value,
        journal: !a.no_journal,
        colour_off: settings.colour_off.value,
        autoplay_ms: settings.autoplay_ms.value,
        status,
    };
    crate::tui::run(scenario, &opts).map_err(|e| {
        let status = match &e {
            // As a shell reports a process ended by the signal.
            RunError::Signal(sig) => 128u8.saturating_add(*sig as u8),
            RunError::Gone(_) => EXIT_TERMINAL_GONE,
            RunError::App(_) | RunError::Io(_) => EXIT_BAD_INPUT,
        };
        CliError {
            status,
            message: e.to_string(),
        }
    })?;
    Ok(EXIT_OK)
}
