//! Drawing the TUI headless for the tests (`tui_render.rs`, `tui_steps.rs`).

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use rmapviz::scenario::Scenario;
use rmapviz::tui::{App, render};

/// The default scenario, S3.
pub fn s3() -> Scenario {
    Scenario::load("S3").unwrap().0
}

/// `app` drawn on a `w`x`h` terminal.
pub fn draw(app: &App, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render::draw(app, f)).unwrap();
    t.backend().buffer().clone()
}

/// The characters of `b`, one line a row.
pub fn text(b: &Buffer) -> String {
    let mut s = String::new();
    for y in 0..b.area.height {
        for x in 0..b.area.width {
            s.push_str(b[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}
