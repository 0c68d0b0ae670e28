//! `anonmm` and `anonmm-naive`: Hugh Dickins's anonmm (docs/semantics.md §3.3; "rmap 10 add
//! anonmm rmap" and "rmap 11 mremap moves", Apr 2004; anobjrmap 5/6, Mar 2004). One
//! implementation; a flag says whether rmap 11's mremap fix is in.
//!
//! Objects: one `struct anonmm` per mm. Every mm descending from one exec forms a bundle: a
//! ring of anonmms in fork order, headed by the anonmm of the exec'd (or spawned) mm. Fork
//! appends the child's anonmm at the ring's tail (dup_rmap); exec and spawn start a new bundle
//! (exec_rmap). When an mm dies (exit, or the old mm of an exec) its anonmm loses the mm
//! (`mm = NULL`) and lingers while pages still name it; a ring member is freed when no page
//! names it any more; the head holds the bundle's lock and is freed only when the whole bundle
//! is gone (exit_rmap frees it when its count is down to its own reference). No per-vma state.
//!
//! What a page points to: an anonymous page's `mapping` is the anonmm of the mm that mapped it
//! first (page_add_anon_rmap at mapcount 0), its `index` the user virtual address there. When
//! the mapcount falls to 0 the page stops naming the anonmm (clear_page_anon), so a page left in
//! the swap cache is named afresh by the first mm that maps it again (the "indicated" mm).
//! File pages: the file and its offset, through the file's i_mmap lists of the era (private
//! list, then shared list, oldest first; OUT for vmas that do not cover the offset).
//!
//! What the walk visits (try_to_unmap_anon, page_referenced_anon): the indicated mm first, at
//! `page->index`; then round the ring from the indicated anonmm onwards, in fork order, each mm
//! at the same address. Each candidate is a whole mm (no vma, no OUT): HIT or MISS by its page
//! tables. An anonmm whose mm is gone, or whose mm maps no pages (rss 0), is SKIPped without
//! looking. The walk stops once `mapcount` ptes were found.
//!
//! What each op changes:
//! - write fault, COW copy, swap-in of a new page: the page names the faulting mm's anonmm and
//!   the address.
//! - fork: the child's anonmm joins the ring; copied ptes only raise mapcounts.
//! - mprotect, split, merge, munmap: nothing on the anon side; merges are never restricted
//!   (any two anonymous neighbours merge, §7 S7).
//! - page_referenced: a page whose indicated anonmm is dead and whose ptes were all found is
//!   migrated to the first live mm that maps it, so dead anonmms can be freed.
//! - mremap move, `anonmm` (rmap 11): a page shared with another mm is copied before its pte
//!   moves (make_page_exclusive; the kernel prints "mremap moved N cows"); a page mapped once
//!   gets `index` rewritten to the new address (mremap_move_anon_rmap). A page shared while on
//!   swap is not touched at mremap; it is copied when swapped in at an address other than its
//!   `index` while another pte maps it (do_swap_page, mremap_moved_anon_rmap).
//! - mremap move, `anonmm-naive` (Mar 2004, no fix): the ptes move and nothing else changes, so
//!   the walk probes the moving mm at the old address and the moved pte is LOST: such a page can
//!   never be fully unmapped (Andrea Arcangeli, 12 Mar 2004).

use std::collections::{BTreeMap, HashMap};

use super::SchemeInfo;
use super::file_rmap::{FileStructure, WithFiles};
use super::{MmOrigin, NewAnonPage, PageAt, PteMove, Repoint, RmapObject, RmapGraph, Scheme};
use crate::model::{
    Census, Addr, Candidate, Cost, Events, Machine, MmId, PageId, PageRmap, Pid, Tally, Vma, Walk,
    WalkKind, WalkPlan,
};

/// The `anonmm` design as the CLI, the TUI and the docs name it.
pub static ANONMM: SchemeInfo = SchemeInfo {
    name: "anonmm",
    design: "Hugh Dickins's anonmm, mremap copies shared pages (rmap 10 + 11)",
    era: "Apr 2004",
    summary: "a page names the mm that first mapped it and its address; the walk tries that mm, then every mm of the exec family",
    spec: "§3.3",
    object_based: true,
    compare_with: None,
    make: || WithFiles::boxed(AnonMmScheme::new(true), FileStructure::List),
};

/// The `anonmm-naive` design as the CLI, the TUI and the docs name it.
pub static ANONMM_NAIVE: SchemeInfo = SchemeInfo {
    name: "anonmm-naive",
    design: "anonmm without any mremap fix",
    era: "Mar 2004",
    summary: "as anonmm, but a pte moved by mremap is never found again (Andrea Arcangeli's objection)",
    spec: "§3.3",
    object_based: true,
    compare_with: Some("anon-vma"),
    make: || WithFiles::boxed(AnonMmScheme::new(false), FileStructure::List),
};

#[derive(Clone, Debug)]
struct AnonMm {
    /// The mm while it lives; None once it exited or exec'd.
    mm: Option<MmId>,
    /// The mm it belonged to, and its process.
    last_mm: MmId,
    pid: Pid,
    /// The bundle's head anonmm (itself for a head).
    head: u32,
    /// Pages whose mapping names this anonmm.
    pages: u32,
}

/// The anonmm scheme, with or without rmap 11's mremap fix.
#[derive(Clone, Debug)]
pub struct AnonMmScheme {
    fix: bool,
    anonmms: BTreeMap<u32, AnonMm>,
    /// head -> the bundle's ring, head first, then the members in fork order.
    rings: BTreeMap<u32, Vec<u32>>,
    mm_anonmm: HashMap<MmId, u32>,
    next: u32,
    /// Page rmap words changed by hooks that cannot return them; the latest per page.
    pending: BTreeMap<PageId, PageRmap>,
    tally: Tally,
}

impl AnonMmScheme {
    /// `anonmm` (rmap 10 + rmap 11) with `fix`, `anonmm-naive` without.
    pub fn new(fix: bool) -> Self {
        AnonMmScheme {
            fix,
            anonmms: BTreeMap::new(),
            rings: BTreeMap::new(),
            mm_anonmm: HashMap::new(),
            next: 1,
            pending: BTreeMap::new(),
            tally: Tally::default(),
        }
    }

    /// The page's rmap words as this scheme last set them.
    fn current(&self, m: &Machine, page: PageId) -> PageRmap {
        self.pending
            .get(&page)
            .copied()
            .unwrap_or_else(|| m.pages.get(page).rmap())
    }

    fn set(&mut self, page: PageId, r: PageRmap) -> PageRmap {
        self.pending.insert(page, r);
        r
    }

    /// page_add_anon_rmap at mapcount 0: the rmap words naming anonmm `id` and address `addr`,
    /// with the anonmm's count raised for the page.
    fn indicate(&mut self, id: u32, addr: Addr) -> PageRmap {
        self.get_ref(id);
        PageRmap {
            mapping: id,
            index: addr,
        }
    }

    fn anonmm_of(&self, m: &Machine, pid: Pid) -> Option<u32> {
        let mm = m.procs.get(&pid)?.mm.id;
        self.mm_anonmm.get(&mm).copied()
    }

    fn new_anonmm(&mut self, pid: Pid, mm: MmId, head: Option<u32>) -> u32 {
        let id = self.next;
        self.next += 1;
        let head = head.unwrap_or(id);
        self.anonmms.insert(
            id,
            AnonMm {
                mm: Some(mm),
                last_mm: mm,
                pid,
                head,
                pages: 0,
            },
        );
        self.rings.entry(head).or_default().push(id);
        self.mm_anonmm.insert(mm, id);
        id
    }

    /// The ring of `head` in fork order: its first 32 members, then how many more.
    fn ring_text(&self, head: u32) -> String {
        const SHOWN: usize = 32;
        self.rings
            .get(&head)
            .map(|r| {
                let shown: Vec<String> =
                    r.iter().take(SHOWN).map(|a| format!("anonmm{a}")).collect();
                match r.len().saturating_sub(SHOWN) {
                    0 => shown.join(", "),
                    more => format!("{}, ... ({more} more)", shown.join(", ")),
                }
            })
            .unwrap_or_default()
    }

    fn get_ref(&mut self, id: u32) {
        if let Some(a) = self.anonmms.get_mut(&id) {
            a.pages += 1;
        }
    }

    fn put_ref(&mut self, id: u32, ev: &mut Events) {
        if let Some(a) = self.anonmms.get_mut(&id) {
            a.pages = a.pages.saturating_sub(1);
        }
        self.maybe_free(id, ev);
    }

    /// free_anonmm / exit_rmap: a member with no mm and no pages is freed; a head is freed
    /// once it has no mm, no pages and no members left.
    fn maybe_free(&mut self, id: u32, ev: &mut Events) {
        let Some(a) = self.anonmms.get(&id) else {
            return;
        };
        if a.mm.is_some() || a.pages > 0 {
            return;
        }
        let head = a.head;
        let pid = a.pid;
        if id != head {
            self.anonmms.remove(&id);
            if let Some(r) = self.rings.get_mut(&head) {
                r.retain(|&x| x != id);
            }
            ev.push(format!(
                "free_anonmm: anonmm{id} (was pid {pid}'s) has no mm and no page names it: freed; ring now {}",
                self.ring_text(head)
            ));
            self.maybe_free(head, ev);
        } else if self.rings.get(&head).is_some_and(|r| r.len() == 1) {
            self.anonmms.remove(&id);
            self.rings.remove(&head);
            ev.push(format!(
                "exit_rmap: bundle head anonmm{id} (was pid {pid}'s) has no mm, no page and no members left: freed"
            ));
        }
    }

    /// Number of ptes of the mm that map pages (rss).
    fn rss(m: &Machine, pid: Pid, mm: MmId) -> usize {
        m.procs.get(&pid).filter(|p| p.mm.id == mm).map_or(0, |p| {
            p.mm.pt
                .iter()
                .filter(|(_, pte)| pte.page().is_some())
                .count()
        })
    }

    /// The ring order of a walk starting at `id`: `id`, then the rest of its ring after it.
    fn walk_order(&self, id: u32) -> Vec<u32> {
        let Some(a) = self.anonmms.get(&id) else {
            return Vec::new();
        };
        let ring = self
            .rings
            .get(&a.head)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let at = ring.iter().position(|&x| x == id).unwrap_or(0);
        let mut order = vec![id];
        order.extend(
            ring[at + 1..]
                .iter()
                .chain(&ring[..at])
                .copied()
                .filter(|&x| x != id),
        );
        order
    }
}

impl Scheme for AnonMmScheme {
    fn info(&self) -> &'static SchemeInfo {
        if self.fix { &ANONMM } else { &ANONMM_NAIVE }
    }

    fn mm_created(&mut self, _m: &Machine, pid: Pid, mm: MmId, origin: MmOrigin, ev: &mut Events) {
        let parent = match origin {
            MmOrigin::Fork { parent_mm, .. } => self
                .mm_anonmm
                .get(&parent_mm)
                .and_then(|a| self.anonmms.get(a))
                .map(|a| a.head),
            MmOrigin::Spawn | MmOrigin::Exec => None,
        };
        let id = self.new_anonmm(pid, mm, parent);
        match parent {
            Some(head) => ev.push(format!(
                "dup_rmap: anonmm{id} for pid {pid} joins the tail of anonmm{head}'s bundle (ring: {})",
                self.ring_text(head)
            )),
            None => ev.push(format!(
                "exec_rmap: anonmm{id} for pid {pid} heads a new bundle"
            )),
        }
    }

    fn mm_destroyed(&mut self, _m: &Machine, pid: Pid, mm: MmId, ev: &mut Events) {
        let Some(id) = self.mm_anonmm.remove(&mm) else {
            return;
        };
        let Some(a) = self.anonmms.get_mut(&id) else {
            return;
        };
        a.mm = None;
        let (pages, head) = (a.pages, a.head);
        if pages > 0 {
            ev.push(format!(
                "exit_rmap: pid {pid}'s anonmm{id} loses its mm (NULL) and lingers: {pages} page{} still name it",
                if pages == 1 { "" } else { "s" }
            ));
        } else if id == head && self.rings.get(&head).is_some_and(|r| r.len() > 1) {
            ev.push(format!(
                "exit_rmap: pid {pid}'s anonmm{id} loses its mm (NULL); as bundle head it stays while its bundle lives"
            ));
        }
        self.maybe_free(id, ev);
    }

    fn can_merge(&self, _m: &Machine, _pid: Pid, _prev: &Vma, _next: &Vma) -> bool {
        true
    }

    fn anon_page_added(&mut self, m: &Machine, new: NewAnonPage<'_>, _ev: &mut Events) -> PageRmap {
        let NewAnonPage { at: PageAt { pid, addr, .. }, .. } = new;
        // A new page: the model stores the words returned, nothing older is pending for it.
        let id = self.anonmm_of(m, pid).unwrap_or(0);
        self.indicate(id, addr)
    }

    fn swapin_must_copy(&self, m: &Machine, at: PageAt<'_>) -> bool {
        let PageAt { addr, page, .. } = at;
        let r = self.current(m, page);
        self.fix && r.mapping != 0 && r.index != addr
    }

    fn mremap_copies_shared(&self) -> bool {
        self.fix
    }

    fn pte_mapped(&mut self, m: &Machine, pid: Pid, addr: Addr, page: PageId, _ev: &mut Events) {
        if !m.pages.get(page).is_anon() || self.current(m, page).mapping != 0 {
            return;
        }
        let Some(id) = self.anonmm_of(m, pid) else {
            return;
        };
        let r = self.indicate(id, addr);
        self.set(page, r);
        self.tally.add(
            &format!(
                "page_add_anon_rmap: named afresh by pid {pid}'s anonmm{id}, its new indicated mm"
            ),
            page,
        );
    }

    fn pte_unmapped(&mut self, m: &Machine, _pid: Pid, _addr: Addr, page: PageId, ev: &mut Events) {
        let pg = m.pages.get(page);
        if !pg.is_anon() || pg.mapcount() > 0 {
            return;
        }
        let r = self.current(m, page);
        if r.mapping == 0 {
            return;
        }
        self.set(
            page,
            PageRmap {
                mapping: 0,
                index: r.index,
            },
        );
        self.tally.add(
            &format!(
                "clear_page_anon: unmapped everywhere, no longer names anonmm{}",
                r.mapping
            ),
            page,
        );
        self.put_ref(r.mapping, ev);
    }

    fn pte_moved(&mut self, m: &Machine, mv: PteMove, _ev: &mut Events) -> Repoint {
        let PteMove { to: new_addr, page, .. } = mv;
        if !self.fix {
            return None;
        }
        let r = self.current(m, page);
        self.tally.add(
            "mremap_move_anon_rmap: mapped once, page->index rewritten to the new address",
            page,
        );
        Some(self.set(
            page,
            PageRmap {
                mapping: r.mapping,
                index: new_addr,
            },
        ))
    }

    fn page_freed(&mut self, m: &Machine, page: PageId, ev: &mut Events) {
        if !m.pages.get(page).is_anon() {
            return;
        }
        let r = self.current(m, page);
        self.pending.remove(&page);
        if r.mapping != 0 {
            self.put_ref(r.mapping, ev);
        }
    }

    fn walk(&self, m: &Machine, page: PageId, _kind: WalkKind) -> WalkPlan {
        let r = self.current(m, page);
        let order = self.walk_order(r.mapping);
        let candidates: Vec<Candidate> = order
            .iter()
            .filter_map(|id| self.anonmms.get(id).map(|a| (id, a)))
            .map(|(id, a)| Candidate {
                pid: a.pid,
                mm: a.last_mm,
                vma: None,
                addr: Some(r.index),
                skip: a.mm.is_none() || Self::rss(m, a.pid, a.last_mm) == 0,
                via: format!("anonmm{id}"),
            })
            .collect();
        WalkPlan {
            nodes_visited: candidates.len() as u32,
            nodes_per_candidate: true,
            candidates,
            object: if order.is_empty() {
                format!("anonmm{} (freed)", r.mapping)
            } else {
                format!("anonmm{}", r.mapping)
            },
        }
    }

    fn walk_finished(&mut self, m: &Machine, walk: &Walk, ev: &mut Events) -> Repoint {
        if walk.kind != WalkKind::PageReferenced || !m.pages.get(walk.page).is_anon() {
            return None;
        }
        let r = self.current(m, walk.page);
        let dead = self.anonmms.get(&r.mapping).is_some_and(|a| a.mm.is_none());
        if !dead || walk.hit < walk.mapcount || !walk.lost.is_empty() {
            return None;
        }
        let first = walk
            .visits
            .iter()
            .find(|v| v.outcome == crate::model::Outcome::Hit)?;
        let new = self.anonmm_of(m, first.pid)?;
        self.get_ref(new);
        let moved = self.set(
            walk.page,
            PageRmap {
                mapping: new,
                index: r.index,
            },
        );
        ev.push(format!(
            "page_referenced: {} migrated from dead anonmm{} to anonmm{new} (pid {}), the first live mm found mapping it",
            walk.page, r.mapping, first.pid
        ));
        self.put_ref(r.mapping, ev);
        Some(moved)
    }

    fn end_step(&mut self, _m: &Machine, ev: &mut Events) {
        self.tally.flush(ev);
    }

    fn drain_page_updates(&mut self) -> Vec<(PageId, PageRmap)> {
        std::mem::take(&mut self.pending).into_iter().collect()
    }

    fn cost(&self, _n: &Census) -> Cost {
        let mut c = Cost::default();
        c.add(
            "anonmm (count, lock, mm, head, ring list_head)",
            self.anonmms.len() as u64,
            24,
            40,
            true,
        );
        c.add(
            "mm->anonmm pointer in mm_struct",
            self.mm_anonmm.len() as u64,
            4,
            8,
            false,
        );
        c
    }

    fn rmap_graph(&self, m: &Machine) -> RmapGraph {
        let mut view = RmapGraph::default();
        let mut index = HashMap::new();
        let pages = m.pages.mapped_anon();
        for (&head, ring) in &self.rings {
            let ring_text = self.ring_text(head);
            for (pos, id) in ring.iter().enumerate() {
                let Some(a) = self.anonmms.get(id) else {
                    continue;
                };
                index.insert(*id, view.objects.len());
                let state = match a.mm {
                    Some(mm) => format!("pid {} {mm}", a.pid),
                    None => format!("dead (was pid {} {})", a.pid, a.last_mm),
                };
                let named = pages.get(id);
                view.objects.push(RmapObject {
                    key: format!("anonmm{id}"),
                    kind: "anonmm",
                    label: format!(
                        "anonmm{id} {}{}",
                        match a.mm {
                            Some(_) => format!("pid {}", a.pid),
                            None => "dead".to_string(),
                        },
                        if *id == head { " (head)" } else { "" }
                    ),
                    fields: vec![
                        ("mm".to_string(), state),
                        ("bundle head".to_string(), format!("anonmm{head}")),
                        (
                            "ring position".to_string(),
                            format!("{} of {}", pos + 1, ring.len()),
                        ),
                        ("ring (fork order)".to_string(), ring_text.clone()),
                        (
                            "pages naming it".to_string(),
                            match named {
                                Some(n) if !n.is_empty() => {
                                    format!("{} ({})", n.len(), n.describe())
                                }
                                _ => "none".to_string(),
                            },
                        ),
                    ],
                });
                if let Some(mm) = a.mm {
                    view.mm_links.push((mm, index[id]));
                }
            }
            if ring.len() > 1 {
                for (i, id) in ring.iter().enumerate() {
                    let next = ring[(i + 1) % ring.len()];
                    if let (Some(&a), Some(&b)) = (index.get(id), index.get(&next)) {
                        view.object_links.push((a, b, "ring".to_string()));
                    }
                }
            }
        }
        view.link_anon_pages(pages, &index);
        view
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::storm;
    use crate::session::Simulation;

    /// A ring of a thousand anonmms is listed in the inspector by its first 32 members and a
    /// count, once per ring (listing it whole for each member made the view quadratic).
    #[test]
    fn a_long_ring_lists_its_first_members_and_the_rest_as_a_count() {
        let mut sim = Simulation::by_name("anonmm").unwrap();
        // The parent and 40 children: one bundle of 41 anonmms.
        for op in storm(40, 1).ops().take(42) {
            sim.step(op, false);
        }
        let v = sim.scheme.rmap_graph(&sim.machine);
        let ring: Vec<&str> = v
            .objects
            .iter()
            .flat_map(|o| &o.fields)
            .filter(|(k, _)| k == "ring (fork order)")
            .map(|(_, t)| t.as_str())
            .collect();
        assert_eq!(ring.len(), 41);
        for t in ring {
            assert!(t.starts_with("anonmm1, "), "{t}");
            assert!(t.ends_with(", ... (9 more)"), "{t}");
            assert_eq!(t.matches("anonmm").count(), 32, "{t}");
        }
    }
}
