//! The TUI on the 1000 x 1000 copy-on-write storm: how long a key takes to handle and draw
//! (update + draw into a 200 x 60 `TestBackend`).
//!
//! - warm: the step's graph was built between keys, as the interactive loop does while it
//!   waits ([`App::idle`]);
//! - cold: nothing prepared (the key itself simulates the step and builds its graph);
//! - draw only, and moving the selection.
//!
//! `cargo bench --bench tui`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use rmapviz::scenario::storm;
use rmapviz::tui::{App, AppOptions, Msg, render};

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn settle(a: &mut App) {
    while a.idle(Duration::from_millis(50)) {}
}

fn bench(c: &mut Criterion) {
    let sc = storm(1000, 1000);
    let last = sc.steps.len();
    let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap();
    let mut g = c.benchmark_group("tui storm 1000x1000");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));

    for scheme in ["anon-vma", "modern"] {
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
        g.bench_function(format!("{scheme}: step, cold (update + draw)"), |b| {
            b.iter_custom(|n| {
                let mut total = Duration::ZERO;
                for _ in 0..n {
                    let mut a = App::interactive(sc.clone(), "storm", &opts).unwrap();
                    let t = Instant::now();
                    a.update(key(KeyCode::Right));
                    term.draw(|f| render::draw(&a, f)).unwrap();
                    total += t.elapsed();
                }
                total
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
