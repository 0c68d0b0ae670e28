//! The TUI's own drawing of a state, made without a terminal: `tui::render::draw` (the function
//! the interactive loop calls) into a `Terminal<TestBackend>` of the asked size.

use std::convert::Infallible;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use crate::tui::App;

/// The screen the TUI shows for `app` on a `cols` x `rows` terminal.
pub fn render(app: &App, cols: u16, rows: u16) -> Buffer {
    render_with(app, cols, rows, &mut None)
}

/// [`render`], also saying where the panes went (for the keys that aim at them).
pub fn render_with(
    app: &App,
    cols: u16,
    rows: u16,
    info: &mut Option<crate::tui::app::FrameInfo>,
) -> Buffer {
    let drawn: Result<Buffer, Infallible> = (|| {
        let mut terminal = Terminal::new(TestBackend::new(cols, rows))?;
        terminal.draw(|f| *info = Some(crate::tui::render::draw_frame(app, f)))?;
        Ok(terminal.backend().buffer().clone())
    })();
    match drawn {
        Ok(b) => b,
        Err(never) => match never {},
    }
}
