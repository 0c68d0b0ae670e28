//! `Msg -> update`: every key, mouse event and tick goes through [`App::update`]; the keymap
//! table decides what a key means on the main screen.

use std::time::Instant;

use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent};

use super::app::{App, Focus, Mode};
use super::keymap::{Action, Context, lookup};
use super::theme::ThemeName;
use crate::schemes::scheme_number;
use crate::view::Detail;

/// A message to the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    /// Time passed (autoplay).
    Tick,
    /// The terminal was resized: only a redraw is needed.
    Resize,
}

impl Msg {
    /// The message for a terminal event; key releases and repeats are dropped (Windows and
    /// kitty-protocol terminals report them, which would step twice).
    pub fn from_event(ev: Event) -> Option<Msg> {
        match ev {
            Event::Key(k) if k.kind == KeyEventKind::Press => Some(Msg::Key(k)),
            Event::Mouse(m) => Some(Msg::Mouse(m)),
            Event::Resize(..) => Some(Msg::Resize),
            _ => None,
        }
    }
}

impl App {
    /// Handles one message.
    pub fn update(&mut self, msg: Msg) {
        self.forget_moved_scrolls();
        match msg {
            Msg::Key(k) => {
                if !self.moves_step(&k) {
                    self.reach_target();
                }
                self.key(k)
            }
            Msg::Mouse(m) => self.mouse_event(m),
            Msg::Tick => self.tick(),
            Msg::Resize => {}
        }
        self.settle_band();
        self.forget_moved_scrolls();
    }

    /// Handles messages read together from the terminal. When the loop falls behind a held
    /// key, the keys queue up and arrive together: only the last step they lead to has its
    /// view built, the ones before it only move the target ([`App::step_to`]).
    pub fn update_all(&mut self, msgs: Vec<Msg>) {
        let n = msgs.len();
        for (i, m) in msgs.into_iter().enumerate() {
            self.coalesce = i + 1 < n;
            self.update(m);
        }
        self.coalesce = false;
        self.reach_target();
    }

    /// Whether key `k` only moves between steps (on the main screen): keys read together that
    /// all do may leave the steps between them unbuilt.
    fn moves_step(&self, k: &KeyEvent) -> bool {
        let ctx = match self.focus {
            Focus::Steps => Context::Steps,
            Focus::Graph => Context::Graph,
        };
        matches!(self.mode, Mode::Normal)
            && matches!(
                lookup(ctx, k),
                Some(Action::StepNext | Action::StepPrev | Action::First | Action::Last)
            )
    }

    /// Shows the step that keys read before this one asked for, if it is simulated, so that
    /// this key applies to the state those keys produced. (A step still being simulated stays
    /// a target; what is typed then goes after it, [`App::step_asked`].)
    fn reach_target(&mut self) {
        if let Some(t) = self.shown.target()
            && self.caught_up(t)
        {
            let coalesce = std::mem::replace(&mut self.coalesce, false);
            self.step_to(t);
            self.coalesce = coalesce;
        }
    }

    /// Shows theme `name`, unless colour is off and it has colours.
    pub(crate) fn choose_theme(&mut self, name: ThemeName) {
        if self.colour_off && name != ThemeName::Mono {
            self.set_status(
                "colour is off (--color never or NO_COLOR): the mono theme stays; --color always allows colour",
                true,
            );
            return;
        }
        self.set_theme(name);
        self.set_status(format!("theme {name}"), false);
    }

    /// True once the app wants to end.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    fn key(&mut self, k: KeyEvent) {
        match self.mode.clone() {
            Mode::Help { scroll } => {
                let scroll = match k.code {
                    KeyCode::Down | KeyCode::Char('j') => scroll.saturating_add(1),
                    KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
                    KeyCode::PageDown | KeyCode::Char(' ') => scroll.saturating_add(10),
                    KeyCode::PageUp => scroll.saturating_sub(10),
                    KeyCode::Char('q') | KeyCode::Esc | KeyCode::Char('?') | KeyCode::Enter => {
                        self.mode = Mode::Normal;
                        return;
                    }
                    _ => scroll,
                };
                self.mode = Mode::Help { scroll };
            }
            Mode::Legend { scroll } => {
                let close = lookup(Context::Main, &k) == Some(Action::Legend);
                let scroll = match k.code {
                    _ if close => {
                        self.mode = Mode::Normal;
                        return;
                    }
                    KeyCode::Esc | KeyCode::Char('q') => {
                        self.mode = Mode::Normal;
                        return;
                    }
                    KeyCode::Down | KeyCode::Char('j') => scroll.saturating_add(1),
                    KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
                    KeyCode::PageDown | KeyCode::Char(' ') => scroll.saturating_add(10),
                    KeyCode::PageUp => scroll.saturating_sub(10),
                    _ => scroll,
                };
                // No further than the last position that fills the window.
                self.mode = Mode::Legend {
                    scroll: scroll.min(self.frame.legend_end.unwrap_or(0)),
                };
            }
            Mode::Command | Mode::Search => self.line_key(k),
            Mode::ConfirmQuit => match k.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    if let Some(j) = &self.journal {
                        j.clear();
                    }
                    self.quit = true;
                }
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                    self.mode = Mode::Normal;
                    self.set_status("not quitting: :w FILE saves the scenario", false);
                }
                _ => {}
            },
            Mode::OfferRestore => self.restore_key(k),
            Mode::Quiz => self.quiz_key(k),
            Mode::Overlay => self.overlay_key(k),
            Mode::Narrative if k.code == KeyCode::Esc => self.mode = Mode::Normal,
            Mode::Normal | Mode::Narrative => {
                self.status = None;
                let ctx = match self.focus {
                    Focus::Steps => Context::Steps,
                    Focus::Graph => Context::Graph,
                };
                if let Some(a) = lookup(ctx, &k) {
                    self.action(a);
                }
            }
        }
    }

    /// Does what a key of the main screen means.
    pub fn action(&mut self, a: Action) {
        let len = self.len();
        match a {
            Action::StepNext => {
                let at = self.step_asked();
                if self.quiz_stops_before(at) {
                    // The quiz asks before the walk is shown.
                } else if at < len {
                    self.step_to(at + 1);
                } else {
                    self.playback.stop();
                    self.set_status("at the last step (: types a new op)", false);
                }
            }
            Action::StepPrev => self.step_to(self.step_asked().saturating_sub(1)),
            Action::First => self.step_to(0),
            Action::Last => self.step_to(len),
            Action::Autoplay => self.playback.toggle(Instant::now()),
            Action::AutoplayWalk => {
                let on = self.playback.toggle_walk();
                self.set_status(
                    if on {
                        "autoplay follows each walk's candidates one by one (p plays)"
                    } else {
                        "autoplay steps without following the walks"
                    },
                    false,
                );
            }
            Action::Faster => self.playback.faster(),
            Action::Slower => self.playback.slower(),
            Action::NextScheme | Action::PrevScheme => {
                let n = self.scheme_names().len();
                let s = self.shown.scheme();
                let next = if a == Action::NextScheme {
                    (s + 1) % n
                } else {
                    (s + n - 1) % n
                };
                self.show_scheme(next);
            }
            Action::Scheme(i) => {
                if i < self.scheme_names().len() {
                    self.show_scheme(i);
                } else {
                    self.set_status(
                        format!("there are {} schemes", self.scheme_names().len()),
                        true,
                    );
                }
            }
            Action::Compare => {
                let n = self.scheme_names().len();
                let c = match self.shown.compare() {
                    Some(_) => None,
                    None if n > 1 => Some(self.default_compared()),
                    None => None,
                };
                self.shown.set_compare(c);
                self.refresh();
            }
            Action::NextCompared => {
                if self.shown.compare().is_some() {
                    self.shown.next_compared(self.scheme_names().len());
                    self.refresh();
                }
            }
            Action::Up | Action::Down | Action::Left | Action::Right => self.move_selection(a),
            Action::Enter => match self.focus {
                Focus::Steps => self.focus = Focus::Graph,
                Focus::Graph => self.toggle_group(),
            },
            Action::Back => self.focus = Focus::Steps,
            Action::Find => {
                self.prompt.open();
                self.mode = Mode::Search;
            }
            Action::FocusWalk => {
                let on = !self.views.focus_walk();
                self.views.set_focus_walk(on);
                self.refresh();
                if on && self.walk().is_none() {
                    self.set_status("focus is on, but this step has no walk to focus on", false);
                }
            }
            Action::NextCandidate | Action::PrevCandidate => {
                let n = self.candidates();
                if n == 0 {
                    self.set_status("no walk at this step", false);
                    return;
                }
                let next = match (a, self.shown.candidate()) {
                    (Action::NextCandidate, None) => Some(0),
                    (Action::NextCandidate, Some(k)) if k + 1 < n => Some(k + 1),
                    (Action::NextCandidate, Some(_)) => None,
                    (_, None) => Some(n - 1),
                    (_, Some(0)) => None,
                    (_, Some(k)) => Some(k - 1),
                };
                self.set_walk_candidate(next);
            }
            Action::Command => {
                self.prompt.open();
                self.mode = Mode::Command;
            }
            Action::Quiz => self.toggle_quiz(),
            Action::Diff => {
                let to = self.step();
                self.open_diff(to.saturating_sub(1), to);
            }
            Action::Claims => self.open_claims(),
            Action::Presenter => {
                self.presenter = !self.presenter;
                if !self.presenter {
                    self.set_status("presenter mode off (P turns it on)", false);
                }
            }
            Action::Undo => self.undo(),
            Action::Redo => self.redo(),
            Action::Help => self.mode = Mode::Help { scroll: 0 },
            Action::Legend => self.mode = Mode::Legend { scroll: 0 },
            Action::Narrative => {
                self.mode = if self.mode == Mode::Narrative {
                    Mode::Normal
                } else {
                    Mode::Narrative
                }
            }
            Action::Quit => self.request_quit(),
            Action::ToggleMouse => {
                self.mouse = !self.mouse;
                self.set_status(
                    if self.mouse {
                        "mouse on: click selects, the wheel scrolls (m turns it off to select text)"
                    } else {
                        "mouse off"
                    },
                    false,
                );
            }
            Action::NextTheme => {
                let next = self.theme.name.next();
                self.choose_theme(next);
            }
            Action::ScrollLeft | Action::ScrollRight | Action::PageDown | Action::PageUp => {
                self.page_graph(a)
            }
            Action::SideDown(side) => self.scroll_side_page(side, true),
            Action::SideUp(side) => self.scroll_side_page(side, false),
        }
    }

    /// The scheme compared by default: the shown scheme's partner (anonmm-naive against
    /// anon-vma, the S3 lesson), else the next scheme.
    fn default_compared(&self) -> usize {
        let s = self.shown.scheme();
        self.scheme_info(s)
            .compare_with
            .and_then(|name| scheme_number(name).ok())
            .filter(|&c| c != s)
            .unwrap_or((s + 1) % self.scheme_names().len())
    }

    pub(crate) fn request_quit(&mut self) {
        if self.dirty {
            self.mode = Mode::ConfirmQuit;
        } else {
            if let Some(j) = &self.journal {
                j.clear();
            }
            self.quit = true;
        }
    }

    fn tick(&mut self) {
        if self.playback.due(Instant::now()) {
            if self.shown.target().is_some() {
                // Autoplay waits for the step it asked for.
            } else if self.playback.follows_walk() && self.follow_next_candidate() {
                // A candidate of this step's walk this tick.
            } else if self.step() < self.len() && !self.quiz_stops_before(self.step()) {
                self.step_to(self.step() + 1);
            }
            // Autoplay ends on the last step (not one tick after it), and its walk's last
            // candidate when it follows them.
            let candidates_left = self.playback.follows_walk()
                && self
                    .shown
                    .candidate()
                    .map_or(self.candidates(), |k| self.candidates() - k - 1)
                    > 0;
            if self.shown.target().is_none() && self.step() >= self.len() && !candidates_left {
                self.playback.stop();
            }
        }
    }

    /// Follows the next candidate of the shown walk; false when there is none left.
    fn follow_next_candidate(&mut self) -> bool {
        let n = self.candidates();
        let next = match self.shown.candidate() {
            None if n > 0 => 0,
            Some(k) if k + 1 < n => k + 1,
            _ => return false,
        };
        self.set_walk_candidate(Some(next));
        true
    }

    /// Moves the selection: up / down within the column, left / right to the nearest row of
    /// the next column that has nodes.
    fn move_selection(&mut self, a: Action) {
        self.selection.follow_again();
        let Some(sheet) = self.sheet(0, None) else {
            return;
        };
        let (g, l, band) = (sheet.graph, sheet.layout, sheet.band);
        let cur = self
            .selection
            .id()
            .and_then(|id| g.find(id))
            .and_then(|n| l.of(n))
            .cloned();
        let Some(cur) = cur else { return };
        let target = match a {
            Action::Up | Action::Down => {
                let rows: Box<dyn Iterator<Item = u32>> = if a == Action::Up {
                    Box::new((0..cur.row).rev())
                } else {
                    Box::new(cur.row + 1..l.height)
                };
                rows.filter_map(|r| l.at(r, cur.column)).next()
            }
            _ => {
                let cols: Vec<usize> = if a == Action::Left {
                    (0..cur.column).rev().collect()
                } else {
                    (cur.column + 1..4).collect()
                };
                cols.into_iter().find_map(|c| {
                    (0..l.height)
                        .filter_map(|r| l.at(r, c).map(|n| (r.abs_diff(cur.row), n)))
                        .min_by_key(|&(d, _)| d)
                        .map(|(_, n)| n)
                })
            }
        };
        let id = target.map(|n| g.node(n).id.clone());
        match (id, band) {
            (Some(id), _) => self.selection.select(id),
            // Past the band's last (first) row: the next (previous) band's first (last) node
            // of the column.
            (None, Some((b, _))) if matches!(a, Action::Up | Action::Down) => {
                self.select_across_band(b, cur.column, a == Action::Down);
            }
            _ => {}
        }
    }

    /// Enter on a group shows its members one by one and selects the first; Enter on a member
    /// of an expanded group folds the group again and
    /// selects it.
    fn toggle_group(&mut self) {
        let Some(p) = self.views.main() else { return };
        let Some(n) = self.selection.id().and_then(|id| p.view.graph.find(id)) else {
            return;
        };
        let node = p.view.graph.node(n);
        if node.kind.is_group() {
            let (gid, count, name) = (node.id.clone(), node.count, node.label_at(Detail::Brief));
            if count > 5000 {
                self.set_status(
                    format!("{count} members are too many to show one by one"),
                    true,
                );
                return;
            }
            let first = node.members().map(|m| m.first.clone());
            let status = format!("expanded {name}; Enter on a member folds them again");
            self.views.set_expanded(&gid, true);
            self.refresh();
            if let Some(id) = first {
                self.select(&id);
            }
            self.set_status(status, false);
            return;
        }
        let group = node
            .member_of()
            .filter(|g| self.views.is_expanded(g))
            .map(str::to_string);
        match group {
            Some(gid) => {
                self.views.set_expanded(&gid, false);
                self.refresh();
                self.select(&gid);
                let name = self
                    .views
                    .main()
                    .and_then(|p| p.view.graph.find(&gid).map(|n| p.view.graph.node(n)))
                    .map_or(gid.clone(), |n| n.label_at(Detail::Brief).to_string());
                self.set_status(format!("folded into {name}"), false);
            }
            None => self.set_status("not a group (groups read \"+ N ...\")", false),
        }
    }

    fn line_key(&mut self, k: KeyEvent) {
        let command = self.mode == Mode::Command;
        match k.code {
            KeyCode::Esc => self.mode = Mode::Normal,
            KeyCode::Enter => {
                let line = self.prompt.value().trim().to_string();
                self.mode = Mode::Normal;
                if command {
                    self.prompt.remember(&line);
                    // A line that failed stays open, as typed, with the error above it.
                    if !self.run_command(&line) && self.mode == Mode::Normal {
                        self.prompt.set(line);
                        self.mode = Mode::Command;
                    }
                } else {
                    self.find(&line);
                }
            }
            KeyCode::Tab if command => self.complete(),
            KeyCode::Up | KeyCode::Down if command => self.prompt.recall(k.code == KeyCode::Up),
            KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                self.mode = Mode::Normal;
            }
            _ => self.prompt.edit(k),
        }
    }

    /// `/`: a node by id ("p7", "av1", "vma3", "pid2"), by address (the vma that holds it), or
    /// by a piece of its label.
    fn find(&mut self, q: &str) {
        if q.is_empty() {
            return;
        }
        let Some(p) = self.views.main() else { return };
        let g = &p.view.graph;
        let hit = g.search(q);
        match hit {
            Some(n) => {
                let nd = g.node(n);
                let id = nd.id.clone();
                let status = if nd.kind.is_group() && id != q {
                    format!(
                        "{q} is folded into {} (Enter shows its members)",
                        nd.label_at(Detail::Brief)
                    )
                } else {
                    format!("found {}", nd.label_at(Detail::Compact))
                };
                self.set_status(status, false);
                self.selection.select(id);
            }
            None => self.set_status(format!("no node matches \"{q}\" at this step"), true),
        }
    }
}
