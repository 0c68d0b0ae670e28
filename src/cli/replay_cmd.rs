//! `rmapviz replay`.

use super::args::ReplayArgs;
use super::output::{out, out_bytes, say};
use super::{CliError, EXIT_OK, EXIT_STEP_FAILED, resolve_schemes, steps_progress};
use crate::report::{json, text};
use crate::scenario::Scenario;
use crate::session::replay_observed;

pub fn run(a: ReplayArgs) -> Result<u8, CliError> {
    let schemes = resolve_schemes(&a.scheme)?;
    let (scenario, _origin) = Scenario::load(&a.scenario)?;
    let progress = steps_progress("replay", &a.scenario, &scenario, schemes.len());
    let runs: Vec<_> = schemes
        .iter()
        .filter_map(|s| {
            progress.set_message(*s);
            replay_observed(&scenario, s, a.state, &mut || progress.inc(1)).map(|(run, _)| run)
        })
        .collect();
    progress.finish();
    if a.json {
        out_bytes(format!("{}\n", json::replay_json(&scenario.title, &runs)).as_bytes())?;
    } else {
        out(&format!("{}\n", scenario.title))?;
        for r in &runs {
            out(&format!("\n{}", text::run_text(r, a.events)))?;
        }
    }
    let failed = runs.iter().any(|r| r.failures() > 0);
    if failed && !a.json {
        for r in &runs {
            for (i, s) in r.steps.iter().enumerate() {
                if let Some(e) = &s.error {
                    say(&format!(
                        "rmapviz: {}: step {} ({}): {e}",
                        r.scheme,
                        i + 1,
                        s.op.to_ron_line()
                    ));
                }
            }
        }
    }
    Ok(if failed { EXIT_STEP_FAILED } else { EXIT_OK })
}
