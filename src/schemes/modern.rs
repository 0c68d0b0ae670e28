//! `modern`: anon_vma_chain with interval trees and anon_vma reuse, as in Linux 3.7 - 6.x
//! (docs/semantics.md §3.8 - §3.10; mm/rmap.c and mm/vma.c of 2025-2026), and its ancestor
//! `anon-vma-chain`, the same design with lists, as in 2.6.34 - 3.6 ([`Era::Lists`], below).
//!
//! What a page points to: an anonymous page's `mapping` is an anon_vma: the faulting vma's own
//! (`vma->anon_vma`) when the mapping is exclusive, the root anon_vma when it is not (a swap-in
//! of a page that was shared). `index` is the linear page index. File pages point at their file,
//! whose vmas sit in an interval tree.
//!
//! What the walk visits: the page's anon_vma's interval tree of anon_vma_chains (AVCs), queried
//! at the page's index: only vmas that cover the index, in order of start pgoff, equal starts in
//! insertion order, so there is no OUT. It stops after `mapcount` hits.
//!
//! What each op changes:
//! - first write fault: __anon_vma_prepare: reuse the anon_vma of an adjacent, compatible vma
//!   whose chain has a single AVC (find_mergeable_anon_vma), else a new root anon_vma
//!   (num_children 1, its self-parent link); one AVC; num_active_vmas++.
//! - fork: anon_vma_fork: the child's vma gets one AVC for every anon_vma on the parent vma's
//!   chain (anon_vma_clone, root first); it reuses one of them that has no active vma and fewer
//!   than two children, else gets a new anon_vma (parent = the parent vma's anon_vma, root = its
//!   root, parent's num_children++) linked by one more AVC.
//! - COW copy: the new page goes to the faulting vma's own anon_vma. Reuse in place by the only
//!   mapper: folio_move_anon_rmap moves the page to the writer's own anon_vma.
//! - split, mremap move: anon_vma_clone (same chain, same anon_vma); range changes re-key the
//!   vma's AVCs. Merge: both anon_vmas equal, or one side without and the other not a fork child
//!   (its chain singular); linear pgoff.
//! - munmap, exit, exec: unlink_anon_vmas: AVCs removed; an anon_vma whose tree empties drops
//!   its parent's num_children and is freed; a root is freed last, when no anon_vma of its
//!   family is left.
//!
//! `anon-vma-chain` (2.6.34 - 3.6, Rik van Riel's commit 5beb49305251 with the 2010 fixes:
//! c44b674323f4 move-on-reuse and the root anon_vma of 5c341ee1dfc8 / 288468c334e9; §3.8) is
//! this code with three switches:
//! - the walk: each anon_vma heads a `same_anon_vma` list of AVCs, `list_add_tail`ed by
//!   anon_vma_chain_link, so the walk visits every AVC of the page's anon_vma, oldest first, and
//!   vma_address() makes those out of range OUT (no tree, so OUT exists again). Changing a vma's
//!   range does not move its AVCs. File pages: prio_tree (2.6.7 - 3.6).
//! - fork never reuses an anon_vma: every fork of a faulted vma makes a new anon_vma, so a chain
//!   of forks whose parents exit (§7 S6) stacks one anon_vma and one AVC per generation without
//!   bound (Daniel Forrest, 2012; fixed in 3.19 by the reuse above).
//! - merging has no "fork child" restriction: one side without an anon_vma may always merge
//!   (is_mergeable_anon_vma of that era: `!anon_vma1 || !anon_vma2 || anon_vma1 == anon_vma2`).
//!
//! Move-on-reuse and the root rule for non-exclusive mappings are the same in both.
//! num_children / num_active_vmas are the model's bookkeeping for freeing and are not shown for
//! that era (its anon_vma had `root`, `lock`, a refcount and the list head).

use std::collections::{BTreeMap, HashMap};

mod view;

use super::SchemeInfo;
use super::file_rmap::{FileStructure, WithFiles};
use super::interval::stab_vmas;
use super::linked::InsertionOrder;
use super::{AnonAdd, NewAnonPage, NewVma, PageAt, Repoint, RmapObject, RmapGraph, Scheme, ReshapedVma, VmaOrigin, candidate, merge_neighbours, prepared_anon_vma};
use crate::model::{
    Census, Candidate, Cost, Events, Machine, MmId, PageId, PageRmap, Pid, Tally, Vma, VmaId,
    WalkKind, WalkPlan,
};

/// The `anon-vma-chain` design as the CLI, the TUI and the docs name it.
pub static ANON_VMA_CHAIN: SchemeInfo = SchemeInfo {
    name: "anon-vma-chain",
    design: "anon_vma_chain with lists, own anon_vma per process",
    era: "2.6.34 - 3.6",
    summary: "each vma links to its own and its ancestors' anon_vmas; a page is searched only where it can be",
    spec: "§3.8",
    object_based: true,
    compare_with: None,
    make: || WithFiles::boxed(ModernScheme::anon_vma_chain(), FileStructure::PrioTree),
};

/// The `modern` design as the CLI, the TUI and the docs name it.
pub static MODERN: SchemeInfo = SchemeInfo {
    name: "modern",
    design: "anon_vma_chain + interval trees + anon_vma reuse",
    era: "3.7 - 6.x",
    summary: "as anon-vma-chain, with interval trees (no OUT) and reuse of idle anon_vmas at fork",
    spec: "§3.9, §3.10",
    object_based: true,
    compare_with: None,
    make: || WithFiles::boxed(ModernScheme::new(Era::Trees), FileStructure::IntervalTree),
};

#[derive(Clone, Debug)]
struct AnonVma {
    root: u32,
    parent: u32,
    num_children: u32,
    num_active_vmas: u32,
    /// Non-root anon_vmas alive with this one as root (the root's refcount beyond its own).
    family_refs: u32,
    /// AVC ids in the interval tree.
    tree: Vec<u32>,
}

#[derive(Clone, Debug)]
struct Avc {
    vma: VmaId,
    pid: Pid,
    mm: MmId,
    av: u32,
    /// Insertion sequence in the anon_vma's tree (equal keys go right).
    seq: u64,
}

#[derive(Clone, Debug, Default)]
struct VmaRmap {
    anon_vma: Option<u32>,
    /// The vma's anon_vma_chain, newest first (root last).
    chain: Vec<u32>,
}

/// Which kernel era of the anon_vma_chain design.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Era {
    /// 2.6.34 - 3.6: `same_anon_vma` lists, no reuse at fork, prio_tree for files.
    Lists,
    /// 3.7 - 6.x: interval trees, reuse of idle anon_vmas at fork, interval tree for files.
    Trees,
}

/// The anon_vma_chain scheme of 2.6.34 - 3.6 (`anon-vma-chain`) or of 3.7 - 6.x (`modern`).
#[derive(Clone, Debug)]
pub struct ModernScheme {
    era: Era,
    avs: BTreeMap<u32, AnonVma>,
    avcs: BTreeMap<u32, Avc>,
    vmas: HashMap<VmaId, VmaRmap>,
    next_av: u32,
    next_avc: u32,
    order: InsertionOrder,
    moved: Tally,
}

impl ModernScheme {
    /// A fresh scheme of the given era.
    pub fn new(era: Era) -> Self {
        ModernScheme {
            era,
            avs: BTreeMap::new(),
            avcs: BTreeMap::new(),
            vmas: HashMap::new(),
            next_av: 1,
            next_avc: 1,
            order: InsertionOrder::default(),
            moved: Tally::default(),
        }
    }

    /// The 2.6.34 - 3.6 scheme, `anon-vma-chain`.
    pub fn anon_vma_chain() -> Self {
        ModernScheme::new(Era::Lists)
    }
}

fn list(avs: &[u32]) -> String {
    avs.iter()
        .map(|a| format!("av{a}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl ModernScheme {
    fn own(&self, vma: VmaId) -> Option<u32> {
        self.vmas.get(&vma).and_then(|r| r.anon_vma)
    }

    fn chain_len(&self, vma: VmaId) -> usize {
        self.vmas.get(&vma).map_or(0, |r| r.chain.len())
    }

    fn new_av(&mut self, root: Option<u32>, parent: Option<u32>) -> u32 {
        let id = self.next_av;
        self.next_av += 1;
        let (root, parent) = (root.unwrap_or(id), parent.unwrap_or(id));
        let num_children = if root == id { 1 } else { 0 }; // a root counts its self-parent link
        self.avs.insert(
            id,
            AnonVma {
                root,
                parent,
                num_children,
                num_active_vmas: 0,
                family_refs: 0,
                tree: Vec::new(),
            },
        );
        if root != id {
            if let Some(r) = self.avs.get_mut(&root) {
                r.family_refs += 1;
            }
            if let Some(p) = self.avs.get_mut(&parent) {
                p.num_children += 1;
            }
        }
        id
    }

    /// anon_vma_chain_link: a new AVC at the head of the vma's chain and in the anon_vma's tree.
    fn chain_link(&mut self, m: &Machine, pid: Pid, vma: VmaId, av: u32) {
        let id = self.next_avc;
        self.next_avc += 1;
        let mm = m.procs.get(&pid).map_or(MmId(0), |p| p.mm.id);
        self.avcs.insert(
            id,
            Avc {
                vma,
                pid,
                mm,
                av,
                seq: self.order.next_seq(),
            },
        );
        self.vmas.entry(vma).or_default().chain.insert(0, id);
        if let Some(a) = self.avs.get_mut(&av) {
            a.tree.push(id);
        }
    }

    /// anon_vma_clone: one AVC for every anon_vma on `src`'s chain, root first. With
    /// `allow_reuse` (fork), an anon_vma with no active vma and fewer than two children becomes
    /// the destination's own. Returns the anon_vmas linked.
    fn clone_chain(
        &mut self,
        m: &Machine,
        pid: Pid,
        dst: VmaId,
        src: VmaId,
        allow_reuse: bool,
    ) -> (Vec<u32>, Option<u32>) {
        let src_chain: Vec<u32> = self
            .vmas
            .get(&src)
            .map(|r| r.chain.clone())
            .unwrap_or_default();
        let src_has = self.own(src).is_some();
        let mut linked = Vec::new();
        let mut reused = None;
        for &c in src_chain.iter().rev() {
            let av = self.avcs[&c].av;
            self.chain_link(m, pid, dst, av);
            linked.push(av);
            let a = &self.avs[&av];
            if allow_reuse
                && self.era == Era::Trees
                && reused.is_none()
                && src_has
                && a.num_children < 2
                && a.num_active_vmas == 0
            {
                reused = Some(av);
            }
        }
        (linked, reused)
    }

    fn set_own(&mut self, vma: VmaId, av: u32) {
        self.vmas.entry(vma).or_default().anon_vma = Some(av);
        if let Some(a) = self.avs.get_mut(&av) {
            a.num_active_vmas += 1;
        }
    }

    /// unlink_anon_vmas.
    fn unlink_vma(&mut self, vma: VmaId, pid: Pid, span_text: &str, ev: &mut Events) {
        let Some(r) = self.vmas.remove(&vma) else {
            return;
        };
        if let Some(av) = r.anon_vma
            && let Some(a) = self.avs.get_mut(&av)
        {
            a.num_active_vmas = a.num_active_vmas.saturating_sub(1);
        }
        let mut emptied = Vec::new();
        for c in &r.chain {
            let Some(avc) = self.avcs.remove(c) else {
                continue;
            };
            if let Some(a) = self.avs.get_mut(&avc.av) {
                a.tree.retain(|x| x != c);
                if a.tree.is_empty() {
                    emptied.push(avc.av);
                }
            }
        }
        let mut freed = Vec::new();
        for av in emptied {
            let Some(a) = self.avs.get(&av).cloned() else {
                continue;
            };
            if a.parent != av
                && let Some(p) = self.avs.get_mut(&a.parent)
            {
                p.num_children = p.num_children.saturating_sub(1);
            }
            self.put(av, &mut freed);
        }
        if !r.chain.is_empty() {
            let mut s = format!(
                "unlink_anon_vmas: pid {pid} {span_text}: removed {} AVC{}",
                r.chain.len(),
                if r.chain.len() == 1 { "" } else { "s" }
            );
            if !freed.is_empty() {
                s.push_str(&format!("; freed {}", list(&freed)));
            }
            ev.push(s);
        }
    }

    /// put_anon_vma on an anon_vma whose tree is empty: a non-root one is freed and drops its
    /// reference on the root; a root is freed once no anon_vma of its family is left.
    fn put(&mut self, av: u32, freed: &mut Vec<u32>) {
        let Some(a) = self.avs.get(&av) else { return };
        if !a.tree.is_empty() {
            return;
        }
        if a.root == av {
            if a.family_refs == 0 {
                self.avs.remove(&av);
                freed.push(av);
            }
            return;
        }
        let root = a.root;
        self.avs.remove(&av);
        freed.push(av);
        if let Some(r) = self.avs.get_mut(&root) {
            r.family_refs = r.family_refs.saturating_sub(1);
            if r.family_refs == 0 && r.tree.is_empty() {
                self.put(root, freed);
            }
        }
    }

    /// The rmap part of anon_vma_compatible + the single-AVC rule of reusable_anon_vma.
    fn find_mergeable(&self, m: &Machine, pid: Pid, vma: &Vma) -> Option<(u32, Vma)> {
        merge_neighbours(m, pid, vma).into_iter().find_map(|n| {
            self.own(n.id)
                .filter(|_| self.chain_len(n.id) == 1)
                .map(|av| (av, n.clone()))
        })
    }

    /// __anon_vma_prepare.
    fn prepare(&mut self, m: &Machine, pid: Pid, vma: &Vma, ev: &mut Events) -> u32 {
        if let Some(av) = self.own(vma.id) {
            return av;
        }
        let mergeable = self.find_mergeable(m, pid, vma);
        let rule = "find_mergeable_anon_vma: single AVC";
        let av = prepared_anon_vma(pid, vma, mergeable, rule, || self.new_av(None, None), ev);
        self.chain_link(m, pid, vma.id, av);
        self.set_own(vma.id, av);
        av
    }

    fn rekey(&mut self, vma: VmaId) {
        let chain = self
            .vmas
            .get(&vma)
            .map(|r| r.chain.clone())
            .unwrap_or_default();
        for c in chain {
            if let Some(a) = self.avcs.get_mut(&c) {
                a.seq = self.order.next_seq();
            }
        }
    }

    fn root_of(&self, av: u32) -> u32 {
        self.avs.get(&av).map_or(av, |a| a.root)
    }
}

impl Scheme for ModernScheme {
    fn info(&self) -> &'static SchemeInfo {
        match self.era {
            Era::Lists => &ANON_VMA_CHAIN,
            Era::Trees => &MODERN,
        }
    }

    fn vma_added(&mut self, m: &Machine, new: NewVma<'_>, ev: &mut Events) {
        let NewVma { pid, vma, origin } = new;
        self.vmas.entry(vma.id).or_default();
        match origin {
            VmaOrigin::Mmap => {}
            VmaOrigin::Fork { from, .. } => {
                let Some(pav) = self.own(from.id) else { return };
                let (linked, reused) = self.clone_chain(m, pid, vma.id, from.id, true);
                let cloned = format!(
                    "anon_vma_fork: pid {pid} {}: cloned {} AVC{} ({})",
                    vma.span(),
                    linked.len(),
                    if linked.len() == 1 { "" } else { "s" },
                    list(&linked)
                );
                match reused {
                    Some(av) => {
                        self.set_own(vma.id, av);
                        ev.push(format!(
                            "{cloned}; reuses av{av} (no active vma, fewer than 2 children)"
                        ));
                    }
                    None => {
                        let root = self.root_of(pav);
                        let av = self.new_av(Some(root), Some(pav));
                        self.chain_link(m, pid, vma.id, av);
                        self.set_own(vma.id, av);
                        ev.push(format!(
                            "{cloned}, new anon_vma av{av} (parent av{pav}, root av{root})"
                        ));
                    }
                }
            }
            VmaOrigin::Split { from } | VmaOrigin::Move { from } => {
                let Some(av) = self.own(from.id) else { return };
                let (linked, _) = self.clone_chain(m, pid, vma.id, from.id, false);
                self.set_own(vma.id, av);
                let why = if matches!(origin, VmaOrigin::Split { .. }) {
                    "split"
                } else {
                    "copy_vma"
                };
                ev.push(format!(
                    "anon_vma_clone ({why}): pid {pid} {} gets {} AVC{} ({}), anon_vma av{av}",
                    vma.span(),
                    linked.len(),
                    if linked.len() == 1 { "" } else { "s" },
                    list(&linked)
                ));
            }
        }
    }

    fn vma_removed(&mut self, _m: &Machine, pid: Pid, vma: &Vma, ev: &mut Events) {
        self.unlink_vma(vma.id, pid, &vma.span(), ev);
    }

    fn vma_changed(&mut self, m: &Machine, change: ReshapedVma<'_>, ev: &mut Events) {
        let ReshapedVma {
            pid,
            before,
            after,
            merged,
        } = change;
        let Some(removed) = merged else {
            if !before.same_key(after) {
                self.rekey(after.id);
            }
            return;
        };
        if self.own(after.id).is_none()
            && let Some(av) = self.own(removed.id)
        {
            let (linked, _) = self.clone_chain(m, pid, after.id, removed.id, false);
            self.set_own(after.id, av);
            ev.push(format!(
                "dup_anon_vma: pid {pid} {} takes av{av} ({} AVC{})",
                after.span(),
                linked.len(),
                if linked.len() == 1 { "" } else { "s" }
            ));
        } else {
            self.rekey(after.id);
        }
        self.unlink_vma(removed.id, pid, &removed.span(), ev);
    }

    fn can_merge(&self, _m: &Machine, _pid: Pid, prev: &Vma, next: &Vma) -> bool {
        if prev.pgoff + prev.pages() != next.pgoff {
            return false;
        }
        // The "fork child" restriction is recent (mm/vma.c of 2025); 2.6.34 - 3.6 had none.
        let fork_child = |v: &Vma| {
            self.era == Era::Trees && self.own(v.id).is_some() && self.chain_len(v.id) != 1
        };
        match (self.own(prev.id), self.own(next.id)) {
            (Some(a), Some(b)) => a == b,
            (Some(_), None) => !fork_child(prev),
            (None, Some(_)) => !fork_child(next),
            (None, None) => true,
        }
    }

    fn anon_vma_prepared(&mut self, m: &Machine, pid: Pid, vma: &Vma, ev: &mut Events) {
        self.prepare(m, pid, vma, ev);
    }

    fn anon_page_added(&mut self, m: &Machine, new: NewAnonPage<'_>, ev: &mut Events) -> PageRmap {
        let NewAnonPage { at: PageAt { pid, vma, addr, .. }, how } = new;
        let own = self.prepare(m, pid, vma, ev);
        let mapping = match how {
            AnonAdd::SwapIn { exclusive: false } => self.root_of(own),
            _ => own,
        };
        PageRmap {
            mapping,
            index: vma.linear_index(addr),
        }
    }

    fn anon_page_reused(&mut self, m: &Machine, at: PageAt<'_>, ev: &mut Events) -> Repoint {
        let PageAt { pid, vma, addr, page } = at;
        let own = self.prepare(m, pid, vma, ev);
        let r = m.pages.get(page).rmap();
        if r.mapping != own {
            self.moved.add(
                &format!("folio_move_anon_rmap: to pid {pid}'s own av{own}"),
                page,
            );
        }
        Some(PageRmap {
            mapping: own,
            index: vma.linear_index(addr),
        })
    }

    fn walk(&self, m: &Machine, page: PageId, _kind: WalkKind) -> WalkPlan {
        let pg = m.pages.get(page);
        let av = pg.rmap().mapping;
        let object = format!("av{av}");
        let Some(a) = self.avs.get(&av) else {
            return WalkPlan::freed(&object);
        };
        let entries: Vec<(&Avc, &Vma)> = a
            .tree
            .iter()
            .filter_map(|c| self.avcs.get(c))
            .filter_map(|c| m.vma(c.pid, c.vma).map(|v| (c, v)))
            .collect();
        let index = pg.rmap().index;
        let candidate = |(c, v): (&Avc, &Vma)| candidate(c.pid, c.mm, v, index, &object);
        if self.era == Era::Lists {
            // The same_anon_vma list, oldest first; vma_address() sorts out the OUTs.
            let candidates: Vec<Candidate> = entries.iter().map(|&e| candidate(e)).collect();
            return WalkPlan {
                nodes_visited: candidates.len() as u32,
                nodes_per_candidate: true,
                candidates,
                object,
            };
        }
        let s = stab_vmas(entries.iter().map(|(c, v)| (*v, c.seq)), index);
        let candidates = s.hits.iter().map(|&i| candidate(entries[i])).collect();
        WalkPlan {
            candidates,
            nodes_visited: s.visited,
            nodes_per_candidate: false,
            object,
        }
    }

    fn end_step(&mut self, _m: &Machine, ev: &mut Events) {
        self.moved.flush(ev);
    }

    fn cost(&self, n: &Census) -> Cost {
        let vmas = n.vmas;
        let mut c = Cost::default();
        c.add(
            "per-vma anon_vma_chain head + anon_vma pointer",
            vmas,
            12,
            24,
            false,
        );
        match self.era {
            Era::Lists => {
                // 2.6.36 layouts (DERIVED, tests/layouts/historical.h): anon_vma = lock, root,
                // external_refcount, list head; AVC = vma, anon_vma, same_vma, same_anon_vma.
                c.add(
                    "anon_vma (lock, root, refcount, list head)",
                    self.avs.len() as u64,
                    20,
                    40,
                    true,
                );
                c.add(
                    "anon_vma_chain (vma, anon_vma, two list_heads)",
                    self.avcs.len() as u64,
                    24,
                    48,
                    true,
                );
            }
            Era::Trees => {
                c.add("anon_vma", self.avs.len() as u64, 52, 96, true);
                c.add("anon_vma_chain", self.avcs.len() as u64, 32, 64, true);
            }
        }
        c
    }

    fn rmap_graph(&self, m: &Machine) -> RmapGraph {
        self.rmap_view(m)
    }
}
