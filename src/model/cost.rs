//! Memory cost of a scheme's rmap metadata, for two ABIs (docs/semantics.md §4).

use serde::Serialize;

/// One kind of rmap metadata: how many there are and what each costs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CostLine {
    /// What is counted, e.g. "anon_vma", "per-vma anon_vma_node + anon_vma pointer".
    pub what: String,
    pub count: u64,
    /// Bytes of one, on i386 (2004 layouts).
    pub each_i386: u64,
    /// Bytes of one, on x86_64 (6.18 layouts).
    pub each_x86_64: u64,
    /// True for separately allocated rmap objects; false for fields inside vmas or pages.
    pub object: bool,
}

/// A scheme's rmap memory at one step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Cost {
    pub lines: Vec<CostLine>,
}

impl Cost {
    pub fn add(
        &mut self,
        what: impl Into<String>,
        count: u64,
        i386: u64,
        x86_64: u64,
        object: bool,
    ) {
        self.lines.push(CostLine {
            what: what.into(),
            count,
            each_i386: i386,
            each_x86_64: x86_64,
            object,
        });
    }

    pub fn bytes_i386(&self) -> u64 {
        self.lines.iter().map(|l| l.count * l.each_i386).sum()
    }

    pub fn bytes_x86_64(&self) -> u64 {
        self.lines.iter().map(|l| l.count * l.each_x86_64).sum()
    }

    /// Number of separately allocated rmap objects.
    pub fn objects(&self) -> u64 {
        self.lines
            .iter()
            .filter(|l| l.object)
            .map(|l| l.count)
            .sum()
    }
}
