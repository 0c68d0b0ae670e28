//! `anon-vma`: Andrea Arcangeli's anon_vma as merged in 2.6.7 and kept until 2.6.33
//! (rmap-semantics.md §3.4; mm/rmap.c of 2.6.11).
//!
//! What a page points to: an anonymous page's `mapping` is the anon_vma of the vma that first
//! mapped it, `index` its linear page index (`vm_pgoff + (addr - vm_start) / PAGE_SIZE`; an
//! anonymous vma's pgoff is its mmap address in pages, and survives mremap). A file page points
//! at its file; the file's vmas sit in a prio_tree.
//!
//! What the walk visits: every vma on the page's anon_vma list, newest first (`list_add` at the
//! head in anon_vma_prepare, anon_vma_link and __vma_link), each checked with vma_address():
//! OUT if the index falls outside the vma, else the page tables are read (HIT or MISS). File
//! pages: a prio_tree stabbing query. Both stop after `mapcount` hits.
//!
//! What each op changes:
//! - first write fault: anon_vma_prepare gives the vma an anon_vma: the one of an adjacent vma
//!   that could merge with it but for its protection (find_mergeable_anon_vma, rmap 40), or a
//!   new one; the vma goes on its list.
//! - fork: the child's vma copies the parent's anon_vma pointer and joins the same list; one
//!   anon_vma for the whole fork family.
//! - COW copy, swap-in: the new page points at the faulting vma's anon_vma (the family's).
//!   Reuse of a page in place changes nothing.
//! - split, mremap move: the new vma joins the same list. Merge: needs one anon_vma (or one side
//!   without) and a linear pgoff. munmap, exit, exec: the vma leaves the list; an empty anon_vma
//!   is freed at once (no refcount in this era).
//!
//! The same code, switched by [`Flavor`], is `anon-vma-global` and `anon-vma-global-prio`
//! (one object per exec family; see anon_vma_global.rs for that design and its choices).

use std::collections::{BTreeMap, HashMap};

use super::anon_vma_global::Families;
use super::file_rmap::{FileRmap, FileStructure};
use super::interval::{Interval, stab};
use super::registry::{SchemeInfo, info};
use super::{AnonAdd, MmOrigin, RmapObject, RmapView, Scheme, VmaOrigin, candidate};
use crate::model::{
    Addr, Candidate, Cost, Events, Machine, MmId, PageId, PageRmap, Pid, Vma, VmaId, WalkKind,
    WalkPlan,
};

/// Which design of the anon_vma family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `anon-vma` (2.6.7 - 2.6.33): an anon_vma per fork family, made at the first fault.
    Mainline,
    /// `anon-vma-global`: one object per exec family, every anonymous vma on its list.
    Global,
    /// `anon-vma-global-prio`: the same object with a pgoff-keyed prio_tree instead of the list.
    GlobalPrio,
}

/// A vma on an anon_vma.
#[derive(Clone, Copy, Debug)]
struct Member {
    pid: Pid,
    mm: MmId,
    vma: VmaId,
    /// Insertion sequence (the tree order of equal keys, for `GlobalPrio`).
    seq: u64,
}

#[derive(Clone, Debug, Default)]
struct AnonVma {
    /// The list, head first.
    list: Vec<Member>,
}

/// The anon_vma scheme of 2.6.7 - 2.6.33, or one of its global variants.
#[derive(Clone, Debug)]
pub struct AnonVmaScheme {
    flavor: Flavor,
    avs: BTreeMap<u32, AnonVma>,
    next: u32,
    seq: u64,
    vma_av: HashMap<VmaId, u32>,
    files: FileRmap,
    /// Exec families (the global flavors only).
    families: Families,
}

impl Default for AnonVmaScheme {
    fn default() -> Self {
        AnonVmaScheme::new(Flavor::Mainline)
    }
}

impl AnonVmaScheme {
    /// A fresh scheme of the given flavor.
    pub fn new(flavor: Flavor) -> Self {
        AnonVmaScheme {
            flavor,
            avs: BTreeMap::new(),
            next: 1,
            seq: 0,
            vma_av: HashMap::new(),
            files: FileRmap::new(match flavor {
                Flavor::Mainline => FileStructure::PrioTree,
                Flavor::Global | Flavor::GlobalPrio => FileStructure::List,
            }),
            families: Families::default(),
        }
    }

    fn global(&self) -> bool {
        self.flavor != Flavor::Mainline
    }

    /// What the object is called in events and views.
    fn kind(&self) -> &'static str {
        if self.global() {
            "anon_vma_global"
        } else {
            "anon_vma"
        }
    }

    /// list_add: the vma goes to the head of the anon_vma's list.
    fn link(&mut self, m: &Machine, av: u32, pid: Pid, vma: VmaId) {
        let mm = m.procs.get(&pid).map_or(MmId(0), |p| p.mm.id);
        self.vma_av.insert(vma, av);
        self.seq += 1;
        let member = Member {
            pid,
            mm,
            vma,
            seq: self.seq,
        };
        if let Some(a) = self.avs.get_mut(&av) {
            a.list.insert(0, member);
        }
    }

    /// A vma whose range or pgoff changed is re-inserted into the prio_tree (behind equal keys).
    fn rekey(&mut self, before: &Vma, after: &Vma) {
        if before.same_key(after) {
            return;
        }
        let Some(av) = self.vma_av.get(&after.id) else {
            return;
        };
        self.seq += 1;
        let seq = self.seq;
        if let Some(x) = self
            .avs
            .get_mut(av)
            .and_then(|a| a.list.iter_mut().find(|x| x.vma == after.id))
        {
            x.seq = seq;
        }
    }

    /// anon_vma_unlink: the vma leaves the list; an empty anon_vma is freed.
    fn unlink(&mut self, vma: VmaId, ev: &mut Events) {
        let Some(av) = self.vma_av.remove(&vma) else {
            return;
        };
        let empty = match self.avs.get_mut(&av) {
            Some(a) => {
                a.list.retain(|x| x.vma != vma);
                a.list.is_empty()
            }
            None => false,
        };
        if empty {
            self.avs.remove(&av);
            self.families.object_freed(av);
            ev.push(format!(
                "anon_vma_unlink: {} av{av} has no vmas left and is freed",
                self.kind()
            ));
        }
    }

    /// find_mergeable_anon_vma (rmap 40): an adjacent vma that differs at most in rwx, maps the
    /// same file (or none) at a continuing pgoff, and already has an anon_vma.
    fn find_mergeable(&self, m: &Machine, pid: Pid, vma: &Vma) -> Option<(u32, Vma)> {
        let mm = &m.proc(pid).ok()?.mm;
        let i = mm.vmas.iter().position(|v| v.id == vma.id)?;
        let compatible = |a: &Vma, b: &Vma| {
            a.end == b.start
                && a.shared == b.shared
                && a.file == b.file
                && a.pgoff + a.pages() == b.pgoff
        };
        let next = mm.vmas.get(i + 1).filter(|n| compatible(vma, n));
        let prev = i
            .checked_sub(1)
            .map(|j| &mm.vmas[j])
            .filter(|p| compatible(p, vma));
        [next, prev]
            .into_iter()
            .flatten()
            .find_map(|n| self.vma_av.get(&n.id).map(|&av| (av, n.clone())))
    }

    /// The family object of `pid`'s exec family, allocated if the family has none.
    fn family_object(&mut self, m: &Machine, pid: Pid, vma: &Vma, ev: &mut Events) -> u32 {
        let mm = m.procs.get(&pid).map_or(MmId(0), |p| p.mm.id);
        let family = self.families.family_of(mm).unwrap_or(0);
        if let Some(av) = self.families.object(family) {
            ev.push(format!(
                "anon_vma_prepare: pid {pid} {} joins its family's anon_vma_global av{av}",
                vma.span()
            ));
            return av;
        }
        let av = self.new_object();
        self.families.set_object(family, av);
        ev.push(format!(
            "anon_vma_prepare: new anon_vma_global av{av} for the exec family of pid {pid}, first vma {}",
            vma.span()
        ));
        av
    }

    fn new_object(&mut self) -> u32 {
        let av = self.next;
        self.next += 1;
        self.avs.insert(av, AnonVma::default());
        av
    }

    /// anon_vma_prepare.
    fn prepare(&mut self, m: &Machine, pid: Pid, vma: &Vma, ev: &mut Events) -> u32 {
        if let Some(&av) = self.vma_av.get(&vma.id) {
            return av;
        }
        if self.global() {
            let av = self.family_object(m, pid, vma, ev);
            self.link(m, av, pid, vma.id);
            return av;
        }
        let av = match self.find_mergeable(m, pid, vma) {
            Some((av, n)) => {
                ev.push(format!(
                    "anon_vma_prepare: pid {pid} {} reuses av{av} of its neighbour {} (find_mergeable_anon_vma)",
                    vma.span(),
                    n.span()
                ));
                av
            }
            None => {
                let av = self.new_object();
                ev.push(format!(
                    "anon_vma_prepare: new anon_vma av{av} for pid {pid} {}",
                    vma.span()
                ));
                av
            }
        };
        self.link(m, av, pid, vma.id);
        av
    }
}

impl Scheme for AnonVmaScheme {
    fn info(&self) -> &'static SchemeInfo {
        match self.flavor {
            Flavor::Mainline => info("anon-vma"),
            Flavor::Global => info("anon-vma-global"),
            Flavor::GlobalPrio => info("anon-vma-global-prio"),
        }
    }

    fn clone_box(&self) -> Box<dyn Scheme> {
        Box::new(self.clone())
    }

    fn mm_created(&mut self, _m: &Machine, pid: Pid, mm: MmId, origin: MmOrigin, _ev: &mut Events) {
        if self.global() {
            self.families.mm_created(pid, mm, origin);
        }
    }

    fn mm_destroyed(&mut self, _m: &Machine, _pid: Pid, mm: MmId, _ev: &mut Events) {
        self.families.mm_destroyed(mm);
    }

    fn vma_added(
        &mut self,
        m: &Machine,
        pid: Pid,
        vma: &Vma,
        origin: VmaOrigin<'_>,
        ev: &mut Events,
    ) {
        self.files.add(m, pid, vma);
        let (from, why) = match origin {
            VmaOrigin::Mmap => return,
            VmaOrigin::Fork { from, .. } => (from, "anon_vma_link (fork)"),
            VmaOrigin::Split { from } => (from, "__anon_vma_link (split)"),
            VmaOrigin::Move { from } => (from, "anon_vma_link (copy_vma)"),
        };
        if let Some(&av) = self.vma_av.get(&from.id) {
            self.link(m, av, pid, vma.id);
            let n = self.avs.get(&av).map_or(0, |a| a.list.len());
            let place = if self.flavor == Flavor::GlobalPrio {
                "its prio_tree"
            } else {
                "the head of its list"
            };
            ev.push(format!(
                "{why}: pid {pid} {} joins {} av{av} at {place} ({n} vmas)",
                vma.span(),
                self.kind()
            ));
        }
    }

    fn vma_removed(&mut self, _m: &Machine, _pid: Pid, vma: &Vma, ev: &mut Events) {
        self.files.remove(vma);
        self.unlink(vma.id, ev);
    }

    fn vma_resized(
        &mut self,
        _m: &Machine,
        _pid: Pid,
        before: &Vma,
        after: &Vma,
        _ev: &mut Events,
    ) {
        self.files.rekey(before, after);
        if self.flavor == Flavor::GlobalPrio {
            self.rekey(before, after);
        }
    }

    fn vma_merged(
        &mut self,
        m: &Machine,
        pid: Pid,
        kept_before: &Vma,
        kept_after: &Vma,
        removed: &Vma,
        ev: &mut Events,
    ) {
        self.files.rekey(kept_before, kept_after);
        if self.flavor == Flavor::GlobalPrio {
            self.rekey(kept_before, kept_after);
        }
        if !self.vma_av.contains_key(&kept_after.id)
            && let Some(&av) = self.vma_av.get(&removed.id)
        {
            self.link(m, av, pid, kept_after.id);
            ev.push(format!(
                "vma_adjust: pid {pid} {} takes over {} av{av}",
                kept_after.span(),
                self.kind()
            ));
        }
        self.files.remove(removed);
        if let Some(av) = self.vma_av.remove(&removed.id)
            && let Some(a) = self.avs.get_mut(&av)
        {
            a.list.retain(|x| x.vma != removed.id);
        }
    }

    fn can_merge(&self, _m: &Machine, _pid: Pid, prev: &Vma, next: &Vma) -> bool {
        if prev.pgoff + prev.pages() != next.pgoff {
            return false;
        }
        match (self.vma_av.get(&prev.id), self.vma_av.get(&next.id)) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }

    fn anon_page_added(
        &mut self,
        m: &Machine,
        pid: Pid,
        vma: &Vma,
        addr: Addr,
        _page: PageId,
        _how: AnonAdd,
        ev: &mut Events,
    ) -> PageRmap {
        let av = self.prepare(m, pid, vma, ev);
        PageRmap {
            mapping: av,
            index: vma.linear_index(addr),
        }
    }

    fn pte_mapped(
        &mut self,
        _m: &Machine,
        _pid: Pid,
        _addr: Addr,
        _page: PageId,
        _ev: &mut Events,
    ) {
    }

    fn pte_unmapped(
        &mut self,
        _m: &Machine,
        _pid: Pid,
        _addr: Addr,
        _page: PageId,
        _ev: &mut Events,
    ) {
    }

    fn walk(&self, m: &Machine, page: PageId, _kind: WalkKind) -> WalkPlan {
        let pg = m.pages.get(page);
        if !pg.is_anon() {
            return self.files.walk(m, page);
        }
        let av = pg.rmap().mapping;
        let index = pg.rmap().index;
        let object = format!("av{av}");
        let Some(a) = self.avs.get(&av) else {
            return WalkPlan {
                object: format!("{object} (freed)"),
                ..WalkPlan::default()
            };
        };
        let live: Vec<(&Member, &Vma)> = a
            .list
            .iter()
            .filter_map(|x| m.vma(x.pid, x.vma).map(|v| (x, v)))
            .collect();
        let candidate = |(x, v): (&Member, &Vma)| candidate(x.pid, x.mm, v, index, &object);
        if self.flavor == Flavor::GlobalPrio {
            let ivs: Vec<Interval> = live
                .iter()
                .map(|(x, v)| Interval {
                    first: v.pgoff,
                    last: v.last_pgoff(),
                    seq: x.seq,
                })
                .collect();
            let s = stab(&ivs, index);
            return WalkPlan {
                candidates: s.hits.iter().map(|&i| candidate(live[i])).collect(),
                nodes_visited: s.visited,
                object,
            };
        }
        let candidates: Vec<Candidate> = live.into_iter().map(candidate).collect();
        WalkPlan {
            nodes_visited: candidates.len() as u32,
            candidates,
            object,
        }
    }

    fn cost(&self, m: &Machine) -> Cost {
        let vmas: u64 = m.procs.values().map(|p| p.mm.vmas.len() as u64).sum();
        let objects = self.avs.len() as u64;
        let mut c = Cost::default();
        match self.flavor {
            Flavor::Mainline => {
                c.add(
                    "per-vma anon_vma_node + anon_vma pointer",
                    vmas,
                    12,
                    24,
                    false,
                );
                c.add("anon_vma (lock + list head)", objects, 12, 24, true);
            }
            Flavor::Global => {
                c.add(
                    "per-vma anon_vma_node + anon_vma pointer",
                    vmas,
                    12,
                    24,
                    false,
                );
                c.add(
                    "anon_vma_global (lock + list head), one per exec family",
                    objects,
                    12,
                    24,
                    true,
                );
            }
            Flavor::GlobalPrio => {
                c.add(
                    "per-vma anon prio_tree node (vm_set) + anon_vma pointer",
                    vmas,
                    20,
                    40,
                    false,
                );
                c.add(
                    "anon_vma_global (lock + prio_tree root), one per exec family",
                    objects,
                    12,
                    24,
                    true,
                );
            }
        }
        self.files.add_cost(&mut c, vmas);
        c
    }

    fn view(&self, m: &Machine) -> RmapView {
        let mut view = RmapView::default();
        let mut index = HashMap::new();
        for (&av, a) in &self.avs {
            index.insert(av, view.objects.len());
            let mut members: Vec<(u64, u64, String)> = a
                .list
                .iter()
                .map(|x| match m.vma(x.pid, x.vma) {
                    Some(v) => (v.pgoff, x.seq, format!("pid {} {}", x.pid, v.span())),
                    None => (0, x.seq, format!("{}", x.vma)),
                })
                .collect();
            let order = if self.flavor == Flavor::GlobalPrio {
                members.sort_by_key(|&(pgoff, seq, _)| (pgoff, seq));
                "prio_tree (pgoff order)"
            } else {
                "list (head first)"
            };
            let members: Vec<String> = members.into_iter().map(|(_, _, s)| s).collect();
            let mut pids: Vec<Pid> = a.list.iter().map(|x| x.pid).collect();
            pids.sort_unstable();
            pids.dedup();
            let n = a.list.len();
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
            ];
            if let Some(f) = self.families.describe(av) {
                fields.push(("exec family".to_string(), f));
            }
            view.objects.push(RmapObject {
                key: format!("av{av}"),
                kind: self.kind(),
                label: format!("av{av} ({n} vma{})", if n == 1 { "" } else { "s" }),
                fields,
            });
        }
        for (&av, a) in &self.avs {
            for x in &a.list {
                view.vma_links
                    .push((x.vma, index[&av], "anon_vma_node".to_string()));
                view.vma_fields
                    .push((x.vma, vec![("anon_vma".to_string(), format!("av{av}"))]));
            }
        }
        view.link_anon_pages(m, &index);
        self.files.add_to_view(m, &mut view);
        view
    }
}
