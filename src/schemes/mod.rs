//! The rmap designs. Each file implements [`Scheme`], the model's rmap hook interface
//! ([`crate::model::rmap`]), for one design; [`registry`] maps CLI names to constructors.
//!
//! The model owns the ground truth (which pte maps which page) and calls the scheme at every rmap
//! decision: what a fault links, whether two vmas may merge, what mremap must do to shared pages,
//! and which candidates a walk visits, in the kernel's order. A scheme owns its own objects
//! (anon_vma, chains, anonmm rings, i_mmap trees) and reports kernel-style events.

pub mod av_list;
pub mod file_rmap;
pub mod interval;
pub mod linked;
pub mod registry;

/// Declares each design's module and lists the designs' descriptions in [`SCHEMES`].
macro_rules! designs {
    ($($module:ident => $($info:ident),+;)*) => {
        $(pub mod $module;)*

        /// Every design, in historical order: the CLI's names, the compare table's rows and
        /// the TUI's scheme numbers (digit keys 1-9, 0) come from this list.
        pub static SCHEMES: &[&SchemeInfo] = &[$($(&$module::$info),+),*];
    };
}

// Adding a design: a new file that implements [`Scheme`] and owns its `SchemeInfo`, and one
// line here.
designs! {
    pte_chain => PTE_CHAIN;
    anonmm => ANONMM, ANONMM_NAIVE;
    anon_vma_rfc2 => ANON_VMA_RFC2;
    anon_vma => ANON_VMA;
    anon_vma_global => ANON_VMA_GLOBAL, ANON_VMA_GLOBAL_PRIO;
    anon_as => ANON_AS;
    modern => ANON_VMA_CHAIN, MODERN;
}

use crate::model::{Candidate, Events, Machine, MmId, Pid, Vma};

pub use crate::model::rmap::{
    AnonAdd, MmOrigin, NewAnonPage, NewVma, PageAt, PteMove, Repoint, ReshapedVma, RmapGraph,
    RmapObject, Scheme, SchemeInfo, VmaOrigin,
};
pub use registry::{
    UnknownScheme, all_schemes, find_scheme, make_scheme, scheme_names, scheme_number,
};

/// The neighbours of `vma` in `pid`'s address space whose anon_vma it may share
/// (find_mergeable_anon_vma): the next vma, then the previous one, each where it is adjacent,
/// maps the same file (or none) the same way and continues the pgoff; none if `vma` is not
/// mapped there.
pub(crate) fn merge_neighbours<'m>(m: &'m Machine, pid: Pid, vma: &Vma) -> Vec<&'m Vma> {
    let Ok(p) = m.proc(pid) else {
        return Vec::new();
    };
    let vmas = &p.mm.vmas;
    let Some(i) = vmas.iter().position(|v| v.id == vma.id) else {
        return Vec::new();
    };
    let compatible = |a: &Vma, b: &Vma| {
        a.end == b.start
            && a.shared == b.shared
            && a.file == b.file
            && a.pgoff + a.pages() == b.pgoff
    };
    let next = vmas.get(i + 1).filter(|n| compatible(vma, n));
    let prev = i
        .checked_sub(1)
        .map(|j| &vmas[j])
        .filter(|p| compatible(p, vma));
    [next, prev].into_iter().flatten().collect()
}

/// anon_vma_prepare for a vma without an anon_vma: the anon_vma of the neighbour `mergeable`
/// that find_mergeable_anon_vma found (`rule`: how, in the design's era), else a new one from
/// `create`; the step's events say which.
pub(crate) fn prepared_anon_vma(
    pid: Pid,
    vma: &Vma,
    mergeable: Option<(u32, Vma)>,
    rule: &str,
    create: impl FnOnce() -> u32,
    ev: &mut Events,
) -> u32 {
    match mergeable {
        Some((av, n)) => {
            ev.push(format!(
                "anon_vma_prepare: pid {pid} {} reuses av{av} of its neighbour {} ({rule})",
                vma.span(),
                n.span()
            ));
            av
        }
        None => {
            let av = create();
            ev.push(format!(
                "anon_vma_prepare: new anon_vma av{av} for pid {pid} {}",
                vma.span()
            ));
            av
        }
    }
}

/// The candidate of an object-based walk: the page with (window-free) linear index `index` in
/// vma `v` of `pid`'s mm `mm`, reached through `via`. Out of the vma's range: OUT.
pub(crate) fn candidate(pid: Pid, mm: MmId, v: &Vma, index: u64, via: &str) -> Candidate {
    Candidate {
        pid,
        mm,
        vma: Some(v.id),
        addr: v.address_of(index),
        skip: false,
        via: via.to_string(),
    }
}
