//! `rmapviz check`: the scenario on the running kernel against the model.

use super::CliError;
use super::args::CheckArgs;
use crate::oracle::EXIT_UNSUPPORTED;
use crate::scenario::Scenario;

#[cfg(target_os = "linux")]
pub fn run(a: CheckArgs) -> Result<u8, CliError> {
    use crate::oracle::{CheckOptions, run_check};
    let (scenario, origin) = Scenario::load(&a.input.scenario)?;
    let name = match origin.strip_prefix("builtin:") {
        Some(b) => b.to_string(),
        None => origin,
    };
    let opts = CheckOptions {
        reclaim: a.reclaim,
        limits: crate::oracle::Limits {
            file_bytes: a.max_file_bytes,
            touched_bytes: a.max_touched_bytes,
            processes: a.max_processes,
        },
        wait: a.wait.map(std::time::Duration::from_secs),
        progress: crate::progress::Progress::new(
            &format!("check {}", a.input.scenario),
            Some(scenario.steps.len() as u64),
            "step",
        ),
        ..CheckOptions::default()
    };
    let result = run_check(&scenario, &name, &opts);
    opts.progress.finish();
    match result {
        Ok(report) => {
            if a.json {
                super::output::out_bytes(format!("{}\n", report.json()).as_bytes())?;
            } else {
                super::output::out(&report.text())?;
            }
            Ok(report.exit_code())
        }
        Err(e) => Err(oracle_error("check", e)),
    }
}

/// A run on the kernel that could not be done (`check`, `fuzz`), as the exit status and message
/// of `command`.
#[cfg(target_os = "linux")]
pub(super) fn oracle_error(command: &str, e: crate::oracle::OracleError) -> CliError {
    use crate::oracle::{EXIT_BUSY, EXIT_DIFFER, OracleError};
    let (status, message) = match e {
        OracleError::Unsupported(m) => (
            EXIT_UNSUPPORTED,
            format!("this machine does not allow the check: {m}"),
        ),
        OracleError::Failed(m) => (EXIT_DIFFER, m),
        OracleError::OverLimit(m) => return CliError::input(format!("{command}: {m}")),
        OracleError::Busy(m) => (EXIT_BUSY, m),
    };
    CliError {
        status,
        message: format!("{command}: {message}"),
    }
}

#[cfg(not(target_os = "linux"))]
pub fn run(a: CheckArgs) -> Result<u8, CliError> {
    // Bad input is still bad input; then the platform answer.
    Scenario::load(&a.input.scenario)?;
    Err(CliError {
        status: EXIT_UNSUPPORTED,
        message: "check: not supported on this platform (it runs the scenario on the Linux kernel)"
            .into(),
    })
}

/// The hidden driven-process mode (see `oracle::driven`).
#[cfg(target_os = "linux")]
pub fn driven() -> Result<u8, CliError> {
    crate::oracle::driven::driven_main()
}

#[cfg(not(target_os = "linux"))]
pub fn driven() -> Result<u8, CliError> {
    Err(CliError {
        status: EXIT_UNSUPPORTED,
        message: "not supported on this platform".into(),
    })
}
