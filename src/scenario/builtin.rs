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

/// A built-in from its short name, its file's number and its slug: the file is
/// `assets/scenarios/<number>-<slug>.ron`.
macro_rules! builtin {
    ($name:literal, $number:literal, $slug:literal) => {
        Builtin {
            name: $name,
            slug: $slug,
            source: include_str!(concat!(
                "../../assets/scenarios/",
                $number,
                "-",
                $slug,
                ".ron"
            )),
        }
    };
}

/// Every built-in scenario, in order.
pub static BUILTINS: [Builtin; 11] = [
    builtin!("S1", "s01", "fork-reclaim"),
    builtin!("S2", "s02", "cow-storm"),
    builtin!("S3", "s03", "fork-mremap-reclaim"),
    builtin!("S4", "s04", "mprotect-checkerboard"),
    builtin!("S5", "s05", "fork-many-exec-most"),
    builtin!("S7", "s07", "faulted-neighbours"),
    builtin!("S8", "s08", "cow-then-child-writes"),
    builtin!("S9", "s09", "swapin-child-first"),
    builtin!("S10", "s10", "private-file-cow"),
    builtin!("S11", "s11", "partial-munmap"),
    builtin!("S12", "s12", "exit-order"),
];

/// A built-in by short name or slug, ignoring case.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS
        .iter()
        .find(|b| b.name.eq_ignore_ascii_case(name) || b.slug.eq_ignore_ascii_case(name))
}
