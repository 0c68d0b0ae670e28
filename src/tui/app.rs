//! The TUI's whole state. [`App::headless`] builds it from a scenario and options, with no
//! terminal, for the exports and the tests; the interactive loop ([`super::run`]) feeds it
//! messages ([`super::update`]) and draws it ([`super::render::draw`]).
//!
//! The state is made of parts that own their fields and keep their rules: what is shown
//! ([`Shown`]: scheme, compared scheme, step, target, candidate), the views built
//! ([`ViewStore`]), the selection ([`Selection`]), the input line ([`Prompt`]) and autoplay
//! ([`Playback`]). `App` ties them to the session and the terminal's settings; the methods
//! here are the moves that touch several parts at once.

use std::path::PathBuf;

use thiserror::Error;

use super::depth::ColourDepth;
use super::scroll::{Scrolled, SideScroll};
use super::theme::{Theme, ThemeName, UnknownTheme};
use crate::model::Walk;
use crate::scenario::Scenario;
use crate::schemes::{SchemeInfo, UnknownScheme, all_schemes, scheme_names, scheme_number};
use crate::session::{Session, StepResult};

mod idle;
mod playback;
mod prompt;
mod selection;
pub(crate) mod sheet;
#[cfg(test)]
mod sheet_tests;
mod shown;
mod undo;
mod views;

pub use playback::{Playback, SPEEDS};
pub use prompt::Prompt;
pub use selection::Selection;
pub use shown::Shown;
pub use undo::{Edit, History};
pub use views::{Pane, ViewStore};

/// The scheme shown when none is asked for.
pub const DEFAULT_SCHEME: &str = "anon-vma";

/// How a headless (or interactive) app starts.
#[derive(Clone, Debug)]
pub struct AppOptions<'a> {
    /// The scheme of the (left) graph pane.
    pub scheme: &'a str,
    /// Compare mode: the scheme of the right graph pane.
    pub compare: Option<&'a str>,
    /// The step shown, 1-based; 0 is before the first step.
    pub step: usize,
    pub theme: ThemeName,
    /// Only ASCII characters.
    pub ascii: bool,
    /// The walk candidate followed (0-based), as `n` / `N` choose it.
    pub walk_candidate: Option<usize>,
}

impl Default for AppOptions<'_> {
    fn default() -> Self {
        AppOptions {
            scheme: DEFAULT_SCHEME,
            compare: None,
            step: 0,
            theme: ThemeName::Dark,
            ascii: false,
            walk_candidate: None,
        }
    }
}

/// Why an app cannot be made as asked.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AppError {
    #[error(transparent)]
    UnknownScheme(#[from] UnknownScheme),
    #[error("step {step} is out of range: the scenario has {len} steps (0 is before the first)")]
    StepOutOfRange { step: usize, len: usize },
    #[error(
        "walk candidate {candidate} is out of range: step {step} has {count} candidates (numbered from 0)"
    )]
    CandidateOutOfRange {
        candidate: usize,
        step: usize,
        count: usize,
    },
    #[error("cannot compare \"{0}\" with itself: it is the scheme shown (name another)")]
    CompareWithItself(String),
    #[error(transparent)]
    Theme(#[from] UnknownTheme),
}

/// Which pane the arrow keys work in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Steps,
    Graph,
}

/// What has the keyboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Help {
        scroll: u16,
    },
    /// `L`: the legend of the graph, scrolled this many lines.
    Legend {
        scroll: u16,
    },
    /// The `:` command line.
    Command,
    /// The `/` search line.
    Search,
    /// `e`: the narrative in a window over the screen (other keys still work under it).
    Narrative,
    /// `q` with unsaved typed ops.
    ConfirmQuit,
    /// Journals of sessions no longer running were found at start: the first of
    /// [`App::restores`] is offered.
    OfferRestore,
    /// The quiz asks for a prediction of the next walk, or reveals it.
    Quiz,
    /// A text page over the screen ([`App::overlay`]): a difference between two steps, the
    /// claims checked.
    Overlay,
}

/// A status line message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// Where things were drawn in the last frame, for mouse hit-testing (television's idea:
/// never recompute the layout in the input handler).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FrameInfo {
    /// Each graph pane's inner area and the model row / column at its top left.
    pub graphs: Vec<(ratatui::layout::Rect, u32, u16)>,
    /// Each graph pane's model row at each screen row, where its rows were folded to keep the
    /// walk in view (None: the rows from the top row on).
    pub graph_rows: Vec<Option<Vec<u32>>>,
    /// The work each graph pane did in the frame: the layouts it made (a pane drawn again, or
    /// whose view was laid out for it between keys, makes none) and the model rows it drew
    /// (those in view: the layout is not gone through).
    pub graph_work: Vec<GraphWork>,
    /// The steps list's inner area and the step number of its first line.
    pub timeline: Option<(ratatui::layout::Rect, usize)>,
    /// The compare table's inner area, first data row's scheme number.
    pub compare: Option<(ratatui::layout::Rect, usize)>,
    /// The text panes that scroll: where they are and what they showed.
    pub walk: Option<Scrolled>,
    pub inspector: Option<Scrolled>,
    pub narrative: Option<Scrolled>,
    /// Compare mode: the compared scheme's walk and events, beside the shown one's (they
    /// scroll with them).
    pub compare_walk: Option<Scrolled>,
    pub compare_narrative: Option<Scrolled>,
    /// The text page over the screen: the rows it shows and the lines it has.
    pub overlay: Option<(u16, u16)>,
    /// The legend's last scroll position that still fills its window (while it is shown).
    pub legend_end: Option<u16>,
}

/// What drawing one graph pane took (see [`FrameInfo::graph_work`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GraphWork {
    /// Layouts of the graph made while drawing the frame.
    pub layouts: usize,
    /// Rows of the layout drawn.
    pub rows: usize,
}

/// The TUI's state.
pub struct App {
    pub(crate) session: Session,
    /// Where the scenario came from ("builtin:S3", a path, "new").
    pub(crate) origin: String,
    /// Where `:w` writes without a name (the file the scenario was read from or saved to).
    pub(crate) file: Option<PathBuf>,
    /// The scheme, compared scheme, step, target and candidate shown.
    pub(crate) shown: Shown,
    /// The graph panes and the views cached.
    pub(crate) views: ViewStore,
    /// The node selected and the graph's viewport.
    pub(crate) selection: Selection,
    /// The `:` and `/` line.
    pub(crate) prompt: Prompt,
    pub(crate) playback: Playback,
    pub(crate) theme: Theme,
    /// The colours the terminal shows (the theme is converted to them).
    pub(crate) depth: ColourDepth,
    /// Colour is off (`--color never`, `NO_COLOR`): the theme key and `:theme` keep mono.
    pub(crate) colour_off: bool,
    pub(crate) ascii: bool,
    pub(crate) focus: Focus,
    pub(crate) mode: Mode,
    /// Set while a key is handled that more keys follow in the same read ([`App::update_all`]).
    pub(crate) coalesce: bool,
    pub(crate) status: Option<Status>,
    /// Ops were typed or deleted since the last save.
    pub(crate) dirty: bool,
    /// The edits that `u` undoes and `Ctrl-R` redoes.
    pub(crate) edits: History,
    /// The quiz, while `Q` has it on.
    pub(crate) quiz: Option<super::quiz::Quiz>,
    /// The text page shown over the screen ([`Mode::Overlay`]).
    pub(crate) overlay: Option<super::overlay::Overlay>,
    /// Presenter mode (`P`): the graph large, the step's note as a caption, no footer.
    pub(crate) presenter: bool,
    /// The panes a headless screen keeps (`shot --panes`, `--no-footer`); None: all.
    pub(crate) panes: Option<super::panes::PaneSet>,
    /// `:w` is refused (keys given to `shot`).
    pub(crate) no_writes: bool,
    pub(crate) mouse: bool,
    pub(crate) quit: bool,
    pub(crate) journal: Option<super::journal::Journal>,
    /// Journals of sessions no longer running, still to be offered ([`Mode::OfferRestore`]).
    pub(crate) restores: Vec<super::journal::Orphan>,
    pub(crate) frame: FrameInfo,
    /// The side panes' scroll offsets.
    pub(crate) side_scroll: SideScroll,
}

impl App {
    /// An app on `scenario` with `opts`, every scheme simulated up to the step shown: what the
    /// exports and tests draw through `Terminal<TestBackend>`.
    pub fn headless(scenario: Scenario, opts: &AppOptions) -> Result<App, AppError> {
        Self::build(scenario, "headless", opts, true)
    }

    /// An app for the interactive loop: schemes other than the shown ones are simulated between
    /// keys ([`App::idle`]).
    pub fn interactive(
        scenario: Scenario,
        origin: &str,
        opts: &AppOptions,
    ) -> Result<App, AppError> {
        Self::build(scenario, origin, opts, false)
    }

    fn build(
        scenario: Scenario,
        origin: &str,
        opts: &AppOptions,
        eager: bool,
    ) -> Result<App, AppError> {
        let scheme = scheme_number(opts.scheme)?;
        let compare = opts.compare.map(scheme_number).transpose()?;
        let shown = Shown::new(scheme, compare, opts.step)
            .ok_or_else(|| AppError::CompareWithItself(opts.scheme.to_string()))?;
        let len = scenario.steps.len();
        if opts.step > len {
            return Err(AppError::StepOutOfRange {
                step: opts.step,
                len,
            });
        }
        let file = std::path::Path::new(origin)
            .is_file()
            .then(|| PathBuf::from(origin));
        let mut app = App {
            session: Session::lazy(scenario, &scheme_names()),
            origin: origin.to_string(),
            file,
            shown,
            views: ViewStore::new(eager),
            selection: Selection::default(),
            prompt: Prompt::default(),
            playback: Playback::default(),
            theme: Theme::new(opts.theme),
            depth: ColourDepth::TrueColor,
            colour_off: false,
            ascii: opts.ascii,
            focus: Focus::Steps,
            mode: Mode::Normal,
            coalesce: false,
            status: None,
            dirty: false,
            edits: History::default(),
            quiz: None,
            overlay: None,
            presenter: false,
            panes: None,
            no_writes: false,
            mouse: false,
            quit: false,
            journal: None,
            restores: Vec::new(),
            frame: FrameInfo::default(),
            side_scroll: SideScroll::default(),
        };
        app.refresh();
        if let Some(k) = opts.walk_candidate {
            let count = app.candidates();
            if k >= count {
                return Err(AppError::CandidateOutOfRange {
                    candidate: k,
                    step: opts.step,
                    count,
                });
            }
            app.shown.follow_candidate(Some(k));
        }
        Ok(app)
    }

    // ----- what the recorder and the exports use --------------------------------------------

    /// The step shown (1-based; 0 is before the first step).
    pub fn step(&self) -> usize {
        self.shown.step()
    }

    /// Number of steps of the scenario.
    pub fn len(&self) -> usize {
        self.session.len()
    }

    pub fn is_empty(&self) -> bool {
        self.session.is_empty()
    }

    /// Shows step `n` (clamped to the scenario).
    /// Steps can be asked for faster than a large scenario simulates: an interactive app whose
    /// shown schemes have not reached step `n` yet does not simulate inside the key; it records
    /// `n` as its target and keeps drawing the step shown until [`App::idle`] has simulated
    /// that far (headless apps simulate at once).
    pub fn step_to(&mut self, n: usize) {
        let n = n.min(self.len());
        let behind = !self.caught_up(n);
        // A key followed by more keys in the same read (a held key the app fell behind) only
        // moves the target: the step shown is built once, for the last of them.
        let cold = self.coalesce
            && n != self.step()
            && self
                .shown
                .schemes()
                .into_iter()
                .any(|s| !self.views.has(s, n));
        if (behind || cold) && !self.views.eager() {
            self.shown.aim(n);
            return;
        }
        if self.shown.show_step(n) {
            self.refresh();
        }
    }

    /// Whether the shown schemes have simulated `n` steps (a target that only waited for the
    /// last of several keys can then be shown at once).
    pub(crate) fn caught_up(&self, n: usize) -> bool {
        self.shown
            .schemes()
            .into_iter()
            .all(|s| self.session.simulated(s) >= n)
    }

    /// Where the panes of the last frame were ([`super::render::draw_frame`]'s answer): the
    /// mouse and the scroll keys aim at them.
    pub fn set_frame(&mut self, info: FrameInfo) {
        self.frame = info;
    }

    /// How many step views (graph and layout) the app has built: the costly part of a key.
    pub fn views_built(&self) -> u64 {
        self.views.built()
    }

    /// The step that relative moves start from: the target while there is one.
    pub fn step_asked(&self) -> usize {
        self.shown.asked()
    }

    /// The step asked for but not shown yet, and how far the slowest shown scheme has
    /// simulated towards it.
    pub fn target(&self) -> Option<(usize, usize)> {
        self.shown.target().map(|n| {
            let done = self
                .shown
                .schemes()
                .into_iter()
                .map(|s| self.session.simulated(s))
                .min()
                .unwrap_or(n);
            (n, done.min(n))
        })
    }

    /// Follows walk candidate `k` (0-based), or the whole walk with None. Out-of-range numbers
    /// are ignored.
    pub fn set_walk_candidate(&mut self, k: Option<usize>) {
        if k.is_none_or(|k| k < self.candidates()) {
            self.shown.follow_candidate(k);
            if let Some(id) = k.and_then(|k| self.candidate_node_id(k)) {
                self.selection.select(id);
            }
        }
    }

    /// Forgets the selected node and selects as an app opened at this step does: the walked
    /// page, or else the first node of the graph. Recordings call it at every step so that each
    /// frame is the screen `shot` draws for that step.
    pub fn reset_selection(&mut self) {
        self.selection.reset();
        self.keep_selection();
    }

    /// The candidate followed, if any.
    pub fn walk_candidate(&self) -> Option<usize> {
        self.shown.candidate()
    }

    /// While the quiz reveals the walk of the step shown: how many of its candidates the screen
    /// shows (the LOST ptes, the counts and what the step did to the page come after the last).
    /// The graphs then show the state the walk starts from. None: the walk is shown whole.
    pub fn walk_revealed(&self) -> Option<usize> {
        self.shown.revealed()
    }

    /// Reveals the walk of the step shown up to its first `k` candidates (the last of them
    /// followed and selected), or shows it whole with None.
    pub(crate) fn reveal_walk(&mut self, k: Option<usize>) {
        self.shown.reveal(k.map(|k| k.min(self.candidates())));
        self.refresh();
        if let Some(id) = self
            .shown
            .candidate()
            .and_then(|k| self.candidate_node_id(k))
        {
            self.selection.select(id);
        }
    }

    /// Number of candidates the current step's walk visited (0 without a walk).
    pub fn candidates(&self) -> usize {
        self.walk().map_or(0, |w| w.visits.len())
    }

    /// Whether autoplay runs.
    pub fn playing(&self) -> bool {
        self.playback.playing()
    }

    /// The panes the screen shows when not all of them: presenter mode's, or those chosen
    /// with [`App::set_panes`].
    pub fn pane_set(&self) -> Option<super::panes::PaneSet> {
        if self.presenter {
            Some(super::panes::PaneSet::PRESENTER)
        } else {
            self.panes
        }
    }

    /// Shows only the panes of `set` (None: all), for slides.
    pub fn set_panes(&mut self, set: Option<super::panes::PaneSet>) {
        self.panes = set;
        self.fill_compare_table();
    }

    /// Whether the screen has the compare table: the only pane that shows the schemes not in
    /// a graph pane.
    fn shows_compare_table(&self) -> bool {
        self.pane_set().is_none_or(|p| p.has("compare"))
    }

    /// A headless app simulates every scheme to the step shown while the compare table is on
    /// the screen (and only the shown schemes while it is not).
    fn fill_compare_table(&mut self) {
        if self.views.eager() && self.shows_compare_table() {
            for i in 0..self.session.schemes().len() {
                self.session.simulate_to(i, self.shown.step());
            }
        }
    }

    /// From now on `:w` writes no file (keys given to a headless screen).
    pub fn forbid_writes(&mut self) {
        self.no_writes = true;
    }

    /// Presenter mode on or off.
    pub fn set_presenter(&mut self, on: bool) {
        self.presenter = on;
        self.fill_compare_table();
    }

    /// Whether presenter mode is on.
    pub fn presenter(&self) -> bool {
        self.presenter
    }

    /// The quiz's question on screen, if any.
    pub fn quiz(&self) -> Option<&super::quiz::Quiz> {
        self.quiz.as_ref()
    }

    /// The walk of the current step under the shown scheme.
    pub fn walk(&self) -> Option<&Walk> {
        self.result(self.shown.scheme())
            .and_then(|r| r.walk.as_ref())
    }

    pub fn theme(&self) -> &Theme {
        &self.theme
    }

    pub fn set_theme(&mut self, name: ThemeName) {
        self.theme = Theme::new(name).at_depth(self.depth);
    }

    /// Shows the theme's colours as a terminal of colour `depth` can (the interactive TUI asks
    /// the terminal; headless apps keep exact RGB for the exports).
    pub fn set_colour_depth(&mut self, depth: ColourDepth) {
        self.depth = depth;
        self.set_theme(self.theme.name);
    }

    pub fn ascii(&self) -> bool {
        self.ascii
    }

    pub fn scenario(&self) -> &Scenario {
        self.session.scenario()
    }

    /// The names of the schemes the app can show, in the compare table's order.
    pub fn scheme_names(&self) -> &[&'static str] {
        self.session.schemes()
    }

    /// The shown scheme's name.
    pub fn scheme_name(&self) -> &'static str {
        self.session.schemes()[self.shown.scheme()]
    }

    /// The scheme shown beside it in compare mode.
    pub fn compared_name(&self) -> Option<&'static str> {
        self.shown.compare().map(|c| self.session.schemes()[c])
    }

    /// Shows the scheme called `name` in the main pane (if compare mode shows it beside, the
    /// two swap).
    pub fn set_scheme(&mut self, name: &str) -> Result<(), AppError> {
        self.show_scheme(scheme_number(name)?);
        Ok(())
    }

    /// Shows scheme number `i` in the main pane.
    pub(crate) fn show_scheme(&mut self, i: usize) {
        self.shown.set_scheme(i);
        self.refresh();
    }

    /// Compare mode with the scheme called `name` on the right, or off with None.
    pub fn set_compare(&mut self, name: Option<&str>) -> Result<(), AppError> {
        let compare = name.map(scheme_number).transpose()?;
        if !self.shown.set_compare(compare) {
            return Err(AppError::CompareWithItself(self.scheme_name().to_string()));
        }
        self.refresh();
        Ok(())
    }

    /// The node selected in the graph, by id.
    pub fn selected(&self) -> Option<&str> {
        self.selection.id()
    }

    /// Selects the node with id `id`, or the group that holds it (if the shown graph has
    /// either).
    pub fn select(&mut self, id: &str) -> bool {
        let found = match self.views.main() {
            Some(p) => self.selection.find_in(&p.view, id),
            None => false,
        };
        self.settle_band();
        found
    }

    // ----- internals -------------------------------------------------------------------------

    /// The result of the current step under scheme number `scheme`, if simulated.
    pub(crate) fn result(&self, scheme: usize) -> Option<&StepResult> {
        self.step()
            .checked_sub(1)
            .and_then(|i| self.session.result(scheme, i))
    }

    /// How wide the main graph pane was in the last frame (views are laid out for it).
    fn pane_width(&self) -> Option<u16> {
        self.frame.graphs.first().map(|(r, _, _)| r.width)
    }

    /// Builds (or finds) the view of scheme `scheme` at step `step` (between keys).
    pub(crate) fn prepare_view(&mut self, scheme: usize, step: usize) {
        let width = self.pane_width();
        self.views.view(&mut self.session, (scheme, step), width);
    }

    /// Brings the panes up to date with the step, schemes and view options; keeps the
    /// candidate and the selection on what is shown.
    pub(crate) fn refresh(&mut self) {
        let width = self.pane_width();
        let schemes = self.shown.schemes();
        let table = self.shows_compare_table();
        self.views.show(
            &mut self.session,
            &schemes,
            (self.shown.step(), self.shown.revealed()),
            width,
            table,
        );
        let count = self.candidates();
        self.shown.keep_candidate_below(count);
        self.keep_selection();
    }

    /// Keeps the selection on a node of the main graph.
    fn keep_selection(&mut self) {
        if let Some(p) = self.views.main() {
            self.selection.keep_in(&p.view, self.shown.step());
        }
    }

    pub(crate) fn candidate_node_id(&self, k: usize) -> Option<String> {
        let p = self.views.main()?;
        let w = p.view.graph.walk.as_ref()?;
        let n = (*w.candidate_nodes.get(k)?)?;
        Some(p.view.graph.node(n).id.clone())
    }

    /// The scenario changed from step `at` (0-based) on.
    pub(crate) fn scenario_changed(&mut self, at: usize) {
        self.views.forget_after(at);
        self.refresh();
    }

    pub(crate) fn set_status(&mut self, text: impl Into<String>, error: bool) {
        self.status = Some(Status {
            text: text.into(),
            error,
        });
    }

    /// The description of scheme number `i`.
    pub(crate) fn scheme_info(&self, i: usize) -> &'static SchemeInfo {
        all_schemes()[i]
    }
}

#[cfg(test)]
mod tests {
    use super::{App, AppOptions};
    use crate::scenario::storm;
    use crate::tui::panes::PaneSet;

    /// A headless app simulates the schemes that are in no graph pane only for the compare
    /// table: a screen without it (presenter mode, slides) leaves them alone, and they are
    /// simulated to the step shown as soon as the table is back.
    #[test]
    fn a_headless_app_simulates_the_other_schemes_only_for_the_compare_table() {
        let mut app = App::headless(storm(4, 2), &AppOptions::default()).unwrap();
        assert!(app.len() > 7);
        let shown = app.shown.scheme();
        let others = |app: &App| -> Vec<usize> {
            (0..app.session.schemes().len())
                .filter(|&i| i != shown)
                .map(|i| app.session.simulated(i))
                .collect()
        };
        app.set_panes(Some(PaneSet::parse("graph,walk").unwrap()));
        app.step_to(5);
        assert_eq!(app.session.simulated(shown), 5);
        assert!(others(&app).iter().all(|&n| n == 0), "{:?}", others(&app));
        app.set_presenter(true);
        app.step_to(6);
        assert!(others(&app).iter().all(|&n| n == 0), "{:?}", others(&app));
        app.set_presenter(false);
        app.set_panes(None);
        assert!(others(&app).iter().all(|&n| n == 6), "{:?}", others(&app));
        app.step_to(7);
        assert!(others(&app).iter().all(|&n| n == 7), "{:?}", others(&app));
    }
}
