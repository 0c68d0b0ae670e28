//! Headless output of replays: JSON (the public contract that README documents) and text.

pub mod compare;
pub mod diff;
pub mod json;
pub mod text;
pub mod walk_json;
