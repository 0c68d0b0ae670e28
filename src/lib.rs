//! rmapviz: make the Linux kernel's reverse mapping (rmap) visible.
//!
//! The crate is layered as docs/architecture.md §1 describes: [`model`] (the scheme-independent machine)
//! and [`schemes`] (one rmap design per file) know nothing of terminals; [`scenario`] reads and
//! writes the RON format; [`session`] runs one simulation per scheme and keeps history.

pub mod allocator;
pub mod claims;
pub mod cli;
pub mod config;
pub mod export;
pub mod fuzz;
pub mod model;
pub mod oracle;
pub mod progress;
pub mod quiz;
pub mod report;
pub mod scenario;
pub mod schemes;
pub mod session;
pub mod trace;
pub mod tui;
pub mod util;
pub mod view;
