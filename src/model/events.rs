//! The narrative of a step: kernel-style event lines from the model and the scheme.

use super::pageset::PageSet;
use super::types::PageId;

/// Event lines collected during one step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Events {
    pub lines: Vec<String>,
}

impl Events {
    pub fn push(&mut self, s: impl Into<String>) {
        self.lines.push(s.into());
    }
}

/// Formats a list of page ids compactly: "p1-p4, p9" (see [`PageSet::describe`]).
pub fn page_list(pages: &[PageId]) -> String {
    PageSet::from_ids(pages.iter().copied()).describe()
}

/// Counts repeated per-page happenings during a step and turns them into one line each.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    items: Vec<(String, Vec<PageId>)>,
}

impl Tally {
    pub fn add(&mut self, what: &str, page: PageId) {
        match self.items.iter_mut().find(|(w, _)| w == what) {
            Some((_, v)) => v.push(page),
            None => self.items.push((what.to_string(), vec![page])),
        }
    }

    /// Emits "what: N pages (p1-p4)" lines and clears the tally.
    pub fn flush(&mut self, ev: &mut Events) {
        for (what, pages) in self.items.drain(..) {
            let n = pages.len();
            let unit = if n == 1 { "page" } else { "pages" };
            ev.push(format!("{what}: {n} {unit} ({})", page_list(&pages)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_lists_compress_runs() {
        let v = [PageId(3), PageId(1), PageId(2), PageId(7)];
        assert_eq!(page_list(&v), "p1-p3, p7");
    }
}
