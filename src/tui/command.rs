//! The `:` command line: an op in the short syntax (inserted after the current step), or one
//! of [`COMMANDS`].

use std::path::PathBuf;

use super::app::{App, Edit, Mode};
use crate::scenario::{Scenario, opline};

/// The commands besides ops, with their help (the help screen lists them).
pub const COMMANDS: [(&str, &str); 15] = [
    ("goto N", "show step N (0 is before the first)"),
    (
        "w [FILE]",
        "write the scenario as RON (replay and rmapviz read it back); not over another file",
    ),
    (
        "w! FILE",
        "write it, replacing FILE if it exists (its mode is kept)",
    ),
    (
        "d [N]",
        "delete step N (default: the current one); later steps re-simulate",
    ),
    ("undo", "undo the last typed op or deletion (the key u)"),
    ("redo", "redo what undo undid (the key Ctrl-R)"),
    ("q", "quit (asks if typed ops are unsaved)"),
    ("q!", "quit without asking"),
    ("scheme NAME", "show scheme NAME"),
    (
        "compare [NAME]",
        "compare with scheme NAME, or stop comparing",
    ),
    ("theme NAME", "dark, light, colorblind or mono"),
    (
        "diff I [J]",
        "what changed from step I to step J (default the current one); 0 is the start (the key d)",
    ),
    (
        "claims",
        "the 2004 claims checked against the model (the key C)",
    ),
    ("present", "presenter mode on / off (the key P)"),
    ("help", "this help"),
];

/// Command words for completion (`write` is the op; `w` saves).
const WORDS: [&str; 16] = [
    "goto", "w", "w!", "d", "q", "q!", "scheme", "compare", "theme", "help", "delete", "undo",
    "redo", "diff", "claims", "present",
];

impl App {
    /// Runs one command line (without the `:`). False when the line was not understood or
    /// could not be carried out as typed (a mistyped op, a step out of range, a file that
    /// exists): the status says why, and the command line stays open with it to be fixed.
    pub fn run_command(&mut self, line: &str) -> bool {
        let line = line.trim();
        if line.is_empty() {
            return true;
        }
        let (word, rest) = line
            .split_once(char::is_whitespace)
            .map_or((line, ""), |(a, b)| (a, b.trim()));
        let fail = |app: &mut App, msg: String| {
            app.set_status(msg, true);
            false
        };
        match word {
            "goto" | "g" => match rest.parse::<usize>() {
                Ok(n) if n <= self.len() => {
                    self.step_to(n);
                    true
                }
                Ok(n) => fail(
                    self,
                    format!(
                        "goto {n}: the scenario has {} steps (0 is the start)",
                        self.len()
                    ),
                ),
                Err(_) => fail(self, "goto N: N is a step number (0 is the start)".into()),
            },
            "w" => self.write(rest, false),
            "w!" => self.write(rest, true),
            "d" | "delete" => {
                let n = if rest.is_empty() {
                    Ok(self.step_asked())
                } else {
                    rest.parse::<usize>()
                };
                match n {
                    Ok(n) if n >= 1 && n <= self.len() => {
                        self.delete_step(n);
                        true
                    }
                    _ => fail(
                        self,
                        format!(
                            "d N: N is a step from 1 to {} (default the current one)",
                            self.len()
                        ),
                    ),
                }
            }
            "undo" | "u" if rest.is_empty() => {
                self.undo();
                true
            }
            "redo" if rest.is_empty() => {
                self.redo();
                true
            }
            "q" | "quit" => {
                self.request_quit();
                true
            }
            "q!" => {
                self.dirty = false;
                self.request_quit();
                true
            }
            "scheme" => match self.set_scheme(rest) {
                Ok(()) => true,
                Err(e) => fail(self, e.to_string()),
            },
            "compare" => {
                let r = if rest.is_empty() {
                    self.set_compare(None)
                } else {
                    self.set_compare(Some(rest))
                };
                match r {
                    Ok(()) => true,
                    Err(e) => fail(self, e.to_string()),
                }
            }
            "theme" => match rest.parse() {
                Ok(t) => {
                    self.choose_theme(t);
                    true
                }
                Err(e) => fail(self, format!("{e}")),
            },
            "help" | "h" => {
                self.mode = Mode::Help { scroll: 0 };
                true
            }
            "diff" => {
                let usage = format!(
                    "diff I [J]: what changed from step I to step J (default the current one), steps 0 to {} (0 is the start)",
                    self.len()
                );
                let mut nums = rest.split_whitespace().map(str::parse::<usize>);
                let (i, j) = (nums.next(), nums.next());
                match (i, j, nums.next()) {
                    (Some(Ok(i)), None, None) => self.open_diff(i, self.step()),
                    (Some(Ok(i)), Some(Ok(j)), None) => self.open_diff(i, j),
                    _ => fail(self, usage),
                }
            }
            "claims" if rest.is_empty() => {
                self.open_claims();
                true
            }
            "present" if rest.is_empty() => {
                self.presenter = !self.presenter;
                true
            }
            _ => self.insert_op(line),
        }
    }

    /// Parses `line` as an op and inserts it after the current step (the step asked for, while
    /// it is still being simulated); a line that is not an op changes nothing, says what was
    /// expected and returns false.
    fn insert_op(&mut self, line: &str) -> bool {
        match opline::parse(line) {
            Ok(step) => {
                if let Some(e) = step.op.range_error() {
                    self.set_status(format!("{e}: nothing inserted"), true);
                    return false;
                }
                let at = self.step_asked();
                self.edit(Edit::Insert { at, step });
                true
            }
            Err(e) => {
                let known = COMMANDS
                    .iter()
                    .map(|(c, _)| *c)
                    .collect::<Vec<_>>()
                    .join(", ");
                let msg = if e.usage.is_none() && e.message.starts_with("unknown op") {
                    format!("{e}; or a command: {known}")
                } else {
                    e.to_string()
                };
                self.set_status(msg, true);
                false
            }
        }
    }

    fn delete_step(&mut self, n: usize) {
        if let Some(step) = self.scenario().steps.get(n - 1).cloned() {
            self.edit(Edit::Delete { at: n - 1, step });
        }
    }

    /// `:w [FILE]`: the whole scenario as RON (through [`crate::util::write_file`]). An
    /// existing file is replaced only if it is the one the session reads and writes (the file
    /// opened, or last written), or with `:w!` (`force`).
    fn write(&mut self, name: &str, force: bool) -> bool {
        if self.no_writes {
            self.set_status(
                "w: keys given to a headless screen cannot write files",
                true,
            );
            return false;
        }
        let path = if name.is_empty() {
            match &self.file {
                Some(p) => p.clone(),
                None => {
                    self.set_status(
                        "w FILE: name a file (this scenario was not read from one)",
                        true,
                    );
                    return false;
                }
            }
        } else {
            user_path(name)
        };
        let text = self.session.scenario().to_ron();
        // What is written must read back as the same scenario.
        if Scenario::parse(&text, "check").ok().as_ref() != Some(self.session.scenario()) {
            self.set_status(
                "internal error: the scenario would not read back; not written",
                true,
            );
            return false;
        }
        let own = self.file.as_ref().is_some_and(|f| same_file(f, &path));
        let existing = crate::util::Existing::replace_if(force || own);
        match crate::util::write_file(&path, text.as_bytes(), existing) {
            Ok(()) => {
                self.dirty = false;
                self.edits.mark_saved();
                self.file = Some(path.clone());
                // The session now comes from this file (the journal records it, so a session
                // restored after a crash saves to it again).
                self.origin = path.display().to_string();
                if let Some(j) = &self.journal {
                    j.clear();
                }
                self.set_status(
                    format!(
                        "wrote {} ({} step{})",
                        path.display(),
                        self.len(),
                        if self.len() == 1 { "" } else { "s" }
                    ),
                    false,
                );
                true
            }
            Err(crate::util::WriteError::Exists(p)) => {
                self.set_status(
                    format!(
                        "{} exists: not written (:w! {} replaces it)",
                        p.display(),
                        p.display()
                    ),
                    true,
                );
                false
            }
            Err(e) => {
                self.set_status(e.to_string(), true);
                false
            }
        }
    }

    pub(crate) fn journal_write(&mut self) {
        if let Some(j) = &self.journal
            && let Err(e) = j.write(self.session.scenario(), &self.origin, self.step())
        {
            let msg = format!("journal {}: {e}", j.path().display());
            self.set_status(msg, true);
        }
    }

    /// Tab in the command line: completes the first word among the op names and commands.
    pub(crate) fn complete(&mut self) {
        let v = self.prompt.value().to_string();
        if v.contains(char::is_whitespace) {
            return;
        }
        let lower = v.to_ascii_lowercase();
        let all: Vec<&str> = opline::op_names().chain(WORDS).collect();
        let hits: Vec<&str> = all
            .iter()
            .copied()
            .filter(|w| w.starts_with(&lower))
            .collect();
        match hits.as_slice() {
            [] => self.set_status(format!("nothing starts with \"{v}\""), true),
            [one] => {
                self.prompt.set(format!("{one} "));
                if let Some(u) = opline::usage_of(one) {
                    self.set_status(u, false);
                }
            }
            many => {
                let mut common = many[0].to_string();
                for w in &many[1..] {
                    while !w.starts_with(&common) {
                        common.pop();
                    }
                }
                self.prompt.set(common);
                self.set_status(many.join(" "), false);
            }
        }
    }
}

/// Whether `a` and `b` name the same file (the same path, or the same file on disk).
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    a == b
        || match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
}

/// A file name as typed after `:w`: surrounding quotes removed, a leading `~` the home
/// directory (as a shell would do).
fn user_path(name: &str) -> PathBuf {
    let name = name.trim();
    let unquoted = ['"', '\'']
        .iter()
        .find_map(|&q| name.strip_prefix(q).and_then(|n| n.strip_suffix(q)))
        .unwrap_or(name);
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty());
    match (unquoted.strip_prefix('~'), home) {
        (Some(""), Some(h)) => PathBuf::from(h),
        (Some(rest), Some(h)) if rest.starts_with('/') => {
            PathBuf::from(h).join(rest.trim_start_matches('/'))
        }
        _ => PathBuf::from(unquoted),
    }
}

#[cfg(test)]
mod tests {
    use super::user_path;
    use std::path::PathBuf;

    #[test]
    fn typed_file_names_lose_quotes_and_find_home() {
        let home = std::env::var("HOME").unwrap_or_default();
        assert_eq!(user_path("\"a b.ron\""), PathBuf::from("a b.ron"));
        assert_eq!(user_path("'x.ron'"), PathBuf::from("x.ron"));
        assert_eq!(user_path("plain.ron"), PathBuf::from("plain.ron"));
        assert_eq!(user_path("~user/x.ron"), PathBuf::from("~user/x.ron"));
        if !home.is_empty() {
            assert_eq!(user_path("~/s/x.ron"), PathBuf::from(&home).join("s/x.ron"));
        }
    }
}
