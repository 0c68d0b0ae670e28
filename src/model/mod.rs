//! The scheme-independent machine: processes (mm), vmas, page tables, pages, files and their
//! page caches, swap slots. It applies an [`Op`] and asks its scheme for every rmap decision.
//! Nothing here knows about terminals.

mod apply;
mod brk;
pub mod cost;
pub mod error;
pub mod events;
mod fault;
pub mod file;
mod invariants;
pub mod machine;
mod madvise;
mod mapping;
pub mod op;
pub mod page;
pub mod pageset;
mod process;
pub mod pte;
mod reclaim;
pub mod rmap;
pub mod swap;
pub mod totals;
pub mod types;
pub mod vma;
mod vmatree;
pub mod walk;

pub use cost::{Cost, CostLine};
pub use error::StepError;
pub use events::{Events, Tally, page_list};
pub use fault::FAULT_AROUND_PAGES;
pub use file::{Cached, File};
pub use machine::Machine;
pub use op::{MmapArgs, OP_NAMES, Op, OpKind, Step};
pub use page::{Page, PageRmap, PageStore};
pub use pageset::PageSet;
pub use pte::{PageTable, Pte, PteVal};
pub use totals::{Census, Totals};
pub use types::*;
pub use vma::{Mm, Process, Vma};
pub use walk::{Candidate, Lost, Outcome, Visit, Walk, WalkKind, WalkPlan};
