//! The line typed after `:` or `/`, and the `:` lines typed before (recalled with the arrows).
//! Part of [`super::App`].

use ratatui::crossterm::event::{Event, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

/// The input line and its history.
#[derive(Clone, Debug, Default)]
pub struct Prompt {
    input: Input,
    history: Vec<String>,
    /// The history line shown by the arrows, while one is.
    pos: Option<usize>,
}

impl Prompt {
    /// The line as typed.
    pub fn value(&self) -> &str {
        self.input.value()
    }

    /// The cursor's position in the line (in characters).
    pub fn cursor(&self) -> usize {
        self.input.visual_cursor()
    }

    /// The first character shown when the line is drawn `width` characters wide.
    pub fn scroll(&self, width: usize) -> usize {
        self.input.visual_scroll(width)
    }

    /// A fresh, empty line.
    pub fn open(&mut self) {
        self.input = Input::default();
        self.pos = None;
    }

    /// Replaces the line (completion).
    pub fn set(&mut self, text: String) {
        self.input = Input::new(text);
    }

    /// Edits the line with a key.
    pub fn edit(&mut self, k: KeyEvent) {
        self.input.handle_event(&Event::Key(k));
    }

    /// Keeps `line` as the newest history line (once).
    pub fn remember(&mut self, line: &str) {
        if !line.is_empty() {
            self.history.retain(|h| h != line);
            self.history.push(line.to_string());
        }
    }

    /// Shows the history line before (`back`) or after the one shown; past the newest, an
    /// empty line.
    pub fn recall(&mut self, back: bool) {
        let n = self.history.len();
        if n == 0 {
            return;
        }
        self.pos = match (back, self.pos) {
            (true, None) => Some(n - 1),
            (true, Some(p)) => Some(p.saturating_sub(1)),
            (false, Some(p)) if p + 1 < n => Some(p + 1),
            _ => None,
        };
        let v = self.pos.map_or(String::new(), |p| self.history[p].clone());
        self.input = Input::new(v);
    }
}
