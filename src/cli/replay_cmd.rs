//! `rmapviz replay`.
//!
//! The text report is written as the steps are replayed, one scheme after the other: what is
//! kept is one scheme's state, the last step's totals and the refused steps, so that a scenario
//! of a million steps costs its state, not a million results times ten schemes. The JSON
//! document is one value and is built whole.

use super::args::ReplayArgs;
use super::output::{out, out_bytes, say};
use super::{CliError, EXIT_OK, EXIT_STEP_FAILED, resolve_schemes, steps_progress};
use crate::progress::Progress;
use crate::report::{json, text};
use crate::scenario::Scenario;
use crate::session::{Simulation, replay_observed};

/// Text is written to standard output in pieces of about this many bytes.
const CHUNK: usize = 1 << 16;

pub fn run(a: ReplayArgs) -> Result<u8, CliError> {
    let schemes = resolve_schemes(&a.input.scheme)?;
    let (scenario, _origin) = Scenario::load(&a.input.scenario)?;
    let progress = steps_progress("replay", &a.input.scenario, &scenario, schemes.len());
    if a.json {
        let runs: Vec<_> = schemes
            .iter()
            .filter_map(|s| {
                progress.set_message(*s);
                replay_observed(&scenario, s, a.state, &mut || progress.inc(1)).map(|(run, _)| run)
            })
            .collect();
        progress.finish();
        out_bytes(format!("{}\n", json::replay_json(&scenario.title, &runs)).as_bytes())?;
        let failed = runs.iter().any(|r| r.failures() > 0);
        return Ok(if failed { EXIT_STEP_FAILED } else { EXIT_OK });
    }
    let mut refused = Vec::new();
    let mut buf = format!("{}\n", scenario.title);
    for s in &schemes {
        let Ok(mut sim) = Simulation::by_name(s) else {
            continue;
        };
        progress.set_message(*s);
        buf.push('\n');
        buf.push_str(&text::run_head(sim.scheme_name()));
        let mut last = None;
        let mut failures = 0;
        for (i, op) in scenario.ops().enumerate() {
            let r = sim.step(op, a.state);
            progress.inc(1);
            buf.push_str(&text::step_line(i, &r, a.events));
            buf.push('\n');
            if let Some(e) = &r.error {
                failures += 1;
                refused.push(format!(
                    "rmapviz: {}: step {} ({}): {e}",
                    sim.scheme_name(),
                    i + 1,
                    r.op.to_ron_line()
                ));
            }
            if buf.len() >= CHUNK {
                write(&progress, &mut buf)?;
            }
            last = Some(r.totals);
        }
        buf.push_str(&text::run_end(last.as_ref(), failures));
    }
    write(&progress, &mut buf)?;
    progress.finish();
    for line in &refused {
        say(line);
    }
    Ok(if refused.is_empty() {
        EXIT_OK
    } else {
        EXIT_STEP_FAILED
    })
}

/// Writes `buf` to standard output with the progress bar out of the way, and empties it.
fn write(progress: &Progress, buf: &mut String) -> Result<(), CliError> {
    progress.suspend(|| out(buf))?;
    buf.clear();
    Ok(())
}
