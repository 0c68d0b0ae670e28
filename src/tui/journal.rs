//! The journal of a live session: the whole scenario, rewritten after every edit under the
//! user's state directory, so that a crash or a killed terminal loses nothing. Saving (`:w`)
//! or quitting on purpose removes it.
//!
//! Every session has a journal of its own, `journal-PID-ORIGIN.ron` (the process id and the
//! scenario's name), and holds a lock on `journal-PID-ORIGIN.lock` (flock) for as long as it
//! runs, so two sessions never write the same journal, and a journal whose lock nobody holds is
//! one of a session that is no longer running. At start, [`orphans`] finds those (claiming each
//! one's lock, so that two sessions starting at once do not both offer it) and the TUI offers
//! to restore them, one by one. A journal that cannot be read is moved aside (its name gets
//! `.unreadable`) and the TUI says so: it is never overwritten or removed unread.
//!
//! Location: `$XDG_STATE_HOME/rmapviz/`, else `~/.local/state/rmapviz/` (made with mode 0700).
//! The file is a scenario in RON whose first line is a comment with the origin and the step.

use std::fs::File;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use nix::fcntl::Flock;

use crate::scenario::Scenario;
use crate::util::{Existing, READ_LIMIT, read_limited, try_lock, write_file};

const HEADER: &str = "// rmapviz journal:";

/// Where the journals live, if a state directory can be found.
pub fn default_dir() -> Option<PathBuf> {
    crate::util::xdg_dir("XDG_STATE_HOME", ".local/state").map(|d| d.join("rmapviz"))
}

/// A journal found on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedJournal {
    pub scenario: Scenario,
    /// Where the session's scenario came from.
    pub origin: String,
    /// The step that was shown.
    pub step: usize,
    /// When it was last written, as text.
    pub when: String,
}

/// The journal file of this session, and the lock that says the session runs.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    lock_path: PathBuf,
    _lock: Flock<File>,
}

/// The lock file beside journal `path`.
fn lock_path_of(path: &Path) -> PathBuf {
    path.with_extension("lock")
}

/// The origin as a short file-name part: `builtin:S3` is `S3`, a path its file stem.
fn slug(origin: &str) -> String {
    let name = origin.strip_prefix("builtin:").unwrap_or(origin);
    let stem = Path::new(name)
        .file_stem()
        .map_or(name.to_string(), |s| s.to_string_lossy().into_owned());
    let s: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    if s.is_empty() { "scenario".into() } else { s }
}

/// Makes the journal directory (mode 0700: the journals are the user's work).
fn make_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

impl Journal {
    /// This session's journal in `dir`, locked for the session's life (nothing is written
    /// before the first edit).
    pub fn create(dir: &Path, origin: &str) -> std::io::Result<Journal> {
        make_dir(dir)?;
        let base = format!("journal-{}-{}", std::process::id(), slug(origin));
        // A journal left by an earlier session that had this process id keeps its name.
        for n in 0..100 {
            let path = dir.join(match n {
                0 => format!("{base}.ron"),
                n => format!("{base}.{n}.ron"),
            });
            let lock_path = lock_path_of(&path);
            if std::fs::symlink_metadata(&path).is_ok() {
                continue;
            }
            if let Some(lock) = try_lock(&lock_path, true)? {
                return Ok(Journal {
                    path,
                    lock_path,
                    _lock: lock,
                });
            }
        }
        Err(std::io::Error::other(format!(
            "no free journal name {base}.*.ron in {}",
            dir.display()
        )))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the session (a crash mid-write leaves the previous journal).
    pub fn write(&self, scenario: &Scenario, origin: &str, step: usize) -> std::io::Result<()> {
        let origin = origin.replace(['\n', '\r'], " ");
        let text = format!(
            "{HEADER} step={step} origin={origin}\n{}",
            scenario.to_ron()
        );
        write_file(&self.path, text.as_bytes(), Existing::Replace).map_err(|e| match e {
            crate::util::WriteError::Io { source, .. } => source,
            e => std::io::Error::other(e.to_string()),
        })
    }

    /// Whether the journal holds unsaved work.
    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    /// Removes the journal (nothing is unsaved any more).
    pub fn clear(&self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        // The session ends: a journal left behind is found by the next start, lock or not.
        let _ = std::fs::remove_file(&self.lock_path);
    }
}

/// Reads journal `path`, or says why it cannot be read.
pub fn read(path: &Path) -> Result<SavedJournal, String> {
    let text = read_limited(path, READ_LIMIT).map_err(|e| e.to_string())?;
    let first = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix(HEADER))
        .map(str::trim)
        .ok_or("its first line is not a journal header")?;
    let (step, origin) = first
        .split_once(" origin=")
        .ok_or("its header has no origin")?;
    let step = step
        .strip_prefix("step=")
        .and_then(|s| s.parse().ok())
        .ok_or("its header has no step")?;
    let scenario =
        Scenario::parse(&text, &path.display().to_string()).map_err(|e| e.to_string())?;
    let when = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .map_or("some time ago".to_string(), |d| ago(d.as_secs()));
    Ok(SavedJournal {
        scenario,
        origin: origin.to_string(),
        step,
        when,
    })
}

/// The journal of a session that is no longer running, claimed by this one until it is
/// restored, discarded or let go (dropped: it stays for a later start).
#[derive(Debug)]
pub struct Orphan {
    pub entry: SavedJournal,
    path: PathBuf,
    lock: Option<Flock<File>>,
}

impl Orphan {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the journal (restored into this session, or discarded).
    pub fn remove(mut self) {
        let _ = std::fs::remove_file(&self.path);
        if self.lock.take().is_some() {
            let _ = std::fs::remove_file(lock_path_of(&self.path));
        }
    }
}

/// What [`orphans`] found: the journals to offer, newest first, and what it has to say about
/// the others (moved aside because unreadable).
#[derive(Debug, Default)]
pub struct Found {
    pub orphans: Vec<Orphan>,
    pub notes: Vec<String>,
}

/// The journals in `dir` of sessions no longer running (not `own`); each one's lock is held
/// until it is dealt with. An unreadable one is moved aside (`NAME.unreadable`, or
/// `NAME.unreadable.N`) and named in the notes.
pub fn orphans(dir: &Path, own: &Path) -> Found {
    let mut found = Found::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    let mut candidates: Vec<(SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with("journal") && n.ends_with(".ron")
        })
        .map(|e| e.path())
        .filter(|p| p != own)
        .filter_map(|p| {
            let m = std::fs::symlink_metadata(&p).ok()?;
            m.is_file()
                .then(|| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), p))
        })
        .collect();
    candidates.sort_by_key(|c| std::cmp::Reverse(c.0));
    for (_, path) in candidates {
        let lock = match try_lock(&lock_path_of(&path), true) {
            Ok(Some(l)) => Some(l),
            // Its session runs.
            Ok(None) => continue,
            // No lock can be had here (a read-only directory): offer it all the same.
            Err(_) => None,
        };
        if !path.exists() {
            // Another session dealt with it meanwhile.
            continue;
        }
        match read(&path) {
            Ok(entry) => found.orphans.push(Orphan { entry, path, lock }),
            Err(why) => {
                let note = match move_aside(&path) {
                    Ok(to) => format!(
                        "journal {} cannot be read ({why}): moved to {}",
                        path.display(),
                        to.display()
                    ),
                    Err(e) => format!(
                        "journal {} cannot be read ({why}) nor moved aside ({e}): left as it is",
                        path.display()
                    ),
                };
                found.notes.push(note);
                if lock.is_some() {
                    let _ = std::fs::remove_file(lock_path_of(&path));
                }
            }
        }
    }
    found
}

/// Renames an unreadable journal to a free `NAME.unreadable[.N]`, never over another file.
fn move_aside(path: &Path) -> std::io::Result<PathBuf> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    for n in 0..1000 {
        let to = path.with_file_name(match n {
            0 => format!("{name}.unreadable"),
            n => format!("{name}.unreadable.{n}"),
        });
        // A hard link fails if the name is taken; then the old name goes.
        match std::fs::hard_link(path, &to) {
            Ok(()) => {
                std::fs::remove_file(path)?;
                return Ok(to);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free name"))
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
    use crate::util::fresh_test_path;

    #[test]
    fn a_journal_reads_back_what_was_written() {
        let d = fresh_test_path("journal-rw");
        let j = Journal::create(&d.join("sub"), "builtin:S3").unwrap();
        assert!(
            j.path()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .ends_with(&format!("-{}-S3.ron", std::process::id())),
            "{}",
            j.path().display()
        );
        let (mut sc, _) = Scenario::load("S3").unwrap();
        sc.steps.truncate(2);
        j.write(&sc, "builtin:S3", 2).unwrap();
        let e = read(j.path()).expect("journal");
        assert_eq!(e.scenario, sc);
        assert_eq!((e.origin.as_str(), e.step), ("builtin:S3", 2));
        j.clear();
        assert!(read(j.path()).is_err());
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn a_running_sessions_journal_is_not_offered_a_finished_ones_is() {
        let d = fresh_test_path("journal-orphans");
        let (sc, _) = Scenario::load("S1").unwrap();
        let running = Journal::create(&d, "builtin:S1").unwrap();
        running.write(&sc, "builtin:S1", 1).unwrap();
        // A session that ended without saving: its journal stays, its lock is gone.
        let ended = d.join("journal-999999999-S1.ron");
        std::fs::write(
            &ended,
            format!("{HEADER} step=0 origin=builtin:S1\n{}", sc.to_ron()),
        )
        .unwrap();
        let own = d.join("journal-1-own.ron");
        let found = orphans(&d, &own);
        let paths: Vec<&Path> = found.orphans.iter().map(|o| o.path()).collect();
        assert_eq!(paths, [ended.as_path()], "only the ended session's journal");
        // Claimed: a second start at the same time does not offer it again.
        assert!(orphans(&d, &own).orphans.is_empty());
        for o in found.orphans {
            o.remove();
        }
        assert!(!ended.exists());
        drop(running);
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn an_unreadable_journal_is_moved_aside_not_lost() {
        let d = fresh_test_path("journal-bad");
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("journal.ron");
        let text = "// rmapviz journal: step=1 origin=x\nScenario(steps: [Fork(";
        std::fs::write(&p, text).unwrap();
        let found = orphans(&d, &d.join("journal-1-own.ron"));
        assert!(found.orphans.is_empty());
        assert_eq!(found.notes.len(), 1, "{:?}", found.notes);
        assert!(
            found.notes[0].contains("cannot be read"),
            "{:?}",
            found.notes
        );
        let aside = d.join("journal.ron.unreadable");
        assert_eq!(std::fs::read_to_string(&aside).unwrap(), text);
        assert!(!p.exists());
        let _ = std::fs::remove_dir_all(d);
    }
}
