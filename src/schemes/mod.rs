//! The rmap designs. Each file implements [`Scheme`], the model's rmap hook interface
//! ([`crate::model::rmap`]), for one design; [`registry`] maps CLI names to constructors.
//!
//! The model owns the ground truth (which pte maps which page) and calls the scheme at every rmap
//! decision: what a fault links, whether two vmas may merge, what mremap must do to shared pages,
//! and which candidates a walk visits, in the kernel's order. A scheme owns its own objects
//! (anon_vma, chains, anonmm rings, i_mmap trees) and reports kernel-style events.

pub mod anon_as;
pub mod anon_vma;
pub mod anon_vma_global;
pub mod anon_vma_rfc2;
pub mod anonmm;
pub mod av_list;
pub mod file_rmap;
pub mod interval;
pub mod modern;
pub mod pte_chain;
pub mod registry;

use crate::model::{Candidate, MmId, Pid, Vma};

pub use crate::model::rmap::{
    AnonAdd, MmOrigin, RmapObject, RmapView, Scheme, SchemeInfo, VmaOrigin,
};
pub use registry::{all_schemes, find_scheme, make_scheme, scheme_names};

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
