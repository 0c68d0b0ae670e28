//! Replays Rik van Riel's copy-on-write storm (1000 children x 1000 pages: a million
//! copy-on-write faults) under each scheme, and reports the model's memory per pte.
//!
//! `cargo bench --bench replay`. The memory figure is printed before the timings: the live heap
//! after the replay (counted by a wrapping global allocator) divided by the ptes it holds.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use rmapviz::scenario::storm;
use rmapviz::schemes::scheme_names;
use rmapviz::session::Simulation;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n, Ordering::Relaxed);
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
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

fn bench(c: &mut Criterion) {
    let scenario = storm(CHILDREN, PAGES);
    for name in scheme_names() {
        let before = LIVE.load(Ordering::Relaxed);
        let sim = run(name, &scenario);
        let bytes = LIVE.load(Ordering::Relaxed) - before;
        let ptes: usize = sim.machine.procs.values().map(|p| p.mm.pt.len()).sum();
        println!(
            "memory {name}: {:.1} MiB live for {ptes} ptes and {} pages = {:.1} bytes per pte",
            bytes as f64 / (1 << 20) as f64,
            sim.machine.pages.mapped_count(),
            bytes as f64 / ptes as f64
        );
        drop(sim);
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

criterion_group!(benches, bench);
criterion_main!(benches);
