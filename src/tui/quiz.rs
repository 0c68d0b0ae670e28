//! The quiz in the TUI (`Q`): with the quiz on, stepping forward onto a step that walks under
//! the shown scheme stops before it, on the state the walk starts from, and asks for a
//! prediction (each candidate's outcome, then the LOST ptes). `Enter` goes to the walk's step
//! and reveals the walk one candidate at a time (`space`, `→` or `Enter` the next), scoring as
//! it goes: until the last, every pane shows the state the walk starts from and only the
//! candidates revealed ([`App::walk_revealed`]); then the LOST ptes and the step's outcome.
//! The questions and answers are [`crate::quiz`]'s, made from the shown scheme's walk.

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::app::{App, Mode};
use crate::quiz::{Mark, Prediction, Question, Score, outcome_of};

/// The quiz: on while `Q` has turned it on, with its score and the question asked.
#[derive(Clone, Debug, Default)]
pub struct Quiz {
    pub score: Score,
    /// The question on screen, if one is.
    pub asked: Option<Asked>,
}

/// A question on screen: being answered, then revealed.
#[derive(Clone, Debug)]
pub struct Asked {
    pub question: Question,
    /// The scheme asked about.
    pub scheme: &'static str,
    /// The outcomes typed so far, in candidate order.
    pub typed: Vec<crate::model::Outcome>,
    /// The LOST count typed so far (digits).
    pub lost: String,
    /// Once the prediction is in: its mark and how many candidates are revealed (the LOST
    /// count is revealed after the last).
    pub mark: Option<Mark>,
    pub revealed: usize,
}

impl Asked {
    /// Whether everything is revealed (the LOST count too).
    pub fn done(&self) -> bool {
        self.mark.is_some() && self.revealed > self.question.candidates.len()
    }
}

impl App {
    /// `Q`: turns the quiz on or off.
    pub(crate) fn toggle_quiz(&mut self) {
        match self.quiz.take() {
            Some(q) => {
                if self.mode == Mode::Quiz {
                    self.mode = Mode::Normal;
                }
                // A walk half revealed is shown whole.
                if self.walk_revealed().is_some() {
                    self.reveal_walk(None);
                }
                self.set_status(format!("quiz off: {}", q.score), false);
            }
            None => {
                self.quiz = Some(Quiz::default());
                self.set_status(
                    format!(
                        "quiz on: stepping on stops before each walk of {} and asks what it finds (Q ends it)",
                        self.scheme_name()
                    ),
                    false,
                );
            }
        }
    }

    /// With the quiz on, whether the step after `at` walks under the shown scheme: if it does,
    /// the question is asked (the step shown stays `at`, the state the walk starts from) and
    /// this returns true.
    pub(crate) fn quiz_stops_before(&mut self, at: usize) -> bool {
        if self.quiz.is_none() || at >= self.len() {
            return false;
        }
        let scheme = self.shown.scheme();
        // Every shown scheme, so that Enter can show the walk's step at once.
        for s in self.shown.schemes() {
            self.session.simulate_to(s, at + 1);
        }
        let Some(walk) = self
            .session
            .result(scheme, at)
            .and_then(|r| r.walk.as_ref())
        else {
            return false;
        };
        let op = crate::scenario::opline::format(&self.scenario().steps[at].op);
        let question = Question::from_walk(at + 1, op, walk);
        let asked = Asked {
            question,
            scheme: self.scheme_name(),
            typed: Vec::new(),
            lost: String::new(),
            mark: None,
            revealed: 0,
        };
        self.playback.stop();
        self.step_to(at);
        self.set_walk_candidate(None);
        if let Some(q) = &mut self.quiz {
            q.asked = Some(asked);
        }
        self.mode = Mode::Quiz;
        true
    }

    /// A key while a question is on screen.
    pub(crate) fn quiz_key(&mut self, k: KeyEvent) {
        let Some(a) = self.quiz.as_mut().and_then(|q| q.asked.as_mut()) else {
            self.mode = Mode::Normal;
            return;
        };
        let n = a.question.candidates.len();
        if a.mark.is_some() {
            match k.code {
                KeyCode::Char(' ' | 'n' | 'l') | KeyCode::Right | KeyCode::Enter => {
                    self.quiz_reveal()
                }
                KeyCode::Esc | KeyCode::Char('Q') => self.toggle_quiz(),
                _ => {}
            }
            return;
        }
        match k.code {
            KeyCode::Char(c) if outcome_of(c).is_some() && a.typed.len() < n => {
                let o = outcome_of(c).unwrap_or(crate::model::Outcome::Hit);
                // A capital letter answers every candidate left.
                let times = if c.is_ascii_uppercase() {
                    n - a.typed.len()
                } else {
                    1
                };
                a.typed.extend(std::iter::repeat_n(o, times));
            }
            KeyCode::Char(c) if c.is_ascii_digit() && a.typed.len() == n && a.lost.len() < 6 => {
                a.lost.push(c)
            }
            // Backspace takes back a LOST digit, else the last outcome.
            KeyCode::Backspace if a.lost.pop().is_none() => {
                a.typed.pop();
            }
            KeyCode::Enter if a.typed.len() == n => {
                let p = Prediction {
                    outcomes: a.typed.clone(),
                    lost: a.lost.parse().unwrap_or(0),
                };
                let mark = a.question.mark(&p);
                a.mark = Some(mark);
                let step = a.question.step;
                // The walk's step, shown now (not left to the keys that follow), revealed
                // from its first candidate on.
                self.shown.show_step(step);
                self.quiz_reveal();
            }
            KeyCode::Enter => {
                let left = n - a.typed.len();
                self.set_status(
                    format!(
                        "{left} candidate{} still to predict: h HIT, m MISS, o OUT, s SKIP",
                        if left == 1 { "" } else { "s" }
                    ),
                    true,
                );
            }
            KeyCode::Esc | KeyCode::Char('Q') => self.toggle_quiz(),
            _ => {}
        }
    }

    /// Reveals the next candidate (following it in the graph), then the LOST ptes, the mark
    /// and the whole step; after that, closes the question.
    fn quiz_reveal(&mut self) {
        let Some(q) = self.quiz.as_mut() else { return };
        let Some(a) = q.asked.as_mut() else { return };
        let n = a.question.candidates.len();
        if a.done() {
            q.asked = None;
            let msg = format!("score {}; step on to the next walk", q.score);
            self.mode = Mode::Normal;
            self.set_status(msg, false);
            return;
        }
        a.revealed += 1;
        if a.revealed > n
            && let Some(m) = &a.mark
        {
            q.score.add(m);
        }
        let shown = (a.revealed <= n).then_some(a.revealed);
        self.reveal_walk(shown);
    }
}
