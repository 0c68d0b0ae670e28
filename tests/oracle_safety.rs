//! `check` as root on a shared machine (README, "Checking the model against the kernel"):
//! a scenario over a limit is refused before anything runs; a check killed with SIGKILL leaves
//! nothing once the next check (a plain one) has run; concurrent `--reclaim` runs take turns
//! through one lock for the machine, say whom they wait for, and never disturb each other;
//! `--wait` gives up.
//!
//! The limits need nothing. The rest needs the kernel oracle and root (swapon, memory cgroups):
//! where the machine does not allow it the tests say why and pass as skipped, unless
//! `RMAPVIZ_REQUIRE_ORACLE=1` (set by `.ci/run`), which turns a skip into a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::dir::{test_dir, test_dir_in};

/// A filesystem that can hold a swap file (not tmpfs), for `TMPDIR`.
const DISK: &str = "/var/tmp";

const BIN: &str = env!("CARGO_BIN_EXE_rmapviz");

fn rmapviz(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run rmapviz")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A file mapped at page 131071 needs a 512 MiB file (RAM, on tmpfs); 300 forks need 301
/// processes; a write of 4M pages touches 16 GiB. Each is refused with exit 2 before anything
/// runs, naming the step and the flag that raises the limit. Needs nothing: the limits are
/// checked before the machine is.
#[test]
fn a_scenario_over_a_limit_is_refused_before_anything_runs() {
    let dir = test_dir("limits");
    let forks: Vec<String> = (2..=301)
        .map(|c| format!("Fork(pid: 1, child: {c})"))
        .collect();
    let cases = [
        (
            "Mmap(pid: 1, addr: 0x10000, pages: 1), \
             Mmap(pid: 1, addr: 0x20000, pages: 1, file: \"f\", offset: 131071)"
                .to_string(),
            "step 2 (",
            "--max-file-bytes",
        ),
        (forks.join(", "), "step 256 (", "--max-processes"),
        (
            "Mmap(pid: 1, addr: 0x10000, pages: 4194304), \
             Write(pid: 1, addr: 0x10000, pages: 4194304)"
                .to_string(),
            "step 2 (",
            "--max-touched-bytes",
        ),
    ];
    let shm_before = shm_entries();
    for (i, (steps, step, flag)) in cases.iter().enumerate() {
        let f = dir.join(format!("big{i}.ron"));
        std::fs::write(&f, format!("Scenario(steps: [{steps}])")).unwrap();
        let start = Instant::now();
        let o = rmapviz(&["check", f.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{flag}: {}", text(&o));
        let msg = String::from_utf8_lossy(&o.stderr);
        assert!(msg.contains(step) && msg.contains(flag), "{msg}");
        assert!(o.stdout.is_empty(), "nothing ran: {}", text(&o));
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "refused at once, not after writing the file"
        );
    }
    assert_eq!(shm_entries(), shm_before, "nothing was written to /dev/shm");
    // The flag raises the limit: a 4 MiB file is refused under 2M and allowed under 4M.
    let f = dir.join("small.ron");
    std::fs::write(
        &f,
        "Scenario(steps: [Mmap(pid: 1, addr: 0x10000, pages: 1, file: \"f\", offset: 1023)])",
    )
    .unwrap();
    let f = f.to_str().unwrap();
    let o = rmapviz(&["check", f, "--max-file-bytes", "2M"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = rmapviz(&["check", f, "--max-file-bytes", "4M"]);
    assert_ne!(o.status.code(), Some(2), "{}", text(&o));
}

fn shm_entries() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("/dev/shm")
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("rmapviz-check-"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Why `check --reclaim` cannot run here, if it cannot.
fn unavailable() -> Option<String> {
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        return Some("the oracle drives x86_64 Linux only".into());
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("check --reclaim needs root (swapon, memory cgroups)".into());
    }
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    if !mounts.lines().any(|l| {
        l.split_once(" - ").is_some_and(|(_, post)| {
            let mut it = post.split_whitespace();
            it.next() == Some("cgroup")
                && it
                    .nth(1)
                    .is_some_and(|o| o.split(',').any(|x| x == "memory"))
        })
    }) {
        return Some("no cgroup-v1 memory controller is mounted".into());
    }
    None
}

/// The tests below that reclaim take turns, so that the one that looks at who waits for whom
/// sees only its own runs (other checks on the machine can still come in between).
static RECLAIMING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    RECLAIMING.lock().unwrap_or_else(|e| e.into_inner())
}

/// True when the test should run; says why not otherwise (or fails under CI).
fn available(test: &str) -> bool {
    match unavailable() {
        None => true,
        Some(why) => {
            if std::env::var("RMAPVIZ_REQUIRE_ORACLE").as_deref() == Ok("1") {
                panic!("{test}: must run here (RMAPVIZ_REQUIRE_ORACLE=1) but: {why}");
            }
            println!("skipped {test}: {why}");
            false
        }
    }
}

/// The memory cgroup that rmapviz started from here makes its cgroups in.
fn memory_cgroup() -> Option<PathBuf> {
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let mount = mounts.lines().find_map(|l| {
        let (pre, post) = l.split_once(" - ")?;
        let mut it = post.split_whitespace();
        let ok = it.next() == Some("cgroup") && it.nth(1)?.split(',').any(|o| o == "memory");
        let point = pre.split_whitespace().nth(4)?;
        ok.then(|| PathBuf::from(point))
    })?;
    let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let rel = own.lines().find_map(|l| {
        let mut it = l.splitn(3, ':');
        let _ = it.next();
        it.next()?
            .split(',')
            .any(|c| c == "memory")
            .then(|| it.next().map(str::to_string))?
    })?;
    Some(mount.join(rel.trim_start_matches('/')))
}

/// Everything on the machine that names the check process `pid`: swap entries, swap files,
/// cgroups, tmpfs directories, processes of its run.
fn traces_of(pid: u32, tmpdir: &Path) -> Vec<String> {
    let me = format!("-{pid}-");
    let mut out: Vec<String> = std::fs::read_to_string("/proc/swaps")
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("rmapviz-swap") && l.contains(&me))
        .map(|l| format!("/proc/swaps: {l}"))
        .collect();
    let mut places = vec![
        tmpdir.to_path_buf(),
        PathBuf::from("/var/tmp"),
        PathBuf::from("/dev/shm"),
    ];
    places.extend(memory_cgroup());
    for d in places {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with("rmapviz-") && n.contains(&me) {
                out.push(e.path().display().to_string());
            }
        }
    }
    let want = format!("RMAPVIZ_CHECK_RUN={pid}-");
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(p) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let env = std::fs::read(format!("/proc/{p}/environ")).unwrap_or_default();
        if env
            .split(|&b| b == 0)
            .any(|v| v.starts_with(want.as_bytes()))
        {
            out.push(format!("process {p}"));
        }
    }
    out
}

/// The driven processes that descend from `pid` (by the parent links in /proc), as pidfds, so
/// that whether they are gone can be told later whatever their pid becomes.
fn driven_descendants(pid: u32) -> Vec<(u32, std::os::fd::OwnedFd)> {
    let mut parent = std::collections::BTreeMap::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(p) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
        // pid (comm) state ppid ...: the fields after the last ')'.
        if let Some(ppid) = stat
            .rsplit_once(')')
            .and_then(|(_, r)| r.split_whitespace().nth(1))
            .and_then(|x| x.parse::<u32>().ok())
        {
            parent.insert(p, ppid);
        }
    }
    let descends = |mut p: u32| {
        for _ in 0..64 {
            match parent.get(&p) {
                Some(&pp) if pp == pid => return true,
                Some(&pp) if pp > 1 => p = pp,
                _ => return false,
            }
        }
        false
    };
    parent
        .keys()
        .copied()
        .filter(|&p| descends(p))
        .filter(|p| {
            std::fs::read(format!("/proc/{p}/cmdline"))
                .is_ok_and(|c| c.windows(16).any(|w| w == b"__driven-process"))
        })
        .filter_map(|p| {
            // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
            let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, p, 0) };
            (fd >= 0).then(|| {
                // SAFETY: the descriptor was just made and is ours.
                (p, unsafe {
                    <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd as i32)
                })
            })
        })
        .collect()
}

/// A process behind a pidfd has exited when the pidfd reads ready.
fn exited(fd: &std::os::fd::OwnedFd) -> bool {
    use std::os::fd::AsRawFd;
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, 0) > 0 }
}

/// A `check --reclaim` killed with SIGKILL while its swap file is on and its processes run;
/// then a plain `check`: nothing of the killed run is left in /proc/swaps, on disk, in the
/// memory cgroups, in /dev/shm or in the process table.
#[test]
fn a_check_killed_with_sigkill_leaves_nothing_once_the_next_check_ran() {
    if !available("a_check_killed_with_sigkill_leaves_nothing_once_the_next_check_ran") {
        return;
    }
    let _turn = one_at_a_time();
    let tmp = test_dir_in(Path::new(DISK), "sigkill");
    let mut caught = None;
    for _attempt in 0..5 {
        let mut child = Command::new(BIN)
            .args(["check", "S9", "--reclaim"])
            .env("TMPDIR", &tmp)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        let me = format!("rmapviz-swap-{pid}-");
        let start = Instant::now();
        let mut drivens = Vec::new();
        while start.elapsed() < Duration::from_secs(60) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            let swap_on = std::fs::read_to_string("/proc/swaps").is_ok_and(|s| s.contains(&me));
            if swap_on {
                drivens = driven_descendants(pid);
                if !drivens.is_empty() {
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        if drivens.is_empty() {
            // It ended (or never got there) before it could be caught mid-run: again.
            let _ = child.kill();
            let _ = child.wait();
            continue;
        }
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(libc::SIGKILL)
        );
        caught = Some((pid, drivens));
        break;
    }
    let Some((pid, drivens)) = caught else {
        panic!("could not catch check --reclaim with its swap file on and its processes running");
    };
    let left = traces_of(pid, &tmp);
    assert!(
        left.iter().any(|l| l.starts_with("/proc/swaps")),
        "SIGKILL leaves the swap file on (nothing could remove it): {left:?}"
    );
    // The next check, a plain one.
    let o = rmapviz(&["check", "S1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(traces_of(pid, &tmp), Vec::<String>::new(), "{}", text(&o));
    for (p, fd) in &drivens {
        assert!(
            exited(fd),
            "driven process {p} of the killed check still runs"
        );
    }
}

/// Two `check --reclaim` runs at once, each with its own TMPDIR (so a lock under TMPDIR would
/// not serialise them), twenty times: every run agrees with the model (no false difference),
/// and a run that has to wait says so and for which process.
#[test]
fn concurrent_reclaiming_checks_take_turns_and_agree() {
    if !available("concurrent_reclaiming_checks_take_turns_and_agree") {
        return;
    }
    let _turn = one_at_a_time();
    let dirs = [
        test_dir_in(Path::new(DISK), "concurrent-a"),
        test_dir_in(Path::new(DISK), "concurrent-b"),
    ];
    let mut named_the_other = 0;
    for round in 0..20 {
        let children: Vec<_> = dirs
            .iter()
            .map(|d| {
                Command::new(BIN)
                    .args(["check", "S9", "--reclaim"])
                    .env("TMPDIR", d)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let pids: Vec<u32> = children.iter().map(|c| c.id()).collect();
        for (i, c) in children.into_iter().enumerate() {
            let o = c.wait_with_output().unwrap();
            assert_eq!(o.status.code(), Some(0), "round {round}: {}", text(&o));
            let err = String::from_utf8_lossy(&o.stderr);
            if err.contains("waiting for the reclaim lock") {
                assert!(
                    err.contains("held by process "),
                    "it names the holder: {err}"
                );
                // Usually the other run of the pair (another check on the machine may hold it).
                if err.contains(&format!("held by process {} ", pids[1 - i])) {
                    named_the_other += 1;
                }
            }
        }
    }
    assert!(
        named_the_other > 0,
        "two runs started together: one waited for the other, and named it"
    );
}

/// The reclaim lock is root's, in a directory only root can enter, mode 0600; held by another
/// process, `--wait 1` gives up after a second with exit 75, naming that process.
#[test]
fn the_reclaim_lock_is_private_and_wait_gives_up() {
    if !available("the_reclaim_lock_is_private_and_wait_gives_up") {
        return;
    }
    let _turn = one_at_a_time();
    use std::os::unix::fs::MetadataExt;
    // A first run makes the lock.
    let o = rmapviz(&["check", "S1", "--reclaim"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let dir = std::fs::symlink_metadata("/run/rmapviz").unwrap();
    assert!(dir.is_dir());
    assert_eq!((dir.uid(), dir.mode() & 0o7777), (0, 0o700));
    let lock = Path::new("/run/rmapviz/reclaim.lock");
    let m = std::fs::symlink_metadata(lock).unwrap();
    assert!(m.is_file());
    assert_eq!((m.uid(), m.mode() & 0o7777), (0, 0o600));
    // Held here (waiting for our turn if another run has it).
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(lock)
        .unwrap();
    let held = nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusive).unwrap();
    let start = Instant::now();
    let o = rmapviz(&["check", "S1", "--reclaim", "--wait", "1"]);
    let took = start.elapsed();
    drop(held);
    assert_eq!(o.status.code(), Some(75), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    let me = format!("process {}", std::process::id());
    assert!(
        err.contains("waiting for the reclaim lock") && err.contains(&me),
        "{err}"
    );
    assert!(err.contains("gave up"), "{err}");
    assert!(took >= Duration::from_secs(1), "{took:?}");
}
