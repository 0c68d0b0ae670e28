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

/// If this process was started as the kernel driver, runs the storm, prints the time and exits.
pub fn run_driver_if_asked() {
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
    let exe = std::env::current_exe().expect("the benchmark's executable");
    let out = Command::new(exe)
        .env(DRIVER_ENV, format!("{children},{pages}"))
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

/// The parent maps `pages` private anonymous pages and writes them, then forks `children`
/// children; each child writes every page (a copy-on-write fault each), says so through a pipe
/// and waits until the parent closes the other pipe. Timed: the forks and the writes, until the
/// last child has written. The children are reaped after the clock stops.
fn storm(children: u32, pages: usize) -> Duration {
    const PAGE: usize = 4096;
    let len = pages * PAGE;
    // SAFETY: plain system calls on memory and descriptors this function owns; a child does only
    // stores, write, read and _exit (async-signal-safe) before it exits.
    unsafe {
        let p = libc::mmap(
            std::ptr::null_mut(),
            len,
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
