//! The result of a check: one verdict per step, with the differences, the timings and a summary;
//! as text (one line per step) or JSON.

use serde::Serialize;
use serde_json::{Value, json};

use super::compare::{Compared, Difference};
use super::{EXIT_AGREE, EXIT_DIFFER, EXIT_UNSUPPORTED};

/// How one step came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum StepVerdict {
    /// The kernel shows what the model predicts.
    #[serde(rename = "agree")]
    Agree,
    /// Something differs (see the differences).
    #[serde(rename = "differ")]
    Differ,
    /// The step could not be checked (see the reason); the state after it was still compared.
    #[serde(rename = "not checked")]
    NotChecked,
}

/// One step of the check.
#[derive(Clone, Debug, Serialize)]
pub struct StepCheck {
    pub index: usize,
    pub op: String,
    pub verdict: StepVerdict,
    /// Why the step was not checked.
    pub reason: Option<String>,
    /// The model's step error, if it refused the op.
    pub model_error: Option<String>,
    /// What the kernel did: "ok", "EEXIST", "SIGSEGV at 0x...", or "not run".
    pub kernel: String,
    pub differences: Vec<Difference>,
    /// What the comparison looked at after the step.
    pub compared: Compared,
    /// Wall time of the op on the kernel (the system calls, accesses, fork, exec, exit, reclaim).
    pub kernel_nanos: u64,
    /// Wall time of the same step in the model.
    pub model_nanos: u64,
}

/// The whole check.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    pub scenario: String,
    pub kernel_release: String,
    pub reclaim: bool,
    /// Frame numbers were visible (the full check ran).
    pub frames: bool,
    /// What is missing for the full check, when it could not run (exactly which permission or
    /// file).
    pub missing: Vec<String>,
    pub steps: Vec<StepCheck>,
    /// What the cleanup could not remove.
    pub cleanup_problems: Vec<String>,
}

fn ms(nanos: u64) -> String {
    format!("{:.3} ms", nanos as f64 / 1e6)
}

impl CheckReport {
    pub fn count(&self, v: StepVerdict) -> usize {
        self.steps.iter().filter(|s| s.verdict == v).count()
    }

    pub fn kernel_nanos(&self) -> u64 {
        self.steps.iter().map(|s| s.kernel_nanos).sum()
    }

    pub fn model_nanos(&self) -> u64 {
        self.steps.iter().map(|s| s.model_nanos).sum()
    }

    /// What the comparisons looked at, summed over the steps.
    pub fn compared(&self) -> Compared {
        let mut t = Compared::default();
        for s in &self.steps {
            let c = s.compared;
            t.processes += c.processes;
            t.vmas += c.vmas;
            t.ptes += c.ptes;
            t.frame_identity += c.frame_identity;
            t.referenced += c.referenced;
            t.referenced_aged += c.referenced_aged;
        }
        t
    }

    /// 0 every checked step agrees, 1 some step differs, 77 the full check was not possible.
    pub fn exit_code(&self) -> u8 {
        if self.count(StepVerdict::Differ) > 0 || !self.cleanup_problems.is_empty() {
            EXIT_DIFFER
        } else if !self.missing.is_empty() {
            EXIT_UNSUPPORTED
        } else {
            EXIT_AGREE
        }
    }

    /// One line per step (differences indented below it) and a summary.
    pub fn text(&self) -> String {
        let mut out = format!(
            "check {}: the modern model against Linux {}{}\n",
            self.scenario,
            self.kernel_release,
            if self.reclaim { ", with reclaim" } else { "" }
        );
        for s in &self.steps {
            let verdict = match s.verdict {
                StepVerdict::Agree => "agree".to_string(),
                StepVerdict::Differ => format!(
                    "DIFFERS ({} difference{})",
                    s.differences.len(),
                    if s.differences.len() == 1 { "" } else { "s" }
                ),
                StepVerdict::NotChecked => format!(
                    "not checked: {}",
                    s.reason.as_deref().unwrap_or("no reason given")
                ),
            };
            let refused = match &s.model_error {
                Some(e) => format!(" [model refuses: {e}; kernel: {}]", s.kernel),
                None => String::new(),
            };
            out.push_str(&format!(
                "{:>4} {}  {verdict}{refused}\n",
                s.index + 1,
                s.op
            ));
            for d in &s.differences {
                out.push_str(&format!("       {d}\n"));
            }
        }
        out.push_str(&format!(
            "summary: {} agree, {} differ, {} not checked; kernel {} for the ops, model {} for the same steps\n",
            self.count(StepVerdict::Agree),
            self.count(StepVerdict::Differ),
            self.count(StepVerdict::NotChecked),
            ms(self.kernel_nanos()),
            ms(self.model_nanos())
        ));
        let c = self.compared();
        out.push_str(&format!(
            "compared over all steps: {} vmas, {} ptes, {} pages' frames across a step, {} vmas' young ptes\n",
            c.vmas, c.ptes, c.frame_identity, c.referenced
        ));
        if c.referenced_aged > 0 {
            out.push_str(&format!(
                "not predicted: the young bit of {} pte{} on pages aged outside the scenario (PG_idle: DAMON or page_idle)\n",
                c.referenced_aged,
                if c.referenced_aged == 1 { "" } else { "s" }
            ));
        }
        for m in &self.missing {
            out.push_str(&format!("not a full check: {m}\n"));
        }
        for p in &self.cleanup_problems {
            out.push_str(&format!("cleanup failed: {p}\n"));
        }
        out
    }

    /// The report as JSON (format in README.md).
    pub fn json(&self) -> Value {
        json!({
            "scenario": self.scenario,
            "kernel": self.kernel_release,
            "reclaim": self.reclaim,
            "frames": self.frames,
            "missing": self.missing,
            "steps": self.steps,
            "summary": {
                "agree": self.count(StepVerdict::Agree),
                "differ": self.count(StepVerdict::Differ),
                "not_checked": self.count(StepVerdict::NotChecked),
                "kernel_nanos": self.kernel_nanos(),
                "model_nanos": self.model_nanos(),
                "compared": self.compared(),
            },
            "cleanup_problems": self.cleanup_problems,
            "exit": self.exit_code(),
        })
    }
}
