//! `rmapviz fuzz`: random scenarios on the running kernel against the model.

use super::CliError;
use super::args::FuzzArgs;
use crate::fuzz::{FuzzOptions, FuzzSummary};
#[cfg(not(target_os = "linux"))]
use crate::oracle::EXIT_UNSUPPORTED;

fn options(a: &FuzzArgs) -> Result<FuzzOptions, CliError> {
    if !a.out.is_dir() {
        return Err(CliError::input(format!(
            "fuzz: --out {}: not a directory (the shrunk scenarios are written there)",
            a.out.display()
        )));
    }
    Ok(FuzzOptions {
        seed: a.seed,
        count: a.count,
        max_steps: a.max_steps as usize,
        reclaim: a.reclaim,
        out_dir: a.out.clone(),
        driven_exe: None,
        inject: None,
    })
}

/// The closing summary.
fn summary_text(o: &FuzzOptions, s: &FuzzSummary, secs: f64) -> String {
    let ops: Vec<String> = s.ops.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let mut out = format!(
        "fuzz: `{}` on Linux {}: {} scenarios, {} steps in {secs:.1} s ({:.0} scenarios a minute): \
         {} agree, {} not checked, {} refused by the model and compared for the error\n\
         ops: {}\n",
        crate::fuzz::command_line(o),
        s.kernel_release,
        s.scenarios,
        s.steps,
        s.scenarios as f64 * 60.0 / secs.max(1e-9),
        s.agree,
        s.not_checked,
        s.refused,
        ops.join(", ")
    );
    out.push_str(&format!(
        "{} disagreement{}\n",
        s.findings.len(),
        if s.findings.len() == 1 { "" } else { "s" }
    ));
    for f in &s.failures {
        out.push_str(&format!("check failed: {f}\n"));
    }
    for m in &s.missing {
        out.push_str(&format!("not a full check: {m}\n"));
    }
    out
}

/// What a finding says on standard output: the scenario, how far it shrank, its first
/// difference and where it was written.
#[cfg(target_os = "linux")]
fn finding_text(f: &crate::fuzz::Finding) -> String {
    format!(
        "scenario {}: {} step{}{}: step {} ({}) differs: {}\n  wrote {}",
        f.index,
        f.scenario.steps.len(),
        if f.scenario.steps.len() == 1 { "" } else { "s" },
        if f.reproduced {
            format!(" (shrunk from {})", f.generated_steps)
        } else {
            " (not reproduced by a second check: not shrunk)".to_string()
        },
        f.signature.step + 1,
        f.scenario
            .steps
            .get(f.signature.step)
            .map_or_else(String::new, |s| s.op.to_ron_line()),
        f.difference,
        f.file.display()
    )
}

/// Runs the fuzzing. Progress (scenario n of N, and what is being shrunk) goes through
/// [`crate::progress`]: on standard error when it is a terminal, never with `--quiet` or when
/// piped. The findings and the summary go to standard output.
#[cfg(target_os = "linux")]
pub fn run(a: FuzzArgs) -> Result<u8, CliError> {
    use crate::fuzz::run::Event;

    let o = options(&a)?;
    let progress =
        crate::progress::Progress::new(&format!("fuzz seed {}", o.seed), Some(o.count), "scenario");
    let start = std::time::Instant::now();
    let mut on_event = |e: Event<'_>| match e {
        Event::Checked { done, summary } => {
            progress.set_position(done);
            let n = summary.findings.len();
            progress.set_message(format!(
                "{} steps, {n} disagreement{}",
                summary.steps,
                if n == 1 { "" } else { "s" }
            ));
        }
        Event::Shrinking { index, signature } => {
            progress.set_message(format!(
                "scenario {index}: step {} ({}) differs ({}): checking it again and shrinking",
                signature.step + 1,
                signature.op,
                signature.what
            ));
        }
        Event::Found(f) => progress.suspend(|| println!("{}", finding_text(f))),
    };
    let result = crate::fuzz::run(&o, &mut on_event);
    progress.finish();
    match result {
        Ok(s) => {
            print!("{}", summary_text(&o, &s, start.elapsed().as_secs_f64()));
            Ok(s.exit_code())
        }
        Err(e) => Err(super::check_cmd::oracle_error("fuzz", e)),
    }
}

#[cfg(not(target_os = "linux"))]
pub fn run(a: FuzzArgs) -> Result<u8, CliError> {
    options(&a)?;
    Err(CliError {
        status: EXIT_UNSUPPORTED,
        message: "fuzz: not supported on this platform (it runs scenarios on the Linux kernel)"
            .into(),
    })
}
