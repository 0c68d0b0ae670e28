//! The runs of `check` on this machine, so that what a run leaves behind when it is killed
//! (SIGKILL, the OOM killer, a CI timeout) is removed by the next one, and so that runs that
//! reclaim take turns.
//!
//! * **Records.** Every run writes a record, `RUNS_DIR/TAG.run` (root: `/run/rmapviz/check`;
//!   another user: `$XDG_RUNTIME_DIR/rmapviz/check`), and holds an exclusive lock (flock) on it
//!   for its whole life; the kernel drops the lock when the run dies, however it dies. The
//!   record lists, before each is made, the swap file, the cgroups and the other paths the run
//!   makes; its driven processes carry the tag in their environment ([`TAG_ENV`]). At the start
//!   of every check, [`clean_dead_runs`] takes the lock of every record it finds: a record it
//!   can lock is one of a dead run, whose processes, swap file, cgroups and paths it removes.
//!   A run is judged by its lock, never by a pid that might have been reused.
//! * **Things without a record**, left by an older rmapviz: a swap file, a cgroup or a tmpfs
//!   directory with rmapviz's names whose process no longer exists is removed.
//! * **Reclaim lock.** `check --reclaim` runs take turns through one lock for the machine,
//!   `/run/rmapviz/reclaim.lock` ([`reclaim_lock`]), in a directory only root can enter, opened
//!   without following symlinks, mode 0600; a run that waits says so and for which process.
//!
//! The directories are made with mode 0700 and must be owned by the user and writable by no
//! one else, or they are not used.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

use super::OracleError;
use super::cleanup::{pidfd_kill, pidfd_open, remove_cgroup, remove_path, wait_exited};
use crate::util::try_lock;

/// The environment variable that names a driven process's run.
pub const TAG_ENV: &str = "RMAPVIZ_CHECK_RUN";
/// Prefix of the memory cgroups of a run (`rmapviz-check-TAG`) and of older runs' tmpfs
/// directories.
pub const CGROUP_PREFIX: &str = "rmapviz-check-";
/// Prefix of the swap files (`rmapviz-swap-TAG`).
pub const SWAP_PREFIX: &str = "rmapviz-swap-";
/// root's directory for rmapviz's machine-wide state.
const ROOT_DIR: &str = "/run/rmapviz";

/// What a run makes, as its record lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Made {
    /// A swap file (turned on, or about to be).
    Swap(PathBuf),
    /// A memory cgroup directory.
    Cgroup(PathBuf),
    /// A file or a directory.
    Path(PathBuf),
}

fn euid() -> u32 {
    nix::unistd::geteuid().as_raw()
}

/// Makes `dir` (mode 0700) if need be and checks that it can be trusted: a directory, not a
/// symlink, owned by this user, writable by no one else.
pub fn private_dir(dir: &Path) -> Result<(), String> {
    if let Err(e) = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        return Err(format!("{}: {e}", dir.display()));
    }
    let m = std::fs::symlink_metadata(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if !m.is_dir() {
        return Err(format!("{}: not a directory", dir.display()));
    }
    if m.uid() != euid() || m.mode() & 0o022 != 0 {
        return Err(format!(
            "{}: owned by uid {} with mode {:o}: it must be this user's (uid {}) and writable \
             by no one else",
            dir.display(),
            m.uid(),
            m.mode() & 0o7777,
            euid()
        ));
    }
    Ok(())
}

/// The directory of the records, if this user has one it can trust.
fn runs_dir() -> Option<PathBuf> {
    let base = if euid() == 0 {
        PathBuf::from(ROOT_DIR)
    } else {
        PathBuf::from(std::env::var_os("XDG_RUNTIME_DIR").filter(|v| !v.is_empty())?)
            .join("rmapviz")
    };
    let dir = base.join("check");
    private_dir(&base).ok()?;
    private_dir(&dir).ok()?;
    Some(dir)
}

/// Opens `p` for reading and writing without following a symlink, creating it (mode 0600)
/// only with `create`.
fn open_nofollow(p: &Path, create: bool) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    if create {
        o.create_new(true);
    }
    o.open(p)
}

/// A fresh tag: this process's id and 64 random bits.
fn new_tag() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!("{}-{:016x}", std::process::id(), h.finish())
}

/// The record of a live run, locked for its life.
#[derive(Debug)]
pub struct Record {
    path: PathBuf,
    file: Flock<File>,
}

impl Record {
    /// A new run: its tag, and its record where this user has a directory for them (root
    /// always has: without one the run is refused).
    pub fn create() -> Result<(String, Option<Record>), OracleError> {
        let Some(dir) = runs_dir() else {
            if euid() == 0 {
                return Err(OracleError::Failed(format!(
                    "cannot use {ROOT_DIR}/check for the records of the runs (it must be a \
                     directory of root's, mode 0700)"
                )));
            }
            return Ok((new_tag(), None));
        };
        for _ in 0..16 {
            let tag = new_tag();
            let path = dir.join(format!("{tag}.run"));
            let f = match open_nofollow(&path, true) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(OracleError::Failed(format!("{}: {e}", path.display()))),
            };
            let file = Flock::lock(f, FlockArg::LockExclusiveNonblock)
                .map_err(|(_, e)| OracleError::Failed(format!("{}: {e}", path.display())))?;
            return Ok((tag, Some(Record { path, file })));
        }
        Err(OracleError::Failed(format!(
            "no free record name in {}",
            dir.display()
        )))
    }

    /// Adds `m` to the record (before it is made, so that a run killed while making it leaves
    /// it listed).
    pub fn note(&mut self, m: &Made) -> std::io::Result<()> {
        let mut line = serde_json::to_string(m).map_err(std::io::Error::other)?;
        line.push('\n');
        self.file.seek(std::io::SeekFrom::End(0))?;
        self.file.write_all(line.as_bytes())
    }

    /// The run ended and removed what it made.
    pub fn remove(self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// What a record lists (lines that do not read are skipped).
fn read_record(f: &mut File) -> Vec<Made> {
    let mut text = String::new();
    let _ = f.read_to_string(&mut text);
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The tags of records in the directory, with the record's path.
fn records(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return vec![];
    };
    rd.flatten()
        .filter_map(|e| {
            let p = e.path();
            let tag = p.file_name()?.to_str()?.strip_suffix(".run")?.to_string();
            Some((tag, p))
        })
        .collect()
}

/// Kills the processes of this user whose environment names run `tag`, and waits for them.
fn kill_tagged(tag: &str, said: &mut Vec<String>) {
    let want = format!("{TAG_ENV}={tag}");
    let tagged = |pid: i32| {
        std::fs::read(format!("/proc/{pid}/environ"))
            .is_ok_and(|env| env.split(|&b| b == 0).any(|v| v == want.as_bytes()))
    };
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return;
    };
    let mut fds = Vec::new();
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        if e.metadata().is_ok_and(|m| m.uid() == euid()) && tagged(pid) {
            // Held by pidfd, then looked at again: the kill cannot hit a reused pid.
            if let Ok(fd) = pidfd_open(pid)
                && tagged(pid)
            {
                pidfd_kill(&fd);
                fds.push((pid, fd));
            }
        }
    }
    for (pid, fd) in fds {
        if wait_exited(&fd, Duration::from_secs(10)) {
            said.push(format!("killed process {pid}"));
        } else {
            said.push(format!("process {pid} did not exit after SIGKILL"));
        }
    }
}

/// Turns swap file `p` off if it is on, then removes it.
fn remove_swap(p: &Path, said: &mut Vec<String>) {
    let on = std::fs::read_to_string("/proc/swaps").is_ok_and(|s| {
        s.lines()
            .skip(1)
            .any(|l| l.split_whitespace().next() == p.to_str())
    });
    if on {
        match super::reclaim::swap_off(p) {
            Ok(()) => said.push(format!("swapoff {}", p.display())),
            Err(e) => said.push(format!("swapoff {}: {e}", p.display())),
        }
    }
    if std::fs::remove_file(p).is_ok() {
        said.push(format!("removed {}", p.display()));
    }
}

/// Removes what run `tag` made, as its record lists it.
fn remove_made(tag: &str, made: &[Made], said: &mut Vec<String>) {
    kill_tagged(tag, said);
    for m in made.iter().rev() {
        match m {
            Made::Swap(p) => remove_swap(p, said),
            Made::Cgroup(c) => {
                if c.exists() {
                    match remove_cgroup(c) {
                        Ok(()) => said.push(format!("removed the cgroup {}", c.display())),
                        Err(e) => said.push(e),
                    }
                }
            }
            Made::Path(p) => {
                if std::fs::symlink_metadata(p).is_ok() {
                    match remove_path(p) {
                        Ok(()) => said.push(format!("removed {}", p.display())),
                        Err(e) => said.push(e),
                    }
                }
            }
        }
    }
}

/// Whether the run behind a name (`PREFIX` + tag) is over: its record can be locked, or it
/// has no record and the process in the tag no longer exists.
fn dead(tag: &str, dir: Option<&Path>) -> bool {
    if let Some(d) = dir {
        let p = d.join(format!("{tag}.run"));
        if p.exists() {
            return try_lock(&p, false).ok().flatten().is_some();
        }
    }
    tag.split('-')
        .next()
        .and_then(|p| p.parse::<u32>().ok())
        .is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists())
}

/// Removes what runs of this user that are no longer running left behind: everything their
/// records list, then anything else with rmapviz's names whose run is over (`cgroups`: the
/// memory cgroup directory runs make theirs in, if there is one). Returns what it did, for
/// the user to read.
pub fn clean_dead_runs(cgroups: Option<&Path>) -> Vec<String> {
    let dir = runs_dir();
    let mut said = Vec::new();
    // One cleaner at a time: a check that starts while another removes what a dead run left
    // waits for it (at most a minute), so that it starts with everything gone.
    let _turn = dir.as_deref().and_then(|d| {
        let p = d.join("cleanup.lock");
        let start = Instant::now();
        loop {
            match try_lock(&p, true) {
                Ok(Some(l)) => return Some(l),
                Ok(None) if start.elapsed() < Duration::from_secs(60) => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => return None,
            }
        }
    });
    for (tag, path) in dir.as_deref().map(records).unwrap_or_default() {
        // None: its run is alive.
        let Ok(Some(mut lock)) = try_lock(&path, false) else {
            continue;
        };
        let made = read_record(&mut lock);
        let mut did = Vec::new();
        remove_made(&tag, &made, &mut did);
        let _ = std::fs::remove_file(&path);
        if !did.is_empty() {
            said.push(format!(
                "a check that was killed (run {tag}) left things behind: {}",
                did.join(", ")
            ));
        }
    }
    // Names without a record (an older rmapviz, or a run killed before its record listed them).
    let mut did = Vec::new();
    let is_dead = |name: &str, prefix: &str| {
        name.strip_prefix(prefix)
            .is_some_and(|tag| dead(tag, dir.as_deref()))
    };
    if let Ok(swaps) = std::fs::read_to_string("/proc/swaps") {
        for l in swaps.lines().skip(1) {
            let Some(p) = l.split_whitespace().next().map(PathBuf::from) else {
                continue;
            };
            if p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| is_dead(n, SWAP_PREFIX))
            {
                remove_swap(&p, &mut did);
            }
        }
    }
    let places: [(Option<PathBuf>, &str); 4] = [
        (cgroups.map(Path::to_path_buf), CGROUP_PREFIX),
        (Some(super::reclaim::swap_dir()), SWAP_PREFIX),
        (Some(PathBuf::from("/var/tmp")), SWAP_PREFIX),
        (Some(PathBuf::from("/dev/shm")), CGROUP_PREFIX),
    ];
    for (place, prefix) in places {
        let Some(rd) = place.and_then(|p| std::fs::read_dir(p).ok()) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !is_dead(&name, prefix) || e.metadata().map_or(true, |m| m.uid() != euid()) {
                continue;
            }
            let p = e.path();
            let r = if cgroups.is_some_and(|c| p.starts_with(c)) {
                remove_cgroup(&p)
            } else if prefix == SWAP_PREFIX {
                remove_swap(&p, &mut did);
                continue;
            } else {
                remove_path(&p)
            };
            match r {
                Ok(()) => did.push(format!("removed {}", p.display())),
                Err(e) => did.push(e),
            }
        }
    }
    if !did.is_empty() {
        said.push(format!(
            "an earlier check left things behind: {}",
            did.join(", ")
        ));
    }
    said
}

/// The machine-wide lock of `check --reclaim`, held until dropped. While another run holds it,
/// says that it waits and for which process, and waits (at most `wait`, if given).
pub fn reclaim_lock(wait: Option<Duration>) -> Result<Flock<File>, OracleError> {
    let base = Path::new(ROOT_DIR);
    private_dir(base).map_err(OracleError::Failed)?;
    let path = base.join("reclaim.lock");
    let f = match open_nofollow(&path, true) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => open_nofollow(&path, false),
        r => r,
    }
    .map_err(|e| OracleError::Failed(format!("{}: {e}", path.display())))?;
    lock_file(f, &path, wait)
}

/// Takes the exclusive lock of `f` (at `path`), waiting as [`reclaim_lock`] says.
fn lock_file(f: File, path: &Path, wait: Option<Duration>) -> Result<Flock<File>, OracleError> {
    let m = f
        .metadata()
        .map_err(|e| OracleError::Failed(format!("{}: {e}", path.display())))?;
    if !m.is_file() || m.uid() != euid() || m.mode() & 0o077 != 0 {
        return Err(OracleError::Failed(format!(
            "{}: not a private file of this user's (uid {}, mode {:o}): not used",
            path.display(),
            m.uid(),
            m.mode() & 0o7777
        )));
    }
    let start = Instant::now();
    let mut f = f;
    let mut told = false;
    let lock = loop {
        match Flock::lock(f, FlockArg::LockExclusiveNonblock) {
            Ok(l) => break l,
            Err((back, nix::errno::Errno::EWOULDBLOCK)) => f = back,
            Err((_, e)) => return Err(OracleError::Failed(format!("{}: {e}", path.display()))),
        }
        let holder = holder(&m);
        // The holder may have let go just now: ask again rather than say "another process".
        let known = !holder.starts_with("another");
        if let Some(w) = wait
            && start.elapsed() >= w
        {
            return Err(OracleError::Busy(format!(
                "gave up after waiting {} s for the reclaim lock {}, held by {holder}",
                w.as_secs(),
                path.display()
            )));
        }
        if !told && (known || start.elapsed() > Duration::from_secs(1)) {
            super::cleanup::say(&format!(
                "rmapviz: waiting for the reclaim lock {}, held by {holder}{}",
                path.display(),
                match wait {
                    Some(w) => format!(" (at most {} s, --wait)", w.as_secs()),
                    None => String::new(),
                }
            ));
            told = true;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if told {
        super::cleanup::say(&format!(
            "rmapviz: got the reclaim lock after {:.1} s",
            start.elapsed().as_secs_f64()
        ));
    }
    Ok(lock)
}

/// Who holds the flock on the file `m` describes, as `/proc/locks` says: the process id, with
/// its command line.
fn holder(m: &std::fs::Metadata) -> String {
    // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF": the device in hex, the inode.
    let dev = m.dev();
    let id = format!(
        "{:02x}:{:02x}:{}",
        libc::major(dev),
        libc::minor(dev),
        m.ino()
    );
    let pid = std::fs::read_to_string("/proc/locks")
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.contains("->"))
        .find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() > 5 && f[1] == "FLOCK" && f[5] == id)
                .then(|| f[4].parse::<u32>().ok())
                .flatten()
        });
    match pid {
        Some(pid) => {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| {
                    c.split(|&b| b == 0)
                        .filter(|a| !a.is_empty())
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            if cmd.is_empty() {
                format!("process {pid}")
            } else {
                format!("process {pid} ({cmd})")
            }
        }
        None => "another process".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::fresh_test_path;

    #[test]
    fn a_directory_others_can_write_to_or_a_symlink_is_not_trusted() {
        let d = fresh_test_path("runs-private");
        private_dir(&d).unwrap();
        let mode = std::fs::metadata(&d).unwrap().mode() & 0o7777;
        assert_eq!(mode, 0o700);
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(
            private_dir(&d)
                .unwrap_err()
                .contains("writable by no one else")
        );
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
        let link = d.with_extension("link");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&d, &link).unwrap();
        assert!(private_dir(&link).unwrap_err().contains("not a directory"));
        let _ = std::fs::remove_file(&link);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_lock_file_is_opened_without_following_symlinks_and_must_be_private() {
        let d = fresh_test_path("runs-lockfile");
        private_dir(&d).unwrap();
        let victim = d.join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let lock = d.join("x.lock");
        std::os::unix::fs::symlink(&victim, &lock).unwrap();
        assert!(open_nofollow(&lock, true).is_err());
        assert!(open_nofollow(&lock, false).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        std::fs::remove_file(&lock).unwrap();
        let f = open_nofollow(&lock, true).unwrap();
        assert_eq!(f.metadata().unwrap().mode() & 0o777, 0o600);
        // A lock that another holder has: waiting gives up after --wait with its pid.
        let held = lock_file(f, &lock, None).unwrap();
        let e = lock_file(
            open_nofollow(&lock, false).unwrap(),
            &lock,
            Some(Duration::ZERO),
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("process {}", std::process::id())),
            "{msg}"
        );
        drop(held);
        assert!(
            lock_file(
                open_nofollow(&lock, false).unwrap(),
                &lock,
                Some(Duration::ZERO)
            )
            .is_ok()
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
