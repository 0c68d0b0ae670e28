//! The quiz (issue 17 item 6): before each reverse walk of a scenario, the learner predicts
//! it under one scheme (each candidate's outcome, HIT, MISS, OUT or SKIP, and how many ptes
//! the walk LOSES); the walk is then revealed and the prediction scored. The questions and the
//! answers come from the model's walks; this module knows nothing of terminals (the `quiz`
//! command and the TUI's quiz key ask them).
//!
//! A prediction is written as outcome letters, one per candidate in visiting order (`h`, `m`,
//! `o`, `s`, any case; spaces and commas ignored; a number before a letter repeats it: `3m h`
//! is MISS, MISS, MISS, HIT), then optionally `/` and the number of LOST ptes (none written:
//! 0). One point per candidate predicted right, one for the LOST count.

use serde::Serialize;
use thiserror::Error;

use crate::model::{Lost, Outcome, Walk, WalkKind};
use crate::scenario::Scenario;
use crate::session::replay;

/// One row of a question: a place the walk looks (a candidate, as the question shows it before
/// the walk) and what the walk does there, the answer the learner predicts. Not the model's
/// [`crate::model::Candidate`], which a scheme produces for the model to walk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuestionRow {
    pub pid: u32,
    /// The vma the walk looks in, if the candidate names one (whole-mm candidates may not).
    pub vma_start: Option<u64>,
    pub vma_end: Option<u64>,
    /// What the walk does there (the outcome, hidden until revealed).
    pub outcome: Outcome,
}

impl QuestionRow {
    /// The candidate as the question writes it: `pid 1 vma 0x10000-0x14000`, `pid 1 (its mm)`.
    pub fn describe(&self) -> String {
        match (self.vma_start, self.vma_end) {
            (Some(s), Some(e)) => format!("pid {} vma {s:#x}-{e:#x}", self.pid),
            _ => format!("pid {} (its mm)", self.pid),
        }
    }
}

/// The question of one walk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Question {
    /// The walk's step, 1-based as the TUI numbers them.
    pub step: usize,
    /// The op, as the steps pane writes it (`swapout 2 0x11000`).
    pub op: String,
    pub kind: WalkKind,
    /// The page walked (`p2`) and its mapcount before the walk.
    pub page: String,
    pub mapcount: u32,
    pub candidates: Vec<QuestionRow>,
    /// The ptes the walk loses.
    pub lost: Vec<Lost>,
}

impl Question {
    /// The question of walk `w`, made at step `step` (1-based) by `op`.
    pub fn from_walk(step: usize, op: String, w: &Walk) -> Question {
        Question {
            step,
            op,
            kind: w.kind,
            page: w.page.to_string(),
            mapcount: w.mapcount,
            candidates: w
                .visits
                .iter()
                .map(|v| QuestionRow {
                    pid: v.pid,
                    vma_start: v.vma_start,
                    vma_end: v.vma_end,
                    outcome: v.outcome,
                })
                .collect(),
            lost: w.lost.clone(),
        }
    }

    /// The right answer.
    pub fn answer(&self) -> Prediction {
        Prediction {
            outcomes: self.candidates.iter().map(|c| c.outcome).collect(),
            lost: self.lost.len(),
        }
    }

    /// The most points this question gives: one per candidate and one for the LOST count.
    pub fn points(&self) -> usize {
        self.candidates.len() + 1
    }

    /// Scores `p` (a prediction with too few or too many outcomes scores what it has).
    pub fn mark(&self, p: &Prediction) -> Mark {
        let right: Vec<bool> = self
            .candidates
            .iter()
            .enumerate()
            .map(|(i, c)| p.outcomes.get(i) == Some(&c.outcome))
            .collect();
        let lost_right = p.lost == self.lost.len();
        let points = right.iter().filter(|r| **r).count() + usize::from(lost_right);
        Mark {
            right,
            lost_right,
            points,
            of: self.points(),
        }
    }
}

/// A learner's prediction of one walk.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Prediction {
    pub outcomes: Vec<Outcome>,
    pub lost: usize,
}

impl Prediction {
    /// The prediction written back as it is typed (`mh/1`).
    pub fn to_text(&self) -> String {
        let mut s: String = self.outcomes.iter().map(|o| letter(*o)).collect();
        s.push_str(&format!("/{}", self.lost));
        s
    }
}

/// How a prediction scored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mark {
    /// Per candidate: predicted right.
    pub right: Vec<bool>,
    pub lost_right: bool,
    pub points: usize,
    pub of: usize,
}

/// The letter a prediction uses for an outcome.
pub fn letter(o: Outcome) -> char {
    match o {
        Outcome::Hit => 'h',
        Outcome::Miss => 'm',
        Outcome::Out => 'o',
        Outcome::Skip => 's',
    }
}

/// The outcome of a prediction letter (any case).
pub fn outcome_of(c: char) -> Option<Outcome> {
    match c.to_ascii_lowercase() {
        'h' => Some(Outcome::Hit),
        'm' => Some(Outcome::Miss),
        'o' => Some(Outcome::Out),
        's' => Some(Outcome::Skip),
        _ => None,
    }
}

/// Why a typed prediction cannot be read.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PredictionError {
    #[error(
        "column {col}: {found:?} is not an outcome: h HIT, m MISS, o OUT, s SKIP (a number before a letter repeats it)"
    )]
    NotAnOutcome { col: usize, found: char },
    #[error("column {col}: a count needs a letter after it (3m is three MISSes)")]
    CountWithoutLetter { col: usize },
    #[error("column {col}: the LOST count after / must be a number, found {found:?}")]
    BadLost { col: usize, found: String },
    #[error("{found} outcome{} for {want} candidate{}", plural(*found), plural(*want))]
    WrongCount { found: usize, want: usize },
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The most outcomes a prediction may spell out (a count is capped by the candidates anyway).
const MAX_OUTCOMES: usize = 1 << 20;

/// Reads a typed prediction for a walk of `want` candidates.
pub fn parse(text: &str, want: usize) -> Result<Prediction, PredictionError> {
    let (head, lost) = match text.split_once('/') {
        Some((h, l)) => (h, Some((h.chars().count() + 2, l))),
        None => (text, None),
    };
    let mut outcomes = Vec::new();
    let mut count: Option<usize> = None;
    let mut count_col = 0;
    for (i, c) in head.chars().enumerate() {
        let col = i + 1;
        if c.is_whitespace() || c == ',' {
            if count.is_some() {
                return Err(PredictionError::CountWithoutLetter { col: count_col });
            }
            continue;
        }
        if let Some(d) = c.to_digit(10) {
            if count.is_none() {
                count_col = col;
            }
            let n = count
                .unwrap_or(0)
                .saturating_mul(10)
                .saturating_add(d as usize);
            count = Some(n.min(MAX_OUTCOMES));
            continue;
        }
        let o = outcome_of(c).ok_or(PredictionError::NotAnOutcome { col, found: c })?;
        let n = count.take().unwrap_or(1);
        if outcomes.len() + n > want {
            return Err(PredictionError::WrongCount {
                found: outcomes.len() + n,
                want,
            });
        }
        outcomes.extend(std::iter::repeat_n(o, n));
    }
    if count.is_some() {
        return Err(PredictionError::CountWithoutLetter { col: count_col });
    }
    if outcomes.len() != want {
        return Err(PredictionError::WrongCount {
            found: outcomes.len(),
            want,
        });
    }
    let lost = match lost {
        None => 0,
        Some((col, l)) => l.trim().parse().map_err(|_| PredictionError::BadLost {
            col,
            found: l.trim().to_string(),
        })?,
    };
    Ok(Prediction { outcomes, lost })
}

/// The questions of `scenario` under `scheme`: one per step whose walk the scheme made, in
/// step order. None for an unknown scheme.
pub fn questions(scenario: &Scenario, scheme: &str) -> Option<Vec<Question>> {
    let run = replay(scenario, scheme, false)?;
    Some(
        run.steps
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let w = r.walk.as_ref()?;
                let op = crate::scenario::opline::format(&scenario.steps[i].op);
                Some(Question::from_walk(i + 1, op, w))
            })
            .collect(),
    )
}

/// A whole quiz's score so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Score {
    pub points: usize,
    pub of: usize,
    /// Walks predicted entirely right.
    pub perfect: usize,
    pub walks: usize,
}

impl Score {
    pub fn add(&mut self, m: &Mark) {
        self.points += m.points;
        self.of += m.of;
        self.walks += 1;
        self.perfect += usize::from(m.points == m.of);
    }
}

impl std::fmt::Display for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{} points, {} of {} walk{} right",
            self.points,
            self.of,
            self.perfect,
            self.walks,
            plural(self.walks)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Outcome::*;

    #[test]
    fn predictions_read_letters_counts_and_lost() {
        let p = parse("mh/1", 2).unwrap();
        assert_eq!(p.outcomes, [Miss, Hit]);
        assert_eq!(p.lost, 1);
        let p = parse(" 3M, h  ", 4).unwrap();
        assert_eq!(p.outcomes, [Miss, Miss, Miss, Hit]);
        assert_eq!(p.lost, 0, "no / : no LOST pte predicted");
        assert_eq!(parse("os / 0", 2).unwrap().outcomes, [Out, Skip]);
        assert_eq!(parse("1000m h", 1001).unwrap().outcomes.len(), 1001);
        assert_eq!(p.to_text(), "mmmh/0");
    }

    #[test]
    fn bad_predictions_say_where_and_what() {
        assert_eq!(
            parse("mx", 2),
            Err(PredictionError::NotAnOutcome { col: 2, found: 'x' })
        );
        assert_eq!(
            parse("m", 2),
            Err(PredictionError::WrongCount { found: 1, want: 2 })
        );
        assert_eq!(
            parse("mh3", 5),
            Err(PredictionError::CountWithoutLetter { col: 3 })
        );
        assert!(matches!(
            parse("mh/x", 2),
            Err(PredictionError::BadLost { col: 4, .. })
        ));
        // A huge count is refused without making the outcomes.
        assert!(matches!(
            parse("99999999999999999999m", 2),
            Err(PredictionError::WrongCount { .. })
        ));
        assert_eq!(
            parse("m", 2).unwrap_err().to_string(),
            "1 outcome for 2 candidates"
        );
    }
}
