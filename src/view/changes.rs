//! What changed since the previous step, by graph node: the nodes a [`StateDiff`] touches (an
//! mm, a vma, a page or an rmap object made or changed, a vma whose ptes changed), each with a
//! note for the inspector. The graph panes mark the nodes; the things freed have no node any
//! more ([`StateDiff::freed`] lists them, the narrative says them).

use std::collections::HashMap;

use crate::model::Machine;
use crate::report::diff::{delta_text, page_change_text, pte_change_text};
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
    /// The node each pte of `diff.ptes` changed in: its vma in the later state, else its mm.
    pte_nodes: Vec<String>,
}

/// One thing a step changed on a node: the node's id, how, and the note that says it (made
/// only when asked for: the inspector shows one node's notes, and a step of a storm changes a
/// thousand ptes).
struct Noted<'a, 'n> {
    id: std::borrow::Cow<'a, str>,
    how: Change,
    note: &'n dyn Fn() -> String,
}

impl Changes {
    /// The changes of `diff`, whose later state is `after`.
    pub fn new(diff: StateDiff, after: &Machine) -> Changes {
        let pte_nodes = diff
            .ptes
            .iter()
            .map(|p| {
                after
                    .procs
                    .get(&p.pid)
                    .and_then(|pr| pr.mm.vma_at(p.addr))
                    .map_or_else(|| mm_id(p.pid), |v| v.id.to_string())
            })
            .collect();
        let mut c = Changes {
            diff,
            pte_nodes,
            marks: HashMap::new(),
        };
        let mut marks = HashMap::new();
        c.each(|n| {
            let m = marks.entry(n.id.into_owned()).or_insert(n.how);
            // A new mark wins over a change.
            if n.how == Change::New {
                *m = Change::New;
            }
        });
        c.marks = marks;
        c
    }

    /// What changed on node `id`, in a few words per line, for the inspector.
    pub fn notes(&self, id: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.each(|n| {
            if n.id == id {
                out.push((n.note)());
            }
        });
        out
    }

    /// Calls `f` with everything the step changed, node by node, in the order the notes are
    /// listed: address spaces, vmas, ptes (on their vma, then on the page they map), pages,
    /// rmap objects.
    fn each<'a>(&'a self, mut f: impl FnMut(Noted<'a, '_>)) {
        use std::borrow::Cow;
        let diff = &self.diff;
        let mut put =
            |id: Cow<'a, str>, how: Change, note: &dyn Fn() -> String| f(Noted { id, how, note });
        for m in &diff.mms {
            if m.after.is_some() {
                let how = if m.before.is_none() {
                    "new address space"
                } else {
                    "a new address space (exec)"
                };
                put(mm_id(m.pid).into(), Change::New, &|| how.to_string());
            }
        }
        for v in &diff.vmas {
            match (&v.before, &v.after) {
                (None, Some(_)) => put(v.id.to_string().into(), Change::New, &|| "new vma".into()),
                (Some(b), Some(_)) => put(v.id.to_string().into(), Change::Changed, &|| {
                    format!(
                        "was {:#x}-{:#x} pg {:#x} {}",
                        b.start, b.end, b.pgoff, b.prot
                    )
                }),
                _ => {}
            }
        }
        for (p, at) in diff.ptes.iter().zip(&self.pte_nodes) {
            put(Cow::Borrowed(at.as_str()), Change::Changed, &|| {
                format!("pte {}: {}", p.how.as_str(), pte_change_text(p))
            });
            if let Some(page) = p.after.into_page()
                && p.how != PteHow::Removed
            {
                put(page.to_string().into(), Change::Changed, &|| {
                    format!("pte {}: pid {} {:#x}", p.how.as_str(), p.pid, p.addr)
                });
            }
        }
        for p in diff.pages.iter().filter(|p| p.after.is_some()) {
            let how = if p.is_new() {
                Change::New
            } else {
                Change::Changed
            };
            put(p.page.to_string().into(), how, &|| {
                page_change_text(p, diff.copied_from(p.page))
            });
        }
        for o in diff.objects.iter().filter(|o| o.after.is_some()) {
            match &o.before {
                None => put(Cow::Borrowed(o.key.as_str()), Change::New, &|| {
                    format!("new {}", o.kind)
                }),
                Some(b) => put(Cow::Borrowed(o.key.as_str()), Change::Changed, &|| {
                    if o.deltas.is_empty() {
                        format!("was {b}")
                    } else {
                        let what: Vec<String> = o.deltas.iter().map(delta_text).collect();
                        what.join("; ")
                    }
                }),
            }
        }
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
