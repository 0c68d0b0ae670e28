//! The one keymap table (gitui's idea, docs/architecture.md §2) and the dispatch it drives:
//! the footer hints and the `?` help screen are generated from [`BINDINGS`] too
//! ([`super::keynames`]), so the help can never drift from the keys.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::scroll::Side;
use crate::schemes::all_schemes;

/// What a key does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    StepNext,
    StepPrev,
    First,
    Last,
    Autoplay,
    /// Autoplay follows each walk's candidates too (on / off).
    AutoplayWalk,
    Faster,
    Slower,
    NextScheme,
    PrevScheme,
    /// `1`-`9`, `0`: the scheme with this number (0-based).
    Scheme(usize),
    Compare,
    /// In compare mode: the next scheme for the right pane.
    NextCompared,
    /// Move the node selection.
    Up,
    Down,
    Left,
    Right,
    /// Steps focus: go to the graph. Graph focus: expand or collapse the selected group.
    Enter,
    /// Graph focus: back to the steps.
    Back,
    Find,
    FocusWalk,
    NextCandidate,
    PrevCandidate,
    Command,
    /// Undo the newest typed op or deletion; redo what was undone.
    Undo,
    Redo,
    /// The quiz on / off: stop before each walk and ask for a prediction.
    Quiz,
    /// What changed from the step before to this one, in full, in a page over the screen.
    Diff,
    /// The 2004 claims checked against the model, in a page over the screen.
    Claims,
    /// Presenter mode on / off: the graph large, the step's note as a caption, no footer.
    Presenter,
    Help,
    /// What every line, mark and colour of the graph means, in a window.
    Legend,
    /// The step in words (the narrative) in a window, for screens too small to show its pane.
    Narrative,
    Quit,
    ToggleMouse,
    NextTheme,
    PageUp,
    PageDown,
    ScrollLeft,
    ScrollRight,
    /// Scroll a side pane (the walk, the inspector, the narrative) by half its height.
    SideDown(Side),
    SideUp(Side),
}

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// The main screen, whatever pane has the focus.
    Main,
    /// The main screen with the steps focused (arrows step).
    Steps,
    /// The main screen with the graph focused (arrows move the selection).
    Graph,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Main => "everywhere",
            Context::Steps => "steps focused (the default)",
            Context::Graph => "graph focused",
        }
    }
}

/// A key as the table writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn k(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: false,
    }
}

const fn code(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}

/// The keys that choose a scheme by its number in the compare table: `1` the first, `0` the
/// tenth. A scheme after the tenth has no digit (Tab reaches it).
const SCHEME_DIGITS: [Key; 10] = [
    k('1'),
    k('2'),
    k('3'),
    k('4'),
    k('5'),
    k('6'),
    k('7'),
    k('8'),
    k('9'),
    k('0'),
];

/// The digit key of scheme number `i` (from 0), as the compare table's `#` column shows it.
pub fn scheme_digit(i: usize) -> Option<char> {
    match SCHEME_DIGITS.get(i)?.code {
        KeyCode::Char(c) => Some(c),
        _ => None,
    }
}

/// One row of the table.
#[derive(Clone, Copy, Debug)]
pub struct Binding {
    pub context: Context,
    pub keys: &'static [Key],
    pub action: Action,
    /// What the help screen says.
    pub help: &'static str,
    /// The footer's short word, if the binding is shown there.
    pub footer: Option<&'static str>,
}

macro_rules! bind {
    ($ctx:ident, [$($key:expr),+], $action:expr, $help:literal, $footer:expr) => {
        Binding {
            context: Context::$ctx,
            keys: &[$($key),+],
            action: $action,
            help: $help,
            footer: $footer,
        }
    };
}

/// Every key of the main screen. The command line, the help screen and the questions have their
/// own few keys, listed in the help screen's text.
pub static BINDINGS: &[Binding] = &[
    bind!(
        Steps,
        [code(KeyCode::Right), k('l')],
        Action::StepNext,
        "next step",
        Some("step")
    ),
    bind!(
        Steps,
        [code(KeyCode::Left), k('h')],
        Action::StepPrev,
        "previous step",
        None
    ),
    bind!(
        Steps,
        [code(KeyCode::Down), k('j')],
        Action::Down,
        "select the next node of the column",
        None
    ),
    bind!(
        Steps,
        [code(KeyCode::Up), k('k')],
        Action::Up,
        "select the previous node of the column",
        None
    ),
    bind!(
        Steps,
        [code(KeyCode::Enter)],
        Action::Enter,
        "move the focus to the graph",
        Some("graph")
    ),
    bind!(
        Graph,
        [code(KeyCode::Left), k('h')],
        Action::Left,
        "select a node in the column to the left",
        None
    ),
    bind!(
        Graph,
        [code(KeyCode::Right), k('l')],
        Action::Right,
        "select a node in the column to the right",
        None
    ),
    bind!(
        Graph,
        [code(KeyCode::Down), k('j')],
        Action::Down,
        "select the node below",
        None
    ),
    bind!(
        Graph,
        [code(KeyCode::Up), k('k')],
        Action::Up,
        "select the node above",
        Some("select")
    ),
    bind!(
        Graph,
        [code(KeyCode::Enter)],
        Action::Enter,
        "expand or collapse the selected group",
        Some("expand")
    ),
    bind!(
        Graph,
        [code(KeyCode::Esc)],
        Action::Back,
        "move the focus back to the steps",
        Some("steps")
    ),
    bind!(Main, [k(' ')], Action::StepNext, "next step", None),
    bind!(
        Main,
        [k('g'), code(KeyCode::Home)],
        Action::First,
        "before the first step",
        None
    ),
    bind!(
        Main,
        [k('G'), code(KeyCode::End)],
        Action::Last,
        "last step",
        None
    ),
    bind!(
        Main,
        [k('p')],
        Action::Autoplay,
        "autoplay on / off",
        Some("play")
    ),
    bind!(
        Main,
        [k('a')],
        Action::AutoplayWalk,
        "autoplay follows each walk's candidates one by one too (on / off)",
        None
    ),
    bind!(
        Main,
        [k('+'), k('=')],
        Action::Faster,
        "autoplay faster",
        None
    ),
    bind!(Main, [k('-')], Action::Slower, "autoplay slower", None),
    bind!(
        Main,
        [code(KeyCode::Tab)],
        Action::NextScheme,
        "next scheme",
        Some("scheme")
    ),
    bind!(
        Main,
        [code(KeyCode::BackTab)],
        Action::PrevScheme,
        "previous scheme",
        None
    ),
    Binding {
        context: Context::Main,
        keys: &SCHEME_DIGITS,
        action: Action::Scheme(0),
        help: "scheme 1 to N (as in the compare table)",
        footer: None,
    },
    bind!(
        Main,
        [k('c')],
        Action::Compare,
        "compare mode: two schemes side by side",
        Some("compare")
    ),
    bind!(
        Main,
        [k('x')],
        Action::NextCompared,
        "compare mode: next scheme on the right",
        None
    ),
    bind!(
        Main,
        [k('n')],
        Action::NextCandidate,
        "follow the walk: next candidate",
        Some("walk")
    ),
    bind!(
        Main,
        [k('N')],
        Action::PrevCandidate,
        "follow the walk: previous candidate",
        None
    ),
    bind!(
        Main,
        [k('f')],
        Action::FocusWalk,
        "focus: only the walk and its neighbours",
        Some("focus")
    ),
    bind!(
        Main,
        [k('/')],
        Action::Find,
        "find a node by id, label or address",
        Some("find")
    ),
    bind!(
        Main,
        [code(KeyCode::PageDown)],
        Action::PageDown,
        "scroll the graph down",
        None
    ),
    bind!(
        Main,
        [code(KeyCode::PageUp)],
        Action::PageUp,
        "scroll the graph up",
        None
    ),
    bind!(
        Main,
        [k('<')],
        Action::ScrollLeft,
        "scroll the graph left",
        None
    ),
    bind!(
        Main,
        [k('>')],
        Action::ScrollRight,
        "scroll the graph right (to the pages column)",
        None
    ),
    bind!(
        Main,
        [k(':')],
        Action::Command,
        "command line: type an op, :goto N, :w FILE, :help",
        Some("live")
    ),
    bind!(
        Main,
        [k('u')],
        Action::Undo,
        "undo the last typed op or step deletion",
        None
    ),
    bind!(Main, [ctrl('r')], Action::Redo, "redo what u undid", None),
    bind!(
        Main,
        [k('Q')],
        Action::Quiz,
        "quiz on / off: stepping on stops before each walk to ask what it finds, then reveals it",
        None
    ),
    bind!(
        Main,
        [k('d')],
        Action::Diff,
        "what changed from the step before, in full (:diff I J for any two steps; the graph underlines what changed)",
        None
    ),
    bind!(
        Main,
        [k('P')],
        Action::Presenter,
        "presenter mode on / off: the graph large, the step's note as a caption, no footer",
        None
    ),
    bind!(
        Main,
        [k('C')],
        Action::Claims,
        "the 2004 claims (Andrea Arcangeli's mail) checked against the model, computed now",
        None
    ),
    bind!(
        Main,
        [k('m')],
        Action::ToggleMouse,
        "mouse on / off (click selects, the wheel scrolls the pane under it)",
        None
    ),
    bind!(Main, [k('t')], Action::NextTheme, "next colour theme", None),
    bind!(
        Main,
        [k('e')],
        Action::Narrative,
        "the step explained (note, walk, events) in a window; e or Esc closes it",
        None
    ),
    bind!(
        Main,
        [k('L')],
        Action::Legend,
        "legend: what every line, mark and colour of the graph means; L or Esc closes it",
        Some("legend")
    ),
    bind!(Main, [k('?')], Action::Help, "this help", Some("help")),
    bind!(
        Main,
        [k('q'), ctrl('c')],
        Action::Quit,
        "quit (asks first if typed ops are unsaved)",
        Some("quit")
    ),
    bind!(
        Main,
        [k(']')],
        Action::SideDown(Side::Walk),
        "scroll the walk pane down",
        Some("scroll")
    ),
    bind!(
        Main,
        [k('[')],
        Action::SideUp(Side::Walk),
        "scroll the walk pane up (n / N scroll it to the candidate)",
        None
    ),
    bind!(
        Main,
        [k('}')],
        Action::SideDown(Side::Inspector),
        "scroll the inspector down",
        None
    ),
    bind!(
        Main,
        [k('{')],
        Action::SideUp(Side::Inspector),
        "scroll the inspector up",
        None
    ),
    bind!(
        Main,
        [k(')')],
        Action::SideDown(Side::Narrative),
        "scroll the narrative (the step in words) down",
        None
    ),
    bind!(
        Main,
        [k('(')],
        Action::SideUp(Side::Narrative),
        "scroll the narrative up",
        None
    ),
];

/// Whether `key` matches the table's `want`.
fn matches(want: &Key, ev: &KeyEvent) -> bool {
    let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
    if want.ctrl != ctrl {
        return false;
    }
    match (want.code, ev.code) {
        // Terminals differ on whether Shift is reported with an upper-case letter.
        (KeyCode::Char(a), KeyCode::Char(b)) => a == b,
        (a, b) => a == b,
    }
}

/// The action of a key in `context` (bindings of `Main` apply in every context).
pub fn lookup(context: Context, ev: &KeyEvent) -> Option<Action> {
    for b in BINDINGS {
        if b.context != context && b.context != Context::Main {
            continue;
        }
        for (i, want) in b.keys.iter().enumerate() {
            if matches(want, ev) {
                return Some(match b.action {
                    Action::Scheme(_) => Action::Scheme(i),
                    a => a,
                });
            }
        }
    }
    None
}

/// The number of schemes the digit keys choose from.
pub fn digit_schemes() -> usize {
    all_schemes().len().min(SCHEME_DIGITS.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::keynames::key_name;

    fn ev(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn the_issue_keys_do_what_it_says() {
        use Action::*;
        let s = Context::Steps;
        assert_eq!(lookup(s, &ev(KeyCode::Right)), Some(StepNext));
        assert_eq!(lookup(s, &ev(KeyCode::Char('l'))), Some(StepNext));
        assert_eq!(lookup(s, &ev(KeyCode::Char(' '))), Some(StepNext));
        assert_eq!(lookup(s, &ev(KeyCode::Left)), Some(StepPrev));
        assert_eq!(lookup(s, &ev(KeyCode::Char('h'))), Some(StepPrev));
        assert_eq!(lookup(s, &ev(KeyCode::Char('g'))), Some(First));
        assert_eq!(lookup(s, &ev(KeyCode::Char('G'))), Some(Last));
        assert_eq!(lookup(s, &ev(KeyCode::Tab)), Some(NextScheme));
        assert_eq!(lookup(s, &ev(KeyCode::BackTab)), Some(PrevScheme));
        assert_eq!(lookup(s, &ev(KeyCode::Char('1'))), Some(Scheme(0)));
        assert_eq!(lookup(s, &ev(KeyCode::Char('9'))), Some(Scheme(8)));
        assert_eq!(lookup(s, &ev(KeyCode::Char('0'))), Some(Scheme(9)));
        assert_eq!(lookup(s, &ev(KeyCode::Char('c'))), Some(Compare));
        assert_eq!(lookup(s, &ev(KeyCode::Char('n'))), Some(NextCandidate));
        assert_eq!(lookup(s, &ev(KeyCode::Char('N'))), Some(PrevCandidate));
        assert_eq!(lookup(s, &ev(KeyCode::Char(':'))), Some(Command));
        assert_eq!(lookup(s, &ev(KeyCode::Char('?'))), Some(Help));
        assert_eq!(lookup(s, &ev(KeyCode::Char('q'))), Some(Quit));
        let c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(lookup(s, &c), Some(Quit), "Ctrl-C quits, plain c compares");
        assert_eq!(lookup(s, &ev(KeyCode::Char('u'))), Some(Undo));
        let r = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL);
        assert_eq!(lookup(Context::Graph, &r), Some(Redo));
        assert_eq!(lookup(s, &ev(KeyCode::Char('r'))), None, "plain r is free");
        // In the graph, the arrows move the selection instead of stepping.
        let g = Context::Graph;
        assert_eq!(lookup(g, &ev(KeyCode::Right)), Some(Right));
        assert_eq!(lookup(g, &ev(KeyCode::Char('h'))), Some(Left));
        assert_eq!(lookup(g, &ev(KeyCode::Enter)), Some(Enter));
        assert_eq!(lookup(g, &ev(KeyCode::Char(' '))), Some(StepNext));
        assert_eq!(lookup(g, &ev(KeyCode::Char('z'))), None);
    }

    /// The digits choose the registry's schemes in the compare table's order, `0` the tenth.
    #[test]
    fn the_digit_keys_follow_the_registry() {
        let n = all_schemes().len();
        for i in 0..n.min(10) {
            let d = scheme_digit(i).expect("a digit for each of the first ten");
            assert_eq!(
                lookup(Context::Steps, &ev(KeyCode::Char(d))),
                Some(Action::Scheme(i))
            );
        }
        assert_eq!(scheme_digit(0), Some('1'));
        assert_eq!(scheme_digit(9), Some('0'));
        assert_eq!(scheme_digit(10), None, "no digit after the tenth");
    }

    #[test]
    fn no_key_is_bound_twice_in_one_context() {
        for ctx in [Context::Steps, Context::Graph] {
            let mut seen: Vec<Key> = Vec::new();
            for b in BINDINGS
                .iter()
                .filter(|b| b.context == ctx || b.context == Context::Main)
            {
                for key in b.keys {
                    assert!(
                        !seen.contains(key),
                        "{} bound twice in {ctx:?}",
                        key_name(key)
                    );
                    seen.push(*key);
                }
            }
        }
    }

    #[test]
    fn the_side_panes_scroll_in_both_contexts() {
        for ctx in [Context::Steps, Context::Graph] {
            let down = |c| lookup(ctx, &ev(KeyCode::Char(c)));
            assert_eq!(down(']'), Some(Action::SideDown(Side::Walk)));
            assert_eq!(down('['), Some(Action::SideUp(Side::Walk)));
            assert_eq!(down('}'), Some(Action::SideDown(Side::Inspector)));
            assert_eq!(down('{'), Some(Action::SideUp(Side::Inspector)));
            assert_eq!(down(')'), Some(Action::SideDown(Side::Narrative)));
            assert_eq!(down('('), Some(Action::SideUp(Side::Narrative)));
        }
        // The graph's own keys are unchanged.
        let g = Context::Graph;
        assert_eq!(lookup(g, &ev(KeyCode::PageDown)), Some(Action::PageDown));
        assert_eq!(lookup(g, &ev(KeyCode::Char('j'))), Some(Action::Down));
    }
}
