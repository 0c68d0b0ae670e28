//! The `?` screen, generated from the keymap table, the command line's commands and the op
//! syntax.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::pane;
use crate::scenario::opline::USAGE;
use crate::tui::app::App;
use crate::tui::command::COMMANDS;
use crate::tui::keymap::{BINDINGS, Context};
use crate::tui::keynames::{help_text, keys_text};

/// The help text, line by line (also used by the tests).
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut out = Vec::new();
    for ctx in [Context::Main, Context::Steps, Context::Graph] {
        out.push(Line::styled(format!("Keys {}", ctx.title()), t.title));
        for b in BINDINGS.iter().filter(|b| b.context == ctx) {
            out.push(Line::from(vec![
                Span::styled(format!("  {:<22}", keys_text(b, app.ascii)), t.key),
                Span::styled(help_text(b), t.text),
            ]));
        }
        out.push(Line::raw(""));
    }
    out.push(Line::styled(
        "Command line (:)  Tab completes, Up/Down history, Enter runs, Esc cancels",
        t.title,
    ));
    for (c, h) in COMMANDS {
        out.push(Line::from(vec![
            Span::styled(format!("  :{c:<21}"), t.key),
            Span::styled(h.to_string(), t.text),
        ]));
    }
    out.push(Line::raw(""));
    out.push(Line::styled(
        "Ops (typed after :, inserted after the current step; numbers decimal or 0x hex)",
        t.title,
    ));
    for u in USAGE {
        out.push(Line::styled(format!("  :{u}"), t.text));
    }
    out.push(Line::styled(
        "  PROT: letters from rwx, - for none; any op may end with note=\"...\"",
        t.dim,
    ));
    out.push(Line::raw(""));
    out.push(Line::styled(
        "Steps list: * the step has a note, ! the step was refused (it stays, flagged)",
        t.dim,
    ));
    out.push(Line::styled(
        "Walk outcomes: HIT found the pte; MISS looked, not there; OUT outside the vma;",
        t.dim,
    ));
    out.push(Line::styled(
        "  SKIP not looked at; LOST a pte that maps the page but that the walk never visited",
        t.dim,
    ));
    let (arrow, cross) = if app.ascii {
        ("<", "x")
    } else {
        ("◀", "✗")
    };
    out.push(Line::styled(
        format!(
            "Walk badges: [#k HIT] the walk's k-th candidate (not a count); <walked> or {arrow}"
        ),
        t.dim,
    ));
    out.push(Line::styled(
        format!(
            "  the page walked; (gone) or {cross} a structure the walk freed (a page's pte chain)"
        ),
        t.dim,
    ));
    out
}

pub fn render(app: &App, frame: &mut Frame, area: Rect, scroll: u16) {
    let w = area.width.saturating_sub(4).min(100);
    let h = area.height.saturating_sub(2);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + 1,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, r);
    let title = if app.ascii {
        " help  (Up/Down scroll, ? or Esc closes) "
    } else {
        " help  (↑/↓ scroll, ? or Esc closes) "
    };
    let block = pane(app, title, true).style(app.theme.text.bg(app.theme.bg));
    frame.render_widget(
        Paragraph::new(lines(app)).block(block).scroll((scroll, 0)),
        r,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use crate::tui::app::AppOptions;

    fn text(ascii: bool) -> String {
        let s = Scenario::load("S1").map(|l| l.0).unwrap();
        let opts = AppOptions {
            ascii,
            ..AppOptions::default()
        };
        let app = App::headless(s, &opts).unwrap();
        let lines = lines(&app);
        lines
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The marks the graph draws are explained in the help and the README (issue 16 items 2
    /// and 11: the badge's number read as a count, the freed-chain cross was explained nowhere).
    #[test]
    fn the_graphs_marks_are_explained() {
        let t = text(false);
        for mark in ["[#k HIT]", "k-th candidate", "(gone) or ✗", "<walked> or ◀"] {
            assert!(t.contains(mark), "{mark}:\n{t}");
        }
        let a = text(true);
        assert!(a.contains("(gone) or x") && a.is_ascii(), "{a}");
        let readme = include_str!("../../../README.md");
        assert!(
            readme.contains("marked `(gone)` (`✗`"),
            "README explains the cross"
        );
        assert!(
            readme.contains("`[#k OUTCOME]`"),
            "README explains the badge"
        );
    }
}
