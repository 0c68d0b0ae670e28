//! The TUI's whole state. [`App::headless`] builds it from a scenario and options, with no
//! terminal, for the exports and the tests; the interactive loop ([`super::run`]) feeds it
//! messages ([`super::update`]) and draws it ([`super::render::draw`]).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use thiserror::Error;
use tui_input::Input;

use super::cache::{Cached, ViewCache};
use super::palette::Palette;
use super::scroll::{Scrolled, SideScroll};
use super::theme::{Theme, ThemeName, UnknownTheme};
use crate::model::Walk;
use crate::scenario::Scenario;
use crate::schemes::{SchemeInfo, UnknownScheme, all_schemes, scheme_names, scheme_number};
use crate::session::{Session, Simulation, StepResult};
use crate::view::{BuildOptions, Detail, StepView};

mod idle;

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
    /// The `:` command line.
    Command,
    /// The `/` search line.
    Search,
    /// `q` with unsaved typed ops.
    ConfirmQuit,
    /// Journals of sessions no longer running were found at start: the first of
    /// [`App::restores`] is offered.
    OfferRestore,
}

/// A status line message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// One graph pane's content: a scheme at the current step.
#[derive(Clone)]
pub struct Pane {
    /// The scheme's number in the session.
    pub scheme: usize,
    pub view: Arc<StepView>,
    pub sim: Arc<Simulation>,
}

/// Where things were drawn in the last frame, for mouse hit-testing (television's idea:
/// never recompute the layout in the input handler).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FrameInfo {
    /// Each graph pane's inner area and the model row / column at its top left.
    pub graphs: Vec<(ratatui::layout::Rect, u32, u16)>,
    /// The steps list's inner area and the step number of its first line.
    pub timeline: Option<(ratatui::layout::Rect, usize)>,
    /// The compare table's inner area, first data row's scheme number.
    pub compare: Option<(ratatui::layout::Rect, usize)>,
    /// The text panes that scroll: where they are and what they showed.
    pub walk: Option<Scrolled>,
    pub inspector: Option<Scrolled>,
    pub narrative: Option<Scrolled>,
}

/// Views pushed out of the cache wait here to be freed by [`App::idle`]: a step view of the
/// storm holds thousands of nodes and its state a thousand processes, and freeing them took a
/// millisecond or two of the key that pushed them out. At most this many wait (keys that come
/// faster than the loop idles free the rest at once).
const GRAVEYARD_SIZE: usize = 8;

/// Autoplay speeds: milliseconds per step.
pub const SPEEDS: [u64; 6] = [3000, 2000, 1000, 500, 250, 100];

/// The TUI's state.
pub struct App {
    pub(crate) session: Session,
    /// Where the scenario came from ("builtin:S3", a path, "new").
    pub(crate) origin: String,
    /// Where `:w` writes without a name (the file the scenario was read from or saved to).
    pub(crate) file: Option<PathBuf>,
    pub(crate) scheme: usize,
    pub(crate) compare: Option<usize>,
    pub(crate) step: usize,
    pub(crate) candidate: Option<usize>,
    pub(crate) theme: Theme,
    /// The colours the terminal shows (the theme is converted to them).
    pub(crate) palette: Palette,
    /// Colour is off (`--color never`, `NO_COLOR`): the theme key and `:theme` keep mono.
    pub(crate) colour_off: bool,
    pub(crate) ascii: bool,
    pub(crate) focus: Focus,
    pub(crate) mode: Mode,
    /// The selected node's id (kept across steps and schemes).
    pub(crate) selected: Option<String>,
    pub(crate) expanded: HashSet<String>,
    pub(crate) focus_walk: bool,
    /// The graph's top row and left column when not following the selection.
    pub(crate) scroll: (u32, u16),
    /// Keep the selection in view.
    pub(crate) follow: bool,
    pub(crate) panes: Vec<Pane>,
    /// A step asked for whose shown schemes are not simulated that far yet (or whose view
    /// waits for the last of several keys read together): the screen keeps showing `step`,
    /// marked as moving there, while [`App::idle`] simulates in slices.
    pub(crate) target: Option<usize>,
    /// Set while a key is handled that more keys follow in the same read ([`App::update_all`]).
    pub(crate) coalesce: bool,
    /// Step views built so far (not found in the cache).
    views_built: u64,
    /// The level of detail the last view built was laid out at: the first guess for the next.
    last_detail: Detail,
    cache: ViewCache,
    /// Views to free between keys (see [`GRAVEYARD_SIZE`]); headless apps free at once.
    graveyard: Vec<Cached>,
    /// Compute every scheme's results up to the shown step before drawing (headless use).
    eager: bool,
    pub(crate) input: Input,
    pub(crate) history: Vec<String>,
    pub(crate) history_pos: Option<usize>,
    pub(crate) status: Option<Status>,
    /// Autoplay: index into [`SPEEDS`] when playing.
    pub(crate) playing: bool,
    pub(crate) speed: usize,
    pub(crate) last_tick: Option<Instant>,
    /// Ops were typed or deleted since the last save.
    pub(crate) dirty: bool,
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
        if compare == Some(scheme) {
            return Err(AppError::CompareWithItself(opts.scheme.to_string()));
        }
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
            scheme,
            compare,
            step: opts.step,
            candidate: None,
            theme: Theme::new(opts.theme),
            palette: Palette::TrueColor,
            colour_off: false,
            ascii: opts.ascii,
            focus: Focus::Steps,
            mode: Mode::Normal,
            selected: None,
            expanded: HashSet::new(),
            focus_walk: false,
            scroll: (0, 0),
            follow: true,
            panes: Vec::new(),
            target: None,
            coalesce: false,
            views_built: 0,
            last_detail: Detail::Full,
            cache: ViewCache::default(),
            graveyard: Vec::new(),
            eager,
            input: Input::default(),
            history: Vec::new(),
            history_pos: None,
            status: None,
            playing: false,
            speed: 2,
            last_tick: None,
            dirty: false,
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
            app.candidate = Some(k);
        }
        Ok(app)
    }

    // ----- what the recorder and the exports use --------------------------------------------

    /// The step shown (1-based; 0 is before the first step).
    pub fn step(&self) -> usize {
        self.step
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
            && n != self.step
            && self
                .shown_schemes()
                .into_iter()
                .any(|s| !self.cache.contains((s, n)));
        if (behind || cold) && !self.eager {
            self.target = (n != self.step).then_some(n);
            return;
        }
        self.target = None;
        if n != self.step {
            self.step = n;
            self.candidate = None;
            self.refresh();
        }
    }

    /// Whether the shown schemes have simulated `n` steps (a target that only waited for the
    /// last of several keys can then be shown at once).
    pub(crate) fn caught_up(&self, n: usize) -> bool {
        self.shown_schemes()
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
        self.views_built
    }

    /// The step that relative moves start from: the target while there is one.
    pub fn step_asked(&self) -> usize {
        self.target.unwrap_or(self.step)
    }

    /// The step asked for but not shown yet, and how far the slowest shown scheme has
    /// simulated towards it.
    pub fn target(&self) -> Option<(usize, usize)> {
        self.target.map(|n| {
            let done = self
                .shown_schemes()
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
            self.candidate = k;
            if let Some(id) = k.and_then(|k| self.candidate_node_id(k)) {
                self.selected = Some(id);
                self.follow = true;
            }
        }
    }

    /// Forgets the selected node and selects as an app opened at this step does: the walked
    /// page, or else the first node of the graph. Recordings call it at every step so that each
    /// frame is the screen `shot` draws for that step.
    pub fn reset_selection(&mut self) {
        self.selected = None;
        self.follow = true;
        self.fix_selection();
    }

    /// The candidate followed, if any.
    pub fn walk_candidate(&self) -> Option<usize> {
        self.candidate
    }

    /// Number of candidates the current step's walk visited (0 without a walk).
    pub fn candidates(&self) -> usize {
        self.walk().map_or(0, |w| w.visits.len())
    }

    /// The walk of the current step under the shown scheme.
    pub fn walk(&self) -> Option<&Walk> {
        self.result(self.scheme).and_then(|r| r.walk.as_ref())
    }

    pub fn theme(&self) -> &Theme {
        &self.theme
    }

    pub fn set_theme(&mut self, name: ThemeName) {
        self.theme = Theme::new(name).in_palette(self.palette);
    }

    /// Shows the theme's colours as `palette` can (the interactive TUI asks the terminal;
    /// headless apps keep exact RGB for the exports).
    pub fn set_palette(&mut self, palette: Palette) {
        self.palette = palette;
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
        self.session.schemes()[self.scheme]
    }

    /// The scheme shown beside it in compare mode.
    pub fn compared_name(&self) -> Option<&'static str> {
        self.compare.map(|c| self.session.schemes()[c])
    }

    /// Selects the scheme called `name` for the left pane.
    pub fn set_scheme(&mut self, name: &str) -> Result<(), AppError> {
        let i = self.scheme_number(name)?;
        self.scheme = i;
        self.candidate = None;
        self.refresh();
        Ok(())
    }

    /// Compare mode with the scheme called `name` on the right, or off with None.
    pub fn set_compare(&mut self, name: Option<&str>) -> Result<(), AppError> {
        let compare = name.map(|n| self.scheme_number(n)).transpose()?;
        if compare == Some(self.scheme) {
            return Err(AppError::CompareWithItself(self.scheme_name().to_string()));
        }
        self.compare = compare;
        self.refresh();
        Ok(())
    }

    /// The number of the scheme called `name`: the session holds every scheme of the
    /// registry, in its order.
    fn scheme_number(&self, name: &str) -> Result<usize, AppError> {
        Ok(scheme_number(name)?)
    }

    /// The node selected in the graph, by id.
    pub fn selected(&self) -> Option<&str> {
        self.selected.as_deref()
    }

    /// Selects the node with id `id` (if the shown graph has it).
    pub fn select(&mut self, id: &str) -> bool {
        let found = self.panes.first().and_then(|p| {
            p.view
                .graph
                .find(id)
                .or_else(|| p.view.graph.group_of(id))
                .map(|n| p.view.graph.node(n).id.clone())
        });
        if let Some(f) = found {
            self.selected = Some(f);
            self.follow = true;
            true
        } else {
            false
        }
    }

    // ----- internals -------------------------------------------------------------------------

    /// The result of the current step under scheme number `scheme`, if simulated.
    pub(crate) fn result(&self, scheme: usize) -> Option<&StepResult> {
        self.step
            .checked_sub(1)
            .and_then(|i| self.session.result(scheme, i))
    }

    pub(crate) fn shown_schemes(&self) -> Vec<usize> {
        let mut v = vec![self.scheme];
        if let Some(c) = self.compare {
            v.push(c);
        }
        v
    }

    pub(crate) fn build_options(&self) -> BuildOptions {
        BuildOptions {
            expanded: self.expanded.clone(),
            focus_walk: self.focus_walk,
            ..BuildOptions::default()
        }
    }

    fn make_view(&mut self, scheme: usize, step: usize) -> (Arc<StepView>, Arc<Simulation>) {
        if let Some(v) = self.cache.get((scheme, step)) {
            return v;
        }
        self.views_built += 1;
        self.session.simulate_to(scheme, step);
        let sim = self
            .session
            .state_after(scheme, step)
            .expect("scheme number in range");
        let walk = step
            .checked_sub(1)
            .and_then(|i| self.session.result(scheme, i))
            .and_then(|r| r.walk.clone());
        let view = StepView::new(&sim, walk.as_ref(), &self.build_options());
        // Lay it out for the pane it will be drawn in (as wide as the last frame's), so that a
        // view built between keys needs no layout at the draw.
        if let Some((r, _, _)) = self.frame.graphs.first() {
            self.last_detail = view.fit_from(r.width, self.last_detail).detail;
        }
        let v = (Arc::new(view), Arc::new(sim));
        let gone = self.cache.put((scheme, step), v.clone());
        self.bury(gone);
        v
    }

    /// Keeps `gone` for [`App::idle`] to free (headless apps, which never idle, free it now).
    fn bury(&mut self, gone: Vec<Cached>) {
        if self.eager {
            return;
        }
        self.graveyard.extend(gone);
        if self.graveyard.len() > GRAVEYARD_SIZE {
            let keep = self.graveyard.len() - GRAVEYARD_SIZE;
            self.graveyard.drain(..keep);
        }
    }

    /// Brings the panes up to date with the step, schemes and view options.
    pub(crate) fn refresh(&mut self) {
        let step = self.step;
        if self.eager {
            for i in 0..self.session.schemes().len() {
                self.session.simulate_to(i, step);
            }
        }
        let mut panes = Vec::new();
        for s in self.shown_schemes() {
            let (view, sim) = self.make_view(s, step);
            panes.push(Pane {
                scheme: s,
                view,
                sim,
            });
        }
        self.panes = panes;
        if let Some(k) = self.candidate
            && k >= self.candidates()
        {
            self.candidate = None;
        }
        self.fix_selection();
    }

    /// Keeps the selection on a node of the shown graph: the same id, or the group that now
    /// holds it, or the walked page, or the first mm.
    fn fix_selection(&mut self) {
        let Some(p) = self.panes.first() else { return };
        let g = &p.view.graph;
        if let Some(id) = &self.selected
            && (g.find(id).is_some())
        {
            return;
        }
        let regrouped = self
            .selected
            .as_deref()
            .and_then(|id| g.group_of(id))
            .map(|n| g.node(n).id.clone());
        let walked = g
            .walk
            .as_ref()
            .and_then(|w| w.page_node)
            .map(|n| g.node(n).id.clone());
        let first = p
            .view
            .any_layout()
            .placed
            .iter()
            .find_map(|pl| pl.node)
            .map(|n| g.node(n).id.clone());
        self.selected = regrouped.or(walked).or(first);
    }

    pub(crate) fn candidate_node_id(&self, k: usize) -> Option<String> {
        let p = self.panes.first()?;
        let w = p.view.graph.walk.as_ref()?;
        let n = (*w.candidate_nodes.get(k)?)?;
        Some(p.view.graph.node(n).id.clone())
    }

    /// The view options changed (expand, focus): every cached view is stale.
    pub(crate) fn views_changed(&mut self) {
        let gone = self.cache.clear();
        self.bury(gone);
        self.refresh();
    }

    /// The scenario changed from step `at` (0-based) on.
    pub(crate) fn scenario_changed(&mut self, at: usize) {
        let gone = self.cache.forget_after(at);
        self.bury(gone);
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
