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
//! `cargo bench --bench tui` (all ten schemes, about five minutes);
//! `cargo bench --bench tui -- modern:` for one.

use criterion::{Criterion, criterion_group, criterion_main};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use rmapviz::scenario::storm;
use rmapviz::schemes::scheme_names;
use rmapviz::tui::{App, AppOptions, Msg, render};

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
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

fn bench(c: &mut Criterion) {
    let sc = storm(1000, 1000);
    let last = sc.steps.len();
    // Steps 1 after a multiple of 16 (the checkpoint interval for this many steps) minus 2:
    // 15 steps to replay, among the children's copy-on-write writes (a million pages).
    let cold_steps: Vec<usize> = (0..60).map(|i| last - 5 - 16 * i).collect();
    let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap();
    let mut g = c.benchmark_group("tui storm 1000x1000");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));

    for scheme in scheme_names() {
        let opts = AppOptions {
            scheme,
            step: last - 1,
            ..AppOptions::default()
        };
        let mut app = App::interactive(sc.clone(), "storm", &opts).unwrap();
        settle(&mut app);

        g.bench_function(format!("{scheme}: draw one frame"), |b| {
            b.iter(|| {
                term.draw(|f| render::draw(&app, f)).unwrap();
            })
        });
        g.bench_function(
            format!("{scheme}: select the next node (update + draw)"),
            |b| {
                b.iter(|| {
                    app.update(key(KeyCode::Down));
                    term.draw(|f| render::draw(&app, f)).unwrap();
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
                    term.draw(|f| render::draw(&app, f)).unwrap();
                    total += t.elapsed();
                }
                total
            })
        });
        // Each timed key is the Enter of `:goto N` to a step not visited for 60 jumps (the
        // app keeps the views of the last 24). Between jumps the app does what the loop does
        // between keys (builds the neighbours of the step, frees what left the cache).
        let mut next = 0;
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
                    term.draw(|f| render::draw(&app, f)).unwrap();
                    total += t.elapsed();
                    assert_eq!(app.step(), step);
                }
                total
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
