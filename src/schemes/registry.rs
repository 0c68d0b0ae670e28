//! The schemes by CLI name (design.md §1).

use super::anon_as::AnonAsScheme;
use super::anon_vma::AnonVmaScheme;
use super::anon_vma_global::{anon_vma_global, anon_vma_global_prio};
use super::anon_vma_rfc2::AnonVmaRfc2Scheme;
use super::anonmm::AnonMmScheme;
use super::modern::ModernScheme;
use super::pte_chain::PteChainScheme;
use super::{Scheme, SchemeInfo};

static SCHEMES: [SchemeInfo; 10] = [
    SchemeInfo {
        name: "pte-chain",
        design: "Rik van Riel's per-page pte chains",
        era: "2.5.27 - 2.6.6",
        summary: "every page keeps a chain of the ptes that map it; walks never miss, fork and exit pay per pte",
        spec: "§3.1",
        make: Some(|| Box::new(PteChainScheme::default())),
    },
    SchemeInfo {
        name: "anonmm",
        design: "Hugh Dickins's anonmm, mremap copies shared pages (rmap 10 + 11)",
        era: "Apr 2004",
        summary: "a page names the mm that first mapped it and its address; the walk tries that mm, then every mm of the exec family",
        spec: "§3.3",
        make: Some(|| Box::new(AnonMmScheme::new(true))),
    },
    SchemeInfo {
        name: "anonmm-naive",
        design: "anonmm without any mremap fix",
        era: "Mar 2004",
        summary: "as anonmm, but a pte moved by mremap is never found again (Andrea Arcangeli's objection)",
        spec: "§3.3",
        make: Some(|| Box::new(AnonMmScheme::new(false))),
    },
    SchemeInfo {
        name: "anon-vma-rfc2",
        design: "Andrea Arcangeli's anon_vma RFC2",
        era: "Mar 2004",
        summary: "a page points at its vma until the first fork, which makes an anon_vma for parent and child",
        spec: "§3.4",
        make: Some(|| Box::new(AnonVmaRfc2Scheme::default())),
    },
    SchemeInfo {
        name: "anon-vma",
        design: "anon_vma as merged: one list of vmas per fork family",
        era: "2.6.7 - 2.6.33",
        summary: "a page points at its family's anon_vma; the walk tries every vma on the list, newest first",
        spec: "§3.4",
        make: Some(|| Box::new(AnonVmaScheme::default())),
    },
    SchemeInfo {
        name: "anon-vma-global",
        design: "one anon object per exec family holding every anon vma",
        era: "hypothetical, 12 Mar 2004",
        summary: "like anon-vma, but vmas a member creates after fork join the family object too",
        spec: "§3.5",
        make: Some(|| Box::new(anon_vma_global())),
    },
    SchemeInfo {
        name: "anon-vma-global-prio",
        design: "anon-vma-global with a pgoff tree on top",
        era: "hypothetical, 12 Mar 2004",
        summary: "the family object filtered by pgoff; still misses on copy-on-write copies",
        spec: "§3.5",
        make: Some(|| Box::new(anon_vma_global_prio())),
    },
    SchemeInfo {
        name: "anon-as",
        design: "Rik van Riel's anonymous address_space per family",
        era: "proposal, 12 Mar 2004",
        summary: "anonymous memory as a file per family, with a pgoff window per member for memory made after fork",
        spec: "§3.6",
        make: Some(|| Box::new(AnonAsScheme::default())),
    },
    SchemeInfo {
        name: "anon-vma-chain",
        design: "anon_vma_chain with lists, own anon_vma per process",
        era: "2.6.34 - 3.6",
        summary: "each vma links to its own and its ancestors' anon_vmas; a page is searched only where it can be",
        spec: "§3.8",
        make: Some(|| Box::new(ModernScheme::anon_vma_chain())),
    },
    SchemeInfo {
        name: "modern",
        design: "anon_vma_chain + interval trees + anon_vma reuse",
        era: "3.7 - 6.x",
        summary: "as anon-vma-chain, with interval trees (no OUT) and reuse of idle anon_vmas at fork",
        spec: "§3.9, §3.10",
        make: Some(|| Box::new(ModernScheme::default())),
    },
];

/// The info of scheme `name`; panics on a name not in the table (internal use).
pub fn info(name: &str) -> &'static SchemeInfo {
    SCHEMES
        .iter()
        .find(|s| s.name == name)
        .expect("scheme in the registry")
}

/// Every design of design.md §1, implemented or not, in historical order.
pub fn all_schemes() -> &'static [SchemeInfo] {
    &SCHEMES
}

/// The names of the implemented schemes, in historical order.
pub fn scheme_names() -> Vec<&'static str> {
    SCHEMES
        .iter()
        .filter(|s| s.implemented())
        .map(|s| s.name)
        .collect()
}

/// Looks a scheme up by CLI name (case-insensitive).
pub fn find_scheme(name: &str) -> Option<&'static SchemeInfo> {
    SCHEMES.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

/// A fresh scheme by name, if it exists and is implemented.
pub fn make_scheme(name: &str) -> Option<Box<dyn Scheme>> {
    find_scheme(name).and_then(SchemeInfo::make)
}
