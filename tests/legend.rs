//! The legend window (`L`) drawn headless: at 80x24 (where it scrolls) and 120x40, opened and
//! closed by its key and Esc, scrolled no further than its end.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use rmapviz::scenario::Scenario;
use rmapviz::tui::{App, AppOptions, Msg};

mod common;
use common::screen::{draw_frame, text};

fn app(scenario: &str, scheme: &str, step: usize) -> App {
    let sc = Scenario::load(scenario).unwrap().0;
    let opts = AppOptions {
        scheme,
        step,
        ..AppOptions::default()
    };
    App::headless(sc, &opts).unwrap()
}

fn draw(app: &mut App, w: u16, h: u16) -> String {
    text(&draw_frame(app, w, h))
}

fn key(app: &mut App, c: KeyCode) {
    app.update(Msg::Key(KeyEvent::new(c, KeyModifiers::NONE)));
}

#[test]
fn the_legend_at_120x40_and_80x24() {
    // S3 at its SwapOut under anonmm-naive: a MISS, a HIT, a LOST pte, the walked page, the
    // ring of two anonmm objects and each mm's dashed link to its anonmm.
    let mut a = app("S3", "anonmm-naive", 5);
    let plain = draw(&mut a, 120, 40);
    key(&mut a, KeyCode::Char('L'));
    let shown = draw(&mut a, 120, 40);
    insta::assert_snapshot!("legend_s3_anonmm_naive_120x40", shown);
    for want in [
        "legend",
        "ring",
        "dashed",
        "MISS",
        "HIT",
        "LOST",
        "<walked>",
        "never a count",
    ] {
        assert!(shown.contains(want), "{want}:\n{shown}");
    }
    // Esc closes it, and so does L.
    key(&mut a, KeyCode::Esc);
    assert_eq!(draw(&mut a, 120, 40), plain);
    key(&mut a, KeyCode::Char('L'));
    draw(&mut a, 120, 40);
    key(&mut a, KeyCode::Char('L'));
    assert_eq!(draw(&mut a, 120, 40), plain);

    // At 80x24 it does not fit: its title says which lines it shows, and it scrolls to its end
    // and no further (one Up from the end shows the line before).
    let mut a = app("S3", "anonmm-naive", 5);
    key(&mut a, KeyCode::Char('L'));
    let top = draw(&mut a, 80, 24);
    insta::assert_snapshot!("legend_s3_anonmm_naive_80x24", top);
    assert!(top.contains("1-20 of"), "{top}");
    for _ in 0..200 {
        key(&mut a, KeyCode::Down);
    }
    let end = draw(&mut a, 80, 24);
    insta::assert_snapshot!("legend_s3_anonmm_naive_80x24_end", end);
    assert!(end.contains("+ 512") || end.contains("map 2"), "{end}");
    key(&mut a, KeyCode::Up);
    let before_end = draw(&mut a, 80, 24);
    assert_ne!(before_end, end, "one Up from the end moves");
    assert_ne!(before_end, top);
}

#[test]
fn the_key_is_in_the_footer_and_the_help() {
    let mut a = app("S3", "anon-vma", 5);
    let screen = draw(&mut a, 120, 40);
    assert!(screen.contains("L legend"), "{screen}");
    key(&mut a, KeyCode::Char('?'));
    let help = draw(&mut a, 120, 40);
    assert!(help.contains("legend: what every line"), "{help}");
}
