//! Autoplay that follows each walk's candidates (`a`, issue 17 item 7): after the step that
//! walks, one candidate per tick, then the next step; it ends on the last candidate of the
//! last step. S3's reclaim under anonmm-naive visits two candidates, the parent (MISS) and the
//! child (HIT) (docs/semantics.md §7 S3).

use std::time::Duration;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use rmapviz::scenario::Scenario;
use rmapviz::tui::{App, AppOptions, Msg};

fn key(app: &mut App, c: char) {
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )));
}

/// (step, candidate followed) after each tick until autoplay stops (at most 20 ticks).
fn play(a: &mut App) -> Vec<(usize, Option<usize>)> {
    let mut seen = Vec::new();
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(110));
        a.update(Msg::Tick);
        seen.push((a.step(), a.walk_candidate()));
        if !a.playing() {
            break;
        }
    }
    seen
}

#[test]
fn autoplay_follows_the_walk_candidate_by_candidate() {
    let (s3, _) = Scenario::load("S3").unwrap();
    let opts = AppOptions {
        scheme: "anonmm-naive",
        step: 3,
        ..AppOptions::default()
    };
    let mut a = App::headless(s3.clone(), &opts).unwrap();
    key(&mut a, 'a');
    for _ in 0..5 {
        key(&mut a, '+');
    }
    key(&mut a, 'p');
    assert_eq!(
        play(&mut a),
        [(4, None), (5, None), (5, Some(0)), (5, Some(1))],
        "step 4 (no walk), step 5, its two candidates, then the end"
    );
    // Without `a`, autoplay steps and ends on the last step.
    let mut a = App::headless(s3, &opts).unwrap();
    for _ in 0..5 {
        key(&mut a, '+');
    }
    key(&mut a, 'p');
    assert_eq!(play(&mut a), [(4, None), (5, None)]);
}
