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

use std::collections::{BTreeMap, HashMap};

use super::file_rmap::{FileRmap, FileStructure};
use super::registry::{SchemeInfo, info};
use super::{AnonAdd, MmOrigin, RmapObject, RmapView, Scheme, VmaOrigin};
use crate::model::{
    Addr, Candidate, Cost, Events, Machine, MmId, PageId, PageRmap, Pid, Vma, VmaId, WalkKind,
    WalkPlan, hex,
};

#[derive(Clone, Debug, Default)]
struct AnonVma {
    /// The list, head first: (pid, mm, vma).
    list: Vec<(Pid, MmId, VmaId)>,
}

/// The 2.6.7 - 2.6.33 anon_vma scheme.
#[derive(Clone, Debug)]
pub struct AnonVmaScheme {
    avs: BTreeMap<u32, AnonVma>,
    next: u32,
    vma_av: HashMap<VmaId, u32>,
    files: FileRmap,
}

impl Default for AnonVmaScheme {
    fn default() -> Self {
        AnonVmaScheme {
            avs: BTreeMap::new(),
            next: 1,
            vma_av: HashMap::new(),
            files: FileRmap::new(FileStructure::PrioTree),
        }
    }
}

fn span(v: &Vma) -> String {
    format!("{}-{}", hex(v.start), hex(v.end))
}

impl AnonVmaScheme {
    /// list_add: the vma goes to the head of the anon_vma's list.
    fn link(&mut self, m: &Machine, av: u32, pid: Pid, vma: VmaId) {
        let mm = m.procs.get(&pid).map_or(MmId(0), |p| p.mm.id);
        self.vma_av.insert(vma, av);
        if let Some(a) = self.avs.get_mut(&av) {
            a.list.insert(0, (pid, mm, vma));
        }
    }

    /// anon_vma_unlink: the vma leaves the list; an empty anon_vma is freed.
    fn unlink(&mut self, vma: VmaId, ev: &mut Events) {
        let Some(av) = self.vma_av.remove(&vma) else {
            return;
        };
        let empty = match self.avs.get_mut(&av) {
            Some(a) => {
                a.list.retain(|&(_, _, v)| v != vma);
                a.list.is_empty()
            }
            None => false,
        };
        if empty {
            self.avs.remove(&av);
            ev.push(format!(
                "anon_vma_unlink: av{av} has no vmas left and is freed"
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

    /// anon_vma_prepare.
    fn prepare(&mut self, m: &Machine, pid: Pid, vma: &Vma, ev: &mut Events) -> u32 {
        if let Some(&av) = self.vma_av.get(&vma.id) {
            return av;
        }
        let av = match self.find_mergeable(m, pid, vma) {
            Some((av, n)) => {
                ev.push(format!(
                    "anon_vma_prepare: pid {pid} {} reuses av{av} of its neighbour {} (find_mergeable_anon_vma)",
                    span(vma),
                    span(&n)
                ));
                av
            }
            None => {
                let av = self.next;
                self.next += 1;
                self.avs.insert(av, AnonVma::default());
                ev.push(format!(
                    "anon_vma_prepare: new anon_vma av{av} for pid {pid} {}",
                    span(vma)
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
        info("anon-vma")
    }

    fn clone_box(&self) -> Box<dyn Scheme> {
        Box::new(self.clone())
    }

    fn mm_created(
        &mut self,
        _m: &Machine,
        _pid: Pid,
        _mm: MmId,
        _origin: MmOrigin,
        _ev: &mut Events,
    ) {
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
            ev.push(format!(
                "{why}: pid {pid} {} joins av{av} at the head of its list ({n} vmas)",
                span(vma)
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
        if !self.vma_av.contains_key(&kept_after.id)
            && let Some(&av) = self.vma_av.get(&removed.id)
        {
            self.link(m, av, pid, kept_after.id);
            ev.push(format!(
                "vma_adjust: pid {pid} {} takes over av{av}",
                span(kept_after)
            ));
        }
        self.files.remove(removed);
        if let Some(av) = self.vma_av.remove(&removed.id)
            && let Some(a) = self.avs.get_mut(&av)
        {
            a.list.retain(|&(_, _, v)| v != removed.id);
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
        let object = format!("av{av}");
        let Some(a) = self.avs.get(&av) else {
            return WalkPlan {
                object: format!("{object} (freed)"),
                ..WalkPlan::default()
            };
        };
        let candidates: Vec<Candidate> = a
            .list
            .iter()
            .filter_map(|&(pid, mm, id)| {
                let v = m.vma(pid, id)?;
                Some(Candidate {
                    pid,
                    mm,
                    vma: Some(id),
                    addr: v.address_of(pg.rmap().index),
                    skip: false,
                    via: object.clone(),
                })
            })
            .collect();
        WalkPlan {
            nodes_visited: candidates.len() as u32,
            candidates,
            object,
        }
    }

    fn cost(&self, m: &Machine) -> Cost {
        let vmas: u64 = m.procs.values().map(|p| p.mm.vmas.len() as u64).sum();
        let mut c = Cost::default();
        c.add(
            "per-vma anon_vma_node + anon_vma pointer",
            vmas,
            12,
            24,
            false,
        );
        c.add(
            "anon_vma (lock + list head)",
            self.avs.len() as u64,
            12,
            24,
            true,
        );
        c.add(
            "per-vma prio_tree node (vm_set: list_head, parent, head)",
            vmas,
            16,
            32,
            false,
        );
        c
    }

    fn view(&self, m: &Machine) -> RmapView {
        let mut view = RmapView::default();
        let mut index = HashMap::new();
        for (&av, a) in &self.avs {
            index.insert(av, view.objects.len());
            let members: Vec<String> = a
                .list
                .iter()
                .map(|&(pid, _, id)| {
                    m.vma(pid, id)
                        .map_or(format!("{id}"), |v| format!("pid {pid} {}", span(v)))
                })
                .collect();
            view.objects.push(RmapObject {
                key: format!("av{av}"),
                kind: "anon_vma",
                label: format!(
                    "av{av} ({} vma{})",
                    a.list.len(),
                    if a.list.len() == 1 { "" } else { "s" }
                ),
                fields: vec![
                    ("list (head first)".to_string(), members.join(", ")),
                    ("vmas".to_string(), a.list.len().to_string()),
                ],
            });
        }
        for (&av, a) in &self.avs {
            for &(_, _, id) in &a.list {
                view.vma_links
                    .push((id, index[&av], "anon_vma_node".to_string()));
                view.vma_fields
                    .push((id, vec![("anon_vma".to_string(), format!("av{av}"))]));
            }
        }
        for id in m.pages.alive_ids() {
            let pg = m.pages.get(id);
            if pg.is_anon()
                && pg.mapcount() > 0
                && let Some(&i) = index.get(&pg.rmap().mapping)
            {
                view.page_links.push((id, i));
            }
        }
        self.files.add_to_view(m, &mut view);
        view
    }
}
