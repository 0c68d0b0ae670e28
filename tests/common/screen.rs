//! Drawing the TUI headless for the tests (`tui_render.rs`, `tui_steps.rs`, `legend.rs`,
//! `tui_lecture.rs`).

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

/// `app` drawn on a `w`x`h` terminal as the TUI's loop draws it: what the frame showed (the
/// rows of the panes that scroll, the window over the screen) is handed back to the app, so keys
/// pressed next act on this frame.
pub fn draw_frame(app: &mut App, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut info = None;
    t.draw(|f| info = Some(render::draw_frame(app, f))).unwrap();
    if let Some(i) = info {
        app.set_frame(i);
    }
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
