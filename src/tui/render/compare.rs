//! Every scheme at the current step: the walk's counts, the rmap memory and the pages; the shown
//! scheme(s) highlighted. While the quiz reveals the step's walk, the table is that of the state
//! the walk starts from (the step before), the walks' counts kept back as `?`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table};

use super::pane;
use crate::tui::app::App;
use crate::tui::keymap::scheme_digit;

/// Bytes, in KiB (`123K`) from 100000 on, so that the storm's sizes fit the column.
fn bytes(n: u64) -> String {
    if n < 100_000 {
        n.to_string()
    } else {
        format!("{}K", (n + 512) / 1024)
    }
}

/// Draws the table; returns its inner area and the scheme number of its first data row.
pub fn render(app: &App, frame: &mut Frame, area: Rect) -> (Rect, usize) {
    let t = &app.theme;
    let head = Row::new(
        [
            "#",
            "scheme",
            "cand",
            "HIT",
            "MISS",
            "OUT",
            "SKIP",
            "LOST",
            "B i386/x86_64",
            "pages",
        ]
        .map(|h| Cell::from(h).style(t.header)),
    );
    let mut rows = Vec::new();
    // While the quiz reveals the walk: the state before the step (`at` steps done).
    let revealing = app.walk_revealed().is_some();
    let (at, blank) = if revealing {
        (app.step().saturating_sub(1), "?")
    } else {
        (app.step(), "-")
    };
    for (i, name) in app.scheme_names().iter().enumerate() {
        let num = scheme_digit(i).map_or_else(|| (i + 1).to_string(), String::from);
        let shown = i == app.shown.scheme() || Some(i) == app.shown.compare();
        let mark = if i == app.shown.scheme() {
            if app.ascii { ">" } else { "▶" }
        } else if Some(i) == app.shown.compare() {
            "="
        } else {
            " "
        };
        let result = at.checked_sub(1).and_then(|j| app.session.result(i, j));
        let cells: Vec<Cell> = match result {
            _ if at == 0 => vec![Cell::from(blank); 6]
                .into_iter()
                .chain([Cell::from("0 / 0"), Cell::from("0")])
                .collect(),
            None => vec![Cell::from("..."); 8],
            Some(r) => {
                let tot = &r.totals;
                let mem = Cell::from(format!(
                    "{} / {}",
                    bytes(tot.rmap_bytes_i386),
                    bytes(tot.rmap_bytes_x86_64)
                ));
                let pages = Cell::from(tot.pages.to_string());
                match r.walk.as_ref().filter(|_| !revealing) {
                    None => {
                        let mut v = vec![Cell::from(blank); 6];
                        v.push(mem);
                        v.push(pages);
                        v
                    }
                    Some(w) => {
                        let lost = Cell::from(w.lost.len().to_string());
                        let lost = if w.lost.is_empty() {
                            lost
                        } else {
                            lost.style(t.lost)
                        };
                        // On a highlighted row the counts take the row's colours: the
                        // outcome colours are made for the background, not for the bar.
                        let count = |n: u32, st| {
                            Cell::from(n.to_string()).style(if shown { t.selected } else { st })
                        };
                        vec![
                            Cell::from(w.visits.len().to_string()),
                            count(w.hit, t.hit),
                            count(w.miss, t.miss),
                            count(w.out, t.out),
                            count(w.skip, t.skip),
                            lost,
                            mem,
                            pages,
                        ]
                    }
                }
            }
        };
        let mut all = vec![Cell::from(format!("{mark}{num}")), Cell::from(*name)];
        all.extend(cells);
        let row = Row::new(all);
        rows.push(if shown {
            row.style(t.selected)
        } else {
            row.style(t.text)
        });
    }
    let widths = [
        Constraint::Length(2),
        Constraint::Length(20),
        Constraint::Length(4),
        Constraint::Length(3),
        Constraint::Length(4),
        Constraint::Length(3),
        Constraint::Length(4),
        Constraint::Length(4),
        Constraint::Length(13),
        Constraint::Length(8),
    ];
    let title = if revealing {
        format!(" compare before step {}'s walks ", app.step())
    } else {
        format!(" compare at step {} ", app.step())
    };
    let title = Line::from(title);
    let block = pane(app, title, false);
    let inner = block.inner(area);
    let table = Table::new(rows, widths)
        .header(head)
        .block(block)
        .column_spacing(1);
    frame.render_widget(table, area);
    (
        Rect {
            y: inner.y + 1,
            height: inner.height.saturating_sub(1),
            ..inner
        },
        0,
    )
}

#[cfg(test)]
mod tests {
    use super::bytes;

    #[test]
    fn large_byte_counts_turn_into_kib() {
        assert_eq!(bytes(0), "0");
        assert_eq!(bytes(99_999), "99999");
        assert_eq!(bytes(100_000), "98K");
        assert_eq!(bytes(280_224), "274K");
    }
}
