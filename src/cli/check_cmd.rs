//! `rmapviz check`: the scenario on the running kernel against the model.

use super::CliError;
use super::args::CheckArgs;
use crate::oracle::EXIT_UNSUPPORTED;
use crate::scenario::Scenario;

#[cfg(target_os = "linux")]
pub fn run(a: CheckArgs) -> Result<u8, CliError> {
    use crate::oracle::{CheckOptions, OracleError, run_check};
    let (scenario, origin) = Scenario::load(&a.scenario)?;
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
            &format!("check {}", a.scenario),
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
        Err(OracleError::Unsupported(m)) => Err(CliError {
            status: EXIT_UNSUPPORTED,
            message: format!("check: this machine does not allow the check: {m}"),
        }),
        Err(OracleError::Failed(m)) => Err(CliError {
            status: crate::oracle::EXIT_DIFFER,
            message: format!("check: {m}"),
        }),
        Err(OracleError::OverLimit(m)) => Err(CliError::input(format!("check: {m}"))),
        Err(OracleError::Busy(m)) => Err(CliError {
            status: crate::oracle::EXIT_BUSY,
            message: format!("check: {m}"),
        }),
    }
}

#[cfg(not(target_os = "linux"))]
pub fn run(a: CheckArgs) -> Result<u8, CliError> {
    // Bad input is still bad input; then the platform answer.
    Scenario::load(&a.scenario)?;
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
