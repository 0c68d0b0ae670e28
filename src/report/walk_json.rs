//! A walk as JSON: the one shape that `replay --json` writes for a step's walk and that
//! `export --format json` writes for the walk of the graph shown, documented in README.md. The
//! graph export adds the node each part of the walk landed on (`page_node`, `object_node`, a
//! candidate's `node`: an id, or null where the graph does not show it); the replay, which has
//! no graph, leaves those keys out.

use serde::Serialize;

use crate::model::{Lost, Visit, Walk};

/// The graph nodes a walk landed on (see [`WalkJson::with_nodes`]).
pub struct WalkNodes<'a> {
    pub page: Option<&'a str>,
    pub object: Option<&'a str>,
    /// The node of each candidate, in visiting order.
    pub candidates: Vec<Option<&'a str>>,
}

/// A walk, ready for serde.
#[derive(Serialize)]
pub struct WalkJson<'a> {
    kind: &'static str,
    /// The page id as the TUI and `export` write it (`p2`).
    page: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    page_node: Option<Option<&'a str>>,
    /// The rmap object the walk started from, as the scheme keys it (`av1`).
    object: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    object_node: Option<Option<&'a str>>,
    mapcount: u32,
    candidates: Vec<CandidateJson<'a>>,
    lost: &'a [Lost],
    hit: u32,
    miss: u32,
    out: u32,
    skip: u32,
    unmapped_all: bool,
}

#[derive(Serialize)]
struct CandidateJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    node: Option<Option<&'a str>>,
    #[serde(flatten)]
    visit: &'a Visit,
}

impl<'a> WalkJson<'a> {
    /// The walk alone (`replay --json`).
    pub fn new(w: &'a Walk) -> WalkJson<'a> {
        WalkJson {
            kind: w.kind.as_str(),
            page: w.page.to_string(),
            page_node: None,
            object: &w.object,
            object_node: None,
            mapcount: w.mapcount,
            candidates: w
                .visits
                .iter()
                .map(|visit| CandidateJson { node: None, visit })
                .collect(),
            lost: &w.lost,
            hit: w.hit,
            miss: w.miss,
            out: w.out,
            skip: w.skip,
            unmapped_all: w.unmapped_all,
        }
    }

    /// The walk with the graph nodes it landed on (`export --format json`).
    pub fn with_nodes(w: &'a Walk, nodes: WalkNodes<'a>) -> WalkJson<'a> {
        let mut j = WalkJson::new(w);
        j.page_node = Some(nodes.page);
        j.object_node = Some(nodes.object);
        for (k, c) in j.candidates.iter_mut().enumerate() {
            c.node = Some(nodes.candidates.get(k).copied().flatten());
        }
        j
    }
}
