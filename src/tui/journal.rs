//! The journal of a live session: the whole scenario, rewritten (atomically) after every edit
//! under the user's state directory, so that a crash or a killed terminal loses nothing. The
//! next start offers to restore it; saving (`:w`) or quitting on purpose removes it.
//!
//! Location: `$XDG_STATE_HOME/rmapviz/journal.ron`, else `~/.local/state/rmapviz/journal.ron`.
//! The file is a scenario in RON whose first line is a comment with the origin and the step.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::scenario::Scenario;

const HEADER: &str = "// rmapviz journal:";

/// Where the journal lives, if a state directory can be found.
pub fn default_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?)
            .join(".local")
            .join("state"),
    };
    Some(base.join("rmapviz").join("journal.ron"))
}

/// A journal found on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub scenario: Scenario,
    /// Where the session's scenario came from.
    pub origin: String,
    /// The step that was shown.
    pub step: usize,
    /// When it was last written, as text.
    pub when: String,
}

/// The journal file of this session.
#[derive(Clone, Debug)]
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    pub fn new(path: PathBuf) -> Journal {
        Journal { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the session (atomically: a crash mid-write leaves the previous journal).
    pub fn write(&self, scenario: &Scenario, origin: &str, step: usize) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let origin = origin.replace(['\n', '\r'], " ");
        let text = format!(
            "{HEADER} step={step} origin={origin}\n{}",
            scenario.to_ron()
        );
        crate::util::write_atomically(&self.path, text.as_bytes())
    }

    /// Reads the journal, if there is a readable one.
    pub fn read(&self) -> Option<Entry> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        let first = text.lines().next()?.strip_prefix(HEADER)?.trim();
        let (step, origin) = first.split_once(" origin=")?;
        let step = step.strip_prefix("step=")?.parse().ok()?;
        let scenario = Scenario::parse(&text, &self.path.display().to_string()).ok()?;
        let when = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .map_or("some time ago".to_string(), |d| ago(d.as_secs()));
        Some(Entry {
            scenario,
            origin: origin.to_string(),
            step,
            when,
        })
    }

    /// Removes the journal (nothing is unsaved any more).
    pub fn clear(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn ago(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs} s ago"),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86399 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_reads_back_what_was_written() {
        let dir = std::env::temp_dir().join(format!("rmapviz-journal-{}", std::process::id()));
        let j = Journal::new(dir.join("sub").join("journal.ron"));
        let (mut sc, _) = Scenario::load("S3").unwrap();
        sc.steps.truncate(2);
        j.write(&sc, "builtin:S3", 2).unwrap();
        let e = j.read().expect("journal");
        assert_eq!(e.scenario, sc);
        assert_eq!((e.origin.as_str(), e.step), ("builtin:S3", 2));
        j.clear();
        assert!(j.read().is_none());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_damaged_journal_is_ignored() {
        let dir = std::env::temp_dir().join(format!("rmapviz-journal-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("journal.ron");
        std::fs::write(
            &p,
            "// rmapviz journal: step=1 origin=x\nScenario(steps: [Fork(",
        )
        .unwrap();
        assert!(Journal::new(p).read().is_none());
        let _ = std::fs::remove_dir_all(dir);
    }
}
