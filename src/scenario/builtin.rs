//! The built-in teaching scenarios (docs/semantics.md §7), embedded in the binary.

/// One built-in scenario.
#[derive(Debug)]
pub struct Builtin {
    /// Short name, e.g. "S3".
    pub name: &'static str,
    /// Descriptive name, also accepted on the command line.
    pub slug: &'static str,
    /// The RON text.
    pub source: &'static str,
}

/// The scenario opened when none is named.
pub const DEFAULT_BUILTIN: &str = "S3";

macro_rules! builtin {
    ($name:literal, $slug:literal, $file:literal) => {
        Builtin {
            name: $name,
            slug: $slug,
            source: include_str!(concat!("../../assets/scenarios/", $file)),
        }
    };
}

/// Every built-in scenario, in order.
pub static BUILTINS: [Builtin; 11] = [
    builtin!("S1", "fork-reclaim", "s01-fork-reclaim.ron"),
    builtin!("S2", "cow-storm", "s02-cow-storm.ron"),
    builtin!("S3", "fork-mremap-reclaim", "s03-fork-mremap-reclaim.ron"),
    builtin!(
        "S4",
        "mprotect-checkerboard",
        "s04-mprotect-checkerboard.ron"
    ),
    builtin!("S5", "fork-many-exec-most", "s05-fork-many-exec-most.ron"),
    builtin!("S7", "faulted-neighbours", "s07-faulted-neighbours.ron"),
    builtin!(
        "S8",
        "cow-then-child-writes",
        "s08-cow-then-child-writes.ron"
    ),
    builtin!("S9", "swapin-child-first", "s09-swapin-child-first.ron"),
    builtin!("S10", "private-file-cow", "s10-private-file-cow.ron"),
    builtin!("S11", "partial-munmap", "s11-partial-munmap.ron"),
    builtin!("S12", "exit-order", "s12-exit-order.ron"),
];

/// A built-in by short name or slug, ignoring case.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS
        .iter()
        .find(|b| b.name.eq_ignore_ascii_case(name) || b.slug.eq_ignore_ascii_case(name))
}
