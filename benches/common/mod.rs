//! The kernel's side of the copy-on-write storm, for the benchmarks that set the model's replay
//! against it: the same forks and writes, done by real processes.
//!
//! The driver runs in a fresh copy of the benchmark's own executable (started with
//! [`DRIVER_ENV`] set), so the address space that the kernel's `fork` copies is a small one, as
//! a storm's parent would have, not the benchmark's with its scenarios and replays.

use std::process::Command;
use std::time::{Duration, Instant};

/// Set to "CHILDREN,PAGES": the executable runs one storm on the kernel, prints its nanoseconds
/// and exits.
pub const DRIVER_ENV: &str = "RMAPVIZ_BENCH_KERNEL_STORM";

/// Set to a number of rounds: the executable runs [`churn`] on the kernel, prints its
/// nanoseconds and exits.
pub const CHURN_ENV: &str = "RMAPVIZ_BENCH_KERNEL_CHURN";

/// If this process was started as a kernel driver, runs the storm (or the churn), prints the
/// time and exits.
pub fn run_driver_if_asked() {
    if let Ok(rounds) = std::env::var(CHURN_ENV) {
        let rounds = rounds.parse().expect("RMAPVIZ_BENCH_KERNEL_CHURN=ROUNDS");
        println!("{}", churn(rounds).as_nanos());
        std::process::exit(0);
    }
    let Ok(spec) = std::env::var(DRIVER_ENV) else {
        return;
    };
    let (children, pages) = spec
        .split_once(',')
        .and_then(|(c, p)| Some((c.parse().ok()?, p.parse().ok()?)))
        .expect("RMAPVIZ_BENCH_KERNEL_STORM=CHILDREN,PAGES");
    let t = storm(children, pages);
    println!("{}", t.as_nanos());
    std::process::exit(0);
}

/// Runs the storm on the kernel in a fresh process; the time from the first fork until every
/// child has written every page.
pub fn kernel_storm(children: u32, pages: usize) -> Duration {
    kernel(DRIVER_ENV, format!("{children},{pages}"))
}

/// Runs [`churn`] on the kernel in a fresh process.
#[allow(dead_code)]
pub fn kernel_churn(rounds: u32) -> Duration {
    kernel(CHURN_ENV, rounds.to_string())
}

/// Runs this executable as the driver that `env` = `spec` asks for; the time it prints.
fn kernel(env: &str, spec: String) -> Duration {
    let exe = std::env::current_exe().expect("the benchmark's executable");
    let out = Command::new(exe)
        .env(env, spec)
        .output()
        .expect("start the kernel driver");
    assert!(
        out.status.success(),
        "kernel driver: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let nanos: u64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("the driver prints nanoseconds");
    Duration::from_nanos(nanos)
}

/// Maps `pages` private anonymous pages and writes the first byte of each (each its own page,
/// the parent's, before any fork). The caller unmaps them.
fn mapped_and_written(pages: usize) -> *mut u8 {
    const PAGE: usize = 4096;
    // SAFETY: a fresh private anonymous mapping of our own; every store is inside it.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            pages * PAGE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert!(p != libc::MAP_FAILED, "mmap of {pages} pages");
        let p = p.cast::<u8>();
        for i in 0..pages {
            std::ptr::write_volatile(p.add(i * PAGE), 1);
        }
        p
    }
}

/// The parent maps `pages` private anonymous pages and writes them, then forks `children`
/// children; each child writes every page (a copy-on-write fault each), says so through a pipe
/// and waits until the parent closes the other pipe. Timed: the forks and the writes, until the
/// last child has written. The children are reaped after the clock stops.
fn storm(children: u32, pages: usize) -> Duration {
    const PAGE: usize = 4096;
    let len = pages * PAGE;
    let p = mapped_and_written(pages);
    // SAFETY: plain system calls on memory and descriptors this function owns; a child does only
    // stores, write, read and _exit (async-signal-safe) before it exits.
    unsafe {
        let (mut done, mut hold) = ([0; 2], [0; 2]);
        assert_eq!(libc::pipe(done.as_mut_ptr()), 0);
        assert_eq!(libc::pipe(hold.as_mut_ptr()), 0);
        let start = Instant::now();
        let mut pids = Vec::with_capacity(children as usize);
        for _ in 0..children {
            let pid = libc::fork();
            if pid == 0 {
                libc::close(hold[1]);
                libc::close(done[0]);
                for i in 0..pages {
                    std::ptr::write_volatile(p.add(i * PAGE), 2);
                }
                let b = 1u8;
                libc::write(done[1], (&raw const b).cast(), 1);
                let mut x = 0u8;
                libc::read(hold[0], (&raw mut x).cast(), 1);
                libc::_exit(0);
            }
            assert!(pid > 0, "fork failed after {} children", pids.len());
            pids.push(pid);
        }
        libc::close(done[1]);
        libc::close(hold[0]);
        let mut written = 0usize;
        let mut buf = [0u8; 4096];
        while written < children as usize {
            let n = libc::read(done[0], buf.as_mut_ptr().cast(), buf.len());
            assert!(n > 0, "a child died before writing");
            written += n as usize;
        }
        let t = start.elapsed();
        libc::close(hold[1]);
        for pid in pids {
            libc::waitpid(pid, std::ptr::null_mut(), 0);
        }
        libc::close(done[0]);
        libc::munmap(p.cast(), len);
        t
    }
}

/// Pages the churn's parent maps and writes.
pub const CHURN_PAGES: usize = 16;

/// The parent maps [`CHURN_PAGES`] private anonymous pages and writes them; then `rounds` times
/// it forks a child, which writes the first page (a copy-on-write fault) and exits, and the
/// parent reaps it. Timed: all of it after the parent's writes.
fn churn(rounds: u32) -> Duration {
    const PAGE: usize = 4096;
    let len = CHURN_PAGES * PAGE;
    let p = mapped_and_written(CHURN_PAGES);
    // SAFETY: as in `storm`; a child does one store and _exit.
    unsafe {
        let start = Instant::now();
        for _ in 0..rounds {
            let pid = libc::fork();
            if pid == 0 {
                std::ptr::write_volatile(p, 2);
                libc::_exit(0);
            }
            assert!(pid > 0, "fork failed");
            libc::waitpid(pid, std::ptr::null_mut(), 0);
        }
        let t = start.elapsed();
        libc::munmap(p.cast(), len);
        t
    }
}
