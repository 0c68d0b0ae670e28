//! What changed since the previous step, by graph node: the nodes a [`StateDiff`] touches (an
//! mm, a vma, a page or an rmap object made or changed, a vma whose ptes changed), each with a
//! note for the inspector. The graph panes mark the nodes; the things freed have no node any
//! more ([`StateDiff::freed`] lists them, the narrative says them).

use std::collections::HashMap;

use crate::model::Machine;
use crate::report::diff::{page_change_text, pte_change_text};
use crate::session::{PteHow, StateDiff};

use super::graph::{Node, mm_id};

/// How a node changed since the previous step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// It was not there before.
    New,
    /// It was there and changed (its ptes, its mapcount, its links).
    Changed,
}

/// The changes of one step, by node id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub diff: StateDiff,
    /// Each node that changed, by id, with how.
    pub marks: HashMap<String, Change>,
    /// What changed on each node, in a few words per line, for the inspector.
    pub notes: HashMap<String, Vec<String>>,
}

impl Changes {
    /// The changes of `diff`, whose later state is `after`.
    pub fn new(diff: StateDiff, after: &Machine) -> Changes {
        let mut c = Changes::default();
        for m in &diff.mms {
            if m.after.is_some() {
                let how = if m.before.is_none() {
                    "new address space"
                } else {
                    "a new address space (exec)"
                };
                c.mark(mm_id(m.pid), Change::New, how.to_string());
            }
        }
        for v in &diff.vmas {
            match (&v.before, &v.after) {
                (None, Some(_)) => c.mark(v.id.to_string(), Change::New, "new vma".into()),
                (Some(b), Some(_)) => c.mark(
                    v.id.to_string(),
                    Change::Changed,
                    format!(
                        "was {:#x}-{:#x} pg {:#x} {}",
                        b.start, b.end, b.pgoff, b.prot
                    ),
                ),
                _ => {}
            }
        }
        for p in &diff.ptes {
            let vma = after
                .procs
                .get(&p.pid)
                .and_then(|pr| pr.mm.vma_at(p.addr))
                .map(|v| v.id.to_string());
            let at = vma.unwrap_or_else(|| mm_id(p.pid));
            let text = format!("pte {}: {}", p.how.as_str(), pte_change_text(p));
            c.mark(at, Change::Changed, text);
            if let Some(page) = p.after.into_page()
                && p.how != PteHow::Removed
            {
                let note = format!("pte {}: pid {} {:#x}", p.how.as_str(), p.pid, p.addr);
                c.mark(page.to_string(), Change::Changed, note);
            }
        }
        for p in diff.pages.iter().filter(|p| p.after.is_some()) {
            let how = if p.is_new() {
                Change::New
            } else {
                Change::Changed
            };
            c.mark(p.page.to_string(), how, page_change_text(&diff, p));
        }
        for o in diff.objects.iter().filter(|o| o.after.is_some()) {
            match &o.before {
                None => c.mark(o.key.clone(), Change::New, format!("new {}", o.kind)),
                Some(b) => c.mark(o.key.clone(), Change::Changed, format!("was {b}")),
            }
        }
        c.diff = diff;
        c
    }

    /// Marks node `id` (a new mark wins over a change) and notes why.
    fn mark(&mut self, id: String, how: Change, note: String) {
        let m = self.marks.entry(id.clone()).or_insert(how);
        if how == Change::New {
            *m = Change::New;
        }
        self.notes.entry(id).or_default().push(note);
    }

    /// How `node` changed: its own mark, or for a group node the mark of a member it lists.
    pub fn of(&self, node: &Node) -> Option<Change> {
        if let Some(&c) = self.marks.get(&node.id) {
            return Some(c);
        }
        let m = node.members()?;
        m.listed
            .iter()
            .filter_map(|id| self.marks.get(id))
            .max_by_key(|c| matches!(c, Change::New))
            .copied()
    }
}
