//! Which panes a screen shows: all of them (the TUI's usual screen), the presenter's (`P`: the
//! header, the graph and the step's note as a caption, no footer), or a choice for slides
//! (`shot --panes graph,narrative`, `shot --no-footer`).

use std::fmt;

/// The panes of the screen, by name.
pub const NAMES: [&str; 8] = [
    "header",
    "steps",
    "graph",
    "walk",
    "inspector",
    "narrative",
    "compare",
    "footer",
];

/// A choice of panes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaneSet {
    /// Each of [`NAMES`], in its order.
    on: [bool; 8],
}

impl PaneSet {
    pub const ALL: PaneSet = PaneSet { on: [true; 8] };
    /// Presenter mode: the header, the graph, the narrative (as a caption).
    pub const PRESENTER: PaneSet = PaneSet {
        on: [true, false, true, false, false, true, false, false],
    };

    fn index(name: &str) -> Option<usize> {
        NAMES.iter().position(|n| *n == name)
    }

    /// Whether pane `name` (one of [`NAMES`]) is shown.
    pub fn has(&self, name: &str) -> bool {
        Self::index(name).is_some_and(|i| self.on[i])
    }

    /// The same panes without `name`.
    pub fn without(mut self, name: &str) -> PaneSet {
        if let Some(i) = Self::index(name) {
            self.on[i] = false;
        }
        self
    }

    /// The panes named in a comma-separated list (`graph,narrative`).
    pub fn parse(list: &str) -> Result<PaneSet, String> {
        let mut set = PaneSet { on: [false; 8] };
        for name in list.split(',').map(str::trim) {
            match Self::index(name) {
                Some(i) => set.on[i] = true,
                None => {
                    return Err(format!(
                        "unknown pane \"{name}\" (expected a comma-separated list of: {})",
                        NAMES.join(", ")
                    ));
                }
            }
        }
        if set.on.iter().all(|o| !o) {
            return Err("no pane named".to_string());
        }
        Ok(set)
    }
}

impl fmt::Display for PaneSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = NAMES
            .iter()
            .zip(self.on)
            .filter(|(_, on)| *on)
            .map(|(n, _)| *n)
            .collect();
        f.write_str(&names.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_and_bad_names_are_refused() {
        let s = PaneSet::parse("graph, narrative").unwrap();
        assert!(s.has("graph") && s.has("narrative") && !s.has("footer"));
        assert_eq!(s.to_string(), "graph,narrative");
        assert_eq!(
            PaneSet::ALL
                .without("footer")
                .to_string()
                .matches(',')
                .count(),
            6
        );
        let e = PaneSet::parse("graph,legend").unwrap_err();
        assert!(e.contains("\"legend\"") && e.contains("inspector"), "{e}");
        assert!(PaneSet::parse("").is_err());
    }
}
