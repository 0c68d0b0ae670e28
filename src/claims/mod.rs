//! `rmapviz claims`: the claims of Andrea Arcangeli's mail of 12 March 2004 ("Re: anon_vma
//! RFC2"), each checked against the model, live: every number is computed by replaying the
//! claim's scenario under the schemes it concerns, so a change to the model shows here.
//!
//! For each claim: the words of the mail ([`mail`]), the scenario, what the model gives
//! (findings, and the numbers behind the verdict as named measures), whether the claim holds
//! in the model, and, where the model's accounting differs from the mail's arithmetic, why,
//! down to the i386 structure fields ([`layout`]). [`text`] writes it for the terminal, as
//! lines that say what kind of text each holds.

mod checks;
pub mod layout;
pub mod mail;
pub mod text;

use serde::Serialize;
use thiserror::Error;

use crate::scenario::{Scenario, ScenarioError};

/// A claim, checked.
#[derive(Clone, Debug, Serialize)]
pub struct ClaimReport {
    /// 1-based, in the order of the mail.
    pub number: usize,
    /// The claim in a few words.
    pub title: &'static str,
    /// The mail's words (a piece of [`mail::TEXT`], exactly).
    pub quote: &'static str,
    /// The scenarios replayed.
    pub scenarios: Vec<ScenarioShown>,
    /// What the model gives, one line each, under a scheme or for the claim as a whole.
    pub findings: Vec<ClaimFinding>,
    /// The numbers the verdict is computed from.
    pub measures: Vec<Measure>,
    pub verdict: Verdict,
    /// The verdict in words, with the numbers.
    pub verdict_text: String,
    /// Where the model's accounting differs from the mail's, and why.
    pub notes: Vec<String>,
}

/// A scenario a claim replays: where it comes from and its steps in the short syntax.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioShown {
    /// `S3`, or the file under `assets/claims/` it was written from.
    pub name: String,
    pub title: String,
    pub steps: Vec<String>,
}

/// One line of what the model gives.
#[derive(Clone, Debug, Serialize)]
pub struct ClaimFinding {
    pub scheme: Option<&'static str>,
    pub text: String,
}

/// A number the verdict rests on, by a stable name (`anonmm-naive.lost`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Measure {
    pub name: String,
    pub value: u64,
}

/// Whether the model bears a claim out.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// As the mail says.
    Holds,
    /// In kind, with other numbers (the notes say why).
    HoldsWithOtherNumbers,
    /// The model does not bear it out.
    DoesNotHold,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::HoldsWithOtherNumbers => "holds, with other numbers",
            Verdict::DoesNotHold => "does not hold in the model",
        }
    }
}

/// Every claim, checked.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub author: &'static str,
    pub date: &'static str,
    pub subject: &'static str,
    pub list: &'static str,
    pub message_id: &'static str,
    pub claims: Vec<ClaimReport>,
}

/// Why the claims could not be checked: a claim's scenario no longer replays (the model
/// changed under it).
#[derive(Debug, Error)]
pub enum ClaimsError {
    #[error("claim scenario {name}: {source}")]
    Scenario {
        name: String,
        #[source]
        source: ScenarioError,
    },
    #[error("claim scenario {name}, step {step} ({op}), refused under {scheme}: {reason}")]
    Refused {
        name: String,
        step: usize,
        op: String,
        scheme: &'static str,
        reason: String,
    },
    #[error("claim scenario {name}: no walk under {scheme}")]
    NoWalk { name: String, scheme: &'static str },
    #[error(transparent)]
    UnknownScheme(#[from] crate::schemes::UnknownScheme),
}

/// How many claims the mail makes (as `rmapviz claims N` numbers them).
pub const COUNT: usize = 5;

/// Checks every claim.
pub fn check() -> Result<Report, ClaimsError> {
    Ok(Report {
        author: mail::AUTHOR,
        date: mail::DATE,
        subject: mail::SUBJECT,
        list: mail::LIST,
        message_id: mail::MESSAGE_ID,
        claims: checks::all()?,
    })
}

/// A claim scenario: a built-in, or one of the files under `assets/claims/`.
pub(crate) struct ClaimScenario {
    pub name: &'static str,
    pub source: Option<&'static str>,
}

/// The scenarios the claims replay besides the built-ins, as written under `assets/claims/`.
pub const FILES: [(&str, &str); 3] = [
    (
        "assets/claims/c2-separate-vmas.ron",
        include_str!("../../assets/claims/c2-separate-vmas.ron"),
    ),
    (
        "assets/claims/c3-memory-after-fork.ron",
        include_str!("../../assets/claims/c3-memory-after-fork.ron"),
    ),
    (
        "assets/claims/c4-cow-children.ron",
        include_str!("../../assets/claims/c4-cow-children.ron"),
    ),
];

impl ClaimScenario {
    pub fn load(&self) -> Result<Scenario, ClaimsError> {
        let loaded = match self.source {
            Some(text) => Scenario::parse(text, self.name),
            None => Scenario::load(self.name).map(|(s, _)| s),
        };
        loaded.map_err(|source| ClaimsError::Scenario {
            name: self.name.to_string(),
            source,
        })
    }
}
