#![allow(dead_code)]
//! Helpers shared by the integration tests.

pub mod dir;
pub mod model;
pub mod screen;

use rmapviz::model::{Outcome, Walk};
use rmapviz::scenario::Scenario;
use rmapviz::session::{SchemeRun, replay};

/// Replays a built-in scenario under one scheme.
pub fn run(builtin: &str, scheme: &str) -> SchemeRun {
    let (s, _) = Scenario::load(builtin).expect("built-in scenario loads");
    replay(&s, scheme, false).expect("scheme exists")
}

/// Replays a scenario given as RON text under one scheme.
pub fn run_ron(text: &str, scheme: &str) -> SchemeRun {
    let s = Scenario::parse(text, "test.ron").expect("test scenario parses");
    replay(&s, scheme, false).expect("scheme exists")
}

/// The walks of a run, in step order.
pub fn walks(r: &SchemeRun) -> Vec<Walk> {
    r.steps.iter().filter_map(|s| s.walk.clone()).collect()
}

/// (pid, outcome) of every visited candidate.
pub fn visits(w: &Walk) -> Vec<(u32, Outcome)> {
    w.visits.iter().map(|v| (v.pid, v.outcome)).collect()
}

/// (hit, miss, out, skip, lost)
pub fn counts(w: &Walk) -> (u32, u32, u32, u32, usize) {
    (w.hit, w.miss, w.out, w.skip, w.lost.len())
}

#[allow(unused_imports)]
pub use Outcome::{Hit as H, Miss as M, Out as O, Skip as S};

/// The simulation after every step of a built-in scenario or a RON text, for a closer look.
pub fn sim_after(builtin_or_ron: &str, scheme: &str) -> rmapviz::session::Simulation {
    let s = match Scenario::load(builtin_or_ron) {
        Ok((s, _)) => s,
        Err(_) => Scenario::parse(builtin_or_ron, "test scenario").expect("test scenario parses"),
    };
    let mut sim = rmapviz::session::Simulation::by_name(scheme).expect("scheme exists");
    for op in s.ops() {
        sim.step(op, false);
    }
    sim
}

/// Every event line of step `i`, joined by newlines.
pub fn events(r: &SchemeRun, i: usize) -> String {
    r.steps[i].events.join("\n")
}

/// Steps every built-in scenario under every implemented scheme, calling `f` after each step
/// with where it is ("modern: S3 step 4 Fork ..."), the state and the step's result.
pub fn each_builtin_step(
    mut f: impl FnMut(&str, &rmapviz::session::Simulation, &rmapviz::session::StepResult),
) {
    for b in rmapviz::scenario::BUILTINS.iter() {
        let scenario = Scenario::parse(b.source, b.name).expect("built-in scenario parses");
        for name in rmapviz::schemes::scheme_names() {
            let mut sim = rmapviz::session::Simulation::by_name(name).expect("implemented");
            for (i, op) in scenario.ops().enumerate() {
                let r = sim.step(op, false);
                f(&format!("{name}: {} step {} {op}", b.name, i + 1), &sim, &r);
            }
        }
    }
}

/// True when a test that needs the machine's kernel (`reason` is None) should run; otherwise
/// prints why it is skipped, or fails under CI (`RMAPVIZ_REQUIRE_ORACLE=1`, set by `.ci/run`).
pub fn kernel_test_may_run(test: &str, reason: Option<String>) -> bool {
    match reason {
        None => true,
        Some(why) => {
            if std::env::var("RMAPVIZ_REQUIRE_ORACLE").as_deref() == Ok("1") {
                panic!(
                    "{test}: the kernel must be reachable here (RMAPVIZ_REQUIRE_ORACLE=1) but: {why}"
                );
            }
            eprintln!("SKIPPED {test}: {why}");
            false
        }
    }
}

/// Why tracing with the full check (frame numbers from /proc/PID/pagemap) cannot run here, if it
/// cannot.
#[cfg(target_os = "linux")]
fn full_check_unavailable() -> Option<String> {
    match rmapviz::oracle::procfs::probe() {
        Err(e) => Some(e.to_string()),
        Ok(a) => a.missing,
    }
}

/// True when a test that traces with the full check should run (see [`kernel_test_may_run`]).
#[cfg(target_os = "linux")]
pub fn full_check_may_run(test: &str) -> bool {
    kernel_test_may_run(test, full_check_unavailable())
}

/// Every scheme replays the scenario without refusing a step.
pub fn replays_everywhere(s: &Scenario) {
    for name in rmapviz::schemes::scheme_names() {
        let mut sim = rmapviz::session::Simulation::by_name(name).expect("scheme");
        for (i, op) in s.ops().enumerate() {
            let r = sim.step(op, false);
            assert!(
                r.error.is_none(),
                "{name} refused step {} {op}: {:?}",
                i + 1,
                r.error
            );
        }
    }
}
