//! `rmapviz shot`: one screen of the TUI, drawn headless, as text, ANSI, HTML, SVG or PNG.

use super::args::ShotArgs;
use super::output::{ShotFormat, Target};
use super::{CliError, EXIT_OK};
use crate::export::{Palette, SvgOptions, ansi, html, png, snapshot, svg, text};

pub fn run(a: ShotArgs) -> Result<u8, CliError> {
    let target = Target::new(&a.output, a.force);
    let format: ShotFormat = target.format(a.format)?;
    target.check_writable()?;
    let (mut app, _origin) = a.view.app(a.step)?;
    if let Some(k) = a.walk_candidate {
        let count = app.candidates();
        if k == 0 || k > count {
            return Err(CliError::input(format!(
                "walk candidate {k} is out of range: step {} has {count} candidates (numbered from 1)",
                a.step
            )));
        }
        app.set_walk_candidate(Some(k - 1));
    }
    if a.legend {
        app.action(crate::tui::keymap::Action::Legend);
    }
    let (cols, rows) = a.view.size;
    if let Some(keys) = &a.keys {
        let keys = super::keys::parse(keys).map_err(CliError::input)?;
        app.forbid_writes();
        // Each key as the interactive loop handles it: after a frame, so that the keys that
        // aim at the panes (scrolling) know where they are.
        for k in keys {
            let mut info = None;
            snapshot::render_with(&app, cols, rows, &mut info);
            if let Some(i) = info {
                app.set_frame(i);
            }
            app.update(crate::tui::Msg::Key(k));
            if app.should_quit() {
                break;
            }
        }
    }
    let buf = snapshot::render(&app, cols, rows);
    let palette = Palette::from_theme(app.theme());
    let bytes = match format {
        ShotFormat::Txt => text::to_text(&buf).into_bytes(),
        ShotFormat::Ansi => ansi::to_ansi(&buf).into_bytes(),
        ShotFormat::Html => html::to_html(&buf, &palette, &title(&app, a.step)).into_bytes(),
        ShotFormat::Svg => svg::to_svg(&buf, &palette, &SvgOptions::default()).into_bytes(),
        ShotFormat::Png => {
            let opts = SvgOptions::default();
            let scale = a
                .scale
                .unwrap_or_else(|| png::default_scale(cols, rows, &opts));
            png::to_png(&buf, &palette, &opts, scale).map_err(|e| CliError::input(e.to_string()))?
        }
    };
    target.write(&bytes)?;
    Ok(EXIT_OK)
}

/// "S3: ... (step 5/5, anon-vma vs anonmm-naive)", the HTML page's title.
fn title(app: &crate::tui::App, step: usize) -> String {
    format!(
        "{} (step {step}/{}, {})",
        app.scenario().title,
        app.len(),
        app.scheme_name()
    )
}
