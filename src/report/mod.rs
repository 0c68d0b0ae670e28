//! Headless output of replays: JSON (the public contract of design.md §3 and README) and text.

pub mod compare;
pub mod json;
pub mod text;
