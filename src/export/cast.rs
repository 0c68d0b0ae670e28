//! Recordings: frames drawn through ratatui's `CrosstermBackend` into memory, written as an
//! asciicast v2 file that `asciinema play` and the asciinema web player replay.
//!
//! The terminal has a fixed viewport, so nothing asks a real terminal for its size or cursor;
//! each frame's bytes are exactly what the TUI would send to a terminal for that frame (ratatui
//! writes only the cells that changed). Times are synthetic (the sum of the frames' hold times),
//! so the same frames give the same bytes. Format: one JSON header line
//! `{"version": 2, "width", "height", "title", "env", "theme"}`, then one `[time, "o", data]`
//! line per frame, `time` in seconds from the start; a last empty event holds the last frame.

use std::cell::RefCell;
use std::io::{self, Write};
use std::rc::Rc;
use std::time::Duration;

use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Frame, Terminal, TerminalOptions, Viewport};
use serde::Serialize;

use super::ExportError;
use super::palette::Palette;

/// A `Write` that appends to a shared vector, so the recorder can take each frame's bytes.
#[derive(Clone, Default)]
struct SharedBytes(Rc<RefCell<Vec<u8>>>);

impl Write for SharedBytes {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Resets attributes, clears the screen and homes the cursor: the start of every recording,
/// since ratatui's first frame writes only the cells that are not blank.
const CLEAR: &str = "\x1b[0m\x1b[2J\x1b[H";
/// Written after the last frame: attributes reset, cursor shown again.
const END: &str = "\x1b[0m\x1b[?25h";

/// Records frames of a fixed-size terminal.
pub struct CastRecorder {
    terminal: Terminal<CrosstermBackend<SharedBytes>>,
    sink: SharedBytes,
    width: u16,
    height: u16,
    /// (start in milliseconds, output) per frame.
    events: Vec<(u64, String)>,
    now_ms: u64,
}

#[derive(Serialize)]
struct Header<'a> {
    version: u8,
    width: u16,
    height: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    env: Env,
    #[serde(skip_serializing_if = "Option::is_none")]
    theme: Option<CastTheme>,
}

#[derive(Serialize)]
struct Env {
    #[serde(rename = "TERM")]
    term: &'static str,
}

#[derive(Serialize)]
struct CastTheme {
    fg: String,
    bg: String,
    palette: String,
}

impl CastRecorder {
    /// A recorder for a `width` x `height` terminal.
    ///
    /// This forces crossterm to write colours even when `NO_COLOR` is set (a process-wide
    /// switch): a recording must not depend on the environment it was made in, and under
    /// `NO_COLOR` crossterm 0.29 writes `ESC[;m`, which also resets bold and reverse.
    pub fn new(width: u16, height: u16) -> Result<Self, ExportError> {
        if width == 0 || height == 0 {
            return Err(ExportError::Terminal(format!(
                "a recording needs a size of at least 1x1, not {width}x{height}"
            )));
        }
        ratatui::crossterm::style::force_color_output(true);
        let sink = SharedBytes::default();
        let terminal = Terminal::with_options(
            CrosstermBackend::new(sink.clone()),
            TerminalOptions {
                viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
            },
        )
        .map_err(|e| ExportError::Terminal(e.to_string()))?;
        Ok(CastRecorder {
            terminal,
            sink,
            width,
            height,
            events: Vec::new(),
            now_ms: 0,
        })
    }

    /// Draws one frame and shows it for `hold`.
    pub fn frame<F: FnOnce(&mut Frame<'_>)>(
        &mut self,
        hold: Duration,
        draw: F,
    ) -> Result<(), ExportError> {
        self.terminal
            .draw(draw)
            .map_err(|e| ExportError::Terminal(e.to_string()))?;
        let bytes = std::mem::take(&mut *self.sink.0.borrow_mut());
        let mut data = String::new();
        if self.events.is_empty() {
            data.push_str(CLEAR);
        }
        data.push_str(&String::from_utf8_lossy(&bytes));
        self.events.push((self.now_ms, data));
        let hold_ms = u64::try_from(hold.as_millis()).unwrap_or(u64::MAX);
        self.now_ms = self.now_ms.saturating_add(hold_ms);
        Ok(())
    }

    /// Number of frames recorded so far.
    pub fn frames(&self) -> usize {
        self.events.len()
    }

    /// The asciicast v2 text: header, one event per frame, and a closing event at the end of
    /// the last frame's hold. `palette` becomes the player's theme.
    pub fn finish(self, title: Option<&str>, palette: Option<&Palette>) -> String {
        let header = Header {
            version: 2,
            width: self.width,
            height: self.height,
            title,
            env: Env {
                term: "xterm-256color",
            },
            theme: palette.map(|p| CastTheme {
                fg: p.fg.hex(),
                bg: p.bg.hex(),
                palette: p.ansi.iter().map(|c| c.hex()).collect::<Vec<_>>().join(":"),
            }),
        };
        let mut out = json_line(&header);
        for (ms, data) in &self.events {
            out.push_str(&json_line(&(seconds(*ms), "o", data)));
        }
        if !self.events.is_empty() {
            out.push_str(&json_line(&(seconds(self.now_ms), "o", END)));
        }
        out
    }
}

fn seconds(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

fn json_line<T: Serialize>(v: &T) -> String {
    // Serialising plain structs, tuples, strings and finite numbers cannot fail.
    let mut s = serde_json::to_string(v).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Stylize;
    use ratatui::widgets::{Block, Paragraph};

    fn record(texts: &[&str]) -> String {
        let mut r = CastRecorder::new(20, 4).unwrap();
        for t in texts {
            let text = t.to_string();
            r.frame(Duration::from_millis(1500), |f| {
                f.render_widget(
                    Paragraph::new(text.clone().red().bold()).block(Block::bordered()),
                    f.area(),
                )
            })
            .unwrap();
        }
        r.finish(Some("t"), Some(&Palette::default()))
    }

    #[test]
    fn header_then_output_events_at_the_hold_times() {
        let cast = record(&["one", "two"]);
        let lines: Vec<serde_json::Value> = cast
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["version"], 2);
        assert_eq!(lines[0]["width"], 20);
        assert_eq!(lines[0]["height"], 4);
        assert_eq!(
            lines[0]["theme"]["palette"]
                .as_str()
                .unwrap()
                .split(':')
                .count(),
            16
        );
        let times: Vec<f64> = lines[1..].iter().map(|e| e[0].as_f64().unwrap()).collect();
        assert_eq!(times, [0.0, 1.5, 3.0]);
        assert!(lines[1..].iter().all(|e| e[1] == "o"));
        let first = lines[1][2].as_str().unwrap();
        assert!(first.starts_with(CLEAR));
        assert!(first.contains("one"));
    }

    #[test]
    fn a_later_frame_writes_only_what_changed() {
        let cast = record(&["same text", "same text"]);
        let second: serde_json::Value = serde_json::from_str(cast.lines().nth(2).unwrap()).unwrap();
        assert!(!second[2].as_str().unwrap().contains("same"));
    }

    #[test]
    fn replayed_through_a_terminal_emulator_it_shows_the_last_frame() {
        let cast = record(&["first", "second"]);
        let size = |n| std::num::NonZeroU16::new(n).unwrap();
        let mut vt = vt100::Parser::new(size(4), size(20), 0);
        for line in cast.lines().skip(1) {
            let ev: serde_json::Value = serde_json::from_str(line).unwrap();
            vt.process(ev[2].as_str().unwrap().as_bytes());
        }
        let screen = vt.screen();
        let rows: Vec<String> = screen.rows(0, 20).collect();
        assert_eq!(rows[1], "│second            │");
        let cell = screen.cell(1, 1).unwrap();
        assert!(cell.bold());
        assert_eq!(cell.fgcolor(), vt100::Color::Idx(1));
    }

    #[test]
    fn same_frames_same_bytes() {
        assert_eq!(record(&["x", "y"]), record(&["x", "y"]));
    }
}
