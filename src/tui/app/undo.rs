//! Undo and redo of the scenario's edits (ops typed after `:`, steps deleted with `:d`), and
//! whether the scenario is the one last saved. Part of [`super::App`].
//!
//! The history lives as long as the session's process: a journal holds the scenario, not its
//! history, so a session restored from a journal starts with nothing to undo.

use crate::model::Step;

/// One edit, with what undoing it needs.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// `step` was inserted at index `at` (0-based: it became step `at + 1`).
    Insert { at: usize, step: Step },
    /// The step at index `at` was deleted; it was `step`.
    Delete { at: usize, step: Step },
}

impl Edit {
    /// The edit that undoes this one.
    pub fn inverse(&self) -> Edit {
        match self {
            Edit::Insert { at, step } => Edit::Delete {
                at: *at,
                step: step.clone(),
            },
            Edit::Delete { at, step } => Edit::Insert {
                at: *at,
                step: step.clone(),
            },
        }
    }
}

/// The edits done and undone, and where the saved scenario is among them.
#[derive(Clone, Debug)]
pub struct History {
    done: Vec<Edit>,
    undone: Vec<Edit>,
    /// How many edits were done when the scenario was last saved (or opened), or None when no
    /// undo or redo leads back to it (an edit made after undoing past it, a restored journal).
    saved: Option<usize>,
}

impl Default for History {
    fn default() -> Self {
        History {
            done: Vec::new(),
            undone: Vec::new(),
            saved: Some(0),
        }
    }
}

impl History {
    /// A history whose scenario was never saved (a journal restored: unsaved work).
    pub fn unsaved() -> History {
        History {
            saved: None,
            ..History::default()
        }
    }

    /// Records a new edit: what was undone can no longer be redone.
    pub fn record(&mut self, edit: Edit) {
        if self.saved.is_some_and(|s| s > self.done.len()) {
            // The saved scenario was among the undone edits, now gone.
            self.saved = None;
        }
        self.undone.clear();
        self.done.push(edit);
    }

    /// The newest edit done, moved to the undone ones: the caller applies its inverse.
    pub fn undo(&mut self) -> Option<Edit> {
        let e = self.done.pop()?;
        self.undone.push(e.clone());
        Some(e)
    }

    /// The newest edit undone, done again: the caller applies it.
    pub fn redo(&mut self) -> Option<Edit> {
        let e = self.undone.pop()?;
        self.done.push(e.clone());
        Some(e)
    }

    /// The scenario is now saved as it is.
    pub fn mark_saved(&mut self) {
        self.saved = Some(self.done.len());
    }

    /// Whether the scenario is the one last saved (or opened).
    pub fn at_saved(&self) -> bool {
        self.saved == Some(self.done.len())
    }

    /// How many edits can be undone and redone.
    pub fn counts(&self) -> (usize, usize) {
        (self.done.len(), self.undone.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Op;

    fn fork(child: u32) -> Step {
        Op::Fork { pid: 1, child }.into()
    }

    #[test]
    fn undo_and_redo_walk_the_edits_and_know_the_saved_scenario() {
        let mut h = History::default();
        assert!(h.at_saved(), "a scenario just opened is saved");
        assert_eq!(h.undo(), None, "nothing to undo");
        h.record(Edit::Insert {
            at: 0,
            step: fork(2),
        });
        h.record(Edit::Delete {
            at: 3,
            step: fork(3),
        });
        assert!(!h.at_saved());
        assert_eq!(h.counts(), (2, 0));
        // Newest first.
        assert!(matches!(h.undo(), Some(Edit::Delete { at: 3, .. })));
        assert!(matches!(h.undo(), Some(Edit::Insert { at: 0, .. })));
        assert!(
            h.at_saved(),
            "undoing every edit is the opened scenario again"
        );
        assert!(matches!(h.redo(), Some(Edit::Insert { at: 0, .. })));
        h.mark_saved();
        assert!(h.at_saved());
        assert!(matches!(h.undo(), Some(Edit::Insert { .. })));
        assert!(!h.at_saved(), "undoing past a save unsaves");
        // A new edit after an undo drops the undone ones, the saved scenario with them.
        h.record(Edit::Insert {
            at: 1,
            step: fork(4),
        });
        assert_eq!(h.counts(), (1, 0));
        assert_eq!(h.redo(), None);
        assert!(!h.at_saved());
        assert!(h.undo().is_some());
        assert!(!h.at_saved(), "the saved scenario is out of reach");
    }

    #[test]
    fn an_edit_and_its_inverse() {
        let i = Edit::Insert {
            at: 2,
            step: fork(5),
        };
        assert_eq!(
            i.inverse(),
            Edit::Delete {
                at: 2,
                step: fork(5)
            }
        );
        assert_eq!(i.inverse().inverse(), i);
        assert!(History::unsaved().undo().is_none());
        assert!(!History::unsaved().at_saved());
    }
}
