//! Editing the scenario in the TUI: an op inserted (typed after `:`), a step deleted (`:d`),
//! and their undo (`u`) and redo (`Ctrl-R`). Every edit re-simulates the steps after it,
//! shows the step it touched, and rewrites the journal (or removes it when undo or redo
//! brings back the scenario last saved).

use super::app::{App, Edit};
use crate::scenario::opline;

/// Which way an edit is applied.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Way {
    New,
    Undo,
    Redo,
}

impl App {
    /// Applies a new edit and records it for undo (what was undone can no longer be redone).
    pub(crate) fn edit(&mut self, e: Edit) {
        self.edits.record(e.clone());
        self.apply(&e, Way::New);
    }

    /// `u`: undoes the newest edit.
    pub fn undo(&mut self) {
        match self.edits.undo() {
            Some(e) => self.apply(&e.inverse(), Way::Undo),
            None => self.set_status("nothing to undo (u undoes typed ops and deletions)", false),
        }
    }

    /// `Ctrl-R`: redoes the newest edit undone.
    pub fn redo(&mut self) {
        match self.edits.redo() {
            Some(e) => self.apply(&e, Way::Redo),
            None => self.set_status("nothing to redo", false),
        }
    }

    /// Changes the scenario by `e`, shows the step it touched and says what happened.
    fn apply(&mut self, e: &Edit, way: Way) {
        let (at, op) = match e {
            Edit::Insert { at, step } => {
                let at = (*at).min(self.len());
                self.session.insert(at, step.clone());
                self.shown.inserted(at);
                self.scenario_changed(at);
                (at, opline::format(&step.op))
            }
            Edit::Delete { at, step } => {
                if self.session.remove(*at).is_none() {
                    return;
                }
                self.shown.deleted(at + 1);
                self.scenario_changed(*at);
                // The step before the deleted one is shown.
                self.step_to(*at);
                (*at, opline::format(&step.op))
            }
        };
        self.dirty = !self.edits.at_saved();
        if self.dirty {
            self.journal_write();
        } else if let Some(j) = &self.journal {
            // Back to the scenario last saved: nothing is unsaved any more.
            j.clear();
        }
        let n = at + 1;
        let inserted = matches!(e, Edit::Insert { .. });
        let what = match (way, inserted) {
            (Way::New, true) => format!(
                "inserted step {n} ({} steps after it re-simulated)",
                self.len() - n
            ),
            (Way::New, false) => format!("deleted step {n}: {op}"),
            (Way::Undo, true) => format!("undid the deletion: step {n} ({op}) is back"),
            (Way::Undo, false) => format!("undid the insert of step {n} ({op})"),
            (Way::Redo, true) => format!("redid the insert of step {n} ({op})"),
            (Way::Redo, false) => format!("redid the deletion of step {n} ({op})"),
        };
        let (undo, redo) = self.edits.counts();
        let keys = match (undo, redo) {
            (0, 0) => String::new(),
            (_, 0) => "; u undoes".to_string(),
            (0, _) => "; Ctrl-R redoes".to_string(),
            _ => "; u undoes, Ctrl-R redoes".to_string(),
        };
        let saved = if self.dirty { "" } else { " (as saved)" };
        // An op the shown scheme refuses stays, flagged; the status says why.
        let refused = inserted
            .then(|| {
                self.result(self.shown.scheme())
                    .and_then(|r| r.error.as_ref().map(|e| e.to_string()))
            })
            .flatten();
        match refused {
            Some(err) => self.set_status(format!("step {n} refused: {err}{keys}"), true),
            None => self.set_status(format!("{what}{saved}{keys}"), false),
        }
    }
}
