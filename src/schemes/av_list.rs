//! The anon_vma object of the list era, shared by `anon-vma` (2.6.7 - 2.6.33), its global
//! variants and Andrea Arcangeli's RFC2 (docs/semantics.md §3.4, §3.5): a lock and a set of vmas.
//!
//! - Members are linked at the head of the list (`list_add`), so the list runs newest first. A
//!   tree walk (`anon-vma-global-prio`) orders them by start pgoff instead, equal starts in
//!   insertion order; a member whose range changes is re-inserted behind its equals.
//! - An anon_vma is freed as soon as its last vma leaves: there is no reference count, and no
//!   page can point at an anon_vma that no vma is linked on.
//! - A list walk tries every member in list order: vma_address() rejects by arithmetic a vma
//!   whose range does not cover the page's index (OUT); in the others the page tables decide
//!   (HIT or MISS). A tree walk returns only the members that cover the index.
//! - Two vmas may merge only if at most one of them has an anon_vma (or both have the same) and
//!   their pgoffs are linear.

use std::collections::{BTreeMap, HashMap};

use super::interval::stab_vmas;
use super::linked::{InsertionOrder, LinkedVma};
use super::{RmapGraph, RmapObject, candidate};
use crate::model::{Candidate, Cost, Events, Machine, MmId, Pid, Vma, VmaId, WalkPlan};
use crate::util::counted;

/// Every anon_vma of one scheme and the vma -> anon_vma pointers.
#[derive(Clone, Debug)]
pub struct AvLists {
    /// What the objects are called in events and views ("anon_vma", "anon_vma_global").
    kind: &'static str,
    /// id -> members, list head first.
    avs: BTreeMap<u32, Vec<LinkedVma>>,
    vma_av: HashMap<VmaId, u32>,
    next: u32,
    order: InsertionOrder,
}

impl AvLists {
    pub fn new(kind: &'static str) -> Self {
        AvLists {
            kind,
            avs: BTreeMap::new(),
            vma_av: HashMap::new(),
            next: 1,
            order: InsertionOrder::default(),
        }
    }

    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The vma's anon_vma (`vma->anon_vma`).
    pub fn of(&self, vma: VmaId) -> Option<u32> {
        self.vma_av.get(&vma).copied()
    }

    /// Number of vmas on anon_vma `av`.
    pub fn len(&self, av: u32) -> usize {
        self.avs.get(&av).map_or(0, Vec::len)
    }

    /// Number of anon_vmas.
    pub fn count(&self) -> usize {
        self.avs.len()
    }

    /// The list-era costs (§4): per vma `anon_vma_node` + `anon_vma` pointer (12 B / 24 B), per
    /// object a lock and a list head (12 B / 24 B).
    pub fn add_cost(&self, c: &mut Cost, vmas: u64) {
        c.add(
            "per-vma anon_vma_node + anon_vma pointer",
            vmas,
            12,
            24,
            false,
        );
        let what = if self.kind == "anon_vma" {
            "anon_vma (lock + list head)"
        } else {
            "anon_vma_global (lock + list head), one per exec family"
        };
        c.add(what, self.count() as u64, 12, 24, true);
    }

    /// A new anon_vma with no vmas.
    pub fn create(&mut self) -> u32 {
        let av = self.next;
        self.next += 1;
        self.avs.insert(av, Vec::new());
        av
    }

    /// list_add: the vma goes to the head of the anon_vma's list and points at it.
    pub fn link(&mut self, m: &Machine, av: u32, pid: Pid, vma: VmaId) {
        let mm = m.procs.get(&pid).map_or(MmId(0), |p| p.mm.id);
        self.vma_av.insert(vma, av);
        let member = self.order.link(pid, mm, vma);
        if let Some(l) = self.avs.get_mut(&av) {
            l.insert(0, member);
        }
    }

    /// Links `vma` (a fork, split or mremap copy) on `av` and says so: "`why`: pid P range joins
    /// anon_vma avN at the head of its list (or in its prio_tree with `tree`)".
    pub fn join(
        &mut self,
        m: &Machine,
        (av, pid, vma): (u32, Pid, &Vma),
        why: &str,
        tree: bool,
        ev: &mut Events,
    ) {
        self.link(m, av, pid, vma.id);
        let place = if tree {
            "its prio_tree"
        } else {
            "the head of its list"
        };
        ev.push(format!(
            "{why}: pid {pid} {} joins {} av{av} at {place} ({} vmas)",
            vma.span(),
            self.kind,
            self.len(av)
        ));
    }

    /// anon_vma_unlink: the vma leaves its anon_vma (with an event, so that the list's length
    /// the last join said stays true); one left empty is freed. Returns the freed anon_vma.
    pub fn unlink(&mut self, vma: &Vma, ev: &mut Events) -> Option<u32> {
        let av = self.vma_av.remove(&vma.id)?;
        let l = self.avs.get_mut(&av)?;
        let pid = l.iter().find(|x| x.vma == vma.id).map(|x| x.pid);
        l.retain(|x| x.vma != vma.id);
        if !l.is_empty() {
            if let Some(pid) = pid {
                ev.push(format!(
                    "anon_vma_unlink: pid {pid} {} leaves {} av{av} ({} left)",
                    vma.span(),
                    self.kind,
                    counted(l.len() as u64, "vma", "vmas")
                ));
            }
            return None;
        }
        self.avs.remove(&av);
        ev.push(format!(
            "anon_vma_unlink: {} av{av} has no vmas left and is freed",
            self.kind
        ));
        Some(av)
    }

    /// A vma whose range or pgoff changed is re-inserted in a tree (behind equal keys).
    pub fn rekey(&mut self, before: &Vma, after: &Vma) {
        if before.same_key(after) {
            return;
        }
        let Some(&av) = self.vma_av.get(&after.id) else {
            return;
        };
        if let Some(l) = self.avs.get_mut(&av) {
            self.order.relink(l, after.id);
        }
    }

    /// The anon_vma part of the merge test: at most one anon_vma (or the same one) and a linear
    /// pgoff.
    pub fn may_merge(&self, prev: &Vma, next: &Vma) -> bool {
        if prev.pgoff + prev.pages() != next.pgoff {
            return false;
        }
        match (self.of(prev.id), self.of(next.id)) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }

    /// vma_merge: `kept` takes over `removed`'s anon_vma if it had none, and `removed` leaves.
    /// Returns an anon_vma freed on the way (none in practice: `kept` is on it).
    pub fn take_over(
        &mut self,
        m: &Machine,
        pid: Pid,
        kept: &Vma,
        removed: &Vma,
        ev: &mut Events,
    ) -> Option<u32> {
        if self.of(kept.id).is_none()
            && let Some(av) = self.of(removed.id)
        {
            self.link(m, av, pid, kept.id);
            ev.push(format!(
                "vma_adjust: pid {pid} {} takes over {} av{av}",
                kept.span(),
                self.kind
            ));
        }
        self.unlink(removed, ev)
    }

    /// The walk of an anonymous page whose mapping is `av`, at linear index `index`: the list in
    /// order, or with `tree` a stabbing query at the index.
    pub fn walk(&self, m: &Machine, av: u32, index: u64, tree: bool) -> WalkPlan {
        let object = format!("av{av}");
        let Some(list) = self.avs.get(&av) else {
            return WalkPlan::freed(&object);
        };
        let live: Vec<(&LinkedVma, &Vma)> = list
            .iter()
            .filter_map(|x| m.vma(x.pid, x.vma).map(|v| (x, v)))
            .collect();
        let candidate = |&(x, v): &(&LinkedVma, &Vma)| candidate(x.pid, x.mm, v, index, &object);
        if tree {
            let s = stab_vmas(live.iter().map(|(x, v)| (*v, x.seq)), index);
            return WalkPlan {
                candidates: s.hits.iter().map(|&i| candidate(&live[i])).collect(),
                nodes_visited: s.visited,
                nodes_per_candidate: false,
                object,
            };
        }
        let candidates: Vec<Candidate> = live.iter().map(candidate).collect();
        WalkPlan {
            nodes_visited: candidates.len() as u32,
            nodes_per_candidate: true,
            candidates,
            object,
        }
    }

    /// Adds one object per anon_vma to `view` (its members in walk order, its processes, the
    /// pages that point at it, and the fields `describe` gives), the vma links and fields, and
    /// the page links of the mapped anonymous pages whose mapping is one of them.
    pub fn add_to_view(
        &self,
        m: &Machine,
        view: &mut RmapGraph,
        tree: bool,
        describe: impl Fn(u32) -> Vec<(String, String)>,
    ) {
        let pages = m.pages.mapped_anon();
        let mut index = HashMap::new();
        for (&av, list) in &self.avs {
            index.insert(av, view.objects.len());
            let mut members: Vec<(u64, u64, String)> = list
                .iter()
                .map(|x| match m.vma(x.pid, x.vma) {
                    Some(v) => (v.pgoff, x.seq, format!("pid {} {}", x.pid, v.span())),
                    None => (0, x.seq, format!("{}", x.vma)),
                })
                .collect();
            let order = if tree {
                members.sort_by_key(|&(pgoff, seq, _)| (pgoff, seq));
                "prio_tree (pgoff order)"
            } else {
                "list (head first)"
            };
            let members: Vec<String> = members.into_iter().map(|(_, _, s)| s).collect();
            let mut pids: Vec<Pid> = list.iter().map(|x| x.pid).collect();
            pids.sort_unstable();
            pids.dedup();
            let on = pages.get(&av);
            let n = list.len();
            let mut fields = vec![
                (order.to_string(), members.join(", ")),
                ("vmas".to_string(), n.to_string()),
                (
                    "processes".to_string(),
                    pids.iter()
                        .map(|p| format!("pid {p}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                (
                    "pages pointing here".to_string(),
                    match on {
                        Some(on) if !on.is_empty() => format!("{} ({})", on.len(), on.describe()),
                        _ => "none".to_string(),
                    },
                ),
            ];
            fields.extend(describe(av));
            view.objects.push(RmapObject {
                key: format!("av{av}"),
                kind: self.kind,
                label: format!("av{av} ({n} vma{})", if n == 1 { "" } else { "s" }),
                fields,
            });
        }
        for (&av, list) in &self.avs {
            for x in list {
                view.vma_links
                    .push((x.vma, index[&av], "anon_vma_node".to_string()));
                view.vma_fields
                    .push((x.vma, vec![("anon_vma".to_string(), format!("av{av}"))]));
            }
        }
        view.link_anon_pages(pages, &index);
    }
}
