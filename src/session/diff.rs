//! What changed between two states of one scheme: processes, vmas, ptes (new, copied, moved,
//! remapped, swapped, re-protected, removed), pages (made, freed, mapcount and rmap words) and
//! the scheme's rmap objects (made, freed, relinked). The TUI marks each step's changes on its
//! graph and `rmapviz diff` prints the difference between any two steps; neither the model nor
//! this module knows of a terminal.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use thiserror::Error;

use super::Session;
use super::simulation::Simulation;
use crate::model::rmap::{RmapGraph, RmapObject};
use crate::model::{Addr, MmId, Page, PageId, Pid, PteVal, SlotId, Vma, VmaId};

/// What a pte at one address holds, for pairing a pte that went with one that came: the page it
/// maps, the swap slot it names, or the zero page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Held {
    Page(PageId),
    Swap(SlotId),
    Zero,
}

fn held(v: PteVal) -> Option<Held> {
    match v {
        PteVal::None => None,
        PteVal::Page { page, .. } => Some(Held::Page(page)),
        PteVal::Swap { slot, .. } => Some(Held::Swap(slot)),
        PteVal::Zero { .. } => Some(Held::Zero),
    }
}

/// How a pte changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PteHow {
    /// A pte where there was none, mapping what no pte mapped before (a fault, an mmap).
    New,
    /// A pte where there was none, holding what the pte at `from` held already (fork copies the
    /// parent's ptes: the page is shared).
    Copied { from: (Pid, Addr) },
    /// The pte that was at `from` in the same address space is here now (mremap moved it).
    Moved { from: Addr },
    /// The pte is gone (munmap, exit, exec, reclaim of a clean page).
    Removed,
    /// It maps another page now (a copy-on-write copy, a write to the zero page).
    Remapped,
    /// Its page went to swap: the pte names the swap slot.
    SwappedOut,
    /// Its page came back from swap.
    SwappedIn,
    /// Same page, other bits: write-protected (fork, mprotect), made writable, aged, cleaned.
    Bits,
}

impl PteHow {
    pub fn as_str(self) -> &'static str {
        match self {
            PteHow::New => "new",
            PteHow::Copied { .. } => "copied",
            PteHow::Moved { .. } => "moved",
            PteHow::Removed => "removed",
            PteHow::Remapped => "remapped",
            PteHow::SwappedOut => "swapped out",
            PteHow::SwappedIn => "swapped in",
            PteHow::Bits => "bits changed",
        }
    }
}

/// One pte that changed: where it is (for a removed pte, where it was), what it held before
/// (for a moved pte, at its old address) and holds now, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PteChange {
    pub pid: Pid,
    pub addr: Addr,
    pub before: PteVal,
    pub after: PteVal,
    pub how: PteHow,
}

/// A page frame's state as a diff shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageState {
    pub anon: bool,
    pub mapcount: u32,
    /// The rmap words: `page->mapping` (the scheme's object id) and `page->index`.
    pub mapping: u32,
    pub index: u64,
    pub swap: Option<SlotId>,
}

impl PageState {
    fn of(p: &Page) -> Option<PageState> {
        p.is_alive().then(|| PageState {
            anon: p.is_anon(),
            mapcount: p.mapcount(),
            mapping: p.rmap().mapping,
            index: p.rmap().index,
            swap: p.swap_slot(),
        })
    }
}

/// A page made, freed, or changed (mapcount, rmap words, swap slot); None: not alive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageChange {
    pub page: PageId,
    pub before: Option<PageState>,
    pub after: Option<PageState>,
}

impl PageChange {
    pub fn is_new(&self) -> bool {
        self.before.is_none() && self.after.is_some()
    }
    pub fn is_freed(&self) -> bool {
        self.before.is_some() && self.after.is_none()
    }
}

/// A vma made, removed, or changed in place (range, pgoff, protection); None: not there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmaChange {
    pub id: VmaId,
    pub pid: Pid,
    pub before: Option<Vma>,
    pub after: Option<Vma>,
}

/// An address space that appeared (spawn, fork, exec) or went (exit, exec).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmChange {
    pub pid: Pid,
    pub before: Option<MmId>,
    pub after: Option<MmId>,
}

/// An rmap object made, freed, or changed (its label, its fields, the links it holds, the links
/// vmas and mms hold to it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectChange {
    pub key: String,
    pub kind: &'static str,
    /// Its label before and after (None: not there).
    pub before: Option<String>,
    pub after: Option<String>,
    /// What changed on an object there before and after: each field and each kind of link.
    pub deltas: Vec<ObjectDelta>,
}

/// One field or one kind of link of an rmap object that changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectDelta {
    /// A field (as the inspector lists them): its value before and after (None: not there).
    Field {
        name: String,
        before: Option<String>,
        after: Option<String>,
    },
    /// The links of one kind (`parent`, `ring`, `anon_vma_node`, `mm`) from the object to
    /// other objects (`out`), or from vmas or mms to it: the other ends that came and went, by
    /// id. A link between two objects is told only by the one that holds it.
    Links {
        label: String,
        out: bool,
        added: Vec<String>,
        removed: Vec<String>,
    },
}

/// Everything that differs between two states of one scheme.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateDiff {
    pub mms: Vec<MmChange>,
    pub vmas: Vec<VmaChange>,
    pub ptes: Vec<PteChange>,
    pub pages: Vec<PageChange>,
    pub objects: Vec<ObjectChange>,
}

/// Why a diff cannot be made as asked.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum DiffError {
    #[error("step {step} is out of range: the scenario has {len} steps (0 is before the first)")]
    StepOutOfRange { step: usize, len: usize },
    #[error("no scheme number {0} in this session")]
    NoScheme(usize),
}

impl StateDiff {
    /// What changed from `a` to `b` (two states of one scheme).
    pub fn between(a: &Simulation, b: &Simulation) -> StateDiff {
        Self::between_with(
            a,
            b,
            &a.scheme.rmap_graph(&a.machine),
            &b.scheme.rmap_graph(&b.machine),
        )
    }

    /// [`StateDiff::between`] when the rmap sides of `a` and `b` (their schemes'
    /// `rmap_graph`s) are at hand already.
    pub fn between_with(
        a: &Simulation,
        b: &Simulation,
        rmap_a: &RmapGraph,
        rmap_b: &RmapGraph,
    ) -> StateDiff {
        let mut d = StateDiff::default();
        d.processes(a, b);
        d.ptes_between(a, b);
        d.pages = a
            .machine
            .pages
            .changed(&b.machine.pages)
            .into_iter()
            .filter_map(|(page, pa, pb)| {
                let (before, after) = (PageState::of(&pa), PageState::of(&pb));
                (before != after).then_some(PageChange {
                    page,
                    before,
                    after,
                })
            })
            .collect();
        d.objects = objects_between(rmap_a, rmap_b);
        d
    }

    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.mms.is_empty()
            && self.vmas.is_empty()
            && self.ptes.is_empty()
            && self.pages.is_empty()
            && self.objects.is_empty()
    }

    /// The ptes that changed in this way.
    pub fn ptes_how(&self, f: impl Fn(PteHow) -> bool) -> impl Iterator<Item = &PteChange> {
        self.ptes.iter().filter(move |c| f(c.how))
    }

    /// The pages made.
    pub fn new_pages(&self) -> impl Iterator<Item = &PageChange> {
        self.pages.iter().filter(|p| p.is_new())
    }

    /// The pages freed.
    pub fn freed_pages(&self) -> impl Iterator<Item = &PageChange> {
        self.pages.iter().filter(|p| p.is_freed())
    }

    /// What went, by id (`mm of pid 2`, `vma3`, `p2`, `av1`): the things a graph of the later
    /// state has no node for.
    pub fn freed(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .mms
            .iter()
            .filter(|m| m.before.is_some() && m.after.is_none())
            .map(|m| format!("mm of pid {}", m.pid))
            .collect();
        out.extend(
            self.vmas
                .iter()
                .filter(|v| v.after.is_none())
                .map(|v| v.id.to_string()),
        );
        out.extend(self.freed_pages().map(|p| p.page.to_string()));
        out.extend(
            self.objects
                .iter()
                .filter(|o| o.after.is_none())
                .map(|o| o.key.clone()),
        );
        out
    }

    /// The page a remapped pte at `page`'s new mapping held before: what a copy-on-write copy
    /// was copied from. One search of the ptes: for many pages, [`StateDiff::copy_sources`].
    pub fn copied_from(&self, page: PageId) -> Option<PteVal> {
        self.ptes
            .iter()
            .find(|c| c.how == PteHow::Remapped && c.after.into_page() == Some(page))
            .map(|c| c.before)
    }

    /// [`StateDiff::copied_from`] for every page at once, by page, in one pass over the ptes.
    pub fn copy_sources(&self) -> HashMap<PageId, PteVal> {
        let mut out = HashMap::new();
        for c in self.ptes_how(|h| h == PteHow::Remapped) {
            if let Some(page) = c.after.into_page() {
                out.entry(page).or_insert(c.before);
            }
        }
        out
    }

    fn processes(&mut self, a: &Simulation, b: &Simulation) {
        let (pa, pb) = (&a.machine.procs, &b.machine.procs);
        let pids: Vec<Pid> = union_keys(pa.keys(), pb.keys());
        let mut vmas: BTreeMap<VmaId, VmaChange> = BTreeMap::new();
        for pid in pids {
            let (x, y) = (pa.get(&pid), pb.get(&pid));
            let (mx, my) = (x.map(|p| p.mm.id), y.map(|p| p.mm.id));
            if mx != my {
                self.mms.push(MmChange {
                    pid,
                    before: mx,
                    after: my,
                });
            }
            // An address space whose vmas are all as they were has no change to give (vma
            // ids are never reused across address spaces): compared, not copied.
            if let (Some(x), Some(y)) = (x, y)
                && mx == my
                && x.mm.vmas == y.mm.vmas
            {
                continue;
            }
            for v in x.iter().flat_map(|p| p.mm.vmas.iter()) {
                vmas.entry(v.id).or_insert_with(|| VmaChange {
                    id: v.id,
                    pid,
                    before: None,
                    after: None,
                });
                if let Some(c) = vmas.get_mut(&v.id) {
                    c.before = Some(v.clone());
                }
            }
            for v in y.iter().flat_map(|p| p.mm.vmas.iter()) {
                let c = vmas.entry(v.id).or_insert_with(|| VmaChange {
                    id: v.id,
                    pid,
                    before: None,
                    after: None,
                });
                c.pid = pid;
                c.after = Some(v.clone());
            }
        }
        self.vmas = vmas
            .into_values()
            .filter(|c| match (&c.before, &c.after) {
                (Some(x), Some(y)) => {
                    (x.start, x.end, x.pgoff, x.prot, x.shared, x.file)
                        != (y.start, y.end, y.pgoff, y.prot, y.shared, y.file)
                }
                _ => true,
            })
            .collect();
    }

    /// The ptes that differ, paired: a pte that went and one that came in the same address space
    /// holding the same page or swap slot were moved; one that came holding what another pte
    /// held before was copied.
    fn ptes_between(&mut self, a: &Simulation, b: &Simulation) {
        let (pa, pb) = (&a.machine.procs, &b.machine.procs);
        let mut added = Vec::new();
        let mut removed = Vec::new();
        for pid in union_keys(pa.keys(), pb.keys()) {
            let diffs = match (pa.get(&pid), pb.get(&pid)) {
                (Some(x), Some(y)) => x.mm.pt.changed(&y.mm.pt),
                (Some(x), None) => {
                    x.mm.pt
                        .iter()
                        .map(|(a, p)| (a, p.get(), PteVal::None))
                        .collect()
                }
                (None, Some(y)) => {
                    y.mm.pt
                        .iter()
                        .map(|(a, p)| (a, PteVal::None, p.get()))
                        .collect()
                }
                (None, None) => Vec::new(),
            };
            for (addr, before, after) in diffs {
                match (held(before), held(after)) {
                    (None, Some(_)) => added.push((pid, addr, after)),
                    (Some(_), None) => removed.push((pid, addr, before)),
                    (Some(x), Some(y)) => {
                        let how = match (x, y) {
                            (Held::Page(_) | Held::Zero, Held::Swap(_)) => PteHow::SwappedOut,
                            (Held::Swap(_), Held::Page(_) | Held::Zero) => PteHow::SwappedIn,
                            _ if x == y => PteHow::Bits,
                            _ => PteHow::Remapped,
                        };
                        self.ptes.push(PteChange {
                            pid,
                            addr,
                            before,
                            after,
                            how,
                        });
                    }
                    (None, None) => {}
                }
            }
        }
        // Moves: a pte that went and one that came in one address space, holding the same.
        let mut gone: HashMap<(Pid, Held), Vec<usize>> = HashMap::new();
        for (i, &(pid, _, v)) in removed.iter().enumerate().rev() {
            if let Some(h) = held(v) {
                gone.entry((pid, h)).or_default().push(i);
            }
        }
        let mut used = vec![false; removed.len()];
        let mut unpaired = Vec::new();
        for (pid, addr, after) in added {
            let from = held(after)
                .and_then(|h| gone.get_mut(&(pid, h)))
                .and_then(Vec::pop);
            match from {
                Some(i) => {
                    used[i] = true;
                    let (_, at, before) = removed[i];
                    self.ptes.push(PteChange {
                        pid,
                        addr,
                        before,
                        after,
                        how: PteHow::Moved { from: at },
                    });
                }
                None => unpaired.push((pid, addr, after)),
            }
        }
        // Copies: what a new pte holds was mapped before somewhere (the zero page aside: every
        // read of untouched memory maps it, no pte is copied for that).
        let wanted: HashSet<Held> = unpaired
            .iter()
            .filter_map(|&(_, _, v)| held(v))
            .filter(|h| *h != Held::Zero)
            .collect();
        // The first pte (in pid, then address order) that held each: the search stops once
        // every one is found, so a fork's copies cost the parent's ptes, not every process's.
        let mut was_at: HashMap<Held, (Pid, Addr)> = HashMap::new();
        'search: for p in pa.values() {
            if was_at.len() == wanted.len() {
                break 'search;
            }
            for (addr, pte) in p.mm.pt.iter() {
                if let Some(h) = held(pte.get()).filter(|h| wanted.contains(h)) {
                    was_at.entry(h).or_insert((p.pid, addr));
                    if was_at.len() == wanted.len() {
                        break 'search;
                    }
                }
            }
        }
        for (pid, addr, after) in unpaired {
            let how = match held(after).and_then(|h| was_at.get(&h)) {
                Some(&from) => PteHow::Copied { from },
                None => PteHow::New,
            };
            self.ptes.push(PteChange {
                pid,
                addr,
                before: PteVal::None,
                after,
                how,
            });
        }
        for (i, (pid, addr, before)) in removed.into_iter().enumerate() {
            if !used[i] {
                self.ptes.push(PteChange {
                    pid,
                    addr,
                    before,
                    after: PteVal::None,
                    how: PteHow::Removed,
                });
            }
        }
        self.ptes.sort_by_key(|c| (c.pid, c.addr));
    }
}

fn union_keys<'a>(a: impl Iterator<Item = &'a Pid>, b: impl Iterator<Item = &'a Pid>) -> Vec<Pid> {
    let mut v: Vec<Pid> = a.chain(b).copied().collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// A link touching an object: whether it goes out of it, its label, the id at its other end.
type Link = (bool, String, String);

/// The links of `g` by the key of the object they touch: vma -> object and mm -> object links
/// (in: vmas and mms list no links of their own), object -> object links (out, by the object
/// that holds them only). So a link between two objects is told once: by its holder when that
/// changed, and by the holder's coming or going when it was made or freed (S9's fork: `ring
/// none -> anonmm2` on anonmm1, not also `ring from anonmm2 added` for the new anonmm2's link
/// back).
fn links_by_object(g: &RmapGraph) -> HashMap<&str, BTreeSet<Link>> {
    let key = |i: usize| g.objects.get(i).map(|o| o.key.as_str());
    let mut out: HashMap<&str, BTreeSet<Link>> = HashMap::new();
    let mut add = |i: usize, l: Link| {
        if let Some(k) = key(i) {
            out.entry(k).or_default().insert(l);
        }
    };
    for (vma, i, label) in &g.vma_links {
        add(*i, (false, label.clone(), vma.to_string()));
    }
    for (mm, i) in &g.mm_links {
        add(*i, (false, "mm".to_string(), mm.to_string()));
    }
    for (a, b, label) in &g.object_links {
        if let Some(kb) = key(*b) {
            add(*a, (true, label.clone(), kb.to_string()));
        }
    }
    out
}

/// What changed on object `x` (before) to `y` (after), whose links were `lx` and are `ly`:
/// each field, in `y`'s order then the fields gone, and each kind of link. A field named after
/// a kind of link that changed (`ring position`, `ring (fork order)` beside `ring none ->
/// anonmm2`; `parent`, `mm`) restates that link and is left out.
fn object_deltas(
    x: &RmapObject,
    y: &RmapObject,
    lx: &BTreeSet<Link>,
    ly: &BTreeSet<Link>,
) -> Vec<ObjectDelta> {
    // By (out, label): the other ends added and removed.
    type Ends = (Vec<String>, Vec<String>);
    let mut kinds: BTreeMap<(bool, &str), Ends> = BTreeMap::new();
    for l in ly.difference(lx) {
        kinds.entry((l.0, &l.1)).or_default().0.push(l.2.clone());
    }
    for l in lx.difference(ly) {
        kinds.entry((l.0, &l.1)).or_default().1.push(l.2.clone());
    }
    let told_by_a_link = |name: &str| {
        kinds.keys().any(|(_, label)| {
            name.strip_prefix(label)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
        })
    };
    let mut out = Vec::new();
    let field = |o: &RmapObject, name: &str| {
        o.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let names = y.fields.iter().chain(&x.fields).map(|(n, _)| n.as_str());
    let mut seen = HashSet::new();
    for name in names {
        if !seen.insert(name) || told_by_a_link(name) {
            continue;
        }
        let (before, after) = (field(x, name), field(y, name));
        if before != after {
            out.push(ObjectDelta::Field {
                name: name.to_string(),
                before,
                after,
            });
        }
    }
    // The links going out first (parent, ring), then those coming in.
    let mut kinds: Vec<_> = kinds.into_iter().collect();
    kinds.sort_by_key(|((out_, label), _)| (!*out_, *label));
    for ((out_, label), (added, removed)) in kinds {
        out.push(ObjectDelta::Links {
            label: label.to_string(),
            out: out_,
            added,
            removed,
        });
    }
    out
}

/// The objects made, freed or changed (label, fields or links), by key, in the order of `b`
/// then the freed ones.
fn objects_between(a: &RmapGraph, b: &RmapGraph) -> Vec<ObjectChange> {
    let before: HashMap<&str, &RmapObject> =
        a.objects.iter().map(|o| (o.key.as_str(), o)).collect();
    let after: HashSet<&str> = b.objects.iter().map(|o| o.key.as_str()).collect();
    let (la, lb) = (links_by_object(a), links_by_object(b));
    let none = BTreeSet::new();
    let mut out = Vec::new();
    for o in &b.objects {
        let deltas = match before.get(o.key.as_str()) {
            Some(x) => {
                let k = o.key.as_str();
                let (lx, ly) = (la.get(k).unwrap_or(&none), lb.get(k).unwrap_or(&none));
                if x.label == o.label && x.fields == o.fields && lx == ly {
                    continue;
                }
                object_deltas(x, o, lx, ly)
            }
            None => Vec::new(),
        };
        out.push(ObjectChange {
            key: o.key.clone(),
            kind: o.kind,
            before: before.get(o.key.as_str()).map(|x| x.label.clone()),
            after: Some(o.label.clone()),
            deltas,
        });
    }
    for o in a.objects.iter().filter(|o| !after.contains(o.key.as_str())) {
        out.push(ObjectChange {
            key: o.key.clone(),
            kind: o.kind,
            before: Some(o.label.clone()),
            after: None,
            deltas: Vec::new(),
        });
    }
    out
}

impl Session {
    /// What changed under scheme number `scheme` from the state after `from` steps to the state
    /// after `to` steps (0 is before the first step; `from` may be after `to`).
    pub fn diff(&mut self, scheme: usize, from: usize, to: usize) -> Result<StateDiff, DiffError> {
        let len = self.len();
        for step in [from, to] {
            if step > len {
                return Err(DiffError::StepOutOfRange { step, len });
            }
        }
        self.simulate_to(scheme, from.max(to));
        let a = self
            .state_after(scheme, from)
            .ok_or(DiffError::NoScheme(scheme))?;
        let b = self
            .state_after(scheme, to)
            .ok_or(DiffError::NoScheme(scheme))?;
        Ok(StateDiff::between(&a, &b))
    }
}
