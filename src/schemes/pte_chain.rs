//! `pte-chain`: Rik van Riel's reverse mapping by pte chains, 2.5.27 - 2.6.6
//! (docs/semantics.md §3.1; the chain code removed by Andrea Arcangeli's RFC2 diff, [A0311]).
//!
//! What a page points to: every mapped page, anonymous or file, keeps a record of each pte
//! that maps it, in one word of `struct page` (a union):
//! - one mapping: `pte.direct`, the address of that pte (`PG_direct` set), no allocation;
//! - more: `pte.chain`, a list of chain blocks. A block is one L1 cache line: a word
//!   `next_and_idx` and NRPTE pte addresses, NRPTE = (L1_CACHE_BYTES - sizeof(long)) /
//!   sizeof(pte_addr_t) = 7 both on i386 without PAE (32-byte lines, 4-byte pte addresses) and
//!   on x86_64 (64-byte lines, 8-byte pte addresses), so the block count is the same on both
//!   ABIs. Only the head block has free slots, at its start. Insertion fills the head's last
//!   free slot (a full head gets a new block in front); removal searches the chain for the pte,
//!   moves the head's first entry into the victim's slot, and frees a head block left empty.
//!   The second mapping of a direct page allocates a block holding both. The chain does not
//!   collapse back to `pte.direct` on removal; `page_referenced` does that for a one-entry chain.
//!   A pte is recorded here as (mm, address), which is what the kernel recovers from a pte
//!   address through the page-table page (`ptep_to_mm`, `ptep_to_address`).
//! - `page->mapping` / `index` keep their file meaning; this scheme does not use them.
//!
//! What the walk visits: every entry of the chain, head block first, each block from its first
//! used slot. Every candidate is a HIT by construction: no OUT, MISS or SKIP, never LOST.
//!
//! What each op changes (no per-vma state at all):
//! - fault, COW copy, swap-in, fork (copy_page_range), mremap destination: page_add_rmap, one
//!   entry per pte; fork pays one chain slot per pte copied into the child.
//! - COW (old page), munmap, exit, exec, mremap source: page_remove_rmap, a linear search of
//!   the chain per pte. mremap re-registers every moved pte under its new address (remove, then
//!   add): the exact 2.6.0 mremap code is UNVERIFIED (§3.1), this follows the 2003 anobjrmap diff.
//! - try_to_unmap removes each pte it unmaps at the slot it found it (no search).
//! - page_referenced collapses a one-entry chain back to `pte.direct`, freeing the block; the
//!   kernel did this under memory pressure only, here every Referenced walk does it.
//! - mprotect, split, merge: nothing. Merges are never restricted by rmap: before 2.6.7 any two
//!   anonymous neighbours could merge whatever their pgoffs (§7 S7).
//!
//! Each step ends with one event per kind of chain work, counting ptes, slots searched and
//! blocks allocated or freed, labelled with the operation that caused it.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use super::SchemeInfo;
use super::{MmOrigin, NewAnonPage, NewVma, Repoint, RmapObject, RmapGraph, Scheme, VmaOrigin};
use crate::model::{
    Census, Addr, Candidate, Cost, Events, Machine, MmId, PAGE_SHIFT, PageId, PageRmap, PageSet, Pid, Vma,
    VmaId, Walk, WalkKind, WalkPlan, hex,
};

mod chains;
use chains::*;

/// The `pte-chain` design as the CLI, the TUI and the docs name it.
pub static PTE_CHAIN: SchemeInfo = SchemeInfo {
    name: "pte-chain",
    design: "Rik van Riel's per-page pte chains",
    era: "2.5.27 - 2.6.6",
    summary: "every page keeps a chain of the ptes that map it; walks never miss, fork and exit pay per pte",
    spec: "§3.1",
    object_based: false,
    compare_with: None,
    make: || Box::new(PteChainScheme::default()),
};

/// The graph links chains to the vmas of their ptes up to this many recorded ptes in all.
pub const LINKED_PTES: usize = 4096;
/// The ptes a chain's inspector fields name; the rest are counted.
const SHOWN_PTES: usize = 32;

/// pte addresses per chain block, on both ABIs.
pub const NRPTE: usize = 7;
/// Bytes of one chain block: an L1 cache line (i386 32, x86_64 64).
const BLOCK_I386: u64 = 32;
const BLOCK_X86_64: u64 = 64;

/// What caused this step's chain work, for the event labels.
#[derive(Clone, Copy, Debug, Default)]
struct Cause {
    fork: bool,
    mremap: bool,
    exec: bool,
    exit: bool,
    munmap: bool,
    reclaim: bool,
}

impl Cause {
    fn label(self) -> &'static str {
        if self.fork {
            "fork: copy_page_range"
        } else if self.mremap {
            "mremap: move_page_tables"
        } else if self.exec {
            "exec: exit_mmap"
        } else if self.exit {
            "exit: exit_mmap"
        } else if self.munmap {
            "munmap: zap_pte_range"
        } else if self.reclaim {
            "try_to_unmap"
        } else {
            "fault"
        }
    }
}

/// Chain work done during one step.
#[derive(Clone, Debug, Default)]
struct Work {
    cause: Cause,
    added: u64,
    as_direct: u64,
    converted: u64,
    blocks_alloc: u64,
    removed: u64,
    searched: u64,
    blocks_freed: u64,
    collapsed: Vec<PageId>,
}

/// The pte-chain scheme.
#[derive(Clone, Debug, Default)]
pub struct PteChainScheme {
    chains: Chains,
    /// Blocks allocated over all chains (kept up to date: cost() runs every step).
    blocks: u64,
    /// Live mm -> its process, to name a chain entry's pid.
    mm_pid: HashMap<MmId, Pid>,
    work: Work,
}

/// The view key of a page's chain, also the walk's object.
fn chain_key(page: PageId) -> String {
    format!("chain {page}")
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl PteChainScheme {
    fn mm_of(m: &Machine, pid: Pid) -> MmId {
        m.procs.get(&pid).map_or(MmId(0), |p| p.mm.id)
    }

    /// page_add_rmap.
    fn add(&mut self, page: PageId, r: PteRef) {
        let w = &mut self.work;
        w.added += 1;
        match self.chains.get(page) {
            Chain::Empty => {
                self.chains.set_direct(page, r);
                w.as_direct += 1;
            }
            Chain::Direct(d) => {
                self.chains.set_list(page, vec![d, r]);
                w.converted += 1;
                w.blocks_alloc += 1;
                self.blocks += 1;
            }
            Chain::Blocks(_) => {
                if let Some(v) = self.chains.list_mut(page) {
                    if v.len().is_multiple_of(NRPTE) {
                        w.blocks_alloc += 1;
                        self.blocks += 1;
                    }
                    v.push(r);
                }
            }
        }
    }

    /// page_remove_rmap: search in walk order, move the head's first entry into the victim's
    /// slot, free an emptied head block.
    fn remove(&mut self, page: PageId, r: PteRef) {
        let w = &mut self.work;
        match self.chains.get(page) {
            Chain::Direct(d) if d == r => {
                self.chains.clear(page);
                w.removed += 1;
                w.searched += 1;
            }
            Chain::Blocks(list) => {
                let Some(pos) = list.iter().rposition(|&x| x == r) else {
                    return;
                };
                let Some(v) = self.chains.list_mut(page) else {
                    return;
                };
                w.removed += 1;
                w.searched += (v.len() - pos) as u64;
                let head_had_one = v.len() % NRPTE == 1;
                let first = v.len() - 1;
                v.swap(pos, first);
                v.pop();
                let emptied = v.is_empty();
                if head_had_one {
                    w.blocks_freed += 1;
                    self.blocks -= 1;
                }
                if emptied {
                    self.chains.clear(page);
                }
            }
            _ => {}
        }
    }

    fn flush(&mut self, ev: &mut Events) {
        let w = std::mem::take(&mut self.work);
        let why = w.cause.label();
        if w.added > 0 {
            let slots = w.added - w.as_direct;
            let mut s = format!(
                "page_add_rmap ({why}): {} pte{} added, {} as pte.direct, {slots} into chain slot{}",
                w.added,
                plural(w.added),
                w.as_direct,
                plural(slots)
            );
            if w.converted > 0 {
                s.push_str(&format!(
                    " ({} pte.direct moved into a new chain)",
                    w.converted
                ));
            }
            s.push_str(&format!(
                "; {} pte_chain block{} allocated",
                w.blocks_alloc,
                plural(w.blocks_alloc)
            ));
            ev.push(s);
        }
        if w.removed > 0 {
            let search = if w.cause.reclaim && !w.cause.fork && !w.cause.exit {
                "each at the slot the walk found it".to_string()
            } else {
                format!(
                    "{} chain search{} over {} slot{}",
                    w.removed,
                    if w.removed == 1 { "" } else { "es" },
                    w.searched,
                    plural(w.searched)
                )
            };
            ev.push(format!(
                "page_remove_rmap ({why}): {} pte{} removed, {search}; {} pte_chain block{} freed",
                w.removed,
                plural(w.removed),
                w.blocks_freed,
                plural(w.blocks_freed)
            ));
        }
        if !w.collapsed.is_empty() {
            ev.push(format!(
                "page_referenced: the one-entry chain of {} collapsed back to pte.direct, 1 pte_chain block freed",
                w.collapsed[0]
            ));
        }
    }

    /// The vma holding a recorded pte, if its mm is alive.
    fn vma_of<'a>(&self, m: &'a Machine, r: PteRef) -> Option<(Pid, &'a Vma)> {
        let (mm, addr) = unpack(r);
        let pid = *self.mm_pid.get(&mm)?;
        let p = m.procs.get(&pid).filter(|p| p.mm.id == mm)?;
        p.mm.vma_at(addr).map(|v| (pid, v))
    }

    /// `prefix` followed by [`Self::describe_into`], in one allocation (the storm's view describes
    /// a million direct ptes).
    fn describe_after(&self, prefix: &str, r: PteRef) -> String {
        let mut out = String::with_capacity(prefix.len() + 24);
        out.push_str(prefix);
        self.describe_into(&mut out, r);
        out
    }

    /// Appends a recorded pte to `out`: `pid 3 0x10000` (or the mm's id once no process runs in it).
    fn describe_into(&self, out: &mut String, r: PteRef) {
        let (mm, addr) = unpack(r);
        // Writing to a String cannot fail.
        let _ = match self.mm_pid.get(&mm) {
            Some(pid) => write!(out, "pid {pid} {addr:#x}"),
            None => write!(out, "{mm} {addr:#x}"),
        };
    }

    /// The first [`SHOWN_PTES`] of a chain's ptes in walk order, and how many more there are,
    /// in one string (the storm's view lists a thousand chains).
    fn describe_chain(&self, list: &[PteRef]) -> String {
        let mut out = String::with_capacity(SHOWN_PTES.min(list.len()) * 24);
        // Walk order is the list reversed.
        for (i, &r) in list.iter().rev().take(SHOWN_PTES).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            self.describe_into(&mut out, r);
        }
        let more = list.len().saturating_sub(SHOWN_PTES);
        if more > 0 {
            let _ = write!(out, ", ... ({more} more)");
        }
        out
    }
}

/// The pages mapped once, each linked to the vma of its `pte.direct`, from the chunks' runs.
/// While there are few, each link is labelled with its pte; beyond [`LINKED_PTES`] (the storm's
/// million) the pages go in one set per vma, labelled `pte.direct` (a page's pte is then its
/// vma's address for the page, and the walk lists it), so the view costs a vma lookup per run,
/// not a look at each page.
struct DirectLinks {
    per_page: bool,
    labelled: Vec<(PageSet, VmaId, String)>,
    sets: BTreeMap<VmaId, PageSet>,
}

impl DirectLinks {
    fn new(pages: usize) -> DirectLinks {
        DirectLinks {
            per_page: pages <= LINKED_PTES,
            labelled: Vec::new(),
            sets: BTreeMap::new(),
        }
    }

    /// Pages `run.page..` hold consecutive ptes of one mm; the run may span several vmas.
    fn add_run(&mut self, scheme: &PteChainScheme, m: &Machine, run: DirectRun) {
        let mut k = 0;
        while k < run.len {
            let r = run.first + u64::from(k);
            let Some((_, v)) = scheme.vma_of(m, r) else {
                k += 1;
                continue;
            };
            let (_, addr) = unpack(r);
            let n = ((v.end - addr) >> PAGE_SHIFT).min(u64::from(run.len - k)) as u32;
            let first = run.page + k;
            if self.per_page {
                for j in 0..n {
                    self.labelled.push((
                        PageSet::one(PageId(first + j)),
                        v.id,
                        scheme.describe_after("pte.direct: ", r + u64::from(j)),
                    ));
                }
            } else {
                self.sets
                    .entry(v.id)
                    .or_default()
                    .push_run(first, first + n - 1);
            }
            k += n;
        }
    }

    fn finish(mut self, view: &mut RmapGraph) {
        view.page_vma_links.append(&mut self.labelled);
        for (vma, set) in self.sets {
            view.page_vma_links
                .push((set, vma, "pte.direct".to_string()));
        }
    }
}

impl Scheme for PteChainScheme {
    fn info(&self) -> &'static SchemeInfo {
        &PTE_CHAIN
    }

    fn mm_created(&mut self, _m: &Machine, pid: Pid, mm: MmId, origin: MmOrigin, _ev: &mut Events) {
        self.mm_pid.insert(mm, pid);
        match origin {
            MmOrigin::Fork { .. } => self.work.cause.fork = true,
            MmOrigin::Exec => self.work.cause.exec = true,
            MmOrigin::Spawn => {}
        }
    }

    fn mm_destroyed(&mut self, _m: &Machine, _pid: Pid, mm: MmId, _ev: &mut Events) {
        self.mm_pid.remove(&mm);
        self.work.cause.exit = true;
    }

    fn vma_added(&mut self, _m: &Machine, new: NewVma<'_>, _ev: &mut Events) {
        let NewVma { origin, .. } = new;
        if let VmaOrigin::Move { .. } = origin {
            self.work.cause.mremap = true;
        }
    }

    fn vma_removed(&mut self, _m: &Machine, _pid: Pid, _vma: &Vma, _ev: &mut Events) {
        self.work.cause.munmap = true;
    }

    fn can_merge(&self, _m: &Machine, _pid: Pid, _prev: &Vma, _next: &Vma) -> bool {
        true
    }

    fn anon_page_added(&mut self, _m: &Machine, _new: NewAnonPage<'_>, _ev: &mut Events) -> PageRmap {
        // Anonymous pages carry no useful mapping in this era (PG_anon and a null mapping).
        PageRmap::default()
    }

    fn pte_mapped(&mut self, m: &Machine, pid: Pid, addr: Addr, page: PageId, _ev: &mut Events) {
        self.add(page, pack(Self::mm_of(m, pid), addr));
    }

    fn pte_unmapped(&mut self, m: &Machine, pid: Pid, addr: Addr, page: PageId, _ev: &mut Events) {
        self.remove(page, pack(Self::mm_of(m, pid), addr));
    }

    fn page_freed(&mut self, _m: &Machine, page: PageId, _ev: &mut Events) {
        let blocks = self.chains.get(page).blocks() as u64;
        self.blocks -= blocks;
        self.chains.clear(page);
    }

    fn walk(&self, _m: &Machine, page: PageId, _kind: WalkKind) -> WalkPlan {
        let chain = self.chains.get(page);
        // The object is named by its view key, so the graph finds it.
        let object = match &chain {
            Chain::Empty => format!("no ptes recorded for {page}"),
            Chain::Direct(_) => format!("pte.direct of {page}"),
            Chain::Blocks(_) => chain_key(page),
        };
        let via = object.clone();
        let candidates = chain
            .entries()
            .into_iter()
            .map(|r| {
                let (mm, addr) = unpack(r);
                Candidate {
                    pid: self.mm_pid.get(&mm).copied().unwrap_or(0),
                    mm,
                    vma: None,
                    addr: Some(addr),
                    skip: false,
                    via: via.clone(),
                }
            })
            .collect();
        WalkPlan {
            candidates,
            nodes_visited: chain.blocks() as u32,
            nodes_per_candidate: false,
            object,
        }
    }

    fn walk_finished(&mut self, _m: &Machine, walk: &Walk, _ev: &mut Events) -> Repoint {
        match walk.kind {
            WalkKind::TryToUnmap => self.work.cause.reclaim = true,
            WalkKind::PageReferenced => {
                if let Chain::Blocks(v) = self.chains.get(walk.page)
                    && let [only] = *v
                {
                    self.chains.set_direct(walk.page, only);
                    self.blocks -= 1;
                    self.work.collapsed.push(walk.page);
                }
            }
        }
        None
    }

    fn end_step(&mut self, _m: &Machine, ev: &mut Events) {
        self.flush(ev);
    }

    fn cost(&self, n: &Census) -> Cost {
        chain_cost(n, self.blocks)
    }

    fn recount_cost(&self, n: &Census) -> Cost {
        chain_cost(n, self.chains.blocks_in_use())
    }


    /// Each chain is an object linked to its page (`pte.chain`) and to the vma of each pte it
    /// records (labelled with the pte's address): page -> chain -> ptes, as the walk follows it.
    /// Beyond [`LINKED_PTES`] recorded ptes in all (the storm) the chains are not linked to
    /// vmas; each chain's inspector fields list its ptes.
    fn rmap_graph(&self, m: &Machine) -> RmapGraph {
        let mut view = RmapGraph::default();
        let recorded = self.chains.in_chains();
        let link = recorded <= LINKED_PTES;
        let direct_pages = self
            .chains
            .summaries()
            .flat_map(|s| &s.direct)
            .map(|r| r.len as usize)
            .sum();
        let mut direct = DirectLinks::new(direct_pages);
        for summary in self.chains.summaries() {
            for &run in &summary.direct {
                direct.add_run(self, m, run);
            }
            for &page in &summary.chained {
                let chain = self.chains.get(page);
                let Chain::Blocks(list) = chain else {
                    continue;
                };
                let idx = view.objects.len();
                // Walk order is the list reversed.
                let entries = || list.iter().rev().copied();
                let blocks = chain.blocks();
                view.objects.push(RmapObject {
                    key: chain_key(page),
                    kind: "pte_chain",
                    label: format!(
                        "{page}: {} ptes in {blocks} block{}",
                        list.len(),
                        plural(blocks as u64)
                    ),
                    fields: vec![
                        ("page".to_string(), page.to_string()),
                        ("ptes (walk order)".to_string(), self.describe_chain(list)),
                        ("blocks".to_string(), blocks.to_string()),
                        (
                            "free slots in the head block".to_string(),
                            (blocks * NRPTE - list.len()).to_string(),
                        ),
                    ],
                });
                view.page_links.push((PageSet::one(page), idx));
                if link {
                    for r in entries() {
                        if let Some((_, v)) = self.vma_of(m, r) {
                            let (_, addr) = unpack(r);
                            view.vma_links
                                .push((v.id, idx, format!("pte {}", hex(addr))));
                        }
                    }
                }
            }
        }
        direct.finish(&mut view);
        view
    }
}

/// pte-chain's rmap memory: a word in every mapped page's struct page and the chain blocks.
fn chain_cost(n: &Census, blocks: u64) -> Cost {
    let mut c = Cost::default();
    c.add(
        "pte.direct / pte.chain word in struct page (mapped pages)",
        n.pages,
        4,
        8,
        false,
    );
    c.add(
        format!("pte_chain block (one cache line: next_and_idx + {NRPTE} pte addresses)"),
        blocks,
        BLOCK_I386,
        BLOCK_X86_64,
        true,
    );
    c
}

