//! `anon-as`: Rik van Riel's anonymous `address_space` per exec family (docs/semantics.md §3.6;
//! proposal of 12 Mar 2004, never implemented). Anonymous memory is mapped like a file: every
//! anonymous vma of the family sits in the family object's i_mmap, keyed by its pgoff range, and
//! "there's no difference between mremap() of anonymous memory and mremap() of part of an
//! mmap() range of a file". Each member gets its own window of the index space for vmas it makes
//! after fork, "while mapping the inherited VMAs in the same way any other file is mapped".
//!
//! What a page points to: `mapping` = the family's address_space, `index` = the vma's window
//! offset + its linear page index. The window is part of vm_pgoff in Rik's design; the model's
//! vm_pgoff is scheme independent, so the offset is kept here, per vma, and added.
//!
//! What the walk visits: a stabbing query of the family's tree at `index`: the vmas whose
//! window-adjusted pgoff range covers it, in order of start, equal starts in insertion order (a
//! vma whose range changes is re-inserted). No OUT. Memory a member made after fork lies in its
//! own window and is never a candidate in another member; ranges inherited at fork (and their
//! copy-on-write copies, which keep the inherited index) match in every member that inherited
//! them, so a child's private copy is still searched in its parent and siblings (MISS): the
//! objection Andrea Arcangeli made to every per-family object ([A0312b]). Stops after `mapcount`
//! hits.
//!
//! DERIVED choices (the proposal gives the idea, not the code):
//! - The family: the mm made by exec (or spawn) is member 0, and each mm forked from a member
//!   becomes the next member (1, 2, ...) of the same family. The address_space is allocated with
//!   the family's first mm ("attach a struct address_space to each mm at exec") and freed when
//!   its last mm is gone.
//! - The window: member k's window starts at k x 2^35 pages, the size of the whole 47-bit user
//!   address space in pages, so that any address of the member fits (Rik's "own 4GB subset" is
//!   the whole 32-bit address space on i386). Member 0's window starts at 0, so the founder's
//!   indices are plain anon-vma indices.
//! - Which window a vma uses: a new mmap: its member's own. A fork copy, a split piece and an
//!   mremap destination: the window of the vma they come from, except an mremap of a never
//!   faulted anonymous vma, whose pgoff the model resets to the new address: its member's own.
//! - Which vmas are in the tree: every private anonymous vma from its mmap on, as a file vma is
//!   in its file's i_mmap from mmap on. A private file mapping joins at its first anonymous page
//!   (copy-on-write), keyed by its file pgoff in its window; those keys may coincide with the
//!   pgoffs of anonymous vmas (extra MISS candidates, never a lost pte). Shared mappings are file
//!   (shmem) mappings only.
//! - Merging needs the window-adjusted pgoffs to continue, so an inherited vma and a vma the
//!   child made next to it never merge. A vma not yet seen (an mmap being placed) has its
//!   member's window.
//! - Structures: the anonymous side is a prio_tree (Rajesh Venkatasubramanian posted it nine
//!   days later, and Rik's premise is that anonymous memory be handled exactly as file i_mmap,
//!   which §3.6 reads as a tree); file pages use the i_mmap lists of March 2004.
//!
//! What each op changes: mmap of private anonymous memory: the vma enters the tree. First write
//! fault, COW copy, swap-in: the page gets (family, window + linear index); nothing is
//! allocated. Fork: the child's vmas enter the tree with the parent's windows. Split, mremap:
//! the new vma enters, the changed one is re-keyed. munmap, exit, exec: the vma leaves.
//!
//! Memory (§4, DERIVED): per vma a prio_tree node for the family tree (16 B / 32 B: a private
//! file vma is on its file's i_mmap and on the family tree, so it needs a second node) and the
//! 2004 i_mmap list linkage (8 B / 16 B); per mm a pointer to the family address_space
//! (4 B / 8 B); per family one `struct address_space`: 128 B on i386 (2.6.0 layout, C layout
//! model), 192 B on x86_64 (6.18, measured from BTF).

use std::collections::{BTreeMap, HashMap};

use super::SchemeInfo;
use super::file_rmap::{FileStructure, WithFiles};
use super::interval::{Interval, stab};
use super::linked::{InsertionOrder, LinkedVma};
use super::{MmOrigin, NewAnonPage, NewVma, PageAt, RmapObject, RmapGraph, Scheme, ReshapedVma, VmaOrigin, candidate};
use crate::model::{
    Census, Cost, Events, Machine, MmId, PAGE_SHIFT, PageId, PageRmap, Pid, USER_END, Vma, VmaId,
    WalkKind, WalkPlan, hex,
};

/// The `anon-as` design as the CLI, the TUI and the docs name it.
pub static ANON_AS: SchemeInfo = SchemeInfo {
    name: "anon-as",
    design: "Rik van Riel's anonymous address_space per family",
    era: "proposal, 12 Mar 2004",
    summary: "anonymous memory as a file per family, with a pgoff window per member for memory made after fork",
    spec: "§3.6",
    object_based: true,
    compare_with: None,
    make: || WithFiles::boxed(AnonAsScheme::default(), FileStructure::List),
};

/// Pages in one member's window: the whole user address space.
pub const WINDOW_PAGES: u64 = USER_END >> PAGE_SHIFT;

/// The anonymous address_space of one exec family.
#[derive(Clone, Debug)]
struct Space {
    founder: Pid,
    /// The next member number.
    next_member: u64,
    /// Live mms of the family.
    mms: u32,
    /// The family's tree of vmas.
    tree: Vec<LinkedVma>,
}

/// Per private vma: its family, its window offset, whether it is in the tree.
#[derive(Clone, Copy, Debug)]
struct VmaState {
    space: u32,
    window: u64,
    linked: bool,
}

/// Rik van Riel's anonymous address_space scheme.
#[derive(Clone, Debug)]
pub struct AnonAsScheme {
    spaces: BTreeMap<u32, Space>,
    /// mm -> (space, member number).
    mms: HashMap<MmId, (u32, u64)>,
    vmas: HashMap<VmaId, VmaState>,
    next_space: u32,
    order: InsertionOrder,
}

impl Default for AnonAsScheme {
    fn default() -> Self {
        AnonAsScheme {
            spaces: BTreeMap::new(),
            mms: HashMap::new(),
            vmas: HashMap::new(),
            next_space: 1,
            order: InsertionOrder::default(),
        }
    }
}

fn mm_of(m: &Machine, pid: Pid) -> MmId {
    m.procs.get(&pid).map_or(MmId(0), |p| p.mm.id)
}

impl AnonAsScheme {
    /// (space, own window) of `pid`'s mm.
    fn member(&self, m: &Machine, pid: Pid) -> Option<(u32, u64)> {
        self.mms
            .get(&mm_of(m, pid))
            .map(|&(space, member)| (space, member * WINDOW_PAGES))
    }

    /// The window a vma's pgoff lives in: its own, or (never seen) its member's.
    fn window(&self, m: &Machine, pid: Pid, vma: &Vma) -> u64 {
        match self.vmas.get(&vma.id) {
            Some(s) => s.window,
            None => self.member(m, pid).map_or(0, |(_, w)| w),
        }
    }

    /// Records a private vma; anonymous ones go into the tree at once.
    fn track(&mut self, m: &Machine, pid: Pid, vma: &Vma, window: u64, ev: &mut Events) {
        let Some((space, _)) = self.member(m, pid) else {
            return;
        };
        self.vmas.insert(
            vma.id,
            VmaState {
                space,
                window,
                linked: false,
            },
        );
        if vma.is_anonymous() {
            self.link(m, pid, vma, ev);
        }
    }

    /// The vma enters its family's tree.
    fn link(&mut self, m: &Machine, pid: Pid, vma: &Vma, ev: &mut Events) {
        let Some(st) = self.vmas.get_mut(&vma.id) else {
            return;
        };
        if st.linked {
            return;
        }
        st.linked = true;
        let (space, window) = (st.space, st.window);
        if let Some(s) = self.spaces.get_mut(&space) {
            s.tree.push(self.order.link(pid, mm_of(m, pid), vma.id));
            ev.push(format!(
                "anon_as{space}: pid {pid} {} enters the family tree at pgoff {}-{} ({})",
                vma.span(),
                hex(window + vma.pgoff),
                hex(window + vma.last_pgoff()),
                window_name(window)
            ));
        }
    }

    fn unlink(&mut self, vma: VmaId) {
        if let Some(st) = self.vmas.remove(&vma)
            && let Some(s) = self.spaces.get_mut(&st.space)
        {
            s.tree.retain(|e| e.vma != vma);
        }
    }

    fn rekey(&mut self, before: &Vma, after: &Vma) {
        if before.same_key(after) {
            return;
        }
        let Some(st) = self.vmas.get(&after.id) else {
            return;
        };
        if let Some(s) = self.spaces.get_mut(&st.space) {
            self.order.relink(&mut s.tree, after.id);
        }
    }

    fn maybe_free(&mut self, space: u32, ev: &mut Events) {
        if self
            .spaces
            .get(&space)
            .is_some_and(|s| s.mms == 0 && s.tree.is_empty())
        {
            self.spaces.remove(&space);
            ev.push(format!(
                "anon_as{space}: the family's last mm is gone; its address_space is freed"
            ));
        }
    }
}

/// "member 2's window" for a window offset.
fn window_name(window: u64) -> String {
    format!("member {}'s window", window / WINDOW_PAGES)
}

impl Scheme for AnonAsScheme {
    fn info(&self) -> &'static SchemeInfo {
        &ANON_AS
    }

    fn mm_created(&mut self, _m: &Machine, pid: Pid, mm: MmId, origin: MmOrigin, ev: &mut Events) {
        let parent = match origin {
            MmOrigin::Fork { parent_mm, .. } => self.mms.get(&parent_mm).map(|&(s, _)| s),
            MmOrigin::Spawn | MmOrigin::Exec => None,
        };
        let (space, member) = match parent.and_then(|s| self.spaces.get_mut(&s).map(|x| (s, x))) {
            Some((s, x)) => {
                let k = x.next_member;
                x.next_member += 1;
                x.mms += 1;
                (s, k)
            }
            None => {
                let s = self.next_space;
                self.next_space += 1;
                self.spaces.insert(
                    s,
                    Space {
                        founder: pid,
                        next_member: 1,
                        mms: 1,
                        tree: Vec::new(),
                    },
                );
                ev.push(format!(
                    "anon_as{s}: new anonymous address_space for the exec family of pid {pid}"
                ));
                (s, 0)
            }
        };
        if member > 0 {
            ev.push(format!(
                "anon_as{space}: pid {pid} is member {member}; its new vmas get pgoffs from {}",
                hex(member * WINDOW_PAGES)
            ));
        }
        self.mms.insert(mm, (space, member));
    }

    fn mm_destroyed(&mut self, _m: &Machine, _pid: Pid, mm: MmId, ev: &mut Events) {
        if let Some((space, _)) = self.mms.remove(&mm) {
            if let Some(s) = self.spaces.get_mut(&space) {
                s.mms = s.mms.saturating_sub(1);
            }
            self.maybe_free(space, ev);
        }
    }

    fn vma_added(&mut self, m: &Machine, new: NewVma<'_>, ev: &mut Events) {
        let NewVma { pid, vma, origin } = new;
        if vma.shared {
            return;
        }
        let own = self.member(m, pid).map_or(0, |(_, w)| w);
        let (window, from) = match origin {
            VmaOrigin::Mmap => (own, None),
            VmaOrigin::Fork { from, .. } | VmaOrigin::Split { from } => (
                self.vmas.get(&from.id).map_or(own, |s| s.window),
                Some(from),
            ),
            VmaOrigin::Move { from } if from.anon_faulted || from.file.is_some() => (
                self.vmas.get(&from.id).map_or(own, |s| s.window),
                Some(from),
            ),
            VmaOrigin::Move { .. } => (own, None),
        };
        self.track(m, pid, vma, window, ev);
        if let Some(from) = from
            && self.vmas.get(&from.id).is_some_and(|s| s.linked)
        {
            self.link(m, pid, vma, ev);
        }
    }

    fn vma_removed(&mut self, _m: &Machine, _pid: Pid, vma: &Vma, _ev: &mut Events) {
        self.unlink(vma.id);
    }

    fn vma_changed(&mut self, m: &Machine, change: ReshapedVma<'_>, ev: &mut Events) {
        self.rekey(change.before, change.after);
        if let Some(removed) = change.merged {
            if self.vmas.get(&removed.id).is_some_and(|s| s.linked) {
                self.link(m, change.pid, change.after, ev);
            }
            self.unlink(removed.id);
        }
    }

    fn can_merge(&self, m: &Machine, pid: Pid, prev: &Vma, next: &Vma) -> bool {
        self.window(m, pid, prev) + prev.pgoff + prev.pages()
            == self.window(m, pid, next) + next.pgoff
    }

    fn anon_vma_prepared(&mut self, m: &Machine, pid: Pid, vma: &Vma, ev: &mut Events) {
        self.link(m, pid, vma, ev);
    }

    fn anon_page_added(&mut self, m: &Machine, new: NewAnonPage<'_>, ev: &mut Events) -> PageRmap {
        let NewAnonPage { at: PageAt { pid, vma, addr, .. }, .. } = new;
        self.link(m, pid, vma, ev);
        let (space, window) = match self.vmas.get(&vma.id) {
            Some(s) => (s.space, s.window),
            None => self.member(m, pid).unwrap_or((0, 0)),
        };
        PageRmap {
            mapping: space,
            index: window + vma.linear_index(addr),
        }
    }

    fn walk(&self, m: &Machine, page: PageId, _kind: WalkKind) -> WalkPlan {
        let pg = m.pages.get(page);
        let space = pg.rmap().mapping;
        let index = pg.rmap().index;
        let object = format!("anon_as{space}");
        let Some(s) = self.spaces.get(&space) else {
            return WalkPlan::freed(&object);
        };
        let live: Vec<(&LinkedVma, &Vma, u64)> = s
            .tree
            .iter()
            .filter_map(|e| {
                let v = m.vma(e.pid, e.vma)?;
                let w = self.vmas.get(&e.vma)?.window;
                Some((e, v, w))
            })
            .collect();
        let ivs: Vec<Interval> = live
            .iter()
            .map(|(e, v, w)| Interval {
                first: w + v.pgoff,
                last: w + v.last_pgoff(),
                seq: e.seq,
            })
            .collect();
        let hits = stab(&ivs, index);
        let candidates = hits
            .hits
            .iter()
            .map(|&i| {
                // The query returned only vmas whose window-adjusted range covers the index.
                let (e, v, w) = live[i];
                candidate(e.pid, e.mm, v, index - w, &object)
            })
            .collect();
        WalkPlan {
            candidates,
            nodes_visited: hits.visited,
            nodes_per_candidate: false,
            object,
        }
    }

    fn cost(&self, n: &Census) -> Cost {
        let vmas = n.vmas;
        let mut c = Cost::default();
        c.add(
            "per-vma family prio_tree node (vm_set: list_head, parent, head)",
            vmas,
            16,
            32,
            false,
        );
        c.add(
            "per-mm pointer to the family address_space",
            n.processes,
            4,
            8,
            false,
        );
        c.add(
            "address_space (anonymous, one per exec family)",
            self.spaces.len() as u64,
            128,
            192,
            true,
        );
        c
    }

    fn rmap_graph(&self, m: &Machine) -> RmapGraph {
        let mut view = RmapGraph::default();
        let mut index = HashMap::new();
        for (&id, s) in &self.spaces {
            index.insert(id, view.objects.len());
            let mut members: Vec<(u64, u64, String)> = s
                .tree
                .iter()
                .filter_map(|e| {
                    let v = m.vma(e.pid, e.vma)?;
                    let w = self.vmas.get(&e.vma)?.window;
                    Some((
                        w + v.pgoff,
                        e.seq,
                        format!("pid {} {} at {}", e.pid, v.span(), hex(w + v.pgoff)),
                    ))
                })
                .collect();
            members.sort_by_key(|&(k, seq, _)| (k, seq));
            let n = s.tree.len();
            view.objects.push(RmapObject {
                key: format!("anon_as{id}"),
                kind: "address_space",
                label: format!(
                    "anon_as{id} (family of pid {}, {n} vma{})",
                    s.founder,
                    if n == 1 { "" } else { "s" }
                ),
                fields: vec![
                    (
                        "exec family".to_string(),
                        format!("exec or spawn of pid {}", s.founder),
                    ),
                    ("live mms".to_string(), s.mms.to_string()),
                    ("members so far".to_string(), s.next_member.to_string()),
                    (
                        "i_mmap (prio_tree, pgoff order)".to_string(),
                        members
                            .into_iter()
                            .map(|(_, _, t)| t)
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                ],
            });
        }
        for (&vma, st) in &self.vmas {
            let mut fields = vec![
                ("family".to_string(), format!("anon_as{}", st.space)),
                (
                    "window".to_string(),
                    format!("{} ({})", hex(st.window), window_name(st.window)),
                ),
            ];
            if let Some((_, v)) = m.find_vma(vma) {
                fields.push(("pgoff in the family".to_string(), hex(st.window + v.pgoff)));
            }
            if st.linked
                && let Some(&i) = index.get(&st.space)
            {
                view.vma_links.push((vma, i, "i_mmap".to_string()));
            }
            view.vma_fields.push((vma, fields));
        }
        view.vma_links.sort_by_key(|l| (l.0, l.1));
        view.vma_fields.sort_by_key(|f| f.0);
        view.link_anon_pages(m.pages.mapped_anon(), &index);
        view
    }
}
