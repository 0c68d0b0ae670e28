//! Differential fuzzing (`rmapviz fuzz`): random but plausible scenarios ([`generate`]), each run
//! through the same comparison as `check`; a scenario that shows a disagreement is shrunk
//! ([`shrink`]) and written as RON.
//!
//! Deterministic: scenario `i` of seed `s` is always the same scenario (our own generator,
//! [`rng`], and the model's ordered state; no hash order, no clock).

pub mod generate;
pub mod rng;
pub mod shrink;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::model::Step;
use crate::oracle::CheckReport;
use crate::oracle::report::StepVerdict;
use crate::scenario::Scenario;
use crate::util::{Existing, WriteError};

/// How a fuzz run goes.
#[derive(Clone, Debug)]
pub struct FuzzOptions {
    pub seed: u64,
    pub count: u64,
    /// Steps per scenario: between half of this and this.
    pub max_steps: usize,
    pub reclaim: bool,
    /// Where shrunk scenarios are written.
    pub out_dir: PathBuf,
    /// The rmapviz executable that driven processes run (default: the running one).
    pub driven_exe: Option<PathBuf>,
    /// Test hook: a deliberately wrong model prediction in every check (as `check`'s), to show
    /// that a disagreement is found, shrunk and written.
    pub inject: Option<crate::oracle::Injection>,
}

/// The first disagreement of a check: its step, the step's op name and what differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    pub step: usize,
    pub op: &'static str,
    pub what: &'static str,
}

impl Signature {
    /// The first differing step of `r` (a check of `s`).
    pub fn of(s: &Scenario, r: &CheckReport) -> Option<Signature> {
        r.steps
            .iter()
            .find(|st| st.verdict == StepVerdict::Differ)
            .and_then(|st| {
                Some(Signature {
                    step: st.index,
                    op: s.steps.get(st.index)?.op.name(),
                    what: st.differences.first()?.what,
                })
            })
    }

    /// The first step of `r` that shows this same disagreement (the same op and the same kind
    /// of difference), if any.
    pub fn found_in(&self, s: &Scenario, r: &CheckReport) -> Option<usize> {
        r.steps
            .iter()
            .find(|st| {
                s.steps.get(st.index).map(|x| x.op.name()) == Some(self.op)
                    && st.differences.iter().any(|d| d.what == self.what)
            })
            .map(|st| st.index)
    }
}

/// A disagreement the run found.
#[derive(Clone, Debug)]
pub struct Finding {
    /// The scenario's index in the run.
    pub index: u64,
    pub signature: Signature,
    /// Whether a second check of the same scenario showed it again (only then is it shrunk).
    pub reproduced: bool,
    pub generated_steps: usize,
    /// The shrunk scenario (the generated one when it did not reproduce).
    pub scenario: Scenario,
    /// The first difference of the shrunk scenario, as `check` prints it.
    pub difference: String,
    /// Where it was written.
    pub file: PathBuf,
}

/// What a run did.
#[derive(Clone, Debug, Default)]
pub struct FuzzSummary {
    pub scenarios: u64,
    pub steps: usize,
    pub agree: usize,
    pub not_checked: usize,
    /// Steps the model refused (compared for the error).
    pub refused: usize,
    /// Generated ops by name.
    pub ops: BTreeMap<&'static str, usize>,
    pub findings: Vec<Finding>,
    /// Checks that failed by themselves (a driven process died, cleanup failed, ...).
    pub failures: Vec<String>,
    /// What the machine did not allow (as `check` says it).
    pub missing: Vec<String>,
    pub kernel_release: String,
}

impl FuzzSummary {
    /// 0 no disagreement, 1 a disagreement or a failed check, 77 not a full check.
    pub fn exit_code(&self) -> u8 {
        if !self.findings.is_empty() || !self.failures.is_empty() {
            crate::oracle::EXIT_DIFFER
        } else if !self.missing.is_empty() {
            crate::oracle::EXIT_UNSUPPORTED
        } else {
            crate::oracle::EXIT_AGREE
        }
    }

    fn add(&mut self, s: &Scenario, r: &CheckReport) {
        self.scenarios += 1;
        self.steps += r.steps.len();
        self.agree += r.count(StepVerdict::Agree);
        self.not_checked += r.count(StepVerdict::NotChecked);
        self.refused += r.steps.iter().filter(|x| x.model_error.is_some()).count();
        for op in s.ops() {
            *self.ops.entry(op.name()).or_default() += 1;
        }
        for m in &r.missing {
            if !self.missing.contains(m) {
                self.missing.push(m.clone());
            }
        }
        if self.kernel_release.is_empty() {
            self.kernel_release = r.kernel_release.clone();
        }
    }
}

/// The file a finding is written to: `fuzz-SEED-INDEX.ron` in `dir`, or with `-2`, `-3`, ...
/// when that name is taken (an existing file is never replaced). Returns the name written.
fn write_finding(dir: &Path, seed: u64, index: u64, text: &str) -> Result<PathBuf, WriteError> {
    let mut n = 1;
    loop {
        let p = if n == 1 {
            dir.join(format!("fuzz-{seed}-{index}.ron"))
        } else {
            dir.join(format!("fuzz-{seed}-{index}-{n}.ron"))
        };
        match crate::util::write_file(&p, text.as_bytes(), Existing::Refuse) {
            Err(WriteError::Exists(_)) => n += 1,
            r => return r.map(|()| p),
        }
    }
}

/// The command line that makes the run again.
pub fn command_line(o: &FuzzOptions) -> String {
    format!(
        "rmapviz fuzz --seed {} --count {} --max-steps {}{}",
        o.seed,
        o.count,
        o.max_steps,
        if o.reclaim { " --reclaim" } else { "" }
    )
}

/// The scenario written for a finding: the shrunk steps, and an `about` that says where it came
/// from (the seed) and what differs.
fn finding_scenario(
    o: &FuzzOptions,
    index: u64,
    steps: Vec<Step>,
    how: &str,
    kernel: &str,
    sig: &Signature,
    difference: &str,
) -> Scenario {
    Scenario {
        title: format!(
            "fuzz seed {} scenario {index}: {} differs ({})",
            o.seed, sig.op, sig.what
        ),
        about: format!(
            "Found by `{}` (scenario {index}), {how}. On Linux {kernel}, step {} ({}) differs: {difference}",
            command_line(o),
            sig.step + 1,
            steps
                .get(sig.step)
                .map_or_else(String::new, |s| s.op.to_ron_line()),
        ),
        steps,
    }
}

#[cfg(target_os = "linux")]
pub use run::run;

/// The run itself: Linux only (it drives real processes).
#[cfg(target_os = "linux")]
pub mod run {
    use super::*;
    use crate::oracle::{CheckOptions, OracleError, run_check};

    /// What the caller hears while the run goes on.
    pub enum Event<'a> {
        /// Scenario `index` was checked (`done` of `count` so far).
        Checked { done: u64, summary: &'a FuzzSummary },
        /// A disagreement was found; shrinking starts.
        Shrinking {
            index: u64,
            signature: &'a Signature,
        },
        /// A finding was written.
        Found(&'a Finding),
    }

    /// Runs the fuzzing. Err only when the check cannot run here at all.
    pub fn run(
        o: &FuzzOptions,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> Result<FuzzSummary, OracleError> {
        let copts = CheckOptions {
            reclaim: o.reclaim,
            driven_exe: o.driven_exe.clone(),
            inject: o.inject,
            ..CheckOptions::default()
        };
        let mut sum = FuzzSummary::default();
        for index in 0..o.count {
            let s = generate::scenario(o.seed, index, o.max_steps);
            let name = format!("fuzz-{}-{index}", o.seed);
            let r = match run_check(&s, &name, &copts) {
                Ok(r) => r,
                Err(OracleError::Failed(m)) => {
                    sum.failures.push(format!("scenario {index}: {m}"));
                    continue;
                }
                Err(e) => return Err(e),
            };
            sum.add(&s, &r);
            for p in &r.cleanup_problems {
                sum.failures
                    .push(format!("scenario {index}: cleanup failed: {p}"));
            }
            if let Some(sig) = Signature::of(&s, &r) {
                on_event(Event::Shrinking {
                    index,
                    signature: &sig,
                });
                let f = investigate(o, &copts, index, s, sig)?;
                on_event(Event::Found(&f));
                sum.findings.push(f);
            }
            on_event(Event::Checked {
                done: index + 1,
                summary: &sum,
            });
        }
        Ok(sum)
    }

    /// Checks a disagreeing scenario again, shrinks it if the disagreement shows again, and
    /// writes it.
    fn investigate(
        o: &FuzzOptions,
        copts: &CheckOptions,
        index: u64,
        s: Scenario,
        sig: Signature,
    ) -> Result<Finding, OracleError> {
        let name = format!("fuzz-{}-{index}", o.seed);
        let generated = s.steps.len();
        let again = run_check(&s, &name, copts)?;
        let reproduced = sig.found_in(&s, &again).is_some();
        let (steps, at) = if reproduced {
            let mut fails = |steps: &[Step]| -> Result<Option<usize>, OracleError> {
                let cand = Scenario {
                    title: s.title.clone(),
                    about: String::new(),
                    steps: steps.to_vec(),
                };
                match run_check(&cand, &name, copts) {
                    Ok(r) => Ok(sig.found_in(&cand, &r)),
                    // A candidate the check cannot run (it broke a driven process): not this
                    // disagreement.
                    Err(OracleError::Failed(_)) => Ok(None),
                    Err(e) => Err(e),
                }
            };
            shrink::shrink(s.steps.clone(), sig.step, &mut fails)?
        } else {
            (s.steps.clone(), sig.step)
        };
        // The shrunk scenario's own first difference, for the file and the report.
        let small = Scenario {
            title: s.title.clone(),
            about: String::new(),
            steps: steps.clone(),
        };
        let final_report = run_check(&small, &name, copts)?;
        let sig_small = Signature::of(&small, &final_report).unwrap_or(Signature {
            step: at,
            ..sig.clone()
        });
        let difference = final_report
            .steps
            .get(sig_small.step)
            .and_then(|st| st.differences.first())
            .map_or_else(|| "no longer differs".to_string(), |d| d.to_string());
        let how = if reproduced {
            format!("shrunk from {generated} to {} steps", steps.len())
        } else {
            format!("{generated} steps, not shrunk: a second check did not show the difference")
        };
        let scenario = finding_scenario(
            o,
            index,
            steps,
            &how,
            &final_report.kernel_release,
            &sig_small,
            &difference,
        );
        let file = write_finding(&o.out_dir, o.seed, index, &scenario.to_ron())
            .map_err(|e| OracleError::Failed(e.to_string()))?;
        Ok(Finding {
            index,
            signature: sig_small,
            reproduced,
            generated_steps: generated,
            scenario,
            difference,
            file,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::{Compared, Difference, StepCheck};

    fn report(verdicts: &[(StepVerdict, &'static str)]) -> CheckReport {
        CheckReport {
            scenario: "t".into(),
            kernel_release: "6.18".into(),
            reclaim: false,
            frames: true,
            missing: vec![],
            cleanup_problems: vec![],
            steps: verdicts
                .iter()
                .enumerate()
                .map(|(i, (v, what))| StepCheck {
                    index: i,
                    op: String::new(),
                    verdict: *v,
                    reason: None,
                    model_error: None,
                    kernel: "ok".into(),
                    differences: if *v == StepVerdict::Differ {
                        vec![Difference {
                            pid: 1,
                            addr: Some(0x10000),
                            what,
                            expected: "a".into(),
                            observed: "b".into(),
                        }]
                    } else {
                        vec![]
                    },
                    compared: Compared::default(),
                    kernel_nanos: 0,
                    model_nanos: 0,
                })
                .collect(),
        }
    }

    #[test]
    fn the_signature_is_the_first_difference_and_is_found_again_by_op_and_kind() {
        let s = generate::scenario(3, 0, 4);
        let n = s.steps.len();
        let mut v = vec![(StepVerdict::Agree, ""); n];
        v[n - 1] = (StepVerdict::Differ, "pte");
        let sig = Signature::of(&s, &report(&v)).unwrap();
        assert_eq!(sig.step, n - 1);
        assert_eq!(sig.op, s.steps[n - 1].op.name());
        assert_eq!(sig.found_in(&s, &report(&v)), Some(n - 1));
        v[n - 1] = (StepVerdict::Differ, "mapcount");
        assert_eq!(sig.found_in(&s, &report(&v)), None, "another kind");
        assert!(Signature::of(&s, &report(&vec![(StepVerdict::Agree, ""); n])).is_none());
    }

    #[test]
    fn a_finding_names_its_seed_and_never_takes_an_existing_name() {
        let dir = std::env::temp_dir().join(format!("rmapviz-fuzz-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let o = FuzzOptions {
            seed: 99,
            count: 5,
            max_steps: 10,
            reclaim: true,
            out_dir: dir.clone(),
            driven_exe: None,
            inject: None,
        };
        let p = write_finding(&dir, 99, 3, "first").unwrap();
        assert_eq!(p, dir.join("fuzz-99-3.ron"));
        assert_eq!(
            write_finding(&dir, 99, 3, "second").unwrap(),
            dir.join("fuzz-99-3-2.ron")
        );
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            "first",
            "never replaced"
        );
        let s = generate::scenario(99, 3, 10);
        let sig = Signature {
            step: 0,
            op: s.steps[0].op.name(),
            what: "pte",
        };
        let f = finding_scenario(&o, 3, s.steps.clone(), "shrunk", "6.18", &sig, "pid 1: x");
        assert!(
            f.about
                .contains("`rmapviz fuzz --seed 99 --count 5 --max-steps 10 --reclaim`"),
            "{}",
            f.about
        );
        assert!(f.about.contains("scenario 3") && f.about.contains("step 1 ("));
        // It reads back as the same scenario.
        let back = Scenario::parse(&f.to_ron(), "t").unwrap();
        assert_eq!(back, f);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
