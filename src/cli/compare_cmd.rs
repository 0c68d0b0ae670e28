//! `rmapviz compare`.

use super::args::CompareArgs;
use super::output::{out, out_bytes, say};
use super::{CliError, EXIT_OK, EXIT_STEP_FAILED, resolve_schemes, steps_progress};
use crate::report::{compare::compare_text, json};
use crate::scenario::Scenario;
use crate::session::{Comparison, SchemeRun};

pub fn run(a: CompareArgs) -> Result<u8, CliError> {
    let schemes = resolve_schemes(&a.input.scheme)?;
    let (scenario, _origin) = Scenario::load(&a.input.scenario)?;
    let progress = steps_progress("compare", &a.input.scenario, &scenario, schemes.len());
    let c = Comparison::observed(&scenario, &schemes, &mut || progress.inc(1));
    progress.finish();
    if a.json {
        let runs: Vec<SchemeRun> = c.runs.iter().map(|r| r.run.clone()).collect();
        out_bytes(format!("{}\n", json::replay_json(&scenario.title, &runs)).as_bytes())?;
    } else {
        out(&compare_text(&scenario, &c))?;
    }
    if c.any_refused() {
        if !a.json {
            let n = c.runs.iter().map(|r| r.run.failures()).sum::<usize>();
            say(&format!(
                "rmapviz: {n} step{} refused (listed in the table)",
                if n == 1 { " was" } else { "s were" }
            ));
        }
        return Ok(EXIT_STEP_FAILED);
    }
    Ok(EXIT_OK)
}
