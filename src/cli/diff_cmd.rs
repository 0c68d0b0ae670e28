//! `rmapviz diff`: what changed under one scheme between the states after two steps.

use super::args::DiffArgs;
use super::output::{out, out_bytes};
use super::{CliError, EXIT_OK, resolve_one_scheme};
use crate::report::diff;
use crate::scenario::{Scenario, opline};
use crate::session::Session;

pub fn run(a: DiffArgs) -> Result<u8, CliError> {
    let scheme = resolve_one_scheme(&a.scheme, "--scheme")?;
    let (scenario, origin) = Scenario::load(&a.input.scenario)?;
    let len = scenario.steps.len();
    let to = a.to.unwrap_or(len);
    let from = a.from.unwrap_or(to.saturating_sub(1));
    for (flag, step) in [("--to", to), ("--from", from)] {
        if step > len {
            return Err(CliError::input(format!(
                "{flag} {step}: step out of range: {origin} has {len} steps (1 to {len}; 0 is before the first)"
            )));
        }
    }
    let title = scenario.title.clone();
    let state = |i: usize| match i.checked_sub(1) {
        None => "the start".to_string(),
        Some(k) => format!("step {i} ({})", opline::format(&scenario.steps[k].op)),
    };
    let head = format!(
        "{title}\nunder {scheme}, from {} to {}:",
        state(from),
        state(to)
    );
    let mut session = Session::lazy(scenario.clone(), &[scheme]);
    let d = session
        .diff(0, from, to)
        .map_err(|e| CliError::input(format!("{origin}: {e}")))?;
    if a.json {
        out_bytes(diff::to_json(&d, &title, scheme, from, to).as_bytes())?;
    } else {
        let mut text = head;
        text.push('\n');
        for l in diff::lines(&d, a.limit.max(1)) {
            text.push_str(&l);
            text.push('\n');
        }
        out(&text)?;
    }
    Ok(EXIT_OK)
}
