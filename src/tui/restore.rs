//! Offering, at start, the journals of sessions that are no longer running
//! ([`super::journal::orphans`]), one by one: `y` restores one into this session, `n` discards
//! it and offers the next, `Esc` keeps them all for a later start.

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::app::{App, AppOptions, Mode};
use super::journal::Orphan;

impl App {
    /// Offers the journals `found` (newest first), if any.
    pub(crate) fn offer_restores(&mut self, found: Vec<Orphan>) {
        self.restores = found;
        if !self.restores.is_empty() {
            self.mode = Mode::OfferRestore;
        }
    }

    /// A key while a journal is offered.
    pub(crate) fn restore_key(&mut self, k: KeyEvent) {
        match k.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                self.mode = Mode::Normal;
                let o = self.restores.remove(0);
                let later = std::mem::take(&mut self.restores).len();
                self.restore(o, later);
            }
            KeyCode::Char('n') | KeyCode::Char('N') => {
                let o = self.restores.remove(0);
                let name = o.path().display().to_string();
                o.remove();
                if self.restores.is_empty() {
                    self.mode = Mode::Normal;
                }
                self.set_status(format!("discarded the unsaved session {name}"), false);
            }
            KeyCode::Esc => {
                let n = std::mem::take(&mut self.restores).len();
                self.mode = Mode::Normal;
                self.set_status(
                    format!(
                        "kept {n} unsaved session{} for a later start",
                        if n == 1 { "" } else { "s" }
                    ),
                    false,
                );
            }
            _ => {}
        }
    }

    /// Replaces the session with the journal `o`, which becomes this session's journal (the old
    /// file is removed once this session's journal holds the work). `later` journals are left
    /// for a later start.
    fn restore(&mut self, o: Orphan, later: usize) {
        let e = &o.entry;
        let opts = AppOptions {
            scheme: self.scheme_name(),
            compare: None,
            step: e.step.min(e.scenario.steps.len()),
            theme: self.theme.name,
            ascii: self.ascii,
            walk_candidate: None,
        };
        let mut app = match App::interactive(e.scenario.clone(), &e.origin, &opts) {
            Ok(app) => app,
            Err(err) => {
                self.set_status(
                    format!("cannot restore {}: {err}", o.path().display()),
                    true,
                );
                return;
            }
        };
        app.journal = self.journal.take();
        app.dirty = true;
        app.edits = super::app::History::unsaved();
        app.mouse = self.mouse;
        app.colour_off = self.colour_off;
        app.set_colour_depth(self.depth);
        let saved = match &app.journal {
            Some(j) => j
                .write(app.scenario(), &app.origin, app.step())
                .map_err(|err| format!("journal {}: {err}", j.path().display())),
            None => Err("no journal".to_string()),
        };
        let mut status = match saved {
            Ok(()) => {
                o.remove();
                "restored the unsaved session (:w FILE saves it)".to_string()
            }
            // The old journal stays: this session could not take the work over.
            Err(err) => format!(
                "restored the unsaved session; {} is kept ({err})",
                o.path().display()
            ),
        };
        if later > 0 {
            status.push_str(&format!(
                "; {later} more unsaved session{} offered at the next start",
                if later == 1 { " is" } else { "s are" }
            ));
        }
        app.set_status(status, false);
        *self = app;
    }
}
