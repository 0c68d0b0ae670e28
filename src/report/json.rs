//! The JSON of `replay --json` (exact keys, integers as JSON integers).

use serde::Serialize;
use serde_json::Value;

use super::walk_json::WalkJson;
use crate::model::{PteVal, Totals};
use crate::session::{SchemeRun, StepResult};

#[derive(Serialize)]
struct ReplayJson<'a> {
    scenario: &'a str,
    schemes: Vec<SchemeJson<'a>>,
}

#[derive(Serialize)]
struct SchemeJson<'a> {
    scheme: &'static str,
    steps: Vec<StepJson<'a>>,
}

#[derive(Serialize)]
struct StepJson<'a> {
    index: usize,
    op: String,
    error: Option<String>,
    events: Vec<String>,
    walk: Option<WalkJson<'a>>,
    totals: Totals,
    #[serde(skip_serializing_if = "Option::is_none")]
    ptes: Option<Vec<PteJson>>,
}

#[derive(Serialize)]
struct PteJson {
    pid: u32,
    addr: u64,
    page: Value,
}

fn step_json(index: usize, s: &StepResult) -> StepJson<'_> {
    StepJson {
        index,
        op: s.op.to_ron_line(),
        error: s.error.as_ref().map(ToString::to_string),
        events: s.events.clone(),
        walk: s.walk.as_ref().map(WalkJson::new),
        totals: s.totals.clone(),
        ptes: s.ptes.as_ref().map(|ptes| {
            ptes.iter()
                .filter_map(|&(pid, addr, v)| {
                    let page = match v {
                        PteVal::Page { page, .. } => Value::from(page.to_string()),
                        PteVal::Zero { .. } => Value::from("zero"),
                        PteVal::Swap { slot, .. } => Value::from(slot.to_string()),
                        PteVal::None => return None,
                    };
                    Some(PteJson { pid, addr, page })
                })
                .collect()
        }),
    }
}

/// The replay document for `runs` of the scenario titled `title`.
pub fn replay_json(title: &str, runs: &[SchemeRun]) -> String {
    let doc = ReplayJson {
        scenario: title,
        schemes: runs
            .iter()
            .map(|r| SchemeJson {
                scheme: r.scheme,
                steps: r
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(i, s)| step_json(i, s))
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
