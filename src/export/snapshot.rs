//! The TUI's own drawing of a state, made without a terminal: `tui::render::draw` (the function
//! the interactive loop calls) into a `Terminal<TestBackend>` of the asked size.

use std::convert::Infallible;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use crate::tui::App;

/// The screen the TUI shows for `app` on a `cols` x `rows` terminal.
pub fn render(app: &App, cols: u16, rows: u16) -> Buffer {
    let drawn: Result<Buffer, Infallible> = (|| {
        let mut terminal = Terminal::new(TestBackend::new(cols, rows))?;
        terminal.draw(|f| crate::tui::render::draw(app, f))?;
        Ok(terminal.backend().buffer().clone())
    })();
    match drawn {
        Ok(b) => b,
        Err(never) => match never {},
    }
}
