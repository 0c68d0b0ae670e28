//! `rmapviz record`: the replay of a scenario as the TUI shows it, step by step (and with
//! `--walk` candidate by candidate), as an asciicast v2 recording.

use std::time::Duration;

use super::args::RecordArgs;
use super::output::Target;
use super::{CliError, EXIT_OK};
use crate::export::Palette;
use crate::export::cast::CastRecorder;
use crate::progress::Progress;
use crate::tui::App;
use crate::tui::render::draw_frame;

pub fn run(a: RecordArgs) -> Result<u8, CliError> {
    let target = Target::new(&a.output, a.force);
    if let Target::File(p, _) = &target
        && !p
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("cast"))
    {
        return Err(CliError::input(format!(
            "{}: a recording is an asciicast v2 file: name it .cast (convert it to a GIF with agg)",
            p.display()
        )));
    }
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
    let mut rec = CastRecorder::new(cols, rows).map_err(|e| CliError::input(e.to_string()))?;
    let fail = |e: crate::export::ExportError| CliError::input(e.to_string());
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
        frame(&mut rec, &mut app, hold).map_err(fail)?;
        if a.walk {
            for k in 0..app.candidates() {
                app.set_walk_candidate(Some(k));
                frame(&mut rec, &mut app, hold).map_err(fail)?;
            }
        }
    }
    progress.finish();
    let title = format!("rmapviz: {}", app.scenario().title);
    let palette = Palette::from_theme(app.theme());
    let cast = rec.finish(Some(&title), Some(&palette));
    target.write(cast.as_bytes())?;
    Ok(EXIT_OK)
}

/// Records the screen of `app` for `hold`, and tells the app where its panes went, as the
/// interactive loop does: the next steps' graphs are then laid out once, for the pane's width,
/// instead of in full first and again for the pane.
fn frame(
    rec: &mut CastRecorder,
    app: &mut App,
    hold: Duration,
) -> Result<(), crate::export::ExportError> {
    let mut info = None;
    rec.frame(hold, |f| info = Some(draw_frame(app, f)))?;
    if let Some(info) = info {
        app.set_frame(info);
    }
    Ok(())
}
