//! `rmapviz record`: the replay of a scenario as the TUI shows it, step by step (and with
//! `--walk` candidate by candidate), as an asciicast v2 recording, an animated GIF or an
//! animated SVG; with `--captions`, each step's note under the screen.

use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::args::RecordArgs;
use super::output::{RecordFormat, Target};
use super::{CliError, EXIT_OK};
use crate::export::cast::CastRecorder;
use crate::export::gif::GifWriter;
use crate::export::svg_anim::SvgAnimation;
use crate::export::{ExportError, Palette};
use crate::progress::Progress;
use crate::tui::App;
use crate::tui::render::draw_frame;

/// The most pixels of all a GIF's frames together.
const MAX_GIF_PIXELS: u64 = 2_000_000_000;

/// Rows under the screen that hold a caption.
const CAPTION_ROWS: u16 = 3;

/// Where the frames go.
enum Sink {
    Cast(CastRecorder),
    Gif(GifWriter),
    Svg(SvgAnimation),
}

pub fn run(a: RecordArgs) -> Result<u8, CliError> {
    let target = Target::new(&a.output, a.force);
    let format: RecordFormat = target.format(a.format)?;
    target.check_writable()?;
    if !(a.delay.is_finite() && a.delay > 0.0 && a.delay <= 3600.0) {
        return Err(CliError::input(format!(
            "--delay {} is not a number of seconds between 0 and 3600",
            a.delay
        )));
    }
    let hold = Duration::from_millis((a.delay * 1000.0).round() as u64);
    let (mut app, _origin) = a.view.app(0)?;
    let (cols, rows) = a.view.size;
    if a.captions && rows < crate::tui::render::MIN_HEIGHT + CAPTION_ROWS {
        return Err(CliError::input(format!(
            "--captions needs {} more rows than the screen's least {}: --size {cols}x{} at least",
            CAPTION_ROWS,
            crate::tui::render::MIN_HEIGHT,
            crate::tui::render::MIN_HEIGHT + CAPTION_ROWS
        )));
    }
    let fail = |e: ExportError| CliError::input(e.to_string());
    let palette = Palette::from_theme(app.theme());
    let mut sink = match format {
        RecordFormat::Cast => Sink::Cast(CastRecorder::new(cols, rows).map_err(fail)?),
        RecordFormat::Gif | RecordFormat::Svg => {
            let n = frame_count(&app, a.walk);
            if n > a.max_frames as usize {
                return Err(CliError::input(format!(
                    "{}: {n} frames, more than --max-frames {}: a GIF or SVG holds every frame whole \
                     (raise --max-frames, leave out --walk, or record a .cast)",
                    a.view.scenario, a.max_frames
                )));
            }
            // Each GIF frame is rasterised and quantised whole: the pixels of all of them
            // together are bounded too (about 2600 frames of 120x40).
            let (w, h) = crate::export::svg::picture_size(cols, rows, &Default::default());
            let pixels = n as u64 * u64::from(w) * u64::from(h);
            if format == RecordFormat::Gif && pixels > MAX_GIF_PIXELS {
                return Err(CliError::input(format!(
                    "{}: {n} frames of {w}x{h} pixels are more than a GIF of {} million pixels \
                     (use a smaller --size, leave out --walk, or record a .cast or .svg)",
                    a.view.scenario,
                    MAX_GIF_PIXELS / 1_000_000
                )));
            }
            match format {
                RecordFormat::Gif => Sink::Gif(GifWriter::new(cols, rows, &palette).map_err(fail)?),
                _ => Sink::Svg(SvgAnimation::new(cols, rows, &palette)),
            }
        }
    };
    let progress = Progress::new(
        &format!("record {}", a.view.scenario),
        Some(app.len() as u64),
        "step",
    );
    for step in 0..=app.len() {
        progress.set_position(step as u64);
        app.step_to(step);
        app.set_walk_candidate(None);
        app.reset_selection();
        let size = (cols, rows, a.captions);
        sink.frame(&mut app, size, hold).map_err(fail)?;
        if a.walk {
            for k in 0..app.candidates() {
                app.set_walk_candidate(Some(k));
                sink.frame(&mut app, size, hold).map_err(fail)?;
            }
        }
    }
    progress.finish();
    let bytes = match sink {
        Sink::Cast(rec) => {
            let title = format!("rmapviz: {}", app.scenario().title);
            rec.finish(Some(&title), Some(&palette)).into_bytes()
        }
        Sink::Gif(g) => g.finish().map_err(fail)?,
        Sink::Svg(s) => s.finish().into_bytes(),
    };
    target.write(&bytes)?;
    Ok(EXIT_OK)
}

/// How many frames the recording of `app` has: one per step and the start, and with `walk`
/// one per candidate of each walk (of the scheme shown).
fn frame_count(app: &App, walk: bool) -> usize {
    let steps = app.len() + 1;
    if !walk {
        return steps;
    }
    let candidates: usize = crate::session::replay(app.scenario(), app.scheme_name(), false)
        .map_or(0, |run| {
            run.steps
                .iter()
                .filter_map(|s| s.walk.as_ref())
                .map(|w| w.visits.len())
                .sum()
        });
    steps + candidates
}

impl Sink {
    /// Adds the screen of `app` (`cols` x `rows`, the caption in its last rows if asked for),
    /// and tells the app where its panes went, as the interactive loop does: the next steps'
    /// graphs are then laid out once, for the pane's width, instead of in full first and again
    /// for the pane.
    fn frame(
        &mut self,
        app: &mut App,
        (cols, rows, captions): (u16, u16, bool),
        hold: Duration,
    ) -> Result<(), ExportError> {
        if let (Sink::Cast(rec), false) = (&mut *self, captions) {
            // The TUI's own drawing into the recorder's terminal: only the cells that change.
            let mut info = None;
            rec.frame(hold, |f| info = Some(draw_frame(app, f)))?;
            if let Some(info) = info {
                app.set_frame(info);
            }
            return Ok(());
        }
        let buf = if captions {
            captioned(app, cols, rows)
        } else {
            screen(app, cols, rows)
        };
        match self {
            Sink::Cast(rec) => rec.frame(hold, |f| f.buffer_mut().merge(&buf)),
            Sink::Gif(g) => g.frame(&buf, hold),
            Sink::Svg(s) => {
                s.frame(&buf, hold);
                Ok(())
            }
        }
    }
}

/// The screen the TUI draws for `app` on a `cols` x `rows` terminal (`shot`'s picture), the
/// panes' places told to the app.
fn screen(app: &mut App, cols: u16, rows: u16) -> Buffer {
    let mut t = match Terminal::new(TestBackend::new(cols, rows)) {
        Ok(t) => t,
        Err(never) => match never {},
    };
    let mut info = None;
    let drawn = t.draw(|f| info = Some(draw_frame(app, f)));
    let buf = match drawn {
        Ok(_) => t.backend().buffer().clone(),
        Err(never) => match never {},
    };
    if let Some(info) = info {
        app.set_frame(info);
    }
    buf
}

/// The screen of `app` above a caption: the step and its note (the scenario's title before
/// the first step), and the walk candidate followed.
fn captioned(app: &mut App, cols: u16, rows: u16) -> Buffer {
    let screen_rows = rows - CAPTION_ROWS;
    let mut buf = Buffer::empty(Rect::new(0, 0, cols, rows));
    buf.merge(&screen(app, cols, screen_rows));
    let step = app.step();
    let mut text = match step.checked_sub(1).map(|i| &app.scenario().steps[i]) {
        None => app.scenario().title.clone(),
        Some(s) => {
            let op = crate::scenario::opline::format(&s.op);
            match &s.note {
                Some(n) => format!("step {step}: {op}. {n}"),
                None => format!("step {step}: {op}"),
            }
        }
    };
    if let (Some(k), Some(w)) = (app.walk_candidate(), app.walk())
        && let Some(v) = w.visits.get(k)
    {
        text = format!(
            "walk candidate #{} of {}: pid {} {}. {text}",
            k + 1,
            w.visits.len(),
            v.pid,
            v.outcome
        );
    }
    // A note's control characters are dropped, as the TUI drops them.
    let mut text: String = text.chars().filter(|c| !c.is_control()).collect();
    let fits = |t: &str| {
        Paragraph::new(t).wrap(Wrap { trim: true }).line_count(cols) as u16 <= CAPTION_ROWS
    };
    // A caption too long for its rows loses words at the end, and says so with an ellipsis.
    if !fits(&text) {
        while !fits(&format!("{text} …")) {
            match text.trim_end().rfind(' ') {
                Some(i) => text.truncate(i),
                None => break,
            }
        }
        text.push_str(" …");
    }
    let area = Rect::new(0, screen_rows, cols, CAPTION_ROWS);
    Paragraph::new(text)
        .style(app.theme().text)
        .wrap(Wrap { trim: true })
        .render(area, &mut buf);
    buf
}
