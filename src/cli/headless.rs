//! The TUI without a terminal, as `shot` and `record` start it: a scenario, the schemes shown,
//! the theme and the screen size.

use clap::{Args, ValueHint};

use super::CliError;
use super::output::parse_size;
use crate::scenario::Scenario;
use crate::tui::panes::PaneSet;
use crate::tui::{App, AppOptions, DEFAULT_SCHEME, ThemeName};

/// What the TUI shows, as `shot` and `record` take it.
#[derive(Debug, Args, Clone)]
pub struct ViewArgs {
    /// A RON scenario file or a built-in name (see `rmapviz scenarios`)
    #[arg(value_name = "FILE_OR_BUILTIN", value_hint = ValueHint::FilePath)]
    pub scenario: String,

    /// The scheme of the (left) graph pane (see `rmapviz schemes`)
    #[arg(short, long, default_value = DEFAULT_SCHEME, value_name = "NAME")]
    pub scheme: String,

    /// Compare mode: this scheme in a second graph pane beside the first
    #[arg(long, value_name = "NAME")]
    pub compare: Option<String>,

    /// Terminal size, COLSxROWS
    #[arg(long, default_value = "120x40", value_parser = parse_size, value_name = "COLSxROWS")]
    pub size: (u16, u16),

    /// Colour theme: dark, light, colorblind or mono
    #[arg(long, default_value = "dark", value_name = "NAME")]
    pub theme: String,

    /// Draw with ASCII characters only, as `rmapviz --ascii` does
    #[arg(long)]
    pub ascii: bool,

    /// Presenter mode, as the key P shows it: the header, the graph large and the step's note
    /// as a caption, no footer
    #[arg(long, conflicts_with = "panes")]
    pub presenter: bool,

    /// Only these panes, for slides (a comma-separated list of: header, steps, graph, walk,
    /// inspector, narrative, compare, footer); the others give their room to the graph
    #[arg(long, value_name = "LIST")]
    pub panes: Option<String>,

    /// Every pane but the footer (the keys)
    #[arg(long)]
    pub no_footer: bool,
}

impl ViewArgs {
    /// Loads the scenario and starts a headless app at `step`; returns it with the scenario's
    /// origin (a file name or `builtin:S3`).
    pub fn app(&self, step: usize) -> Result<(App, String), CliError> {
        let theme: ThemeName = self
            .theme
            .parse()
            .map_err(|e: crate::tui::theme::UnknownTheme| CliError::input(e.to_string()))?;
        let (scenario, origin) = Scenario::load(&self.scenario)?;
        let len = scenario.steps.len();
        let opts = AppOptions {
            scheme: &self.scheme,
            compare: self.compare.as_deref(),
            step,
            theme,
            ascii: self.ascii,
            walk_candidate: None,
        };
        let mut app = App::headless(scenario, &opts).map_err(|e| match e {
            crate::tui::AppError::StepOutOfRange { step, .. } => CliError::input(format!(
                "step {step} is out of range: {origin} has {len} steps (0 is before the first)"
            )),
            e => CliError::input(e.to_string()),
        })?;
        let mut panes = match &self.panes {
            Some(list) => {
                Some(PaneSet::parse(list).map_err(|e| CliError::input(format!("--panes: {e}")))?)
            }
            None => None,
        };
        if self.no_footer {
            panes = Some(panes.unwrap_or(PaneSet::ALL).without("footer"));
        }
        app.set_panes(panes);
        app.set_presenter(self.presenter);
        Ok((app, origin))
    }
}
