//! The TUI on the 1000 x 1000 copy-on-write storm: how long a key takes to handle and draw
//! (update + draw into a 200 x 60 `TestBackend`), for every scheme.
//!
//! - draw only, and moving the selection;
//! - step, warm: the step's graph was built between keys, as the interactive loop does while it
//!   waits ([`App::idle`]);
//! - step, cold: nothing of the step prepared. Every scheme is simulated to the end (as the
//!   loop does in the background within seconds of opening), then `:goto N` jumps to steps
//!   whose graph was never built and whose state is the furthest from a checkpoint: the key
//!   restores the checkpoint, replays 15 steps of 1000 copy-on-write faults, builds the step's
//!   graph over a million pages, lays it out and draws it.
//!
//! The same on the storm of 10000 children x 100 pages (20,004 steps; the cold step replays 156
//! steps of 100 faults). Each group also times the kernel doing the storm's forks and writes
//! (the driver of `common`, in a fresh copy of this executable).
//!
//! Then the graph of each storm's last write laid out whole, against one band of it
//! (`view::band`), for every scheme.
//!
//! `cargo bench --bench tui` (both storms, all ten schemes: about half an hour);
//! `cargo bench --bench tui -- 10000x100` for one storm, `-- "1000x1000/modern:"` for one
//! scheme (a filter that is a plain part of the names also skips opening the other schemes).

mod common;

use criterion::{Criterion, SamplingMode, criterion_group};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use rmapviz::scenario::storm;
use rmapviz::schemes::scheme_names;
use rmapviz::session::Simulation;
use rmapviz::tui::{App, AppOptions, Msg, render};
use rmapviz::view::band::Bands;
use rmapviz::view::layout::layout_at;
use rmapviz::view::{BuildOptions, Detail, build_with};

/// The program's allocator (src/main.rs), so that the benchmark times what the program does.
#[global_allocator]
static ALLOCATOR: rmapviz::allocator::Allocator = rmapviz::allocator::Allocator;

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// Draws a frame as the interactive loop does: the app is told where its panes went, so that
/// the next key builds its view for the graph pane's width (one layout, at the level that fits).
fn draw(term: &mut Terminal<TestBackend>, app: &mut App) {
    let mut info = Default::default();
    term.draw(|f| info = render::draw_frame(app, f)).unwrap();
    app.set_frame(info);
}

fn settle(a: &mut App) {
    while a.idle(Duration::from_millis(50)) {}
}

/// Types `:goto n` without the final Enter.
fn type_goto(a: &mut App, n: usize) {
    a.update(key(KeyCode::Char(':')));
    for c in format!("goto {n}").chars() {
        a.update(key(KeyCode::Char(c)));
    }
}

/// The session's checkpoint interval for a scenario of `steps` steps (a checkpoint every step
/// up to 256 steps, else 128 checkpoints in all).
fn checkpoint_interval(steps: usize) -> usize {
    if steps <= 256 { 1 } else { steps.div_ceil(128) }
}

/// Whether the benchmark's filter (criterion's, a plain name or part of one) selects
/// benchmarks starting with `prefix`: opening and settling the app of a scheme nobody asked
/// for takes seconds on the big storms.
fn selected(prefix: &str) -> bool {
    const VALUED: [&str; 12] = [
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--profile-time",
        "--save-baseline",
        "--baseline",
        "--load-baseline",
        "--output-format",
        "--color",
        "--nresamples",
        "--noise-threshold",
        "--plotting-backend",
    ];
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filters: Vec<&String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| {
            !a.starts_with('-') && (*i == 0 || !VALUED.contains(&args[i - 1].as_str()))
        })
        .map(|(_, a)| a)
        .collect();
    // The filter within the prefix, or running on from its end into a benchmark's name.
    filters.is_empty()
        || filters.iter().any(|f| {
            prefix.contains(f.as_str())
                || (0..prefix.len())
                    .any(|k| prefix.is_char_boundary(k) && f.starts_with(&prefix[k..]))
        })
}

/// The TUI on the storm of `children` x `pages`, every scheme, and the kernel doing the same
/// forks and writes (the driver of `common`).
fn bench_storm(c: &mut Criterion, children: u32, pages: u64) {
    let sc = storm(children, pages);
    let last = sc.steps.len();
    // The 60 last steps among the children's writes that are the furthest from a checkpoint
    // (interval - 1 steps past one): 15 steps of 1000 copy-on-write faults on the 1000 x 1000
    // storm, 156 steps of 100 on the 10000 x 100 one.
    let every = checkpoint_interval(last);
    let cold_steps: Vec<usize> = (2 + children as usize..last - 2)
        .rev()
        .filter(|s| s % every == every - 1)
        .take(60)
        .collect();
    let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap();
    let mut g = c.benchmark_group(format!("tui storm {children}x{pages}"));
    // Ten samples of 5 s at most. The kernel's storm (seconds) and the cold step of the
    // 10000 x 100 storm (about a second) take one iteration a sample (flat sampling: ten
    // iterations in all, where criterion's linear sampling would take 55).
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("kernel: the storm's forks and writes", |b| {
        b.iter_custom(|n| {
            (0..n)
                .map(|_| common::kernel_storm(children, pages as usize))
                .sum()
        })
    });

    g.sampling_mode(SamplingMode::Auto);
    for scheme in scheme_names() {
        if !selected(&format!("tui storm {children}x{pages}/{scheme}:")) {
            continue;
        }
        let opts = AppOptions {
            scheme,
            step: last - 1,
            ..AppOptions::default()
        };
        let mut app = App::interactive(sc.clone(), "storm", &opts).unwrap();
        settle(&mut app);

        g.bench_function(format!("{scheme}: draw one frame"), |b| {
            b.iter(|| {
                draw(&mut term, &mut app);
            })
        });
        g.bench_function(
            format!("{scheme}: select the next node (update + draw)"),
            |b| {
                b.iter(|| {
                    app.update(key(KeyCode::Down));
                    draw(&mut term, &mut app);
                })
            },
        );
        // Forward and back between the last two steps; each timed key finds its step prepared.
        g.bench_function(format!("{scheme}: step, warm (update + draw)"), |b| {
            b.iter_custom(|n| {
                let mut total = Duration::ZERO;
                for i in 0..n {
                    settle(&mut app);
                    let k = if i % 2 == 0 {
                        KeyCode::Right
                    } else {
                        KeyCode::Left
                    };
                    let t = Instant::now();
                    app.update(key(k));
                    draw(&mut term, &mut app);
                    total += t.elapsed();
                }
                total
            })
        });
        // Each timed key is the Enter of `:goto N` to a step not visited for 60 jumps (the
        // app keeps the views of the last 24). Between jumps the app does what the loop does
        // between keys (builds the neighbours of the step, frees what left the cache).
        let mut next = 0;
        if children >= 10_000 {
            g.sampling_mode(SamplingMode::Flat);
        }
        g.bench_function(format!("{scheme}: step, cold (update + draw)"), |b| {
            b.iter_custom(|n| {
                let mut total = Duration::ZERO;
                for _ in 0..n {
                    let step = cold_steps[next % cold_steps.len()];
                    next += 1;
                    settle(&mut app);
                    type_goto(&mut app, step);
                    let t = Instant::now();
                    app.update(key(KeyCode::Enter));
                    draw(&mut term, &mut app);
                    total += t.elapsed();
                    assert_eq!(app.step(), step);
                }
                total
            })
        });
        g.sampling_mode(SamplingMode::Auto);
    }
    g.finish();
}

/// The graph of the storm of `children` x `pages` after every child's write, under every
/// scheme: laid out whole (what a cold key pays today), against cut into bands
/// (`view::band`), and cut with one band's subgraph made and laid out (what a pane that lays out only
/// the bands it shows would pay for the first band in view). Both at full detail.
fn bench_layout(c: &mut Criterion, children: u32, pages: u64) {
    let sc = storm(children, pages);
    let mut g = c.benchmark_group(format!("graph layout {children}x{pages}"));
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    g.sampling_mode(SamplingMode::Flat);
    for scheme in scheme_names() {
        if !selected(&format!("graph layout {children}x{pages}/{scheme}:")) {
            continue;
        }
        let mut sim = Simulation::by_name(scheme).unwrap();
        for op in sc.ops().take(2 + 2 * children as usize) {
            sim.step(op, false);
        }
        let graph = build_with(
            &sim.machine,
            sim.scheme.as_ref(),
            None,
            &BuildOptions::default(),
        );
        g.bench_function(format!("{scheme}: the whole graph"), |b| {
            b.iter(|| layout_at(&graph, Detail::Full).height)
        });
        g.bench_function(format!("{scheme}: cut into bands"), |b| {
            b.iter(|| Bands::split(&graph).unwrap().len())
        });
        g.bench_function(format!("{scheme}: cut into bands, one band"), |b| {
            b.iter(|| {
                let bands = Bands::split(&graph).unwrap();
                let band = bands.graph(&graph, bands.len() / 2);
                layout_at(&band.graph, Detail::Full).height
            })
        });
    }
    g.finish();
}

fn bench(c: &mut Criterion) {
    bench_storm(c, 1000, 1000);
    bench_storm(c, 10_000, 100);
    bench_layout(c, 1000, 1000);
    bench_layout(c, 10_000, 100);
}

criterion_group!(benches, bench);

fn main() {
    common::run_driver_if_asked();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
