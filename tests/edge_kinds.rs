//! Edge kinds as the TUI draws them, read back from the screen as a person reads it: which
//! nodes a line connects, and in which stroke. S9 at step 6 under anonmm: the ring between the
//! two anonmm objects must not read as a second mapping of p2.

use std::collections::{BTreeSet, HashSet};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use rmapviz::scenario::Scenario;
use rmapviz::tui::{App, AppOptions, render};
use rmapviz::view::glyph::mask_of;

const N: u8 = 1;
const E: u8 = 2;
const S: u8 = 4;
const W: u8 = 8;

fn draw(scenario: &str, step: usize, scheme: &str, w: u16, h: u16) -> Buffer {
    let sc = Scenario::load(scenario).unwrap().0;
    let app = App::headless(
        sc,
        &AppOptions {
            scheme,
            step,
            ..AppOptions::default()
        },
    )
    .unwrap();
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render::draw(&app, f)).unwrap();
    t.backend().buffer().clone()
}

/// Double-line glyphs, and the arms of the ones that are not light or heavy box drawing.
const DOUBLE: &str = "═║╔╗╚╝╠╣╦╩╬╒╓╕╖╘╙╛╜╞╟╡╢╤╥╧╨╪╫";

fn double_arms(c: char) -> Option<u8> {
    Some(match c {
        '═' => E | W,
        '║' => N | S,
        '╔' | '╒' | '╓' => E | S,
        '╗' | '╕' | '╖' => S | W,
        '╚' | '╘' | '╙' => N | E,
        '╝' | '╛' | '╜' => N | W,
        '╠' | '╞' | '╟' => N | E | S,
        '╣' | '╡' | '╢' => N | S | W,
        '╦' | '╤' | '╥' => E | S | W,
        '╩' | '╧' | '╨' => N | E | W,
        '╬' | '╪' | '╫' => N | E | S | W,
        _ => return None,
    })
}

/// The arms of a line glyph as drawn on the screen (light, heavy, dashed or double).
fn arms(c: char) -> Option<u8> {
    match c {
        '┄' | '┅' | '┈' | '┉' | '╌' | '╍' => Some(E | W),
        '┆' | '┇' | '┊' | '┋' | '╎' | '╏' => Some(N | S),
        _ => double_arms(c).or_else(|| mask_of(c).map(|(m, _)| m)),
    }
}

struct Screen {
    cells: Vec<Vec<char>>,
    /// The graph pane's inside: x0..x1, y0..y1.
    area: (usize, usize, usize, usize),
}

impl Screen {
    fn new(b: &Buffer, pane_title: &str) -> Screen {
        let cells: Vec<Vec<char>> = (0..b.area.height)
            .map(|y| {
                (0..b.area.width)
                    .map(|x| b[(x, y)].symbol().chars().next().unwrap_or(' '))
                    .collect()
            })
            .collect();
        // The pane whose top border carries the title.
        let (ty, tx) = cells
            .iter()
            .enumerate()
            .find_map(|(y, r)| {
                let s: String = r.iter().collect();
                s.find(&format!("┌ {pane_title}"))
                    .map(|i| (y, s[..i].chars().count()))
            })
            .unwrap_or_else(|| panic!("no pane {pane_title}"));
        let right = (tx + 1..cells[ty].len())
            .find(|&x| cells[ty][x] == '┐')
            .unwrap();
        let bottom = (ty + 1..cells.len())
            .find(|&y| cells[y][tx] == '└')
            .unwrap();
        Screen {
            cells,
            area: (tx + 1, right, ty + 1, bottom),
        }
    }

    fn get(&self, x: i64, y: i64) -> char {
        let (x0, x1, y0, y1) = self.area;
        if x < x0 as i64 || x >= x1 as i64 || y < y0 as i64 || y >= y1 as i64 {
            return ' ';
        }
        self.cells[y as usize][x as usize]
    }

    fn is_text(&self, x: i64, y: i64) -> bool {
        let c = self.get(x, y);
        c != ' ' && arms(c).is_none() && c != '▶'
    }

    /// Where `word` starts in the pane, the first time it is shown as a node's first word.
    fn find(&self, word: &str) -> (i64, i64) {
        let (x0, x1, y0, y1) = self.area;
        for y in y0..y1 {
            let row: String = self.cells[y][x0..x1].iter().collect();
            for (i, _) in row.match_indices(word) {
                let x = (x0 + row[..i].chars().count()) as i64;
                let next = self.get(x + word.chars().count() as i64, y as i64);
                if !self.is_text(x - 1, y as i64) && !next.is_alphanumeric() {
                    return (x, y as i64);
                }
            }
        }
        panic!("{word} not in the graph");
    }

    /// The first word of the node whose text ends at (x, y) (texts have single spaces).
    fn word_ending_at(&self, mut x: i64, y: i64) -> String {
        while self.is_text(x - 1, y) || (self.get(x - 1, y) == ' ' && self.is_text(x - 2, y)) {
            x -= 1;
        }
        self.word_at(x, y)
    }

    fn word_at(&self, mut x: i64, y: i64) -> String {
        let mut w = String::new();
        while self.is_text(x, y) {
            w.push(self.get(x, y));
            x += 1;
        }
        w
    }

    /// Follows the lines from the line cell at `start`: the nodes they reach (by their first
    /// word) and the line cells crossed. A crossing (four arms) passes straight through.
    fn follow(&self, start: (i64, i64)) -> (BTreeSet<String>, Vec<(i64, i64)>) {
        let dirs: [(u8, i64, i64, u8); 4] =
            [(N, 0, -1, S), (E, 1, 0, W), (S, 0, 1, N), (W, -1, 0, E)];
        let mut nodes = BTreeSet::new();
        let mut seen: HashSet<(i64, i64, u8)> = HashSet::new();
        let mut cells = Vec::new();
        // (cell, the arm we came in by, or 0 at the start)
        let mut todo = vec![(start, 0u8)];
        while let Some(((x, y), from)) = todo.pop() {
            let Some(a) = arms(self.get(x, y)) else {
                continue;
            };
            if !seen.insert((x, y, from)) {
                continue;
            }
            cells.push((x, y));
            let crossing = a == N | E | S | W && from != 0;
            for &(d, dx, dy, back) in &dirs {
                if a & d == 0 || d == from || (crossing && d != opposite(from)) {
                    continue;
                }
                let (nx, ny) = (x + dx, y + dy);
                let nc = self.get(nx, ny);
                if arms(nc).is_some_and(|b| b & back != 0) {
                    todo.push(((nx, ny), back));
                } else if nc == '▶' && d == E {
                    let tx = if self.is_text(nx + 1, ny) {
                        nx + 1
                    } else {
                        nx + 2
                    };
                    nodes.insert(self.word_at(tx, ny));
                } else if self.is_text(nx, ny) && d == E {
                    nodes.insert(self.word_at(nx, ny));
                } else if d == W && (self.is_text(nx, ny) || self.is_text(nx - 1, ny)) {
                    let end = if self.is_text(nx, ny) { nx } else { nx - 1 };
                    nodes.insert(self.word_ending_at(end, ny));
                }
            }
        }
        (nodes, cells)
    }
}

fn opposite(d: u8) -> u8 {
    match d {
        N => S,
        S => N,
        E => W,
        _ => E,
    }
}

/// The line cell that leads into the node whose first word is `word`, from its left.
fn line_into(s: &Screen, word: &str) -> (i64, i64) {
    let (x, y) = s.find(word);
    (1..4)
        .map(|k| (x - k, y))
        .find(|&(cx, cy)| arms(s.get(cx, cy)).is_some())
        .unwrap_or_else(|| panic!("no line into {word}"))
}

#[test]
fn s9_step6_the_anonmm_ring_is_not_a_line_to_p2() {
    // S9 step 6 under anonmm: the page p2 names anonmm2 (the child swapped it in first); the
    // two anonmm objects are one ring (docs/semantics.md: anonmm's ring of the exec family).
    // Only anonmm2 is linked to p2; the ring links anonmm1 and anonmm2 in a double line that
    // no line to a page runs along.
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let s = Screen::new(&draw("S9", 6, "anonmm", w, h), "anonmm (");
        let what = format!("{w}x{h}");
        let (to_page, page_cells) = s.follow(line_into(&s, "p2"));
        let want: BTreeSet<String> = ["anonmm2".to_string()].into();
        assert_eq!(to_page, want, "{what}: what the line into p2 connects");
        for &(x, y) in &page_cells {
            let c = s.get(x, y);
            assert!(
                !DOUBLE.contains(c),
                "{what}: the line to p2 runs along the ring at {x},{y}"
            );
        }
        let (ring, ring_cells) = s.follow(line_into(&s, "anonmm1"));
        let want: BTreeSet<String> = ["anonmm1".to_string(), "anonmm2".to_string()].into();
        assert_eq!(ring, want, "{what}: what the ring connects");
        for &(x, y) in &ring_cells {
            let c = s.get(x, y);
            assert!(
                DOUBLE.contains(c),
                "{what}: ring cell {c:?} at {x},{y} is not double"
            );
        }
    }
}
