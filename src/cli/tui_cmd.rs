//! `rmapviz [FILE_OR_BUILTIN]`: the interactive TUI.

use std::io::IsTerminal;

use super::args::TuiArgs;
use super::{CliError, EXIT_BAD_INPUT, EXIT_OK};
use crate::scenario::{DEFAULT_BUILTIN, Scenario};
use crate::tui::{AppOptions, RunError, RunOptions, ThemeName, theme};

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
    let colour_off = theme::colour_disabled(a.color.as_deref());
    let theme = if colour_off {
        ThemeName::Mono
    } else {
        a.theme
            .parse::<ThemeName>()
            .map_err(|e| CliError::input(e.to_string()))?
    };
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(CliError::input(
            "the interactive TUI needs a terminal; for output to a file or a pipe use `rmapviz replay`",
        ));
    }
    let opts = RunOptions {
        app: AppOptions {
            scheme: &a.scheme,
            compare: a.compare.as_deref(),
            step: a.step,
            theme,
            ascii: a.ascii,
            walk_candidate: None,
        },
        origin,
        mouse: a.mouse,
        journal: !a.no_journal,
        colour_off,
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
