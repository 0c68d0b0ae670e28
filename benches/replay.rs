//! Replays Rik van Riel's copy-on-write storm (1000 children x 1000 pages: a million
//! copy-on-write faults) under each scheme, and reports the model's memory per pte; then the
//! storm with many processes (2,500 to 100,000 children, 1 page each) under each scheme, with
//! the kernel's time for the same forks and writes from a driver in the same run (up to 20,000
//! children: the machine's pid_max is 32768).
//!
//! Then a scenario of 1,000,001 steps (pid 1 writes 16 pages, then 333,333 times: fork, a
//! copy-on-write write by the child, exit) under each scheme, the kernel's time for the same
//! printed first.
//!
//! `cargo bench --bench replay`; `cargo bench --bench replay -- "x 1 page"` for the many-process
//! storms alone, `-- "1000001 steps"` for the million steps. The memory figure is printed before the timings: the live heap after the replay
//! (counted by a wrapping global allocator) divided by the ptes it holds.

mod common;

use criterion::{BatchSize, Criterion, criterion_group};
use rmapviz::allocator::Allocator;
use std::alloc::{GlobalAlloc, Layout};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use rmapviz::model::{MmapArgs, Op, Prot, Step};
use rmapviz::scenario::{Scenario, storm};
use rmapviz::schemes::scheme_names;
use rmapviz::session::Simulation;

/// The program's allocator (src/main.rs), counting the bytes live.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        unsafe { Allocator.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { Allocator.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n, Ordering::Relaxed);
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { Allocator.realloc(p, l, n) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const CHILDREN: u32 = 1000;
const PAGES: u64 = 1000;

fn run(name: &str, scenario: &rmapviz::scenario::Scenario) -> Simulation {
    let mut sim = Simulation::by_name(name).expect("scheme");
    for op in scenario.ops() {
        black_box(sim.step(op, false));
    }
    sim
}

/// Replays `scenario` under `name` and prints the live heap it leaves per pte.
fn print_memory(name: &str, scenario: &rmapviz::scenario::Scenario) {
    let before = LIVE.load(Ordering::Relaxed);
    let t = std::time::Instant::now();
    let sim = run(name, scenario);
    let took = t.elapsed();
    let bytes = LIVE.load(Ordering::Relaxed) - before;
    let ptes = sim.machine.census().ptes;
    println!(
        "memory {name} ({}): {:.1} MiB live for {ptes} ptes and {} pages = {:.1} bytes per pte (replayed in {took:.2?})",
        scenario.title,
        bytes as f64 / (1 << 20) as f64,
        sim.machine.pages.mapped_count(),
        bytes as f64 / ptes as f64
    );
}

fn bench(c: &mut Criterion) {
    let scenario = storm(CHILDREN, PAGES);
    if selected("storm 1000 children x 1000 pages") {
        // Ten million ptes: 1000 children x 10000 pages, under one scheme.
        print_memory("modern", &storm(CHILDREN, 10 * PAGES));
        for name in scheme_names() {
            print_memory(name, &scenario);
        }
    }
    let mut g = c.benchmark_group("storm 1000 children x 1000 pages");
    g.sample_size(10);
    for name in scheme_names() {
        g.bench_function(name, |b| {
            b.iter_batched(|| (), |_| run(name, &scenario), BatchSize::PerIteration)
        });
    }
    g.finish();
}

/// Children of the many-process storms, 1 page each.
const MANY: [u32; 5] = [2_500, 5_000, 10_000, 20_000, 100_000];
/// The largest storm the kernel driver forks.
const KERNEL_MAX: u32 = 20_000;

fn bench_many(c: &mut Criterion) {
    for children in MANY {
        let scenario = storm(children, 1);
        let mut g = c.benchmark_group(format!("storm {children} children x 1 page"));
        g.sample_size(10);
        if children <= KERNEL_MAX {
            g.bench_function("kernel", |b| {
                b.iter_custom(|n| (0..n).map(|_| common::kernel_storm(children, 1)).sum())
            });
        }
        for name in scheme_names() {
            g.bench_function(name, |b| {
                b.iter_batched(|| (), |_| run(name, &scenario), BatchSize::PerIteration)
            });
        }
        g.finish();
    }
}

/// Rounds of the churn: 3 steps each, after the parent's mmap and write, 1,000,001 steps.
const CHURN_ROUNDS: u32 = 333_333;

/// The model's side of `common::churn`: pid 1 maps and writes 16 pages, then `rounds` times
/// forks a child that writes the first page (a copy-on-write fault) and exits.
fn churn(rounds: u32) -> Scenario {
    let base = 0x1000_0000;
    let pages = common::CHURN_PAGES as u64;
    let mut steps: Vec<Step> = vec![
        Op::Mmap(MmapArgs {
            pid: 1,
            addr: base,
            pages,
            prot: Prot::RW,
            shared: false,
            file: None,
            offset: 0,
        })
        .into(),
        Op::Write {
            pid: 1,
            addr: base,
            pages,
        }
        .into(),
    ];
    for r in 0..rounds {
        let child = r + 2;
        steps.push(Op::Fork { pid: 1, child }.into());
        steps.push(
            Op::Write {
                pid: child,
                addr: base,
                pages: 1,
            }
            .into(),
        );
        steps.push(Op::Exit { pid: child }.into());
    }
    Scenario {
        title: format!("churn: {rounds} x (fork, copy-on-write write, exit)"),
        about: String::new(),
        steps,
    }
}

/// A scenario of a million steps under each scheme; the kernel's time for the same forks,
/// writes and exits is printed first (one run: it takes about a minute, too long for ten
/// samples).
fn bench_million(c: &mut Criterion) {
    let scenario = churn(CHURN_ROUNDS);
    let mut g = c.benchmark_group(format!("scenario of {} steps", scenario.steps.len()));
    if selected(&format!("scenario of {} steps", scenario.steps.len())) {
        println!(
            "kernel ({}): {:.2?}",
            scenario.title,
            common::kernel_churn(CHURN_ROUNDS)
        );
    }
    g.sample_size(10);
    for name in scheme_names() {
        g.bench_function(name, |b| {
            b.iter_batched(|| (), |_| run(name, &scenario), BatchSize::PerIteration)
        });
    }
    g.finish();
}

/// Whether the command line's filter (a plain part of the names) asks for the group `name`:
/// the work printed before a group's timings (the memory per pte, the kernel's million steps)
/// is done only then.
fn selected(name: &str) -> bool {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    // The filter within the name, or running on from its end into a benchmark's name.
    filters.is_empty()
        || filters.iter().any(|f| {
            name.contains(f.as_str())
                || (0..name.len()).any(|k| name.is_char_boundary(k) && f.starts_with(&name[k..]))
        })
}

criterion_group!(benches, bench, bench_many, bench_million);

fn main() {
    common::run_driver_if_asked();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
