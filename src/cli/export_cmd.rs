//! `rmapviz export`: the graph of one state (the TUI's `view::Graph`) as DOT or JSON.

use super::args::ExportArgs;
use super::output::{GraphFormat, Target};
use super::{CliError, EXIT_OK, resolve_one_scheme};
use crate::export::{dot, graph_json};
use crate::scenario::Scenario;
use crate::session::Simulation;
use crate::view::{self, BuildOptions};

pub fn run(a: ExportArgs) -> Result<u8, CliError> {
    let target = Target::new(&a.output, a.force);
    let format: GraphFormat = target.format(a.format)?;
    target.check_writable()?;
    let scheme = resolve_one_scheme(&a.scheme, "--scheme")?;
    let (scenario, origin) = Scenario::load(&a.input.scenario)?;
    let steps = scenario.steps.len();
    if a.step > steps {
        return Err(CliError::input(format!(
            "step {} is out of range: {origin} has {steps} steps (0 is before the first)",
            a.step
        )));
    }
    let mut sim = Simulation::by_name(scheme).map_err(|e| CliError::input(e.to_string()))?;
    let mut last = None;
    for op in scenario.ops().take(a.step) {
        last = Some(sim.step(op, false));
    }
    let walk = last.as_ref().and_then(|r| r.walk.as_ref());
    let opts = if a.full {
        BuildOptions::full()
    } else {
        BuildOptions::default()
    };
    let graph = view::build_with(&sim.machine, sim.scheme.as_ref(), walk, &opts);
    let op = last.as_ref().map(|r| r.op.to_ron_line());
    let bytes = match format {
        GraphFormat::Dot => {
            let title = match &op {
                Some(op) => format!(
                    "{}\nstep {}/{steps}: {op}\n{scheme}",
                    scenario.title, a.step
                ),
                None => format!(
                    "{}\nstep 0/{steps}: before the first step\n{scheme}",
                    scenario.title
                ),
            };
            dot::to_dot(&graph, &title)
        }
        GraphFormat::Json => graph_json::to_json(
            &graph,
            &graph_json::GraphContext {
                scenario: &scenario.title,
                step: a.step,
                steps,
                op,
                error: last
                    .as_ref()
                    .and_then(|r| r.error.as_ref())
                    .map(ToString::to_string),
            },
        ),
    };
    target.write(bytes.as_bytes())?;
    Ok(EXIT_OK)
}
