//! `rmapviz trace -- COMMAND`: a real program recorded as a scenario.

use std::collections::BTreeMap;

use super::args::TraceArgs;
use super::output::{Target, say};
use super::{CliError, EXIT_OK};
use crate::oracle::EXIT_UNSUPPORTED;
use crate::scenario::Scenario;
use crate::session::Simulation;
use crate::trace::{Caps, ProgramOutput, Trace, TraceError, TraceOptions, trace};

/// Exit status: the check found differences, or the trace was cut short.
const EXIT_DIFFER: u8 = 1;

/// What the scenario holds, for the summary: steps per op, processes, the most vmas alive at
/// once, pages made; and the schemes that refused a step.
///
/// This replays the trace eleven times, seconds for a big one, so it shows progress. The trace
/// itself does not: the traced program writes on the same terminal, and a progress line redrawn
/// there would erase the program's last line.
fn summary(s: &Scenario) -> (String, Vec<String>) {
    let names = crate::schemes::scheme_names();
    let progress = crate::progress::Progress::new(
        "trace: replaying the recording",
        Some((1 + names.len() as u64) * s.steps.len() as u64),
        "step",
    );
    let mut ops: BTreeMap<&str, usize> = BTreeMap::new();
    for op in s.ops() {
        *ops.entry(op.name()).or_default() += 1;
    }
    let mut sim = Simulation::by_name("modern").expect("modern is a scheme");
    let (mut vmas, mut ptes) = (0u64, 0u64);
    for op in s.ops() {
        let r = sim.step(op, false);
        progress.inc(1);
        vmas = vmas.max(r.totals.vmas);
        ptes = ptes.max(r.totals.ptes);
    }
    let made = sim.machine.pages.made();
    let ops_text = ops
        .iter()
        .map(|(k, v)| format!("{v} {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        "{} steps ({ops_text}); at most {vmas} vmas and {ptes} ptes at once; {made} pages made",
        s.steps.len()
    );
    let mut refused = Vec::new();
    for name in names {
        progress.set_message(name);
        let Ok(mut sim) = Simulation::by_name(name) else {
            continue;
        };
        let n = s
            .ops()
            .filter(|op| {
                progress.inc(1);
                sim.step(op, false).error.is_some()
            })
            .count();
        if n > 0 {
            refused.push(format!("{name}: {n} refused"));
        }
    }
    progress.finish();
    (text, refused)
}

fn report(t: &Trace, a: &TraceArgs, to_stdout: bool) -> u8 {
    let mut status = EXIT_OK;
    say(&format!("rmapviz: the traced program {}", t.ending));
    if t.ending.cut_short() {
        say("rmapviz: the scenario holds what was recorded until then");
        status = EXIT_DIFFER;
    }
    let (text, refused) = summary(&t.scenario);
    say(&format!("rmapviz: recorded {text}"));
    say(&format!(
        "rmapviz: {} memory and process system calls, {} files mapped",
        t.stats.syscalls,
        t.files.len()
    ));
    if refused.is_empty() {
        say("rmapviz: it replays under every scheme with no refused step");
    } else {
        say(&format!(
            "rmapviz: some schemes refuse steps of it: {}",
            refused.join("; ")
        ));
    }
    for (w, n) in &t.stats.warnings {
        say(&format!("rmapviz: not recorded ({n}x): {w}"));
    }
    if !t.access.frames {
        say(&format!(
            "rmapviz: {}",
            t.access
                .missing
                .as_deref()
                .unwrap_or("frame numbers were not visible")
        ));
        say(
            "rmapviz: without frame numbers, which ptes share a page is only partly known: \
             copy-on-write copies are told by the exclusive bit",
        );
    }
    if let Some(c) = &t.check {
        let text = c.text(a.check_all);
        if to_stdout {
            print!("{text}");
        } else {
            for line in text.lines() {
                say(line);
            }
        }
        if c.points.iter().any(|p| !p.agrees()) {
            status = EXIT_DIFFER;
        }
    }
    status
}

pub fn run(a: TraceArgs) -> Result<u8, CliError> {
    let target = a
        .output
        .as_deref()
        .map_or(Target::Stdout, |p| Target::new(p, a.force));
    target.check_writable()?;
    let scenario_on_stdout = target == Target::Stdout;
    let opts = TraceOptions {
        check: a.check,
        watch_signals: true,
        // The scenario on standard output: the program's output must not go there.
        output: if scenario_on_stdout {
            ProgramOutput::Stderr
        } else {
            ProgramOutput::Inherit
        },
        caps: Caps {
            steps: a.max_steps,
            vmas: a.max_vmas,
            pages: a.max_pages,
            processes: a.max_processes,
        },
    };
    say(&format!(
        "rmapviz: tracing `{}`",
        crate::trace::quote_command(&a.command)
    ));
    let t = match trace(&a.command, &opts) {
        Ok(t) => t,
        Err(TraceError::Unsupported(m)) => {
            return Err(CliError {
                status: EXIT_UNSUPPORTED,
                message: format!("trace: this machine does not allow tracing: {m}"),
            });
        }
        Err(e) => {
            return Err(CliError {
                status: EXIT_DIFFER,
                message: format!("trace: {e}"),
            });
        }
    };
    target.write(t.scenario.to_ron().as_bytes())?;
    if !scenario_on_stdout {
        say(&format!("rmapviz: wrote {}", target.name()));
    }
    Ok(report(&t, &a, !scenario_on_stdout))
}
