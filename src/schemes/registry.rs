//! The designs by CLI name: the one list ([`SCHEMES`], in `schemes/mod.rs`) from which the CLI's
//! names, the compare table's rows, the TUI's scheme numbers and digit keys all derive.

use thiserror::Error;

use super::{SCHEMES, Scheme, SchemeInfo};

/// A name that is no scheme's.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("unknown scheme \"{name}\" (expected {}one of: {})", if *.all { "all or " } else { "" }, scheme_names().join(", "))]
pub struct UnknownScheme {
    pub name: String,
    /// `all` would have been accepted too (the headless commands' `--scheme`).
    pub all: bool,
}

/// Every design, in historical order.
pub fn all_schemes() -> &'static [&'static SchemeInfo] {
    SCHEMES
}

/// The names of the designs, in historical order.
pub fn scheme_names() -> Vec<&'static str> {
    SCHEMES.iter().map(|s| s.name).collect()
}

/// The number of the scheme called `name` (case-insensitive) in [`SCHEMES`], from 0.
pub fn scheme_number(name: &str) -> Result<usize, UnknownScheme> {
    SCHEMES
        .iter()
        .position(|s| s.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| UnknownScheme {
            name: name.to_string(),
            all: false,
        })
}

/// The scheme called `name` (case-insensitive).
pub fn find_scheme(name: &str) -> Result<&'static SchemeInfo, UnknownScheme> {
    scheme_number(name).map(|i| SCHEMES[i])
}

/// A fresh scheme by name.
pub fn make_scheme(name: &str) -> Result<Box<dyn Scheme>, UnknownScheme> {
    find_scheme(name).map(|s| (s.make)())
}
