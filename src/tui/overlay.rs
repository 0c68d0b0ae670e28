//! The text pages over the screen, each computed when it opens and scrolled with the arrows:
//! the difference between two steps (`d` for the step before and the current one, `:diff I [J]`
//! for any two) and the 2004 claims checked against the model (`C`, `:claims`), the same
//! content as `rmapviz claims`.

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::app::{App, Mode};
use crate::claims::{self, Report};
use crate::session::StateDiff;

/// What a page shows.
#[derive(Clone, Debug)]
pub enum Sheet {
    /// What changed under scheme number `scheme` from the state after `from` steps to the state
    /// after `to` steps.
    Diff {
        scheme: usize,
        from: usize,
        to: usize,
        diff: StateDiff,
    },
    /// The claims of the mail of 12 March 2004, checked now (or why they could not be).
    Claims(Result<Report, String>),
}

/// A page over the screen and how far it is scrolled.
#[derive(Clone, Debug)]
pub struct Overlay {
    pub sheet: Sheet,
    /// The first line shown.
    pub scroll: u16,
}

impl App {
    /// Opens the difference under the shown scheme from the state after `from` steps to the
    /// state after `to`; false (and a message) when a step is out of range.
    pub(crate) fn open_diff(&mut self, from: usize, to: usize) -> bool {
        let scheme = self.shown.scheme();
        match self.session.diff(scheme, from, to) {
            Ok(diff) => {
                self.overlay = Some(Overlay {
                    sheet: Sheet::Diff {
                        scheme,
                        from,
                        to,
                        diff,
                    },
                    scroll: 0,
                });
                self.mode = Mode::Overlay;
                true
            }
            Err(e) => {
                self.set_status(format!("diff: {e}"), true);
                false
            }
        }
    }

    /// Opens the claims page, checking the claims now.
    pub(crate) fn open_claims(&mut self) {
        let report = claims::check().map_err(|e| format!("the claims cannot be checked: {e}"));
        self.overlay = Some(Overlay {
            sheet: Sheet::Claims(report),
            scroll: 0,
        });
        self.mode = Mode::Overlay;
    }

    /// A key while a page is open: the arrows, `j` `k`, `PgUp` `PgDn`, `space`, `g` `G`
    /// scroll; `←` `→` (`h` `l`) move a difference by one step; `Esc`, `q`, or the key that
    /// opened the page close it.
    pub(crate) fn overlay_key(&mut self, k: KeyEvent) {
        let (rows, total) = self.frame.overlay.unwrap_or((1, 1));
        let last = total.saturating_sub(rows);
        let page = rows.saturating_sub(1).max(1);
        let len = self.len();
        let Some(o) = self.overlay.as_mut() else {
            self.mode = Mode::Normal;
            return;
        };
        let closes = match &o.sheet {
            Sheet::Diff { .. } => 'd',
            Sheet::Claims(_) => 'C',
        };
        match k.code {
            KeyCode::Down | KeyCode::Char('j') => o.scroll = (o.scroll + 1).min(last),
            KeyCode::Up | KeyCode::Char('k') => o.scroll = o.scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => o.scroll = (o.scroll + page).min(last),
            KeyCode::PageUp => o.scroll = o.scroll.saturating_sub(page),
            KeyCode::Home | KeyCode::Char('g') => o.scroll = 0,
            KeyCode::End | KeyCode::Char('G') => o.scroll = last,
            KeyCode::Left | KeyCode::Right | KeyCode::Char('h') | KeyCode::Char('l') => {
                if let Sheet::Diff { from, to, .. } = o.sheet {
                    let back = matches!(k.code, KeyCode::Left | KeyCode::Char('h'));
                    let (f, t) = if back {
                        (from.saturating_sub(1), to.saturating_sub(1))
                    } else {
                        ((from + 1).min(len), (to + 1).min(len))
                    };
                    if (f, t) != (from, to) {
                        self.open_diff(f, t);
                    }
                }
            }
            KeyCode::Esc | KeyCode::Char('q') => self.close_overlay(),
            KeyCode::Char(c) if c == closes => self.close_overlay(),
            _ => {}
        }
    }

    pub(crate) fn close_overlay(&mut self) {
        self.overlay = None;
        self.mode = Mode::Normal;
    }
}
