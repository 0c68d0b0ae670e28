//! `--reclaim`: a temporary swap file and memory cgroups, and forced reclaim of one cgroup.
//!
//! What this 6.18 machine offers: the memory controller is mounted as cgroup v1
//! (`/sys/fs/cgroup/memory`; the v2 hierarchy has no memory controller, so `memory.reclaim` is not
//! available), and v1's `memory.force_empty` reclaims every page charged to a cgroup, swapping
//! anonymous and shmem pages out (docs/semantics.md §6.2). Reclaim through a cgroup reclaims
//! shared pages as well: it walks the rmap and unmaps every pte (`MADV_PAGEOUT` would skip a page
//! mapped by more than one process). To reclaim exactly one page, [`super::charge`] arranges
//! that the target page is the only page charged to its cgroup.
//!
//! Layout: `<memory cgroup of rmapviz>/rmapviz-check-TAG/` holds the scenario's processes,
//! with one child `page<k>` per planned group; the swap file is `rmapviz-swap-TAG` in the
//! temporary directory (it must not be on tmpfs). TAG is the run's ([`super::runs`]): its record
//! lists both before they are made, so that a later check removes them if this one is killed.
//! `check --reclaim` runs on one machine take turns ([`super::runs::reclaim_lock`]): their swap
//! files (at the highest priority) and cgroups never meet.

use std::ffi::CString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::OracleError;
use super::cleanup::RunGuard;
use super::protocol::KernelOutcome;
use super::runs::{CGROUP_PREFIX, SWAP_PREFIX, reclaim_lock};
use crate::model::PAGE_SIZE;

/// Size of the swap file.
const SWAP_BYTES: u64 = 64 << 20;

/// Turns a swap file off.
pub fn swap_off(p: &Path) -> std::io::Result<()> {
    let c = CString::new(p.as_os_str().as_bytes())?;
    // SAFETY: swapoff takes a NUL-terminated path.
    if unsafe { libc::swapoff(c.as_ptr()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

fn swap_on(p: &Path) -> std::io::Result<()> {
    let c = CString::new(p.as_os_str().as_bytes())?;
    // Highest priority, so that our pages go to this file even if the machine has other swap.
    // SWAP_FLAG_PREFER and SWAP_FLAG_PRIO_MASK of include/linux/swap.h.
    const SWAP_FLAG_PREFER: libc::c_int = 0x8000;
    const SWAP_FLAG_PRIO_MASK: libc::c_int = 0x7fff;
    let flags = SWAP_FLAG_PREFER | (32767 & SWAP_FLAG_PRIO_MASK);
    // SAFETY: swapon takes a NUL-terminated path and flags.
    if unsafe { libc::swapon(c.as_ptr(), flags) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Writes a swap file: `bytes` of zeros with a version-1 swap header in the first page (the
/// layout of `union swap_header` in include/linux/swap.h: `version` and `last_page` at byte
/// 1024, the signature "SWAPSPACE2" in the last 10 bytes of the page).
fn write_swap_file(p: &Path, bytes: u64) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(p)?;
    let page = PAGE_SIZE as usize;
    let mut header = vec![0u8; page];
    let last_page = (bytes / PAGE_SIZE - 1) as u32;
    header[1024..1028].copy_from_slice(&1u32.to_ne_bytes());
    header[1028..1032].copy_from_slice(&last_page.to_ne_bytes());
    header[page - 10..].copy_from_slice(b"SWAPSPACE2");
    f.write_all(&header)?;
    let zeros = vec![0u8; 1 << 20];
    let mut left = bytes - PAGE_SIZE;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        f.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    f.sync_all()
}

/// The cgroup-v1 memory hierarchy's mount point and rmapviz's own memory cgroup in it.
pub fn memory_cgroup() -> Result<(PathBuf, PathBuf), OracleError> {
    let mounts = std::fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| OracleError::Unsupported(format!("/proc/self/mountinfo: {e}")))?;
    let mount = mounts.lines().find_map(|l| {
        let (pre, post) = l.split_once(" - ")?;
        let mut post = post.split_whitespace();
        let fstype = post.next()?;
        let _src = post.next()?;
        let opts = post.next()?;
        let point = pre.split_whitespace().nth(4)?;
        (fstype == "cgroup" && opts.split(',').any(|o| o == "memory")).then(|| PathBuf::from(point))
    });
    let Some(mount) = mount else {
        return Err(OracleError::Unsupported(
            "--reclaim needs the cgroup-v1 memory controller (memory.force_empty), and no cgroup \
             hierarchy with the memory controller is mounted as cgroup v1 here"
                .into(),
        ));
    };
    let own = std::fs::read_to_string("/proc/self/cgroup")
        .map_err(|e| OracleError::Unsupported(format!("/proc/self/cgroup: {e}")))?;
    let rel = own
        .lines()
        .find_map(|l| {
            let mut it = l.splitn(3, ':');
            let _id = it.next()?;
            let ctrls = it.next()?;
            let path = it.next()?;
            ctrls
                .split(',')
                .any(|c| c == "memory")
                .then(|| path.to_string())
        })
        .unwrap_or_else(|| "/".into());
    let here = mount.join(rel.trim_start_matches('/'));
    Ok((mount, here))
}

/// A directory for the swap file that can hold one (not tmpfs).
pub fn swap_dir() -> PathBuf {
    let tmp = std::env::temp_dir();
    let is_tmpfs = nix::sys::statfs::statfs(&tmp)
        .map(|s| s.filesystem_type() == nix::sys::statfs::TMPFS_MAGIC)
        .unwrap_or(true);
    if is_tmpfs {
        PathBuf::from("/var/tmp")
    } else {
        tmp
    }
}

/// The swap file and cgroups of one run.
pub struct Reclaim<'g> {
    _guard: &'g RunGuard,
    /// The cgroup holding the scenario's processes.
    holding: PathBuf,
    /// One cgroup per planned group.
    groups: Vec<PathBuf>,
    /// rmapviz's own cgroup, to go back to.
    home: PathBuf,
}

fn write_file(p: &Path, v: &str) -> Result<(), OracleError> {
    std::fs::write(p, v).map_err(|e| OracleError::Failed(format!("{}: {e}", p.display())))
}

impl<'g> Reclaim<'g> {
    /// Sets up the swap file and `groups` cgroups, everything registered with `guard`, once
    /// the machine-wide reclaim lock is held (waiting for it at most `wait`, if given).
    pub fn setup(
        guard: &'g RunGuard,
        groups: usize,
        wait: Option<Duration>,
    ) -> Result<Self, OracleError> {
        let tag = guard.tag();
        if !nix::unistd::geteuid().is_root() {
            return Err(OracleError::Unsupported(format!(
                "--reclaim needs root (swapon needs CAP_SYS_ADMIN, the memory cgroups root's \
                 write access); running as uid {}",
                nix::unistd::geteuid()
            )));
        }
        let sdir = swap_dir();
        let (_mount, here) = memory_cgroup()?;
        if !here.join("memory.force_empty").exists() {
            return Err(OracleError::Unsupported(format!(
                "{} has no memory.force_empty (cgroup-v1 memory controller needed for --reclaim)",
                here.display()
            )));
        }
        // Held by the guard until the swap file is off and the cgroups are gone.
        guard.hold(reclaim_lock(wait)?);

        let holding = here.join(format!("{CGROUP_PREFIX}{tag}"));
        guard.add_cgroup(holding.clone())?;
        std::fs::create_dir(&holding).map_err(|e| {
            OracleError::Unsupported(format!(
                "cannot make the memory cgroup {}: {e}",
                holding.display()
            ))
        })?;
        let mut gs = Vec::new();
        for k in 0..groups {
            let g = holding.join(format!("page{k}"));
            guard.add_cgroup(g.clone())?;
            std::fs::create_dir(&g)
                .map_err(|e| OracleError::Failed(format!("{}: {e}", g.display())))?;
            gs.push(g);
        }
        let home = here.join("cgroup.procs");
        guard.set_home_cgroup(home.clone());

        let swap = sdir.join(format!("{SWAP_PREFIX}{tag}"));
        guard.add_swap(swap.clone())?;
        write_swap_file(&swap, SWAP_BYTES)
            .map_err(|e| OracleError::Failed(format!("{}: {e}", swap.display())))?;
        swap_on(&swap).map_err(|e| {
            OracleError::Unsupported(format!(
                "swapon {}: {e} (needs CAP_SYS_ADMIN and a filesystem that supports swap files)",
                swap.display()
            ))
        })?;
        guard.swap_is_on(swap);
        Ok(Reclaim {
            _guard: guard,
            holding,
            groups: gs,
            home,
        })
    }

    /// Puts a new scenario process into the holding cgroup (its children follow it).
    pub fn adopt(&mut self, real: i32) -> Result<(), OracleError> {
        write_file(&self.holding.join("cgroup.procs"), &real.to_string())
    }

    fn group(&self, g: usize) -> Result<&PathBuf, OracleError> {
        self.groups
            .get(g)
            .ok_or_else(|| OracleError::Failed(format!("no cgroup for group {g}")))
    }

    /// Moves a scenario process into group `g`'s cgroup (for the fault that creates its page).
    pub fn enter(&mut self, g: usize, real: i32) -> Result<(), OracleError> {
        write_file(&self.group(g)?.join("cgroup.procs"), &real.to_string())
    }

    /// Moves a scenario process back to the holding cgroup.
    pub fn leave(&mut self, real: i32) -> Result<(), OracleError> {
        self.adopt(real)
    }

    /// Runs `write` with rmapviz itself in group `g`'s cgroup, so the page it creates is
    /// charged there.
    pub fn charged(
        &mut self,
        g: usize,
        write: &mut dyn FnMut() -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let me = std::process::id().to_string();
        let cg = self
            .group(g)
            .map_err(|e| std::io::Error::other(e.to_string()))?
            .join("cgroup.procs");
        std::fs::write(&cg, &me)?;
        let r = write();
        std::fs::write(&self.home, &me)?;
        r
    }

    /// What group `g` still holds, in bytes (memory.usage_in_bytes).
    pub fn usage(&self, g: usize) -> Result<u64, OracleError> {
        let p = self.group(g)?.join("memory.usage_in_bytes");
        let text = std::fs::read_to_string(&p)
            .map_err(|e| OracleError::Failed(format!("{}: {e}", p.display())))?;
        text.trim()
            .parse()
            .map_err(|e| OracleError::Failed(format!("{}: {e}: {text:?}", p.display())))
    }

    /// Reclaims everything charged to group `g` (memory.force_empty).
    pub fn reclaim(&mut self, g: usize) -> Result<(KernelOutcome, u64), OracleError> {
        let p = self.group(g)?.join("memory.force_empty");
        let t = Instant::now();
        let r = std::fs::write(&p, "0");
        let nanos = t.elapsed().as_nanos() as u64;
        match r {
            Ok(()) => Ok((KernelOutcome::Ok, nanos)),
            Err(e) => Ok((
                KernelOutcome::Errno(e.raw_os_error().unwrap_or(libc::EIO)),
                nanos,
            )),
        }
    }
}
