//! The text of `rmapviz compare`: for every walk step a table with one row per scheme, then
//! what each scheme holds after the last step.

use std::fmt::Write as _;

use crate::model::{Walk, WalkKind};
use crate::scenario::Scenario;
use crate::session::{ComparedRun, Comparison};

/// Width the notes are wrapped to.
const NOTE_WIDTH: usize = 96;

/// Greedy word wrap of `text` to `width` columns, each line indented by `indent`.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > width {
            let _ = writeln!(out, "{indent}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}{line}");
    }
    out
}

/// A row of cells, each padded to its column's width; numbers right-aligned.
fn row(cells: &[String], widths: &[usize], right: &[bool]) -> String {
    let parts: Vec<String> = cells
        .iter()
        .zip(widths.iter().zip(right))
        .map(|(c, (&w, &r))| {
            if r {
                format!("{c:>w$}")
            } else {
                format!("{c:<w$}")
            }
        })
        .collect();
    format!("  {}", parts.join("  ").trim_end())
}

/// Formats a table: a header and rows; column widths fit the widest cell.
fn table(header: &[&str], rows: &[Vec<String>], right: &[bool]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.len());
        }
    }
    let head: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let mut out = row(&head, &widths, right);
    out.push('\n');
    for r in rows {
        out.push_str(&row(r, &widths, right));
        out.push('\n');
    }
    out
}

/// try_to_unmap: no pte maps the page any more; page_referenced: every pte was checked.
fn verdict(w: &Walk) -> &'static str {
    if w.unmapped_all { "yes" } else { "NO" }
}

fn walk_cells(w: &Walk) -> Vec<String> {
    vec![
        w.page.to_string(),
        w.object.clone(),
        w.candidates().to_string(),
        w.nodes_visited.to_string(),
        w.hit.to_string(),
        w.miss.to_string(),
        w.out.to_string(),
        w.skip.to_string(),
        w.lost.len().to_string(),
        verdict(w).to_string(),
    ]
}

/// The table of one walk step.
fn walk_step(c: &Comparison, scenario: &Scenario, i: usize) -> String {
    let step = &scenario.steps[i];
    let op = &step.op;
    let kind = c
        .runs
        .iter()
        .find_map(|r| r.run.steps[i].walk.as_ref().map(|w| w.kind));
    let mut out = format!("step {}: {}", i + 1, op.to_ron_line());
    if let Some(k) = kind {
        let _ = write!(out, "  ({})", k.as_str());
    }
    out.push('\n');
    if let Some(note) = &step.note {
        out.push_str(&wrap(note, NOTE_WIDTH, "  "));
    }
    let last = if kind == Some(WalkKind::PageReferenced) {
        "all found"
    } else {
        "unmapped"
    };
    let header = [
        "scheme", "page", "via", "cand", "nodes", "HIT", "MISS", "OUT", "SKIP", "LOST", last,
    ];
    let right = [
        false, false, false, true, true, true, true, true, true, true, false,
    ];
    let mut rows = Vec::new();
    let mut refused = Vec::new();
    for r in &c.runs {
        let s = &r.run.steps[i];
        match (&s.walk, &s.error) {
            (Some(w), _) => {
                let mut cells = vec![r.run.scheme.to_string()];
                cells.extend(walk_cells(w));
                rows.push(cells);
            }
            (None, Some(e)) => refused.push(format!("  {}: refused: {e}", r.run.scheme)),
            (None, None) => {}
        }
    }
    if !rows.is_empty() {
        out.push_str(&table(&header, &rows, &right));
    }
    for line in refused {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// A step that is not a walk but was refused under some scheme.
fn refused_step(c: &Comparison, scenario: &Scenario, i: usize) -> Option<String> {
    let refused: Vec<(&str, String)> = c
        .runs
        .iter()
        .filter_map(|r| {
            r.run.steps[i]
                .error
                .as_ref()
                .map(|e| (r.run.scheme, e.to_string()))
        })
        .collect();
    if refused.is_empty() {
        return None;
    }
    let mut out = format!(
        "step {}: {}  refused under {} of {} schemes\n",
        i + 1,
        scenario.steps[i].op.to_ron_line(),
        refused.len(),
        c.runs.len()
    );
    // One line per distinct message, naming the schemes that gave it.
    let mut groups: Vec<(Vec<&str>, String)> = Vec::new();
    for (scheme, e) in refused {
        match groups.iter_mut().find(|(_, m)| *m == e) {
            Some((names, _)) => names.push(scheme),
            None => groups.push((vec![scheme], e)),
        }
    }
    for (names, e) in groups {
        let _ = writeln!(out, "  {}: {e}", names.join(", "));
    }
    Some(out)
}

fn summary(c: &Comparison) -> String {
    let header = [
        "scheme",
        "rmap B i386",
        "rmap B x86_64",
        "objects",
        "pages made",
        "pages copied",
    ];
    let right = [false, true, true, true, true, true];
    let rows: Vec<Vec<String>> = c
        .runs
        .iter()
        .map(|r: &ComparedRun| {
            vec![
                r.run.scheme.to_string(),
                r.cost.bytes_i386().to_string(),
                r.cost.bytes_x86_64().to_string(),
                r.cost.objects().to_string(),
                r.pages_made.to_string(),
                c.pages_copied(r).to_string(),
            ]
        })
        .collect();
    let mut out = String::from("after the last step\n");
    out.push_str(&table(&header, &rows, &right));
    out.push_str("\nwhere the rmap bytes go: count x bytes each (i386 / x86_64)\n");
    for r in &c.runs {
        let _ = writeln!(out, "  {}", r.run.scheme);
        let lines: Vec<Vec<String>> = r
            .cost
            .lines
            .iter()
            .filter(|l| l.count > 0)
            .map(|l| {
                vec![
                    l.count.to_string(),
                    format!("x {} / {} B", l.each_i386, l.each_x86_64),
                    l.what.clone(),
                ]
            })
            .collect();
        if lines.is_empty() {
            out.push_str("      nothing\n");
        }
        for l in lines {
            let _ = writeln!(out, "    {:>7} {:<14} {}", l[0], l[1], l[2]);
        }
    }
    out
}

/// The whole `compare` report.
pub fn compare_text(scenario: &Scenario, c: &Comparison) -> String {
    let mut out = format!("{}\n", scenario.title);
    let names: Vec<&str> = c.runs.iter().map(|r| r.run.scheme).collect();
    let _ = writeln!(out, "schemes: {}", names.join(", "));
    let mut walks = 0;
    for i in 0..scenario.steps.len() {
        let walk_step_here = scenario.steps[i].op.is_walk();
        let text = if walk_step_here {
            walks += 1;
            Some(walk_step(c, scenario, i))
        } else {
            refused_step(c, scenario, i)
        };
        if let Some(t) = text {
            out.push('\n');
            out.push_str(&t);
        }
    }
    if walks == 0 {
        out.push_str("\n(no SwapOut or Referenced step: nothing was walked)\n");
    }
    out.push('\n');
    out.push_str(&summary(c));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_words_whole_and_lines_short() {
        let w = wrap("aaa bbb ccc ddd", 9, "  ");
        assert_eq!(w, "  aaa bbb\n  ccc ddd\n");
        assert_eq!(wrap("", 10, "  "), "");
        assert_eq!(
            wrap("averyveryverylongword x", 8, ""),
            "averyveryverylongword\nx\n"
        );
    }

    #[test]
    fn tables_align_columns_to_the_widest_cell() {
        let t = table(
            &["a", "n"],
            &[
                vec!["x".into(), "1".into()],
                vec!["long".into(), "100".into()],
            ],
            &[false, true],
        );
        assert_eq!(t, "  a       n\n  x       1\n  long  100\n");
    }
}
