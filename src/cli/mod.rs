//! The command line: argument definitions and the headless commands.

mod args;
mod check_cmd;
mod claims_cmd;
mod compare_cmd;
mod completions_cmd;
mod config_cmd;
mod diff_cmd;
mod export_cmd;
mod fuzz_cmd;
mod gen_cmd;
mod headless;
mod keys;
mod list;
mod man_cmd;
mod output;
mod quiz_cmd;
mod record_cmd;
mod replay_cmd;
pub mod settings;
mod shot_cmd;
mod trace_cmd;
pub mod tui_cmd;

pub use args::{
    CheckArgs, ClaimsArgs, Cli, Command, CompareArgs, CompletionsArgs, ConfigArgs, DiffArgs,
    ExportArgs, FuzzArgs, GenCommand, ManArgs, PrefArgs, RecordArgs, ReplayArgs, ShotArgs,
    StormArgs, TraceArgs, TuiArgs,
};
pub use headless::ViewArgs;
pub use output::{GraphFormat, ShotFormat, Target, escape_controls, parse_size, say};

use std::fmt;

use crate::schemes::UnknownScheme;

/// Exit status: every step applied.
pub const EXIT_OK: u8 = 0;
/// Exit status: some step was refused (reported).
pub const EXIT_STEP_FAILED: u8 = 1;
/// Exit status: unreadable or malformed input, bad arguments.
pub const EXIT_BAD_INPUT: u8 = 2;

/// An error that ends the command with a message and an exit status.
#[derive(Debug)]
pub struct CliError {
    pub status: u8,
    pub message: String,
}

impl CliError {
    pub fn input(message: impl Into<String>) -> Self {
        CliError {
            status: EXIT_BAD_INPUT,
            message: message.into(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<crate::scenario::ScenarioError> for CliError {
    fn from(e: crate::scenario::ScenarioError) -> Self {
        CliError::input(e.to_string())
    }
}

/// Runs a headless command; returns the exit status.
pub fn run(cmd: Command) -> Result<u8, CliError> {
    match cmd {
        Command::Replay(a) => replay_cmd::run(a),
        Command::Compare(a) => compare_cmd::run(a),
        Command::Scenarios => list::scenarios(),
        Command::Schemes => list::schemes(),
        Command::Gen(g) => gen_cmd::run(g),
        Command::Export(a) => export_cmd::run(a),
        Command::Shot(a) => shot_cmd::run(a),
        Command::Diff(a) => diff_cmd::run(a),
        Command::Record(a) => record_cmd::run(a),
        Command::Check(a) => check_cmd::run(a),
        Command::Claims(a) => claims_cmd::run(a),
        Command::Quiz(a) => quiz_cmd::run(a),
        Command::Trace(a) => trace_cmd::run(a),
        Command::Config(a) => config_cmd::run(a),
        Command::Completions(a) => completions_cmd::run(a),
        Command::Man(a) => man_cmd::run(a),
        Command::Fuzz(a) => fuzz_cmd::run(a),
        Command::DrivenProcess => check_cmd::driven(),
    }
}

/// Resolves `--scheme` values ("all" or names) to scheme names, or says which are valid.
pub fn resolve_schemes(names: &[String]) -> Result<Vec<&'static str>, CliError> {
    let mut out = Vec::new();
    for n in names {
        if n.eq_ignore_ascii_case("all") {
            for s in crate::schemes::scheme_names() {
                if !out.contains(&s) {
                    out.push(s);
                }
            }
            continue;
        }
        let info = crate::schemes::find_scheme(n)
            .map_err(|e| CliError::input(UnknownScheme { all: true, ..e }.to_string()))?;
        if !out.contains(&info.name) {
            out.push(info.name);
        }
    }
    Ok(out)
}

/// Resolves the value of `flag` (`--scheme`, `--compare`) that must name exactly one scheme: the
/// resolver of the configuration file's `scheme` and `compare` too ([`crate::schemes::find_scheme`]),
/// so both accept and refuse the same names.
pub fn resolve_one_scheme(name: &str, flag: &str) -> Result<&'static str, CliError> {
    if name.eq_ignore_ascii_case("all") || name.contains(',') {
        return Err(CliError::input(format!(
            "{flag} takes one scheme here, not \"{name}\" (one of: {})",
            crate::schemes::scheme_names().join(", ")
        )));
    }
    crate::schemes::find_scheme(name)
        .map(|info| info.name)
        .map_err(|e| CliError::input(e.to_string()))
}

/// The progress of `command` replaying every step of `scenario` (named `name` as typed) under
/// `schemes` schemes.
fn steps_progress(
    command: &str,
    name: &str,
    scenario: &crate::scenario::Scenario,
    schemes: usize,
) -> crate::progress::Progress {
    let total = scenario.steps.len() as u64 * schemes as u64;
    crate::progress::Progress::new(&format!("{command} {name}"), Some(total), "step")
}
